package summary

import (
	"math"
	"time"

	"github.com/lagesbild/lagesbild/internal/risk"
)

// violentIndicators are the violent groups together, for the prioritisation.
type violentIndicators struct {
	count    Indicator
	rate     Indicator // EB smoothed
	trendZ   *float64
	logRatio *float64
	// reason says why the rate is withheld (it needs residents); trendReason and
	// changeReason why the trend and the change are (they need only the counts).
	reason, trendReason, changeReason string
}

func ptr[T any](v T) *T { return &v }

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func withheld(reason string) Indicator { return Indicator{Suppressed: true, Reason: reason} }

func value(v float64) Indicator { return Indicator{Value: finite(v)} }

func interval(v, lo, hi float64) Indicator {
	return Indicator{Value: finite(v), Lower: finite(lo), Upper: finite(hi)}
}

// countIndicator publishes a count that the table suppression has or has not hidden.
func countIndicator(n int, hidden bool) Indicator {
	if hidden {
		reason := ReasonSecondary
		if _, primary := risk.SuppressCount(n); primary {
			reason = ReasonSmallCount
		}
		return withheld(reason)
	}
	return value(float64(n))
}

// hidden applies the table suppression to one period's counts: the parts are the groups, the
// sensitive ones always flagged, and the total is their sum.
func (s *Service) hidden(groups []string, counts map[string]int) (total bool, parts map[string]bool, err error) {
	ns := make([]int, len(groups))
	flags := make([]bool, len(groups))
	sum := 0
	for i, g := range groups {
		ns[i] = counts[g]
		sum += ns[i]
		_, flags[i] = risk.SuppressCount(ns[i])
		flags[i] = flags[i] || (s.sensitive[g] && ns[i] > 0)
	}
	sup, err := risk.SecondarySuppress(sum, ns, flags)
	if err != nil {
		return false, nil, err
	}
	_, totalSmall := risk.SuppressCount(sum)
	parts = map[string]bool{}
	for i, g := range groups {
		parts[g] = sup.Parts[i]
	}
	return sup.Total || totalSmall, parts, nil
}

// rateReason says why numbers derived from a count of n and the area's residents (rates,
// smoothed rates, rate ratios) must not be shown ("" when they may).
func rateReason(a AreaInfo, n int, countHidden bool) string {
	if countHidden {
		return ReasonCountHidden
	}
	if !a.HasPopulation || a.Population <= 0 {
		return ReasonNoPopulation
	}
	reason, _ := risk.Withhold(n, a.Population)
	return reason
}

// countReason says why numbers derived from counts alone (the trend, the period change, the
// location quotient) must not be shown ("" when they may): the count is hidden, or below
// risk.MinRateCount. Residents do not enter, so an installation without a population import
// still gets them.
func countReason(n int, countHidden bool) string {
	if countHidden {
		return ReasonCountHidden
	}
	if n < risk.MinRateCount {
		return risk.ReasonFewEvents
	}
	return ""
}

