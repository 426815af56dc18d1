package ingest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Stockholm must load on machines without /usr/share/zoneinfo
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Sweden's bounding box in WGS84 with a small margin. Exact points outside it are rejected: they
// are swapped or projected coordinates far more often than real events abroad.
const (
	minLon, maxLon = 10.5, 24.5
	minLat, maxLat = 55.0, 69.5
)

// Plausible SWEREF 99 TM ranges (metres). They do not overlap, which lets us tell a swapped
// pair apart from a wrong one.
const (
	minEasting, maxEasting   = 200000.0, 1000000.0
	minNorthing, maxNorthing = 6100000.0, 7700000.0
)

// Limits on identifier-like fields: long enough for any real system's keys, short enough that a
// broken file cannot put megabytes into an index.
const (
	maxIDLen   = 200
	maxTextLen = 10000
)

// earliest is the lower bound of incident times: nothing in these feeds predates 2000, so an
// earlier date is a typo or a default value (0001-01-01, 1970-01-01).
var earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// stockholm is the zone of local times without an offset (Polisen names, "YYYY-MM-DD HH:MM").
var stockholm = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		// Unreachable with time/tzdata embedded; a fixed CET offset beats failing every import.
		return time.FixedZone("CET", 3600)
	}
	return loc
})

// text makes free text safe to store: PostgreSQL text rejects NUL bytes and invalid UTF-8, and
// one such value would fail a whole COPY batch. It also caps the length (10 000 bytes, cut at a
// rune boundary): Polisen summaries are a few hundred characters, so more is a broken file.
func text(s string) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if len(s) > maxTextLen {
		s = truncateUTF8(s, maxTextLen)
	}
	return s
}

// truncateUTF8 cuts s to at most n bytes without splitting a rune.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ident checks an identifier-like value (ids, categories, codes): trimmed, valid UTF-8, no
// control characters, at most max runes. It returns the reason when the value is bad.
func ident(s string, max int) (string, string) {
	s = strings.TrimSpace(s)
	ascii := true
	for i := 0; i < len(s); i++ { // the common case, checked without decoding runes
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return "", "contains a control character"
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	if ascii {
		if len(s) > max {
			return "", fmt.Sprintf("is longer than %d characters", max)
		}
		return s, ""
	}
	if !utf8.ValidString(s) {
		return "", "is not valid UTF-8"
	}
	n := 0
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", "contains a control character"
		}
		n++
	}
	if n > max {
		return "", fmt.Sprintf("is longer than %d characters", max)
	}
	return s, ""
}

// agencyByKey maps lower-case codes and full names to the code.
var agencyByKey = func() map[string]string {
	m := make(map[string]string, 2*len(lagesbild.Agencies))
	for _, a := range lagesbild.Agencies {
		m[a.Code] = a.Code
		m[strings.ToLower(a.Name)] = a.Code
	}
	return m
}()

// agencyCode resolves an agency code or full name, case-insensitively.
func agencyCode(s string) (string, bool) {
	if c, ok := agencyByKey[s]; ok { // the common case: a code as written, no allocation
		return c, true
	}
	c, ok := agencyByKey[strings.ToLower(strings.Join(strings.Fields(s), " "))]
	return c, ok
}

// incidentTime parses occurred_at: RFC 3339, or "YYYY-MM-DD HH:MM" in Europe/Stockholm (what a
// Swedish spreadsheet writes). Other forms are rejected rather than guessed at: "01/02/2025"
// means different days in different locales.
func incidentTime(s string, now time.Time) (time.Time, string) {
	var t time.Time
	var err error
	if strings.ContainsAny(s, "Tt") {
		t, err = time.Parse(time.RFC3339Nano, s)
	} else {
		t, err = time.ParseInLocation("2006-01-02 15:04", s, stockholm())
	}
	if err != nil {
		return time.Time{}, fmt.Sprintf("%q is not RFC 3339 (2025-03-01T14:05:00+01:00) or YYYY-MM-DD HH:MM (Europe/Stockholm)", clip(s))
	}
	if reason := timeInRange(t, now); reason != "" {
		return time.Time{}, reason
	}
	return t.UTC(), ""
}

// timeInRange bounds an incident time to [2000, now + 1 day]; a day of slack absorbs clock skew
// and time-zone mistakes without letting far-future dates in.
func timeInRange(t, now time.Time) string {
	if t.Before(earliest) {
		return fmt.Sprintf("%s is before 2000", t.UTC().Format(time.RFC3339))
	}
	if t.After(now.Add(24 * time.Hour)) {
		return fmt.Sprintf("%s is more than a day in the future", t.UTC().Format(time.RFC3339))
	}
	return ""
}

// dateOrTime parses an operation's start or end: YYYY-MM-DD (midnight Europe/Stockholm) or
// RFC 3339.
func dateOrTime(s string) (time.Time, string) {
	var t time.Time
	var err error
	if len(s) == len("2006-01-02") {
		t, err = time.ParseInLocation("2006-01-02", s, stockholm())
	} else {
		t, err = time.Parse(time.RFC3339Nano, s)
	}
	if err != nil {
		return time.Time{}, fmt.Sprintf("%q is not a date YYYY-MM-DD or an RFC 3339 time", clip(s))
	}
	if t.Year() < 2000 || t.Year() > 2100 {
		return time.Time{}, fmt.Sprintf("%s is outside 2000–2100", s)
	}
	return t.UTC(), ""
}

