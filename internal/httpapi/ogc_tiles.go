package httpapi

import (
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// OGC API – Tiles: each collection has a vector tileset in WebMercatorQuad, served by the tile
// layers of /tiles (serveTile), and one in SWEREF 99 TM (tiles.Sweref99TM, drawn in EPSG:3006).
// The tile matrix sets are generated from their definitions.

const (
	webMercatorQuad    = "WebMercatorQuad"
	webMercatorQuadURI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
	epsg3857           = "http://www.opengis.net/def/crs/EPSG/0/3857"
	// webMercatorMaxZoom is the last tile matrix of WebMercatorQuad as registered (0–24).
	webMercatorMaxZoom = 24
	// webMercatorHalf is half the width of the Web Mercator square in metres (π·6378137).
	webMercatorHalf = 20037508.3427892
	epsg3006        = "http://www.opengis.net/def/crs/EPSG/0/3006"
)

// tileMatrixSetIDs are the tile matrix sets every tileset is offered in, in their order.
var tileMatrixSetIDs = []string{webMercatorQuad, tiles.Sweref99TM.ID}

var tilesConformance = []string{
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
	"http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
}

var areaCollectionID = regexp.MustCompile(`^omraden-([0-9]{4})$`)

// collectionTiles is the tile layer that draws a collection, and the police list it needs.
type collectionTiles struct {
	layer tiles.Layer
	set   string // list year for the omraden layer, "" otherwise
}

// tileLayerFor maps a collection id to its tile layer without asking the database.
func tileLayerFor(collection string) (collectionTiles, bool) {
	var name, set string
	switch collection {
	case "kommuner", "lan", "polisregioner":
		name = collection
	case "narvaro-kontor", "narvaro-insatser":
		name = "narvaro" // one layer with offices and operations (property kind)
	case "h3-r6", "h3-r7", "h3-r8":
		name = "h3" // the tiles' resolution follows the zoom
	default:
		m := areaCollectionID.FindStringSubmatch(collection)
		if m == nil {
			return collectionTiles{}, false
		}
		name, set = "omraden", m[1]
	}
	l, ok := tiles.LayerByName(name)
	return collectionTiles{layer: l, set: set}, ok
}

// tileTemplate is the templated href of one tile of a collection in tile matrix set tms.
func tileTemplate(base, collection, tms string) string {
	return base + "/collections/" + collection + "/tiles/" + tms + "/{tileMatrix}/{tileRow}/{tileCol}"
}

// shortTileTemplate is the templated href of the same tile under the short /tiles paths (the
// WebMercatorQuad ones, or swerefShortPath), in the OGC variables: {z}/{x}/{y} is
// {tileMatrix}/{tileCol}/{tileRow}. An omraden collection's police list is its set parameter.
func shortTileTemplate(rootBase string, ct collectionTiles, tms string) string {
	href := rootBase + "/tiles/"
	if tms != webMercatorQuad {
		href += tms + "/"
	}
	href += ct.layer.Name + "/{tileMatrix}/{tileCol}/{tileRow}.mvt"
	if ct.set != "" {
		href += "?set=" + ct.set
	}
	return href
}

// tileRowCol returns the WebMercatorQuad tile (row from the north) holding lon/lat at zoom z.
func tileRowCol(lon, lat float64, z int) (row, col int) {
	n := float64(int(1) << z)
	lat = math.Max(-85.05112878, math.Min(85.05112878, lat))
	x := (lon + 180) / 360 * n
	y := (1 - math.Asinh(math.Tan(lat*math.Pi/180))/math.Pi) / 2 * n
	clamp := func(v float64) int { return int(math.Max(0, math.Min(n-1, math.Floor(v)))) }
	return clamp(y), clamp(x)
}

type tileMatrixLimits struct {
	TileMatrix string `json:"tileMatrix"`
	MinTileRow int    `json:"minTileRow"`
	MaxTileRow int    `json:"maxTileRow"`
	MinTileCol int    `json:"minTileCol"`
	MaxTileCol int    `json:"maxTileCol"`
}

// tilesetJSON is the tileset metadata of one collection in tile matrix set tms (OGC API –
// Tiles, tileset.yaml).
func (s *Server) tilesetJSON(base string, c lagesbild.Collection, ct collectionTiles, tms string, summary bool) map[string]any {
	href := base + "/collections/" + c.ID + "/tiles/" + tms
	crs, title := epsg3857, webMercatorQuad
	if tms != webMercatorQuad {
		crs, title = epsg3006, tiles.Sweref99TM.Title
	}
	out := map[string]any{
		"title":    c.Title + " – vektortiles (" + tms + ")",
		"dataType": "vector",
		"crs":      crs,
		"links": []ogcLink{
			{Href: href, Rel: "self", Type: jsonType, Title: "Tilesetets metadata"},
			{Href: base + "/tileMatrixSets/" + tms, Rel: "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", Type: jsonType, Title: title},
			{Href: tileTemplate(base, c.ID, tms), Rel: "item", Type: mvtType, Title: "En vektortile", Templated: true},
			{Href: shortTileTemplate(strings.TrimSuffix(base, "/ogc"), ct, tms), Rel: "item", Type: mvtType, Title: "Samma vektortile under den korta sökvägen", Templated: true},
		},
	}
	if tms == webMercatorQuad {
		out["tileMatrixSetURI"] = webMercatorQuadURI
	} else {
		// Not in the OGC register: its URI is the definition's own address (GDAL's OGCAPI driver
		// picks a tileset by this member).
		out["tileMatrixSetURI"] = base + "/tileMatrixSets/" + tms
	}
	if summary {
		return out
	}
	l, b := ct.layer, c.BBox
	lo, hi := l.MinZoom, l.MaxZoom
	var limits []tileMatrixLimits
	if tms == webMercatorQuad {
		for z := lo; z <= hi; z++ {
			r0, c0 := tileRowCol(b.MinLon, b.MaxLat, z)
			r1, c1 := tileRowCol(b.MaxLon, b.MinLat, z)
			limits = append(limits, tileMatrixLimits{strconv.Itoa(z), r0, r1, c0, c1})
		}
	} else {
		g := tiles.Sweref99TM
		lo, hi = g.MatrixRange(l)
		w, s, e, n := swerefExtent(b)
		for z := lo; z <= hi; z++ {
			r0, c0 := g.TileAt(z, w, n)
			r1, c1 := g.TileAt(z, e, s)
			limits = append(limits, tileMatrixLimits{strconv.Itoa(z), r0, r1, c0, c1})
		}
	}
	props := map[string]any{}
	for _, f := range l.Fields {
		typ := map[string]string{"String": "string", "Number": "number", "Boolean": "boolean"}[f.Type]
		if typ == "" {
			typ = "string"
		}
		props[f.Name] = map[string]string{"type": typ, "description": f.Description}
	}
	dim := 2
	if c.GeometryType == "Point" {
		dim = 0
	}
	out["description"] = c.Description
	out["tileMatrixSetLimits"] = limits
	out["boundingBox"] = map[string]any{"lowerLeft": []float64{b.MinLon, b.MinLat}, "upperRight": []float64{b.MaxLon, b.MaxLat}, "crs": crs84}
	out["layers"] = []map[string]any{{
		"id": l.Name, "title": c.Title, "description": l.Description, "dataType": "vector",
		"geometryType": c.GeometryType, "geometryDimension": dim,
		"minTileMatrix": strconv.Itoa(lo), "maxTileMatrix": strconv.Itoa(hi),
		"attribution":      l.Attribution,
		"propertiesSchema": map[string]any{"type": "object", "properties": props},
	}}
	return out
}

// swerefExtent is the extent in SWEREF 99 TM (west, south, east, north in metres) of a WGS84
// box: its edges, sampled, projected (they bend in EPSG:3006).
func swerefExtent(b lagesbild.BBox) (w, s, e, n float64) {
	w, s, e, n = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	const steps = 16
	for i := 0; i <= steps; i++ {
		f := float64(i) / steps
		lon, lat := b.MinLon+f*(b.MaxLon-b.MinLon), b.MinLat+f*(b.MaxLat-b.MinLat)
		for _, p := range [][2]float64{{lon, b.MinLat}, {lon, b.MaxLat}, {b.MinLon, lat}, {b.MaxLon, lat}} {
			x, y := tiles.ToSweref99TM(p[0], p[1])
			w, s, e, n = math.Min(w, x), math.Min(s, y), math.Max(e, x), math.Max(n, y)
		}
	}
	return w, s, e, n
}

// tileCollection finds the collection of a tile resource and its layer.
func (s *Server) tileCollection(r *http.Request) (lagesbild.Collection, collectionTiles, error) {
	id := chi.URLParam(r, "collectionId")
	ct, ok := tileLayerFor(id)
	if !ok {
		return lagesbild.Collection{}, ct, unknownCollection(id)
	}
	c, err := s.collection(r, id)
	return c, ct, err
}

// checkTileMatrixSet returns the tile matrix set of the path; 404 for an unknown one.
func checkTileMatrixSet(r *http.Request) (string, error) {
	id := chi.URLParam(r, "tileMatrixSetId")
	if !slices.Contains(tileMatrixSetIDs, id) {
		return "", notFound("there is no tile matrix set %q; there are %s", truncate(id, 40), strings.Join(tileMatrixSetIDs, " and "))
	}
	return id, nil
}

func (s *Server) handleOGCTilesets(w http.ResponseWriter, r *http.Request) error {
	if err := checkOGCParams(r.URL.Query()); err != nil {
		return err
	}
	c, ct, err := s.tileCollection(r)
	if err != nil {
		return err
	}
	base := s.ogcBase(r)
	writeJSON(w, http.StatusOK, jsonType, map[string]any{
		"links":    []ogcLink{{Href: base + "/collections/" + c.ID + "/tiles", Rel: "self", Type: jsonType, Title: "Tileset"}},
		"tilesets": []map[string]any{s.tilesetJSON(base, c, ct, webMercatorQuad, true), s.tilesetJSON(base, c, ct, tiles.Sweref99TM.ID, true)},
	})
	return nil
}

func (s *Server) handleOGCTileset(w http.ResponseWriter, r *http.Request) error {
	if err := checkOGCParams(r.URL.Query()); err != nil {
		return err
	}
	tms, err := checkTileMatrixSet(r)
	if err != nil {
		return err
	}
	c, ct, err := s.tileCollection(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, jsonType, s.tilesetJSON(s.ogcBase(r), c, ct, tms, false))
	return nil
}

// handleOGCTile validates an OGC tile address and delegates to serveTile: tileRow is the XYZ y
// (from the north) and tileCol the x. Numbers that are not whole numbers are 400; a tile outside
// the tileset (tile matrix or row/column out of range) is 404. Other query parameters (the
// filters of /tiles) pass through; the police list of an omraden collection is fixed by its id.
func (s *Server) handleOGCTile(w http.ResponseWriter, r *http.Request) error {
	tms, err := checkTileMatrixSet(r)
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "collectionId")
	ct, ok := tileLayerFor(id)
	if !ok {
		return unknownCollection(id)
	}
	var v [3]int
	for i, name := range []string{"tileMatrix", "tileRow", "tileCol"} {
		p := chi.URLParam(r, name)
		n, err := strconv.Atoi(p)
		if err != nil || len(p) > 9 || (len(p) > 1 && p[0] == '0') || p[0] == '+' {
			return lagesbild.Invalid(name, "%q is not a whole number", truncate(p, 40))
		}
		v[i] = n
	}
	z, row, col := v[0], v[1], v[2]
	// f (OGC API's format parameter) may name the one format; GDAL's MVT driver reads a tile
	// whose URL does not end in a number only with it (?f=mvt).
	q := r.URL.Query()
	f, hasF := q["f"]
	if hasF && (len(f) != 1 || f[0] != "mvt") {
		return lagesbild.Invalid("f", "%q: tiles are Mapbox Vector Tiles only (f=mvt)", truncate(strings.Join(f, ","), 40))
	}
	if hasF || ct.set != "" {
		q.Del("f")
		if ct.set != "" {
			q.Set("set", ct.set)
		}
		r = r.Clone(r.Context())
		r.URL.RawQuery = q.Encode()
	}
	if tms != webMercatorQuad {
		g := tiles.Sweref99TM
		if lo, hi := g.MatrixRange(ct.layer); z < lo || z > hi {
			return notFound("tile matrix %d is not in this tileset (%d to %d)", z, lo, hi)
		}
		if n := g.MatrixSize(z); row < 0 || col < 0 || row >= n || col >= n {
			return notFound("tile %d/%d/%d is outside tile matrix %d (rows and columns 0 to %d)", z, row, col, z, n-1)
		}
		req, err := tiles.ParseGridRequest(g, ct.layer.Name, z, row, col, r.URL.Query())
		if err != nil {
			return err
		}
		return s.serveTileRequest(w, r, req)
	}
	if z < ct.layer.MinZoom || z > ct.layer.MaxZoom || z > webMercatorMaxZoom {
		return notFound("tile matrix %d is not in this tileset (%d to %d)", z, ct.layer.MinZoom, ct.layer.MaxZoom)
	}
	if n := 1 << z; row < 0 || col < 0 || row >= n || col >= n {
		return notFound("tile %d/%d/%d is outside tile matrix %d (rows and columns 0 to %d)", z, row, col, z, n-1)
	}
	return s.serveTile(w, r, ct.layer.Name, z, col, row)
}

