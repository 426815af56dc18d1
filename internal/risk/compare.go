package risk

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// Verdicts of a Comparison, as codes for clients and as the plain Swedish sentence an analyst
// reads (VerdictText).
const (
	VerdictIncreaseSignificant = "increase_significant"
	VerdictIncrease            = "increase_not_significant"
	VerdictUnchanged           = "unchanged"
	VerdictDecrease            = "decrease_not_significant"
	VerdictDecreaseSignificant = "decrease_significant"
)

// VerdictText is the Swedish sentence for a verdict code.
func VerdictText(verdict string) string {
	switch verdict {
	case VerdictIncreaseSignificant:
		return "Ökning, statistiskt säkerställd"
	case VerdictIncrease:
		return "Ökning, inte statistiskt säkerställd"
	case VerdictUnchanged:
		return "Oförändrat"
	case VerdictDecrease:
		return "Minskning, inte statistiskt säkerställd"
	case VerdictDecreaseSignificant:
		return "Minskning, statistiskt säkerställd"
	}
	return ""
}

// Comparison compares the count of one period with the count of another (the previous period,
// or the same period a year earlier), allowing for periods of different lengths.
type Comparison struct {
	Now, Before         int
	NowDays, BeforeDays float64
	// Expected is Before scaled to the length of the current period: what the current period
	// would hold at the earlier rate.
	Expected float64
	// Percent is 100·(Now − Expected)/Expected, the change of the daily rate; PercentDefined is
	// false when Before is 0.
	Percent        float64
	PercentDefined bool
	// RateRatio is the ratio of the daily rates, (Now/NowDays)/(Before/BeforeDays), with its
	// exact 95 % interval (Lower, Upper): +Inf when Before is 0.
	RateRatio, Lower, Upper float64
	// P is the exact two-sided p-value of the conditional binomial test; Significant is
	// P < 1 − Level.
	P           float64
	Significant bool
	// Verdict is one of the Verdict codes.
	Verdict string
}

// ComparePeriods compares now events in nowDays with before events in beforeDays.
//
// The test is the exact conditional one for two Poisson counts (Przyborowski & Wilenski 1940):
// if both periods share one daily rate, then given the total N = now + before, now is
// binomial(N, π₀) with π₀ = nowDays/(nowDays + beforeDays). The two-sided p-value doubles the
// smaller tail, min(1, 2·min(P(X ≤ now), P(X ≥ now))), which for periods of equal length is
// PeriodChange's test (and computed by its sum). The interval of the rate ratio is the Clopper–Pearson interval of the
// share π = now/N, converted by RR = π/(1−π)·beforeDays/nowDays. The binomial tails and beta
// quantiles are gonum's regularized incomplete beta function and its inverse.
func ComparePeriods(now, before int, nowDays, beforeDays float64) (Comparison, error) {
	const op = "compare periods"
	if err := checkCount(op, "now", now); err != nil {
		return Comparison{}, err
	}
	if err := checkCount(op, "before", before); err != nil {
		return Comparison{}, err
	}
	for _, d := range []struct {
		name string
		v    float64
	}{{"nowDays", nowDays}, {"beforeDays", beforeDays}} {
		if !(d.v > 0 && d.v <= 1e6) {
			return Comparison{}, invalid(op, d.name, "must be in (0, 1e6], got %g", d.v)
		}
	}
	c := Comparison{Now: now, Before: before, NowDays: nowDays, BeforeDays: beforeDays, P: 1}
	c.Expected = float64(before) * nowDays / beforeDays
	if before > 0 {
		c.Percent = 100 * (float64(now) - c.Expected) / c.Expected
		c.PercentDefined = true
	}
	n := now + before
	scale := beforeDays / nowDays
	alpha := 1 - Level
	switch {
	case n == 0:
		c.RateRatio, c.Lower, c.Upper = math.NaN(), 0, math.Inf(1)
	case before == 0:
		c.RateRatio, c.Upper = math.Inf(1), math.Inf(1)
		lo := mathext.InvRegIncBeta(float64(now), float64(before+1), alpha/2)
		c.Lower = lo / (1 - lo) * scale
	default:
		c.RateRatio = float64(now) / float64(before) * scale
		if now > 0 {
			lo := mathext.InvRegIncBeta(float64(now), float64(before+1), alpha/2)
			c.Lower = lo / (1 - lo) * scale
		}
		hi := mathext.InvRegIncBeta(float64(now+1), float64(before), 1-alpha/2)
		c.Upper = hi / (1 - hi) * scale
	}
	switch {
	case n > 0 && nowDays == beforeDays:
		// PeriodChange's sum: gonum's incomplete beta is off by up to 7e-7 relative at
		// N = 2·10⁶ (TestBinomialHalfCDFLarge), the saddle-point sum is not.
		c.P = math.Min(1, 2*binomialHalfCDF(min(now, before), n))
	case n > 0:
		p0 := nowDays / (nowDays + beforeDays)
		c.P = math.Min(1, 2*math.Min(binomialLower(now, n, p0), binomialUpper(now, n, p0)))
	}
	c.Significant = c.P < 1-Level
	switch d := float64(now) - c.Expected; {
	case d > 0 && c.Significant:
		c.Verdict = VerdictIncreaseSignificant
	case d > 0:
		c.Verdict = VerdictIncrease
	case d < 0 && c.Significant:
		c.Verdict = VerdictDecreaseSignificant
	case d < 0:
		c.Verdict = VerdictDecrease
	default:
		c.Verdict = VerdictUnchanged
	}
	return c, nil
}

// binomialLower is P(X ≤ k) for X ~ binomial(n, p): I₁₋ₚ(n−k, k+1).
func binomialLower(k, n int, p float64) float64 {
	if k >= n {
		return 1
	}
	return mathext.RegIncBeta(float64(n-k), float64(k+1), 1-p)
}

// binomialUpper is P(X ≥ k) for X ~ binomial(n, p): Iₚ(k, n−k+1), computed directly rather
// than as 1 − P(X ≤ k−1), which would cancel to 0 in the far tail.
func binomialUpper(k, n int, p float64) float64 {
	if k <= 0 {
		return 1
	}
	return mathext.RegIncBeta(float64(k), float64(n-k+1), p)
}
