package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

const geoJSON = "application/geo+json"

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", map[string]string{"status": "ok"})
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if err := s.Ready.Ready(r.Context()); err != nil {
		s.Logger.Warn("not ready", "err", err)
		var body apiError
		body.Error.Code, body.Error.Message = "unavailable", "database not reachable or not migrated"
		writeJSON(w, http.StatusServiceUnavailable, "application/json", body)
		return
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]string{"status": "ready"})
}

type areaSetJSON struct {
	Year             int            `json:"year"`
	Label            string         `json:"label"`
	Published        string         `json:"published"`
	GeometryOfficial bool           `json:"geometry_official"`
	Note             string         `json:"note"`
	AreaCount        int            `json:"area_count"`
	ClassCounts      map[string]int `json:"class_counts"`
}

func (s *Server) handleAreaSets(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query()); err != nil {
		return err
	}
	sets, err := s.Areas.AreaSets(r.Context())
	if err != nil {
		return err
	}
	out := make([]areaSetJSON, len(sets))
	for i, set := range sets {
		counts := map[string]int{}
		for c, n := range set.ClassCounts {
			counts[string(c)] = n
		}
		out[i] = areaSetJSON{set.Year, set.Label, set.Published.Format(time.DateOnly), set.GeometryOfficial, set.Note, set.AreaCount, counts}
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"area_sets": out})
	return nil
}

