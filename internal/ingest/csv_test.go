package ingest

import (
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

func readCSV(t *testing.T, in string) (drained[lagesbild.Incident], IncidentReader) {
	t.Helper()
	r := NewCSVReader(strings.NewReader(in), "in.csv", "tv-system", testTaxonomy(t), WithNow(testNow))
	return drain(t, r.Next), r
}

func near(a, b orb.Point, tol float64) bool {
	return math.Abs(a[0]-b[0]) <= tol && math.Abs(a[1]-b[1]) <= tol
}

func TestCSVRecord(t *testing.T) {
	in := "source_id,occurred_at,category,agency,lat,lon,classification,samverkan_id\n" +
		"A-1,2025-03-01T14:05:00+01:00,Skottlossning,pm,59.329324,18.068581,begränsad,SV-2025-7\n"
	d, r := readCSV(t, in)
	if d.fatal != nil || len(d.errs) > 0 || len(d.records) != 1 {
		t.Fatalf("got %+v", d)
	}
	want := lagesbild.Incident{
		Source: "tv-system", SourceID: "A-1", OccurredAt: utc("2025-03-01T13:05:00Z"),
		Category: "Skottlossning", Group: lagesbild.GroupSkjutning, Agency: "pm",
		Classification: "begränsad", SamverkanID: "SV-2025-7",
		Precision: lagesbild.PrecisionExact, Point: orb.Point{18.068581, 59.329324}, Line: 2,
	}
	if got := d.records[0]; got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if len(r.UnknownTypes()) != 0 {
		t.Errorf("UnknownTypes = %v", r.UnknownTypes())
	}
}

func TestCSVDialects(t *testing.T) {
	stockholm := orb.Point{18.068581, 59.329324}
	for _, c := range []struct {
		name, in string
		want     []orb.Point
		occurred string
		agency   string
	}{
		{
			name:     "semicolons, decimal commas, BOM, CRLF, local time (Swedish Excel)",
			in:       "\uFEFFsource_id;occurred_at;category;agency;lat;lon\r\n1;2025-03-01 14:05;Skottlossning;Polismyndigheten;59,329324;18,068581\r\n",
			want:     []orb.Point{stockholm},
			occurred: "2025-03-01T13:05:00Z", agency: "pm",
		},
		{
			name:     "SWEREF 99 TM, summer time",
			in:       "source_id,occurred_at,category,agency,x,y\n1,2025-07-01 14:05,Skottlossning,TV,674570.6629,6580745.6292\n",
			want:     []orb.Point{stockholm},
			occurred: "2025-07-01T12:05:00Z", agency: "tv",
		},
		{
			name:     "SWEREF with decimal commas and semicolons",
			in:       "source_id;occurred_at;category;agency;x;y\n1;2025-07-01T12:05:00Z;Skottlossning;tullverket;674570,6629;6580745,6292\n",
			want:     []orb.Point{stockholm},
			occurred: "2025-07-01T12:05:00Z", agency: "tv",
		},
		{
			name:     "tabs, header in any order and case, extra columns, both coordinate pairs in the header",
			in:       "Agency\tLAT\tLon\tX\tY\tnote\tCategory\tOccurred_At\tSource_ID\nfk\t59.329324\t18.068581\t\t\tfri text\tbidragsbrott\t2025-03-01T13:05:00Z\t1\nfk\t\t\t674570.6629\t6580745.6292\t\tbidragsbrott\t2025-03-01T13:05:00Z\t2\n",
			want:     []orb.Point{stockholm, stockholm},
			occurred: "2025-03-01T13:05:00Z", agency: "fk",
		},
		{
			name:     "quoted decimal comma in a comma file; blank rows skipped",
			in:       "source_id,occurred_at,category,agency,lat,lon\n\n1,2025-03-01T13:05:00Z,rån,ubm,\"59,329324\",\"18,068581\"\n,,,,,\n",
			want:     []orb.Point{stockholm},
			occurred: "2025-03-01T13:05:00Z", agency: "ubm",
		},
		{
			name:     "excel trailing delimiters",
			in:       "source_id;occurred_at;category;agency;lat;lon;\n1;2025-03-01T13:05:00Z;rån;ubm;59.329324;18.068581;;;\n;;;;;;\n",
			want:     []orb.Point{stockholm},
			occurred: "2025-03-01T13:05:00Z", agency: "ubm",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, _ := readCSV(t, c.in)
			if d.fatal != nil || len(d.errs) > 0 || len(d.records) != len(c.want) {
				t.Fatalf("got %+v", d)
			}
			for i, rec := range d.records {
				if !near(rec.Point, c.want[i], 1e-6) {
					t.Errorf("record %d: Point = %v, want %v", i, rec.Point, c.want[i])
				}
				if !rec.OccurredAt.Equal(utc(c.occurred)) || rec.Agency != c.agency {
					t.Errorf("record %d: OccurredAt, Agency = %v %q, want %v %q", i, rec.OccurredAt, rec.Agency, c.occurred, c.agency)
				}
			}
		})
	}
}

