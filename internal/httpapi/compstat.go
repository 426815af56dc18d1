package httpapi

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"

	"github.com/go-chi/chi/v5"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/summary"
)

// CompStatService compares periods CompStat-style (summary.Service). A SummaryService that
// also implements it gets GET /api/v1/compstat.
type CompStatService interface {
	CompStatUnit(ctx context.Context, level, id string, year int) (summary.Unit, error)
	CompStat(ctx context.Context, q summary.CompStatQuery) (*summary.CompStat, error)
}

// compStatRoutes adds GET /compstat when the summary service can compare periods.
func (s *Server) compStatRoutes(r chi.Router) {
	if cs, ok := s.Summaries.(CompStatService); ok {
		r.Get("/compstat", s.handle(s.handleCompStat(cs)))
	}
}

var (
	kommunCode = regexp.MustCompile(`^[0-9]{4}$`)
	lpoCode    = regexp.MustCompile(`^5[1-7][0-9]{4}$`)
)

// unitAllowed applies the caller's scope to a CompStat unit: an area or LPO by its region and
// LPO; a kommun when its region is in scope or one of its areas' LPOs is (as the row-level
// security of the kommun aggregates does).
func unitAllowed(sc auth.Scope, u summary.Unit) bool {
	if sc.AllowsRegion(u.RegionCode) {
		return true
	}
	for _, l := range u.LPOCodes {
		if slices.Contains(sc.LPOs, l) {
			return true
		}
	}
	return false
}

func (s *Server) handleCompStat(cs CompStatService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		if err := checkParams(q, "level", "id", "preset", "set", "to", "format"); err != nil {
			return err
		}
		asCSV, err := wantCSV(r)
		if err != nil {
			return err
		}
		cq := summary.CompStatQuery{Level: q.Get("level"), ID: q.Get("id"), Preset: q.Get("preset")}
		switch cq.Level {
		case summary.LevelArea:
			if !areaID.MatchString(cq.ID) {
				err = lagesbild.Invalid("id", "%q is not an area id such as 2025-SO9", truncate(cq.ID, 40))
			}
		case summary.LevelKommun:
			if !kommunCode.MatchString(cq.ID) {
				err = lagesbild.Invalid("id", "%q is not a kommun code such as 0180", truncate(cq.ID, 40))
			}
		case summary.LevelLPO:
			if !lpoCode.MatchString(cq.ID) {
				err = lagesbild.Invalid("id", "%q is not a lokalpolisområde code such as 531350", truncate(cq.ID, 40))
			} else {
				cq.Set, err = s.setParam(r, q.Get("set"))
			}
		case "":
			err = lagesbild.Invalid("level", "required: area, kommun or lpo")
		default:
			err = lagesbild.Invalid("level", "%q is not area, kommun or lpo", truncate(cq.Level, 20))
		}
		if err == nil && q.Get("set") != "" && cq.Level != summary.LevelLPO {
			err = lagesbild.Invalid("set", "only level=lpo takes a list year")
		}
		if err == nil && cq.Preset != "" && !slices.Contains(summary.Presets, cq.Preset) {
			err = lagesbild.Invalid("preset", "%q is not 28d, 3m or ytd", truncate(cq.Preset, 20))
		}
		if err == nil {
			cq.To, err = parseDay("to", q.Get("to"))
		}
		if err != nil {
			return err
		}
		// The scope is checked before any count is read; row-level security would hide the
		// counts anyway, but an outside unit is a 403, not a row of zeros.
		u, err := cs.CompStatUnit(r.Context(), cq.Level, cq.ID, cq.Set)
		if errors.Is(err, lagesbild.ErrNotFound) {
			err = notFound("there is no %s %s", cq.Level, truncate(cq.ID, 40))
		}
		if err != nil {
			return err
		}
		if !unitAllowed(identity(r).Scope, u) {
			return forbidden("the %s %s lies outside your scope", cq.Level, truncate(cq.ID, 40))
		}
		out, err := cs.CompStat(r.Context(), cq)
		if errors.Is(err, lagesbild.ErrNotFound) {
			err = notFound("there is no %s %s", cq.Level, truncate(cq.ID, 40))
		}
		if err != nil {
			return err
		}
		if asCSV {
			writeCSV(w, compStatCSV(out))
			return nil
		}
		writeJSON(w, http.StatusOK, "application/json", out)
		return nil
	}
}

// compStatCSV is one row per preset, group and comparison (previous period, same period last
// year), the total first.
func compStatCSV(c *summary.CompStat) [][]string {
	rows := [][]string{{"level", "id", "name", "preset", "group", "from", "to", "count", "compared_with", "other_from", "other_to",
		"other_count", "difference", "percent", "rate_ratio", "rate_ratio_lower", "rate_ratio_upper", "p", "verdict", "verdict_text"}}
	for _, set := range c.Comparisons {
		for _, g := range append([]summary.GroupComparison{set.Total}, set.Groups...) {
			for _, pc := range []struct {
				name string
				c    summary.PeriodComparison
			}{{"previous_period", g.Previous}, {"same_period_last_year", g.LastYear}} {
				p := ""
				if pc.c.P != nil {
					p = num(pc.c.P)
				}
				rows = append(rows, []string{c.Unit.Level, c.Unit.ID, c.Unit.Name, set.Preset, g.Group, set.Current.From, set.Current.To,
					num(g.Count.Value), pc.name, pc.c.Period.From, pc.c.Period.To, num(pc.c.Count.Value), num(pc.c.Difference.Value),
					num(pc.c.Percent.Value), num(pc.c.RateRatio.Value), num(pc.c.RateRatio.Lower), num(pc.c.RateRatio.Upper), p,
					pc.c.Verdict, pc.c.VerdictText})
			}
		}
	}
	return rows
}
