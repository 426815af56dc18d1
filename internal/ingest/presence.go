package ingest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// areaIDPattern is the syntax of an area id, as internal/httpapi accepts it; whether the area
// exists is the store's business.
var areaIDPattern = regexp.MustCompile(`^[0-9]{4}-(SO|UOP)[0-9]{1,6}$`)

// Upper bounds that catch unit mistakes (minutes for hours) without judging real values.
const (
	maxStaffedHours = 168 // hours in a week
	maxPersonHours  = 1e8
)

// presenceRow gives the presence validator one record's values, whatever the format.
type presenceRow interface {
	// value returns a field's trimmed text, or the reason it cannot be read as text.
	value(name string) (string, string)
	// line is the line to report for a field.
	line(name string) int
	// point returns the record's WGS84 point, or the field and reason it failed on.
	point() (orb.Point, string, string)
	// polygon returns the record's polygon if it has one, or the field and reason it failed on.
	polygon() (mp orb.MultiPolygon, present bool, field, reason string)
}

type presenceReader struct {
	file, source, format string
	r                    io.Reader
	tab                  *table
	stream               *featureStream
	err                  error
}

// NewPresenceReader reads agency presence — offices and joint operations (insatser) — from
// CSV or GeoJSON; format is "csv", "geojson", or "" to decide from the first byte ('{' is
// GeoJSON). One file may mix both kinds; the kind column or property decides:
//
//	kind=office (or kontor): source_id, agency (code or name), name, a point (lat/lon or x/y
//	  columns in CSV, a Point geometry in GeoJSON), staffed_hours_per_week (0–168).
//	kind=operation (or insats): source_id, name, agencies (one or more agency codes or names
//	  separated by "|"; in GeoJSON also a JSON array), area_id (e.g. 2025-SO9) or — GeoJSON
//	  only — a Polygon/MultiPolygon geometry instead, start and end (YYYY-MM-DD, midnight
//	  Europe/Stockholm, or RFC 3339; end not before start; a date-only end is stored as that
//	  day's midnight, so "through the 31st" is written 2025-03-31), person_hours (≥ 0),
//	  optional samverkan_id.
//
// The CSV dialect is that of NewCSVReader; kind, source_id and name are required columns.
func NewPresenceReader(r io.Reader, file, source, format string) PresenceReader {
	return &presenceReader{file: file, source: strings.TrimSpace(source), format: strings.ToLower(strings.TrimSpace(format)), r: r}
}

func (p *presenceReader) open() error {
	if p.source == "" {
		return fatalf(p.file, 0, "source", "the import needs a source name (the agency system or feed)")
	}
	br, err := input(p.r)
	if err != nil {
		return ioError(p.file, err)
	}
	format := p.format
	if format == "" {
		format = sniffFormat(br)
	}
	switch format {
	case "csv":
		tab, err := newTable(br, p.file)
		if err != nil {
			return err
		}
		if err := tab.require("kind", "source_id", "name"); err != nil {
			return err
		}
		p.tab = tab
	case "geojson", "json":
		in, err := newJSONInput(br, p.file)
		if err != nil {
			return ioError(p.file, err)
		}
		p.stream = &featureStream{in: in}
	default:
		return fatalf(p.file, 0, "format", "%q is not csv or geojson", clip(p.format))
	}
	return nil
}

// sniffFormat looks at the first non-blank byte: a JSON document starts with '{' or '['.
func sniffFormat(br *bufio.Reader) string {
	b, _ := br.Peek(br.Size())
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return "geojson"
		}
		break
	}
	return "csv"
}

func (p *presenceReader) Next() (PresenceRecord, error) {
	if p.err != nil {
		return PresenceRecord{}, p.err
	}
	if p.tab == nil && p.stream == nil {
		if err := p.open(); err != nil {
			p.err = err
			return PresenceRecord{}, err
		}
	}
	var row presenceRow
	if p.tab != nil {
		if err := p.tab.next(); err != nil {
			if !errors.Is(err, io.EOF) && !isRecordError(err) {
				p.err = err
			}
			return PresenceRecord{}, err
		}
		row = csvPresenceRow{p.tab}
	} else {
		raw, line, err := p.stream.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.err = err
			}
			return PresenceRecord{}, err
		}
		ft, field, reason := decodeFeature(raw)
		if reason != "" {
			return PresenceRecord{}, invalidf(p.file, line, field, "%s", reason)
		}
		row = geoPresenceRow{ft: ft, ln: line, sweref: p.stream.sweref}
	}
	rec, field, reason := p.build(row)
	if reason != "" {
		return PresenceRecord{}, invalidf(p.file, row.line(field), field, "%s", reason)
	}
	line := row.line("")
	if rec.Office != nil {
		rec.Office.Line = line
	} else {
		rec.Operation.Line = line
	}
	return rec, nil
}