func (s *Service) fillGroups(sm *Summary, a AreaInfo, groups []string, now, before, kommun map[string]int,
	series map[string][]float64, eb map[string]map[string]float64, months int) {
	totalHidden, partsHidden, err := s.hidden(groups, now)
	if err != nil {
		// Counts that do not add up cannot be protected: show none of them.
		totalHidden, partsHidden = true, allTrue(groups)
	}
	prevTotalHidden, prevPartsHidden, err := s.hidden(groups, before)
	if err != nil {
		prevTotalHidden, prevPartsHidden = true, allTrue(groups)
	}
	lqs := map[string]risk.GroupQuotient{}
	lqErr := error(nil)
	if kommun != nil || now != nil {
		var q []risk.GroupQuotient
		q, lqErr = risk.LocationQuotients(nonNil(now), nonNil(kommun))
		for _, gq := range q {
			lqs[gq.Group] = gq
		}
	}
	build := func(key string, hiddenNow, hiddenBefore bool) GroupSummary {
		n, b := sumGroups(now, key), sumGroups(before, key)
		g := GroupSummary{Group: key, Label: groupLabel(key)}
		if key == keyTotal {
			g.Label = "Totalt"
		}
		g.Count = countIndicator(n, hiddenNow)
		g.PreviousCount = countIndicator(b, hiddenBefore)
		reason := rateReason(a, n, hiddenNow)
		if reason != "" {
			g.Rate, g.SmoothedRate, g.RateRatio = withheld(reason), withheld(reason), withheld(reason)
		} else {
			if r, err := risk.Rate(n, a.Population, 1000); err == nil {
				g.Rate = interval(r.Rate, r.Lower, r.Upper)
			} else {
				g.Rate = withheld(ReasonNotEstimable)
			}
			if v, ok := eb[key][a.ID]; ok {
				g.SmoothedRate = value(v)
			} else {
				g.SmoothedRate = withheld(ReasonNotEstimable)
			}
			kn := sumGroups(kommun, key)
			if rr, err := risk.RateRatioToRest(n, a.Population, kn, a.KommunPopulation); err == nil && rr.Estimable {
				g.RateRatio = interval(rr.Ratio, rr.Lower, rr.Upper)
			} else {
				g.RateRatio = withheld(ReasonNotEstimable)
			}
		}
		cr := countReason(n, hiddenNow)
		switch gq, ok := lqs[key]; {
		case key == keyTotal:
			g.LocationQuotient = withheld(ReasonTotalOnly)
		case cr != "":
			g.LocationQuotient = withheld(cr)
		case lqErr != nil || !ok || !gq.Defined:
			g.LocationQuotient = withheld(ReasonNotEstimable)
		default:
			g.LocationQuotient = value(gq.LQ)
		}
		g.Change = change(n, b, hiddenNow, hiddenBefore)
		g.Trend = trend(cr, sumSeries(series, key, months))
		return g
	}
	sm.Total = build(keyTotal, totalHidden, prevTotalHidden)
	for _, g := range groups {
		if s.sensitive[g] {
			continue
		}
		sm.Groups = append(sm.Groups, build(g, partsHidden[g], prevPartsHidden[g]))
	}
	// The violent groups together are not published as a table row of their own, but the
	// count is shown in the list, so it gets the primary rule; its parts are all in Groups.
	vn, vb := sumGroups(now, keyViolent), sumGroups(before, keyViolent)
	_, vHidden := risk.SuppressCount(vn)
	_, vbHidden := risk.SuppressCount(vb)
	vi := violentIndicators{count: countIndicator(vn, vHidden)}
	vi.reason = rateReason(a, vn, vHidden)
	if vi.reason != "" {
		vi.rate = withheld(vi.reason)
	} else if v, ok := eb[keyViolent][a.ID]; ok {
		vi.rate = value(v)
	} else {
		vi.rate = withheld(ReasonNotEstimable)
	}
	// The trend and the change of the violent groups need no residents: an area without a
	// population import is ranked on them (and on its hot spots).
	if t := trend(countReason(vn, vHidden), sumSeries(series, keyViolent, months)); t.Z != nil {
		vi.trendZ = t.Z
	} else {
		vi.trendReason = t.Reason
	}
	c := change(vn, vb, vHidden, vbHidden)
	if pc, err := risk.PeriodChange(vn, vb); err == nil && !c.Suppressed {
		vi.logRatio = finite(pc.LogRatio)
	} else {
		vi.changeReason = c.Reason
	}
	sm.violent = vi
}

func nonNil(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

func allTrue(groups []string) map[string]bool {
	m := map[string]bool{}
	for _, g := range groups {
		m[g] = true
	}
	return m
}

// change compares the counts of the period and the previous one with the exact conditional
// test; it needs no residents (both periods share the area's population).
func change(n, b int, hiddenNow, hiddenBefore bool) Change {
	reason := countReason(n+b, hiddenNow || hiddenBefore)
	if reason != "" {
		return Change{Difference: withheld(reason), Percent: withheld(reason), Suppressed: true, Reason: reason}
	}
	c, err := risk.PeriodChange(n, b)
	if err != nil {
		return Change{Difference: withheld(ReasonNotEstimable), Percent: withheld(ReasonNotEstimable), Suppressed: true, Reason: ReasonNotEstimable}
	}
	out := Change{Difference: value(float64(c.Absolute)), P: ptr(c.P), Significant: ptr(c.Significant)}
	if c.PercentDefined {
		out.Percent = value(c.Percent)
	} else {
		out.Percent = withheld(ReasonNotEstimable)
	}
	return out
}

func trend(reason string, series []float64) Trend {
	t := Trend{Months: len(series)}
	if reason == "" && len(series) < risk.MinTrendPoints {
		reason = ReasonShortPeriod
	}
	if reason != "" {
		t.Suppressed, t.Reason, t.SenSlope = true, reason, withheld(reason)
		return t
	}
	mk, err := risk.MannKendall(series)
	if err != nil {
		t.Suppressed, t.Reason, t.SenSlope = true, ReasonNotEstimable, withheld(ReasonNotEstimable)
		return t
	}
	t.Z, t.P = finite(mk.Z), finite(mk.P)
	t.Significant = ptr(mk.P < 1-risk.Level)
	t.SenSlope = interval(mk.Slope, mk.SlopeLower, mk.SlopeUpper)
	return t
}

// monthlyPoints suppresses the monthly totals as a table whose total is shown, so that no
// hidden month can be recovered by subtraction.
func monthlyPoints(months []time.Time, series map[string][]float64, total int) []MonthPoint {
	sr := sumSeries(series, keyTotal, len(months))
	parts := make([]int, len(sr))
	for i, v := range sr {
		parts[i] = int(v)
	}
	sup, err := risk.SuppressTable(total, parts)
	out := make([]MonthPoint, len(months))
	for i, m := range months {
		hidden := err != nil || sup.Parts[i]
		out[i] = MonthPoint{Month: m.Format("2006-01"), Count: countIndicator(parts[i], hidden)}
	}
	return out
}
