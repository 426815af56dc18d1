package demo

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// polisenType is an event type of the public Polisen feed with its weight — its count among
// 85 011 events observed 2023–2026 (shared/reference/polisen-event-types.tsv), raised for types
// that existed only part of that time — and the period the feed used that spelling.
type polisenType struct {
	name          string
	weight        float64
	from, until   string // YYYY-MM-DD, empty for open
	county, night bool   // a län-wide summary published in the morning
}

var polisenTypes = []polisenType{
	{name: "Trafikolycka", weight: 13273}, {name: "Sammanfattning natt", weight: 12889, county: true, night: true},
	{name: "Brand", weight: 5558}, {name: "Rattfylleri", weight: 5017}, {name: "Trafikkontroll", weight: 4924},
	{name: "Övrigt", weight: 4899}, {name: "Misshandel", weight: 4038}, {name: "Stöld", weight: 2970},
	{name: "Trafikolycka, personskada", weight: 2480}, {name: "Trafikbrott", weight: 1967},
	{name: "Sammanfattning kväll och natt", weight: 1667, county: true, night: true},
	{name: "Stöld/inbrott", weight: 1536}, {name: "Arbetsplatsolycka", weight: 1470}, {name: "Skadegörelse", weight: 1402},
	{name: "Rån", weight: 1261}, {name: "Fylleri/LOB", weight: 1440, until: "2026-03-10"},
	{name: "Fylleri", weight: 1440, from: "2026-03-11"}, {name: "Trafikolycka, vilt", weight: 1228},
	{name: "Försvunnen person", weight: 1194}, {name: "Narkotikabrott", weight: 1087},
	{name: "Trafikolycka, singel", weight: 1030}, {name: "Mord/dråp, försök", weight: 933},
	{name: "Misshandel, grov", weight: 860}, {name: "Bedrägeri", weight: 860}, {name: "Olaga hot", weight: 608},
	{name: "Olovlig körning", weight: 558}, {name: "Knivlagen", weight: 531}, {name: "Våld/hot mot tjänsteman", weight: 509},
	{name: "Bråk", weight: 481}, {name: "Inbrott", weight: 442}, {name: "Farligt föremål, misstänkt", weight: 441},
	{name: "Fjällräddning", weight: 405}, {name: "Kontroll person/fordon", weight: 480, until: "2025-10-17"},
	{name: "Kontroll", weight: 480, from: "2025-10-21"}, {name: "Vapenlagen", weight: 352}, {name: "Djur", weight: 339},
	{name: "Trafikolycka, smitning från", weight: 339}, {name: "Mord/dråp", weight: 315},
	{name: "Motorfordon, stöld", weight: 316}, {name: "Trafikhinder", weight: 315}, {name: "Räddningsinsats", weight: 283},
	{name: "Stöld, försök", weight: 280}, {name: "Olaga intrång", weight: 265}, {name: "Ofredande/förargelse", weight: 245},
	{name: "Detonation", weight: 400, until: "2024-09-08"}, {name: "Explosion", weight: 400, from: "2024-09-11"},
	{name: "Anträffad död", weight: 232}, {name: "Skottlossning", weight: 207}, {name: "Rån, försök", weight: 189},
	{name: "Åldringsbrott", weight: 290, until: "2025-05-16"}, {name: "Våldtäkt", weight: 166},
	{name: "Polisinsats/kommendering", weight: 158}, {name: "Häleri", weight: 123},
	{name: "Sedlighetsbrott", weight: 193, until: "2025-05-13"}, {name: "Sexualbrott", weight: 193, from: "2025-05-18"},
	{name: "Rån övrigt", weight: 106}, {name: "Inbrott, försök", weight: 88}, {name: "Larm Överfall", weight: 88},
	{name: "Uppdatering", weight: 81}, {name: "Ordningslagen", weight: 79}, {name: "Hemfridsbrott", weight: 74},
	{name: "Larm Inbrott", weight: 70}, {name: "Sjukdom/olycksfall", weight: 67}, {name: "Skottlossning, misstänkt", weight: 65},
	{name: "Rån väpnat", weight: 55}, {name: "Alkohollagen", weight: 54},
	{name: "Mordbrand", weight: 208, from: "2025-10-15"}, {name: "Information", weight: 676, from: "2025-10-23"},
	{name: "Smällar", weight: 160, from: "2025-10-21"},
	// The feed's value ends with one space; importers must trim it.
	{name: "Lagen om hundar och katter ", weight: 7},
}

