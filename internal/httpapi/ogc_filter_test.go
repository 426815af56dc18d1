package httpapi_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
)

// TestOGCFilter covers OGC API – Features Part 3: queryables as JSON Schema, CQL2 text and JSON
// filters with values bound (a quote in a value is a value), filter-crs, and 400s that name
// the position and the problem.
func TestOGCFilter(t *testing.T) {
	srv, _ := ogcServer(t)
	var qs struct {
		Type       string                    `json:"type"`
		Properties map[string]map[string]any `json:"properties"`
	}
	ogcJSON(t, srv.URL+"/ogc/collections/kommuner/queryables", "application/schema+json", &qs)
	if qs.Type != "object" || qs.Properties["namn"]["type"] != "string" || qs.Properties["befolkning"]["type"] != "integer" ||
		qs.Properties["geometry"]["format"] != "geometry-multipolygon" {
		t.Errorf("kommuner queryables: %+v", qs)
	}
	ogcJSON(t, srv.URL+"/ogc/collections/narvaro-insatser/queryables", "application/schema+json", &qs)
	if qs.Properties["start"]["format"] != "date" {
		t.Errorf("narvaro-insatser queryables: %+v", qs)
	}

	ids := func(coll string, q url.Values) []string {
		t.Helper()
		q.Set("limit", "1000")
		var page ogcItems
		ogcJSON(t, srv.URL+"/ogc/collections/"+coll+"/items?"+q.Encode(), "application/geo+json", &page)
		out := []string{}
		for _, f := range page.Features {
			out = append(out, f.ID)
		}
		if *page.NumberMatched != len(out) {
			t.Errorf("%v: numberMatched %d, %d features", q, *page.NumberMatched, len(out))
		}
		return out
	}
	for _, c := range []struct {
		coll, filter, lang, crs string
		want                    []string // nil: only check that some match
		min                     int
	}{
		{"kommuner", "namn = 'Malmö'", "", "", []string{"1280"}, 0},
		{"kommuner", "kod IN ('0180', '1480', '9999')", "", "", []string{"0180", "1480"}, 0},
		{"kommuner", "befolkning > 500000 AND NOT (namn LIKE 'G%')", "", "", []string{"0180"}, 0},
		{"kommuner", "lan_kod = '01' AND befolkning BETWEEN 0 AND 20000", "", "", nil, 1},
		{"kommuner", "namn = 'x''; DROP TABLE kommun; --'", "", "", []string{}, 0},
		{"kommuner", "S_INTERSECTS(geometry, POINT(18.0686 59.3293))", "", "", []string{"0180"}, 0},
		{"kommuner", "S_INTERSECTS(geometry, POINT(6580743 674572))", "", "[EPSG:3006]", []string{"0180"}, 0},
		{"kommuner", "S_INTERSECTS(geometry, POINT(59.3293 18.0686))", "", "http://www.opengis.net/def/crs/EPSG/0/4326", []string{"0180"}, 0},
		{"kommuner", "S_INTERSECTS(geometry, POINT(-170 10))", "", "", []string{}, 0},
		{"kommuner", `{"op": "and", "args": [{"op": "=", "args": [{"property": "lan_kod"}, "12"]}, {"op": "like", "args": [{"property": "namn"}, "Malm%"]}]}`, "cql2-json", "", []string{"1280"}, 0},
		{"omraden-2025", "class = 'sarskilt_utsatt' AND kommun_kod = '0180'", "", "", nil, 1},
		{"narvaro-insatser", "start >= DATE('2000-01-01') AND name IS NOT NULL", "", "", nil, 0},
	} {
		q := url.Values{"filter": {c.filter}}
		if c.lang != "" {
			q.Set("filter-lang", c.lang)
		}
		if c.crs != "" {
			q.Set("filter-crs", c.crs)
		}
		got := ids(c.coll, q)
		if c.want != nil && !slices.Equal(got, c.want) {
			t.Errorf("%s %s: %v, want %v", c.coll, c.filter, got, c.want)
		}
		if len(got) < c.min {
			t.Errorf("%s %s: %d features, want at least %d", c.coll, c.filter, len(got), c.min)
		}
	}

	for _, c := range []struct{ path, param, msg string }{
		{"/ogc/collections/kommuner/items?filter=" + url.QueryEscape("namn = 'a' AND"), "filter", "at character 15"},
		{"/ogc/collections/kommuner/items?filter=" + url.QueryEscape("population > 5"), "filter", `"population" is not a queryable`},
		{"/ogc/collections/kommuner/items?filter=" + url.QueryEscape("befolkning = 'many'"), "filter", "type integer"},
		{"/ogc/collections/kommuner/items?filter-lang=cql2-json&filter=" + url.QueryEscape(`{"op": "=", "args": [1, 2]}`), "filter", "filter.args[0]"},
		{"/ogc/collections/kommuner/items?filter-lang=ecql&filter=x", "filter-lang", "cql2-text"},
		{"/ogc/collections/kommuner/items?filter-crs=EPSG:3006&filter=x", "filter-crs", ""},
		{"/ogc/collections/kommuner/items?filter-crs=%5BEPSG:3006%5D", "filter", "without a filter"},
		{"/ogc/collections/h3-r7/items?filter=" + url.QueryEscape("total > 1"), "filter", "not a queryable"},
	} {
		resp, body := ogcGet(t, srv.URL+c.path)
		var e struct {
			Error struct{ Parameter, Message string } `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		if resp.StatusCode != http.StatusBadRequest || e.Error.Parameter != c.param || !strings.Contains(e.Error.Message, c.msg) {
			t.Errorf("%s: %d %s, want 400 on %s saying …%s…", c.path, resp.StatusCode, body, c.param, c.msg)
		}
	}
}

// TestOGCFilterTemporal: the temporal functions on an operation's first and last day.
func TestOGCFilterTemporal(t *testing.T) {
	srv, db := ogcServer(t)
	op := lagesbild.Operation{Source: "test", SourceID: "i1", Name: "Insats Tensta", AreaID: "2025-SO9", Agencies: []string{"pm", "skv"},
		Start: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC), PersonHours: 120, Line: 1}
	if _, err := db.ImportPresence(context.Background(), "presence.csv", nil, []lagesbild.Operation{op}); err != nil {
		t.Fatal(err)
	}
	for filter, want := range map[string]int{
		"T_AFTER(start, DATE('2025-02-28'))":                                        1,
		"T_AFTER(start, DATE('2025-03-01'))":                                        0,
		"T_BEFORE(end, DATE('2025-04-01')) AND T_EQUALS(start, DATE('2025-03-01'))": 1,
		"T_INTERSECTS(start, INTERVAL('2025-01-01', '2025-03-01'))":                 1,
		"T_INTERSECTS(end, INTERVAL('..', '2025-03-30'))":                           0,
		"T_DISJOINT(end, INTERVAL('2025-04-01', '..'))":                             1,
		"person_hours >= 100 AND name LIKE 'Insats%'":                               1,
	} {
		var page ogcItems
		ogcJSON(t, srv.URL+"/ogc/collections/narvaro-insatser/items?filter="+url.QueryEscape(filter), "application/geo+json", &page)
		if len(page.Features) != want {
			t.Errorf("%s: %d operations, want %d", filter, len(page.Features), want)
		}
	}
	var page ogcItems
	q := `{"op": "t_intersects", "args": [{"property": "end"}, {"interval": ["2025-03-31", ".."]}]}`
	ogcJSON(t, srv.URL+"/ogc/collections/narvaro-insatser/items?filter-lang=cql2-json&filter="+url.QueryEscape(q), "application/geo+json", &page)
	if len(page.Features) != 1 {
		t.Errorf("cql2-json t_intersects: %d operations, want 1", len(page.Features))
	}
}

// FuzzOGCFilter holds /items to 200, or 400 on a parameter given, whatever the filter, its
// encoding, its CRS and sortby: a 5xx would mean a filter reached the database unchecked or
// compiled to SQL that fails.
func FuzzOGCFilter(f *testing.F) {
	db, _ := pgtest.New(f)
	h := (&httpapi.Server{Areas: db, Ready: db, Features: db, Logger: slog.New(slog.DiscardHandler)}).Handler()
	ctx := pgtest.National(context.Background())
	for _, s := range [][4]string{
		{"namn LIKE 'S%' AND befolkning BETWEEN 1 AND 100000", "cql2-text", "", "-befolkning"},
		{"S_INTERSECTS(geometry, POLYGON((6500000 600000, 6600000 600000, 6600000 700000, 6500000 600000)))", "cql2-text", "[EPSG:3006]", ""},
		{"S_INTERSECTS(geometry, BBOX(-180, -90, 180, 90))", "cql2-text", "[EPSG:3857]", "namn"},
		{`{"op": "or", "args": [{"op": "in", "args": [{"property": "kod"}, ["0180"]]}, {"op": "isNull", "args": [{"property": "befolkning"}]}]}`, "cql2-json", "", ""},
		{"T_AFTER(start, DATE('2025-01-01'))", "cql2-text", "", "start"},
		{"NOT (kod <> '0180') OR 5 < befolkning", "", "http://www.opengis.net/def/crs/EPSG/0/4326", "+kod"},
		{"S_INTERSECTS(geometry, POINT(1e300 -1e300))", "", "[EPSG:3857]", ""},
		{"S_INTERSECTS(geometry, LINESTRING(1e300 -1e300, 0 0))", "", "", ""},
		{"S_INTERSECTS(geometry, POINT(1e300 -1e300))", "", "[EPSG:3006]", ""},
		{"S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(18 59), POLYGON((0 0, 1 0, 1 1, 0 0))))", "", "[EPSG:4326]", ""},
		{"befolkning > 1e308 AND befolkning < -1e308", "", "", ""},
		{`namn LIKE 'A\'`, "", "", ""},
		{"start > DATE('0000-01-01') OR T_AFTER(end, TIMESTAMP('0000-01-01T00:00:00Z'))", "", "", ""},
		{"T_EQUALS(start, TIMESTAMP('2025-01-01T00:00:00+14:00'))", "", "", "end"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, filter, lang, crs, sortby string) {
		q := url.Values{"filter": {filter}, "limit": {"5"}}
		for k, v := range map[string]string{"filter-lang": lang, "filter-crs": crs, "sortby": sortby} {
			if v != "" {
				q.Set(k, v)
			}
		}
		for _, coll := range []string{"kommuner", "omraden-2025", "narvaro-insatser"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ogc/collections/"+coll+"/items?"+q.Encode(), nil).WithContext(ctx))
			switch rec.Code {
			case http.StatusOK:
			case http.StatusBadRequest:
				var e struct {
					Error struct{ Parameter string } `json:"error"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || !q.Has(e.Error.Parameter) {
					t.Fatalf("%s?%s: 400 without a parameter given: %s", coll, q.Encode(), rec.Body)
				}
			default:
				t.Fatalf("%s?%s: %d %s", coll, q.Encode(), rec.Code, rec.Body)
			}
		}
	})
}
