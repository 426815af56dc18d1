package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
)

// TestImportDesoCLI imports DeSO boundaries as an operator would, from a GeoPackage (converted
// by ogr2ogr) the test builds itself: one DeSO rectangle around Tensta. A second import changes
// nothing; a GeoJSON file with a bad code is rejected with its line and field.
func TestImportDesoCLI(t *testing.T) {
	_, url := pgtest.New(t)
	conn := pgtest.Conn(t, url)
	ctx := context.Background()
	var e0, n0, e1, n1 float64
	var code string
	if err := conn.QueryRow(ctx, `SELECT ST_XMin(a.geom) - 50, ST_YMin(a.geom) - 50, ST_XMax(a.geom) + 50, ST_YMax(a.geom) + 50,
			(SELECT code FROM deso WHERE kommun_code = '0180' ORDER BY code LIMIT 1)
		FROM area a WHERE a.set_year = 2025 AND a.name = 'Tensta'`).Scan(&e0, &n0, &e1, &n1, &code); err != nil {
		t.Fatal(err)
	}
	feature := func(code string) string {
		return fmt.Sprintf(`{"type":"Feature","properties":{"deso":%q,"kommun":"0180"},"geometry":{"type":"Polygon","coordinates":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]}}`,
			code, e0, n0, e1, n0, e1, n1, e0, n1, e0, n0)
	}
	collection := func(code string) string {
		return `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3006"}},"features":[` + "\n" + feature(code) + "\n]}\n"
	}
	src := writeFile(t, "deso.geojson", collection(code))
	gpkg := filepath.Join(t.TempDir(), "DeSO_2018.gpkg")
	if out, err := exec.Command("ogr2ogr", "-f", "GPKG", gpkg, src).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr (GDAL is installed by scripts/install-deps.sh): %v\n%s", err, out)
	}
	rep, out, err := cli(t, url, "import", "deso", "--json", gpkg)
	if err != nil || !rep.OK || rep.Read != 1 || rep.Inserted < 1 {
		t.Fatalf("GeoPackage import: %+v %v\n%s", rep, err, out)
	}
	if !strings.Contains(out, `"areas_estimated":["2025-SO`) {
		t.Errorf("--json does not list the estimated areas:\n%s", out)
	}
	var method string
	if err := conn.QueryRow(ctx, `SELECT p.method FROM area_population p JOIN area a ON a.id = p.area_id
		WHERE a.set_year = 2025 AND a.name = 'Tensta' AND p.estimated`).Scan(&method); err != nil || !strings.Contains(method, "area-weighted") {
		t.Fatalf("Tensta's population: %q, %v", method, err)
	}
	_, out, err = cli(t, url, "import", "deso", gpkg)
	if err != nil || !strings.Contains(out, "inserted 0, updated 0") {
		t.Errorf("second import:\n%s %v", out, err)
	}
	bad := writeFile(t, "bad.geojson", collection("0180X0001"))
	_, out, err = cli(t, url, "import", "deso", bad)
	if err == nil || !strings.Contains(out, "bad.geojson:2: deso:") {
		t.Errorf("bad code accepted or not named:\n%s %v", out, err)
	}
}
