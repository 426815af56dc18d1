package ingest

import (
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

func readPolisen(t *testing.T, in string) (drained[lagesbild.Incident], IncidentReader) {
	t.Helper()
	r := NewPolisenReader(strings.NewReader(in), "events.json", testGazetteer(t), testTaxonomy(t), WithNow(testNow))
	return drain(t, r.Next), r
}

// A real event of the old feed: absolute URL, "13.42" in the name.
const polisenOld = `[
  {
    "id": 123456,
    "datetime": "2018-12-28 13:42:49 +01:00",
    "name": "28 december 13.42, Misshandel, Östersund",
    "summary": "Man slagen i huvudet.",
    "url": "https://polisen.se/aktuellt/handelser/2018/december/28/28-december-13.42-misshandel-ostersund/",
    "type": "Misshandel",
    "location": {"name": "Östersund", "gps": "63.179004,14.63781"}
  }
]`

func TestPolisenOldFormat(t *testing.T) {
	d, _ := readPolisen(t, polisenOld)
	if d.fatal != nil || len(d.errs) > 0 || len(d.records) != 1 {
		t.Fatalf("got %+v", d)
	}
	pub := utc("2018-12-28T12:42:49Z")
	want := lagesbild.Incident{
		Source: "polisen", SourceID: "123456",
		OccurredAt: utc("2018-12-28T12:42:00Z"), PublishedAt: &pub,
		Category: "Misshandel", Group: lagesbild.GroupMisshandelHot, Agency: "pm",
		Precision: lagesbild.PrecisionKommun, KommunCode: "2380", LocationName: "Östersund",
		Title: "28 december 13.42, Misshandel, Östersund", Summary: "Man slagen i huvudet.",
		URL:  "https://polisen.se/aktuellt/handelser/2018/december/28/28-december-13.42-misshandel-ostersund/",
		Line: 2,
	}
	got := d.records[0]
	if got.PublishedAt == nil || !got.PublishedAt.Equal(pub) {
		t.Fatalf("PublishedAt = %v, want %v", got.PublishedAt, pub)
	}
	got.PublishedAt = &pub
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if got.OccurredAt.Location() != time.UTC {
		t.Errorf("OccurredAt is in %v, want UTC", got.OccurredAt.Location())
	}
}

func polisenEvent1(id, datetime, name, typ, loc, url string) string {
	return `{"id": ` + id + `, "datetime": "` + datetime + `", "name": "` + name + `", "summary": "s", "url": "` + url +
		`", "type": "` + typ + `", "location": {"name": "` + loc + `", "gps": "59.329324,18.068581"}}`
}

func TestPolisenQuirks(t *testing.T) {
	for _, c := range []struct {
		name       string
		event      string
		occurred   string // RFC 3339 UTC
		category   string
		group      lagesbild.CategoryGroup
		precision  lagesbild.Precision
		code       string
		url        string
		unknownTyp string
	}{
		{
			name:     "unpadded hour, relative url, new time separator",
			event:    polisenEvent1("588172", "2025-06-07 7:32:06 +02:00", "06 juni 18:50, Trafikbrott, Kungsör", "Trafikbrott", "Kungsör", "/aktuellt/handelser/2025/juni/6/06-juni-18.50-trafikbrott-kungsor/"),
			occurred: "2025-06-06T16:50:00Z", category: "Trafikbrott", group: lagesbild.GroupOvrigt,
			precision: lagesbild.PrecisionKommun, code: "1960",
			url: "https://polisen.se/aktuellt/handelser/2025/juni/6/06-juni-18.50-trafikbrott-kungsor/",
		},
		{
			name:     "län-level location, summary post",
			event:    polisenEvent1("588171", "2025-06-07 7:27:20 +02:00", "07 juni 07.25, Sammanfattning natt, Stockholms län", "Sammanfattning natt", "Stockholms län", "/aktuellt/x/"),
			occurred: "2025-06-07T05:25:00Z", category: "Sammanfattning natt", group: lagesbild.GroupOvrigt,
			precision: lagesbild.PrecisionLan, code: "01", url: "https://polisen.se/aktuellt/x/",
		},
		{
			name:     "event time across the new year",
			event:    polisenEvent1("1", "2019-01-01 00:10:00 +01:00", "31 december 23.50, Rån, Malmö", "Rån", "Malmö", ""),
			occurred: "2018-12-31T22:50:00Z", category: "Rån", group: lagesbild.GroupRan,
			precision: lagesbild.PrecisionKommun, code: "1280",
		},
		{
			name:     "event shortly after publication stays in the year",
			event:    polisenEvent1("2", "2024-03-10 10:00:00 +01:00", "10 mars 18.00, Polisinsats/kommendering, Göteborg", "Polisinsats/kommendering", "Göteborg", ""),
			occurred: "2024-03-10T17:00:00Z", category: "Polisinsats/kommendering", group: lagesbild.GroupOvrigt,
			precision: lagesbild.PrecisionKommun, code: "1480",
		},
		{
			name:     "summer time",
			event:    polisenEvent1("3", "2024-07-01 12:00:00 +02:00", "1 juli 09.05, Skottlossning, Stockholm", "Skottlossning", "Stockholm", ""),
			occurred: "2024-07-01T07:05:00Z", category: "Skottlossning", group: lagesbild.GroupSkjutning,
			precision: lagesbild.PrecisionKommun, code: "0180",
		},
		{
			name:     "29 februari published in the next year is the leap year before",
			event:    polisenEvent1("4", "2025-01-01 00:30:00 +01:00", "29 februari 10.00, Stöld, Lund", "Stöld", "Lund", ""),
			occurred: "2024-02-29T09:00:00Z", category: "Stöld", group: lagesbild.GroupStoldInbrott,
			precision: lagesbild.PrecisionKommun, code: "1281",
		},
		{
			name:     "29 februari with no leap year in reach falls back",
			event:    polisenEvent1("4", "2023-06-01 00:30:00 +02:00", "29 februari 10.00, Stöld, Lund", "Stöld", "Lund", ""),
			occurred: "2023-05-31T22:30:00Z", category: "Stöld", group: lagesbild.GroupStoldInbrott,
			precision: lagesbild.PrecisionKommun, code: "1281",
		},
		{
			name:     "name without a time falls back to the publish time",
			event:    polisenEvent1("5", "2023-05-02 8:15:00 +02:00", "Sammanfattning av helgen, Hallands län", "Sammanfattning helg", "Hallands län", ""),
			occurred: "2023-05-02T06:15:00Z", category: "Sammanfattning helg", group: lagesbild.GroupOvrigt,
			precision: lagesbild.PrecisionLan, code: "13",
		},
		{
			name:     "garbage time in the name falls back",
			event:    polisenEvent1("6", "2023-05-02 08:15:00 +02:00", "31 april 25.99, Brand, Lund", "Brand", "Lund", ""),
			occurred: "2023-05-02T06:15:00Z", category: "Brand", group: lagesbild.GroupBrandSkadegorelse,
			precision: lagesbild.PrecisionKommun, code: "1281",
		},
		{
			name:     "unknown type is ovrigt and counted",
			event:    polisenEvent1("7", "2023-05-02 08:15:00 +02:00", "02 maj 08.00, Pressmeddelande, Lund", "Pressmeddelande", "Lund", ""),
			occurred: "2023-05-02T06:00:00Z", category: "Pressmeddelande", group: lagesbild.GroupOvrigt,
			precision: lagesbild.PrecisionKommun, code: "1281", unknownTyp: "Pressmeddelande",
		},
		{
			name:     "trailing space in type, string id, Gotland",
			event:    polisenEvent1(`"8"`, "2023-09-08 10:00:00 +02:00", "08 september 09.00, Lagen om hundar och katter, Gotland", "Lagen om hundar och katter ", "Gotland", ""),
			occurred: "2023-09-08T07:00:00Z", category: "Lagen om hundar och katter", group: lagesbild.GroupOvrigt,
			precision: lagesbild.PrecisionKommun, code: "0980",
		},
		{
			name:     "foreign and script urls are dropped",
			event:    polisenEvent1("9", "2023-09-08 10:00:00 +02:00", "08 september 09.00, Rån, Gotlands län", "Rån", "Gotlands län", "javascript:alert(1)"),
			occurred: "2023-09-08T07:00:00Z", category: "Rån", group: lagesbild.GroupRan,
			precision: lagesbild.PrecisionLan, code: "09",
		},
		{
			name:     "RFC 3339 publish time",
			event:    polisenEvent1("10", "2023-09-08T10:00:00+02:00", "08 september 09.00, Rån, Gotlands län", "Rån", "Gotlands län", "http://www.polisen.se/a"),
			occurred: "2023-09-08T07:00:00Z", category: "Rån", group: lagesbild.GroupRan,
			precision: lagesbild.PrecisionLan, code: "09", url: "http://www.polisen.se/a",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, r := readPolisen(t, "["+c.event+"]")
			if d.fatal != nil || len(d.errs) > 0 || len(d.records) != 1 {
				t.Fatalf("got %+v", d)
			}
			got := d.records[0]
			if !got.OccurredAt.Equal(utc(c.occurred)) {
				t.Errorf("OccurredAt = %v, want %v", got.OccurredAt, c.occurred)
			}
			if got.Category != c.category || got.Group != c.group {
				t.Errorf("Category, Group = %q %s, want %q %s", got.Category, got.Group, c.category, c.group)
			}
			code := got.KommunCode + got.LanCode
			if got.Precision != c.precision || code != c.code {
				t.Errorf("Precision, code = %s %q %q, want %s %q", got.Precision, got.KommunCode, got.LanCode, c.precision, c.code)
			}
			if got.Point != (orb.Point{}) {
				t.Errorf("Point = %v, want none: the feed's gps is a centroid", got.Point)
			}
			if got.URL != c.url {
				t.Errorf("URL = %q, want %q", got.URL, c.url)
			}
			unknown := r.UnknownTypes()
			if c.unknownTyp != "" && (len(unknown) != 1 || unknown[c.unknownTyp] != 1) {
				t.Errorf("UnknownTypes = %v, want %s: 1", unknown, c.unknownTyp)
			}
			if c.unknownTyp == "" && len(unknown) != 0 {
				t.Errorf("UnknownTypes = %v, want none", unknown)
			}
		})
	}
}

