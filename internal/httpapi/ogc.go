package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// OGC API – Features Part 1 (Core, GeoJSON, OpenAPI 3.0) and OGC API – Tiles metadata under
// /ogc. Documents are JSON only; every href is absolute, built from the request (or PublicURL).

const (
	openAPIType = "application/vnd.oai.openapi+json;version=3.0"
	jsonType    = "application/json"
	crs84       = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	gregorian   = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"

	// The limit parameter of /items: its default and maximum, also stated in the OpenAPI document.
	defaultLimit = 100
	maxLimit     = 1000
)

var featuresConformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
}

// ogcLink is an OGC API link object.
type ogcLink struct {
	Href      string `json:"href"`
	Rel       string `json:"rel"`
	Type      string `json:"type,omitempty"`
	Title     string `json:"title,omitempty"`
	Templated bool   `json:"templated,omitempty"`
}

// ogcRoutes mounts OGC API – Features and Tiles under /ogc. Without a feature store nothing is
// mounted; the tile resources exist only when tiles are configured.
func (s *Server) ogcRoutes(r chi.Router) {
	if s.Features == nil {
		return
	}
	r.Route("/ogc", func(r chi.Router) {
		r.Use(middleware.Timeout(60 * time.Second))
		r.Get("/", s.handle(s.handleOGCLanding))
		r.Get("/conformance", s.handle(s.handleOGCConformance))
		r.Get("/api", s.handle(s.handleOGCAPI))
		r.Get("/collections", s.handle(s.handleOGCCollections))
		if s.Samverkan != nil {
			s.ogcObservationRoutes(r) // the agencies' observations (samverkan_ogc.go)
		}
		cr := r.With(s.collectionAccess)
		cr.Get("/collections/{collectionId}", s.handle(s.handleOGCCollection))
		cr.Get("/collections/{collectionId}/queryables", s.handle(s.handleOGCQueryables))
		cr.Get("/collections/{collectionId}/items", s.handle(s.handleOGCItems))
		cr.Get("/collections/{collectionId}/items/{featureId}", s.handle(s.handleOGCItem))
		if s.Tiles != nil {
			cr.Get("/collections/{collectionId}/tiles", s.handle(s.handleOGCTilesets))
			cr.Get("/collections/{collectionId}/tiles/{tileMatrixSetId}", s.handle(s.handleOGCTileset))
			cr.Get("/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}", s.handle(s.handleOGCTile))
			r.Get("/tileMatrixSets", s.handle(s.handleOGCTileMatrixSets))
			r.Get("/tileMatrixSets/{tileMatrixSetId}", s.handle(s.handleOGCTileMatrixSet))
		}
		r.NotFound(s.handle(func(w http.ResponseWriter, r *http.Request) error {
			return notFound("no such OGC API resource: %s (start at /ogc)", truncate(r.URL.Path, 80))
		}))
	})
}

