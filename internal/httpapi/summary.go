package httpapi

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/risk"
	"github.com/lagesbild/lagesbild/internal/summary"
)

// SummaryService computes area summaries and the joint prioritisation (summary.Service).
type SummaryService interface {
	Area(ctx context.Context, id string, q summary.Query) (*summary.Summary, error)
	List(ctx context.Context, year int, q summary.Query) (*summary.List, error)
	Prioritise(ctx context.Context, year int, q summary.Query, weights map[string]float64, method risk.Normalization) (*summary.Priority, error)
}

// summaryRoutes adds the summary endpoints under /api/v1 when a SummaryService is configured.
func (s *Server) summaryRoutes(r chi.Router) {
	if s.Summaries == nil {
		return
	}
	r.With(s.areaAccess).Get("/areas/{id}/summary", s.handle(s.handleAreaSummary))
	r.With(s.areaAccess).Get("/areas/{id}/report", s.handle(s.handleAreaReport))
	r.Get("/summaries", s.handle(s.handleSummaries))
	r.Get("/priority", s.handle(s.handlePriority))
	s.compStatRoutes(r)
	s.deviationRoutes(r)
	r.Get("/period", s.handle(s.handlePeriod))
	s.profileRoutes(r)
	s.analysisRoutes(r)
}

// periodResolver is the part of summary.Service that resolves the default period (the 12 months
// ending the newest incident day) without computing any summary.
type periodResolver interface {
	Period(ctx context.Context, q summary.Query) (summary.Period, error)
}

// handlePeriod answers the default period, so the map can anchor its period presets (senaste 28
// dagarna, …) at the newest day with data before any summary is computed.
func (s *Server) handlePeriod(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query()); err != nil {
		return err
	}
	pr, ok := s.Summaries.(periodResolver)
	if !ok {
		return notFound("no default period")
	}
	p, err := pr.Period(r.Context(), summary.Query{})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", summary.PeriodJSON{From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly), Days: p.Days()})
	return nil
}

const csvType = "text/csv; charset=utf-8"

var regionCode = regexp.MustCompile(`^5[1-7]00$`)

// wantCSV reads format= (json or csv) and otherwise the Accept header.
func wantCSV(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "csv":
		return true, nil
	case "json":
		return false, nil
	case "":
		return strings.Contains(r.Header.Get("Accept"), "text/csv"), nil
	default:
		return false, lagesbild.Invalid("format", "%q is not json or csv", truncate(f, 20))
	}
}

func parseDay(name, v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return nil, lagesbild.Invalid(name, "%q is not a date YYYY-MM-DD", truncate(v, 40))
	}
	if t.Year() < 2000 || t.Year() > 2100 {
		return nil, lagesbild.Invalid(name, "%s is outside 2000–2100", v)
	}
	return &t, nil
}

// summaryQuery parses from, to and region.
func summaryQuery(r *http.Request) (summary.Query, error) {
	q := r.URL.Query()
	var sq summary.Query
	var err error
	if sq.From, err = parseDay("from", q.Get("from")); err != nil {
		return sq, err
	}
	if sq.To, err = parseDay("to", q.Get("to")); err != nil {
		return sq, err
	}
	if v := q.Get("region"); v != "" {
		if !regionCode.MatchString(v) {
			return sq, lagesbild.Invalid("region", "%q is not a police region code such as 5300", truncate(v, 20))
		}
		sq.Region = v
	}
	return sq, nil
}

func (s *Server) handleAreaSummary(w http.ResponseWriter, r *http.Request) error {
	sm, err := s.areaSummary(r)
	if err != nil {
		return err
	}
	asCSV, _ := wantCSV(r)
	if asCSV {
		writeCSV(w, summaryCSV(sm))
		return nil
	}
	out, err := s.withObservations(w, r, sm) // the joint picture (samverkan_report.go)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", out)
	return nil
}

// areaSummary validates the request of an area's summary or report and computes it.
func (s *Server) areaSummary(r *http.Request) (*summary.Summary, error) {
	if err := checkParams(r.URL.Query(), "from", "to", "format"); err != nil {
		return nil, err
	}
	id := chi.URLParam(r, "id")
	if !areaID.MatchString(id) {
		return nil, lagesbild.Invalid("id", "%q is not an area id such as 2025-SO9", truncate(id, 40))
	}
	if _, err := wantCSV(r); err != nil {
		return nil, err
	}
	q, err := summaryQuery(r)
	if err != nil {
		return nil, err
	}
	sm, err := s.Summaries.Area(r.Context(), id, q)
	if errors.Is(err, lagesbild.ErrNotFound) {
		err = notFound("there is no area %s", id)
	}
	return sm, err
}