type tileMatrix struct {
	ID               string     `json:"id"`
	ScaleDenominator float64    `json:"scaleDenominator"`
	CellSize         float64    `json:"cellSize"`
	CornerOfOrigin   string     `json:"cornerOfOrigin"`
	PointOfOrigin    [2]float64 `json:"pointOfOrigin"`
	TileWidth        int        `json:"tileWidth"`
	TileHeight       int        `json:"tileHeight"`
	MatrixWidth      int        `json:"matrixWidth"`
	MatrixHeight     int        `json:"matrixHeight"`
}

// webMercatorQuadJSON is the registered WebMercatorQuad (OGC 17-083r4 annex D) in the JSON
// encoding of OGC Two Dimensional Tile Matrix Set 2.0: 256-pixel tiles, 0.28 mm pixels.
func webMercatorQuadJSON(base string) map[string]any {
	matrices := make([]tileMatrix, 0, webMercatorMaxZoom+1)
	for z := 0; z <= webMercatorMaxZoom; z++ {
		n := 1 << z
		cell := 2 * webMercatorHalf / 256 / float64(n)
		matrices = append(matrices, tileMatrix{
			ID: strconv.Itoa(z), ScaleDenominator: cell / 0.00028, CellSize: cell, CornerOfOrigin: "topLeft",
			PointOfOrigin: [2]float64{-webMercatorHalf, webMercatorHalf}, TileWidth: 256, TileHeight: 256,
			MatrixWidth: n, MatrixHeight: n,
		})
	}
	return map[string]any{
		"id":                webMercatorQuad,
		"title":             "Google Maps Compatible for the World",
		"uri":               webMercatorQuadURI,
		"crs":               epsg3857,
		"orderedAxes":       []string{"X", "Y"},
		"wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
		"boundingBox": map[string]any{"lowerLeft": []float64{-webMercatorHalf, -webMercatorHalf},
			"upperRight": []float64{webMercatorHalf, webMercatorHalf}, "crs": epsg3857},
		"tileMatrices": matrices,
		"links":        []ogcLink{{Href: base + "/tileMatrixSets/" + webMercatorQuad, Rel: "self", Type: jsonType, Title: webMercatorQuad}},
	}
}

