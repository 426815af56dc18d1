package risk

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// EffectCounts are the counts of an effect follow-up: the target area (R, for "response"), a
// surrounding buffer (B) and the control areas together (C), each before and after the start of
// the operation, over periods of equal length.
type EffectCounts struct {
	TargetBefore, TargetAfter   int
	BufferBefore, BufferAfter   int
	ControlBefore, ControlAfter int
}

// Effect is a difference-in-differences estimate with the displacement measures of Bowers &
// Johnson (2003).
type Effect struct {
	// RatioOfRatios is (Ta/Tb)/(Ca/Cb): the target's after/before ratio relative to the
	// controls'. Below 1 the target fell more (or rose less) than the controls. Lower and
	// Upper bound its 95 % interval; P tests RatioOfRatios = 1. With a zero count, ½ is added
	// to every count (Haldane's correction) and Corrected says so.
	RatioOfRatios, Lower, Upper, P float64
	Corrected                      bool
	// PercentChange is 100·(RatioOfRatios − 1): the estimated relative effect of the operation.
	PercentChange float64
	// ExpectedTarget is the target's count after the start had it followed the controls:
	// Tb·Ca/Cb. Defined only when Cb > 0.
	ExpectedTarget float64
	// WDQ is the weighted displacement quotient (Bowers & Johnson 2003):
	//   (Ba/Ca − Bb/Cb) / (Ta/Ca − Tb/Cb).
	// Positive: diffusion of benefits to the buffer; negative: displacement into it; below −1
	// more was displaced than prevented. Defined (WDQDefined) only when the target improved
	// against the controls (Ta/Ca − Tb/Cb < 0), as the authors require; NaN otherwise.
	WDQ        float64
	WDQDefined bool
	// BufferChange is Ba/Ca − Bb/Cb, the buffer's change relative to the controls (the WDQ's
	// numerator, the "buffer displacement measure"); SuccessMeasure the target's, Ta/Ca − Tb/Cb.
	BufferChange, SuccessMeasure float64
	// TotalNetEffect is Bowers & Johnson's [Tb·Ca/Cb − Ta] + [Bb·Ca/Cb − Ba]: events prevented
	// in the target and buffer together, in events, positive when fewer than expected.
	TotalNetEffect float64
}

// DiffInDiff estimates an operation's effect from counts before and after it in the target, a
// buffer and control areas. The model is Poisson: each count has variance equal to its mean,
// so the log of the ratio of ratios has the delta-method variance 1/Ta + 1/Tb + 1/Ca + 1/Cb,
// and the 95 % interval is exp(ln RR ± 1.96·se). This is the difference-in-differences of the
// log counts, which reads as a relative effect and does not depend on the areas' sizes. Real
// counts are over-dispersed, so the interval is too narrow rather than too wide.
//
// The controls must have events in both periods (Cb > 0 and Ca > 0); the target may have
// none (then ½ is added to every count). The displacement measures need the same and are
// computed as published, without correction.
func DiffInDiff(c EffectCounts) (Effect, error) {
	const op = "difference in differences"
	for _, v := range []struct {
		name string
		n    int
	}{{"target_before", c.TargetBefore}, {"target_after", c.TargetAfter}, {"buffer_before", c.BufferBefore},
		{"buffer_after", c.BufferAfter}, {"control_before", c.ControlBefore}, {"control_after", c.ControlAfter}} {
		if err := checkCount(op, v.name, v.n); err != nil {
			return Effect{}, err
		}
		if v.n > MaxCount {
			return Effect{}, invalid(op, v.name, "%d is above %d", v.n, MaxCount)
		}
	}
	if c.ControlBefore == 0 || c.ControlAfter == 0 {
		return Effect{}, invalid(op, "controls", "need events in the controls before and after, got %d and %d", c.ControlBefore, c.ControlAfter)
	}
	tb, ta := float64(c.TargetBefore), float64(c.TargetAfter)
	bb, ba := float64(c.BufferBefore), float64(c.BufferAfter)
	cb, ca := float64(c.ControlBefore), float64(c.ControlAfter)
	var e Effect
	if c.TargetBefore == 0 || c.TargetAfter == 0 {
		e.Corrected = true
	}
	a, b, x, y := ta, tb, ca, cb
	if e.Corrected {
		a, b, x, y = a+0.5, b+0.5, x+0.5, y+0.5
	}
	lr := math.Log(a/b) - math.Log(x/y)
	se := math.Sqrt(1/a + 1/b + 1/x + 1/y)
	z := distuv.UnitNormal.Quantile(1 - (1-Level)/2)
	e.RatioOfRatios = math.Exp(lr)
	e.Lower, e.Upper = math.Exp(lr-z*se), math.Exp(lr+z*se)
	e.P = 2 * distuv.UnitNormal.Survival(math.Abs(lr/se))
	e.PercentChange = 100 * (e.RatioOfRatios - 1)
	e.ExpectedTarget = tb * ca / cb
	e.SuccessMeasure = ta/ca - tb/cb
	e.BufferChange = ba/ca - bb/cb
	e.WDQ = math.NaN()
	if e.SuccessMeasure < 0 {
		e.WDQ, e.WDQDefined = e.BufferChange/e.SuccessMeasure, true
	}
	e.TotalNetEffect = (tb*ca/cb - ta) + (bb*ca/cb - ba)
	return e, nil
}

