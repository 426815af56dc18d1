package ingest

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

func readPresence(t *testing.T, in, format string) drained[PresenceRecord] {
	t.Helper()
	return drain(t, NewPresenceReader(strings.NewReader(in), "p.csv", "samverkan-register", format).Next)
}

func stockholmDay(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, stockholm()).UTC()
}

func TestPresenceCSV(t *testing.T) {
	in := "\uFEFFkind;source_id;agency;name;lat;lon;x;y;staffed_hours_per_week;area_id;agencies;start;end;person_hours;samverkan_id\r\n" +
		"office;K1;Skatteverket;Servicekontor Rinkeby;59,388;17,928;;;37,5;;;;;;\r\n" +
		"kontor;K2;fk;Servicekontor Husby;;;674570.6629;6580745.6292;40;;;;;;\r\n" +
		"operation;O1;;Insats Järva;;;;;;2025-SO9;pm|skv|Försäkringskassan|pm;2025-03-01;2025-03-31;1200;SV-2025-3\r\n" +
		"insats;O2;;Insats 2;;;;;;2019-UOP12;tv;2025-03-01T08:00:00+01:00;2025-03-01T16:00:00+01:00;0;\r\n"
	for _, format := range []string{"csv", ""} {
		d := readPresence(t, in, format)
		if d.fatal != nil || len(d.errs) > 0 || len(d.records) != 4 {
			t.Fatalf("format %q: got %+v", format, d)
		}
		o1 := d.records[0].Office
		if o1 == nil || d.records[0].Operation != nil {
			t.Fatalf("record 0 = %+v, want an office", d.records[0])
		}
		want := lagesbild.Office{Source: "samverkan-register", SourceID: "K1", Agency: "skv", Name: "Servicekontor Rinkeby", Point: orb.Point{17.928, 59.388}, StaffedHoursPerWeek: 37.5, Line: 2}
		if *o1 != want {
			t.Errorf("office = %+v, want %+v", *o1, want)
		}
		if o2 := d.records[1].Office; o2 == nil || !near(o2.Point, orb.Point{18.068581, 59.329324}, 1e-6) || o2.Agency != "fk" {
			t.Errorf("SWEREF office = %+v", d.records[1])
		}
		op := d.records[2].Operation
		wantOp := lagesbild.Operation{
			Source: "samverkan-register", SourceID: "O1", Name: "Insats Järva", AreaID: "2025-SO9",
			Agencies: []string{"pm", "skv", "fk"}, Start: stockholmDay(2025, 3, 1), End: stockholmDay(2025, 3, 31),
			PersonHours: 1200, SamverkanID: "SV-2025-3", Line: 4,
		}
		if op == nil || !reflect.DeepEqual(*op, wantOp) {
			t.Errorf("operation = %+v, want %+v", op, wantOp)
		}
		if op2 := d.records[3].Operation; op2 == nil || !op2.Start.Equal(utc("2025-03-01T07:00:00Z")) || op2.AreaID != "2019-UOP12" {
			t.Errorf("operation 2 = %+v", d.records[3])
		}
	}
}

func TestPresenceGeoJSON(t *testing.T) {
	in := `{"type": "FeatureCollection", "features": [
{"type": "Feature", "geometry": {"type": "Point", "coordinates": [17.928, 59.388]},
 "properties": {"kind": "office", "source_id": "K1", "agency": "skv", "name": "Servicekontor", "staffed_hours_per_week": 40}},
{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[17.9, 59.4], [17.95, 59.4], [17.95, 59.42], [17.9, 59.4]]]},
 "properties": {"kind": "operation", "source_id": "O1", "name": "Insats", "agencies": ["pm", "kfm"], "start": "2025-03-01", "end": "2025-03-01", "person_hours": 10.5}},
{"type": "Feature", "geometry": null,
 "properties": {"kind": "operation", "source_id": "O2", "name": "Insats", "agencies": "pm|kfm", "area_id": "2025-SO9", "start": "2025-03-01", "end": "2025-03-02", "person_hours": "3,5"}}
]}`
	d := readPresence(t, in, "")
	if d.fatal != nil || len(d.errs) > 0 || len(d.records) != 3 {
		t.Fatalf("got %+v", d)
	}
	if o := d.records[0].Office; o == nil || o.StaffedHoursPerWeek != 40 || o.Point != (orb.Point{17.928, 59.388}) {
		t.Errorf("office = %+v", d.records[0])
	}
	op := d.records[1].Operation
	wantPoly := orb.MultiPolygon{{{{17.9, 59.4}, {17.95, 59.4}, {17.95, 59.42}, {17.9, 59.4}}}}
	if op == nil || !reflect.DeepEqual(op.Polygon, wantPoly) || op.AreaID != "" || !reflect.DeepEqual(op.Agencies, []string{"pm", "kfm"}) || op.PersonHours != 10.5 {
		t.Errorf("polygon operation = %+v", op)
	}
	if op2 := d.records[2].Operation; op2 == nil || op2.Line != 6 || op2.AreaID != "2025-SO9" || op2.Polygon != nil || op2.PersonHours != 3.5 {
		t.Errorf("area operation = %+v", d.records[2])
	}
}

