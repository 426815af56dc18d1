package ingest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// The fuzz targets check what every caller relies on: no panic, Next always ends (each call
// consumes input or fails, so a reader never yields more records than the input has bytes),
// and every accepted record is valid.

var (
	seedCSV = []string{
		"source_id,occurred_at,category,agency,lat,lon,classification,samverkan_id\nA-1,2025-03-01T14:05:00+01:00,Skottlossning,pm,59.329324,18.068581,begränsad,SV-2025-7\n",
		"\uFEFFsource_id;occurred_at;category;agency;lat;lon\r\n1;2025-03-01 14:05;Skottlossning;Polismyndigheten;59,329324;18,068581\r\n",
		"source_id,occurred_at,category,agency,x,y\n1,2025-07-01 14:05,Skottlossning,TV,674570.6629,6580745.6292\n2,2025-07-01 14:05,rån,tv,6580745,674570\n",
		"Agency\tLAT\tLon\tX\tY\tCategory\tOccurred_At\tSource_ID\nfk\t59.3\t18.0\t\t\tbidragsbrott\t2025-03-01T13:05:00Z\t1\n",
		"source_id,occurred_at,category,agency,lat,lon\n\"b20\nstill\",2025-03-01T13:05:00Z,rån,pm,59.\"3,18.0\nb,2025-03-01T13:05:00Z,rån,pm,\"1,5\",1e3\n",
	}
	seedGeoJSON = []string{
		geojsonIncidents,
		`{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3006"}}, "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [674570.6629, 6580745.6292]}, "properties": {"source_id": 1, "occurred_at": "2025-03-01T13:05:00Z", "category": "rån", "agency": "pm"}}]}`,
		`{"type": "FeatureCollection", "features": [[1], {"type": "Feature", "geometry": null}, {"type": "Feature", "geometry": {"type": "Point", "coordinates": [59.3, 18.0]}, "properties": {"source_id": "a", "occurred_at": "2025-03-01T13:05:00Z", "category": "rån", "agency": "pm"}}]}`,
	}
	seedPresence = []string{
		"kind;source_id;agency;name;lat;lon;x;y;staffed_hours_per_week;area_id;agencies;start;end;person_hours;samverkan_id\r\n" +
			"office;K1;Skatteverket;Servicekontor Rinkeby;59,388;17,928;;;37,5;;;;;;\r\n" +
			"kontor;K2;fk;Servicekontor Husby;;;674570.6629;6580745.6292;40;;;;;;\r\n" +
			"operation;O1;;Insats Järva;;;;;;2025-SO9;pm|skv|Försäkringskassan|pm;2025-03-01;2025-03-31;1200;SV-2025-3\r\n",
		`{"type": "FeatureCollection", "features": [
{"type": "Feature", "geometry": {"type": "Point", "coordinates": [17.928, 59.388]}, "properties": {"kind": "office", "source_id": "K1", "agency": "skv", "name": "Servicekontor", "staffed_hours_per_week": 40}},
{"type": "Feature", "geometry": {"type": "MultiPolygon", "coordinates": [[[[17.9, 59.4], [17.95, 59.4], [17.95, 59.42], [17.9, 59.4]]]]}, "properties": {"kind": "operation", "source_id": "O1", "name": "Insats", "agencies": ["pm", "kfm"], "start": "2025-03-01", "end": "2025-03-01", "person_hours": 10.5}},
{"type": "Feature", "geometry": null, "properties": {"kind": "operation", "source_id": "O2", "name": "Insats", "agencies": "pm|kfm", "area_id": "2025-SO9", "start": "2025-03-01", "end": "2025-03-02", "person_hours": "3,5"}}]}`,
	}
)

func seedPolisen() []string {
	return []string{
		polisenOld,
		"[" + polisenEvent1("588172", "2025-06-07 7:32:06 +02:00", "06 juni 18:50, Trafikbrott, Kungsör", "Trafikbrott", "Kungsör", "/aktuellt/x/") + "]",
		"[" + polisenEvent1("1", "2019-01-01 00:10:00 +01:00", "31 december 23.50, Rån, Malmö", "Rån", "Stockholms län", "javascript:x") + "," +
			polisenEvent1(`"8"`, "2000-01-01 00:10:00 +01:00", "31 december 23.50, Pressmeddelande, Gotland", "Pressmeddelande", "Gotland", "//x") + ", 42, {}]",
		"\uFEFF[\r\n{\"id\": 1,, }]",
	}
}

