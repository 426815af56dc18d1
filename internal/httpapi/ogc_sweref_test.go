package httpapi_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"

	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// swerefTileBBox decodes an MVT tile of tiles.Sweref99TM z/row/col and returns, per layer and
// feature property key, the extent of each feature's geometry in SWEREF 99 TM metres (west,
// south, east, north), computed from the tile coordinates alone.
func swerefTileBBox(t *testing.T, body []byte, z, row, col int, key string) map[string]map[string][4]float64 {
	t.Helper()
	layers, err := mvt.Unmarshal(body)
	if err != nil {
		t.Fatalf("the tile does not decode: %v", err)
	}
	env := tiles.Sweref99TM.Envelope(z, row, col)
	unit := (env[2] - env[0]) / 4096
	out := map[string]map[string][4]float64{}
	for _, l := range layers {
		if l.Extent != 4096 {
			t.Errorf("layer %s: extent %d", l.Name, l.Extent)
		}
		out[l.Name] = map[string][4]float64{}
		for _, f := range l.Features {
			b := f.Geometry.Bound()
			// MVT y runs down from the tile's top edge.
			w, e := env[0]+b.Min[0]*unit, env[0]+b.Max[0]*unit
			n, s := env[3]-b.Min[1]*unit, env[3]-b.Max[1]*unit
			id := fmt.Sprint(f.Properties[key])
			if old, ok := out[l.Name][id]; ok {
				w, s, e, n = math.Min(w, old[0]), math.Min(s, old[1]), math.Max(e, old[2]), math.Max(n, old[3])
			}
			out[l.Name][id] = [4]float64{w, s, e, n}
		}
	}
	return out
}