// feature and featureCollection follow RFC 7946.
type feature struct {
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	BBox       []float64       `json:"bbox,omitempty"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties any             `json:"properties"`
}

type featureCollection struct {
	Type     string    `json:"type"`
	Name     string    `json:"name,omitempty"`
	Features []feature `json:"features"`
	// Foreign members documenting the data's origin, allowed by RFC 7946 section 6.1.
	Attribution string `json:"attribution,omitempty"`
}

type areaProps struct {
	ID               string  `json:"id"`
	AreaKey          string  `json:"area_key"`
	Set              int     `json:"set"`
	Name             string  `json:"name"`
	Class            string  `json:"class"`
	ClassLabel       string  `json:"class_label"`
	ClassPolisen     string  `json:"class_polisen"`
	Ort              *string `json:"ort"`
	KommunKod        string  `json:"kommun_kod"`
	KommunNamn       string  `json:"kommun_namn"`
	LanKod           string  `json:"lan_kod"`
	RegionKod        string  `json:"region_kod"`
	RegionNamn       string  `json:"region_namn"`
	PolisomradeKod   *string `json:"polisomrade_kod"`
	PolisomradeNamn  *string `json:"polisomrade_namn"`
	LPOKod           *string `json:"lpo_kod"`
	LPONamn          *string `json:"lpo_namn"`
	LPOFromList      *int    `json:"lpo_from_list"`
	ClassifiedFrom   *string `json:"classified_from"`
	ClassifiedUntil  *string `json:"classified_until"`
	GeometryOfficial bool    `json:"geometry_official"`
	GeometrySource   string  `json:"geometry_source"`
	Source           string  `json:"source"`
	AreaKm2          float64 `json:"area_km2"`
	// LabelPoint is where the map writes the area's name: [lon, lat] inside the area.
	LabelPoint [2]float64 `json:"label_point"`
	// Predecessors: the keys of earlier lists this area comes from where the identifier changed.
	Predecessors []areaPredecessor `json:"predecessors"`
}

type areaPredecessor struct {
	AreaKey string `json:"area_key"`
	Kind    string `json:"kind"`
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func datePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	return strPtr(t.Format(time.DateOnly))
}

func areaFeature(a lagesbild.Area) feature {
	p := areaProps{
		ID: a.ID, AreaKey: a.AreaKey, Set: a.Set, Name: a.Name, Class: string(a.Class), ClassLabel: a.Class.Label(),
		ClassPolisen: a.ClassPolisen, Ort: strPtr(a.Ort), KommunKod: a.KommunCode, KommunNamn: a.KommunName,
		LanKod: a.LanCode, RegionKod: a.RegionCode, RegionNamn: a.RegionName,
		PolisomradeKod: strPtr(a.PolisomradeCode), PolisomradeNamn: strPtr(a.PolisomradeName),
		LPOKod: strPtr(a.LPOCode), LPONamn: strPtr(a.LPOName),
		ClassifiedFrom: datePtr(a.ClassifiedFrom), ClassifiedUntil: datePtr(a.ClassifiedUntil),
		GeometryOfficial: a.GeometryOfficial, GeometrySource: a.GeometrySource, Source: a.Source,
		AreaKm2: float64(int(a.AreaM2/1e4+0.5)) / 100,
	}
	if a.LPOSourceYear != 0 {
		y := a.LPOSourceYear
		p.LPOFromList = &y
	}
	p.LabelPoint = a.LabelPoint
	p.Predecessors = []areaPredecessor{}
	for _, l := range a.Predecessors {
		p.Predecessors = append(p.Predecessors, areaPredecessor{AreaKey: l.Key, Kind: l.Kind})
	}
	var bbox []float64
	if a.Bounds != [4]float64{} {
		bbox = a.Bounds[:]
	}
	return feature{Type: "Feature", ID: a.ID, BBox: bbox, Geometry: a.Geometry, Properties: p}
}

const areasAttribution = "Källa: Polismyndigheten (områden), SCB (kommuner). Gränser för 2015–2019 är approximerade."

func (s *Server) handleAreas(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := checkParams(q, "set"); err != nil {
		return err
	}
	year, err := s.setParam(r, q.Get("set"))
	if err != nil {
		return err
	}
	areas, err := s.Areas.Areas(r.Context(), year)
	if errors.Is(err, lagesbild.ErrNotFound) {
		err = notFound("there is no police list for %d (see /api/v1/area-sets)", year)
	}
	if err != nil {
		return err
	}
	allowed, err := s.scopeFilter(r, year)
	if err != nil {
		return err
	}
	fc := featureCollection{Type: "FeatureCollection", Name: "utsatta_omraden_" + itoa(year), Features: make([]feature, 0, len(areas)), Attribution: areasAttribution}
	for _, a := range areas {
		if allowed(a.ID) {
			fc.Features = append(fc.Features, areaFeature(a))
		}
	}
	writeJSON(w, http.StatusOK, geoJSON, fc)
	return nil
}

// setParam parses ?set=, defaulting to the newest list.
func (s *Server) setParam(r *http.Request, v string) (int, error) {
	if v != "" {
		return parseYear("set", v)
	}
	sets, err := s.Areas.AreaSets(r.Context())
	if err != nil {
		return 0, err
	}
	if len(sets) == 0 {
		return 0, notFound("no police list has been imported")
	}
	return sets[len(sets)-1].Year, nil
}

var areaID = regexp.MustCompile(`^[0-9]{4}-(SO|UOP)[0-9]{1,6}$`)

func (s *Server) handleArea(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query()); err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	if !areaID.MatchString(id) {
		return lagesbild.Invalid("id", "%q is not an area id such as 2025-SO9", truncate(id, 40))
	}
	a, err := s.Areas.Area(r.Context(), id)
	if errors.Is(err, lagesbild.ErrNotFound) {
		err = notFound("there is no area %s", id)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, geoJSON, areaFeature(a))
	return nil
}

type boundaryLayer struct {
	kind       lagesbild.BoundaryKind
	name       string
	toleranceM float64
	parentKey  string
}

var (
	boundaryKommun = boundaryLayer{lagesbild.BoundaryKommun, "kommuner", 50, "lan_kod"}
	boundaryLan    = boundaryLayer{lagesbild.BoundaryLan, "lan", 100, "region_kod"}
	boundaryRegion = boundaryLayer{lagesbild.BoundaryRegion, "polisregioner", 100, ""}
)

func (s *Server) handleBoundaries(l boundaryLayer) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := checkParams(r.URL.Query()); err != nil {
			return err
		}
		bs, err := s.Areas.Boundaries(r.Context(), l.kind, l.toleranceM)
		if err != nil {
			return err
		}
		fc := featureCollection{Type: "FeatureCollection", Name: l.name, Features: make([]feature, len(bs)),
			Attribution: "Källa: SCB (generaliserade gränser, CC0)"}
		for i, b := range bs {
			props := map[string]any{"kod": b.Code, "namn": b.Name, "befolkning": b.Population, "label_point": b.LabelPoint}
			if l.parentKey != "" {
				props[l.parentKey] = b.ParentCode
			}
			fc.Features[i] = feature{Type: "Feature", ID: b.Code, Geometry: b.Geometry, Properties: props}
		}
		writeJSON(w, http.StatusOK, geoJSON, fc)
		return nil
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