// ogcBase is the absolute URL of /ogc: PublicURL when configured, else the scheme (from
// X-Forwarded-Proto behind a proxy, else the connection) and the Host of the request.
func (s *Server) ogcBase(r *http.Request) string {
	if s.PublicURL != "" {
		return strings.TrimSuffix(s.PublicURL, "/") + "/ogc"
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	first, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	if p := strings.ToLower(strings.TrimSpace(first)); p == "http" || p == "https" {
		scheme = p
	}
	return scheme + "://" + r.Host + "/ogc"
}

// checkFormat accepts the f parameter some clients add; only JSON is offered.
func checkFormat(q url.Values) error {
	if f, ok := q["f"]; ok && f[0] != "json" && f[0] != "geojson" {
		return lagesbild.Invalid("f", "%q is not offered; the only format is json", truncate(f[0], 40))
	}
	return nil
}

// checkOGCParams is checkParams plus the f parameter every OGC resource accepts.
func checkOGCParams(q url.Values, allowed ...string) error {
	if err := checkParams(q, append(allowed, "f")...); err != nil {
		return err
	}
	return checkFormat(q)
}

func (s *Server) handleOGCLanding(w http.ResponseWriter, r *http.Request) error {
	if err := checkOGCParams(r.URL.Query()); err != nil {
		return err
	}
	base := s.ogcBase(r)
	links := []ogcLink{
		{Href: base, Rel: "self", Type: jsonType, Title: "Landningssidan"},
		{Href: base + "/api", Rel: "service-desc", Type: openAPIType, Title: "API-beskrivning (OpenAPI 3.0)"},
		{Href: base + "/conformance", Rel: "conformance", Type: jsonType, Title: "Standarder som API:t följer"},
		{Href: base + "/collections", Rel: "data", Type: jsonType, Title: "Samlingarna"},
		// The same two under their OGC URIs, which some clients look for instead.
		{Href: base + "/conformance", Rel: "http://www.opengis.net/def/rel/ogc/1.0/conformance", Type: jsonType, Title: "Standarder som API:t följer"},
		{Href: base + "/collections", Rel: "http://www.opengis.net/def/rel/ogc/1.0/data", Type: jsonType, Title: "Samlingarna"},
	}
	if s.Tiles != nil {
		links = append(links, ogcLink{Href: base + "/tileMatrixSets", Rel: "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
			Type: jsonType, Title: "Tile matrix sets"})
	}
	writeJSON(w, http.StatusOK, jsonType, map[string]any{
		"title": "Lägesbild",
		"description": "Utsatta områden (Polismyndighetens listor 2015–2025), kommuner, län och polisregioner, " +
			"myndigheternas närvaro och händelser per H3-cell, som OGC API – Features (GeoJSON) och vektortiles.",
		"links": links,
	})
	return nil
}

func (s *Server) handleOGCConformance(w http.ResponseWriter, r *http.Request) error {
	if err := checkOGCParams(r.URL.Query()); err != nil {
		return err
	}
	classes := append(append([]string(nil), featuresConformance...), filterConformance...)
	if s.Tiles != nil {
		classes = append(classes, tilesConformance...)
	}
	writeJSON(w, http.StatusOK, jsonType, map[string]any{"conformsTo": classes})
	return nil
}

type ogcSpatialExtent struct {
	BBox [][4]float64 `json:"bbox"`
	CRS  string       `json:"crs"`
}

type ogcTemporalExtent struct {
	Interval [][2]*string `json:"interval"`
	TRS      string       `json:"trs"`
}

type ogcExtent struct {
	Spatial  ogcSpatialExtent   `json:"spatial"`
	Temporal *ogcTemporalExtent `json:"temporal,omitempty"`
}

type ogcCollection struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Extent      ogcExtent `json:"extent"`
	ItemType    string    `json:"itemType"`
	CRS         []string  `json:"crs"`
	StorageCRS  string    `json:"storageCrs"`
	Links       []ogcLink `json:"links"`
}

func rfc3339Ptr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func (s *Server) collectionJSON(base string, c lagesbild.Collection) ogcCollection {
	href := base + "/collections/" + url.PathEscape(c.ID)
	b := c.BBox
	out := ogcCollection{
		ID: c.ID, Title: c.Title, Description: c.Description,
		Extent:   ogcExtent{Spatial: ogcSpatialExtent{BBox: [][4]float64{{b.MinLon, b.MinLat, b.MaxLon, b.MaxLat}}, CRS: crs84}},
		ItemType: "feature", CRS: crsURIs(), StorageCRS: storageCRS.URI,
		Links: []ogcLink{
			{Href: href, Rel: "self", Type: jsonType, Title: c.Title},
			{Href: href + "/items", Rel: "items", Type: geoJSON, Title: "Objekten som GeoJSON"},
			{Href: href + "/queryables", Rel: queryablesRel, Type: schemaJSONType, Title: "Egenskaper att filtrera på"},
		},
	}
	if c.Temporal != nil {
		out.Extent.Temporal = &ogcTemporalExtent{Interval: [][2]*string{{rfc3339Ptr(c.Temporal.Start), rfc3339Ptr(c.Temporal.End)}}, TRS: gregorian}
	}
	if _, ok := tileLayerFor(c.ID); ok && s.Tiles != nil {
		out.Links = append(out.Links, ogcLink{Href: href + "/tiles", Rel: "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
			Type: jsonType, Title: "Vektortiles"})
	}
	return out
}

