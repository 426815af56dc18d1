package httpapi_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// TestOGCH3Paging pages through an H3 collection as GDAL and OWSLib do, following next links to
// the end: a full page does not count the matches (numberMatched is left out, issue 13: the count
// over the country held the reader connections under load) and has a next link; the last page
// counts them exactly and has none; every cell comes once, in cell order, with and without a
// bbox, a period and a filter.
func TestOGCH3Paging(t *testing.T) {
	srv, db := ogcServer(t)
	day := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	var recs []lagesbild.Incident
	for i := range 5 { // five cells 10 km apart along 59.4° N (a resolution 7 cell is about 2.5 km across)
		recs = append(recs, incidentsAt(fmt.Sprintf("p%d", i), 6, 17.3+0.18*float64(i), 59.4, lagesbild.GroupRan, "test", day)...)
	}
	importIncidents(t, db, "h3paging.csv", recs)
	items := srv.URL + "/ogc/collections/h3-r7/items"

	var all ogcItems
	ogcJSON(t, items+"?limit=1000", "application/geo+json", &all)
	if all.NumberMatched == nil || *all.NumberMatched != 5 || len(all.Features) != 5 {
		t.Fatalf("limit=1000: numberMatched %v, %d features", all.NumberMatched, len(all.Features))
	}
	var want []string
	for _, f := range all.Features {
		want = append(want, f.ID)
	}
	if !slices.IsSorted(want) {
		t.Errorf("cells not in order: %v", want)
	}

	geomFilter := "filter=" + url.QueryEscape("S_INTERSECTS(geometry, POLYGON((16 58, 20 58, 20 61, 16 61, 16 58)))")
	for _, tc := range []struct {
		query string
		limit int
	}{
		{"", 2}, {"bbox=16,58,20,61", 2}, {"datetime=2025-01-01T00:00:00Z/2025-12-31T00:00:00Z", 2}, {geomFilter, 2},
		{"bbox=16,58,20,61", 1},
	} {
		var ids []string
		pages := 0
		for u := fmt.Sprintf("%s?limit=%d&%s", items, tc.limit, tc.query); u != ""; pages++ {
			if pages > 10 {
				t.Fatalf("%s: more than 10 pages", tc.query)
			}
			var page ogcItems
			ogcJSON(t, u, "application/geo+json", &page)
			for _, f := range page.Features {
				ids = append(ids, f.ID)
			}
			next, hasNext := linkByRel(page.Links, "next")
			last := len(ids) == len(want)
			switch {
			case page.NumberReturned == nil || *page.NumberReturned != len(page.Features):
				t.Errorf("%s: numberReturned %v for %d features", u, page.NumberReturned, len(page.Features))
			case !last && (page.NumberMatched != nil || !hasNext || len(page.Features) != tc.limit):
				t.Errorf("%s: a page before the last: numberMatched %v, next %v, %d features", u, page.NumberMatched, hasNext, len(page.Features))
			case last && (page.NumberMatched == nil || *page.NumberMatched != len(want) || hasNext):
				t.Errorf("%s: the last page: numberMatched %v (want %d), next %v", u, page.NumberMatched, len(want), hasNext)
			}
			u = ""
			if hasNext {
				u = next.Href
			}
		}
		if !slices.Equal(ids, want) {
			t.Errorf("%s: paged through %v, want %v", tc.query, ids, want)
		}
		if wantPages := (len(want) + tc.limit - 1) / tc.limit; pages != wantPages {
			t.Errorf("%s, limit %d: %d pages, want %d", tc.query, tc.limit, pages, wantPages)
		}
	}

	// A page beyond the end is empty, uncounted, and links back.
	var beyond ogcItems
	ogcJSON(t, items+"?limit=2&offset=10", "application/geo+json", &beyond)
	if len(beyond.Features) != 0 || beyond.NumberMatched != nil {
		t.Errorf("beyond the end: %d features, numberMatched %v", len(beyond.Features), beyond.NumberMatched)
	}
	if _, ok := linkByRel(beyond.Links, "next"); ok {
		t.Errorf("beyond the end: a next link")
	}
	if prev, ok := linkByRel(beyond.Links, "prev"); !ok || !strings.Contains(prev.Href, "offset=8") {
		t.Errorf("beyond the end: prev %+v", prev)
	}
	// An exactly full last page: counted, no next link.
	var exact ogcItems
	ogcJSON(t, items+"?limit=5", "application/geo+json", &exact)
	if exact.NumberMatched == nil || *exact.NumberMatched != 5 || len(exact.Features) != 5 {
		t.Errorf("limit=5: numberMatched %v, %d features", exact.NumberMatched, len(exact.Features))
	}
	if _, ok := linkByRel(exact.Links, "next"); ok {
		t.Errorf("limit=5: a next link after the last cell")
	}
	// One item by id still works.
	var one struct {
		ID string `json:"id"`
	}
	ogcJSON(t, items+"/"+want[3], "application/geo+json", &one)
	if one.ID != want[3] {
		t.Errorf("item %s: got %q", want[3], one.ID)
	}
}

// TestOGCH3SyntheticFlag checks the synthetic property through the store's memo of what the
// database holds (issue 13): every positioned incident synthetic, then a non-synthetic one
// imported (the memo's data version is behind at once, and read again later), then as a caller
// of one region.
func TestOGCH3SyntheticFlag(t *testing.T) {
	srv, db := ogcServer(t)
	day := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	items := srv.URL + "/ogc/collections/h3-r7/items"
	flags := func() map[string]any {
		t.Helper()
		var page ogcItems
		ogcJSON(t, items, "application/geo+json", &page)
		out := map[string]any{}
		for _, f := range page.Features {
			out[f.ID] = f.Properties["synthetic"]
		}
		return out
	}
	importIncidents(t, db, "synt.csv", incidentsAt("s", 6, 17.905, 59.3945, lagesbild.GroupRan, lagesbild.SourceSyntheticDemo, day))
	got := flags()
	if len(got) != 1 {
		t.Fatalf("one cell expected: %v", got)
	}
	var synt string
	for id, v := range got {
		synt = id
		if v != true {
			t.Errorf("only synthetic incidents: cell %s synthetic %v", id, v)
		}
	}
	importIncidents(t, db, "real.csv", incidentsAt("r", 6, 11.967, 57.707, lagesbild.GroupRan, "test", day))
	for _, wait := range []time.Duration{0, 1100 * time.Millisecond} { // the memo behind, then read again
		time.Sleep(wait)
		got = flags()
		if len(got) != 2 {
			t.Fatalf("two cells expected: %v", got)
		}
		for id, v := range got {
			if want := id == synt; v != want {
				t.Errorf("after %v: cell %s synthetic %v, want %v", wait, id, v, want)
			}
		}
	}
}
