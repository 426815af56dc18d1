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
	r.Get("/priority/profiles", s.handleProfiles)
	r.Put("/priority/profiles/{name}", s.handleSaveProfile)
	r.Delete("/priority/profiles/{name}", s.handleDeleteProfile)
}

func (s *Server) handleProfiles(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r.URL.Query()); err != nil {
		s.writeError(w, r, err)
		return
	}
	all, err := s.Profiles.WeightProfiles(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []lagesbild.WeightProfile{}
	for _, p := range all {
		if profileVisible(identity(r), p) {
			out = append(out, p)
		}
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"profiles": out, "default": risk.DefaultWeights()})
}

func (s *Server) handleSaveProfile(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	if !profileName.MatchString(name) {
		s.writeError(w, r, lagesbild.Invalid("name", "%q is not a profile name (a–z, 0–9, '_', '-'; at most 63)", truncate(name, 70)))
		return
	}
	if err := checkParams(r.URL.Query()); err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		RegionCode  string             `json:"region_code"`
		Description string             `json:"description"`
		Weights     map[string]float64 `json:"weights"`
	}
	if err := readJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.RegionCode != "" && !regionCode.MatchString(body.RegionCode) {
		s.writeError(w, r, lagesbild.Invalid("region_code", "%q is not a REGIONKOD (5100–5700) or empty for a national profile", truncate(body.RegionCode, 20)))
		return
	}
	if len(body.Weights) == 0 {
		s.writeError(w, r, lagesbild.Invalid("weights", "give at least one component's weight"))
		return
	}
	if err := checkWeights("weights", body.Weights); err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(body.Description) > 500 {
		s.writeError(w, r, lagesbild.Invalid("description", "longer than 500 bytes"))
		return
	}
	id := identity(r)
	if !profileWritable(id, body.RegionCode) {
		s.writeError(w, r, forbidden("the role %s may not keep weight profiles of %s", id.Role, regionLabel(body.RegionCode)))
		return
	}
	err := s.Profiles.SaveWeightProfile(r.Context(), lagesbild.WeightProfile{Name: name, RegionCode: body.RegionCode,
		Description: body.Description, Weights: body.Weights, UpdatedBy: id.Subject})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleDeleteProfile(w http.ResponseWriter, r *http.Request) {
	p, err := s.profile(r, chi.URLParam(r, "name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if id := identity(r); !profileWritable(id, p.RegionCode) {
		s.writeError(w, r, forbidden("the role %s may not delete weight profiles of %s", id.Role, regionLabel(p.RegionCode)))
		return
	}
	if err := s.Profiles.DeleteWeightProfile(r.Context(), p.Name); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
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