// listParams parses the parameters shared by /summaries and /priority.
func (s *Server) listParams(r *http.Request, extra ...string) (int, summary.Query, bool, error) {
	if err := checkParams(r.URL.Query(), append([]string{"set", "region", "from", "to", "format"}, extra...)...); err != nil {
		return 0, summary.Query{}, false, err
	}
	asCSV, err := wantCSV(r)
	if err != nil {
		return 0, summary.Query{}, false, err
	}
	q, err := summaryQuery(r)
	if err != nil {
		return 0, q, false, err
	}
	year, err := s.setParam(r, r.URL.Query().Get("set"))
	return year, q, asCSV, err
}

func listNotFound(err error, year int) error {
	if errors.Is(err, lagesbild.ErrNotFound) {
		return notFound("there is no police list for %d (see /api/v1/area-sets)", year)
	}
	return err
}

func (s *Server) handleSummaries(w http.ResponseWriter, r *http.Request) error {
	year, q, asCSV, err := s.listParams(r)
	if err != nil {
		return err
	}
	list, err := s.Summaries.List(r.Context(), year, q)
	if err != nil {
		return listNotFound(err, year)
	}
	allowed, err := s.scopeFilter(r, year)
	if err != nil {
		return err
	}
	list.Rows = slices.DeleteFunc(list.Rows, func(row summary.Row) bool { return !allowed(row.Area.ID) })
	if asCSV {
		writeCSV(w, listCSV(list))
		return nil
	}
	writeJSON(w, http.StatusOK, "application/json", list)
	return nil
}

// parseWeights parses "violent_rate:0.4,hotspot_share:0.2": every named component must be
// known and its weight a finite number ≥ 0; components not named get weight 0.
func parseWeights(v string) (map[string]float64, error) {
	if v == "" {
		return nil, nil
	}
	w := map[string]float64{}
	for _, part := range strings.Split(v, ",") {
		k, num, ok := strings.Cut(part, ":")
		k = strings.TrimSpace(k)
		if !ok {
			return nil, lagesbild.Invalid("weights", "%q is not component:weight", truncate(part, 40))
		}
		if _, dup := w[k]; dup {
			return nil, lagesbild.Invalid("weights", "%s given twice", truncate(k, 40))
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, lagesbild.Invalid("weights", "%s: %q is not a finite number", truncate(k, 40), truncate(num, 40))
		}
		w[k] = f
	}
	return w, checkWeights("weights", w)
}

// maxWeight bounds one weight. Only the ratios of the weights matter (risk.Score divides by
// the largest), so a larger number says nothing a smaller one could not, and is taken for a
// mistake.
const maxWeight = 1000

// checkWeights checks weights given in the query or a profile (param names where): known
// components, finite numbers from 0 to maxWeight, at least one positive.
func checkWeights(param string, w map[string]float64) error {
	keys := make([]string, 0, len(w))
	for k := range w {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if v := w[k]; v > maxWeight {
			return lagesbild.Invalid(param, "%s: %g is too large; a weight is a number from 0 to %d (only the ratios between weights matter)",
				truncate(k, 40), v, maxWeight)
		}
	}
	if err := summary.CheckWeights(w); err != nil {
		var ve *lagesbild.ValidationError
		if errors.As(err, &ve) {
			return &lagesbild.ValidationError{Field: param, Reason: ve.Reason}
		}
		return err
	}
	return nil
}

func (s *Server) handlePriority(w http.ResponseWriter, r *http.Request) error {
	year, q, asCSV, err := s.listParams(r, "weights", "normalization", "profile")
	if err != nil {
		return err
	}
	weights, err := parseWeights(r.URL.Query().Get("weights"))
	if err != nil {
		return err
	}
	profile := r.URL.Query().Get("profile")
	if profile != "" {
		if weights != nil {
			return lagesbild.Invalid("profile", "give weights or a profile, not both")
		}
		if s.Profiles == nil {
			return lagesbild.Invalid("profile", "weight profiles are not configured")
		}
		p, err := s.profile(r, profile)
		if err != nil {
			return err
		}
		weights = p.Weights
	}
	method := risk.PercentRank
	switch n := r.URL.Query().Get("normalization"); n {
	case "", "percent_rank":
	case "zscore":
		method = risk.ZScore
	default:
		return lagesbild.Invalid("normalization", "%q is not percent_rank or zscore", truncate(n, 20))
	}
	pr, err := s.Summaries.Prioritise(r.Context(), year, q, weights, method)
	if err != nil {
		return listNotFound(err, year)
	}
	allowed, err := s.scopeFilter(r, year)
	if err != nil {
		return err
	}
	pr.Areas = slices.DeleteFunc(pr.Areas, func(a summary.PriorityArea) bool { return !allowed(a.Area.ID) })
	pr.Profile = profile
	if asCSV {
		writeCSV(w, priorityCSV(pr))
		return nil
	}
	out, err := s.withRankingObservations(w, r, pr) // the joint picture (samverkan_report.go)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", out)
	return nil
}