// collection finds one collection; a 404 error for an unknown id.
func (s *Server) collection(r *http.Request, id string) (lagesbild.Collection, error) {
	cs, err := s.Features.Collections(r.Context())
	if err != nil {
		return lagesbild.Collection{}, err
	}
	for _, c := range cs {
		if c.ID == id {
			return c, nil
		}
	}
	return lagesbild.Collection{}, unknownCollection(id)
}

func unknownCollection(id string) error {
	return notFound("there is no collection %q (see /ogc/collections)", truncate(id, 40))
}

func (s *Server) handleOGCCollections(w http.ResponseWriter, r *http.Request) error {
	if err := checkOGCParams(r.URL.Query()); err != nil {
		return err
	}
	cs, err := s.Features.Collections(r.Context())
	if err != nil {
		return err
	}
	base := s.ogcBase(r)
	out := make([]ogcCollection, 0, len(cs))
	for _, c := range cs {
		if collectionAllowed(identity(r), c.ID) {
			out = append(out, s.collectionJSON(base, c))
		}
	}
	out = append(out, s.observationCollections(r, base)...)
	writeJSON(w, http.StatusOK, jsonType, map[string]any{
		"links":       []ogcLink{{Href: base + "/collections", Rel: "self", Type: jsonType, Title: "Samlingarna"}},
		"collections": out,
	})
	return nil
}

