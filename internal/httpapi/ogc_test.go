package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/hexgrid"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// ogcServer serves /ogc over a fresh database with the bundled geodata.
func ogcServer(t *testing.T) (*httptest.Server, *postgis.DB) {
	t.Helper()
	db, _ := pgtest.New(t)
	api := &httpapi.Server{Areas: db, Ready: db, Features: db, Tiles: tiles.NewService(db, db, 1<<20), Logger: pgtest.Logger(t)}
	srv := httptest.NewServer(asNational(t, db, api))
	t.Cleanup(srv.Close)
	return srv, db
}

func ogcGet(t *testing.T, u string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// ogcJSON fetches u, requires 200 and the content type, and decodes the body into v.
func ogcJSON(t *testing.T, u, contentType string, v any) {
	t.Helper()
	resp, body := ogcGet(t, u)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, body)
	}
	if got := resp.Header.Get("Content-Type"); got != contentType {
		t.Fatalf("GET %s: Content-Type %q, want %q", u, got, contentType)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v\n%s", u, err, body)
	}
}

type ogcLink struct {
	Href, Rel, Type string
	Templated       bool
}

func linkByRel(links []ogcLink, rel string) (ogcLink, bool) {
	for _, l := range links {
		if l.Rel == rel {
			return l, true
		}
	}
	return ogcLink{}, false
}

type ogcItems struct {
	Type     string `json:"type"`
	Features []struct {
		Type       string         `json:"type"`
		ID         string         `json:"id"`
		Geometry   *geoJSONGeom   `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
	NumberMatched  *int      `json:"numberMatched"`
	NumberReturned *int      `json:"numberReturned"`
	TimeStamp      string    `json:"timeStamp"`
	Links          []ogcLink `json:"links"`
}

type geoJSONGeom struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// lonLats returns every position of a Point, Polygon or MultiPolygon.
func (g *geoJSONGeom) lonLats(t *testing.T) [][2]float64 {
	t.Helper()
	var out [][2]float64
	switch g.Type {
	case "Point":
		var p [2]float64
		if err := json.Unmarshal(g.Coordinates, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	case "Polygon":
		var rings [][][2]float64
		if err := json.Unmarshal(g.Coordinates, &rings); err != nil {
			t.Fatal(err)
		}
		for _, r := range rings {
			out = append(out, r...)
		}
	case "MultiPolygon":
		var polys [][][][2]float64
		if err := json.Unmarshal(g.Coordinates, &polys); err != nil {
			t.Fatal(err)
		}
		for _, p := range polys {
			for _, r := range p {
				out = append(out, r...)
			}
		}
	default:
		t.Fatalf("geometry type %q", g.Type)
	}
	return out
}

func inSweden(p [2]float64) bool { return p[0] >= 10.5 && p[0] <= 24.5 && p[1] >= 55 && p[1] <= 69.5 }

func TestOGCLanding(t *testing.T) {
	srv, _ := ogcServer(t)
	var landing struct {
		Title string
		Links []ogcLink
	}
	ogcJSON(t, srv.URL+"/ogc", "application/json", &landing)
	if landing.Title != "Lägesbild" {
		t.Errorf("title %q", landing.Title)
	}
	want := map[string][2]string{
		"self":         {srv.URL + "/ogc", "application/json"},
		"service-desc": {srv.URL + "/ogc/api", "application/vnd.oai.openapi+json;version=3.0"},
		"conformance":  {srv.URL + "/ogc/conformance", "application/json"},
		"data":         {srv.URL + "/ogc/collections", "application/json"},
		"http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes": {srv.URL + "/ogc/tileMatrixSets", "application/json"},
	}
	for rel, w := range want {
		l, ok := linkByRel(landing.Links, rel)
		if !ok || l.Href != w[0] || l.Type != w[1] {
			t.Errorf("link %s = %+v, want %v", rel, l, w)
		}
	}
	// Behind a TLS-terminating proxy the links keep the client's scheme.
	resp, body := ogcGet(t, srv.URL+"/ogc/", "X-Forwarded-Proto", "https")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"href":"https://`+strings.TrimPrefix(srv.URL, "http://")+`/ogc/collections"`) {
		t.Errorf("X-Forwarded-Proto https: %d %s", resp.StatusCode, body)
	}
}

func TestOGCConformance(t *testing.T) {
	srv, _ := ogcServer(t)
	var c struct{ ConformsTo []string }
	ogcJSON(t, srv.URL+"/ogc/conformance", "application/json", &c)
	for _, cls := range []string{"core", "geojson", "oas30"} {
		if !slices.Contains(c.ConformsTo, "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"+cls) {
			t.Errorf("conformsTo lacks %s: %v", cls, c.ConformsTo)
		}
	}
	for _, cls := range []string{"core", "tileset", "tilesets-list", "geodata-tilesets", "mvt"} {
		if !slices.Contains(c.ConformsTo, "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/"+cls) {
			t.Errorf("conformsTo lacks tiles %s: %v", cls, c.ConformsTo)
		}
	}
}