func TestPolisenBOMAndCRLF(t *testing.T) {
	in := "\uFEFF" + strings.ReplaceAll(polisenOld, "\n", "\r\n")
	d, _ := readPolisen(t, in)
	if d.fatal != nil || len(d.errs) > 0 || len(d.records) != 1 || d.records[0].SourceID != "123456" {
		t.Fatalf("got %+v", d)
	}
}

// TestPolisenBadRecords checks that each bad event is reported at the line where it starts,
// with its field, and that reading continues with the next event.
func TestPolisenBadRecords(t *testing.T) {
	good := func(id string) string {
		return polisenEvent1(id, "2024-01-02 10:00:00 +01:00", "02 januari 09.00, Rån, Malmö", "Rån", "Malmö", "")
	}
	in := "[\n" + strings.Join([]string{
		good("1"), // line 2
		polisenEvent1("2", "2024-01-02 10:00:00 +01:00", "x", "Rån", "Atlantis", ""), // 3
		polisenEvent1("3", "yesterday", "x", "Rån", "Malmö", ""),                     // 4
		polisenEvent1("-4", "2024-01-02 10:00:00 +01:00", "x", "Rån", "Malmö", ""),   // 5
		`{"datetime": "2024-01-02 10:00:00 +01:00", "type": "Rån"}`,                  // 6
		`42`, // 7
		polisenEvent1("8", "2024-01-02 10:00:00 +01:00", "x", "", "Malmö", ""),                     // 8
		polisenEvent1("9", "2031-01-02 10:00:00 +01:00", "x", "Rån", "Malmö", ""),                  // 9
		`{"id": 10, "datetime": "2024-01-02 10:00:00 +01:00", "type": "Rån", "location": "Malmö"}`, // 10
		polisenEvent1("11", "1999-12-31 10:00:00 +01:00", "x", "Rån", "Malmö", ""),                 // 11
		"{\n  \"id\": 12,\n  \"type\": \"Rån\"\n}",                                                 // 12-15
		polisenEvent1("12.5", "2024-01-02 10:00:00 +01:00", "x", "Rån", "Malmö", ""),               // 16
		good("17"), // 17
	}, ",\n") + "\n]\n"
	d, _ := readPolisen(t, in)
	if d.fatal != nil {
		t.Fatalf("fatal: %v", d.fatal)
	}
	want := []string{
		`events.json:3: location.name: "Atlantis" is not a known kommun or län`,
		`events.json:4: datetime: "yesterday" is not a time like 2018-12-28 13:42:49 +01:00`,
		`events.json:5: id: -4 is not a positive integer`,
		`events.json:6: id: missing`,
		`events.json:7: an event must be a JSON object`,
		`events.json:8: type: missing`,
		`events.json:9: datetime: 2031-01-02T09:00:00Z is more than a day in the future`,
		`events.json:10: location: must be an object, not a JSON string`,
		`events.json:11: datetime: 1999-12-31T09:00:00Z is before 2000`,
		`events.json:12: datetime: "" is not a time like 2018-12-28 13:42:49 +01:00`,
		`events.json:16: id: 12.5 is not a positive integer`,
	}
	if !equalStrings(d.errs, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(d.errs, "\n"), strings.Join(want, "\n"))
	}
	if len(d.records) != 2 || d.records[0].SourceID != "1" || d.records[1].SourceID != "17" {
		t.Errorf("records = %+v, want ids 1 and 17", d.records)
	}
}