func TestPresenceBadCSVRows(t *testing.T) {
	rows := []string{
		"kind,source_id,agency,name,lat,lon,staffed_hours_per_week,area_id,agencies,start,end,person_hours", // 1
		"office,K1,skv,Kontor,59.3,18.0,40,,,,,",                                                            // 2 ok
		"office,K2,skv,Kontor,59.3,18.0,169,,,,,",                                                           // 3
		"office,K3,,Kontor,59.3,18.0,40,,,,,",                                                               // 4
		"office,K4,skv,Kontor,,,40,,,,,",                                                                    // 5
		"depot,K5,skv,Kontor,59.3,18.0,40,,,,,",                                                             // 6
		"operation,O6,,Insats,,,,2025-SO9,\"pm,skv\",2025-03-01,2025-03-31,10",                              // 7
		"operation,O7,,Insats,,,,2025-SO9,pm|xx,2025-03-01,2025-03-31,10",                                   // 8
		"operation,O8,,Insats,,,,Järva,pm,2025-03-01,2025-03-31,10",                                         // 9
		"operation,O9,,Insats,,,,,pm,2025-03-01,2025-03-31,10",                                              // 10
		"operation,O10,,Insats,,,,2025-SO9,pm,2025-03-31,2025-03-01,10",                                     // 11
		"operation,O11,,Insats,,,,2025-SO9,pm,2025-03-01,31/3,10",                                           // 12
		"operation,O12,,Insats,,,,2025-SO9,pm,2025-03-01,2025-03-31,-1",                                     // 13
		"operation,O13,,Insats,,,,2025-SO9,,2025-03-01,2025-03-31,1",                                        // 14
		"operation,,,Insats,,,,2025-SO9,pm,2025-03-01,2025-03-31,1",                                         // 15
		"operation,O15,,,,,,2025-SO9,pm,2025-03-01,2025-03-31,1",                                            // 16
		"operation,O16,,Insats,,,,2025-SO9,pm,2025-03-01,2025-03-31,1",                                      // 17 ok
	}
	d := readPresence(t, strings.Join(rows, "\n"), "csv")
	if d.fatal != nil {
		t.Fatalf("fatal: %v", d.fatal)
	}
	want := []string{
		"p.csv:3: staffed_hours_per_week: 169 is outside 0–168",
		"p.csv:4: agency: missing",
		"p.csv:5: lat: missing coordinates: give lat and lon (WGS84) or x and y (SWEREF 99 TM)",
		`p.csv:6: kind: "depot" is not office or operation`,
		`p.csv:7: agencies: "pm,skv": separate agencies with | (e.g. pm|skv|fk)`,
		`p.csv:8: agencies: "xx" is not an agency code (pm, am, ebm, sapo, skv, kvv, kfm, kbv, tv, mv, fk, af, ubm) or an agency's full name`,
		`p.csv:9: area_id: "Järva" is not an area id such as 2025-SO9 or 2019-UOP12`,
		"p.csv:10: area_id: missing: give an area id such as 2025-SO9 (or, in GeoJSON, a Polygon geometry)",
		"p.csv:11: end: 2025-02-28T23:00Z is before start 2025-03-30T22:00Z",
		`p.csv:12: end: "31/3" is not a date YYYY-MM-DD or an RFC 3339 time`,
		"p.csv:13: person_hours: -1 is outside 0–1e+08",
		"p.csv:14: agencies: missing: one or more agency codes separated by |",
		"p.csv:15: source_id: missing",
		"p.csv:16: name: missing",
	}
	if !equalStrings(d.errs, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(d.errs, "\n"), strings.Join(want, "\n"))
	}
	if len(d.records) != 2 {
		t.Errorf("%d records, want 2", len(d.records))
	}
}