func TestOGCOpenAPI(t *testing.T) {
	srv, _ := ogcServer(t)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Servers []struct{ URL string }    `json:"servers"`
		Paths   map[string]map[string]any `json:"paths"`
		Comps   struct {
			Parameters map[string]struct {
				Name   string         `json:"name"`
				In     string         `json:"in"`
				Schema map[string]any `json:"schema"`
			} `json:"parameters"`
		} `json:"components"`
	}
	ogcJSON(t, srv.URL+"/ogc/api", "application/vnd.oai.openapi+json;version=3.0", &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != srv.URL+"/ogc" {
		t.Errorf("servers %v", doc.Servers)
	}
	for _, p := range []string{"/", "/conformance", "/api", "/collections", "/collections/{collectionId}",
		"/collections/{collectionId}/items", "/collections/{collectionId}/items/{featureId}",
		"/collections/{collectionId}/tiles", "/collections/{collectionId}/tiles/{tileMatrixSetId}",
		"/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
		"/tileMatrixSets", "/tileMatrixSets/{tileMatrixSetId}"} {
		if _, ok := doc.Paths[p]["get"]; !ok {
			t.Errorf("path %s has no GET", p)
		}
	}
	limit := doc.Comps.Parameters["limit"]
	if limit.Name != "limit" || limit.In != "query" || limit.Schema["default"] != 100.0 || limit.Schema["maximum"] != 1000.0 || limit.Schema["minimum"] != 1.0 {
		t.Errorf("limit parameter %+v", limit)
	}
	for _, name := range []string{"bbox", "datetime", "offset"} {
		if p := doc.Comps.Parameters[name]; p.Name != name || p.In != "query" {
			t.Errorf("parameter %s: %+v", name, p)
		}
	}
	// Every $ref resolves.
	_, body := ogcGet(t, srv.URL+"/ogc/api")
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				node := any(raw)
				for _, part := range strings.Split(strings.TrimPrefix(r, "#/"), "/") {
					m, _ := node.(map[string]any)
					node = m[part]
				}
				if node == nil {
					t.Errorf("dangling $ref %s", r)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(raw)
}

var ogcCollectionIDs = []string{"omraden-2015", "omraden-2017", "omraden-2019", "omraden-2021", "omraden-2023", "omraden-2025",
	"kommuner", "lan", "polisregioner", "narvaro-kontor", "narvaro-insatser", "h3-r6", "h3-r7", "h3-r8"}

type ogcCollectionJSON struct {
	ID, Title, Description, ItemType string
	CRS                              []string
	Extent                           struct {
		Spatial struct {
			BBox [][]float64
			CRS  string
		}
		Temporal *struct {
			Interval [][2]*string
			TRS      string
		}
	}
	Links []ogcLink
}

func TestOGCCollections(t *testing.T) {
	srv, db := ogcServer(t)
	ctx := context.Background()
	// One office and one operation, one of them synthetic.
	office := lagesbild.Office{Source: lagesbild.SourceSyntheticDemo, SourceID: "k1", Agency: "skv", Name: "Skatteverket Rinkeby",
		Point: orb.Point{17.928, 59.388}, StaffedHoursPerWeek: 40, Line: 1}
	op := lagesbild.Operation{Source: "test", SourceID: "i1", Name: "Insats Tensta", AreaID: "2025-SO9", Agencies: []string{"pm", "skv"},
		Start: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC), PersonHours: 120, Line: 2}
	if _, err := db.ImportPresence(ctx, "presence.csv", []lagesbild.Office{office}, []lagesbild.Operation{op}); err != nil {
		t.Fatal(err)
	}
	var cs struct {
		Links       []ogcLink
		Collections []ogcCollectionJSON
	}
	ogcJSON(t, srv.URL+"/ogc/collections", "application/json", &cs)
	if l, ok := linkByRel(cs.Links, "self"); !ok || l.Href != srv.URL+"/ogc/collections" {
		t.Errorf("self link %+v", l)
	}
	byID := map[string]ogcCollectionJSON{}
	for _, c := range cs.Collections {
		byID[c.ID] = c
	}
	for _, id := range ogcCollectionIDs {
		c, ok := byID[id]
		if !ok {
			t.Errorf("collection %s missing", id)
			continue
		}
		b := c.Extent.Spatial.BBox
		if len(b) != 1 || len(b[0]) != 4 || !inSweden([2]float64{b[0][0], b[0][1]}) || !inSweden([2]float64{b[0][2], b[0][3]}) ||
			b[0][0] > b[0][2] || b[0][1] > b[0][3] || c.Extent.Spatial.CRS != "http://www.opengis.net/def/crs/OGC/1.3/CRS84" {
			t.Errorf("%s: extent %+v", id, c.Extent.Spatial)
		}
		if c.Title == "" || c.Description == "" || c.ItemType != "feature" {
			t.Errorf("%s: %+v", id, c)
		}
		items, ok := linkByRel(c.Links, "items")
		if !ok || items.Href != srv.URL+"/ogc/collections/"+id+"/items" || items.Type != "application/geo+json" {
			t.Errorf("%s: items link %+v", id, items)
		}
		if self, ok := linkByRel(c.Links, "self"); !ok || self.Href != srv.URL+"/ogc/collections/"+id {
			t.Errorf("%s: self link %+v", id, self)
		}
		if _, ok := linkByRel(c.Links, "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"); !ok {
			t.Errorf("%s: no tilesets-vector link", id)
		}
	}
	if c := byID["omraden-2025"]; c.Title != "Utsatta områden 2025 (Polismyndigheten)" || strings.Contains(c.Description, "approximerad") {
		t.Errorf("omraden-2025: %q / %q", c.Title, c.Description)
	}
	for _, y := range []string{"2015", "2017", "2019"} {
		if c := byID["omraden-"+y]; !strings.Contains(c.Description, "approximerad") {
			t.Errorf("omraden-%s does not say its geometry is approximated: %q", y, c.Description)
		}
	}
	for _, id := range []string{"narvaro-kontor", "narvaro-insatser", "h3-r7"} {
		if !strings.Contains(byID[id].Description, "syntetisk") {
			t.Errorf("%s does not say demo data is synthetic: %q", id, byID[id].Description)
		}
	}
	// The operation's days, as instants: March 2025 in Europe/Stockholm.
	tmp := byID["narvaro-insatser"].Extent.Temporal
	if tmp == nil || len(tmp.Interval) != 1 || tmp.Interval[0][0] == nil || *tmp.Interval[0][0] != "2025-02-28T23:00:00Z" ||
		tmp.Interval[0][1] == nil || *tmp.Interval[0][1] != "2025-03-31T21:59:59Z" {
		t.Errorf("narvaro-insatser temporal extent %+v", tmp)
	}
	if byID["kommuner"].Extent.Temporal != nil {
		t.Errorf("kommuner has a temporal extent")
	}
	// One collection alone, and the synthetic flag on features.
	var one ogcCollectionJSON
	ogcJSON(t, srv.URL+"/ogc/collections/narvaro-kontor", "application/json", &one)
	if one.ID != "narvaro-kontor" || one.Extent.Spatial.BBox[0][0] != 17.928 {
		t.Errorf("narvaro-kontor: %+v", one)
	}
	var offices, ops ogcItems
	ogcJSON(t, srv.URL+"/ogc/collections/narvaro-kontor/items", "application/geo+json", &offices)
	ogcJSON(t, srv.URL+"/ogc/collections/narvaro-insatser/items", "application/geo+json", &ops)
	if len(offices.Features) != 1 || offices.Features[0].Properties["synthetic"] != true || offices.Features[0].Geometry.Type != "Point" ||
		!strings.HasPrefix(offices.Features[0].ID, "office-") || offices.Features[0].Properties["agency_name"] != "Skatteverket" {
		t.Errorf("offices: %+v", offices.Features)
	}
	if len(ops.Features) != 1 || ops.Features[0].Properties["synthetic"] != false || ops.Features[0].Geometry.Type != "MultiPolygon" ||
		!strings.HasPrefix(ops.Features[0].ID, "operation-") {
		t.Errorf("operations: %+v", ops.Features)
	}
	for _, tc := range []struct {
		datetime string
		want     int
	}{
		{"2025-03-15T12:00:00Z", 1},
		{"2025-03-31T21:00:00Z", 1}, // 23:00 on the last day in Stockholm
		{"2025-03-31T22:30:00Z", 0}, // already 1 April in Stockholm
		{"../2025-02-28T22:00:00Z", 0},
		{"../2025-02-28T23:00:00Z", 1},
		{"2025-04-01T00:00:00Z/..", 0},
		{"2024-01-01T00:00:00Z/2026-01-01T00:00:00Z", 1},
		{"../..", 1},
	} {
		var got ogcItems
		ogcJSON(t, srv.URL+"/ogc/collections/narvaro-insatser/items?datetime="+url.QueryEscape(tc.datetime), "application/geo+json", &got)
		if *got.NumberMatched != tc.want || len(got.Features) != tc.want {
			t.Errorf("datetime=%s: %d matched, want %d", tc.datetime, *got.NumberMatched, tc.want)
		}
	}
	// Collections without time accept datetime and ignore it.
	var k ogcItems
	ogcJSON(t, srv.URL+"/ogc/collections/kommuner/items?datetime=2025-03-15T12:00:00Z&limit=1", "application/geo+json", &k)
	if *k.NumberMatched != 290 {
		t.Errorf("kommuner with datetime: %d matched", *k.NumberMatched)
	}
}

