package ingest

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/hexgrid"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// maxObservationValue bounds an indicator's count (a month of one agency in one area).
const maxObservationValue = 1_000_000

var (
	categoryPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{1,49}$`)
	decisionPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$`)
)

// ObservationReader reads observations one at a time: io.EOF at the end, a
// *lagesbild.ValidationError for a bad record (the reader continues after it), anything else
// (FatalError) stops the file.
type ObservationReader interface {
	Next() (lagesbild.Observation, error)
}

type observationReader struct {
	file, format string
	r            io.Reader
	tab          *table
	stream       *featureStream
	err          error
}

// NewObservationReader reads an agency's observations from CSV or GeoJSON (format "csv",
// "geojson" or "" to decide from the first byte). Fields (CSV columns or GeoJSON properties):
//
//	source_id       required, unique within the source
//	agency          the owning agency (code such as skv, or its name)
//	kind            record (default) or indicator
//	category        a code of the agency's vocabulary (e.g. folkbokforingskontroll)
//	time            records: RFC 3339 or "YYYY-MM-DD HH:MM" (Swedish time) or a date;
//	                indicators: the month, YYYY-MM
//	value           records: 1 unless given; indicators: the count (required, 0–1 000 000)
//	classification  oppen or sekretess
//	decision        the samverkansbeslut it is shared under (also samverkan_id); empty: the
//	                owning agency only
//	place           exactly one of: a point (lat/lon or x/y columns, a GeoJSON Point), an
//	                area (area_id such as 2025-SO9, or a GeoJSON Polygon/MultiPolygon), or an
//	                H3 cell of resolution 5–9 (h3, hex)
func NewObservationReader(r io.Reader, file, format string) ObservationReader {
	return &observationReader{file: file, format: strings.ToLower(strings.TrimSpace(format)), r: r}
}

func (o *observationReader) open() error {
	br, err := input(o.r)
	if err != nil {
		return ioError(o.file, err)
	}
	format := o.format
	if format == "" {
		format = sniffFormat(br)
	}
	switch format {
	case "csv":
		tab, err := newTable(br, o.file)
		if err != nil {
			return err
		}
		if err := tab.require("source_id", "agency", "category", "time", "classification"); err != nil {
			return err
		}
		o.tab = tab
	case "geojson", "json":
		in, err := newJSONInput(br, o.file)
		if err != nil {
			return ioError(o.file, err)
		}
		o.stream = &featureStream{in: in}
	default:
		return fatalf(o.file, 0, "format", "%q is not csv or geojson", clip(o.format))
	}
	return nil
}

func (o *observationReader) Next() (lagesbild.Observation, error) {
	if o.err != nil {
		return lagesbild.Observation{}, o.err
	}
	if o.tab == nil && o.stream == nil {
		if err := o.open(); err != nil {
			o.err = err
			return lagesbild.Observation{}, err
		}
	}
	var row presenceRow
	if o.tab != nil {
		if err := o.tab.next(); err != nil {
			if !errors.Is(err, io.EOF) && !isRecordError(err) {
				o.err = err
			}
			return lagesbild.Observation{}, err
		}
		row = csvPresenceRow{o.tab}
	} else {
		raw, line, err := o.stream.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				o.err = err
			}
			return lagesbild.Observation{}, err
		}
		ft, field, reason := decodeFeature(raw)
		if reason != "" {
			return lagesbild.Observation{}, invalidf(o.file, line, field, "%s", reason)
		}
		row = geoObservationRow{geoPresenceRow{ft: ft, ln: line, sweref: o.stream.sweref}}
	}
	obs, field, reason := buildObservation(row)
	if reason != "" {
		return lagesbild.Observation{}, invalidf(o.file, row.line(field), field, "%s", reason)
	}
	obs.Line = row.line("")
	return obs, nil
}

// geoObservationRow is a GeoJSON feature whose point may be absent (an area or a cell).
type geoObservationRow struct{ geoPresenceRow }

func (r geoObservationRow) hasPoint() bool {
	return r.ft.geometry != nil && r.ft.geometry.Type == "Point"
}

func (r geoObservationRow) polygon() (orb.MultiPolygon, bool, string, string) {
	g := r.ft.geometry
	if g == nil || g.Type == "Point" {
		return nil, false, "", ""
	}
	mp, reason := g.polygons(r.sweref)
	if reason != "" {
		return nil, true, "geometry", reason
	}
	return mp, true, "", ""
}

func value(row presenceRow, name string) (string, string) { return row.value(name) }