func TestPresenceBadFeatures(t *testing.T) {
	op := `"kind": "operation", "source_id": "O", "name": "Insats", "agencies": "pm", "start": "2025-03-01", "end": "2025-03-02", "person_hours": 1`
	poly := `{"type": "Polygon", "coordinates": [[[17.9, 59.4], [17.95, 59.4], [17.95, 59.42], [17.9, 59.4]]]}`
	features := []string{
		`{"type": "Feature", "geometry": ` + poly + `, "properties": {` + op + `, "area_id": "2025-SO9"}}`,                                                                    // 3
		`{"type": "Feature", "geometry": {"type": "Point", "coordinates": [17.9, 59.4]}, "properties": {` + op + `}}`,                                                         // 4
		`{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[17.9, 59.4], [17.95, 59.4], [17.95, 59.42], [17.91, 59.4]]]}, "properties": {` + op + `}}`,     // 5
		`{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[17.9, 59.4], [17.95, 59.4], [17.9, 59.4]]]}, "properties": {` + op + `}}`,                      // 6
		`{"type": "Feature", "geometry": {"type": "MultiPolygon", "coordinates": [[[[1.9, 59.4], [17.95, 59.4], [17.95, 59.42], [1.9, 59.4]]]]}, "properties": {` + op + `}}`, // 7
		`{"type": "Feature", "geometry": ` + poly + `, "properties": {"kind": "office", "source_id": "K", "agency": "pm", "name": "K", "staffed_hours_per_week": 1}}`,         // 8
		`{"type": "Feature", "geometry": null, "properties": {` + strings.Replace(op, `"pm"`, `["pm", "x|y"]`, 1) + `, "area_id": "2025-SO1"}}`,                               // 9
		`{"type": "Feature", "geometry": ` + poly + `, "properties": {` + op + `}}`,                                                                                           // 10 ok
	}
	in := "{\"type\": \"FeatureCollection\",\n\"features\": [\n" + strings.Join(features, ",\n") + "\n]}\n"
	d := readPresence(t, in, "geojson")
	if d.fatal != nil {
		t.Fatalf("fatal: %v", d.fatal)
	}
	want := []string{
		"p.csv:3: area_id: give an area_id or a polygon geometry, not both",
		"p.csv:4: geometry: an operation needs a Polygon or MultiPolygon geometry (or null with an area_id)",
		"p.csv:5: geometry: a ring is not closed (its first and last positions differ)",
		"p.csv:6: geometry: a ring needs at least 4 positions",
		"p.csv:7: geometry: (1.9, 59.4) is outside Sweden (lon 10.5–24.5, lat 55–69.5)",
		"p.csv:8: geometry: an office is a Point, not a polygon",
		`p.csv:9: agencies: "x|y": an array entry must be one agency`,
	}
	if !equalStrings(d.errs, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(d.errs, "\n"), strings.Join(want, "\n"))
	}
	if len(d.records) != 1 {
		t.Errorf("%d records, want 1", len(d.records))
	}
}

func TestPresenceFatal(t *testing.T) {
	for _, c := range []struct{ name, in, format, want string }{
		{"missing kind", "source_id,name\n", "csv", "p.csv:1: kind: required column is missing from the header"},
		{"bad format", "", "xml", `p.csv: format: "xml" is not csv or geojson`},
		{"json array", "[]", "", "p.csv:1: expected a GeoJSON FeatureCollection object, found '['"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := readPresence(t, c.in, c.format)
			if d.fatal == nil || !strings.HasPrefix(d.fatal.Error(), c.want) || isRecordError(d.fatal) {
				t.Errorf("fatal = %v, want %q", d.fatal, c.want)
			}
		})
	}
}