func (s *Server) handleOGCCollection(w http.ResponseWriter, r *http.Request) error {
	if err := checkOGCParams(r.URL.Query()); err != nil {
		return err
	}
	c, err := s.collection(r, chi.URLParam(r, "collectionId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, jsonType, s.collectionJSON(s.ogcBase(r), c))
	return nil
}

// ogcFeature is a GeoJSON feature; properties come from the store as a JSON object.
type ogcFeature struct {
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
	Links      []ogcLink       `json:"links,omitempty"`
}

type ogcFeatureCollection struct {
	Type           string       `json:"type"`
	Features       []ogcFeature `json:"features"`
	NumberMatched  *int         `json:"numberMatched,omitempty"` // nil: not counted (optional in OGC API – Features)
	NumberReturned int          `json:"numberReturned"`
	TimeStamp      string       `json:"timeStamp"`
	Links          []ogcLink    `json:"links"`
}

func (s *Server) handleOGCItems(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "collectionId")
	q := r.URL.Query()
	if err := checkOGCParams(q, "limit", "offset", "bbox", "bbox-crs", "datetime", "crs", "filter", "filter-lang", "filter-crs", "sortby", "properties"); err != nil {
		return err
	}
	props, err := parseProperties(q)
	if err != nil {
		return err
	}
	fq, err := parseFeatureQuery(q)
	if err == nil {
		err = s.parseFilter(r, id, q, &fq)
	}
	if errors.Is(err, lagesbild.ErrNotFound) {
		err = unknownCollection(id)
	}
	if err != nil {
		return err
	}
	page, err := s.Features.Items(r.Context(), id, fq)
	if errors.Is(err, lagesbild.ErrNotFound) {
		err = unknownCollection(id)
	}
	if err != nil {
		return err
	}
	if year, ok := strings.CutPrefix(id, "omraden-"); ok {
		// The application's own scope check of the areas, besides row-level security.
		y, _ := strconv.Atoi(year)
		allowed, err := s.scopeFilter(r, y)
		if err != nil {
			return err
		}
		page.Features = slices.DeleteFunc(page.Features, func(f lagesbild.Feature) bool { return !allowed(f.ID) })
	}
	items := s.ogcBase(r) + "/collections/" + url.PathEscape(id) + "/items"
	self := items
	if len(q) > 0 {
		self += "?" + q.Encode()
	}
	fc := ogcFeatureCollection{
		Type: "FeatureCollection", Features: make([]ogcFeature, len(page.Features)),
		NumberReturned: len(page.Features),
		TimeStamp:      time.Now().UTC().Format(time.RFC3339),
		Links: []ogcLink{
			{Href: self, Rel: "self", Type: geoJSON, Title: "Den här sidan"},
			{Href: s.ogcBase(r) + "/collections/" + url.PathEscape(id), Rel: "collection", Type: jsonType, Title: "Samlingen"},
		},
	}
	if !page.Uncounted {
		fc.NumberMatched = new(page.NumberMatched)
	}
	found := map[string]bool{}
	for i, f := range page.Features {
		if props != nil {
			if f.Properties, err = selectProperties(f.Properties, props, found); err != nil {
				return err
			}
		}
		fc.Features[i] = ogcFeature{Type: "Feature", ID: f.ID, Geometry: f.Geometry, Properties: f.Properties}
	}
	if err := checkPropertiesFound(props, found, len(page.Features)); err != nil {
		return err
	}
	// next and prev keep every other parameter and move offset by the page size.
	pageLink := func(offset int, rel, title string) ogcLink {
		p := url.Values{}
		for k, v := range q {
			p[k] = v
		}
		p.Set("offset", strconv.Itoa(offset))
		return ogcLink{Href: items + "?" + p.Encode(), Rel: rel, Type: geoJSON, Title: title}
	}
	if page.More || !page.Uncounted && fq.Offset+len(page.Features) < page.NumberMatched {
		fc.Links = append(fc.Links, pageLink(fq.Offset+fq.Limit, "next", "Nästa sida"))
	}
	if fq.Offset > 0 {
		fc.Links = append(fc.Links, pageLink(max(fq.Offset-fq.Limit, 0), "prev", "Föregående sida"))
	}
	w.Header().Set("Content-Crs", "<"+fq.CRS.URI+">")
	writeJSON(w, http.StatusOK, geoJSON, fc)
	return nil
}

func (s *Server) handleOGCItem(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := checkOGCParams(q, "crs", "properties"); err != nil {
		return err
	}
	crs, err := crsParam(q, "crs")
	if err != nil {
		return err
	}
	props, err := parseProperties(q)
	if err != nil {
		return err
	}
	coll, fid := chi.URLParam(r, "collectionId"), chi.URLParam(r, "featureId")
	f, err := s.Features.Item(r.Context(), coll, fid, crs)
	if errors.Is(err, lagesbild.ErrNotFound) {
		err = notFound("there is no feature %q in a collection %q (see /ogc/collections)", truncate(fid, 40), truncate(coll, 40))
	}
	if err != nil {
		return err
	}
	if props != nil {
		found := map[string]bool{}
		if f.Properties, err = selectProperties(f.Properties, props, found); err == nil {
			err = checkPropertiesFound(props, found, 1)
		}
		if err != nil {
			return err
		}
	}
	href := s.ogcBase(r) + "/collections/" + url.PathEscape(coll)
	w.Header().Set("Content-Crs", "<"+crs.URI+">")
	writeJSON(w, http.StatusOK, geoJSON, ogcFeature{Type: "Feature", ID: f.ID, Geometry: f.Geometry, Properties: f.Properties,
		Links: []ogcLink{
			{Href: href + "/items/" + url.PathEscape(f.ID), Rel: "self", Type: geoJSON, Title: "Objektet"},
			{Href: href, Rel: "collection", Type: jsonType, Title: "Samlingen"},
		}})
	return nil
}

// checkPropertiesFound refuses property names that no feature of a non-empty answer has: a
// typing error, not an empty selection.
func checkPropertiesFound(names []string, found map[string]bool, features int) error {
	if features == 0 {
		return nil
	}
	for _, n := range names {
		if !found[n] {
			return lagesbild.Invalid("properties", "the features have no property %q", n)
		}
	}
	return nil
}
