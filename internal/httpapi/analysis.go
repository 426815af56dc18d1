package httpapi

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/lagesbild/lagesbild/internal/analysis"
	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/risk"
)

// AnalysisService runs the crime analyst's tools (analysis.Service).
type AnalysisService interface {
	TimeProfile(ctx context.Context, areaID string, q analysis.Query) (*analysis.TimeProfile, error)
	AreaEmerging(ctx context.Context, areaID string, q analysis.EmergingQuery) (*analysis.Emerging, error)
	RegionEmerging(ctx context.Context, region string, q analysis.EmergingQuery) (*analysis.Emerging, error)
	AreaNearRepeat(ctx context.Context, areaID string, q analysis.NearRepeatQuery) (*analysis.NearRepeat, error)
	KommunNearRepeat(ctx context.Context, kommun string, q analysis.NearRepeatQuery) (*analysis.NearRepeat, error)
	OperationEffect(ctx context.Context, id int64, q analysis.EffectQuery) (*analysis.EffectFollowUp, error)
	AreaOperations(ctx context.Context, areaID string) ([]analysis.Operation, error)
	KommunRegion(ctx context.Context, kommun string) (string, error)
}

// analysisRoutes adds the analyst's tools under /api/v1 when an AnalysisService is configured.
// They sit in the analysts' group (no gis tokens, no admins), behind authentication and the
// audit log like the summaries; one area's routes go through areaAccess, a region's or a
// kommun's are checked against the caller's scope here, and an operation's against the scope of
// its area.
func (s *Server) analysisRoutes(r chi.Router) {
	if s.Analysis == nil {
		return
	}
	points := s.allow(func(id auth.Identity) bool { return id.CanSeePoints() }, "run tests on exact incident positions")
	r.With(s.areaAccess).Get("/areas/{id}/time-profile", s.handle(s.handleTimeProfile))
	r.With(s.areaAccess).Get("/areas/{id}/emerging-hot-spots", s.handle(s.handleAreaEmerging))
	r.Get("/emerging-hot-spots", s.handle(s.handleRegionEmerging))
	r.With(s.areaAccess, points).Get("/areas/{id}/near-repeat", s.handle(s.handleAreaNearRepeat))
	r.With(points).Get("/kommuner/{code}/near-repeat", s.handle(s.handleKommunNearRepeat))
	r.With(s.areaAccess).Get("/areas/{id}/operations", s.handle(s.handleAreaOperations))
	r.Get("/operations/{id}/effect", s.handle(s.handleOperationEffect))
}

// operationJSON is an operation on an area, with the link to its effect follow-up.
type operationJSON struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	Agencies  []string `json:"agencies"`
	Start     string   `json:"start"`
	End       string   `json:"end"`
	Effect    string   `json:"effect"`
	Synthetic bool     `json:"synthetic"`
}

func (s *Server) handleAreaOperations(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query()); err != nil {
		return err
	}
	ops, err := s.Analysis.AreaOperations(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	out := []operationJSON{}
	for _, o := range ops {
		out = append(out, operationJSON{ID: o.ID, Name: o.Name, Agencies: o.Agencies, Start: o.Start.Format(time.DateOnly),
			End: o.End.Format(time.DateOnly), Effect: "/api/v1/operations/" + strconv.FormatInt(o.ID, 10) + "/effect", Synthetic: o.Synthetic})
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"area_id": chi.URLParam(r, "id"), "operations": out})
	return nil
}

const geojsonType = "application/geo+json"

func (s *Server) handleTimeProfile(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query(), "from", "to", "group"); err != nil {
		return err
	}
	q, err := analysisQuery(r)
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	tp, err := s.Analysis.TimeProfile(r.Context(), id, q)
	if err != nil {
		return areaNotFound(err, id)
	}
	writeJSON(w, http.StatusOK, "application/json", tp)
	return nil
}

