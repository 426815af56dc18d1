package httpapi_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/hexgrid"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// TestOGCH3Resolutions reads the H3 collections of resolutions 6 and 8 next to 7: one item per
// cell with the counts of the period and the small-count rule, queryables of the cell and its
// geometry only, a filter on the cell, and none on a count.
func TestOGCH3Resolutions(t *testing.T) {
	srv, db := ogcServer(t)
	day := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	recs := incidentsAt("gbg-ran", 7, 11.967, 57.707, lagesbild.GroupRan, "test", day)
	recs = append(recs, incidentsAt("sthlm", 6, 17.905, 59.3945, lagesbild.GroupRan, "test", day.AddDate(0, 1, 0))...)
	importIncidents(t, db, "h3res.csv", recs)
	for _, res := range []int{6, 8} {
		coll := fmt.Sprintf("%s/ogc/collections/h3-r%d", srv.URL, res)
		c, err := hexgrid.Cell(57.707, 11.967, res)
		if err != nil {
			t.Fatal(err)
		}
		gbg := fmt.Sprintf("%x", c)
		var page ogcItems
		ogcJSON(t, coll+"/items", "application/geo+json", &page)
		if *page.NumberMatched != 2 {
			t.Fatalf("h3-r%d: %d cells, want 2", res, *page.NumberMatched)
		}
		ogcJSON(t, coll+"/items?datetime=2025-06-01T00:00:00Z/2025-06-30T00:00:00Z", "application/geo+json", &page)
		if *page.NumberMatched != 1 || page.Features[0].ID != gbg || page.Features[0].Properties["total"] != 7.0 {
			t.Errorf("h3-r%d in June: %+v", res, page.Features)
		}
		ogcJSON(t, coll+"/items?filter="+url.QueryEscape("cell = '"+gbg+"'"), "application/geo+json", &page)
		if *page.NumberMatched != 1 || page.Features[0].ID != gbg {
			t.Errorf("h3-r%d filtered on the cell: %+v", res, page.Features)
		}
		ogcJSON(t, coll+"/items?filter="+url.QueryEscape("S_INTERSECTS(geometry, POINT(17.905 59.3945))"), "application/geo+json", &page)
		if *page.NumberMatched != 1 || page.Features[0].ID == gbg {
			t.Errorf("h3-r%d filtered on the geometry: %+v", res, page.Features)
		}
		var q struct {
			Properties map[string]any `json:"properties"`
		}
		ogcJSON(t, coll+"/queryables", "application/schema+json", &q)
		if len(q.Properties) != 2 || q.Properties["cell"] == nil || q.Properties["geometry"] == nil {
			t.Errorf("h3-r%d queryables: %v", res, q.Properties)
		}
		resp, body := ogcGet(t, coll+"/items?filter="+url.QueryEscape("total > 1"))
		if resp.StatusCode != 400 || !strings.Contains(string(body), "not a queryable") {
			t.Errorf("h3-r%d filter on a count: %d %s", res, resp.StatusCode, body)
		}
		resp, _ = ogcGet(t, coll+"/items/"+fmt.Sprintf("%x", must(hexgrid.Cell(57.707, 11.967, 7))))
		if resp.StatusCode != 404 {
			t.Errorf("h3-r%d item of a resolution 7 cell: %d, want 404", res, resp.StatusCode)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
