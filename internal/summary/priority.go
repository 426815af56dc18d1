package summary

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/risk"
)

// Components lists the prioritisation components in a fixed order.
var Components = []string{risk.ComponentViolentRate, risk.ComponentHotSpots, risk.ComponentTrend, risk.ComponentChange, risk.ComponentPresenceGap}

// PopulationComponents are the components that need the area's residents (a rate per 1,000
// residents); the others (hot spots, trend, change) are computed from the counts alone, so an
// area without a population import is ranked on them.
var PopulationComponents = []string{risk.ComponentViolentRate, risk.ComponentPresenceGap}

// CheckWeights validates weights: known components, finite and not negative, at least one
// positive.
func CheckWeights(w map[string]float64) error {
	sum := 0.0
	for k, v := range w {
		if !slices.Contains(Components, k) {
			return lagesbild.Invalid("weights", "unknown component %q (known: violent_rate, hotspot_share, trend, change, presence_gap)", k)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return lagesbild.Invalid("weights", "%s: weight must be a finite number ≥ 0", k)
		}
		sum += v
	}
	if !(sum > 0) {
		return lagesbild.Invalid("weights", "at least one weight must be positive")
	}
	return nil
}

// Prioritise ranks the areas of list year (optionally of one region: normalised and ranked
// among themselves, smoothed against the whole list) with weights (nil: risk.DefaultWeights).
func (s *Service) Prioritise(ctx context.Context, year int, q Query, weights map[string]float64, method risk.Normalization) (*Priority, error) {
	if weights == nil {
		weights = risk.DefaultWeights()
	}
	if err := CheckWeights(weights); err != nil {
		return nil, err
	}
	p, err := s.Period(ctx, q)
	if err != nil {
		return nil, err
	}
	list, err := s.cached(ctx, year, p)
	if err != nil {
		return nil, err
	}
	var chosen []*Summary
	for _, sm := range list.summaries {
		if q.Region == "" || sm.Area.RegionCode == q.Region {
			chosen = append(chosen, sm)
		}
	}
	ids := make([]string, len(chosen))
	raw := map[string][]float64{}
	for _, k := range Components {
		raw[k] = make([]float64, len(chosen))
	}
	nan := math.NaN()
	orNaN := func(v *float64) float64 {
		if v == nil {
			return nan
		}
		return *v
	}
	reasons := make([]map[string]string, len(chosen))
	for i, sm := range chosen {
		ids[i] = sm.Area.ID
		reasons[i] = map[string]string{}
		raw[risk.ComponentViolentRate][i] = orNaN(sm.violent.rate.Value)
		raw[risk.ComponentHotSpots][i] = orNaN(sm.HotSpots.Share95)
		raw[risk.ComponentTrend][i] = orNaN(sm.violent.trendZ)
		raw[risk.ComponentChange][i] = orNaN(sm.violent.logRatio)
		raw[risk.ComponentPresenceGap][i] = nan
		if v := sm.Presence.HoursPerWeek.Value; v != nil {
			raw[risk.ComponentPresenceGap][i] = -*v
		}
		for k, why := range map[string]string{
			risk.ComponentViolentRate: sm.violent.reason,
			risk.ComponentTrend:       sm.violent.trendReason,
			risk.ComponentChange:      sm.violent.changeReason,
			risk.ComponentHotSpots:    sm.HotSpots.Reason,
			risk.ComponentPresenceGap: sm.Presence.HoursPerWeek.Reason,
		} {
			if math.IsNaN(raw[k][i]) {
				if why == "" {
					why = ReasonNotEstimable
				}
				reasons[i][k] = why
			}
		}
	}
	scores, err := risk.Prioritise(ids, raw, weights, method)
	if err != nil {
		return nil, fmt.Errorf("summary: prioritise: %w", err)
	}
	pos := map[string]int{}
	for i, id := range ids {
		pos[id] = i
	}
	name := "percent_rank"
	if method == risk.ZScore {
		name = "zscore"
	}
	out := &Priority{Set: year, Region: q.Region, Period: periodJSON(p), Weights: weights, Normalization: name,
		Areas: []PriorityArea{}, Notes: append(slices.Clone(list.notes),
			"Rangordningen är ett analysverktyg för att välja var insatser ska göras och ska inte publiceras.")}
	for _, sc := range scores {
		i := pos[sc.ID]
		pa := PriorityArea{Rank: sc.Rank, Area: chosen[i].Area, Score: finite(sc.Total),
			Components: map[string]*float64{}, Contributions: sc.Contributions, Indicators: map[string]*float64{}}
		for _, k := range Components {
			pa.Components[k] = finite(sc.Components[k])
			pa.Indicators[k] = finite(raw[k][i])
		}
		pa.Omitted = []OmittedComponent{}
		for _, k := range Components {
			if why, ok := reasons[i][k]; ok {
				pa.Omitted = append(pa.Omitted, OmittedComponent{Component: k, Reason: why,
					NeedsPopulation: slices.Contains(PopulationComponents, k)})
			}
		}
		if len(reasons[i]) > 0 {
			pa.Reasons = reasons[i]
		}
		out.Areas = append(out.Areas, pa)
	}
	return out, nil
}
