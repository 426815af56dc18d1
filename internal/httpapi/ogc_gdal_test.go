package httpapi_test

import (
	"context"
	"encoding/json"
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
	cmd.Env = localClientEnv("CPL_DEBUG=OFF", "GDAL_HTTP_TIMEOUT=30", "GDAL_HTTP_MAX_RETRY=0",
		"CPL_CURL_VERBOSE=NO", "GDAL_HTTP_USERAGENT=lagesbild-test")
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
	requireGISClient(t, err, "ogrinfo (GDAL)", "gdal-bin")
	api, token := gisTestServer(t)
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

// TestOGCTilesWithGDAL reads the vector tiles with GDAL's MVT driver, a real client, under the
// OGC paths (WebMercatorQuad and SWEREF99TM, the tileset's first item link, with f=mvt so that
// GDAL takes the URL for one tile rather than a directory) and under the short paths (the
// tileset's second item link): the same tile has the same features under both.
//
// GDAL's OGCAPI driver cannot open the tilesets in Debian 12's GDAL 3.6: the vector branch of
// its InitWithTilesAPI is compiled only with OGR_ENABLE_DRIVER_GML (frmts/ogcapi/
// gdalogcapidataset.cpp, "#ifdef OGR_ENABLE_DRIVER_GML"), which frmts/ogcapi/CMakeLists.txt sets
// before the GML driver's option exists, so a CMake build never has it (fixed in GDAL 3.7.1,
// OSGeo/gdal#7993); the driver then returns no dataset, silently, for every vector tileset of
// any server. The test records what the installed GDAL does with the tileset and requires
// nothing of it (README, "GDAL and the tilesets").
func TestOGCTilesWithGDAL(t *testing.T) {
	bin, err := exec.LookPath("ogrinfo")
	requireGISClient(t, err, "ogrinfo (GDAL)", "gdal-bin")
	api, token := gisTestServer(t)
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()

	// The tileset's item links: the OGC template first, the short one second.
	var ts struct{ Links []struct{ Href, Rel string } }
	for _, tms := range []string{"WebMercatorQuad", "SWEREF99TM"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/ogc/collections/kommuner/tiles/"+tms, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&ts)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		var items []string
		for _, l := range ts.Links {
			if l.Rel == "item" {
				items = append(items, l.Href)
			}
		}
		short := srv.URL + "/tiles/kommuner/{tileMatrix}/{tileCol}/{tileRow}.mvt"
		if tms != "WebMercatorQuad" {
			short = srv.URL + "/tiles/SWEREF99TM/kommuner/{tileMatrix}/{tileCol}/{tileRow}.mvt"
		}
		if len(items) != 2 || items[0] != srv.URL+"/ogc/collections/kommuner/tiles/"+tms+"/{tileMatrix}/{tileRow}/{tileCol}" || items[1] != short {
			t.Errorf("%s tileset item links %v, want the OGC and the short template", tms, items)
		}
	}

	featureCount := func(out string) int {
		m := regexp.MustCompile(`Feature Count: (\d+)`).FindStringSubmatch(out)
		if m == nil {
			return -1
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	// ogrinfo on one tile: X, Y, Z place it (GDAL reads its path as z/x/y only for the short one).
	tile := func(url string, z, row, col int, args ...string) string {
		a := append([]string{"-ro", "-oo", "METADATA_FILE=", "-oo", "Z=" + strconv.Itoa(z), "-oo", "X=" + strconv.Itoa(col),
			"-oo", "Y=" + strconv.Itoa(row), "MVT:/vsicurl/" + url}, args...)
		return ogrinfoAs(t, bin, token, a...)
	}

	// WebMercatorQuad 5/8/17 (row 8, column 17) holds most of southern and central Sweden.
	ogc := tile(srv.URL+"/ogc/collections/kommuner/tiles/WebMercatorQuad/5/8/17?f=mvt", 5, 8, 17, "-so", "kommuner")
	short := tile(srv.URL+"/tiles/kommuner/5/17/8.mvt", 5, 8, 17, "-so", "kommuner")
	n := featureCount(ogc)
	if n <= 0 || featureCount(short) != n || !strings.Contains(ogc, "Geometry: Polygon") {
		t.Errorf("GDAL read %d kommuner from the OGC tile, %d from the short one:\n%s\n%s", n, featureCount(short), ogc, short)
	}
	// In EPSG:3857 metres, inside the tile (x 1 252 344–2 504 689, y 8 766 410–10 018 754).
	m := regexp.MustCompile(`Extent: \(([0-9.-]+), ([0-9.-]+)\) - \(([0-9.-]+), ([0-9.-]+)\)`).FindStringSubmatch(ogc)
	var ext [4]float64
	for i := range ext {
		if m != nil {
			ext[i], _ = strconv.ParseFloat(m[i+1], 64)
		}
	}
	if m == nil || ext[0] < 1252344-1 || ext[2] > 2504689+1 || ext[1] < 8766410-1 || ext[3] > 10018754+1 || !strings.Contains(ogc, `ID["EPSG",3857]`) {
		t.Errorf("the OGC tile's extent %v is not inside tile 5/8/17 in EPSG:3857:\n%s", ext, ogc)
	}
	all := tile(srv.URL+"/ogc/collections/kommuner/tiles/WebMercatorQuad/5/8/17?f=mvt", 5, 8, 17, "-al", "-q")
	// GDAL 3.6 counts every feature of the tile (Feature Count) but leaves out a few when it
	// reads them (3 of 51 here; not investigated): most, with their attributes.
	if c := strings.Count(all, "OGRFeature(kommuner)"); c < n*3/4 || c > n || !strings.Contains(all, "namn (String) = ") {
		t.Errorf("ogrinfo -al read %d features of %d, or no namn:\n%.1500s", c, n, all)
	}
	t.Logf("GDAL's MVT driver: %d kommuner in WebMercatorQuad 5/8/17, extent %v", n, ext)

	// SWEREF99TM matrix 1 row 1 column 2: Stockholm (E 674 000, N 6 580 000). The MVT driver
	// places tiles in Web Mercator, so only the features are compared, not their coordinates.
	g := tiles.Sweref99TM
	row, col := g.TileAt(1, 674000, 6580000)
	ogc = tile(srv.URL+"/ogc/collections/kommuner/tiles/SWEREF99TM/1/"+strconv.Itoa(row)+"/"+strconv.Itoa(col)+"?f=mvt", 1, row, col, "-so", "kommuner")
	short = tile(srv.URL+"/tiles/SWEREF99TM/kommuner/1/"+strconv.Itoa(col)+"/"+strconv.Itoa(row)+".mvt", 1, row, col, "-so", "kommuner")
	if n := featureCount(ogc); n <= 0 || featureCount(short) != n {
		t.Errorf("GDAL read %d kommuner from SWEREF99TM 1/%d/%d, %d from the short path:\n%s\n%s", n, row, col, featureCount(short), ogc, short)
	}

	// What the installed GDAL's OGCAPI driver does with the tileset (see above): logged only.
	ver, _ := exec.Command(bin, "--version").CombinedOutput()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-ro", "-so", "OGCAPI:"+srv.URL+"/ogc/collections/kommuner")
	cmd.Env = append(os.Environ(), "NO_PROXY=127.0.0.1,localhost", "GDAL_HTTP_HEADERS=Authorization: Bearer "+token)
	out, err := cmd.CombinedOutput()
	first, _, _ := strings.Cut(string(out), "\n")
	t.Logf("%s: ogrinfo OGCAPI:…/collections/kommuner: err %v, %s", strings.TrimSpace(string(ver)), err, first)
}