func writeCSV(w http.ResponseWriter, rows [][]string) {
	w.Header().Set("Content-Type", csvType)
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	_ = cw.WriteAll(rows) // the client may have gone
}

func num(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

func intStr(v *int) string {
	if v == nil {
		return ""
	}
	return strconv.Itoa(*v)
}

func boolStr(b bool) string { return strconv.FormatBool(b) }

// summaryCSV is one row per group (the total first), with the group's hot-spot shares last.
func summaryCSV(sm *summary.Summary) [][]string {
	rows := [][]string{{"area_id", "group", "count", "count_suppressed", "previous_count", "rate_per_1000", "rate_lower", "rate_upper",
		"smoothed_rate_per_1000", "rate_ratio_rest_of_kommun", "location_quotient", "change_percent", "change_significant",
		"trend_z", "trend_p", "sen_slope_per_month", "reason",
		"hotspot_share_90", "hotspot_share_95", "hotspot_share_99", "hotspot_reason"}}
	hot := map[string]summary.GroupHotSpots{}
	for _, h := range sm.HotSpots.Groups {
		hot[h.Group] = h
	}
	for i, g := range append([]summary.GroupSummary{sm.Total}, sm.Groups...) {
		sig := ""
		if g.Change.Significant != nil {
			sig = boolStr(*g.Change.Significant)
		}
		reason := g.Rate.Reason
		if g.Count.Suppressed {
			reason = g.Count.Reason
		}
		hs := []string{num(sm.HotSpots.Share90), num(sm.HotSpots.Share95), num(sm.HotSpots.Share99), sm.HotSpots.Reason}
		if i > 0 {
			h := hot[g.Group]
			hs = []string{num(h.Share90.Value), num(h.Share95.Value), num(h.Share99.Value), h.Share95.Reason}
		}
		rows = append(rows, append([]string{sm.Area.ID, g.Group, num(g.Count.Value), boolStr(g.Count.Suppressed), num(g.PreviousCount.Value),
			num(g.Rate.Value), num(g.Rate.Lower), num(g.Rate.Upper), num(g.SmoothedRate.Value), num(g.RateRatio.Value),
			num(g.LocationQuotient.Value), num(g.Change.Percent.Value), sig, num(g.Trend.Z), num(g.Trend.P), num(g.Trend.SenSlope.Value), reason},
			hs...))
	}
	return rows
}

func listCSV(l *summary.List) [][]string {
	rows := [][]string{{"area_id", "name", "class", "kommun_code", "region_code", "population", "population_estimated",
		"count", "count_suppressed", "previous_count", "rate_per_1000", "rate_lower", "rate_upper", "smoothed_rate_per_1000",
		"rate_ratio_rest_of_kommun", "change_percent", "trend_z", "violent_count", "violent_smoothed_rate_per_1000",
		"hotspot_share_95", "presence_hours_per_week_per_1000", "synthetic"}}
	for _, r := range l.Rows {
		rows = append(rows, []string{r.Area.ID, r.Area.Name, r.Area.Class, r.Area.KommunCode, r.Area.RegionCode,
			intStr(r.Population.Value), boolStr(r.Population.Estimated), num(r.Count.Value), boolStr(r.Count.Suppressed),
			num(r.PreviousCount.Value), num(r.Rate.Value), num(r.Rate.Lower), num(r.Rate.Upper), num(r.SmoothedRate.Value),
			num(r.RateRatio.Value), num(r.ChangePercent.Value), num(r.Trend.Z), num(r.ViolentCount.Value), num(r.ViolentRate.Value),
			num(r.HotSpotShare95), num(r.PresenceHours.Value), boolStr(r.Synthetic)})
	}
	return rows
}

func priorityCSV(p *summary.Priority) [][]string {
	head := []string{"rank", "area_id", "name", "kommun_code", "region_code", "score"}
	for _, k := range summary.Components {
		head = append(head, k, "contribution_"+k)
	}
	head = append(head, "omitted_components")
	rows := [][]string{head}
	for _, a := range p.Areas {
		row := []string{strconv.Itoa(a.Rank), a.Area.ID, a.Area.Name, a.Area.KommunCode, a.Area.RegionCode, num(a.Score)}
		for _, k := range summary.Components {
			c := ""
			if v, ok := a.Contributions[k]; ok {
				c = fmt.Sprint(v)
			}
			row = append(row, num(a.Components[k]), c)
		}
		var omitted []string
		for _, o := range a.Omitted {
			omitted = append(omitted, o.Component+": "+o.Reason)
		}
		rows = append(rows, append(row, strings.Join(omitted, "; ")))
	}
	return rows
}