// pageThrough follows next links from u and returns the feature ids in order, checking every
// page's counts.
func pageThrough(t *testing.T, u string, wantMatched, wantPages int) []string {
	t.Helper()
	var ids []string
	pages := 0
	for u != "" {
		var page ogcItems
		ogcJSON(t, u, "application/geo+json", &page)
		pages++
		if page.Type != "FeatureCollection" || page.NumberMatched == nil || *page.NumberMatched != wantMatched ||
			page.NumberReturned == nil || *page.NumberReturned != len(page.Features) {
			t.Fatalf("%s: type %s, numberMatched %v, numberReturned %v for %d features", u, page.Type, page.NumberMatched, page.NumberReturned, len(page.Features))
		}
		if _, err := time.Parse(time.RFC3339, page.TimeStamp); err != nil {
			t.Errorf("timeStamp %q", page.TimeStamp)
		}
		if self, ok := linkByRel(page.Links, "self"); !ok || self.Href != u {
			t.Errorf("self %q, want %q", self.Href, u)
		}
		for _, f := range page.Features {
			ids = append(ids, f.ID)
			for _, p := range f.Geometry.lonLats(t) {
				if !inSweden(p) {
					t.Fatalf("%s: %v is not a WGS84 lon/lat in Sweden", f.ID, p)
				}
			}
		}
		next, ok := linkByRel(page.Links, "next")
		if ok && next.Type != "application/geo+json" {
			t.Errorf("next type %q", next.Type)
		}
		u = next.Href
		if pages > wantPages+1 {
			t.Fatalf("more than %d pages", wantPages)
		}
	}
	if pages != wantPages {
		t.Errorf("%d pages, want %d", pages, wantPages)
	}
	return ids
}