// buildObservation validates one record; on failure it returns the field and reason.
func buildObservation(row presenceRow) (obs lagesbild.Observation, field, reason string) {
	get := func(name string) string {
		if reason != "" {
			return ""
		}
		var v string
		v, reason = value(row, name)
		if reason != "" {
			field = name
		}
		return v
	}
	sourceID, agencyRaw, kind, category := get("source_id"), get("agency"), strings.ToLower(get("kind")), get("category")
	timeRaw, valueRaw, class := get("time"), get("value"), strings.ToLower(get("classification"))
	decision := get("decision")
	if decision == "" {
		decision = get("samverkan_id")
	}
	areaID, cell := get("area_id"), strings.ToLower(get("h3"))
	if reason != "" {
		return obs, field, reason
	}
	fail := func(f, r string, args ...any) (lagesbild.Observation, string, string) {
		return lagesbild.Observation{}, f, fmt.Sprintf(r, args...)
	}
	var r string
	if obs.SourceID, r = ident(sourceID, maxIDLen); r != "" || obs.SourceID == "" {
		if r == "" {
			r = "missing"
		}
		return fail("source_id", "%s", r)
	}
	if agencyRaw == "" {
		return fail("agency", "missing")
	}
	var ok bool
	if obs.Agency, ok = agencyCode(agencyRaw); !ok {
		return fail("agency", "%s", unknownAgency(agencyRaw))
	}
	switch kind {
	case "", "record", "post":
		obs.Kind = lagesbild.ObservationRecord
	case "indicator", "indikator":
		obs.Kind = lagesbild.ObservationIndicator
	default:
		return fail("kind", "%q is not record or indicator", clip(kind))
	}
	if !categoryPattern.MatchString(category) {
		return fail("category", "%q is not a category code of the agency's vocabulary (lower-case, e.g. folkbokforingskontroll)", clip(category))
	}
	obs.Category = category
	if timeRaw == "" {
		return fail("time", "missing")
	}
	if obs.Kind == lagesbild.ObservationIndicator {
		m, err := time.ParseInLocation("2006-01", timeRaw, stockholm())
		if err != nil || m.Year() < 2000 || m.Year() > 2100 {
			return fail("time", "%q is not a month YYYY-MM from 2000 to 2100 (an indicator counts a month)", clip(timeRaw))
		}
		obs.ObservedAt = m
		if valueRaw == "" {
			return fail("value", "missing: an indicator is a count")
		}
	} else {
		var t time.Time
		if len(timeRaw) == len("2006-01-02") {
			t, r = dateOrTime(timeRaw)
		} else {
			t, r = incidentTime(timeRaw, time.Now())
		}
		if r != "" {
			return fail("time", "%s", r)
		}
		obs.ObservedAt = t
	}
	obs.Value = 1
	if valueRaw != "" {
		v, err := strconv.Atoi(valueRaw)
		if err != nil || v < 0 || v > maxObservationValue {
			return fail("value", "%q is not a whole number from 0 to %d", clip(valueRaw), maxObservationValue)
		}
		obs.Value = v
	}
	switch class {
	case lagesbild.ClassOppen, lagesbild.ClassSekretess:
		obs.Classification = class
	case "":
		return fail("classification", "missing: oppen or sekretess")
	default:
		return fail("classification", "%q is not oppen or sekretess", clip(class))
	}
	if decision != "" && !decisionPattern.MatchString(decision) {
		return fail("decision", "%q is not a samverkansbeslut id", clip(decision))
	}
	obs.DecisionID = decision

	// The place: exactly one of a point, an area (id or polygon) and a cell.
	mp, hasPolygon, pf, pr := row.polygon()
	if pr != "" {
		return fail(pf, "%s", pr)
	}
	hasPoint := false
	if g, isGeo := row.(geoObservationRow); isGeo {
		hasPoint = g.hasPoint()
	} else {
		for _, c := range []string{"lat", "lon", "x", "y"} {
			if v, _ := row.value(c); v != "" {
				hasPoint = true
			}
		}
	}
	n := 0
	for _, b := range []bool{hasPoint, hasPolygon, areaID != "", cell != ""} {
		if b {
			n++
		}
	}
	switch {
	case n == 0:
		return fail("area_id", "missing place: give a point (lat/lon or x/y), an area_id, an h3 cell or a polygon")
	case n > 1:
		return fail("area_id", "give one place: a point, an area_id, an h3 cell or a polygon, not several")
	case hasPoint:
		if obs.Kind == lagesbild.ObservationIndicator {
			return fail("geometry", "an indicator is per area or H3 cell, not a point")
		}
		p, f, r := row.point()
		if r != "" {
			return fail(f, "%s", r)
		}
		obs.Point, obs.Precision = p, lagesbild.PrecisionExact
	case hasPolygon:
		obs.Polygon, obs.Precision = mp, lagesbild.PrecisionArea
	case areaID != "":
		if !areaIDPattern.MatchString(areaID) {
			return fail("area_id", "%q is not an area id such as 2025-SO9", clip(areaID))
		}
		obs.AreaID, obs.Precision = areaID, lagesbild.PrecisionArea
	default:
		h, err := strconv.ParseUint(cell, 16, 64)
		res := -1
		if err == nil {
			res, err = hexgrid.Resolution(h)
		}
		if err != nil || res < 5 || res > 9 {
			return fail("h3", "%q is not an H3 cell of resolution 5–9 (hex, e.g. 881f1d4887fffff)", clip(cell))
		}
		obs.H3, obs.Polygon, obs.Precision = cell, hexgrid.Boundary(h), lagesbild.PrecisionCell
	}
	return obs, "", ""
}