func TestPolisenFatal(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
		records        int
	}{
		{"empty", "", "events.json:1: empty input: expected a JSON array of events", 0},
		{"object", `{"id": 1}`, "events.json:1: expected a JSON array of events, found '{'", 0},
		{"broken after a good event", "[\n" + polisenOld[2:len(polisenOld)-2] + ",\n {\"id\": 2,, }\n]", "events.json:11: invalid JSON", 1},
		{"truncated", "[\n" + polisenOld[2:len(polisenOld)-2] + ",\n {\"id\": 2", "events.json:11: invalid JSON: unexpected end of input", 1},
		{"trailing data", polisenOld + "\n[]", "events.json:12: unexpected data after the end", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, _ := readPolisen(t, c.in)
			if d.fatal == nil || !strings.Contains(d.fatal.Error(), c.want) {
				t.Errorf("fatal = %v, want %q", d.fatal, c.want)
			}
			if isRecordError(d.fatal) {
				t.Errorf("fatal error %v is a record error", d.fatal)
			}
			if !errorsIsInvalid(d.fatal) {
				t.Errorf("fatal error %v does not unwrap to ErrInvalid", d.fatal)
			}
			if len(d.records) != c.records {
				t.Errorf("%d records before the error, want %d", len(d.records), c.records)
			}
		})
	}
	d, _ := readPolisen(t, "[]")
	if d.fatal != nil || len(d.records)+len(d.errs) != 0 {
		t.Errorf("empty array: %+v", d)
	}
}