// checkIncident fails the test if an accepted incident breaks an invariant of the store.
func checkIncident(t *testing.T, inc lagesbild.Incident, now func() time.Time) {
	t.Helper()
	if inc.Source == "" || inc.SourceID == "" || inc.Line < 1 {
		t.Fatalf("empty source or source id: %+v", inc)
	}
	if !isGroup(inc.Group) {
		t.Fatalf("group %q is not a group", inc.Group)
	}
	if !isAgency(inc.Agency) {
		t.Fatalf("agency %q is not an agency code", inc.Agency)
	}
	if inc.OccurredAt.Location() != time.UTC || inc.OccurredAt.Before(earliest) || inc.OccurredAt.After(now().Add(24*time.Hour)) {
		t.Fatalf("OccurredAt %v out of range", inc.OccurredAt)
	}
	switch inc.Precision {
	case lagesbild.PrecisionExact:
		if !inSweden(inc.Point) || inc.KommunCode != "" || inc.LanCode != "" {
			t.Fatalf("exact incident with point %v, kommun %q, län %q", inc.Point, inc.KommunCode, inc.LanCode)
		}
	case lagesbild.PrecisionKommun:
		if inc.Point != (orb.Point{}) || len(inc.KommunCode) != 4 || inc.LanCode != "" {
			t.Fatalf("kommun incident with point %v, kommun %q, län %q", inc.Point, inc.KommunCode, inc.LanCode)
		}
	case lagesbild.PrecisionLan:
		if inc.Point != (orb.Point{}) || inc.KommunCode != "" || len(inc.LanCode) != 2 {
			t.Fatalf("län incident with point %v, kommun %q, län %q", inc.Point, inc.KommunCode, inc.LanCode)
		}
	default:
		t.Fatalf("precision %q", inc.Precision)
	}
	for _, s := range []string{inc.SourceID, inc.Category, inc.Classification, inc.SamverkanID, inc.LocationName, inc.Title, inc.Summary, inc.URL} {
		checkText(t, s)
	}
	if inc.URL != "" && !strings.HasPrefix(inc.URL, "https://") && !strings.HasPrefix(inc.URL, "http://") {
		t.Fatalf("URL %q", inc.URL)
	}
}

// checkText: PostgreSQL text takes neither NUL nor invalid UTF-8.
func checkText(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		t.Fatalf("text %q is not storable", s)
	}
}

// readAll drives a reader the way a continuing import does and checks each record.
func readAll[T any](t *testing.T, data []byte, next func() (T, error), check func(T)) {
	for i := 0; ; i++ {
		if i > len(data)+2 {
			t.Fatalf("reader yielded more results than the input has bytes")
		}
		rec, err := next()
		if errors.Is(err, io.EOF) {
			if _, err := next(); !errors.Is(err, io.EOF) {
				t.Fatalf("after io.EOF, Next returned %v", err)
			}
			return
		}
		if err != nil {
			var v *lagesbild.ValidationError
			if errors.As(err, &v) {
				if v.Field == "" && v.Reason == "" {
					t.Fatalf("empty validation error")
				}
				continue
			}
			if again, err2 := next(); err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("fatal error not sticky: %v, then %v %v", err, again, err2)
			}
			return
		}
		check(rec)
	}
}

func FuzzPolisen(f *testing.F) {
	for _, s := range seedPolisen() {
		f.Add([]byte(s))
	}
	g, tax := testGazetteer(f), testTaxonomy(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewPolisenReader(bytes.NewReader(data), "f", g, tax, WithNow(testNow))
		readAll(t, data, r.Next, func(inc lagesbild.Incident) {
			checkIncident(t, inc, testNow)
			if inc.Precision == lagesbild.PrecisionExact || inc.Agency != "pm" || inc.PublishedAt == nil {
				t.Fatalf("polisen incident %+v", inc)
			}
		})
	})
}

func FuzzCSV(f *testing.F) {
	for _, s := range seedCSV {
		f.Add([]byte(s))
	}
	tax := testTaxonomy(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewCSVReader(bytes.NewReader(data), "f", "src", tax, WithNow(testNow))
		readAll(t, data, r.Next, func(inc lagesbild.Incident) {
			checkIncident(t, inc, testNow)
			if inc.Precision != lagesbild.PrecisionExact {
				t.Fatalf("csv incident %+v", inc)
			}
		})
	})
}

func FuzzGeoJSON(f *testing.F) {
	for _, s := range seedGeoJSON {
		f.Add([]byte(s))
	}
	tax := testTaxonomy(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewGeoJSONReader(bytes.NewReader(data), "f", "src", tax, WithNow(testNow))
		readAll(t, data, r.Next, func(inc lagesbild.Incident) {
			checkIncident(t, inc, testNow)
			if inc.Precision != lagesbild.PrecisionExact {
				t.Fatalf("geojson incident %+v", inc)
			}
		})
	})
}

func FuzzPresence(f *testing.F) {
	for _, s := range seedPresence {
		f.Add([]byte(s), "")
		f.Add([]byte(s), "csv")
		f.Add([]byte(s), "geojson")
	}
	f.Fuzz(func(t *testing.T, data []byte, format string) {
		r := NewPresenceReader(bytes.NewReader(data), "f", "src", format)
		readAll(t, data, r.Next, func(rec PresenceRecord) { checkPresence(t, rec) })
	})
}

