package httpapi_test

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// conformanceProof is every conformance class /ogc/conformance declares, with the tests that
// show it is implemented. TestOGCConformanceExact fails on a class declared and not listed
// here (or listed and not declared): the list says only what is implemented.
var conformanceProof = map[string]string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core":             "TestOGCLanding, TestOGCCollections, TestOGCPaging, TestOGCBBox, TestOGCItem, TestOGCErrors, TestOGCWithGDAL, TestOGCWithOWSLib",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson":          "TestOGCCollections, TestOGCItem, TestOGCMatchesOpenAPI",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30":            "TestOGCOpenAPI, TestOGCMatchesOpenAPI",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs":              "TestOGCCRS, TestOGCWithOWSLib (crs=EPSG:3006)",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables":       "TestOGCFilter, TestOGCWithOWSLib",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter":           "TestOGCFilter (filter-lang, filter-crs), TestOGCFilterJSON",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter":  "TestOGCFilter, TestOGCWithOWSLib",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text":                     "TestOGCFilter, TestOGCFilterTemporal, internal/cql TestParseText",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json":                     "TestOGCFilterJSON, internal/cql TestParseJSON",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2":                    "TestOGCFilter, TestOGCFilterJSON",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators": "TestOGCFilter, TestOGCFilterJSON (LIKE, BETWEEN, IN)",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions":       "TestOGCFilter, TestOGCFilterJSON (S_INTERSECTS with a point and a bbox)",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus":  "TestOGCFilter, TestOGCFilterJSON (S_INTERSECTS with a polygon), FuzzOGCFilter",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core":                "TestOGCTiles, TestOGCTilesSweref99TM",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset":             "TestOGCTiles, TestOGCTilesSweref99TM",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list":       "TestOGCTiles, TestOGCTilesSweref99TM",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets":    "TestOGCTiles, TestOGCCollections",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt":                 "TestOGCTiles, TestOGCTilesSweref99TM (decoded)",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30":               "TestOGCMatchesOpenAPI",
	"http://www.opengis.net/spec/tms/2.0/conf/tilematrixset":                  "TestOGCTiles, TestOGCTilesSweref99TM",
	"http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset":             "TestOGCTiles, TestOGCTilesSweref99TM",
}

// TestOGCConformanceExact: /ogc/conformance declares exactly the classes of conformanceProof,
// no more (CQL2's temporal-functions, for one, is not declared: only five of its operators are
// implemented) and no fewer.
func TestOGCConformanceExact(t *testing.T) {
	srv, _ := ogcServer(t)
	var c struct{ ConformsTo []string }
	ogcJSON(t, srv.URL+"/ogc/conformance", "application/json", &c)
	for _, cls := range c.ConformsTo {
		if _, ok := conformanceProof[cls]; !ok {
			t.Errorf("declared without a test that proves it: %s", cls)
		}
	}
	for cls := range conformanceProof {
		if !slices.Contains(c.ConformsTo, cls) {
			t.Errorf("not declared: %s", cls)
		}
	}
	if len(c.ConformsTo) != len(conformanceProof) {
		t.Errorf("%d classes declared (some twice?), want %d", len(c.ConformsTo), len(conformanceProof))
	}
}

// TestOGCDatetimeEveryTimedCollection: every collection with a temporal extent applies
// datetime (nothing matches a year before its data), and the others ignore it.
func TestOGCDatetimeEveryTimedCollection(t *testing.T) {
	srv, db := ogcServer(t)
	op := lagesbild.Operation{Source: "test", SourceID: "d1", Name: "Insats Rinkeby", AreaID: "2025-SO9", Agencies: []string{"pm"},
		Start: time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), PersonHours: 40, Line: 1}
	if _, err := db.ImportPresence(context.Background(), "presence.csv", nil, []lagesbild.Operation{op}); err != nil {
		t.Fatal(err)
	}
	importIncidents(t, db, "dt.csv", incidentsAt("dt", 6, 11.967, 57.707, lagesbild.GroupRan, "test", time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)))
	var list struct {
		Collections []struct {
			ID     string
			Extent struct {
				Temporal *struct{ Interval [][2]*string }
			}
		}
	}
	ogcJSON(t, srv.URL+"/ogc/collections", "application/json", &list)
	timed := 0
	matched := func(id, query string) int {
		var page ogcItems
		ogcJSON(t, srv.URL+"/ogc/collections/"+id+"/items?limit=1"+query, "application/geo+json", &page)
		return *page.NumberMatched
	}
	long := "&datetime=" + url.QueryEscape("1900-01-01T00:00:00Z/1900-12-31T23:59:59Z")
	for _, c := range list.Collections {
		all := matched(c.ID, "")
		got := matched(c.ID, long)
		if c.Extent.Temporal == nil {
			if got != all {
				t.Errorf("%s has no time but datetime changed its matches: %d, without %d", c.ID, got, all)
			}
			continue
		}
		timed++
		iv := c.Extent.Temporal.Interval[0]
		if iv[0] == nil || iv[1] == nil {
			t.Errorf("%s: temporal extent %v open", c.ID, iv)
			continue
		}
		within := matched(c.ID, "&datetime="+url.QueryEscape(*iv[0]+"/"+*iv[1]))
		if all == 0 || got != 0 || within == 0 {
			t.Errorf("%s: %d features, %d with a datetime of 1900, %d within its extent %s/%s", c.ID, all, got, within, *iv[0], *iv[1])
		}
	}
	// narvaro-insatser and h3-r6, h3-r7, h3-r8 (national: h3-r8 is listed).
	if timed != 4 {
		t.Errorf("%d collections with time, want 4", timed)
	}
}