// ControlCandidate is an area that could serve as a control: its monthly counts before the
// operation (oldest first, the same months as the target's).
type ControlCandidate struct {
	ID     string
	Before []float64
}

// ControlMatch is a candidate with how close it is to the target.
type ControlMatch struct {
	ID string
	// LevelDiff is |ln((c + ½)/(t + ½))| for the pre-period totals c and t; SlopeDiff the
	// difference of the least-squares slopes of the log monthly counts (ln(x + ½)), per month.
	LevelDiff, SlopeDiff float64
	// Distance is LevelDiff + 12·|SlopeDiff|: a difference of slope that adds up to a level
	// difference over a year counts as much as that level difference.
	Distance float64
}

// ChooseControls ranks candidates by how much their pre-period resembles the target's, in
// level (total) and trend (slope of the log counts), and returns the k closest, closest first
// (ties by id). The caller decides who may be a candidate (for Lägesbild: areas of the same
// police class and list, outside the target and its buffer, without their own operation in the
// window); the choice here is only by the numbers, and every candidate's distance is
// returned so the choice can be shown and challenged.
func ChooseControls(target []float64, candidates []ControlCandidate, k int) (chosen []ControlMatch, all []ControlMatch, err error) {
	const op = "control choice"
	if len(target) < 2 {
		return nil, nil, invalid(op, "target", "need at least 2 months before, got %d", len(target))
	}
	if k < 1 {
		return nil, nil, invalid(op, "k", "must be at least 1, got %d", k)
	}
	tLevel, tSlope := preShape(target)
	for _, c := range candidates {
		if len(c.Before) != len(target) {
			return nil, nil, invalid(op, "candidates", "%s has %d months, the target %d", c.ID, len(c.Before), len(target))
		}
		for _, x := range c.Before {
			if !(x >= 0) || math.IsInf(x, 0) {
				return nil, nil, invalid(op, "candidates", "%s has a count %g", c.ID, x)
			}
		}
		level, slope := preShape(c.Before)
		m := ControlMatch{ID: c.ID, LevelDiff: math.Abs(level - tLevel), SlopeDiff: slope - tSlope}
		m.Distance = m.LevelDiff + 12*math.Abs(m.SlopeDiff)
		all = append(all, m)
	}
	slices.SortFunc(all, func(a, b ControlMatch) int {
		return cmp.Or(cmp.Compare(a.Distance, b.Distance), cmp.Compare(a.ID, b.ID))
	})
	return all[:min(k, len(all))], all, nil
}

// preShape is the log level ln(total + ½) and the least-squares slope of ln(x + ½) per step.
func preShape(xs []float64) (level, slope float64) {
	n := float64(len(xs))
	var total, sx, sy, sxx, sxy float64
	for i, x := range xs {
		total += x
		t, y := float64(i), math.Log(x+0.5)
		sx += t
		sy += y
		sxx += t * t
		sxy += t * y
	}
	slope = (n*sxy - sx*sy) / (n*sxx - sx*sx)
	return math.Log(total + 0.5), slope
}