// TestCSVBadRows checks line and field of each rejected row and that reading continues.
func TestCSVBadRows(t *testing.T) {
	rows := []string{
		"source_id,occurred_at,category,agency,lat,lon,x,y",          // 1
		"ok1,2025-03-01T13:05:00Z,rån,pm,59.3,18.0,,",                // 2
		"b3,2025-03-01T13:05:00Z,rån,pm,99.3,18.0,,",                 // 3
		"b4,2025-03-01T13:05:00Z,rån,pm,59.3,,,",                     // 4
		"b5,2025-03-01T13:05:00Z,rån,pm,,,,",                         // 5
		"b6,2025-03-01T13:05:00Z,rån,pm,59.3,18.0,674570,6580745",    // 6
		"b7,2025-03-01T13:05:00Z,rån,pm,,,6580745,674570",            // 7
		"b8,2025-03-01T13:05:00Z,rån,pm,,,674570,5000000",            // 8
		"b9,01/03/2025 13:05,rån,pm,59.3,18.0,,",                     // 9
		"b10,2031-03-01T13:05:00Z,rån,pm,59.3,18.0,,",                // 10
		"b11,1999-03-01T13:05:00Z,rån,pm,59.3,18.0,,",                // 11
		",2025-03-01T13:05:00Z,rån,pm,59.3,18.0,,",                   // 12
		"b13,2025-03-01T13:05:00Z,,pm,59.3,18.0,,",                   // 13
		"b14,2025-03-01T13:05:00Z,rån,polisen,59.3,18.0,,",           // 14
		"b15,2025-03-01T13:05:00Z,rån,pm,\"1,234.5\",18.0,,",         // 15
		"b16,2025-03-01T13:05:00Z,rån,pm,NaN,18.0,,",                 // 16
		"b17,2025-03-01T13:05:00Z,rån,pm,18.0,59.3,,",                // 17
		"b18,2025-03-01T13:05:00Z,rån,pm,59.3,18.0,,,extra",          // 18
		"b19,2025-03-01T13:05:00Z,rån,pm,59.\"3,18.0,,",              // 19: bare quote
		"\"b20\nstill b20\",2025-03-01T13:05:00Z,rån,pm,59.3,18.0,,", // 20-21: id with a newline
		"b22,2025-03-01T13:05:00Z,rån,pm,59.3,\"18.0\n\",,",          // 22-23: valid multi-line
		"b24,2025-03-01T13:05:00Z,rån,pm,59.3,\"1\n8.0\",,",          // 24-25: error on line 24
		"ok26,2025-03-01 14:05,Pressmeddelande,FK,59.3,18.0,,",       // 26
	}
	d, r := readCSV(t, strings.Join(rows, "\n")+"\n")
	if d.fatal != nil {
		t.Fatalf("fatal: %v", d.fatal)
	}
	want := []string{
		"in.csv:3: lat: 99.3 is outside Sweden (55–69.5)",
		"in.csv:4: lon: is empty",
		"in.csv:5: lat: missing coordinates: give lat and lon (WGS84) or x and y (SWEREF 99 TM)",
		"in.csv:6: lat: give either lat/lon or x/y, not both",
		"in.csv:7: x: 6.580745e+06 looks like a northing: x is the easting (E) and y the northing (N) of EPSG:3006",
		"in.csv:8: y: 5e+06 is outside SWEREF 99 TM northings in Sweden (6.1e+06–7.7e+06)",
		`in.csv:9: occurred_at: "01/03/2025 13:05" is not RFC 3339 (2025-03-01T14:05:00+01:00) or YYYY-MM-DD HH:MM (Europe/Stockholm)`,
		"in.csv:10: occurred_at: 2031-03-01T13:05:00Z is more than a day in the future",
		"in.csv:11: occurred_at: 1999-03-01T13:05:00Z is before 2000",
		"in.csv:12: source_id: missing",
		"in.csv:13: category: missing",
		`in.csv:14: agency: "polisen" is not an agency code (pm, am, ebm, sapo, skv, kvv, kfm, kbv, tv, mv, fk, af, ubm) or an agency's full name`,
		`in.csv:15: lat: "1,234.5" is not a number (use one decimal point or one decimal comma, no thousands separators)`,
		`in.csv:16: lat: "NaN" is not a number`,
		"in.csv:17: lat: 18 is outside Sweden; lat and lon look swapped",
		"in.csv:18: the row has 9 fields, the header 8",
		"in.csv:19: CSV syntax: bare \" in non-quoted-field (byte 37 of the line)",
		"in.csv:20: source_id: contains a control character",
		"in.csv:24: lon: \"1\\n8.0\" is not a number",
	}
	if !equalStrings(d.errs, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(d.errs, "\n"), strings.Join(want, "\n"))
	}
	var ids []string
	for _, rec := range d.records {
		ids = append(ids, rec.SourceID)
	}
	if !equalStrings(ids, []string{"ok1", "b22", "ok26"}) {
		t.Errorf("accepted %v, want ok1 b22 ok26", ids)
	} else if d.records[1].Line != 22 || d.records[2].Line != 26 {
		t.Errorf("lines %d %d, want 22 26", d.records[1].Line, d.records[2].Line)
	}
	if u := r.UnknownTypes(); len(u) != 1 || u["Pressmeddelande"] != 1 {
		t.Errorf("UnknownTypes = %v, want Pressmeddelande: 1", u)
	}
}