// Feed conventions that changed over time. The exact dates are not known; these are the demo's.
var (
	// colonSince: names write "21:10" from here on, "21.10" before.
	colonSince = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	// relativeSince: urls are relative ("/aktuellt/...") from here on, absolute before.
	relativeSince = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
)

type polisenEvent struct {
	ID       int             `json:"id"`
	Datetime string          `json:"datetime"`
	Name     string          `json:"name"`
	Summary  string          `json:"summary"`
	URL      string          `json:"url"`
	Type     string          `json:"type"`
	Location polisenLocation `json:"location"`
}

type polisenLocation struct {
	Name string `json:"name"`
	GPS  string `json:"gps"`
}

// WritePolisenJSON writes n synthetic events of the period in the format of the public Polisen
// events API (https://polisen.se/api/events): a JSON array, newest first, of {id, datetime,
// name, summary, url, type, location {name, gps}}. It reproduces the feed's quirks that an
// importer must handle: hours sometimes not zero-padded in datetime ("9:58:49"), "21.10" in older
// names and "21:10" in newer ones, absolute then relative urls, type renames at their dates, a
// trailing space in one type, and a location that is a kommun or a whole län ("Stockholms län")
// whose gps is a fixed point of that kommun or län (the interior point of its polygon), never
// the event's position. Every summary says the event is synthetic.
func WritePolisenJSON(w io.Writer, in Input, o Options, n int) error {
	if n < 0 {
		return lagesbild.Invalid("n", "demo: %d events", n)
	}
	o, err := o.normalized()
	if err != nil {
		return err
	}
	wd, err := buildWorld(in, o.Seed)
	if err != nil {
		return err
	}
	events := polisenEvents(wd, o, n)
	data, err := json.Marshal(events)
	if err != nil {
		return errorf("polisen json: %w", err)
	}
	if _, err := w.Write(append(data, '\n')); err != nil {
		return errorf("writing polisen json: %w", err)
	}
	return nil
}

func polisenEvents(w *world, o Options, n int) []polisenEvent {
	r := newRand(o.Seed, streamPolisen)
	kommunWeights := make([]float64, len(w.kommuner))
	for i, km := range w.kommuner {
		kommunWeights[i] = float64(km.Population)
	}
	kommuner := newAlias(kommunWeights)
	lanPoint := lanPoints(w)
	hourCum := groups[groupIndex(lagesbild.GroupOvrigt)].hour
	for h := 1; h < 24; h++ {
		hourCum[h] += hourCum[h-1]
	}

	type event struct {
		occurred, published time.Time
		typ                 polisenType
		k                   int
		county              bool
	}
	span := o.End.Sub(o.Start)
	evs := make([]event, 0, n)
	// Draws whose publication falls after the end are redrawn; the bound only matters for a
	// period of minutes.
	for try := 0; len(evs) < n && try < 20*n+1000; try++ {
		day := swedishWall(o.Start.Add(time.Duration(r.Float64() * float64(span)))).Truncate(24 * time.Hour)
		typ := pickType(r, day)
		var wall time.Time
		if typ.night {
			wall = day.Add(6*time.Hour + time.Duration(r.IntN(150))*time.Minute)
		} else {
			h := min(searchHour(&hourCum, r.Float64()*hourCum[23]), 23)
			wall = day.Add(time.Duration(h)*time.Hour + time.Duration(r.IntN(60))*time.Minute)
		}
		occurred := fromSwedishWall(wall)
		published := occurred.Add(time.Duration(5+r.IntN(115))*time.Minute + time.Duration(r.IntN(60))*time.Second)
		k := kommuner.draw(r)
		county := typ.county || r.Float64() < 0.08
		if occurred.Before(o.Start) || !published.Before(o.End) {
			continue
		}
		evs = append(evs, event{occurred, published, typ, k, county})
	}
	slices.SortStableFunc(evs, func(a, b event) int { return a.published.Compare(b.published) })

	out := make([]polisenEvent, len(evs))
	for i, e := range evs {
		km := &w.kommuner[e.k]
		locName, gps := km.Name, km.shape.interior
		if l, ok := w.lan[km.LanCode]; ok && e.county {
			locName, gps = l.Name, lanPoint[km.LanCode]
		}
		ll := toWGS84(gps)
		occ, pub := swedishWall(e.occurred), swedishWall(e.published)
		typeName := strings.TrimSpace(e.typ.name)
		hhmm := fmt.Sprintf("%02d.%02d", occ.Hour(), occ.Minute())
		nameTime := hhmm
		if !e.occurred.Before(colonSince) {
			nameTime = fmt.Sprintf("%02d:%02d", occ.Hour(), occ.Minute())
		}
		month := monthNames[occ.Month()-1]
		path := fmt.Sprintf("/aktuellt/handelser/%d/%s/%d/%02d-%s-%s-%s-%s/", occ.Year(), month, occ.Day(),
			occ.Day(), month, hhmm, slug(typeName), slug(locName))
		if e.occurred.Before(relativeSince) != (r.Float64() < 0.05) {
			path = "https://polisen.se" + path
		}
		clock := pub.Format("15:04:05")
		if pub.Hour() < 10 && r.Float64() < 0.5 {
			clock = clock[1:] // "9:58:49": the feed does not always pad the hour
		}
		off := swedishOffset(e.published)
		out[len(evs)-1-i] = polisenEvent{
			ID:       600001 + i,
			Datetime: fmt.Sprintf("%s %s +%02d:00", pub.Format(time.DateOnly), clock, int(off.Hours())),
			Name:     fmt.Sprintf("%d %s %s, %s, %s", occ.Day(), month, nameTime, typeName, locName),
			Summary:  fmt.Sprintf("Syntetisk demohändelse: %s, %s. Genererad av lagesbild demo, inte en verklig händelse.", strings.ToLower(typeName), locName),
			URL:      path,
			Type:     e.typ.name,
			Location: polisenLocation{Name: locName, GPS: fmt.Sprintf("%.6f,%.6f", ll[1], ll[0])},
		}
	}
	return out
}

