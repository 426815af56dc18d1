package ingest

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

func readGeoJSON(t *testing.T, in string) (drained[lagesbild.Incident], IncidentReader) {
	t.Helper()
	r := NewGeoJSONReader(strings.NewReader(in), "in.geojson", "kbv-system", testTaxonomy(t), WithNow(testNow))
	return drain(t, r.Next), r
}

const geojsonIncidents = `{
  "type": "FeatureCollection",
  "name": "incidents",
  "features": [
    {
      "type": "Feature",
      "id": 17,
      "geometry": {"type": "Point", "coordinates": [18.068581, 59.329324]},
      "properties": {"occurred_at": "2025-03-01 14:05", "category": "narkotikasmuggling", "agency": "Tullverket", "samverkan_id": "SV-1"}
    },
    {
      "type": "Feature",
      "geometry": {"type": "Point", "coordinates": [18.068581, 59.329324, 12.5]},
      "properties": {"Source_ID": "x-2", "occurred_at": "2025-03-01T13:05:00Z", "category": "Okänd kategori", "agency": "kbv", "classification": null}
    }
  ]
}`

func TestGeoJSONRecords(t *testing.T) {
	d, r := readGeoJSON(t, geojsonIncidents)
	if d.fatal != nil || len(d.errs) > 0 || len(d.records) != 2 {
		t.Fatalf("got %+v", d)
	}
	want := lagesbild.Incident{
		Source: "kbv-system", SourceID: "17", OccurredAt: utc("2025-03-01T13:05:00Z"),
		Category: "narkotikasmuggling", Group: lagesbild.GroupNarkotika, Agency: "tv", SamverkanID: "SV-1",
		Precision: lagesbild.PrecisionExact, Point: orb.Point{18.068581, 59.329324}, Line: 5,
	}
	if d.records[0] != want {
		t.Errorf("got  %+v\nwant %+v", d.records[0], want)
	}
	if got := d.records[1]; got.Line != 11 || got.SourceID != "x-2" || got.Group != lagesbild.GroupOvrigt || got.Agency != "kbv" {
		t.Errorf("second record %+v", got)
	}
	if u := r.UnknownTypes(); u["Okänd kategori"] != 1 {
		t.Errorf("UnknownTypes = %v", u)
	}
}

func TestGeoJSONSwerefCRSAndBOM(t *testing.T) {
	in := "\uFEFF" + strings.ReplaceAll(`{"type": "FeatureCollection",
"crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:EPSG::3006" } },
"features": [
{"type": "Feature", "geometry": {"type": "Point", "coordinates": [674570.6629, 6580745.6292]},
 "properties": {"source_id": 1, "occurred_at": "2025-03-01T13:05:00Z", "category": "rån", "agency": "pm"}}
]}`, "\n", "\r\n")
	d, _ := readGeoJSON(t, in)
	if d.fatal != nil || len(d.errs) > 0 || len(d.records) != 1 {
		t.Fatalf("got %+v", d)
	}
	if p := d.records[0].Point; !near(p, orb.Point{18.068581, 59.329324}, 1e-6) {
		t.Errorf("Point = %v", p)
	}
}

