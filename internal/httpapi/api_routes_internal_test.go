package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/samverkan"
)

// Stand-ins that only make the router register every route; none of their methods is called.
type (
	allSummaries struct {
		SummaryService
		CompStatService
		DeviationService
		periodResolver
	}
	anyAnalysis struct{ AnalysisService }
	anyImports  struct{ Imports }
	anyProfiles struct{ lagesbild.WeightProfileStore }
)

// TestAPIRoutesInOpenAPI fails when a route of /api/v1 is not in the OpenAPI document, or the
// document describes a route the router does not have.
func TestAPIRoutesInOpenAPI(t *testing.T) {
	s := &Server{Summaries: allSummaries{}, Analysis: anyAnalysis{}, Imports: anyImports{}, Profiles: anyProfiles{},
		Auth: auth.NewService(nil, false), Samverkan: &samverkan.Service{}}
	b, missing, err := APIDocument()
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("properties without a description in apiFields: %v", missing)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	routed := map[string]bool{}
	err = chi.Walk(s.routes().(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		p, ok := strings.CutPrefix(route, "/api/v1")
		if !ok || method == http.MethodHead {
			return nil
		}
		if p == "" {
			p = "/"
		}
		routed[method+" "+p] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for r := range routed {
		if !documented[r] {
			t.Errorf("%s is a route of /api/v1 but not in the OpenAPI document", r)
		}
	}
	for d := range documented {
		if !routed[d] {
			t.Errorf("%s is in the OpenAPI document but not a route", d)
		}
	}
	// The joint lägesbild's routes are walked too (a Server with a samverkan.Service).
	for _, r := range []string{"GET /decisions", "POST /observations", "GET /disclosures", "GET /regions/{code}/report", "GET /observation-categories"} {
		if !routed[r] {
			t.Errorf("%s was not walked", r)
		}
	}
	if len(routed) < 46 {
		t.Errorf("only %d routes walked: %v", len(routed), routed)
	}
}