func TestOGCPaging(t *testing.T) {
	srv, _ := ogcServer(t)
	for _, start := range []string{
		"/ogc/collections/omraden-2015/items?limit=10",
		// next keeps the other parameters.
		"/ogc/collections/omraden-2015/items?bbox=10%2C55%2C25%2C70&limit=10",
	} {
		ids := pageThrough(t, srv.URL+start, 53, 6)
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] || !strings.HasPrefix(id, "2015-") {
				t.Errorf("%s: id %s repeated or not of 2015", start, id)
			}
			seen[id] = true
		}
		if len(seen) != 53 || !slices.IsSorted(ids) {
			t.Errorf("%s: %d distinct ids, sorted %v", start, len(seen), slices.IsSorted(ids))
		}
	}
	// The default page is 100; a limit above the maximum is lowered to 1000, not refused.
	var page ogcItems
	ogcJSON(t, srv.URL+"/ogc/collections/kommuner/items", "application/geo+json", &page)
	if len(page.Features) != 100 || *page.NumberMatched != 290 {
		t.Errorf("default page: %d of %d", len(page.Features), *page.NumberMatched)
	}
	ogcJSON(t, srv.URL+"/ogc/collections/kommuner/items?limit=5000", "application/geo+json", &page)
	if len(page.Features) != 290 {
		t.Errorf("limit=5000: %d features", len(page.Features))
	}
	if _, ok := linkByRel(page.Links, "next"); ok {
		t.Errorf("last page has a next link")
	}
	// An offset beyond the end is an empty page that still counts the matches.
	ogcJSON(t, srv.URL+"/ogc/collections/lan/items?offset=500", "application/geo+json", &page)
	if len(page.Features) != 0 || *page.NumberMatched != 21 || *page.NumberReturned != 0 {
		t.Errorf("offset beyond the end: %d features, %d matched", len(page.Features), *page.NumberMatched)
	}
	if prev, ok := linkByRel(page.Links, "prev"); !ok || !strings.Contains(prev.Href, "offset=400") {
		t.Errorf("prev link %+v", prev)
	}
	pageThrough(t, srv.URL+"/ogc/collections/polisregioner/items?limit=3", 7, 3)
}

func TestOGCBBox(t *testing.T) {
	srv, _ := ogcServer(t)
	// Central Stockholm and the suburbs around it.
	stockholm := "17.75,59.2,18.25,59.45"
	var all, near ogcItems
	ogcJSON(t, srv.URL+"/ogc/collections/omraden-2025/items?limit=1000", "application/geo+json", &all)
	ogcJSON(t, srv.URL+"/ogc/collections/omraden-2025/items?limit=1000&bbox="+stockholm, "application/geo+json", &near)
	if *all.NumberMatched != 65 || *near.NumberMatched == 0 || *near.NumberMatched >= 65 {
		t.Fatalf("bbox: %d of %d areas", *near.NumberMatched, *all.NumberMatched)
	}
	names := map[string]bool{}
	for _, f := range near.Features {
		if f.Properties["region_kod"] != "5300" {
			t.Errorf("%s (%v) is not in police region Stockholm", f.ID, f.Properties["name"])
		}
		names[f.Properties["name"].(string)] = true
	}
	for _, n := range []string{"Tensta", "Rinkeby"} {
		if !names[n] {
			t.Errorf("%s missing from the Stockholm bbox: %v", n, names)
		}
	}
	// Every area of the Stockholm box, and no other, has a vertex or edge in it: compare
	// with the areas whose own extent meets the box, which must be a superset.
	inBox := 0
	for _, f := range all.Features {
		touches := false
		for _, p := range f.Geometry.lonLats(t) {
			touches = touches || (p[0] >= 17.75 && p[0] <= 18.25 && p[1] >= 59.2 && p[1] <= 59.45)
		}
		if touches {
			inBox++
		}
	}
	if inBox > *near.NumberMatched {
		t.Errorf("%d areas have a vertex in the box, the bbox filter found %d", inBox, *near.NumberMatched)
	}
	for _, tc := range []struct {
		coll, bbox string
		want       int
	}{
		{"kommuner", "18.05,59.32,18.07,59.33", 1}, // Stockholms kommun only
		{"lan", "18.05,59.32,18.07,59.33", 1},
		{"polisregioner", "-180,-90,180,90", 7},
		{"kommuner", "0,0,1,1", 0},
		{"kommuner", "-180,-90,-170,-80", 0},
		{"omraden-2015", "10,55,25,70", 53},
	} {
		var got ogcItems
		ogcJSON(t, srv.URL+"/ogc/collections/"+tc.coll+"/items?bbox="+tc.bbox, "application/geo+json", &got)
		if *got.NumberMatched != tc.want {
			t.Errorf("%s bbox=%s: %d, want %d", tc.coll, tc.bbox, *got.NumberMatched, tc.want)
		}
	}
	var sthlm ogcItems
	ogcJSON(t, srv.URL+"/ogc/collections/kommuner/items?bbox=18.05,59.32,18.07,59.33", "application/geo+json", &sthlm)
	if len(sthlm.Features) != 1 || sthlm.Features[0].ID != "0180" {
		t.Errorf("kommun at Stockholm city: %+v", sthlm.Features)
	}
}

