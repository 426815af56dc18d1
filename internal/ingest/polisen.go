package ingest

import (
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// SourcePolisen is the Source of every record of the public Polisen events feed.
const SourcePolisen = "polisen"

// polisenHost is where the feed's relative URLs point.
const polisenHost = "polisen.se"

// polisenEvent is one element of the feed. The id is decoded by hand so that one odd value
// rejects one event with a clear message.
type polisenEvent struct {
	ID       json.RawMessage `json:"id"` // a number; a numeric string is taken too
	Datetime string          `json:"datetime"`
	Name     string          `json:"name"`
	Summary  string          `json:"summary"`
	URL      string          `json:"url"`
	Type     string          `json:"type"`
	Location struct {
		Name string `json:"name"`
		GPS  string `json:"gps"`
	} `json:"location"`
}

type polisenReader struct {
	file   string
	stream arrayStream
	gaz    *Gazetteer
	cfg    config
	cat    categorizer
	err    error // sticky fatal error
}

// NewPolisenReader reads the Polisen events JSON (a top-level array of events, as the API and
// its archives serve it). Each event becomes an incident with Source "polisen", agency "pm",
// and kommun or län precision from location.name resolved by g: the feed's gps is a fixed
// centroid of the named kommun or län, never the event's position, so it is ignored and no
// point is set. Events whose location.name g cannot resolve (all of them, if g is nil) are
// rejected on that field.
// file names the input in errors ("-" for stdin).
func NewPolisenReader(r io.Reader, file string, g *Gazetteer, t *Taxonomy, opts ...Option) IncidentReader {
	in, err := newJSONInput(r, file)
	if err != nil {
		err = ioError(file, err)
	}
	return &polisenReader{file: file, stream: arrayStream{in: in}, gaz: g, cfg: newConfig(opts), cat: newCategorizer(t), err: err}
}

func (r *polisenReader) UnknownTypes() map[string]int { return r.cat.unknownTypes() }

func (r *polisenReader) Next() (lagesbild.Incident, error) {
	if r.err != nil {
		return lagesbild.Incident{}, r.err
	}
	raw, line, err := r.stream.next()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			r.err = err
		}
		return lagesbild.Incident{}, err
	}
	var ev polisenEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return lagesbild.Incident{}, invalidf(r.file, line, te.Field, "must be %s, not a JSON %s", jsonKind(te.Type.Kind().String()), te.Value)
		}
		return lagesbild.Incident{}, invalidf(r.file, line, "", "an event must be a JSON object")
	}
	return r.incident(&ev, line)
}

// jsonKind names a Go kind the way a JSON author would think of it.
func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "struct", "map":
		return "an object"
	}
	return "a number"
}

func (r *polisenReader) incident(ev *polisenEvent, line int) (lagesbild.Incident, error) {
	idText := string(ev.ID)
	if idText == "" || idText == "null" {
		return lagesbild.Incident{}, invalidf(r.file, line, "id", "missing")
	}
	if strings.HasPrefix(idText, `"`) {
		_ = json.Unmarshal(ev.ID, &idText) // valid JSON string: the decoder checked it
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return lagesbild.Incident{}, invalidf(r.file, line, "id", "%s is not a positive integer", clip(string(ev.ID)))
	}
	published, ok := parsePolisenDatetime(strings.TrimSpace(ev.Datetime))
	if !ok {
		return lagesbild.Incident{}, invalidf(r.file, line, "datetime", "%q is not a time like 2018-12-28 13:42:49 +01:00", clip(ev.Datetime))
	}
	if reason := timeInRange(published, r.cfg.now()); reason != "" {
		return lagesbild.Incident{}, invalidf(r.file, line, "datetime", "%s", reason)
	}
	category, reason := ident(ev.Type, maxIDLen)
	if reason != "" {
		return lagesbild.Incident{}, invalidf(r.file, line, "type", "%s", reason)
	}
	if category == "" {
		return lagesbild.Incident{}, invalidf(r.file, line, "type", "missing")
	}
	locName := text(ev.Location.Name)
	if locName == "" {
		return lagesbild.Incident{}, invalidf(r.file, line, "location.name", "missing")
	}
	precision, code, ok := r.gaz.Resolve(locName)
	if !ok {
		return lagesbild.Incident{}, invalidf(r.file, line, "location.name", "%q is not a known kommun or län", clip(locName))
	}
	// The event time is only in the name. A name without a readable time (it happens in old
	// data and in some notices) is not a reason to lose the event: its publish time is the best
	// estimate left, usually within hours of the event.
	// The same holds for a name time that would put the event before 2000 (published on New
	// Year's Day 2000, named "31 december").
	occurred, ok := polisenEventTime(ev.Name, published)
	if !ok || timeInRange(occurred, r.cfg.now()) != "" {
		occurred = published
	}
	pub := published.UTC()
	inc := lagesbild.Incident{
		Source:       SourcePolisen,
		SourceID:     strconv.FormatInt(id, 10),
		OccurredAt:   occurred.UTC(),
		PublishedAt:  &pub,
		Category:     category,
		Group:        r.cat.group(category),
		Agency:       "pm",
		Precision:    precision,
		LocationName: locName,
		Title:        text(ev.Name),
		Summary:      text(ev.Summary),
		URL:          polisenURL(strings.TrimSpace(ev.URL)),
		Line:         line,
	}
	if precision == lagesbild.PrecisionKommun {
		inc.KommunCode = code
	} else {
		inc.LanCode = code
	}
	return inc, nil
}

