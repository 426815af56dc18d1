package risk

import (
	"math"
)

// Level is the confidence level of every interval in the package and 1 − Level the
// significance level of every test. One fixed level keeps maps, tables and reports comparable.
const Level = 0.95

// maxPer bounds the unit of a rate. Rates are per 1,000 or per 100,000 residents; the bound
// only keeps count·per/population finite.
const maxPer = 1e12

// Estimate is a rate with its exact 95 % confidence interval.
type Estimate struct {
	Count      int
	Population int
	Per        float64 // residents the rate is expressed per, usually 1000
	Rate       float64 // Count / Population · Per
	Lower      float64 // lower limit of the 95 % interval, same unit as Rate
	Upper      float64 // upper limit of the 95 % interval, same unit as Rate
}

// Rate returns count/population·per with the exact (Garwood 1936) Poisson interval:
//
//	lower = χ²(α/2; 2n)/2,  upper = χ²(1−α/2; 2n+2)/2,  scaled by per/population,
//
// with lower = 0 when n = 0. The exact interval is used rather than a normal approximation
// because the areas are small: with a handful of events the normal interval dips below zero
// and is far too narrow, and an n of 0 still gets an honest upper limit (3.69 events).
func Rate(count int, population int, per float64) (Estimate, error) {
	const op = "rate"
	if err := checkCount(op, "count", count); err != nil {
		return Estimate{}, err
	}
	if population <= 0 {
		return Estimate{}, invalid(op, "population", "must be positive, got %d", population)
	}
	if !(per > 0 && per <= maxPer) {
		return Estimate{}, invalid(op, "per", "must be in (0, %g], got %g", maxPer, per)
	}
	lo, hi, err := poissonInterval(count)
	if err != nil {
		return Estimate{}, err
	}
	scale := per / float64(population)
	return Estimate{
		Count:      count,
		Population: population,
		Per:        per,
		Rate:       float64(count) * scale,
		Lower:      lo * scale,
		Upper:      hi * scale,
	}, nil
}

// poissonInterval is the Garwood interval for the mean of a Poisson count n.
func poissonInterval(n int) (lo, hi float64, err error) {
	alpha := 1 - Level
	if n > 0 {
		lo, err = chiSquareQuantile(alpha/2, 2*float64(n))
		if err != nil {
			return 0, 0, err
		}
		lo /= 2
	}
	hi, err = chiSquareQuantile(1-alpha/2, 2*float64(n)+2)
	if err != nil {
		return 0, 0, err
	}
	return lo, hi / 2, nil
}

// Ratio is a rate ratio with its 95 % confidence interval.
type Ratio struct {
	A, PopA int // events and residents of the area compared
	B, PopB int // events and residents of the reference
	// Estimable is false when both counts are 0: there is then nothing to compare, and Ratio,
	// Lower and Upper are 0.
	Estimable bool
	// Ratio is (A/PopA)/(B/PopB): 0 when A is 0, +Inf when B is 0. Callers that encode JSON
	// must map infinities to null.
	Ratio float64
	Lower float64 // 0 when A is 0
	Upper float64 // +Inf when B is 0
	// Method says how the interval was computed: MethodLog or MethodExactConditional.
	Method string
}

// Interval methods of a Ratio.
const (
	// MethodLog is the usual large-sample interval RR·exp(±1.96·√(1/a + 1/b)).
	MethodLog = "log"
	// MethodExactConditional is the Clopper–Pearson interval for the share of a in a+b,
	// converted to a rate ratio; used when a or b is 0, where the log method breaks down.
	MethodExactConditional = "exact-conditional"
)

// RateRatio compares the rate a/popA with the rate b/popB.
//
// When both counts are positive it uses the log method, RR·exp(±1.96·√(1/a + 1/b)). When one
// count is 0 that standard error is infinite, yet the data still say something (no events
// among 2,000 residents against 50 among 9,000 is informative), so the interval is then the
// exact one conditional on the total N = a+b: given N, a is binomial with share
// π = RR·popA/(RR·popA + popB), and the Clopper–Pearson limits for π have closed forms at
// the edges (upper 1 − (α/2)^(1/N) when a = 0, lower (α/2)^(1/N) when b = 0), which convert
// back by RR = π/(1−π)·popB/popA. When both are 0 the ratio is not estimable.
func RateRatio(a, popA, b, popB int) (Ratio, error) {
	const op = "rate ratio"
	for _, c := range []struct {
		name string
		n    int
	}{{"a", a}, {"b", b}} {
		if err := checkCount(op, c.name, c.n); err != nil {
			return Ratio{}, err
		}
	}
	if popA <= 0 {
		return Ratio{}, invalid(op, "popA", "must be positive, got %d", popA)
	}
	if popB <= 0 {
		return Ratio{}, invalid(op, "popB", "must be positive, got %d", popB)
	}
	r := Ratio{A: a, PopA: popA, B: b, PopB: popB}
	if a == 0 && b == 0 {
		return r, nil
	}
	r.Estimable = true
	popRatio := float64(popB) / float64(popA)
	odds := func(pi float64) float64 { return pi / (1 - pi) * popRatio }
	alpha := 1 - Level
	n := float64(a + b)
	switch {
	case a == 0:
		r.Method = MethodExactConditional
		r.Upper = odds(-math.Expm1(math.Log(alpha/2) / n))
	case b == 0:
		r.Method = MethodExactConditional
		r.Ratio = math.Inf(1)
		r.Lower = odds(math.Exp(math.Log(alpha/2) / n))
		r.Upper = math.Inf(1)
	default:
		r.Method = MethodLog
		r.Ratio = float64(a) / float64(b) * popRatio
		se := math.Sqrt(1/float64(a) + 1/float64(b))
		r.Lower = r.Ratio * math.Exp(-z975*se)
		r.Upper = r.Ratio * math.Exp(z975*se)
	}
	return r, nil
}

