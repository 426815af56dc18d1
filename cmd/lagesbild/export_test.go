package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb/encoding/mvt"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/pmtiles"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
)

// TestExport exports the scope of one lokalpolisområde (Järva) from a small synthetic demo as a
// PMTiles archive and a GeoPackage, and checks them with independent readers: the archive's
// header, metadata and every tile (nothing outside the scope), the GeoPackage with GDAL's
// ogrinfo (EPSG:3006, the expected feature counts), the audit rows, and the archive opened by
// the static offline page (web/offline) in headless Chromium with no server at all.
func TestExport(t *testing.T) {
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ogrinfo (gdal-bin) is needed")
		}
		t.Skip("ogrinfo (gdal-bin) is needed; make test installs it")
	}
	_, url := pgtest.New(t)
	env := map[string]string{"DATABASE_URL": url, "LAGESBILD_LOG_LEVEL": "warn"}
	runCLI(t, env, "demo", "--scale", "0.01")
	const lpo = "531350"
	dir := t.TempDir()
	pm := filepath.Join(dir, "jarva.pmtiles")
	gp := filepath.Join(dir, "jarva.gpkg")
	runCLI(t, env, "export", "--format", "pmtiles", "--output", pm, "--role", "lokal", "--scope", lpo, "--zoom", "5-12", "--recipient", "Järva samverkan")
	out, _ := runCLI(t, env, "export", "--format", "gpkg", "--output", gp, "--role", "lokal", "--scope", lpo, "--json")
	var gpRep struct {
		Features map[string]int
	}
	if err := json.Unmarshal([]byte(out), &gpRep); err != nil {
		t.Fatalf("export --json: %v\n%s", err, out)
	}

	ctx := context.Background()
	pool := pgtest.Conn(t, url)
	var areas int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM area WHERE set_year = 2025 AND lpo_code = $1`, lpo).Scan(&areas); err != nil {
		t.Fatal(err)
	}
	inScope := map[string]bool{}
	rows, err := pool.Query(ctx, `SELECT to_hex(cell) FROM h3_cell WHERE $1 = ANY (lpo_codes)`, lpo)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		_ = rows.Scan(&c)
		inScope[c] = true
	}
	rows.Close()
	scopeAreas := map[string]bool{}
	rows, _ = pool.Query(ctx, `SELECT id FROM area WHERE lpo_code = $1`, lpo)
	for rows.Next() {
		var a string
		_ = rows.Scan(&a)
		scopeAreas[a] = true
	}
	rows.Close()

	t.Run("pmtiles", func(t *testing.T) {
		f, err := os.Open(pm)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rd, err := pmtiles.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		h := rd.Header
		if h.TileType != pmtiles.TileTypeMVT || h.TileCompression != pmtiles.CompressionGzip || h.MinZoom != 5 || h.MaxZoom != 12 || !h.Clustered {
			t.Errorf("header %+v", h)
		}
		if h.MinLon < 17.5 || h.MaxLon > 18.3 || h.MinLat < 59.2 || h.MaxLat > 59.6 {
			t.Errorf("bounds %v %v %v %v: not around Järva", h.MinLon, h.MinLat, h.MaxLon, h.MaxLat)
		}
		var meta struct {
			VectorLayers []struct{ ID string } `json:"vector_layers"`
			Lagesbild    struct {
				Scope       string `json:"scope"`
				Label       string `json:"scope_label"`
				Synthetic   bool   `json:"synthetic"`
				ExportedAt  string `json:"exported_at"`
				PeriodFrom  string `json:"period_from"`
				Recipient   string `json:"recipient"`
				DataVersion int64  `json:"data_version"`
			} `json:"lagesbild"`
		}
		if err := rd.Metadata(&meta); err != nil {
			t.Fatal(err)
		}
		m := meta.Lagesbild
		if m.Scope != "lpo:"+lpo || m.Label != "lokalpolisområde Järva" || !m.Synthetic || m.ExportedAt == "" || m.PeriodFrom == "" ||
			m.Recipient != "Järva samverkan" || m.DataVersion == 0 || len(meta.VectorLayers) != 6 {
			t.Errorf("metadata %+v", meta)
		}
		entries, err := rd.Entries()
		if err != nil || len(entries) == 0 {
			t.Fatalf("entries: %d, %v", len(entries), err)
		}
		seen := map[string]int{}
		for _, e := range entries {
			z, x, y := pmtiles.ZXY(e.TileID)
			b, err := rd.Tile(z, x, y)
			if err != nil || b == nil {
				t.Fatalf("tile %d/%d/%d: %v", z, x, y, err)
			}
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(zr)
			layers, err := mvt.Unmarshal(raw)
			if err != nil {
				t.Fatalf("tile %d/%d/%d does not decode: %v", z, x, y, err)
			}
			for _, l := range layers {
				seen[l.Name] += len(l.Features)
				for _, ft := range l.Features {
					p := ft.Properties
					switch l.Name {
					case "omraden":
						if p["lpo_kod"] != lpo {
							t.Errorf("tile %d/%d/%d: area %v of LPO %v outside the scope", z, x, y, p["id"], p["lpo_kod"])
						}
					case "h3":
						if !inScope[fmt.Sprint(p["cell"])] {
							t.Errorf("tile %d/%d/%d: H3 cell %v outside the scope", z, x, y, p["cell"])
						}
						if n, ok := p["total"].(float64); ok && n > 0 && n < 5 {
							t.Errorf("cell %v: total %v is a small count", p["cell"], n)
						}
					case "narvaro":
						if a, ok := p["area_id"].(string); ok && !scopeAreas[a] {
							t.Errorf("operation %v on area %s outside the scope", p["name"], a)
						}
					}
				}
			}
		}
		for _, l := range []string{"omraden", "h3", "kommuner"} {
			if seen[l] == 0 {
				t.Errorf("no %s features in any tile (%v)", l, seen)
			}
		}
	})

	t.Run("geopackage", func(t *testing.T) {
		want := map[string]int{"omraden_2025": areas, "polisregioner": 1, "lan": 1}
		for table, n := range want {
			if gpRep.Features[table] != n {
				t.Errorf("report: %s has %d features, want %d", table, gpRep.Features[table], n)
			}
		}
		if gpRep.Features["h3_r7"] == 0 || gpRep.Features["kommuner"] == 0 {
			t.Errorf("report %v: no H3 cells or kommuner", gpRep.Features)
		}
		countRe := regexp.MustCompile(`Feature Count: ([0-9]+)`)
		for table, n := range gpRep.Features {
			out, err := exec.Command("ogrinfo", "-so", "-ro", gp, table).CombinedOutput()
			if err != nil {
				t.Fatalf("ogrinfo %s: %v\n%s", table, err, out)
			}
			c := countRe.FindSubmatch(out)
			if c == nil || string(c[1]) != strconv.Itoa(n) {
				t.Errorf("ogrinfo %s: feature count %q, want %d", table, c, n)
			}
			if !strings.Contains(string(out), `ID["EPSG",3006]`) {
				t.Errorf("ogrinfo %s: not in EPSG:3006:\n%s", table, out)
			}
		}
		out, err := exec.Command("ogrinfo", "-ro", "-q", gp, "lagesbild_export").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "scope (String) = lpo:"+lpo) || !strings.Contains(string(out), "synthetic (Integer(Boolean)) = 1") {
			t.Errorf("lagesbild_export: %v\n%s", err, out)
		}
		// What period, scope and data version it holds.
		for _, re := range []string{`period_from \(Date\) = 20[0-9]{2}/[0-9]{2}/[0-9]{2}`, `period_to \(Date\) = 20[0-9]{2}/[0-9]{2}/[0-9]{2}`,
			`data_version \(Integer\) = [1-9][0-9]*`, `scope_label \(String\) = lokalpolisområde Järva`, `exported_at \(DateTime\) = 20`, `set \(Integer\) = 2025`} {
			if !regexp.MustCompile(re).Match(out) {
				t.Errorf("lagesbild_export lacks %s:\n%s", re, out)
			}
		}
		// Every export of a table has the same column types, whatever its values (all null, all
		// whole numbers): the counts are integers, the dates dates, the hours reals.
		for table, cols := range map[string][]string{"h3_r7": {"total: Integer", "skjutning: Integer", "misshandel_hot: Integer"},
			"omraden_2025": {"classified_from: Date", "classified_until: Date"}, "narvaro_kontor": {"staffed_hours_per_week: Real"},
			"narvaro_insatser": {"person_hours: Real"}} {
			if gpRep.Features[table] == 0 {
				continue
			}
			out, _ := exec.Command("ogrinfo", "-ro", "-so", gp, table).CombinedOutput()
			for _, c := range cols {
				if !strings.Contains(string(out), "\n"+c+" ") {
					t.Errorf("%s: no column %q:\n%s", table, c, out)
				}
			}
		}
		// The same rules as the API: no count of 1–4 in any column of the H3 cells, no cell and no
		// area outside the scope (ogrinfo's SQL over the file).
		sqlCount := func(sql string) int {
			t.Helper()
			out, err := exec.Command("ogrinfo", "-ro", "-q", "-sql", sql, gp).CombinedOutput()
			m := regexp.MustCompile(`n \(Integer\) = ([0-9]+)`).FindSubmatch(out)
			if err != nil || m == nil {
				t.Fatalf("ogrinfo -sql %s: %v\n%s", sql, err, out)
			}
			n, _ := strconv.Atoi(string(m[1]))
			return n
		}
		small := []string{"CAST(total AS INTEGER) BETWEEN 1 AND 4"}
		for _, g := range lagesbild.CategoryGroups {
			small = append(small, "CAST("+string(g.Group)+" AS INTEGER) BETWEEN 1 AND 4")
		}
		if n := sqlCount("SELECT count(*) AS n FROM h3_r7 WHERE " + strings.Join(small, " OR ")); n != 0 {
			t.Errorf("h3_r7: %d cells with a count of 1–4", n)
		}
		if n := sqlCount("SELECT count(*) AS n FROM h3_r7 WHERE total IS NULL AND NOT total_suppressed"); n != 0 {
			t.Errorf("h3_r7: %d cells with no total that do not say it is suppressed", n)
		}
		if n := sqlCount("SELECT count(*) AS n FROM omraden_2025 WHERE lpo_kod IS NULL OR lpo_kod <> '" + lpo + "'"); n != 0 {
			t.Errorf("omraden_2025: %d areas outside lokalpolisområde %s", n, lpo)
		}
		out, _ = exec.Command("ogrinfo", "-ro", "-q", "-sql", "SELECT cell FROM h3_r7", gp).CombinedOutput()
		cells := regexp.MustCompile(`cell \(String\) = ([0-9a-f]+)`).FindAllSubmatch(out, -1)
		if len(cells) != gpRep.Features["h3_r7"] {
			t.Errorf("h3_r7: %d cells read, %d reported", len(cells), gpRep.Features["h3_r7"])
		}
		for _, c := range cells {
			if !inScope[string(c[1])] {
				t.Errorf("h3_r7: cell %s outside the scope", c[1])
			}
		}
		// An area's coordinates are metres (easting about 670 000, northing about 6 590 000).
		out, _ = exec.Command("ogrinfo", "-ro", "-so", gp, "omraden_2025").CombinedOutput()
		if !regexp.MustCompile(`Extent: \(6[0-9]{5}\.[0-9]+, 65[0-9]{5}\.[0-9]+\)`).Match(out) {
			t.Errorf("omraden_2025 extent not in SWEREF 99 TM metres:\n%s", out)
		}
	})

	t.Run("audit", func(t *testing.T) {
		out, _ := runCLI(t, env, "audit", "--action", "disclosure", "--json")
		var n int
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var e struct {
				Subject, Role, Scope, Resource string
				Params                         map[string]any
			}
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			n++
			if e.Role != "lokal" || e.Scope != "lpo:"+lpo || !strings.HasPrefix(e.Resource, "export/") || e.Params["data_version"] == nil || e.Params["file"] == nil ||
				e.Params["period_from"] == "" || e.Params["period_from"] == nil || e.Params["period_to"] == nil || e.Params["set"] == nil ||
				(e.Params["tiles"] == nil && e.Params["features"] == nil) {
				t.Errorf("audit row %+v", e)
			}
		}
		if n != 2 {
			t.Errorf("%d disclosure rows, want 2:\n%s", n, out)
		}
	})

	t.Run("a file that exists is refused", func(t *testing.T) {
		var errOut strings.Builder
		err := run(ctx, []string{"export", "--format", "pmtiles", "--output", pm, "--role", "lokal", "--scope", lpo}, func(k string) string { return env[k] }, io.Discard, &errOut)
		if err == nil || !strings.Contains(err.Error(), "exists") {
			t.Errorf("export over an existing file: %v", err)
		}
	})

	t.Run("an admin exports nothing", func(t *testing.T) {
		out := filepath.Join(dir, "admin.pmtiles")
		err := run(ctx, []string{"export", "--format", "pmtiles", "--output", out, "--role", "admin"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "may not read incident data") {
			t.Errorf("export as admin: %v", err)
		}
		if _, err := os.Stat(out); err == nil {
			t.Error("a file was written for an admin")
		}
	})

	t.Run("offline page", func(t *testing.T) { offlinePage(t, pm) })

	t.Run("tiles seed", func(t *testing.T) {
		senv := map[string]string{"LAGESBILD_DATA_DIR": t.TempDir(), "LAGESBILD_ADMIN_ADDR": "127.0.0.1:0"}
		for k, v := range env {
			senv[k] = v
		}
		base, stop, printed := serviceOutput(t, senv)
		defer func() { _ = stop() }()
		var admin string
		for _, l := range printed {
			if m := regexp.MustCompile(`admin address (127\.0\.0\.1:[0-9]+)`).FindStringSubmatch(l); m != nil {
				admin = m[1]
			}
		}
		// cacheStat reads one of the tile cache's gauges or counters from the admin server.
		cacheStat := func(name string) int {
			t.Helper()
			if admin == "" {
				t.Fatalf("serve printed no admin address: %q", printed)
			}
			resp, err := http.Get("http://" + admin + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			m := regexp.MustCompile(`(?m)^` + name + ` ([0-9.e+]+)$`).FindStringSubmatch(string(b))
			if m == nil {
				t.Fatalf("no %s in /metrics", name)
			}
			f, _ := strconv.ParseFloat(m[1], 64)
			return int(f)
		}
		out, progress := runCLI(t, env, "tiles", "seed", "--zoom", "5-7", "--role", "lokal", "--scope", lpo, "--url", base)
		// Järva's extent lies in one tile at each of zooms 5-7: 3 tiles of 5 layers.
		if !strings.Contains(out, "seeded 15 tiles") || !strings.Contains(out, "0 failed") || !strings.Contains(progress, "15/15") {
			t.Errorf("tiles seed printed %q and %q", out, progress)
		}
		var with int
		if _, err := fmt.Sscanf(out, "seeded 15 tiles: %d with data", &with); err != nil || with == 0 {
			t.Errorf("no tile with data: %q", out)
		}
		// The tiles are in the server's cache: 15 more entries (empty tiles are cached too), and a
		// second run of the same role and scope renders nothing, every tile a cache hit.
		entries, hits, misses := cacheStat("lagesbild_tile_cache_entries"), cacheStat("lagesbild_tile_cache_hits_total"), cacheStat("lagesbild_tile_cache_misses_total")
		if entries < 15 || misses < 15 {
			t.Errorf("after the seed the tile cache holds %d tiles after %d misses, want at least 15", entries, misses)
		}
		if out, _ := runCLI(t, env, "tiles", "seed", "--zoom", "5-7", "--role", "lokal", "--scope", lpo, "--url", base); !strings.Contains(out, "seeded 15 tiles") {
			t.Errorf("second tiles seed printed %q", out)
		}
		if h, m := cacheStat("lagesbild_tile_cache_hits_total"), cacheStat("lagesbild_tile_cache_misses_total"); h-hits < 15 || m != misses {
			t.Errorf("the second seed had %d cache hits and %d misses, want 15 hits and no miss", h-hits, m-misses)
		}
		// The run's token is revoked at its end (and both steps are in the audit log).
		audit, _ := runCLI(t, env, "audit", "--action", "admin", "--json")
		if strings.Count(audit, `"for":"tiles seed"`) != 4 || !strings.Contains(audit, `"op":"revoke"`) {
			t.Errorf("the seed token's creation and revocation are not both audited:\n%s", audit)
		}
	})
}

// offlinePage opens the archive in web/offline/index.html from file:// in headless Chromium
// (web/test/offline.mjs) and checks what the page shows; every request that is not file://
// fails the script.
func offlinePage(t *testing.T, archive string) {
	script, _ := filepath.Abs("../../web/test/offline.mjs")
	_, errChromium := os.Stat("/usr/bin/chromium")
	_, errModules := os.Stat(filepath.Join(filepath.Dir(script), "..", "node_modules", "playwright-core"))
	if errChromium != nil || errModules != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the offline page test needs /usr/bin/chromium and web/node_modules")
		}
		t.Skip("the offline page test needs /usr/bin/chromium and web/node_modules (make test installs them)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script, archive)
	cmd.Dir = filepath.Dir(script)
	out, err := cmd.CombinedOutput()
	t.Logf("offline.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("offline page: %v", err)
	}
}
