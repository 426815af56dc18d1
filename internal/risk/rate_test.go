package risk

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

func TestRateGarwood(t *testing.T) {
	// Published exact 95 % limits for a Poisson count (e.g. Ulm 1990, Am J Epidemiol 131:373;
	// the usual tables of Garwood intervals), to the digits they are printed with; the
	// tolerance is half a unit in the last printed digit. With population = per the rate is
	// the count itself, so the limits compare directly.
	cases := []struct {
		n          int
		lo, hi, to float64
	}{
		{0, 0, 3.689, 5e-4},
		{1, 0.0253, 5.572, 5e-4},
		{5, 1.623, 11.668, 5e-4},
		{10, 4.795, 18.390, 5e-4},
		{100, 81.36, 121.63, 5e-3},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("n=%d", c.n), func(t *testing.T) {
			e, err := Rate(c.n, 1000, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(e.Lower-c.lo) > c.to || math.Abs(e.Upper-c.hi) > c.to {
				t.Errorf("interval [%.5f, %.5f], want [%g, %g] ± %g", e.Lower, e.Upper, c.lo, c.hi, c.to)
			}
			if e.Rate != float64(c.n) {
				t.Errorf("rate %g, want %d", e.Rate, c.n)
			}
		})
	}
}

func TestRateAgainstBruteForce(t *testing.T) {
	// The interval from the χ² quantiles must equal the interval found by root-finding on the
	// Poisson CDF directly (bruteGarwood, which uses neither the incomplete gamma function nor
	// its inverse). Tolerance 1e-9 relative: the bisection's own accuracy.
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 10, 25, 50, 100, 400} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			e, err := Rate(n, 1, 1)
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := bruteGarwood(n)
			if !near(e.Lower, lo, 1e-9) || !near(e.Upper, hi, 1e-9) {
				t.Errorf("interval [%.12g, %.12g], brute force [%.12g, %.12g]", e.Lower, e.Upper, lo, hi)
			}
		})
	}
}

func TestRateScaling(t *testing.T) {
	// 12 events among 3,400 residents is 3.529 per 1,000; the limits are the n = 12 Garwood
	// limits (6.2006, 20.9617) times 1000/3400. Tolerance 1e-9 relative.
	e, err := Rate(12, 3400, 1000)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := bruteGarwood(12)
	want := Estimate{Count: 12, Population: 3400, Per: 1000, Rate: 12.0 / 3.4, Lower: lo / 3.4, Upper: hi / 3.4}
	if e.Count != want.Count || e.Population != want.Population || e.Per != want.Per ||
		!near(e.Rate, want.Rate, 1e-12) || !near(e.Lower, want.Lower, 1e-9) || !near(e.Upper, want.Upper, 1e-9) {
		t.Errorf("got %+v, want %+v", e, want)
	}
}