// build validates one presence record; on failure it returns the field and reason.
func (p *presenceReader) build(row presenceRow) (rec PresenceRecord, field, reason string) {
	var raw [3]string
	for i, name := range []string{"kind", "source_id", "name"} {
		if raw[i], reason = row.value(name); reason != "" {
			return rec, name, reason
		}
	}
	kind, sourceIDRaw, nameRaw := strings.ToLower(raw[0]), raw[1], raw[2]
	sourceID, reason := ident(sourceIDRaw, maxIDLen)
	if reason == "" && sourceID == "" {
		reason = "missing"
	}
	if reason != "" {
		return rec, "source_id", reason
	}
	name := text(nameRaw)
	if name == "" {
		return rec, "name", "missing"
	}
	if len([]rune(name)) > maxIDLen {
		return rec, "name", fmt.Sprintf("is longer than %d characters", maxIDLen)
	}
	switch kind {
	case "office", "kontor":
		return p.office(row, sourceID, name)
	case "operation", "insats":
		return p.operation(row, sourceID, name)
	case "":
		return rec, "kind", "missing: office or operation"
	}
	return rec, "kind", fmt.Sprintf("%q is not office or operation", clip(kind))
}

func (p *presenceReader) office(row presenceRow, sourceID, name string) (PresenceRecord, string, string) {
	agencyRaw, reason := row.value("agency")
	if reason != "" {
		return PresenceRecord{}, "agency", reason
	}
	if agencyRaw == "" {
		return PresenceRecord{}, "agency", "missing"
	}
	agency, ok := agencyCode(agencyRaw)
	if !ok {
		return PresenceRecord{}, "agency", unknownAgency(agencyRaw)
	}
	if _, present, _, _ := row.polygon(); present {
		return PresenceRecord{}, "geometry", "an office is a Point, not a polygon"
	}
	pt, field, reason := row.point()
	if reason != "" {
		return PresenceRecord{}, field, reason
	}
	hoursRaw, reason := row.value("staffed_hours_per_week")
	if reason != "" {
		return PresenceRecord{}, "staffed_hours_per_week", reason
	}
	hours, reason := decimal(hoursRaw)
	if reason == "" && !(hours >= 0 && hours <= maxStaffedHours) {
		reason = fmt.Sprintf("%g is outside 0–%d", hours, maxStaffedHours)
	}
	if reason != "" {
		return PresenceRecord{}, "staffed_hours_per_week", reason
	}
	return PresenceRecord{Office: &lagesbild.Office{
		Source: p.source, SourceID: sourceID, Agency: agency, Name: name, Point: pt, StaffedHoursPerWeek: hours,
	}}, "", ""
}

func (p *presenceReader) operation(row presenceRow, sourceID, name string) (PresenceRecord, string, string) {
	op := &lagesbild.Operation{Source: p.source, SourceID: sourceID, Name: name}
	agenciesRaw, reason := row.value("agencies")
	if reason != "" {
		return PresenceRecord{}, "agencies", reason
	}
	if op.Agencies, reason = agencyList(agenciesRaw); reason != "" {
		return PresenceRecord{}, "agencies", reason
	}
	areaID, reason := row.value("area_id")
	if reason != "" {
		return PresenceRecord{}, "area_id", reason
	}
	mp, present, polyField, reason := row.polygon()
	if reason != "" {
		return PresenceRecord{}, polyField, reason
	}
	switch {
	case areaID != "" && present:
		return PresenceRecord{}, "area_id", "give an area_id or a polygon geometry, not both"
	case present:
		op.Polygon = mp
	case areaID == "":
		return PresenceRecord{}, "area_id", "missing: give an area id such as 2025-SO9 (or, in GeoJSON, a Polygon geometry)"
	case !areaIDPattern.MatchString(areaID):
		return PresenceRecord{}, "area_id", fmt.Sprintf("%q is not an area id such as 2025-SO9 or 2019-UOP12", clip(areaID))
	default:
		op.AreaID = areaID
	}
	var field string
	if op.Start, field, reason = dateField(row, "start"); reason == "" {
		op.End, field, reason = dateField(row, "end")
	}
	if reason != "" {
		return PresenceRecord{}, field, reason
	}
	if op.End.Before(op.Start) {
		return PresenceRecord{}, "end", fmt.Sprintf("%s is before start %s", op.End.Format("2006-01-02T15:04Z07:00"), op.Start.Format("2006-01-02T15:04Z07:00"))
	}
	hoursRaw, reason := row.value("person_hours")
	if reason != "" {
		return PresenceRecord{}, "person_hours", reason
	}
	hours, reason := decimal(hoursRaw)
	if reason == "" && !(hours >= 0 && hours <= maxPersonHours) {
		reason = fmt.Sprintf("%g is outside 0–%g", hours, float64(maxPersonHours))
	}
	if reason != "" {
		return PresenceRecord{}, "person_hours", reason
	}
	op.PersonHours = hours
	samverkanRaw, reason := row.value("samverkan_id")
	if reason == "" {
		op.SamverkanID, reason = ident(samverkanRaw, maxIDLen)
	}
	if reason != "" {
		return PresenceRecord{}, "samverkan_id", reason
	}
	return PresenceRecord{Operation: op}, "", ""
}

