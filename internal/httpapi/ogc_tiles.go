package httpapi

import (
	"math"
	"net/http"
	"regexp"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// OGC API – Tiles: each collection has one vector tileset in WebMercatorQuad, served by the tile
// layers of /tiles (serveTile). The tile matrix set is generated from its definition.

const (
	webMercatorQuad    = "WebMercatorQuad"
	webMercatorQuadURI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
	epsg3857           = "http://www.opengis.net/def/crs/EPSG/0/3857"
	// webMercatorMaxZoom is the last tile matrix of WebMercatorQuad as registered (0–24).
	webMercatorMaxZoom = 24
	// webMercatorHalf is half the width of the Web Mercator square in metres (π·6378137).
	webMercatorHalf = 20037508.3427892
)

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

// tileTemplate is the templated href of one tile of a collection.
func tileTemplate(base, collection string) string {
	return base + "/collections/" + collection + "/tiles/" + webMercatorQuad + "/{tileMatrix}/{tileRow}/{tileCol}"
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

// tilesetJSON is the tileset metadata of one collection (OGC API – Tiles, tileset.yaml).
func (s *Server) tilesetJSON(base string, c lagesbild.Collection, ct collectionTiles, summary bool) map[string]any {
	href := base + "/collections/" + c.ID + "/tiles/" + webMercatorQuad
	out := map[string]any{
		"title":            c.Title + " – vektortiles",
		"dataType":         "vector",
		"crs":              epsg3857,
		"tileMatrixSetURI": webMercatorQuadURI,
		"links": []ogcLink{
			{Href: href, Rel: "self", Type: jsonType, Title: "Tilesetets metadata"},
			{Href: base + "/tileMatrixSets/" + webMercatorQuad, Rel: "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", Type: jsonType, Title: "WebMercatorQuad"},
			{Href: tileTemplate(base, c.ID), Rel: "item", Type: mvtType, Title: "En vektortile", Templated: true},
		},
	}
	if summary {
		return out
	}
	l, b := ct.layer, c.BBox
	var limits []tileMatrixLimits
	for z := l.MinZoom; z <= l.MaxZoom; z++ {
		r0, c0 := tileRowCol(b.MinLon, b.MaxLat, z)
		r1, c1 := tileRowCol(b.MaxLon, b.MinLat, z)
		limits = append(limits, tileMatrixLimits{strconv.Itoa(z), r0, r1, c0, c1})
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
		"minTileMatrix": strconv.Itoa(l.MinZoom), "maxTileMatrix": strconv.Itoa(l.MaxZoom),
		"attribution":      l.Attribution,
		"propertiesSchema": map[string]any{"type": "object", "properties": props},
	}}
	return out
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

func checkTileMatrixSet(r *http.Request) error {
	if id := chi.URLParam(r, "tileMatrixSetId"); id != webMercatorQuad {
		return notFound("there is no tile matrix set %q; the only one is %s", truncate(id, 40), webMercatorQuad)
	}
	return nil
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
		"tilesets": []map[string]any{s.tilesetJSON(base, c, ct, true)},
	})
	return nil
}

func (s *Server) handleOGCTileset(w http.ResponseWriter, r *http.Request) error {
	if err := checkOGCParams(r.URL.Query()); err != nil {
		return err
	}
	if err := checkTileMatrixSet(r); err != nil {
		return err
	}
	c, ct, err := s.tileCollection(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, jsonType, s.tilesetJSON(s.ogcBase(r), c, ct, false))
	return nil
}

// handleOGCTile validates an OGC tile address and delegates to serveTile: tileRow is the XYZ y
// (from the north) and tileCol the x. Numbers that are not whole numbers are 400; a tile outside
// the tileset (tile matrix or row/column out of range) is 404. Other query parameters (the
// filters of /tiles) pass through; the police list of an omraden collection is fixed by its id.
func (s *Server) handleOGCTile(w http.ResponseWriter, r *http.Request) error {
	if err := checkTileMatrixSet(r); err != nil {
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
	if z < ct.layer.MinZoom || z > ct.layer.MaxZoom || z > webMercatorMaxZoom {
		return notFound("tile matrix %d is not in this tileset (%d to %d)", z, ct.layer.MinZoom, ct.layer.MaxZoom)
	}
	if n := 1 << z; row < 0 || col < 0 || row >= n || col >= n {
		return notFound("tile %d/%d/%d is outside tile matrix %d (rows and columns 0 to %d)", z, row, col, z, n-1)
	}
	if ct.set != "" {
		q := r.URL.Query()
		q.Set("set", ct.set)
		r = r.Clone(r.Context())
		r.URL.RawQuery = q.Encode()
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

func (s *Server) handleOGCTileMatrixSets(w http.ResponseWriter, r *http.Request) error {
	if err := checkOGCParams(r.URL.Query()); err != nil {
		return err
	}
	base := s.ogcBase(r)
	writeJSON(w, http.StatusOK, jsonType, map[string]any{
		"links": []ogcLink{{Href: base + "/tileMatrixSets", Rel: "self", Type: jsonType, Title: "Tile matrix sets"}},
		"tileMatrixSets": []map[string]any{{
			"id": webMercatorQuad, "title": "Google Maps Compatible for the World", "uri": webMercatorQuadURI, "crs": epsg3857,
			"links": []ogcLink{{Href: base + "/tileMatrixSets/" + webMercatorQuad, Rel: "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", Type: jsonType, Title: webMercatorQuad}},
		}},
	})
	return nil
}

func (s *Server) handleOGCTileMatrixSet(w http.ResponseWriter, r *http.Request) error {
	if err := checkOGCParams(r.URL.Query()); err != nil {
		return err
	}
	if err := checkTileMatrixSet(r); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, jsonType, webMercatorQuadJSON(s.ogcBase(r)))
	return nil
}
