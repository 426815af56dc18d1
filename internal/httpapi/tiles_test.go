package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"

	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

var update = flag.Bool("update", false, "rewrite the golden tiles in testdata/tiles")

// demoServer serves a database loaded with a small, deterministic slice of the demo data.
func demoServer(t *testing.T) (*httptest.Server, *postgis.DB, string) {
	t.Helper()
	db, url := pgtest.New(t)
	loadDemo(t, db, demo.Options{Seed: 7, Scale: 0.02}, false)
	// Kommun-precision events must never reach the h3 or handelser layers.
	importIncidents(t, db, "polisen", []lagesbild.Incident{{Source: "polisen", SourceID: "1", OccurredAt: time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC),
		Category: "Skottlossning", Group: lagesbild.GroupSkjutning, Agency: "pm", Precision: lagesbild.PrecisionKommun,
		KommunCode: "0180", LocationName: "Stockholm", Line: 1}})
	api := &httpapi.Server{Areas: db, Ready: db, Logger: pgtest.Logger(t), Tiles: tiles.NewService(db, db, 16<<20)}
	srv := httptest.NewServer(asNational(t, db, api))
	t.Cleanup(srv.Close)
	return srv, db, url
}

func fetch(t *testing.T, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// A transport that does not add Accept-Encoding itself, so the test sees the raw answer.
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
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

// goldenTiles are compared feature by feature with testdata/tiles/<layers>/<z>-<x>-<y>.mvt.
var goldenTiles = []string{
	"omraden/12/2251/1203", "omraden/5/17/9", "kommuner/5/17/9", "lan/4/8/4", "polisregioner/3/4/2",
	"h3/5/17/9", "h3/12/2251/1203", "narvaro/8/140/75", "handelser/14/9006/4812", "omraden,h3/10/562/300",
}

type decodedFeature struct {
	Geometry   string
	Properties map[string]any
}

func decode(t *testing.T, data []byte) map[string]map[string]decodedFeature {
	t.Helper()
	layers, err := mvt.Unmarshal(data)
	if err != nil {
		t.Fatalf("not a vector tile: %v", err)
	}
	out := map[string]map[string]decodedFeature{}
	for _, l := range layers {
		if l.Version != 2 || l.Extent != tiles.Extent {
			t.Errorf("layer %s: version %d extent %d, want 2 and 4096", l.Name, l.Version, l.Extent)
		}
		fs := map[string]decodedFeature{}
		for _, f := range l.Features {
			// orb decodes ids as float64, which cannot hold every H3 index: cells are keyed by
			// their cell property instead.
			fid, ok := f.ID.(float64)
			if !ok || fid < 0 {
				t.Fatalf("layer %s: feature without an integer id", l.Name)
			}
			id := fmt.Sprintf("%.0f", fid)
			if c, ok := f.Properties["cell"].(string); ok {
				id = c
			}
			if _, dup := fs[id]; dup {
				t.Fatalf("layer %s: id %s twice", l.Name, id)
			}
			fs[id] = decodedFeature{fmt.Sprint(f.Geometry), f.Properties}
		}
		out[l.Name] = fs
	}
	return out
}

func TestTilesGolden(t *testing.T) {
	srv, _, _ := demoServer(t)
	for _, path := range goldenTiles {
		t.Run(strings.ReplaceAll(path, "/", "-"), func(t *testing.T) {
			resp, body := fetch(t, srv.URL+"/tiles/"+path+".mvt", nil)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
				t.Fatalf("%s: %d %s %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			parts := strings.SplitN(path, "/", 2)
			file := filepath.Join("testdata", "tiles", parts[0], strings.ReplaceAll(parts[1], "/", "-")+".mvt")
			if *update {
				_ = os.MkdirAll(filepath.Dir(file), 0o755)
				if err := os.WriteFile(file, body, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -run TestTilesGolden -update)", err)
			}
			got := decode(t, body)
			if !reflect.DeepEqual(got, decode(t, want)) {
				t.Errorf("%s differs from %s", path, file)
			}
			for name, fs := range got {
				if len(fs) == 0 {
					t.Errorf("%s: layer %s is empty; pick a tile with data", path, name)
				}
			}
			checkTileRules(t, got)
		})
	}
}

// checkTileRules asserts the disclosure and precision rules on decoded tiles.
func checkTileRules(t *testing.T, layers map[string]map[string]decodedFeature) {
	t.Helper()
	for id, f := range layers["h3"] {
		for k, v := range f.Properties {
			n, ok := v.(float64)
			if !ok {
				if i, ok2 := v.(int64); ok2 {
					n, ok = float64(i), true
				}
				if u, ok2 := v.(uint64); ok2 {
					n, ok = float64(u), true
				}
			}
			if ok && k != "res" && n >= 1 && n < 5 {
				t.Errorf("h3 cell %s shows %s = %v: counts 1–4 must be suppressed", id, k, v)
			}
		}
		if _, has := f.Properties["total"]; !has && f.Properties["suppressed"] != true {
			t.Errorf("h3 cell %s hides its total without saying it is suppressed", id)
		}
		// Secondary suppression: a hidden group hides the total, which would otherwise reveal it.
		if _, has := f.Properties["total"]; has && f.Properties["suppressed"] == true {
			t.Errorf("h3 cell %s shows its total while a group is suppressed", id)
		}
	}
}

func TestTileHTTPBehaviour(t *testing.T) {
	srv, _, _ := demoServer(t)
	base := srv.URL + "/tiles/h3/12/2251/1203.mvt"

	resp, gz := fetch(t, base, map[string]string{"Accept-Encoding": "gzip"})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("ETag") == "" {
		t.Fatalf("gzip request: %d %v", resp.StatusCode, resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	_, plain := fetch(t, base, nil)
	if !bytes.Equal(unzipped, plain) {
		t.Error("gzip and plain bodies differ")
	}
	etag := resp.Header.Get("ETag")
	if resp, _ := fetch(t, base, map[string]string{"If-None-Match": etag}); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", resp.StatusCode)
	}
	if resp, _ := fetch(t, base+"?category=skjutning", map[string]string{"If-None-Match": etag}); resp.StatusCode != 200 || resp.Header.Get("ETag") == etag {
		t.Errorf("filters must be part of the ETag")
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("no CORS header")
	}
	// .pbf is accepted too; an empty tile (open sea) is 204.
	if resp, _ := fetch(t, srv.URL+"/tiles/h3/12/2251/1203.pbf", nil); resp.StatusCode != 200 {
		t.Errorf(".pbf: %d", resp.StatusCode)
	}
	if resp, _ := fetch(t, srv.URL+"/tiles/h3/10/600/200.mvt", nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("empty tile: %d, want 204", resp.StatusCode)
	}
	for path, want := range map[string]int{
		"/tiles/h3/12/2251/99999.mvt":            400,
		"/tiles/h3/x/1/1.mvt":                    400,
		"/tiles/h3/1/1/1.png":                    400,
		"/tiles/nope/1/1/1.mvt":                  404,
		"/tiles/h3/1/1/1.mvt?from=yesterday":     400,
		"/tiles/kommuner/1/1/1.mvt?category=ran": 400,
		"/tiles/nope.json":                       404,
	} {
		if resp, body := fetch(t, srv.URL+path, nil); resp.StatusCode != want {
			t.Errorf("%s: %d %s, want %d", path, resp.StatusCode, body, want)
		}
	}
	// The default view (one row per cell) and the per-group path (all groups named) agree.
	all := "skjutning,sprangning,grovt_vald,misshandel_hot,ran,narkotika,overgrepp_rattssak,brand_skadegorelse,stold_inbrott,bedrageri_valfard,ovrigt"
	for _, z := range []string{"5/17/9", "12/2251/1203"} {
		_, def := fetch(t, srv.URL+"/tiles/h3/"+z+".mvt", nil)
		_, grouped := fetch(t, srv.URL+"/tiles/h3/"+z+".mvt?category="+all, nil)
		if !reflect.DeepEqual(decode(t, def), decode(t, grouped)) {
			t.Errorf("h3 %s: the per-cell totals differ from the per-group aggregates", z)
		}
	}
	// Points only from zoom 14.
	if resp, _ := fetch(t, srv.URL+"/tiles/handelser/12/2251/1203.mvt", nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("handelser below z14: %d, want 204", resp.StatusCode)
	}
}

func TestTileJSONAndStyle(t *testing.T) {
	srv, _, _ := demoServer(t)
	resp, body := fetch(t, srv.URL+"/tiles/h3.json", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"tilejson":"3.0.0"`) ||
		!strings.Contains(string(body), srv.URL+"/tiles/h3/{z}/{x}/{y}.mvt") || !strings.Contains(string(body), `"vector_layers"`) {
		t.Errorf("TileJSON: %d %s", resp.StatusCode, body)
	}
	for _, p := range []string{"/tiles", "/styles/lagesbild.json"} {
		if resp, body := fetch(t, srv.URL+p, nil); resp.StatusCode != 200 || !strings.Contains(string(body), srv.URL+"/tiles/") {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
}

// TestGDALReadsTiles opens every golden tile with GDAL's MVT driver, a real GIS client.
func TestGDALReadsTiles(t *testing.T) {
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ogrinfo missing: make test installs gdal-bin")
		}
		t.Skip("ogrinfo missing: apt-get install gdal-bin")
	}
	for _, path := range goldenTiles {
		parts := strings.Split(path, "/")
		file := filepath.Join("testdata", "tiles", parts[0], parts[1]+"-"+parts[2]+"-"+parts[3]+".mvt")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		out, err := exec.CommandContext(ctx, "ogrinfo", "-ro", "-so", "-oo", "Z="+parts[1], "-oo", "X="+parts[2], "-oo", "Y="+parts[3], file).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("ogrinfo %s: %v\n%s", file, err, out)
		}
		for _, layer := range strings.Split(parts[0], ",") {
			if !regexp.MustCompile(`(?m)^[0-9]+: ` + layer + `( \(.*\))?$`).Match(out) {
				t.Errorf("ogrinfo does not list layer %s of %s:\n%s", layer, file, out)
			}
		}
	}
}

// Regression: a tile too dense to draw was a bare "Bad Request" (its words were internal error
// text), and an unknown layer's message was rebuilt by trimming error text. Both come from the
// lower layers as lagesbild.PublicError and reach the client as written.
func TestTileErrorsReachClientAsWritten(t *testing.T) {
	db, _ := pgtest.New(t)
	recs := make([]lagesbild.Incident, postgis.MaxTilePoints+1)
	for i := range recs {
		// All inside tile 14/9006/4812 (lon 17.886–17.908, lat 59.389–59.400).
		recs[i] = lagesbild.Incident{Source: "test", SourceID: strconv.Itoa(i), OccurredAt: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
			Category: "Misshandel", Group: lagesbild.GroupMisshandelHot, Agency: "pm", Precision: lagesbild.PrecisionExact,
			Point: orb.Point{17.89 + float64(i%100)*0.0001, 59.39 + float64(i/100)*0.00004}, Line: i + 1}
	}
	importIncidents(t, db, "dense", recs)
	api := &httpapi.Server{Areas: db, Ready: db, Logger: pgtest.Logger(t), Tiles: tiles.NewService(db, db, 16<<20)}
	srv := httptest.NewServer(asNational(t, db, api))
	t.Cleanup(srv.Close)

	for path, want := range map[string]struct {
		status        int
		code, message string
	}{
		"/tiles/handelser/14/9006/4812.mvt": {400, "invalid", fmt.Sprintf("tile 14/9006/4812 holds more than %d incidents; zoom in or filter", postgis.MaxTilePoints)},
		"/tiles/nope/1/1/1.mvt":             {404, "not_found", `no layer "nope" (layers: ` + strings.Join(layerNames(), ", ") + ")"},
	} {
		resp, body := fetch(t, srv.URL+path, nil)
		var got struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != want.status || got.Error.Code != want.code || got.Error.Message != want.message {
			t.Errorf("%s: %d %s, want %d with code %q and message %q", path, resp.StatusCode, body, want.status, want.code, want.message)
		}
	}
}

func layerNames() []string {
	var out []string
	for _, l := range tiles.Layers {
		out = append(out, l.Name)
	}
	return out
}