func TestRateInvalid(t *testing.T) {
	cases := []struct {
		name       string
		count, pop int
		per        float64
	}{
		{"negative count", -1, 1000, 1000},
		{"population 0", 3, 0, 1000},
		{"negative population", 3, -5, 1000},
		{"per 0", 3, 1000, 0},
		{"per NaN", 3, 1000, math.NaN()},
		{"per Inf", 3, 1000, math.Inf(1)},
		{"count too large", MaxCount + 1, 1000, 1000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Rate(c.count, c.pop, c.per); !errors.Is(err, lagesbild.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestRateRatio(t *testing.T) {
	// Hand computation, log method: a = 30 of 2,000 residents, b = 120 of 20,000.
	//   RR = (30/2000)/(120/20000) = 0.015/0.006 = 2.5
	//   se = √(1/30 + 1/120) = √0.0416667 = 0.2041241
	//   limits = 2.5·exp(∓1.959964·0.2041241) = 2.5·exp(∓0.400076) = 1.675673, 3.729845
	// Exact conditional, a = 0 of 1,000 against b = 50 of 9,000 (N = 50):
	//   π_U = 1 − 0.025^(1/50) = 0.0711217 (so (1 − π_U)^50 = 0.025)
	//   RR_U = π_U/(1 − π_U) · 9000/1000 = 0.0765678·9 = 0.689106
	// Exact conditional, a = 12 of 1,000 against b = 0 of 9,000 (N = 12):
	//   π_L = 0.025^(1/12) = 0.735352;  RR_L = π_L/(1 − π_L)·9 = 25.00738
	// Tolerance 1e-6 relative.
	cases := []struct {
		name                string
		a, popA, b, popB    int
		ratio, lower, upper float64
		method              string
		estimable           bool
	}{
		{"log method", 30, 2000, 120, 20000, 2.5, 1.6756728043, 3.7298451010, MethodLog, true},
		{"a zero", 0, 1000, 50, 9000, 0, 0, 0.6891060468, MethodExactConditional, true},
		{"b zero", 12, 1000, 0, 9000, math.Inf(1), 25.0073759750, math.Inf(1), MethodExactConditional, true},
		{"both zero", 0, 1000, 0, 9000, 0, 0, 0, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := RateRatio(c.a, c.popA, c.b, c.popB)
			if err != nil {
				t.Fatal(err)
			}
			if r.Estimable != c.estimable || r.Method != c.method {
				t.Errorf("estimable %v method %q, want %v %q", r.Estimable, r.Method, c.estimable, c.method)
			}
			if !near(r.Ratio, c.ratio, 1e-6) || !near(r.Lower, c.lower, 1e-6) || !near(r.Upper, c.upper, 1e-6) {
				t.Errorf("RR %g [%g, %g], want %g [%g, %g]", r.Ratio, r.Lower, r.Upper, c.ratio, c.lower, c.upper)
			}
		})
	}
}

func TestRateRatioToRest(t *testing.T) {
	// An area with 30 events and 2,000 residents in a kommun with 150 events and 22,000:
	// the rest is 120 events and 20,000 residents, the log-method case above.
	r, err := RateRatioToRest(30, 2000, 150, 22000)
	if err != nil {
		t.Fatal(err)
	}
	if r.B != 120 || r.PopB != 20000 || !near(r.Ratio, 2.5, 1e-12) {
		t.Errorf("got %+v, want the rest to be 120/20000 and RR 2.5", r)
	}
	for _, c := range []struct {
		name                 string
		a, popA, kn, kommPop int
	}{
		{"kommun fewer events", 30, 2000, 20, 22000},
		{"no residents outside", 30, 2000, 150, 2000},
		{"negative count", -1, 2000, 150, 22000},
		{"area population 0", 3, 0, 150, 22000},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := RateRatioToRest(c.a, c.popA, c.kn, c.kommPop); !errors.Is(err, lagesbild.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestPeriodChange(t *testing.T) {
	// Exact two-sided p = min(1, 2·P(X ≤ min(a,b))), X ~ binomial(a+b, ½), by hand:
	//   15 vs 5: N = 20, P(X ≤ 5) = (1+20+190+1140+4845+15504)/2²⁰ = 21700/1048576,
	//            p = 0.0413895 → significant; change +10, +200 %.
	//   8 vs 2:  N = 10, P(X ≤ 2) = (1+10+45)/1024, p = 0.109375 → not significant.
	//   5 vs 5:  P(X ≤ 5) > ½, p = 1.
	//   3 vs 0:  P(X ≤ 0) = 1/8, p = 0.25; percent undefined.
	//   0 vs 0:  p = 1.
	//   80 vs 120: p = 2·Σₖ≤₈₀ C(200,k)/2²⁰⁰ = 0.00568516 (summed exactly with integers).
	// Tolerance 1e-9 relative.
	cases := []struct {
		now, before    int
		abs            int
		pct            float64
		pctDefined     bool
		p              float64
		significant    bool
		logRatioApprox float64
	}{
		{15, 5, 10, 200, true, 21700.0 / 1048576 * 2, true, math.Log(15.5 / 5.5)},
		{8, 2, 6, 300, true, 0.109375, false, math.Log(8.5 / 2.5)},
		{5, 5, 0, 0, true, 1, false, 0},
		{3, 0, 3, 0, false, 0.25, false, math.Log(7)},
		{0, 0, 0, 0, false, 1, false, 0},
		{80, 120, -40, -100.0 / 3, true, 0.0056851559967503055, true, math.Log(80.5 / 120.5)},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d vs %d", c.now, c.before), func(t *testing.T) {
			got, err := PeriodChange(c.now, c.before)
			if err != nil {
				t.Fatal(err)
			}
			if got.Absolute != c.abs || got.PercentDefined != c.pctDefined || !near(got.Percent, c.pct, 1e-12) {
				t.Errorf("change %d, %g %% (defined %v), want %d, %g %% (%v)", got.Absolute, got.Percent, got.PercentDefined, c.abs, c.pct, c.pctDefined)
			}
			if !near(got.P, c.p, 1e-9) || got.Significant != c.significant {
				t.Errorf("p = %.12g significant %v, want %.12g %v", got.P, got.Significant, c.p, c.significant)
			}
			if !near(got.LogRatio, c.logRatioApprox, 1e-12) {
				t.Errorf("log ratio %g, want %g", got.LogRatio, c.logRatioApprox)
			}
		})
	}
	if _, err := PeriodChange(-1, 3); !errors.Is(err, lagesbild.ErrInvalid) {
		t.Errorf("negative count: err = %v, want ErrInvalid", err)
	}
}

func TestBinomialHalfCDFLarge(t *testing.T) {
	// N = 2·10⁶: references computed with mpmath at 30 digits (the same downward sum, started
	// from an exact log-gamma term). P(X ≤ N/2) is also ½ + ½·P(X = N/2) by symmetry.
	// Tolerance 1e-12 relative: a plain ln n! − ln k! − ln (n−k)! start would be off by 3e-9.
	n := 2_000_000
	cases := []struct {
		k    int
		want float64
	}{
		{n/2 - 2000, 0.0023440333716451365547},
		{n / 2, 0.50028209475651203138},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("k=%d", c.k), func(t *testing.T) {
			if got := binomialHalfCDF(c.k, n); math.Abs(got-c.want) > 1e-12*c.want {
				t.Errorf("P(X ≤ %d) = %.17g, want %.17g", c.k, got, c.want)
			}
		})
	}
}