func analysisQuery(r *http.Request) (analysis.Query, error) {
	var q analysis.Query
	var err error
	v := r.URL.Query()
	if q.From, err = parseDay("from", v.Get("from")); err != nil {
		return q, err
	}
	if q.To, err = parseDay("to", v.Get("to")); err != nil {
		return q, err
	}
	q.Group = v.Get("group")
	return q, nil
}

func areaNotFound(err error, id string) error {
	if errors.Is(err, lagesbild.ErrNotFound) {
		return notFound("there is no area %s", truncate(id, 40))
	}
	return err
}

// intParam parses an optional integer parameter in [lo, hi]; def when absent.
func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, lagesbild.Invalid(name, "%q is not a whole number from %d to %d", truncate(v, 20), lo, hi)
	}
	return n, nil
}

func floatParam(r *http.Request, name string, def, lo, hi float64) (float64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < lo || f > hi {
		return 0, lagesbild.Invalid(name, "%q is not a number from %g to %g", truncate(v, 20), lo, hi)
	}
	return f, nil
}

func emergingQuery(r *http.Request, extra ...string) (analysis.EmergingQuery, bool, error) {
	var q analysis.EmergingQuery
	if err := checkParams(r.URL.Query(), append([]string{"to", "months", "group", "format"}, extra...)...); err != nil {
		return q, false, err
	}
	var err error
	if q.To, err = parseDay("to", r.URL.Query().Get("to")); err != nil {
		return q, false, err
	}
	if q.Months, err = intParam(r, "months", analysis.DefaultMonths, risk.MinTrendPoints, analysis.MaxMonths); err != nil {
		return q, false, err
	}
	q.Group = r.URL.Query().Get("group")
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		return q, false, nil
	case "geojson":
		return q, true, nil
	default:
		return q, false, lagesbild.Invalid("format", "%q is not json or geojson", truncate(f, 20))
	}
}

func (s *Server) writeEmerging(w http.ResponseWriter, e *analysis.Emerging, asGeoJSON bool) {
	if asGeoJSON {
		writeJSON(w, http.StatusOK, geojsonType, analysis.EmergingGeoJSON(e))
		return
	}
	writeJSON(w, http.StatusOK, "application/json", e)
}

func (s *Server) handleAreaEmerging(w http.ResponseWriter, r *http.Request) error {
	q, asGeoJSON, err := emergingQuery(r)
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	e, err := s.Analysis.AreaEmerging(r.Context(), id, q)
	if err != nil {
		return areaNotFound(err, id)
	}
	s.writeEmerging(w, e, asGeoJSON)
	return nil
}

func (s *Server) handleRegionEmerging(w http.ResponseWriter, r *http.Request) error {
	q, asGeoJSON, err := emergingQuery(r, "region")
	if err != nil {
		return err
	}
	region := r.URL.Query().Get("region")
	if !regionCode.MatchString(region) {
		return lagesbild.Invalid("region", "%q is not a police region code such as 5300", truncate(region, 20))
	}
	if !identity(r).Scope.AllowsRegion(region) {
		return forbidden("the region %s lies outside your scope", region)
	}
	e, err := s.Analysis.RegionEmerging(r.Context(), region, q)
	if errors.Is(err, lagesbild.ErrNotFound) {
		err = notFound("there is no police region %s", region)
	}
	if err != nil {
		return err
	}
	s.writeEmerging(w, e, asGeoJSON)
	return nil
}