// TestOGCTilesSweref99TM serves the SWEREF 99 TM tile matrix set: its definition (Lantmäteriet's
// origin and resolutions, northing first), the tilesets of each collection in it, and tiles
// whose decoded coordinates, turned into metres from the tile matrix alone, land on the stored
// EPSG:3006 geometries as PostGIS has them.
func TestOGCTilesSweref99TM(t *testing.T) {
	db, url := pgtest.New(t)
	api := &httpapi.Server{Areas: db, Ready: db, Features: db, Tiles: tiles.NewService(db, db, 1<<20), Logger: pgtest.Logger(t)}
	srv := httptest.NewServer(asNational(t, db, api))
	defer srv.Close()
	conn := pgtest.Conn(t, url)
	ctx := context.Background()

	t.Run("projection", func(t *testing.T) {
		// tiles.ToSweref99TM against PostGIS (PROJ) over Sweden, to a millimetre.
		for _, p := range [][2]float64{{18.0686, 59.3293}, {11.0, 55.3}, {24.1, 68.9}, {15, 62}, {12.5, 66}} {
			var e, n float64
			if err := conn.QueryRow(ctx, `SELECT ST_X(g), ST_Y(g) FROM ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), 3006) g`, p[0], p[1]).Scan(&e, &n); err != nil {
				t.Fatal(err)
			}
			ge, gn := tiles.ToSweref99TM(p[0], p[1])
			if math.Abs(ge-e) > 0.001 || math.Abs(gn-n) > 0.001 {
				t.Errorf("%v: E %.3f N %.3f, PostGIS E %.3f N %.3f", p, ge, gn, e, n)
			}
		}
	})

	t.Run("tile matrix set", func(t *testing.T) {
		var tms struct {
			ID, CRS      string
			OrderedAxes  []string
			TileMatrices []struct {
				ID                        string
				ScaleDenominator          float64
				CellSize                  float64
				CornerOfOrigin            string
				PointOfOrigin             [2]float64
				TileWidth, TileHeight     int
				MatrixWidth, MatrixHeight int
			}
		}
		ogcJSON(t, srv.URL+"/ogc/tileMatrixSets/SWEREF99TM", "application/json", &tms)
		if tms.ID != "SWEREF99TM" || tms.CRS != "http://www.opengis.net/def/crs/EPSG/0/3006" || len(tms.TileMatrices) != 14 ||
			len(tms.OrderedAxes) != 2 || tms.OrderedAxes[0] != "N" {
			t.Fatalf("tile matrix set %+v", tms)
		}
		m0, m13 := tms.TileMatrices[0], tms.TileMatrices[13]
		if m0.CellSize != 4096 || m0.PointOfOrigin != [2]float64{8500000, -1200000} || m0.MatrixWidth != 6 || m0.MatrixHeight != 6 ||
			m0.TileWidth != 256 || m0.CornerOfOrigin != "topLeft" || math.Abs(m0.ScaleDenominator-14628571.428571) > 0.001 {
			t.Errorf("matrix 0 %+v", m0)
		}
		if m13.CellSize != 0.5 || m13.MatrixWidth != 43008 {
			t.Errorf("matrix 13 %+v", m13)
		}
		var list struct{ TileMatrixSets []struct{ ID string } }
		ogcJSON(t, srv.URL+"/ogc/tileMatrixSets", "application/json", &list)
		if len(list.TileMatrixSets) != 2 || list.TileMatrixSets[1].ID != "SWEREF99TM" {
			t.Errorf("tile matrix sets %+v", list)
		}
	})

	// Stockholm kommun (0180) as stored, in metres.
	var kw, ks, ke, kn float64
	if err := conn.QueryRow(ctx, `SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM kommun WHERE code = '0180'`).Scan(&kw, &ks, &ke, &kn); err != nil {
		t.Fatal(err)
	}
	g := tiles.Sweref99TM

	t.Run("tileset", func(t *testing.T) {
		var sets struct {
			Tilesets []struct {
				CRS   string
				Links []ogcLink
			}
		}
		ogcJSON(t, srv.URL+"/ogc/collections/kommuner/tiles", "application/json", &sets)
		if len(sets.Tilesets) != 2 || sets.Tilesets[1].CRS != "http://www.opengis.net/def/crs/EPSG/0/3006" {
			t.Fatalf("tilesets %+v", sets)
		}
		if l, ok := linkByRel(sets.Tilesets[1].Links, "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"); !ok || l.Href != srv.URL+"/ogc/tileMatrixSets/SWEREF99TM" {
			t.Errorf("tiling-scheme link %+v", sets.Tilesets[1].Links)
		}
		var ts struct {
			CRS    string
			Layers []struct{ ID, MinTileMatrix, MaxTileMatrix string }
			Limits []struct {
				TileMatrix                                     string
				MinTileRow, MaxTileRow, MinTileCol, MaxTileCol int
			} `json:"tileMatrixSetLimits"`
			Links []ogcLink
		}
		ogcJSON(t, srv.URL+"/ogc/collections/kommuner/tiles/SWEREF99TM", "application/json", &ts)
		if item, ok := linkByRel(ts.Links, "item"); !ok || item.Href != srv.URL+"/ogc/collections/kommuner/tiles/SWEREF99TM/{tileMatrix}/{tileRow}/{tileCol}" {
			t.Errorf("item link %+v", ts.Links)
		}
		if len(ts.Layers) != 1 || ts.Layers[0].MinTileMatrix != "0" || ts.Layers[0].MaxTileMatrix != "12" || len(ts.Limits) != 13 {
			t.Fatalf("tileset %+v", ts)
		}
		// Every kommun lies within the limits: Stockholm's tiles at matrix 8.
		r0, c0 := g.TileAt(8, kw, kn)
		r1, c1 := g.TileAt(8, ke, ks)
		l := ts.Limits[8]
		if l.TileMatrix != "8" || r0 < l.MinTileRow || r1 > l.MaxTileRow || c0 < l.MinTileCol || c1 > l.MaxTileCol {
			t.Errorf("limits of matrix 8 %+v do not hold Stockholm's tiles rows %d–%d, columns %d–%d", l, r0, r1, c0, c1)
		}
		var h3 struct {
			Layers []struct{ MinTileMatrix, MaxTileMatrix string }
		}
		ogcJSON(t, srv.URL+"/ogc/collections/h3-r7/tiles/SWEREF99TM", "application/json", &h3)
		if len(h3.Layers) != 1 || h3.Layers[0].MaxTileMatrix != "12" {
			t.Errorf("h3-r7 SWEREF99TM tileset %+v", h3)
		}
	})

	tile := func(t *testing.T, coll string, z, row, col int) (*http.Response, []byte) {
		t.Helper()
		return ogcGet(t, fmt.Sprintf("%s/ogc/collections/%s/tiles/SWEREF99TM/%d/%d/%d", srv.URL, coll, z, row, col))
	}

	t.Run("features land where they are stored", func(t *testing.T) {
		// At matrix 3 (512 m pixels, 131 km tiles) all of Stockholm lies in one tile: its decoded
		// extent is the stored one to within two tile units (64 m) of quantisation and
		// simplification.
		z := 3
		row, col := g.TileAt(z, (kw+ke)/2, (ks+kn)/2)
		if r2, c2 := g.TileAt(z, kw, kn); r2 != row || c2 != col {
			t.Fatalf("Stockholm crosses a tile edge at matrix %d", z)
		}
		resp, body := tile(t, "kommuner", z, row, col)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
			t.Fatalf("tile %d/%d/%d: %d %s", z, row, col, resp.StatusCode, body)
		}
		got := swerefTileBBox(t, body, z, row, col, "kod")["kommuner"]["0180"]
		tol := 2 * g.TileSize(z) / 4096
		if math.Abs(got[0]-kw) > tol || math.Abs(got[1]-ks) > tol || math.Abs(got[2]-ke) > tol || math.Abs(got[3]-kn) > tol {
			t.Errorf("Stockholm decoded at %.0f, stored at %.0f %.0f %.0f %.0f (tolerance %.0f m)", got, kw, ks, ke, kn, tol)
		}
		// At matrix 9 (8 m pixels) a tile in the middle of Stockholm holds the kommun, clipped to
		// the tile (and its 64-unit buffer), inside the stored extent.
		z = 9
		var e, n float64
		if err := conn.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM kommun WHERE code = '0180') s`).Scan(&e, &n); err != nil {
			t.Fatal(err)
		}
		row, col = g.TileAt(z, e, n)
		resp, body = tile(t, "kommuner", z, row, col)
		if resp.StatusCode != 200 {
			t.Fatalf("tile %d/%d/%d: %d", z, row, col, resp.StatusCode)
		}
		got = swerefTileBBox(t, body, z, row, col, "kod")["kommuner"]["0180"]
		env := g.Envelope(z, row, col)
		buf := g.TileSize(z) * 64 / 4096
		if got == ([4]float64{}) || got[0] < math.Max(kw, env[0]-buf)-1 || got[2] > math.Min(ke, env[2]+buf)+1 ||
			got[1] < math.Max(ks, env[1]-buf)-1 || got[3] > math.Min(kn, env[3]+buf)+1 {
			t.Errorf("matrix 9: Stockholm decoded at %.0f, outside the stored extent or the tile %.0f", got, env)
		}
		// The same kommun through the Web Mercator tiles is a different tile: the grids differ.
		wm, _ := ogcGet(t, fmt.Sprintf("%s/ogc/collections/kommuner/tiles/WebMercatorQuad/%d/%d/%d", srv.URL, z, row, col))
		if wm.StatusCode == 200 && wm.Header.Get("ETag") == resp.Header.Get("ETag") {
			t.Error("the SWEREF99TM tile shares the WebMercatorQuad tile's ETag")
		}
	})

	t.Run("areas and H3 cells", func(t *testing.T) {
		// Every area of the 2025 list in the tile holding Järva's Tensta lands inside its stored
		// extent; the H3 cells carry the resolution of the equivalent Web Mercator zoom.
		var e, n float64
		var w, s, ea, no float64
		if err := conn.QueryRow(ctx, `SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)), ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)
			FROM area WHERE id = '2025-SO9'`).Scan(&e, &n, &w, &s, &ea, &no); err != nil {
			t.Fatal(err)
		}
		z := 6
		row, col := g.TileAt(z, e, n)
		resp, body := tile(t, "omraden-2025", z, row, col)
		if resp.StatusCode != 200 {
			t.Fatalf("omraden-2025 tile: %d %s", resp.StatusCode, body)
		}
		got, ok := swerefTileBBox(t, body, z, row, col, "id")["omraden"]["2025-SO9"]
		tol := 2 * g.TileSize(z) / 4096
		if !ok || got[0] < w-tol || got[1] < s-tol || got[2] > ea+tol || got[3] > no+tol || got[2]-got[0] < (ea-w)/2 {
			t.Errorf("Tensta decoded at %.0f, stored at %.0f %.0f %.0f %.0f", got, w, s, ea, no)
		}
		layers, _ := mvt.Unmarshal(body)
		for _, l := range layers {
			if l.Name != "omraden" {
				t.Errorf("layer %s in an omraden tile", l.Name)
			}
		}
		resp, body = tile(t, "h3-r7", 6, row, col)
		if resp.StatusCode == 200 {
			layers, err := mvt.Unmarshal(body)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range layers {
				for _, f := range l.Features {
					// Matrix 6 draws like Web Mercator zoom 10: resolution 8.
					if r, _ := f.Properties["res"].(float64); r != 8 {
						t.Fatalf("h3 cell %v at matrix 6: res %v", f.Properties["cell"], f.Properties["res"])
					}
					if _, ok := f.Geometry.(orb.Polygon); !ok {
						t.Fatalf("h3 cell geometry %T", f.Geometry)
					}
				}
			}
		} else if resp.StatusCode != 204 {
			t.Errorf("h3-r7 tile: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, c := range []struct {
			path string
			want int
		}{
			{"/ogc/collections/kommuner/tiles/SWEREF99TM/0/6/0", 404},       // row beyond matrix 0's 6
			{"/ogc/collections/kommuner/tiles/SWEREF99TM/13/0/0", 404},      // beyond the layer's matrices
			{"/ogc/collections/kommuner/tiles/SWEREF99TM/3/-1/0", 404},      // outside the matrix
			{"/ogc/collections/kommuner/tiles/EPSG3006/3/0/0", 404},         // unknown tile matrix set
			{"/ogc/tileMatrixSets/EPSG3006", 404},                           // unknown tile matrix set
			{"/ogc/collections/kommuner/tiles/SWEREF99TM/0/0/0", 204},       // the Atlantic: empty
			{"/ogc/collections/narvaro-kontor/tiles/SWEREF99TM/3/1/2", 0},   // presence draws (200 or 204)
			{"/ogc/collections/kommuner/tiles/SWEREF99TM/0/0/0?f=mvt", 204}, // the one format by name
			{"/ogc/collections/kommuner/tiles/SWEREF99TM/0/0/0?f=json", 400},
			{"/ogc/collections/kommuner/tiles/WebMercatorQuad/5/8/17?f=png", 400},
			// The short paths of SWEREF99TM: z, x (column), y (row), as /tiles/{layers}/{z}/{x}/{y}.mvt.
			{"/tiles/SWEREF99TM/kommuner/0/0/0.mvt", 204},
			{"/tiles/SWEREF99TM/kommuner/0/0/6.mvt", 400},  // row beyond matrix 0's 6
			{"/tiles/SWEREF99TM/kommuner/14/0/0.mvt", 400}, // beyond matrix 13
			{"/tiles/SWEREF99TM/kommuner/3/x/0.mvt", 400},
			{"/tiles/SWEREF99TM/kommuner/3/-1/0.mvt", 400},
			{"/tiles/SWEREF99TM/kommuner/3/01/0.mvt", 400},
			{"/tiles/SWEREF99TM/kommuner/3/0/0.png", 400},
			{"/tiles/SWEREF99TM/nosuchlayer/3/0/0.mvt", 404}, // as /tiles/nosuchlayer/…
			{"/tiles/SWEREF99TM/narvaro,kommuner/3/2/1.pbf", 0},
		} {
			resp, body := ogcGet(t, srv.URL+c.path)
			if c.want == 0 {
				if resp.StatusCode != 200 && resp.StatusCode != 204 {
					t.Errorf("%s: %d %s", c.path, resp.StatusCode, body)
				}
				continue
			}
			if resp.StatusCode != c.want {
				t.Errorf("%s: %d, want %d: %s", c.path, resp.StatusCode, c.want, body)
			}
		}
	})
}