// sweref99TMJSON is tiles.Sweref99TM in the JSON encoding of OGC Two Dimensional Tile Matrix
// Set 2.0: positions in the axis order of EPSG:3006, northing first; 256-pixel tiles, 0.28 mm
// pixels.
func sweref99TMJSON(base string) map[string]any {
	g := tiles.Sweref99TM
	matrices := make([]tileMatrix, 0, g.MaxMatrix+1)
	for z := 0; z <= g.MaxMatrix; z++ {
		n := g.MatrixSize(z)
		matrices = append(matrices, tileMatrix{
			ID: strconv.Itoa(z), ScaleDenominator: g.CellSize(z) / 0.00028, CellSize: g.CellSize(z), CornerOfOrigin: "topLeft",
			PointOfOrigin: [2]float64{g.OriginN, g.OriginE}, TileWidth: 256, TileHeight: 256, MatrixWidth: n, MatrixHeight: n,
		})
	}
	span := g.Span0 * g.Tile0
	return map[string]any{
		"id":          g.ID,
		"title":       g.Title,
		"description": "Rutnät i SWEREF 99 TM med samma origo och upplösningar som Lantmäteriets tjänster (4096 m per pixel på nivå 0 till 0,5 m på nivå 13).",
		"crs":         epsg3006,
		"orderedAxes": []string{"N", "E"},
		"boundingBox": map[string]any{"lowerLeft": []float64{g.OriginN - span, g.OriginE},
			"upperRight": []float64{g.OriginN, g.OriginE + span}, "crs": epsg3006, "orderedAxes": []string{"N", "E"}},
		"tileMatrices": matrices,
		"links":        []ogcLink{{Href: base + "/tileMatrixSets/" + g.ID, Rel: "self", Type: jsonType, Title: g.ID}},
	}
}