func nearRepeatQuery(r *http.Request) (analysis.NearRepeatQuery, error) {
	var q analysis.NearRepeatQuery
	if err := checkParams(r.URL.Query(), "from", "to", "group", "space_band_m", "space_bands", "time_band_days",
		"time_bands", "permutations", "seed"); err != nil {
		return q, err
	}
	var err error
	if q.Query, err = analysisQuery(r); err != nil {
		return q, err
	}
	d := analysis.DefaultKnox
	p := &q.Params
	if p.SpaceBandM, err = floatParam(r, "space_band_m", d.SpaceBandM, 1, 100_000); err != nil {
		return q, err
	}
	if p.SpaceBands, err = intParam(r, "space_bands", d.SpaceBands, 1, risk.MaxKnoxBands); err != nil {
		return q, err
	}
	if p.TimeBandDays, err = intParam(r, "time_band_days", d.TimeBandDays, 1, 365); err != nil {
		return q, err
	}
	if p.TimeBands, err = intParam(r, "time_bands", d.TimeBands, 1, risk.MaxKnoxBands); err != nil {
		return q, err
	}
	if p.Permutations, err = intParam(r, "permutations", d.Permutations, risk.MinKnoxPermutations, risk.MaxKnoxPermutations); err != nil {
		return q, err
	}
	p.Seed = d.Seed
	if v := r.URL.Query().Get("seed"); v != "" {
		if p.Seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			return q, lagesbild.Invalid("seed", "%q is not a whole number from 0 to 18446744073709551615", truncate(v, 30))
		}
	}
	return q, nil
}

func (s *Server) handleAreaNearRepeat(w http.ResponseWriter, r *http.Request) error {
	q, err := nearRepeatQuery(r)
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	nr, err := s.Analysis.AreaNearRepeat(r.Context(), id, q)
	if err != nil {
		return areaNotFound(err, id)
	}
	writeJSON(w, http.StatusOK, "application/json", nr)
	return nil
}

func (s *Server) handleKommunNearRepeat(w http.ResponseWriter, r *http.Request) error {
	code := chi.URLParam(r, "code")
	if !kommunCode.MatchString(code) {
		return lagesbild.Invalid("code", "%q is not a kommun code such as 0180", truncate(code, 20))
	}
	q, err := nearRepeatQuery(r)
	if err != nil {
		return err
	}
	region, err := s.Analysis.KommunRegion(r.Context(), code)
	if errors.Is(err, lagesbild.ErrNotFound) {
		err = notFound("there is no kommun %s", code)
	}
	if err != nil {
		return err
	}
	// A whole kommun is only for callers who see its whole region; a lokalpolisområdeschef
	// tests the areas of their own lokalpolisområde.
	if !identity(r).Scope.AllowsRegion(region) {
		return forbidden("the kommun %s lies outside your scope (its police region %s)", code, region)
	}
	nr, err := s.Analysis.KommunNearRepeat(r.Context(), code, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", nr)
	return nil
}

func (s *Server) handleOperationEffect(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query(), "group", "buffer_m", "controls", "pre_months"); err != nil {
		return err
	}
	raw := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		return lagesbild.Invalid("id", "%q is not an operation id (a positive whole number)", truncate(raw, 20))
	}
	var q analysis.EffectQuery
	q.Group = r.URL.Query().Get("group")
	if q.BufferM, err = floatParam(r, "buffer_m", analysis.DefaultBufferM, 50, analysis.MaxBufferM); err != nil {
		return err
	}
	if q.Controls, err = intParam(r, "controls", analysis.DefaultControls, 1, analysis.MaxControls); err != nil {
		return err
	}
	if q.PreMonths, err = intParam(r, "pre_months", analysis.DefaultPreMonths, 3, 36); err != nil {
		return err
	}
	ef, err := s.Analysis.OperationEffect(r.Context(), id, q)
	if errors.Is(err, lagesbild.ErrNotFound) {
		err = notFound("there is no operation %d", id)
	}
	if err != nil {
		return err
	}
	// The application's own check, independent of row-level security: the target area must
	// be in the caller's scope.
	region, lpo, err := s.Areas.AreaScope(r.Context(), ef.Area.ID)
	if err != nil {
		return err
	}
	if !identity(r).Scope.AllowsArea(region, lpo) {
		return forbidden("the operation's area %s lies outside your scope", ef.Area.ID)
	}
	writeJSON(w, http.StatusOK, "application/json", ef)
	return nil
}