func TestGeoJSONBadFeatures(t *testing.T) {
	props := `"properties": {"source_id": "a", "occurred_at": "2025-03-01T13:05:00Z", "category": "rån", "agency": "pm"}`
	pt := `"geometry": {"type": "Point", "coordinates": [18.0, 59.3]}`
	features := []string{
		`{"type": "Feature", ` + pt + `, ` + props + `}`,                                                                                                // 3
		`{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[18, 59], [18.1, 59]]}, ` + props + `}`,                                 // 4
		`{"type": "Feature", "geometry": null, ` + props + `}`,                                                                                          // 5
		`{"type": "Feature", "geometry": {"type": "Point", "coordinates": [59.3, 18.0]}, ` + props + `}`,                                                // 6
		`{"type": "Feature", "geometry": {"type": "Point", "coordinates": [2.35, 48.85]}, ` + props + `}`,                                               // 7
		`{"type": "Feature", ` + pt + `, "properties": {"occurred_at": "2025-03-01T13:05:00Z", "category": "rån", "agency": "pm"}}`,                     // 8
		`{"type": "Feature", ` + pt + `, "properties": {"source_id": "a", "occurred_at": "2025-03-01T13:05:00Z", "category": ["rån"], "agency": "pm"}}`, // 9
		`{"type": "Feature", ` + pt + `, "properties": {"source_id": "a", "occurred_at": "2025-03-01T13:05:00Z", "category": "rån", "agency": "xx"}}`,   // 10
		`{"type": "Feat", ` + pt + `, ` + props + `}`,                                                                                                   // 11
		`[1, 2]`, // 12
		`{"type": "Feature", "geometry": {"type": "Point", "coordinates": [18.0]}, ` + props + `}`,        // 13
		`{"type": "Feature", "geometry": {"type": "Point", "coordinates": [1e999, 59.3]}, ` + props + `}`, // 14
		`{"type": "Feature", ` + pt + `, ` + props + `}`,                                                  // 15
	}
	in := "{\"type\": \"FeatureCollection\",\n\"features\": [\n" + strings.Join(features, ",\n") + "\n]}\n"
	d, _ := readGeoJSON(t, in)
	if d.fatal != nil {
		t.Fatalf("fatal: %v", d.fatal)
	}
	want := []string{
		`in.geojson:4: geometry: "LineString" is not a Point`,
		"in.geojson:5: geometry: missing: an incident needs a Point",
		"in.geojson:6: geometry: (59.3, 18) is outside Sweden; GeoJSON positions are [lon, lat], these look swapped",
		"in.geojson:7: geometry: (2.35, 48.85) is outside Sweden (lon 10.5–24.5, lat 55–69.5)",
		"in.geojson:8: source_id: missing",
		"in.geojson:9: category: must be a string or a number",
		`in.geojson:10: agency: "xx" is not an agency code (pm, am, ebm, sapo, skv, kvv, kfm, kbv, tv, mv, fk, af, ubm) or an agency's full name`,
		`in.geojson:11: type: "Feat" is not Feature`,
		"in.geojson:12: a feature must be a JSON object",
		"in.geojson:13: geometry: Point coordinates must be [lon, lat] numbers",
		"in.geojson:14: geometry: Point coordinates must be [lon, lat] numbers",
	}
	if !equalStrings(d.errs, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(d.errs, "\n"), strings.Join(want, "\n"))
	}
	if len(d.records) != 2 {
		t.Errorf("%d records, want 2", len(d.records))
	}
}

func TestGeoJSONFatal(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", "in.geojson:1: empty input: expected a GeoJSON FeatureCollection"},
		{"array", "[]", "in.geojson:1: expected a GeoJSON FeatureCollection object, found '['"},
		{"single feature", `{"type": "Feature", "geometry": null}`, `in.geojson:1: type: expected a GeoJSON FeatureCollection, found "Feature"`},
		{"no features", `{"type": "FeatureCollection"}`, "in.geojson:1: features: the FeatureCollection has no features array"},
		{"features not an array", `{"type": "FeatureCollection", "features": {}}`, "in.geojson:1: features: must be an array"},
		{"other crs", `{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:3021"}}, "features": []}`, `in.geojson:1: crs: "EPSG:3021" is not supported`},
		{"truncated", "{\"type\": \"FeatureCollection\",\n\"features\": [\n{\"type\": \"Feature\"", "in.geojson:3: invalid JSON: unexpected end of input"},
		{"syntax", "{\"type\": \"FeatureCollection\",\n\"features\": [\n{\"type\" \"Feature\"}]}", "in.geojson:3: invalid JSON"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, _ := readGeoJSON(t, c.in)
			if d.fatal == nil || !strings.HasPrefix(d.fatal.Error(), c.want) || isRecordError(d.fatal) {
				t.Errorf("fatal = %v, want %q", d.fatal, c.want)
			}
		})
	}
	d, _ := readGeoJSON(t, `{"features": null, "type": "FeatureCollection"}`)
	if d.fatal != nil || len(d.records) != 0 {
		t.Errorf("null features: %+v", d)
	}
}

func TestGeoJSONDuplicateProperty(t *testing.T) {
	in := `{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [18.0, 59.3]},
"properties": {"source_id": "a", "occurred_at": "2025-03-01T13:05:00Z", "Category": "rån", "category": "mord", "agency": "pm"}}]}`
	d, _ := readGeoJSON(t, in)
	want := []string{`in.geojson:1: properties: "category" is given twice (names are case-insensitive)`}
	if d.fatal != nil || !equalStrings(d.errs, want) {
		t.Errorf("got %+v, want %v", d, want)
	}
}