func TestOGCItem(t *testing.T) {
	srv, _ := ogcServer(t)
	var f struct {
		Type       string
		ID         string
		Geometry   geoJSONGeom
		Properties map[string]any
		Links      []ogcLink
	}
	ogcJSON(t, srv.URL+"/ogc/collections/omraden-2025/items/2025-SO9", "application/geo+json", &f)
	if f.Type != "Feature" || f.ID != "2025-SO9" || f.Properties["name"] != "Tensta" || f.Properties["lpo_namn"] != "Järva" ||
		f.Properties["class_label"] == "" || f.Geometry.Type != "MultiPolygon" {
		t.Errorf("2025-SO9: %+v", f)
	}
	if l, ok := linkByRel(f.Links, "collection"); !ok || l.Href != srv.URL+"/ogc/collections/omraden-2025" {
		t.Errorf("collection link %+v", l)
	}
	ogcJSON(t, srv.URL+"/ogc/collections/kommuner/items/0180", "application/geo+json", &f)
	if f.ID != "0180" || f.Properties["namn"] != "Stockholm" || f.Properties["lan_kod"] != "01" {
		t.Errorf("0180: %+v", f.Properties)
	}
	ogcJSON(t, srv.URL+"/ogc/collections/polisregioner/items/5300", "application/geo+json", &f)
	if f.Properties["namn"] != "Stockholm" {
		t.Errorf("5300: %+v", f.Properties)
	}
}

func TestOGCErrors(t *testing.T) {
	srv, _ := ogcServer(t)
	items := "/ogc/collections/omraden-2025/items"
	cases := []struct {
		name, path string
		status     int
		parameter  string
	}{
		{"limit zero", items + "?limit=0", 400, "limit"},
		{"limit negative", items + "?limit=-5", 400, "limit"},
		{"limit not a number", items + "?limit=ten", 400, "limit"},
		{"offset negative", items + "?offset=-1", 400, "offset"},
		{"bbox three numbers", items + "?bbox=1,2,3", 400, "bbox"},
		{"bbox six numbers", items + "?bbox=10,55,0,25,70,100", 400, "bbox"},
		{"bbox minx above maxx", items + "?bbox=20,55,10,60", 400, "bbox"},
		{"bbox miny above maxy", items + "?bbox=10,60,20,55", 400, "bbox"},
		{"bbox latitude out of range", items + "?bbox=10,55,20,95", 400, "bbox"},
		{"bbox longitude out of range", items + "?bbox=-200,55,20,60", 400, "bbox"},
		{"bbox not numbers", items + "?bbox=a,b,c,d", 400, "bbox"},
		{"bbox NaN", items + "?bbox=NaN,55,20,60", 400, "bbox"},
		{"datetime garbage", items + "?datetime=yesterday", 400, "datetime"},
		{"datetime date only", items + "?datetime=2025-01-01", 400, "datetime"},
		{"datetime reversed", items + "?datetime=2025-02-01T00:00:00Z/2025-01-01T00:00:00Z", 400, "datetime"},
		{"datetime three parts", items + "?datetime=2025-01-01T00:00:00Z/../..", 400, "datetime"},
		{"unknown parameter", items + "?limt=10", 400, "limt"},
		{"bbox-crs without a bbox", items + "?bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3006", 400, "bbox-crs"},
		{"crs not offered", items + "?crs=http://www.opengis.net/def/crs/EPSG/0/3021", 400, "crs"},
		{"bbox-crs not offered", items + "?bbox=1,2,3,4&bbox-crs=EPSG:3006", 400, "bbox-crs"},
		{"bbox in EPSG:3006 inverted", items + "?bbox=6600000,680000,6500000,690000&bbox-crs=%5BEPSG:3006%5D", 400, "bbox"},
		{"repeated parameter", items + "?limit=10&limit=20", 400, "limit"},
		{"format html", items + "?f=html", 400, "f"},
		{"unknown parameter on collections", "/ogc/collections?x=1", 400, "x"},
		{"unknown collection", "/ogc/collections/omraden-2016/items", 404, ""},
		{"unknown collection metadata", "/ogc/collections/nothing", 404, ""},
		{"collection injection", "/ogc/collections/omraden-2025%27%3B%20DROP%20TABLE%20area%3B--/items", 404, ""},
		{"unknown area", items + "/2025-SO999", 404, ""},
		{"area of another list", items + "/2023-SO9", 404, ""},
		{"unknown kommun", "/ogc/collections/kommuner/items/9999", 404, ""},
		{"unknown office", "/ogc/collections/narvaro-kontor/items/office-999", 404, ""},
		{"malformed office id", "/ogc/collections/narvaro-kontor/items/office-01", 404, ""},
		{"malformed operation id", "/ogc/collections/narvaro-insatser/items/op-1", 404, ""},
		{"h3 cell of another resolution", "/ogc/collections/h3-r7/items/891f1d48177ffff", 404, ""},
		{"h3 not a cell", "/ogc/collections/h3-r7/items/zzz", 404, ""},
		{"unknown resource", "/ogc/nothing", 404, ""},
		{"unknown tile matrix set", "/ogc/collections/kommuner/tiles/WorldCRS84Quad", 404, ""},
		{"tile matrix not a number", "/ogc/collections/kommuner/tiles/WebMercatorQuad/x/0/0", 400, "tileMatrix"},
		{"tile row not a number", "/ogc/collections/kommuner/tiles/WebMercatorQuad/5/1.5/0", 400, "tileRow"},
		{"tile col not a number", "/ogc/collections/kommuner/tiles/WebMercatorQuad/5/0/-", 400, "tileCol"},
		{"tile matrix beyond the tileset", "/ogc/collections/kommuner/tiles/WebMercatorQuad/30/0/0", 404, ""},
		{"tile outside the matrix", "/ogc/collections/kommuner/tiles/WebMercatorQuad/2/0/4", 404, ""},
		{"tiles of an unknown collection", "/ogc/collections/nothing/tiles/WebMercatorQuad/2/0/0", 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := ogcGet(t, srv.URL+tc.path)
			if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("%s: %d %s, want %d JSON: %s", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.status, body)
			}
			var e struct {
				Error struct{ Code, Message, Parameter string } `json:"error"`
			}
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatal(err)
			}
			if e.Error.Parameter != tc.parameter || e.Error.Message == "" {
				t.Errorf("%s: body %s", tc.path, body)
			}
		})
	}
	// The injection attempt changed nothing.
	var page ogcItems
	ogcJSON(t, srv.URL+items, "application/geo+json", &page)
	if *page.NumberMatched != 65 {
		t.Errorf("after the injection attempt: %d areas", *page.NumberMatched)
	}
}

