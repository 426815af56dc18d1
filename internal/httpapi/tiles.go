package httpapi

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

const mvtType = "application/vnd.mapbox-vector-tile"

// layerName is the form of a tile layer's name (as tiles.ParseRequest checks it).
var layerName = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// cors lets map clients and GIS tools of other origins read tiles, TileJSON, styles and OGC API
// resources. Access control (a later step) decides what a caller may read, not the origin.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "ETag, Content-Length")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "If-None-Match, Authorization")
			h.Set("Access-Control-Max-Age", "3600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) tileRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Get("/tiles", s.handleTileIndex)
		r.Get("/tiles/{file}", s.handle(s.handleTileJSON))
		r.Get("/tiles/{layers}/{z}/{x}/{file}", s.handle(s.handleTile))
		r.Get(swerefShortPath, s.handle(s.handleSwerefTile))
		r.Get("/styles/lagesbild.json", s.handle(s.handleStyle))
		r.Get("/styles/labels.geojson", s.handle(s.handleLabels))
		// The catch-all file server answers every method, so a preflight of a path that has
		// only a GET route would reach it (404): each path gets its own OPTIONS route, which
		// cors answers before authentication. HEAD is routed as GET (headAsGet).
		for _, p := range []string{"/tiles", "/tiles/{file}", "/tiles/{layers}/{z}/{x}/{file}", swerefShortPath, "/styles/lagesbild.json", "/styles/labels.geojson", "/*"} {
			r.Options(p, func(http.ResponseWriter, *http.Request) {})
		}
	})
}

func (s *Server) handleTile(w http.ResponseWriter, r *http.Request) error {
	file := chi.URLParam(r, "file")
	y, ext, ok := strings.Cut(file, ".")
	if !ok || (ext != "mvt" && ext != "pbf") {
		return lagesbild.Invalid("y", "%q: want {y}.mvt or {y}.pbf", truncate(file, 40))
	}
	return s.serveTileStrings(w, r, chi.URLParam(r, "layers"), chi.URLParam(r, "z"), chi.URLParam(r, "x"), y)
}

// swerefShortPath is the short path of a tile of tiles.Sweref99TM, beside the OGC one
// (/ogc/collections/{id}/tiles/SWEREF99TM/{tileMatrix}/{tileRow}/{tileCol}): z is the tile
// matrix, x the column and y the row from the north, in the order of the WebMercatorQuad short
// paths. It takes the same layers and filters as /tiles/{layers}/{z}/{x}/{y}.mvt.
var swerefShortPath = "/tiles/" + tiles.Sweref99TM.ID + "/{layers}/{z}/{x}/{file}"

func (s *Server) handleSwerefTile(w http.ResponseWriter, r *http.Request) error {
	if s.Tiles == nil {
		return notFound("vector tiles are not configured")
	}
	file := chi.URLParam(r, "file")
	y, ext, ok := strings.Cut(file, ".")
	if !ok || (ext != "mvt" && ext != "pbf") {
		return lagesbild.Invalid("y", "%q: want {y}.mvt or {y}.pbf", truncate(file, 40))
	}
	var v [3]int
	for i, p := range [][2]string{{"z", chi.URLParam(r, "z")}, {"x", chi.URLParam(r, "x")}, {"y", y}} {
		n, err := strconv.Atoi(p[1])
		if err != nil || len(p[1]) > 9 || p[1] == "" || (len(p[1]) > 1 && p[1][0] == '0') || p[1][0] == '+' || p[1][0] == '-' {
			return lagesbild.Invalid(p[0], "%q is not a whole number", truncate(p[1], 40))
		}
		v[i] = n
	}
	req, err := tiles.ParseGridRequest(tiles.Sweref99TM, chi.URLParam(r, "layers"), v[0], v[2], v[1], r.URL.Query())
	if err != nil {
		return err
	}
	return s.serveTileRequest(w, r, req)
}

// serveTile writes one vector tile of a layer (or comma-separated layers) for z/x/y (XYZ, y from
// the north), with caching headers; the OGC API Tiles route delegates to it.
func (s *Server) serveTile(w http.ResponseWriter, r *http.Request, layers string, z, x, y int) error {
	return s.serveTileStrings(w, r, layers, strconv.Itoa(z), strconv.Itoa(x), strconv.Itoa(y))
}

func (s *Server) serveTileStrings(w http.ResponseWriter, r *http.Request, layers, z, x, y string) error {
	if s.Tiles == nil {
		return notFound("vector tiles are not configured")
	}
	req, err := tiles.ParseRequest(layers, z, x, y, r.URL.Query())
	if err != nil {
		return err
	}
	return s.serveTileRequest(w, r, req)
}

