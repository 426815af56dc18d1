package httpapi

import (
	"context"
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/summary"
)

// DeviationService lists the areas and cells whose latest week or month exceeds their own
// baseline (summary.Service). A SummaryService that also implements it gets
// GET /api/v1/deviations.
type DeviationService interface {
	Deviations(ctx context.Context, q summary.DeviationQuery) (*summary.Deviations, error)
}

// deviationRoutes adds GET /deviations when the summary service can list deviations.
func (s *Server) deviationRoutes(r chi.Router) {
	if ds, ok := s.Summaries.(DeviationService); ok {
		r.Get("/deviations", s.handle(s.handleDeviations(ds)))
	}
}

func (s *Server) handleDeviations(ds DeviationService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		if err := checkParams(q, "set", "window", "to", "region", "kommun", "cells"); err != nil {
			return err
		}
		dq := summary.DeviationQuery{Window: q.Get("window"), Kommun: q.Get("kommun"), Cells: true}
		if dq.Window == "" {
			dq.Window = summary.WindowWeek
		}
		var err error
		switch {
		case dq.Window != summary.WindowWeek && dq.Window != summary.WindowMonth:
			err = lagesbild.Invalid("window", "%q is not week or month", truncate(dq.Window, 20))
		case dq.Kommun != "" && !kommunCode.MatchString(dq.Kommun):
			err = lagesbild.Invalid("kommun", "%q is not a kommun code such as 0180", truncate(dq.Kommun, 20))
		case q.Get("region") != "" && !regionCode.MatchString(q.Get("region")):
			err = lagesbild.Invalid("region", "%q is not a police region code such as 5300", truncate(q.Get("region"), 20))
		}
		switch c := q.Get("cells"); c {
		case "", "true":
		case "false":
			dq.Cells = false
		default:
			if err == nil {
				err = lagesbild.Invalid("cells", "%q is not true or false", truncate(c, 20))
			}
		}
		if err == nil {
			dq.To, err = parseDay("to", q.Get("to"))
		}
		if err == nil {
			dq.Set, err = s.setParam(r, q.Get("set"))
		}
		if err != nil {
			return err
		}
		dq.Region = q.Get("region")
		out, err := ds.Deviations(r.Context(), dq)
		if err != nil {
			return listNotFound(err, dq.Set)
		}
		allowed, err := s.scopeFilter(r, dq.Set)
		if err != nil {
			return err
		}
		out.Areas = slices.DeleteFunc(out.Areas, func(d summary.DeviationRow) bool { return !allowed(d.Area.ID) })
		writeJSON(w, http.StatusOK, "application/json", out)
		return nil
	}
}