func TestCSVFatal(t *testing.T) {
	for _, c := range []struct {
		name, in, source, want string
	}{
		{"empty", "", "s", "in.csv:1: empty input: a header row naming the columns is required"},
		{"missing column", "source_id,occurred_at,agency,lat,lon\n", "s", "in.csv:1: category: required column is missing from the header"},
		{"no coordinates", "source_id,occurred_at,category,agency\n", "s", "in.csv:1: lat: required columns are missing: lat and lon (WGS84), or x and y (SWEREF 99 TM)"},
		{"half a pair", "source_id,occurred_at,category,agency,x\n", "s", "in.csv:1: y: required column is missing from the header"},
		{"duplicate column", "source_id,occurred_at,category,agency,lat,lon,LAT\n", "s", "in.csv:1: lat: column appears twice in the header"},
		{"no source", "source_id,occurred_at,category,agency,lat,lon\n", " ", "in.csv: source: the import needs a source name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := NewCSVReader(strings.NewReader(c.in), "in.csv", c.source, testTaxonomy(t), WithNow(testNow))
			d := drain(t, r.Next)
			if d.fatal == nil || !strings.HasPrefix(d.fatal.Error(), c.want) || isRecordError(d.fatal) || !errorsIsInvalid(d.fatal) {
				t.Errorf("fatal = %v, want %q", d.fatal, c.want)
			}
		})
	}
}