// decimal parses a number written with a decimal point or, as a Swedish spreadsheet writes it,
// a decimal comma ("59,33"). Only plain decimal notation is accepted: ParseFloat alone would
// also take "NaN", "Inf", hex floats and digit separators, none of which belong in a coordinate.
func decimal(s string) (float64, string) {
	if s == "" {
		return 0, "is empty"
	}
	if strings.IndexByte(s, ',') >= 0 {
		if strings.Count(s, ",") > 1 || strings.IndexByte(s, '.') >= 0 {
			return 0, fmt.Sprintf("%q is not a number (use one decimal point or one decimal comma, no thousands separators)", clip(s))
		}
		s = strings.Replace(s, ",", ".", 1)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return 0, fmt.Sprintf("%q is not a number", clip(s))
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Sprintf("%q is not a number", clip(s))
	}
	return f, ""
}

// inSweden reports whether a WGS84 point lies in Sweden's bounding box. Written with positive
// comparisons so that NaN is outside.
func inSweden(p orb.Point) bool {
	return p[0] >= minLon && p[0] <= maxLon && p[1] >= minLat && p[1] <= maxLat
}

// coordField names one coordinate source value for point.
type coordField struct {
	name, value string
}

// pointFrom builds a WGS84 point from either lat/lon or SWEREF 99 TM x/y (x the easting, y the
// northing, as in EPSG:3006 GIS axis order). It returns the field to blame and the reason.
func pointFrom(lat, lon, x, y string) (orb.Point, string, string) {
	hasLL := lat != "" || lon != ""
	hasXY := x != "" || y != ""
	switch {
	case hasLL && hasXY:
		return orb.Point{}, "lat", "give either lat/lon or x/y, not both"
	case !hasLL && !hasXY:
		return orb.Point{}, "lat", "missing coordinates: give lat and lon (WGS84) or x and y (SWEREF 99 TM)"
	case hasLL:
		for _, f := range []coordField{{"lat", lat}, {"lon", lon}} {
			if f.value == "" {
				return orb.Point{}, f.name, "is empty"
			}
		}
		la, reason := decimal(lat)
		if reason != "" {
			return orb.Point{}, "lat", reason
		}
		lo, reason := decimal(lon)
		if reason != "" {
			return orb.Point{}, "lon", reason
		}
		if !(la >= minLat && la <= maxLat) {
			if lo >= minLat && lo <= maxLat && la >= minLon && la <= maxLon {
				return orb.Point{}, "lat", fmt.Sprintf("%g is outside Sweden; lat and lon look swapped", la)
			}
			return orb.Point{}, "lat", fmt.Sprintf("%g is outside Sweden (%g–%g)", la, minLat, maxLat)
		}
		if !(lo >= minLon && lo <= maxLon) {
			return orb.Point{}, "lon", fmt.Sprintf("%g is outside Sweden (%g–%g)", lo, minLon, maxLon)
		}
		return orb.Point{lo, la}, "", ""
	default:
		for _, f := range []coordField{{"x", x}, {"y", y}} {
			if f.value == "" {
				return orb.Point{}, f.name, "is empty"
			}
		}
		e, reason := decimal(x)
		if reason != "" {
			return orb.Point{}, "x", reason
		}
		n, reason := decimal(y)
		if reason != "" {
			return orb.Point{}, "y", reason
		}
		return swerefPoint(e, n)
	}
}

// swerefPoint checks a SWEREF 99 TM easting/northing and converts it to WGS84.
func swerefPoint(e, n float64) (orb.Point, string, string) {
	if !(e >= minEasting && e <= maxEasting) {
		if e >= minNorthing && e <= maxNorthing && n >= minEasting && n <= maxEasting {
			return orb.Point{}, "x", fmt.Sprintf("%g looks like a northing: x is the easting (E) and y the northing (N) of EPSG:3006", e)
		}
		return orb.Point{}, "x", fmt.Sprintf("%g is outside SWEREF 99 TM eastings in Sweden (%g–%g)", e, minEasting, maxEasting)
	}
	if !(n >= minNorthing && n <= maxNorthing) {
		return orb.Point{}, "y", fmt.Sprintf("%g is outside SWEREF 99 TM northings in Sweden (%g–%g)", n, minNorthing, maxNorthing)
	}
	p := SwerefToWGS84(e, n)
	if !inSweden(p) {
		// The metre ranges are a box around Sweden's box; its corners fall outside it.
		return orb.Point{}, "x", fmt.Sprintf("(%g, %g) is outside Sweden", e, n)
	}
	return p, "", ""
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	const n = 60
	if len(s) <= n {
		return s
	}
	return truncateUTF8(s, n) + "…"
}
