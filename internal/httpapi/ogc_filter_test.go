package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
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
