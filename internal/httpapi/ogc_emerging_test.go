package httpapi_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// checkOGCEmerging reads the emerging hot spots of Väst as an OGC API collection: listed with
// queryables, the planted robbery hot spot of Biskopsgården among its cells, filtered in CQL2,
// and scoped (another region's analyst does not see it, a gis token at res 7 may not read it).
func checkOGCEmerging(t *testing.T, e *analysisEnv) {
	var cs struct {
		Collections []struct {
			ID    string `json:"id"`
			Links []struct {
				Rel string `json:"rel"`
			} `json:"links"`
		} `json:"collections"`
	}
	ids := func(who string) []string {
		status, body := e.get(t, who, "/ogc/collections")
		if status != http.StatusOK {
			t.Fatalf("collections as %q: %d %s", who, status, body)
		}
		if err := json.Unmarshal(body, &cs); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs.Collections {
			if strings.HasPrefix(c.ID, "emerging-") {
				out = append(out, c.ID)
			}
		}
		return out
	}
	if got := ids(""); len(got) != 7 || !slices.Contains(got, "emerging-5500") {
		t.Errorf("a national analyst's emerging collections: %v", got)
	}
	if got := ids("bergslag"); !slices.Equal(got, []string{"emerging-5700"}) {
		t.Errorf("Bergslagen's emerging collections: %v", got)
	}
	status, body := e.get(t, "", "/ogc/collections/emerging-5500/queryables")
	if status != http.StatusOK || !strings.Contains(string(body), `"category"`) || !strings.Contains(string(body), `"hot_months"`) {
		t.Errorf("queryables: %d %s", status, body)
	}
	type fc struct {
		Features []struct {
			ID         string         `json:"id"`
			Geometry   map[string]any `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
		NumberMatched int `json:"numberMatched"`
	}
	var all fc
	status, body = e.get(t, "", "/ogc/collections/emerging-5500/items?limit=1000")
	if status != http.StatusOK || json.Unmarshal(body, &all) != nil || all.NumberMatched == 0 {
		t.Fatalf("items: %d %.300s", status, body)
	}
	cats := map[string]int{}
	for _, f := range all.Features {
		cats[f.Properties["category"].(string)]++
		if _, ok := f.Properties["count"]; ok || f.Geometry["type"] != "Polygon" || f.Properties["cell"] != f.ID {
			t.Fatalf("feature %+v", f)
		}
	}
	t.Logf("Väst: %d cells with a pattern: %v", all.NumberMatched, cats)
	// A filter keeps only what it says; numberMatched counts it.
	var hot fc
	filter := url.QueryEscape("category LIKE '%hot_spot' AND hot_months >= 1")
	status, body = e.get(t, "", "/ogc/collections/emerging-5500/items?limit=5&sortby=-hot_months&filter="+filter)
	if status != http.StatusOK || json.Unmarshal(body, &hot) != nil || hot.NumberMatched == 0 || len(hot.Features) > 5 {
		t.Fatalf("filtered items: %d %.300s", status, body)
	}
	for i, f := range hot.Features {
		if !strings.HasSuffix(f.Properties["category"].(string), "hot_spot") ||
			(i > 0 && f.Properties["hot_months"].(float64) > hot.Features[i-1].Properties["hot_months"].(float64)) {
			t.Errorf("filtered and sorted: %+v", f.Properties)
		}
	}
	if status, body := e.get(t, "", "/ogc/collections/emerging-5500/items/"+hot.Features[0].ID+"?crs="+url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/3006")); status != http.StatusOK ||
		!strings.Contains(string(body), `"category"`) {
		t.Errorf("one item in EPSG:3006: %d %.300s", status, body)
	}
	for _, bad := range []string{"filter=" + url.QueryEscape("S_INTERSECTS(geometry, POINT(12 57))"), "filter=" + url.QueryEscape("nej = 1")} {
		if status, body := e.get(t, "", "/ogc/collections/emerging-5500/items?"+bad); status != http.StatusBadRequest {
			t.Errorf("%s: %d %.200s", bad, status, body)
		}
	}
	// Scope: Syd's analyst does not see Väst's collection; a gis token (res ≤ 7) may not read res-8 cells.
	if status, _ := e.get(t, "syd", "/ogc/collections/emerging-5500/items"); status != http.StatusNotFound {
		t.Errorf("Syd reads Väst's emerging hot spots: %d", status)
	}
	if status, _ := e.get(t, "gis", "/ogc/collections/emerging-5500/items"); status != http.StatusForbidden {
		t.Errorf("a gis token reads res-8 emerging hot spots: %d", status)
	}

	// The same cells as the vector tile layer emerging: the tile holding a hot cell draws it
	// with the collection's category and months, and every cell it draws is one of the
	// collection's with the same properties; no counts. Another region's analyst, a
	// lokalpolisområde (a lokal scope holds no region) and a gis token (res ≤ 7) get no cells.
	byCell := map[string]map[string]any{}
	for _, f := range all.Features {
		byCell[f.ID] = f.Properties
	}
	ring, _ := hot.Features[0].Geometry["coordinates"].([]any)
	var lon, lat float64
	if len(ring) > 0 {
		pts, _ := ring[0].([]any)
		for _, p := range pts[:len(pts)-1] {
			xy := p.([]any)
			lon, lat = lon+xy[0].(float64)/float64(len(pts)-1), lat+xy[1].(float64)/float64(len(pts)-1)
		}
	}
	const z = 11
	tx, ty := tileOf(lon, lat, z)
	path := fmt.Sprintf("/tiles/emerging/%d/%d/%d.mvt", z, tx, ty)
	status, body = e.get(t, "", path)
	if status != http.StatusOK {
		t.Fatalf("%s: %d %.200s", path, status, body)
	}
	n, ls := tileFeatureCount(t, body, "emerging")
	found := false
	for _, l := range ls {
		for _, f := range l.Features {
			cell, _ := f.Properties["cell"].(string)
			want, ok := byCell[cell]
			if !ok {
				t.Errorf("%s: cell %s is not in the collection", path, cell)
				continue
			}
			for _, k := range []string{"category", "kommun_code", "first_month", "last_month"} {
				if f.Properties[k] != want[k] {
					t.Errorf("%s: cell %s %s %v, the collection %v", path, cell, k, f.Properties[k], want[k])
				}
			}
			for _, k := range []string{"hot_months", "cold_months"} {
				if got, _ := f.Properties[k].(float64); got != want[k].(float64) {
					t.Errorf("%s: cell %s %s %v, the collection %v", path, cell, k, f.Properties[k], want[k])
				}
			}
			if _, ok := f.Properties["count"]; ok {
				t.Errorf("%s: a count in cell %s", path, cell)
			}
			found = found || cell == hot.Features[0].ID
		}
	}
	if !found {
		t.Errorf("%s (%d cells): the hot cell %s is not drawn", path, n, hot.Features[0].ID)
	}
	for _, who := range []string{"syd", "orebro", "gis"} {
		status, body := e.get(t, who, path)
		n := 0
		if status == http.StatusOK {
			n, _ = tileFeatureCount(t, body, "emerging")
		}
		if (status != http.StatusNoContent && status != http.StatusOK && status != http.StatusForbidden) || n != 0 {
			t.Errorf("%s reads %d emerging cells of Väst in %s: %d", who, n, path, status)
		}
	}
}

// tileOf is the WebMercatorQuad tile holding lon, lat at zoom z.
func tileOf(lon, lat float64, z int) (x, y int) {
	n := math.Exp2(float64(z))
	x = int((lon + 180) / 360 * n)
	y = int((1 - math.Log(math.Tan(lat*math.Pi/180)+1/math.Cos(lat*math.Pi/180))/math.Pi) / 2 * n)
	return x, y
}
