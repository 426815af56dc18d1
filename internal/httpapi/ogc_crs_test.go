package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

const (
	uriCRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	uri4326  = "http://www.opengis.net/def/crs/EPSG/0/4326"
	uri3006  = "http://www.opengis.net/def/crs/EPSG/0/3006"
	uri3857  = "http://www.opengis.net/def/crs/EPSG/0/3857"
)

// TestOGCCRS covers OGC API – Features Part 2: the CRS lists of the collections, crs on /items
// and /items/{id} with the axis order of each CRS (EPSG:4326 latitude first, EPSG:3006 northing
// first), Content-Crs, and bbox-crs.
func TestOGCCRS(t *testing.T) {
	srv, _ := ogcServer(t)
	var coll struct {
		CRS        []string `json:"crs"`
		StorageCRS string   `json:"storageCrs"`
	}
	ogcJSON(t, srv.URL+"/ogc/collections/kommuner", "application/json", &coll)
	for _, u := range []string{uriCRS84, uri4326, uri3006, uri3857} {
		if !slices.Contains(coll.CRS, u) {
			t.Errorf("collection crs lacks %s: %v", u, coll.CRS)
		}
	}
	if coll.StorageCRS != uri3006 {
		t.Errorf("storageCrs %q, want %s", coll.StorageCRS, uri3006)
	}

	// Kommun 0180 (Stockholm) in every CRS: each position's two numbers lie in the ranges of
	// Stockholm in that CRS and axis order.
	type span struct{ lo, hi float64 }
	for _, c := range []struct {
		crs          string
		first, other span
	}{
		{uriCRS84, span{17.7, 18.3}, span{59.1, 59.5}},
		{uri4326, span{59.1, 59.5}, span{17.7, 18.3}},
		{"[EPSG:3006]", span{6.55e6, 6.61e6}, span{6.5e5, 6.9e5}},
		{uri3857, span{1.97e6, 2.04e6}, span{8.2e6, 8.3e6}},
	} {
		for _, path := range []string{"/ogc/collections/kommuner/items?limit=1&offset=0&bbox=18.05,59.32,18.07,59.33&crs=",
			"/ogc/collections/kommuner/items/0180?crs="} {
			resp, body := ogcGet(t, srv.URL+path+url.QueryEscape(c.crs))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s%s: %d %s", path, c.crs, resp.StatusCode, body)
			}
			want := c.crs
			if want == "[EPSG:3006]" {
				want = uri3006
			}
			if got := resp.Header.Get("Content-Crs"); got != "<"+want+">" {
				t.Errorf("%s%s: Content-Crs %q", path, c.crs, got)
			}
			var f struct {
				ID       string      `json:"id"`
				Geometry geoJSONGeom `json:"geometry"`
				Features []struct {
					ID       string      `json:"id"`
					Geometry geoJSONGeom `json:"geometry"`
				} `json:"features"`
			}
			decodeJSON(t, body, &f)
			if len(f.Features) == 1 {
				f.ID, f.Geometry = f.Features[0].ID, f.Features[0].Geometry
			}
			if f.ID != "0180" {
				t.Fatalf("%s%s: feature %q, want 0180", path, c.crs, f.ID)
			}
			pos := f.Geometry.lonLats(t)
			if len(pos) == 0 {
				t.Fatalf("%s%s: no positions", path, c.crs)
			}
			for _, p := range pos {
				if p[0] < c.first.lo || p[0] > c.first.hi || p[1] < c.other.lo || p[1] > c.other.hi {
					t.Fatalf("%s%s: position %v outside %v, %v", path, c.crs, p, c.first, c.other)
				}
			}
		}
	}

	// The same small box around Stockholm's city hall in each bbox-crs finds kommun 0180.
	for _, b := range []struct{ crs, bbox string }{
		{"", "18.05,59.32,18.07,59.33"},
		{uriCRS84, "18.05,59.32,18.07,59.33"},
		{uri4326, "59.32,18.05,59.33,18.07"},
		{uri3006, "6579000,673000,6581000,675000"},
		{"[EPSG:3857]", "2009000,8250000,2011000,8252000"},
	} {
		q := url.Values{"bbox": {b.bbox}}
		if b.crs != "" {
			q.Set("bbox-crs", b.crs)
		}
		var page ogcItems
		ogcJSON(t, srv.URL+"/ogc/collections/kommuner/items?"+q.Encode(), "application/geo+json", &page)
		if len(page.Features) != 1 || page.Features[0].ID != "0180" {
			ids := []string{}
			for _, f := range page.Features {
				ids = append(ids, f.ID)
			}
			t.Errorf("bbox %s in %q: %v, want [0180]", b.bbox, b.crs, ids)
		}
	}
	// Latitude-first numbers read as CRS84 are far from Sweden: nothing matches.
	var page ogcItems
	ogcJSON(t, srv.URL+"/ogc/collections/kommuner/items?bbox=59.32,18.05,59.33,18.07", "application/geo+json", &page)
	if len(page.Features) != 0 {
		t.Errorf("a lat/lon bbox read as CRS84 matched %d kommuner", len(page.Features))
	}
}

func decodeJSON(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%v\n%.300s", err, body)
	}
}
