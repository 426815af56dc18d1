package httpapi

import (
	"net/http"
	"regexp"
	"slices"

	"github.com/go-chi/chi/v5"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/risk"
)

// Saved weightings of the prioritisation: national ones for everyone, regional ones for the
// analysts of the region (and its lokalpolisområden). National analysts keep any; regional
// analysts those of their regions.

var profileName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// profileVisible reports whether the caller may use a profile.
func profileVisible(id auth.Identity, p lagesbild.WeightProfile) bool {
	if p.RegionCode == "" || id.Scope.AllowsRegion(p.RegionCode) {
		return true
	}
	for _, lpo := range id.Scope.LPOs {
		if len(lpo) == 6 && lpo[:2]+"00" == p.RegionCode { // OMRADESKOD starts with its region's code
			return true
		}
	}
	return false
}

// profileWritable reports whether the caller may create, change or delete a profile of region.
func profileWritable(id auth.Identity, region string) bool {
	switch id.Role {
	case auth.RoleNationell:
		return true
	case auth.RoleRegional:
		return region != "" && slices.Contains(id.Scope.Regions, region)
	}
	return false
}

func (s *Server) profileRoutes(r chi.Router) {
	if s.Profiles == nil {
		return
	}
	r.Get("/priority/profiles", s.handle(s.handleProfiles))
	r.Put("/priority/profiles/{name}", s.handle(s.handleSaveProfile))
	r.Delete("/priority/profiles/{name}", s.handle(s.handleDeleteProfile))
}

func (s *Server) handleProfiles(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query()); err != nil {
		return err
	}
	all, err := s.Profiles.WeightProfiles(r.Context())
	if err != nil {
		return err
	}
	out := []lagesbild.WeightProfile{}
	for _, p := range all {
		if profileVisible(identity(r), p) {
			out = append(out, p)
		}
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"profiles": out, "default": risk.DefaultWeights()})
	return nil
}

func (s *Server) handleSaveProfile(w http.ResponseWriter, r *http.Request) error {
	name := chi.URLParam(r, "name")
	if !profileName.MatchString(name) {
		return lagesbild.Invalid("name", "%q is not a profile name (a–z, 0–9, '_', '-'; at most 63)", truncate(name, 70))
	}
	if err := checkParams(r.URL.Query()); err != nil {
		return err
	}
	var body struct {
		RegionCode  string             `json:"region_code"`
		Description string             `json:"description"`
		Weights     map[string]float64 `json:"weights"`
	}
	if err := readJSON(r, &body); err != nil {
		return err
	}
	if body.RegionCode != "" && !regionCode.MatchString(body.RegionCode) {
		return lagesbild.Invalid("region_code", "%q is not a REGIONKOD (5100–5700) or empty for a national profile", truncate(body.RegionCode, 20))
	}
	if len(body.Weights) == 0 {
		return lagesbild.Invalid("weights", "give at least one component's weight")
	}
	if err := checkWeights("weights", body.Weights); err != nil {
		return err
	}
	if len(body.Description) > 500 {
		return lagesbild.Invalid("description", "longer than 500 bytes")
	}
	id := identity(r)
	if !profileWritable(id, body.RegionCode) {
		return forbidden("the role %s may not keep weight profiles of %s", id.Role, regionLabel(body.RegionCode))
	}
	err := s.Profiles.SaveWeightProfile(r.Context(), lagesbild.WeightProfile{Name: name, RegionCode: body.RegionCode,
		Description: body.Description, Weights: body.Weights, UpdatedBy: id.Subject})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleDeleteProfile(w http.ResponseWriter, r *http.Request) error {
	p, err := s.profile(r, chi.URLParam(r, "name"))
	if err != nil {
		return err
	}
	if id := identity(r); !profileWritable(id, p.RegionCode) {
		return forbidden("the role %s may not delete weight profiles of %s", id.Role, regionLabel(p.RegionCode))
	}
	if err := s.Profiles.DeleteWeightProfile(r.Context(), p.Name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// profile finds a profile the caller may use; 404 otherwise (a profile of another region is not
// shown to exist).
func (s *Server) profile(r *http.Request, name string) (lagesbild.WeightProfile, error) {
	if !profileName.MatchString(name) {
		return lagesbild.WeightProfile{}, lagesbild.Invalid("profile", "%q is not a profile name", truncate(name, 70))
	}
	all, err := s.Profiles.WeightProfiles(r.Context())
	if err != nil {
		return lagesbild.WeightProfile{}, err
	}
	for _, p := range all {
		if p.Name == name && profileVisible(identity(r), p) {
			return p, nil
		}
	}
	return lagesbild.WeightProfile{}, notFound("there is no weight profile %q (see /api/v1/priority/profiles)", name)
}

func regionLabel(code string) string {
	if code == "" {
		return "the national level"
	}
	return "region " + code
}
