package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// owslibScript drives OWSLib's OGC API – Features client (owslib.ogcapi.features) through what
// a Python analyst does: the conformance, the collections, a collection's queryables, a CQL2
// filter, crs=EPSG:3006 and every page of a collection by its next links. It prints what it
// saw as one JSON object; the test judges it.
const owslibScript = `
import json, os, sys
from urllib.parse import urlparse, parse_qs
from owslib.ogcapi.features import Features

url, token = sys.argv[1], sys.argv[2]
f = Features(url, headers={"Authorization": "Bearer " + token}, timeout=60)
out = {}
out["conformsTo"] = f.conformance()["conformsTo"]
out["collections"] = f.feature_collections()
q = f.collection_queryables("kommuner")
out["queryables"] = sorted(q["properties"].keys())
r = f.collection_items("kommuner", filter="namn = 'Malmö' OR kod IN ('0180')", limit=50)
out["filtered"] = sorted(x["id"] for x in r["features"])
out["filteredMatched"] = r["numberMatched"]
r = f.collection_items("kommuner", crs="http://www.opengis.net/def/crs/EPSG/0/3006",
                       filter="kod = '0180'")
ring = r["features"][0]["geometry"]["coordinates"][0][0]
out["sweref"] = ring[0]
ids, offset, pages = [], 0, 0
while True:
    r = f.collection_items("omraden-2015", limit=10, offset=offset)
    pages += 1
    ids += [x["id"] for x in r["features"]]
    nxt = [l["href"] for l in r["links"] if l["rel"] == "next"]
    if not nxt or pages > 20:
        break
    offset = int(parse_qs(urlparse(nxt[0]).query)["offset"][0])
out["pagedIds"] = ids
out["pages"] = pages
out["matched"] = r["numberMatched"]
print(json.dumps(out))
`

// TestOGCWithOWSLib reads the API with OWSLib (Debian python3-owslib), a real OGC API client.
func TestOGCWithOWSLib(t *testing.T) {
	const python = "/usr/bin/python3"
	requireGISClient(t, exec.Command(python, "-c", "import owslib.ogcapi.features").Run(), "OWSLib", "python3-owslib")
	api, token := gisTestServer(t)
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-c", owslibScript, srv.URL+"/ogc", token)
	cmd.Env = localClientEnv() // only the local server: no proxy from the environment
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("OWSLib: %v\n%s", err, stderr.String())
	}
	var got struct {
		ConformsTo      []string   `json:"conformsTo"`
		Collections     []string   `json:"collections"`
		Queryables      []string   `json:"queryables"`
		Filtered        []string   `json:"filtered"`
		FilteredMatched int        `json:"filteredMatched"`
		Sweref          [2]float64 `json:"sweref"`
		PagedIDs        []string   `json:"pagedIds"`
		Pages           int        `json:"pages"`
		Matched         int        `json:"matched"`
	}
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("OWSLib output: %v\n%s", err, stdout)
	}
	t.Logf("OWSLib: queryables %v, filtered %v, EPSG:3006 position %v, %d ids over %d pages", got.Queryables, got.Filtered, got.Sweref, len(got.PagedIDs), got.Pages)
	for _, c := range []string{"ogcapi-features-1/1.0/conf/core", "ogcapi-features-2/1.0/conf/crs", "ogcapi-features-3/1.0/conf/filter", "cql2/1.0/conf/cql2-text"} {
		if !slices.ContainsFunc(got.ConformsTo, func(s string) bool { return strings.HasSuffix(s, c) }) {
			t.Errorf("conformance lacks %s: %v", c, got.ConformsTo)
		}
	}
	for _, id := range ogcCollectionIDs {
		if id == "h3-r8" {
			continue // finer than a gis token's H3 limit (7): not listed to it
		}
		if !slices.Contains(got.Collections, id) {
			t.Errorf("OWSLib does not list collection %s: %v", id, got.Collections)
		}
	}
	if !slices.Contains(got.Queryables, "namn") || !slices.Contains(got.Queryables, "geometry") {
		t.Errorf("kommuner queryables: %v", got.Queryables)
	}
	if !slices.Equal(got.Filtered, []string{"0180", "1280"}) || got.FilteredMatched != 2 {
		t.Errorf("filter namn = 'Malmö' OR kod IN ('0180'): %v (numberMatched %d)", got.Filtered, got.FilteredMatched)
	}
	// EPSG:3006 is northing, easting in metres: Stockholm lies near N 6 580 000, E 674 000.
	if n, e := got.Sweref[0], got.Sweref[1]; n < 6.5e6 || n > 6.65e6 || e < 6e5 || e > 7.5e5 {
		t.Errorf("crs=EPSG:3006 position %v is not Stockholm's northing, easting in metres", got.Sweref)
	}
	seen := map[string]bool{}
	for _, id := range got.PagedIDs {
		seen[id] = true
	}
	if got.Matched != 53 || len(got.PagedIDs) != 53 || len(seen) != 53 || got.Pages != 6 {
		t.Errorf("paging omraden-2015 by next links: %d ids (%d distinct) over %d pages, numberMatched %d; want 53 over 6",
			len(got.PagedIDs), len(seen), got.Pages, got.Matched)
	}
}