// pickType draws a type among those the feed used on day (a Swedish date, labelled UTC).
func pickType(r *rand.Rand, day time.Time) polisenType {
	d := day.Format(time.DateOnly)
	sum := 0.0
	for _, t := range polisenTypes {
		if t.valid(d) {
			sum += t.weight
		}
	}
	x := r.Float64() * sum
	var last polisenType
	for _, t := range polisenTypes {
		if !t.valid(d) {
			continue
		}
		last = t
		if x -= t.weight; x < 0 {
			return t
		}
	}
	return last
}

func (t polisenType) valid(date string) bool {
	return (t.from == "" || date >= t.from) && (t.until == "" || date <= t.until)
}

// lanPoints returns a fixed point per län: the area-weighted centroid of its kommuner's interior
// points, moved to the nearest kommun interior point when it falls outside every kommun of the
// län (a centroid in Vänern or the sea is no place name's point).
func lanPoints(w *world) map[string]orb.Point {
	type acc struct{ x, y, a float64 }
	sums := map[string]*acc{}
	for _, km := range w.kommuner {
		s := sums[km.LanCode]
		if s == nil {
			s = &acc{}
			sums[km.LanCode] = s
		}
		s.x += km.shape.interior[0] * km.shape.areaM2
		s.y += km.shape.interior[1] * km.shape.areaM2
		s.a += km.shape.areaM2
	}
	out := map[string]orb.Point{}
	for _, km := range w.kommuner {
		if _, done := out[km.LanCode]; done {
			continue
		}
		s := sums[km.LanCode]
		c := orb.Point{s.x / s.a, s.y / s.a}
		inside := false
		best, bestD := orb.Point{}, math.Inf(1)
		for _, other := range w.kommuner {
			if other.LanCode != km.LanCode {
				continue
			}
			if other.shape.contains(c) {
				inside = true
				break
			}
			if d := math.Hypot(other.shape.interior[0]-c[0], other.shape.interior[1]-c[1]); d < bestD {
				best, bestD = other.shape.interior, d
			}
		}
		if !inside {
			c = best
		}
		out[km.LanCode] = c
	}
	return out
}

// slug makes the url part of a name the way polisen.se does: lower case, å/ä → a, ö → o,
// anything else that is not a letter or digit → "-".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch r {
		case 'å', 'ä':
			r = 'a'
		case 'ö':
			r = 'o'
		case 'é':
			r = 'e'
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