// parsePolisenDatetime reads the publish time, "2018-12-28 13:42:49 +01:00" with the hour
// sometimes unpadded ("9:58:49", which Go's hour field accepts). RFC 3339 is taken too, since
// re-exported archives sometimes normalise to it.
func parsePolisenDatetime(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02 15:04:05 -07:00", "2006-01-02 15:04:05 -0700", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// polisenNameTime matches the start of an event name: "28 december 13.42, ..." or, in newer
// data, "06 juni 16:40, ...".
var polisenNameTime = regexp.MustCompile(`^\s*(\d{1,2})\s+(\pL+)\s+(\d{1,2})[.:](\d{2})(?:\D|$)`)

var swedishMonths = map[string]time.Month{
	"januari": time.January, "februari": time.February, "mars": time.March, "april": time.April,
	"maj": time.May, "juni": time.June, "juli": time.July, "augusti": time.August,
	"september": time.September, "oktober": time.October, "november": time.November, "december": time.December,
}

// polisenEventTime reads the event's local date and time from its name. The name has no year:
// it is the publish year, unless that puts the event more than a day after its publication —
// "31 december 23.50" published 2019-01-01 00:10 happened in 2018. (A day of slack because a
// few events, announced operations, are published shortly before they start.)
func polisenEventTime(name string, published time.Time) (time.Time, bool) {
	m := polisenNameTime.FindStringSubmatch(name)
	if m == nil {
		return time.Time{}, false
	}
	day, _ := strconv.Atoi(m[1])
	month, ok := swedishMonths[strings.ToLower(m[2])]
	hour, _ := strconv.Atoi(m[3])
	minute, _ := strconv.Atoi(m[4])
	if !ok || day < 1 || day > 31 || hour > 23 || minute > 59 {
		return time.Time{}, false
	}
	loc := stockholm()
	year := published.In(loc).Year()
	for _, y := range []int{year, year - 1} {
		t := time.Date(y, month, day, hour, minute, 0, 0, loc)
		if t.Day() != day || t.Month() != month { // 31 april, or 29 februari of a common year
			continue
		}
		if t.After(published.Add(24 * time.Hour)) {
			continue
		}
		return t, true
	}
	return time.Time{}, false
}

// polisenURL makes the event's link absolute on polisen.se. Only http(s) links to polisen.se
// are kept: the URL is shown as a link in the web client, and a file is not trusted to put a
// javascript: or foreign link there.
func polisenURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	if u.Scheme == "" && u.Host == "" {
		if !strings.HasPrefix(u.Path, "/") {
			u.Path = "/" + u.Path
		}
		u.Scheme, u.Host = "https", polisenHost
		return u.String()
	}
	host := strings.ToLower(u.Hostname())
	if (u.Scheme != "https" && u.Scheme != "http") || (host != polisenHost && !strings.HasSuffix(host, "."+polisenHost)) {
		return ""
	}
	return u.String()
}