func checkPresence(t *testing.T, rec PresenceRecord) {
	t.Helper()
	switch {
	case rec.Office != nil && rec.Operation == nil:
		o := rec.Office
		if o.Source == "" || o.SourceID == "" || o.Name == "" || o.Line < 1 || !isAgency(o.Agency) || !inSweden(o.Point) ||
			!(o.StaffedHoursPerWeek >= 0 && o.StaffedHoursPerWeek <= 168) {
			t.Fatalf("office %+v", o)
		}
		checkText(t, o.Name)
		checkText(t, o.SourceID)
	case rec.Operation != nil && rec.Office == nil:
		op := rec.Operation
		if op.Source == "" || op.SourceID == "" || op.Name == "" || op.Line < 1 || len(op.Agencies) == 0 ||
			op.End.Before(op.Start) || !(op.PersonHours >= 0) {
			t.Fatalf("operation %+v", op)
		}
		for _, a := range op.Agencies {
			if !isAgency(a) {
				t.Fatalf("operation agency %q", a)
			}
		}
		if (op.AreaID == "") == (len(op.Polygon) == 0) || (op.AreaID != "" && !areaIDPattern.MatchString(op.AreaID)) {
			t.Fatalf("operation area %q polygon %v", op.AreaID, op.Polygon)
		}
		for _, poly := range op.Polygon {
			for _, ring := range poly {
				if len(ring) < 4 {
					t.Fatalf("ring %v", ring)
				}
				for _, p := range ring {
					if !inSweden(p) {
						t.Fatalf("vertex %v outside Sweden", p)
					}
				}
			}
		}
		checkText(t, op.Name)
		checkText(t, op.SourceID)
		checkText(t, op.SamverkanID)
	default:
		t.Fatalf("presence record %+v has not exactly one kind", rec)
	}
}

func FuzzGazetteer(f *testing.F) {
	k, l, kLong, _ := scbPlaces(f)
	g := NewGazetteer(k, l)
	codes := map[string]lagesbild.Precision{}
	for _, p := range k {
		codes[p.Code] = lagesbild.PrecisionKommun
	}
	for _, p := range l {
		codes[p.Code] = lagesbild.PrecisionLan
	}
	for _, s := range []string{"Stockholm", "Stockholms län", "Region Gotland", "Upplands-Väsby", "Ha\u0308rjedalen", "", " - "} {
		f.Add(s)
	}
	for _, p := range kLong[:20] {
		f.Add(p.Name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		p, code, ok := g.Resolve(name)
		if !ok {
			if p != "" || code != "" {
				t.Fatalf("Resolve(%q) = %q %q without ok", name, p, code)
			}
			return
		}
		if want, known := codes[code]; !known || want != p {
			t.Fatalf("Resolve(%q) = %q %q, not a known place", name, p, code)
		}
		if len(name) < 190 {
			if p2, code2, ok2 := g.Resolve("  " + name + "\t"); p2 != p || code2 != code || !ok2 {
				t.Fatalf("Resolve with padding differs: %q", name)
			}
		}
	})
}

func FuzzTaxonomy(f *testing.F) {
	tax := testTaxonomy(f)
	for _, s := range []string{"Rån", "Lagen om hundar och katter ", "trafikolycka,  personskada", "Ra\u030an", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, category string) {
		g, known := tax.Lookup(category)
		if !isGroup(g) || (!known && g != lagesbild.GroupOvrigt) {
			t.Fatalf("Lookup(%q) = %q %v", category, g, known)
		}
		if g2, known2 := tax.Lookup(" " + category + " "); g2 != g || known2 != known {
			t.Fatalf("Lookup with padding differs for %q", category)
		}
	})
}

func FuzzAreaPopulation(f *testing.F) {
	for _, s := range []string{
		"area_id,population,estimated,method,source\n2025-SO9,1200,true,DeSO overlap,SCB 2023\n2019-UOP12,0,false,register,kommun\n",
		"area_id,population,estimated,method,source\n\"a\"b,1\n\"abc\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pops, _, err := ReadAreaPopulation(bytes.NewReader(data), "f")
		if err != nil {
			return
		}
		for _, p := range pops {
			if !areaIDPattern.MatchString(p.AreaID) && !populationAreaID.MatchString(p.AreaID) || p.Population < 0 || p.Method == "" || p.Source == "" {
				t.Fatalf("accepted %+v", p)
			}
		}
	})
}

// isAgency reports whether code is one of the 13 agency codes.
func isAgency(code string) bool {
	for _, a := range lagesbild.Agencies {
		if a.Code == code {
			return true
		}
	}
	return false
}