// RateRatioToRest compares an area with the rest of its kommun: the kommun's events and
// residents minus the area's. Comparing with the whole kommun instead would put the area in
// its own reference and pull every ratio towards 1, most of all for large areas.
func RateRatioToRest(areaCount, areaPop, kommunCount, kommunPop int) (Ratio, error) {
	const op = "rate ratio to rest"
	if err := checkCount(op, "areaCount", areaCount); err != nil {
		return Ratio{}, err
	}
	if err := checkCount(op, "kommunCount", kommunCount); err != nil {
		return Ratio{}, err
	}
	if kommunCount < areaCount {
		return Ratio{}, invalid(op, "kommunCount", "%d is less than the area's %d", kommunCount, areaCount)
	}
	if areaPop <= 0 {
		return Ratio{}, invalid(op, "areaPop", "must be positive, got %d", areaPop)
	}
	if kommunPop <= areaPop {
		return Ratio{}, invalid(op, "kommunPop", "%d leaves no residents outside the area (%d)", kommunPop, areaPop)
	}
	return RateRatio(areaCount, areaPop, kommunCount-areaCount, kommunPop-areaPop)
}

// Change compares the count of one period with the count of the period before it.
type Change struct {
	Now, Before int
	Absolute    int // Now − Before
	// Percent is 100·(Now − Before)/Before; it is 0 and PercentDefined false when Before is 0,
	// since growth from nothing has no percentage.
	Percent        float64
	PercentDefined bool
	// LogRatio is ln((Now + ½)/(Before + ½)): a symmetric measure of change (doubling and
	// halving are equally far from 0) that stays finite when either count is 0, which is why
	// the prioritisation score uses it rather than Percent.
	LogRatio float64
	// P is the exact two-sided p-value of the conditional binomial test.
	P float64
	// Significant is P < 1 − Level (0.05).
	Significant bool
}

// PeriodChange compares now with before, two counts over periods of equal length and the same
// population.
//
// The test is the exact conditional one: if both periods share one Poisson rate, then given
// the total N = now + before, now is binomial(N, ½), and the two-sided p-value is
// min(1, 2·P(X ≤ min(now, before))) — exact for the symmetric binomial. It is preferred to
// comparing two rate intervals (which is far too conservative) and to a normal approximation
// (which is wrong for the small counts typical of an area). Periods of different lengths need
// another p than ½ and are not supported.
func PeriodChange(now, before int) (Change, error) {
	const op = "period change"
	if err := checkCount(op, "now", now); err != nil {
		return Change{}, err
	}
	if err := checkCount(op, "before", before); err != nil {
		return Change{}, err
	}
	c := Change{Now: now, Before: before, Absolute: now - before}
	if before > 0 {
		c.Percent = 100 * float64(now-before) / float64(before)
		c.PercentDefined = true
	}
	c.LogRatio = math.Log((float64(now) + 0.5) / (float64(before) + 0.5))
	c.P = math.Min(1, 2*binomialHalfCDF(min(now, before), now+before))
	c.Significant = c.P < 1-Level
	return c, nil
}

// binomialHalfCDF is P(X ≤ k) for X ~ binomial(n, ½) with k ≤ n/2. It is kept rather than
// gonum's regularized incomplete beta function, which misses the references of
// TestBinomialHalfCDFLarge (N = 2·10⁶) by 2·10⁻⁹ and 7·10⁻⁷ relative. It sums the probabilities
// downward from k with the ratio p(j−1) = p(j)·j/(n−j+1) and stops once the terms no longer
// change the sum, which takes about √n terms rather than k. Every term inherits the relative
// error of the first, so that one is computed with Loader's (2000) saddle-point form rather
// than from ln n! − ln k! − ln (n−k)!, whose cancellation would cost about log10(n·ln n)
// digits.
func binomialHalfCDF(k, n int) float64 {
	if k >= n {
		return 1
	}
	term := binomialHalfPMF(k, n)
	sum := term
	for j := k; j > 0; j-- {
		term *= float64(j) / float64(n-j+1)
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return math.Min(1, sum)
}

// binomialHalfPMF is P(X = k) for X ~ binomial(n, ½), 0 ≤ k ≤ n:
//
//	exp(stirlerr(n) − stirlerr(k) − stirlerr(n−k) − bd0(k, n/2) − bd0(n−k, n/2)) · √(n/(2πk(n−k))).
func binomialHalfPMF(k, n int) float64 {
	if k == 0 || k == n {
		return math.Exp(-float64(n) * math.Ln2)
	}
	nf, kf := float64(n), float64(k)
	m := nf / 2
	lc := stirlerr(nf) - stirlerr(kf) - stirlerr(nf-kf) - bd0(kf, m) - bd0(nf-kf, m)
	return math.Exp(lc) * math.Sqrt(nf/(2*math.Pi*kf*(nf-kf)))
}