func (s *Server) handleOGCTileMatrixSets(w http.ResponseWriter, r *http.Request) error {
	if err := checkOGCParams(r.URL.Query()); err != nil {
		return err
	}
	base := s.ogcBase(r)
	g := tiles.Sweref99TM
	writeJSON(w, http.StatusOK, jsonType, map[string]any{
		"links": []ogcLink{{Href: base + "/tileMatrixSets", Rel: "self", Type: jsonType, Title: "Tile matrix sets"}},
		"tileMatrixSets": []map[string]any{{
			"id": webMercatorQuad, "title": "Google Maps Compatible for the World", "uri": webMercatorQuadURI, "crs": epsg3857,
			"links": []ogcLink{{Href: base + "/tileMatrixSets/" + webMercatorQuad, Rel: "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", Type: jsonType, Title: webMercatorQuad}},
		}, {
			"id": g.ID, "title": g.Title, "crs": epsg3006,
			"links": []ogcLink{{Href: base + "/tileMatrixSets/" + g.ID, Rel: "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", Type: jsonType, Title: g.ID}},
		}},
	})
	return nil
}

func (s *Server) handleOGCTileMatrixSet(w http.ResponseWriter, r *http.Request) error {
	if err := checkOGCParams(r.URL.Query()); err != nil {
		return err
	}
	tms, err := checkTileMatrixSet(r)
	if err != nil {
		return err
	}
	if tms == webMercatorQuad {
		writeJSON(w, http.StatusOK, jsonType, webMercatorQuadJSON(s.ogcBase(r)))
	} else {
		writeJSON(w, http.StatusOK, jsonType, sweref99TMJSON(s.ogcBase(r)))
	}
	return nil
}