// dateField reads a required start or end.
func dateField(row presenceRow, name string) (time.Time, string, string) {
	v, reason := row.value(name)
	if reason == "" && v == "" {
		reason = "missing"
	}
	var t time.Time
	if reason == "" {
		t, reason = dateOrTime(v)
	}
	if reason != "" {
		return time.Time{}, name, reason
	}
	return t, "", ""
}

// agencyList splits the agencies field on "|" — not "," or ";", which are CSV delimiters and
// would need quoting — and resolves each to a code, in order and without repeats.
func agencyList(s string) ([]string, string) {
	if s == "" {
		return nil, "missing: one or more agency codes separated by |"
	}
	if strings.ContainsAny(s, ",;") {
		return nil, fmt.Sprintf("%q: separate agencies with | (e.g. pm|skv|fk)", clip(s))
	}
	var codes []string
	for _, part := range strings.Split(s, "|") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Sprintf("%q has an empty entry", clip(s))
		}
		code, ok := agencyCode(part)
		if !ok {
			return nil, unknownAgency(part)
		}
		dup := false
		for _, c := range codes {
			dup = dup || c == code
		}
		if !dup {
			codes = append(codes, code)
		}
	}
	return codes, ""
}

// csvPresenceRow adapts the current CSV row.
type csvPresenceRow struct{ t *table }

func (r csvPresenceRow) value(name string) (string, string) { return r.t.get(r.t.col(name)), "" }

func (r csvPresenceRow) line(name string) int { return r.t.lineOf(r.t.col(name)) }

func (r csvPresenceRow) point() (orb.Point, string, string) {
	t := r.t
	return pointFrom(t.get(t.col("lat")), t.get(t.col("lon")), t.get(t.col("x")), t.get(t.col("y")))
}

// polygon: a CSV cannot carry one; operations in CSV use area_id.
func (r csvPresenceRow) polygon() (orb.MultiPolygon, bool, string, string) { return nil, false, "", "" }

// geoPresenceRow adapts a GeoJSON feature.
type geoPresenceRow struct {
	ft     *feature
	ln     int
	sweref bool
}

func (r geoPresenceRow) value(name string) (string, string) {
	if name == "agencies" {
		return r.agencies()
	}
	return r.ft.prop(name)
}

// agencies also takes a JSON array of strings, the natural GeoJSON form of a list.
func (r geoPresenceRow) agencies() (string, string) {
	raw := r.ft.props["agencies"]
	if len(raw) == 0 || raw[0] != '[' {
		return r.ft.prop("agencies")
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return "", "must be a string like \"pm|skv\" or an array of strings"
	}
	for _, s := range list {
		if strings.ContainsAny(s, "|,;") {
			return "", fmt.Sprintf("%q: an array entry must be one agency", clip(s))
		}
	}
	return strings.Join(list, "|"), ""
}

func (r geoPresenceRow) line(string) int { return r.ln }

func (r geoPresenceRow) point() (orb.Point, string, string) {
	if r.ft.geometry == nil {
		return orb.Point{}, "geometry", "missing: an office needs a Point"
	}
	p, reason := r.ft.geometry.point(r.sweref)
	if reason != "" {
		return orb.Point{}, "geometry", reason
	}
	return p, "", ""
}

func (r geoPresenceRow) polygon() (orb.MultiPolygon, bool, string, string) {
	g := r.ft.geometry
	if g == nil {
		return nil, false, "", ""
	}
	if g.Type == "Point" {
		return nil, false, "geometry", "an operation needs a Polygon or MultiPolygon geometry (or null with an area_id)"
	}
	mp, reason := g.polygons(r.sweref)
	if reason != "" {
		return nil, true, "geometry", reason
	}
	return mp, true, "", ""
}