// incidentsAt makes n exact incidents at lon/lat of one group, source and day.
func incidentsAt(prefix string, n int, lon, lat float64, group lagesbild.CategoryGroup, source string, day time.Time) []lagesbild.Incident {
	out := make([]lagesbild.Incident, n)
	for i := range out {
		out[i] = lagesbild.Incident{Source: source, SourceID: fmt.Sprintf("%s-%d", prefix, i), OccurredAt: day.Add(time.Duration(i) * time.Minute),
			Category: string(group), Group: group, Agency: "pm", Precision: lagesbild.PrecisionExact,
			Point: orb.Point{lon + float64(i)*1e-5, lat}, Line: i + 1}
	}
	return out
}

func TestOGCH3Suppression(t *testing.T) {
	srv, db := ogcServer(t)
	day := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	// Tensta (Stockholm): 3 shootings, synthetic. Central Göteborg: 7 robberies and 2 drug cases
	// (9 in all), from another source. Kommun-precision records never reach h3.
	var recs []lagesbild.Incident
	recs = append(recs, incidentsAt("sthlm", 3, 17.905, 59.3945, lagesbild.GroupSkjutning, lagesbild.SourceSyntheticDemo, day)...)
	recs = append(recs, incidentsAt("gbg-ran", 7, 11.967, 57.707, lagesbild.GroupRan, "test", day)...)
	recs = append(recs, incidentsAt("gbg-nark", 2, 11.967, 57.7071, lagesbild.GroupNarkotika, "test", day.AddDate(0, 0, 10))...)
	recs = append(recs, lagesbild.Incident{Source: "polisen", SourceID: "k1", OccurredAt: day, Category: "Rån", Group: lagesbild.GroupRan,
		Agency: "pm", Precision: lagesbild.PrecisionKommun, KommunCode: "0180", LocationName: "Stockholm", Line: 99})
	importIncidents(t, db, "h3.csv", recs)
	cellOf := func(lon, lat float64) string {
		c, err := hexgrid.Cell(lat, lon, 7)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%x", c)
	}
	sthlm, gbg := cellOf(17.905, 59.3945), cellOf(11.967, 57.707)
	if sthlm == gbg || cellOf(11.967+6e-5, 57.7071) != gbg {
		t.Fatalf("test points not in the cells meant: %s %s", sthlm, gbg)
	}

	var page ogcItems
	ogcJSON(t, srv.URL+"/ogc/collections/h3-r7/items", "application/geo+json", &page)
	if *page.NumberMatched != 2 || len(page.Features) != 2 {
		t.Fatalf("h3-r7: %d cells: %+v", *page.NumberMatched, page.Features)
	}
	byCell := map[string]map[string]any{}
	for _, f := range page.Features {
		if f.Geometry == nil || f.Geometry.Type != "Polygon" {
			t.Errorf("cell %s: geometry %+v", f.ID, f.Geometry)
		}
		if f.Properties["cell"] != f.ID {
			t.Errorf("cell property %v, id %s", f.Properties["cell"], f.ID)
		}
		byCell[f.ID] = f.Properties
	}
	s, g := byCell[sthlm], byCell[gbg]
	if s == nil || g == nil {
		t.Fatalf("cells %s, %s not among %v", sthlm, gbg, byCell)
	}
	// 3 is suppressed: null and a sibling flag; 7 is published; 2 is suppressed; 0 is 0. Göteborg's
	// total (9) is hidden as well (secondary suppression), or 9 − 7 would reveal the hidden 2.
	checks := []struct {
		props      map[string]any
		name       string
		value      any
		suppressed bool
	}{
		{s, "total", nil, true},
		{s, "skjutning", nil, true},
		{s, "ran", 0.0, false},
		{g, "total", nil, true},
		{g, "ran", 7.0, false},
		{g, "narkotika", nil, true},
		{g, "skjutning", 0.0, false},
	}
	for _, c := range checks {
		v, present := c.props[c.name]
		if !present || v != c.value || c.props[c.name+"_suppressed"] != c.suppressed {
			t.Errorf("%s = %v (present %v), %s_suppressed = %v; want %v, %v",
				c.name, v, present, c.name, c.props[c.name+"_suppressed"], c.value, c.suppressed)
		}
	}
	if s["synthetic"] != true || g["synthetic"] != false {
		t.Errorf("synthetic: stockholm %v, göteborg %v", s["synthetic"], g["synthetic"])
	}
	// No count from 1 to 4 appears anywhere in the output.
	for _, f := range page.Features {
		for k, v := range f.Properties {
			if n, ok := v.(float64); ok && n >= 1 && n <= 4 {
				t.Errorf("cell %s: %s = %v is published", f.ID, k, n)
			}
		}
	}

	// One cell by id, a bbox, and datetime by day.
	var one struct {
		ID         string
		Properties map[string]any
	}
	ogcJSON(t, srv.URL+"/ogc/collections/h3-r7/items/"+gbg, "application/geo+json", &one)
	if one.ID != gbg || one.Properties["ran"] != 7.0 {
		t.Errorf("item %s: %+v", gbg, one)
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"bbox=17.8,59.3,18.0,59.5", []string{sthlm}},
		{"bbox=11.9,57.6,12.1,57.8", []string{gbg}},
		{"bbox=20,65,21,66", nil},
		{"datetime=2025-06-01T12:00:00Z", []string{gbg, sthlm}},
		{"datetime=2025-06-05T00:00:00Z/..", []string{gbg}},
		{"datetime=../2025-05-31T21:59:59Z", nil}, // the last second of 31 May in Stockholm
	} {
		var got ogcItems
		ogcJSON(t, srv.URL+"/ogc/collections/h3-r7/items?"+tc.query, "application/geo+json", &got)
		var ids []string
		for _, f := range got.Features {
			ids = append(ids, f.ID)
		}
		slices.Sort(ids)
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if !slices.Equal(ids, want) || *got.NumberMatched != len(want) {
			t.Errorf("%s: %v (%d matched), want %v", tc.query, ids, *got.NumberMatched, want)
		}
	}
	// Only 2 narcotics cases after 5 June in Göteborg: the total is suppressed as well.
	var late ogcItems
	ogcJSON(t, srv.URL+"/ogc/collections/h3-r7/items?datetime=2025-06-05T00:00:00Z/..", "application/geo+json", &late)
	if p := late.Features[0].Properties; p["total"] != nil || p["total_suppressed"] != true || p["ran"] != 0.0 {
		t.Errorf("late: %v", p)
	}
	var c ogcCollectionJSON
	ogcJSON(t, srv.URL+"/ogc/collections/h3-r7", "application/json", &c)
	if c.Extent.Temporal == nil || *c.Extent.Temporal.Interval[0][0] != "2025-05-31T22:00:00Z" || *c.Extent.Temporal.Interval[0][1] != "2025-06-11T21:59:59Z" {
		t.Errorf("h3-r7 temporal extent %+v", c.Extent.Temporal)
	}
	b := c.Extent.Spatial.BBox[0]
	if b[0] > 11.967 || b[2] < 17.905 || b[1] > 57.707 || b[3] < 59.3945 {
		t.Errorf("h3-r7 extent %v does not hold the cells", b)
	}
}

