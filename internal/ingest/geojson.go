package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

type geojsonReader struct {
	core   incidentCore
	stream featureStream
	err    error
}

// NewGeoJSONReader reads agency incidents from a GeoJSON FeatureCollection of Point features
// in WGS84 (or SWEREF 99 TM when the legacy crs member names EPSG:3006). Properties are those
// of the CSV (source_id, occurred_at, category, agency, classification, samverkan_id; names
// case-insensitive, strings or numbers); the feature's id stands in for a missing source_id.
// A feature whose geometry is not a Point in Sweden is rejected on field "geometry". Errors
// give the line where the feature starts.
func NewGeoJSONReader(r io.Reader, file, source string, t *Taxonomy, opts ...Option) IncidentReader {
	in, err := newJSONInput(r, file)
	g := &geojsonReader{core: newIncidentCore(file, source, t, opts), stream: featureStream{in: in}}
	if err != nil {
		g.err = ioError(file, err)
	} else {
		g.err = g.core.checkSource()
	}
	return g
}

func (r *geojsonReader) UnknownTypes() map[string]int { return r.core.cat.unknownTypes() }

func (r *geojsonReader) Next() (lagesbild.Incident, error) {
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
	ft, field, reason := decodeFeature(raw)
	if reason != "" {
		return lagesbild.Incident{}, invalidf(r.core.file, line, field, "%s", reason)
	}
	var f incidentFields
	for _, p := range []struct {
		name string
		dst  *string
	}{
		{"source_id", &f.sourceID}, {"occurred_at", &f.occurredAt}, {"category", &f.category},
		{"agency", &f.agency}, {"classification", &f.classification}, {"samverkan_id", &f.samverkanID},
	} {
		v, reason := ft.prop(p.name)
		if reason != "" {
			return lagesbild.Incident{}, invalidf(r.core.file, line, p.name, "%s", reason)
		}
		*p.dst = v
	}
	if f.sourceID == "" {
		f.sourceID = ft.id
	}
	var loc located
	if ft.geometry == nil {
		loc.field, loc.reason = "geometry", "missing: an incident needs a Point"
	} else if loc.point, loc.reason = ft.geometry.point(r.stream.sweref); loc.reason != "" {
		loc.field = "geometry"
	}
	inc, field, reason := r.core.build(&f, loc)
	if reason != "" {
		return lagesbild.Incident{}, invalidf(r.core.file, line, field, "%s", reason)
	}
	inc.Line = line
	return inc, nil
}

// feature is a decoded GeoJSON feature.
type feature struct {
	id       string                     // the feature id as text, "" when absent
	props    map[string]json.RawMessage // property names in lower case
	geometry *geometry                  // nil for "geometry": null
}

type geometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// decodeFeature checks the feature's shape; it returns the field and reason of a problem.
func decodeFeature(raw json.RawMessage) (*feature, string, string) {
	var f struct {
		Type       string          `json:"type"`
		ID         json.RawMessage `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, te.Field, "has the wrong JSON type"
		}
		return nil, "", "a feature must be a JSON object"
	}
	if f.Type != "Feature" {
		return nil, "type", fmt.Sprintf("%q is not Feature", clip(f.Type))
	}
	ft := &feature{props: map[string]json.RawMessage{}}
	id, reason := scalar(f.ID)
	if reason != "" {
		return nil, "id", reason
	}
	ft.id = id
	if len(f.Properties) > 0 && !isNull(f.Properties) {
		var props map[string]json.RawMessage
		if json.Unmarshal(f.Properties, &props) != nil {
			return nil, "properties", "must be an object"
		}
		for k, v := range props {
			name := strings.ToLower(strings.TrimSpace(k))
			if _, dup := ft.props[name]; dup {
				// Names are case-insensitive; which of two spellings wins must not depend
				// on map order.
				return nil, "properties", fmt.Sprintf("%q is given twice (names are case-insensitive)", clip(name))
			}
			ft.props[name] = v
		}
	}
	if len(f.Geometry) > 0 && !isNull(f.Geometry) {
		var g geometry
		if json.Unmarshal(f.Geometry, &g) != nil {
			return nil, "geometry", "must be a GeoJSON geometry object"
		}
		ft.geometry = &g
	}
	return ft, "", ""
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// prop returns a property as text: strings as they are, numbers as written, null or absent as
// "". Objects, arrays and booleans are rejected: no property of these feeds is one.
func (f *feature) prop(name string) (string, string) {
	return scalar(f.props[name])
}

func scalar(raw json.RawMessage) (string, string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || isNull(raw) {
		return "", ""
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", "is not a valid string"
		}
		return strings.TrimSpace(s), ""
	case c == '-' || c >= '0' && c <= '9':
		return string(raw), ""
	}
	return "", "must be a string or a number"
}

// point reads a Point geometry; sweref says its coordinates are SWEREF 99 TM metres.
func (g *geometry) point(sweref bool) (orb.Point, string) {
	if g.Type != "Point" {
		return orb.Point{}, fmt.Sprintf("%q is not a Point", clip(g.Type))
	}
	var c []float64
	if json.Unmarshal(g.Coordinates, &c) != nil || len(c) < 2 || len(c) > 3 {
		return orb.Point{}, "Point coordinates must be [lon, lat] numbers"
	}
	return position(c, sweref)
}

// position turns one GeoJSON position into a WGS84 point inside Sweden.
func position(c []float64, sweref bool) (orb.Point, string) {
	if sweref {
		p, _, reason := swerefPoint(c[0], c[1])
		return p, reason
	}
	p := orb.Point{c[0], c[1]}
	if !inSweden(p) {
		if inSweden(orb.Point{c[1], c[0]}) {
			return orb.Point{}, fmt.Sprintf("(%g, %g) is outside Sweden; GeoJSON positions are [lon, lat], these look swapped", c[0], c[1])
		}
		return orb.Point{}, fmt.Sprintf("(%g, %g) is outside Sweden (lon %g–%g, lat %g–%g)", c[0], c[1], minLon, maxLon, minLat, maxLat)
	}
	return p, ""
}

// Limits on polygon size: an operation area is a few hundred vertices; the caps keep a broken
// or hostile file from making one record arbitrarily expensive downstream.
const (
	maxPolygons = 1000
	maxVertices = 100000
)

// polygons reads a Polygon or MultiPolygon geometry. Rings must be closed with at least four
// positions, as GeoJSON requires; an unclosed ring is rejected rather than closed silently,
// because it usually means a truncated export.
func (g *geometry) polygons(sweref bool) (orb.MultiPolygon, string) {
	var polys [][][][]float64
	switch g.Type {
	case "Polygon":
		var p [][][]float64
		if json.Unmarshal(g.Coordinates, &p) != nil {
			return nil, "Polygon coordinates must be an array of rings of [lon, lat] positions"
		}
		polys = [][][][]float64{p}
	case "MultiPolygon":
		if json.Unmarshal(g.Coordinates, &polys) != nil {
			return nil, "MultiPolygon coordinates must be an array of polygons"
		}
	default:
		return nil, fmt.Sprintf("%q is not a Polygon or MultiPolygon", clip(g.Type))
	}
	if len(polys) == 0 {
		return nil, "the polygon is empty"
	}
	if len(polys) > maxPolygons {
		return nil, fmt.Sprintf("more than %d polygons", maxPolygons)
	}
	mp := make(orb.MultiPolygon, 0, len(polys))
	vertices := 0
	for _, p := range polys {
		if len(p) == 0 {
			return nil, "a polygon has no rings"
		}
		poly := make(orb.Polygon, 0, len(p))
		for _, ring := range p {
			vertices += len(ring)
			if vertices > maxVertices {
				return nil, fmt.Sprintf("more than %d vertices", maxVertices)
			}
			if len(ring) < 4 {
				return nil, "a ring needs at least 4 positions"
			}
			r := make(orb.Ring, len(ring))
			for i, c := range ring {
				if len(c) < 2 || len(c) > 3 {
					return nil, "a position must be [lon, lat]"
				}
				pt, reason := position(c, sweref)
				if reason != "" {
					return nil, reason
				}
				r[i] = pt
			}
			if !ringClosed(ring) {
				return nil, "a ring is not closed (its first and last positions differ)"
			}
			poly = append(poly, r)
		}
		mp = append(mp, poly)
	}
	return mp, ""
}

// ringClosed compares the source positions, not the projected points, so that closure does not
// depend on floating-point rounding in the projection.
func ringClosed(ring [][]float64) bool {
	a, b := ring[0], ring[len(ring)-1]
	return a[0] == b[0] && a[1] == b[1] && !math.IsNaN(a[0])
}