// serveTileRequest answers a validated tile request: layer access, ETag, the cached tile.
func (s *Server) serveTileRequest(w http.ResponseWriter, r *http.Request, req tiles.Request) error {
	id := identity(r)
	names := make([]string, len(req.Layers))
	for i, l := range req.Layers {
		names[i] = l.Name
	}
	if err := layerAccess(id, names); err != nil {
		return err
	}
	req.Filters.MaxRes = id.MaxRes
	scope := id.CacheKey() // tiles of different scopes never share a cache entry or an ETag
	// One resolution of the data version, cache key and ETag serves both the conditional
	// answer and the cache lookup.
	prep, err := s.Tiles.Prepare(r.Context(), req, scope)
	if err != nil {
		return err
	}
	etag := prep.ETag
	h := w.Header()
	h.Set("Cache-Control", "private, max-age=60")
	h.Set("ETag", etag)
	h.Set("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	t, err := s.Tiles.Fetch(r.Context(), prep)
	if err != nil {
		return err
	}
	if t.Empty {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	h.Set("Content-Type", mvtType)
	body := t.Gzip
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
	} else {
		zr, err := gzip.NewReader(bytes.NewReader(t.Gzip))
		if err == nil {
			body, err = io.ReadAll(zr)
		}
		if err != nil {
			return err
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return nil
	}
	_, _ = w.Write(body)
	return nil
}

func etagMatches(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		p := strings.TrimSpace(part)
		if p == "*" || strings.TrimPrefix(p, "W/") == etag {
			return true
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

// baseURL is the service's public address: LAGESBILD_PUBLIC_URL when configured, else the host
// of the request.
func (s *Server) baseURL(r *http.Request) string {
	if s.PublicURL != "" {
		return strings.TrimSuffix(s.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type vectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

// tileJSON follows TileJSON 3.0.0.
type tileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description"`
	Version      string        `json:"version"`
	Attribution  string        `json:"attribution"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	VectorLayers []vectorLayer `json:"vector_layers"`
}

// swedenBounds covers the bundled geodata (WGS84).
var swedenBounds = [4]float64{10.9, 55.3, 24.2, 69.1}

func (s *Server) tileJSONFor(r *http.Request, l tiles.Layer) tileJSON {
	fields := map[string]string{}
	for _, f := range l.Fields {
		fields[f.Name] = f.Type
	}
	return tileJSON{
		TileJSON: "3.0.0", Name: "lagesbild-" + l.Name, Description: l.Description, Version: "1.0.0",
		Attribution: l.Attribution, Scheme: "xyz",
		Tiles:   []string{s.baseURL(r) + "/tiles/" + l.Name + "/{z}/{x}/{y}.mvt"},
		MinZoom: l.MinZoom, MaxZoom: l.MaxZoom, Bounds: swedenBounds, Center: [3]float64{15.0, 59.0, 4},
		VectorLayers: []vectorLayer{{ID: l.Name, Description: l.Description, MinZoom: l.MinZoom, MaxZoom: l.MaxZoom, Fields: fields}},
	}
}

func (s *Server) handleTileJSON(w http.ResponseWriter, r *http.Request) error {
	file := chi.URLParam(r, "file")
	name, ok := strings.CutSuffix(file, ".json")
	if !layerName.MatchString(name) {
		// Not a name at all (quotes, dots, slashes): a malformed request, not a missing layer.
		return lagesbild.Invalid("layer", "%q is not a layer name (a–z, 0–9, _)", truncate(name, 40))
	}
	l, found := tiles.LayerByName(name)
	if !ok || !found {
		return notFound("no TileJSON %q (see /tiles)", truncate(file, 40))
	}
	if err := checkParams(r.URL.Query()); err != nil {
		return err
	}
	if err := layerAccess(identity(r), []string{l.Name}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", s.tileJSONFor(r, l))
	return nil
}

func (s *Server) handleTileIndex(w http.ResponseWriter, r *http.Request) {
	type item struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		TileJSON    string `json:"tilejson"`
		Tiles       string `json:"tiles"`
	}
	var out []item
	for _, l := range tiles.Layers {
		if layerAccess(identity(r), []string{l.Name}) != nil {
			continue // the caller may not read it
		}
		out = append(out, item{l.Name, l.Description, s.baseURL(r) + "/tiles/" + l.Name + ".json",
			s.baseURL(r) + "/tiles/" + l.Name + "/{z}/{x}/{y}.mvt"})
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"layers": out,
		"style":  s.baseURL(r) + "/styles/lagesbild.json",
		"note":   "Several layers in one tile: /tiles/omraden,h3/{z}/{x}/{y}.mvt. Filters: from, to (YYYY-MM-DD), category, agency; set (list year) for omraden; fields picks properties.",
	})
}
