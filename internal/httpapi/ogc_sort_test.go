package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestOGCSortBy: sortby orders by queryables before the id, on every page alike, and the next
// links keep it; names not in the queryables are a 400 on sortby.
func TestOGCSortBy(t *testing.T) {
	srv, _ := ogcServer(t)
	var pop []float64
	var ids []string
	next := srv.URL + "/ogc/collections/kommuner/items?sortby=-befolkning,kod&limit=100"
	for pages := 0; next != "" && pages < 10; pages++ {
		var page ogcItems
		ogcJSON(t, next, "application/geo+json", &page)
		for _, f := range page.Features {
			pop = append(pop, f.Properties["befolkning"].(float64))
			ids = append(ids, f.ID)
		}
		next = ""
		if l, ok := linkByRel(page.Links, "next"); ok {
			if !strings.Contains(l.Href, "sortby=") {
				t.Errorf("next link lost sortby: %s", l.Href)
			}
			next = l.Href
		}
	}
	if len(ids) != 290 || ids[0] != "0180" || ids[1] != "1480" || ids[2] != "1280" {
		t.Fatalf("sortby=-befolkning: %d kommuner, first %v", len(ids), ids[:min(3, len(ids))])
	}
	seen := map[string]bool{}
	for i := range pop {
		if i > 0 && pop[i] > pop[i-1] {
			t.Fatalf("sortby=-befolkning: %s (%v) after %s (%v)", ids[i], pop[i], ids[i-1], pop[i-1])
		}
		seen[ids[i]] = true
	}
	if len(seen) != 290 {
		t.Errorf("paging with sortby saw %d distinct kommuner, want 290", len(seen))
	}
	var page ogcItems
	ogcJSON(t, srv.URL+"/ogc/collections/kommuner/items?sortby=%2Bbefolkning&limit=2&filter=lan_kod%3D%2701%27", "application/geo+json", &page)
	if len(page.Features) != 2 || page.Features[0].Properties["befolkning"].(float64) > page.Features[1].Properties["befolkning"].(float64) {
		t.Errorf("sortby=+befolkning with a filter: %+v", page.Features)
	}
	for _, bad := range []string{"population", "-", "namn,namn", "geometry"} {
		resp, body := ogcGet(t, srv.URL+"/ogc/collections/kommuner/items?sortby="+bad)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"parameter":"sortby"`) {
			t.Errorf("sortby=%s: %d %s, want 400 on sortby", bad, resp.StatusCode, body)
		}
	}
	if resp, body := ogcGet(t, srv.URL+"/ogc/collections/h3-r7/items?sortby=total"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("h3-r7 sortby: %d %s", resp.StatusCode, body)
	}
}

// TestOGCProperties: properties keeps the named members of each feature, in their order.
func TestOGCProperties(t *testing.T) {
	srv, _ := ogcServer(t)
	for _, path := range []string{"/ogc/collections/kommuner/items?properties=befolkning,namn&limit=5",
		"/ogc/collections/kommuner/items/0180?properties=befolkning,namn"} {
		resp, body := ogcGet(t, srv.URL+path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		n := strings.Count(string(body), `"properties":{"namn":`)
		if n == 0 || strings.Contains(string(body), `"lan_kod"`) || strings.Count(string(body), `"befolkning":`) != n {
			t.Errorf("%s: %.400s", path, body)
		}
	}
	for _, bad := range []string{"nope", "namn,", "na me"} {
		resp, body := ogcGet(t, srv.URL+"/ogc/collections/kommuner/items?properties="+strings.ReplaceAll(bad, " ", "%20"))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"parameter":"properties"`) {
			t.Errorf("properties=%s: %d %s, want 400 on properties", bad, resp.StatusCode, body)
		}
	}
}