func TestOGCTiles(t *testing.T) {
	srv, _ := ogcServer(t)
	var sets struct {
		Tilesets []struct {
			DataType, CRS, TileMatrixSetURI string
			Links                           []ogcLink
		}
	}
	ogcJSON(t, srv.URL+"/ogc/collections/omraden-2025/tiles", "application/json", &sets)
	// WebMercatorQuad first, then SWEREF99TM (TestOGCTilesSweref99TM).
	if len(sets.Tilesets) != 2 || sets.Tilesets[0].DataType != "vector" ||
		sets.Tilesets[0].TileMatrixSetURI != "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad" {
		t.Fatalf("tilesets %+v", sets)
	}
	var ts struct {
		DataType, CRS, TileMatrixSetURI string
		Layers                          []struct{ ID, GeometryType string }
		TileMatrixSetLimits             []struct {
			TileMatrix                                     string
			MinTileRow, MaxTileRow, MinTileCol, MaxTileCol int
		}
		Links []ogcLink
	}
	ogcJSON(t, srv.URL+"/ogc/collections/omraden-2025/tiles/WebMercatorQuad", "application/json", &ts)
	item, ok := linkByRel(ts.Links, "item")
	wantTemplate := srv.URL + "/ogc/collections/omraden-2025/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}"
	if !ok || item.Href != wantTemplate || !item.Templated || item.Type != "application/vnd.mapbox-vector-tile" {
		t.Errorf("item link %+v", item)
	}
	if len(ts.Layers) != 1 || ts.Layers[0].ID != "omraden" || ts.Layers[0].GeometryType != "MultiPolygon" || ts.CRS != "http://www.opengis.net/def/crs/EPSG/0/3857" {
		t.Errorf("tileset %+v", ts)
	}
	if len(ts.TileMatrixSetLimits) == 0 || ts.TileMatrixSetLimits[0].TileMatrix != "0" {
		t.Errorf("limits %+v", ts.TileMatrixSetLimits)
	}

	var tms struct {
		ID, URI, CRS string
		TileMatrices []struct {
			ID                        string
			ScaleDenominator          float64
			MatrixWidth, MatrixHeight int
		}
	}
	ogcJSON(t, srv.URL+"/ogc/tileMatrixSets/WebMercatorQuad", "application/json", &tms)
	if tms.ID != "WebMercatorQuad" || len(tms.TileMatrices) != 25 || tms.TileMatrices[0].ScaleDenominator < 559082264.02 ||
		tms.TileMatrices[0].ScaleDenominator > 559082264.03 || tms.TileMatrices[16].MatrixWidth != 65536 {
		t.Errorf("tile matrix set %+v", tms)
	}
	var list struct{ TileMatrixSets []struct{ ID string } }
	ogcJSON(t, srv.URL+"/ogc/tileMatrixSets", "application/json", &list)
	if len(list.TileMatrixSets) != 2 || list.TileMatrixSets[0].ID != "WebMercatorQuad" || list.TileMatrixSets[1].ID != "SWEREF99TM" {
		t.Errorf("tile matrix sets %+v", list)
	}

	// A tile over Järva through the OGC route: tileRow is y from the north, tileCol is x.
	row, col := 4812, 9007 // z 14 at 17.92 E 59.39 N
	for _, coll := range []string{"omraden-2025", "omraden-2015", "kommuner"} {
		resp, body := ogcGet(t, fmt.Sprintf("%s/ogc/collections/%s/tiles/WebMercatorQuad/14/%d/%d", srv.URL, coll, row, col))
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" || len(body) == 0 {
			t.Errorf("%s tile: %d %s", coll, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	// The police list comes from the collection, not from the client.
	a, _ := ogcGet(t, fmt.Sprintf("%s/ogc/collections/omraden-2015/tiles/WebMercatorQuad/14/%d/%d?set=2025", srv.URL, row, col))
	b, _ := ogcGet(t, fmt.Sprintf("%s/ogc/collections/omraden-2015/tiles/WebMercatorQuad/14/%d/%d", srv.URL, row, col))
	if a.Header.Get("ETag") == "" || a.Header.Get("ETag") != b.Header.Get("ETag") {
		t.Errorf("set=2025 changed the omraden-2015 tile: %q vs %q", a.Header.Get("ETag"), b.Header.Get("ETag"))
	}
}

// Without a feature store /ogc is not mounted.
func TestOGCNotMountedWithoutStore(t *testing.T) {
	db, _ := pgtest.New(t)
	api := &httpapi.Server{Areas: db, Ready: db, Logger: pgtest.Logger(t)}
	srv := httptest.NewServer(asNational(t, db, api))
	defer srv.Close()
	// (404, or 405 since /tiles answers OPTIONS on every path.)
	if resp, _ := ogcGet(t, srv.URL+"/ogc/collections"); resp.StatusCode != 404 && resp.StatusCode != 405 {
		t.Errorf("/ogc/collections without a store: %d", resp.StatusCode)
	}
}

// A bbox filter must reach the GiST index, also after many calls (a cached generic plan would
// scan). The server's sessions are closed first: a backend flushes its statistics on exit.
func TestOGCBBoxUsesSpatialIndex(t *testing.T) {
	db, dbURL := pgtest.New(t)
	// Without the items cache: every request must read, so that each shows in the index scans
	// (with it, the two repeated bboxes would be answered from memory).
	api := &httpapi.Server{Areas: db, Ready: db, Features: db, Logger: pgtest.Logger(t), ItemCacheBytes: -1}
	srv := httptest.NewServer(asNational(t, db, api))
	const n = 12
	for i := range n {
		for _, p := range []string{"kommuner", "omraden-2025"} {
			var page ogcItems
			ogcJSON(t, fmt.Sprintf("%s/ogc/collections/%s/items?bbox=17.9,59.3,18.%d,59.4", srv.URL, p, i%10), "application/geo+json", &page)
			if *page.NumberMatched == 0 {
				t.Fatalf("%s: nothing in the bbox", p)
			}
			ogcJSON(t, srv.URL+"/ogc/collections/"+p+"/items?limit=1", "application/geo+json", &page)
		}
	}
	srv.Close()
	db.Close()
	conn := pgtest.Conn(t, dbURL)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var kommun, area int64
		err := conn.QueryRow(context.Background(), `SELECT
			(SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_indexes WHERE indexrelname = 'kommun_geom_idx'),
			(SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_indexes WHERE indexrelname = 'area_geom_idx')`).Scan(&kommun, &area)
		if err != nil {
			t.Fatal(err)
		}
		if kommun >= n && area >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GiST index scans after %d bbox requests each: kommun_geom_idx %d, area_geom_idx %d", n, kommun, area)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// FuzzOGCItemsParams holds /items to two answers whatever the query: 200, or 400 naming one of
// the parameters given. A 5xx would mean a parameter reached the database unchecked.
func FuzzOGCItemsParams(f *testing.F) {
	db, _ := pgtest.New(f)
	h := asNational(f, db, &httpapi.Server{Areas: db, Ready: db, Features: db, Logger: pgtest.Logger(f)})
	for _, s := range [][4]string{
		{"17.9,59.3,18.1,59.4", "2025-01-01T00:00:00Z/..", "10", "0"},
		{"1,2,3", "yesterday", "0", "-1"},
		{"-180,-90,180,90", "../..", "5000", "99999999999"},
		{"10,55,0,25,70,100", "2025-02-01T00:00:00+01:00/2025-01-01T00:00:00Z", "1e3", "1.5"},
		{"1e308,0,1e308,0", "2025-01-01T24:00:00Z", "+5", ""},
		{"", "", "", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, bbox, datetime, limit, offset string) {
		q := url.Values{}
		for k, v := range map[string]string{"bbox": bbox, "datetime": datetime, "limit": limit, "offset": offset} {
			if v != "" {
				q.Set(k, v)
			}
		}
		for _, coll := range []string{"omraden-2025", "narvaro-insatser", "h3-r7"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ogc/collections/"+coll+"/items?"+q.Encode(), nil))
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
