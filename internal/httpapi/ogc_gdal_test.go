package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// ogrinfoAs runs GDAL's ogrinfo with args against the local server only (proxy settings of the
// environment are dropped, and every run is bounded), sending token as a bearer credential
// (GDAL_HTTP_HEADERS), the way a GIS tool is configured with an API token.
func ogrinfoAs(t *testing.T, bin, token string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch strings.ToLower(name) {
		case "http_proxy", "https_proxy", "all_proxy", "no_proxy", "gdal_http_proxy", "gdal_https_proxy":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "NO_PROXY=127.0.0.1,localhost", "CPL_DEBUG=OFF", "GDAL_HTTP_TIMEOUT=30",
		"GDAL_HTTP_MAX_RETRY=0", "CPL_CURL_VERBOSE=NO", "GDAL_HTTP_USERAGENT=lagesbild-test")
	if token != "" {
		cmd.Env = append(cmd.Env, "GDAL_HTTP_HEADERS=Authorization: Bearer "+token)
	}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("ogrinfo %s: timed out after 60 s\n%s", strings.Join(args, " "), out)
	}
	if err != nil {
		t.Fatalf("ogrinfo %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestOGCWithGDAL reads the API with a real OGC API – Features client, GDAL's OAPIF driver.
func TestOGCWithGDAL(t *testing.T) {
	bin, err := exec.LookPath("ogrinfo")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ogrinfo (GDAL) is not installed: run scripts/install-deps.sh gdal")
		}
		t.Skip("ogrinfo (GDAL) is not installed; scripts/install-deps.sh gdal (Debian: apt-get install gdal-bin) installs it")
	}
	db, _ := pgtest.New(t)
	api := &httpapi.Server{Areas: db, Ready: db, Features: db, Tiles: tiles.NewService(db, db, 1<<20), Logger: pgtest.Logger(t)}
	// GDAL reads as a GIS tool does: with a gis token (coarse cells, no points), for all of Sweden.
	api.Auth = auth.NewService(db, false)
	token, _, err := api.Auth.CreateToken(context.Background(), auth.TokenRequest{Role: auth.RoleGIS, Scope: "all", CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var requests []string
	h := api.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.URL.RequestURI())
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ds := "OAPIF:" + srv.URL + "/ogc"

	// The dataset lists every collection as a layer.
	out := ogrinfoAs(t, bin, token, "-ro", "-so", ds)
	for _, id := range ogcCollectionIDs {
		if id == "h3-r8" {
			continue // finer than a gis token's H3 limit (7): not listed to it
		}
		if !regexp.MustCompile(`(?m)^\d+: ` + regexp.QuoteMeta(id) + `( |$)`).MatchString(out) {
			t.Errorf("ogrinfo does not list %s:\n%s", id, out)
		}
	}
	t.Logf("ogrinfo -ro -so:\n%s", out)

	// The feature count comes from numberMatched.
	out = ogrinfoAs(t, bin, token, "-ro", "-so", ds, "omraden-2015")
	if !strings.Contains(out, "Feature Count: 53") {
		t.Errorf("ogrinfo -so omraden-2015 does not report 53 features:\n%s", out)
	}

	// Reading every feature ten at a time follows the next links through six pages.
	mu.Lock()
	requests = nil
	mu.Unlock()
	out = ogrinfoAs(t, bin, token, "-ro", "-al", "-q", "-oo", "PAGE_SIZE=10", ds, "omraden-2015")
	if n := strings.Count(out, "OGRFeature("); n != 53 {
		t.Errorf("ogrinfo read %d features of omraden-2015, want 53", n)
	}
	ids := regexp.MustCompile(`(?m)^\s+id \(String\) = (\S+)$`).FindAllStringSubmatch(out, -1)
	seen := map[string]bool{}
	for _, m := range ids {
		seen[m[1]] = true
	}
	if len(ids) != 53 || len(seen) != 53 {
		t.Errorf("ogrinfo saw %d ids, %d distinct, want 53", len(ids), len(seen))
	}
	if !strings.Contains(out, "name (String) = ") || !strings.Contains(out, "MULTIPOLYGON (((") {
		t.Errorf("ogrinfo output lacks attributes or geometry:\n%.2000s", out)
	}
	mu.Lock()
	var pages []string
	for _, r := range requests {
		if strings.HasPrefix(r, "/ogc/collections/omraden-2015/items") {
			pages = append(pages, r)
		}
	}
	mu.Unlock()
	offsets := map[string]bool{}
	for _, p := range pages {
		if m := regexp.MustCompile(`offset=(\d+)`).FindStringSubmatch(p); m != nil {
			offsets[m[1]] = true
		}
	}
	for _, o := range []string{"10", "20", "30", "40", "50"} {
		if !offsets[o] {
			t.Errorf("GDAL never asked for offset=%s; item requests: %v", o, pages)
		}
	}
	t.Logf("GDAL item requests: %s", strings.Join(pages, " "))
	if fids := regexp.MustCompile(`(?m)^OGRFeature\(omraden-2015\):\d+$`).FindAllString(out, -1); len(fids) > 0 {
		t.Logf("ogrinfo: %d features, first %s, last %s", len(fids), fids[0], fids[len(fids)-1])
	}

	// An attribute filter reads the one kommun. GDAL 3.6 (Debian 12) applies -where itself,
	// after reading every page (its OAPIF driver sends CQL2 only from later versions); the
	// server-side filter is tested with OWSLib (TestOGCWithOWSLib) and TestOGCFilter.
	mu.Lock()
	requests = nil
	mu.Unlock()
	out = ogrinfoAs(t, bin, token, "-ro", "-al", "-q", ds, "kommuner", "-where", "namn = 'Malmö'")
	if n := strings.Count(out, "OGRFeature("); n != 1 || !strings.Contains(out, "kod (String) = 1280") {
		t.Errorf("ogrinfo -where namn = 'Malmö': %d features:\n%.1500s", n, out)
	}
	mu.Lock()
	t.Logf("GDAL with -where made %d requests", len(requests))
	mu.Unlock()

	// ogr2ogr copies a collection to a GeoPackage in SWEREF 99 TM as a QGIS user does: every page,
	// every feature, coordinates in metres.
	ogr2ogr, err := exec.LookPath("ogr2ogr")
	if err != nil {
		t.Fatal("ogr2ogr is missing beside ogrinfo")
	}
	gpkg := t.TempDir() + "/omraden.gpkg"
	ogrinfoAs(t, ogr2ogr, token, "-f", "GPKG", "-t_srs", "EPSG:3006", "-oo", "PAGE_SIZE=20", gpkg, ds, "omraden-2015")
	out = ogrinfoAs(t, bin, "", "-ro", "-so", gpkg, "omraden-2015")
	if !strings.Contains(out, "Feature Count: 53") || !strings.Contains(out, `ID["EPSG",3006]`) {
		t.Errorf("ogr2ogr's GeoPackage: not 53 features in EPSG:3006:\n%s", out)
	}
	// The areas from Malmö to Gävle: eastings of 200 000–900 000 m, northings 6.1–6.8 million.
	m := regexp.MustCompile(`Extent: \(([0-9.]+), ([0-9.]+)\) - \(([0-9.]+), ([0-9.]+)\)`).FindStringSubmatch(out)
	var ext [4]float64
	for i := range ext {
		if m != nil {
			ext[i], _ = strconv.ParseFloat(m[i+1], 64)
		}
	}
	if m == nil || ext[0] < 2e5 || ext[2] > 9e5 || ext[1] < 6.1e6 || ext[3] > 6.8e6 || ext[2]-ext[0] < 1e5 {
		t.Errorf("ogr2ogr's GeoPackage extent %v is not SWEREF 99 TM metres:\n%s", ext, out)
	}
}