// TestOGCFilterJSON: CQL2 JSON with the operators of the text tests — IN, BETWEEN, LIKE, NOT,
// isNull, S_INTERSECTS with a GeoJSON point, a bbox and a polygon, in CRS84 and with filter-crs
// EPSG:3006 (northing first) — gives the same features as CQL2 text.
func TestOGCFilterJSON(t *testing.T) {
	srv, _ := ogcServer(t)
	ids := func(filter, lang, crs string) []string {
		t.Helper()
		q := url.Values{"filter": {filter}, "limit": {"1000"}, "sortby": {"kod"}}
		if lang != "" {
			q.Set("filter-lang", lang)
		}
		if crs != "" {
			q.Set("filter-crs", crs)
		}
		var page ogcItems
		ogcJSON(t, srv.URL+"/ogc/collections/kommuner/items?"+q.Encode(), "application/geo+json", &page)
		out := []string{}
		for _, f := range page.Features {
			out = append(out, f.ID)
		}
		return out
	}
	for _, c := range []struct {
		text, json, crs string
		min             int
	}{
		{"kod IN ('0180', '1280')", `{"op": "in", "args": [{"property": "kod"}, ["0180", "1280"]]}`, "", 2},
		{"befolkning BETWEEN 100000 AND 200000", `{"op": "between", "args": [{"property": "befolkning"}, 100000, 200000]}`, "", 1},
		{"NOT (namn LIKE 'S%') AND lan_kod = '01'", `{"op": "and", "args": [{"op": "not", "args": [{"op": "like", "args": [{"property": "namn"}, "S%"]}]}, {"op": "=", "args": [{"property": "lan_kod"}, "01"]}]}`, "", 1},
		{"befolkning IS NULL", `{"op": "isNull", "args": [{"property": "befolkning"}]}`, "", 0},
		{"S_INTERSECTS(geometry, POINT(18.0686 59.3293))", `{"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [18.0686, 59.3293]}]}`, "", 1},
		{"S_INTERSECTS(geometry, BBOX(18.0, 59.3, 18.1, 59.35))", `{"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [18.0, 59.3, 18.1, 59.35]}]}`, "", 1},
		{"S_INTERSECTS(geometry, POINT(6580743 674572))", `{"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [6580743, 674572]}]}`, "[EPSG:3006]", 1},
		{"S_INTERSECTS(geometry, POLYGON((6570000 660000, 6590000 660000, 6590000 690000, 6570000 690000, 6570000 660000)))",
			`{"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Polygon", "coordinates": [[[6570000, 660000], [6590000, 660000], [6590000, 690000], [6570000, 690000], [6570000, 660000]]]}]}`,
			"http://www.opengis.net/def/crs/EPSG/0/3006", 2},
	} {
		text := ids(c.text, "cql2-text", c.crs)
		js := ids(c.json, "cql2-json", c.crs)
		if !slices.Equal(text, js) || len(text) < c.min {
			t.Errorf("%s: text %v, json %v (want the same, at least %d)", c.text, text, js, c.min)
		}
	}
	// Stockholm is among the kommuner a box over Stockholm city in EPSG:3006 meets.
	if got := ids(`{"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [6580743, 674572]}]}`, "cql2-json", "[EPSG:3006]"); !slices.Equal(got, []string{"0180"}) {
		t.Errorf("cql2-json point in EPSG:3006: %v, want [0180]", got)
	}
}
