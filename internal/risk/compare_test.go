package risk

import (
	"math"
	"testing"
)

func TestComparePeriodsReference(t *testing.T) {
	for _, c := range []struct {
		name                string
		now, before         int
		nowDays, beforeDays float64
		p, percent          float64
		verdict             string
	}{
		// 10 against 2 in equal periods: 2·P(X ≥ 10), X ~ bin(12, ½) = 2·(66+12+1)/4096.
		{"equal lengths", 10, 2, 28, 28, 2 * 79.0 / 4096, 400, VerdictIncreaseSignificant},
		// 3 against 0 with the current period half as long: 2·(1/3)³.
		{"from nothing", 3, 0, 1, 2, 2.0 / 27, math.NaN(), VerdictIncrease},
		// 6 in 2 days against 2 in 1: π₀ = 2/3, N = 8, 2·P(X ≥ 6) = 2·(28·2⁶ + 8·2⁷ + 2⁸)/3⁸.
		{"unequal lengths", 6, 2, 2, 1, 2 * 3072.0 / 6561, 50, VerdictIncrease},
		{"nothing", 0, 0, 28, 28, 1, math.NaN(), VerdictUnchanged},
		// 2 against 12: 2·P(X ≤ 2), X ~ bin(14, ½) = 2·(1+14+91)/16384.
		{"decrease", 2, 12, 28, 28, 2 * 106.0 / 16384, -100.0 * 10 / 12, VerdictDecreaseSignificant},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ComparePeriods(c.now, c.before, c.nowDays, c.beforeDays)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got.P-c.p) > 1e-12*math.Max(1, c.p) {
				t.Errorf("p = %.15g, want %.15g", got.P, c.p)
			}
			if math.IsNaN(c.percent) != !got.PercentDefined || (got.PercentDefined && math.Abs(got.Percent-c.percent) > 1e-9) {
				t.Errorf("percent = %v (defined %v), want %v", got.Percent, got.PercentDefined, c.percent)
			}
			if got.Verdict != c.verdict || VerdictText(got.Verdict) == "" {
				t.Errorf("verdict %q, want %q", got.Verdict, c.verdict)
			}
		})
	}
}

// TestComparePeriodsMatchesPeriodChange: for periods of equal length the test is PeriodChange's
// (whose reference values are in rate_test.go), and the interval is RateRatio's exact one at
// the edges.
func TestComparePeriodsMatchesPeriodChange(t *testing.T) {
	for _, nb := range [][2]int{{0, 1}, {1, 0}, {5, 5}, {7, 19}, {40, 20}, {300, 250}, {1000, 1100}, {10, 0}} {
		c, err := ComparePeriods(nb[0], nb[1], 91, 91)
		if err != nil {
			t.Fatal(err)
		}
		pc, _ := PeriodChange(nb[0], nb[1])
		if math.Abs(c.P-pc.P) > 1e-10*math.Max(pc.P, 1e-300) && math.Abs(c.P-pc.P) > 1e-14 {
			t.Errorf("%v: p %.15g, PeriodChange %.15g", nb, c.P, pc.P)
		}
	}
	c, _ := ComparePeriods(0, 5, 28, 28)
	rr, _ := RateRatio(0, 1000, 5, 1000)
	if math.Abs(c.Upper-rr.Upper) > 1e-9*rr.Upper || c.Lower != 0 {
		t.Errorf("0 against 5: interval (%g, %g), RateRatio's upper %g", c.Lower, c.Upper, rr.Upper)
	}
	c, _ = ComparePeriods(5, 0, 28, 28)
	rr, _ = RateRatio(5, 1000, 0, 1000)
	if math.Abs(c.Lower-rr.Lower) > 1e-9*rr.Lower || !math.IsInf(c.Upper, 1) {
		t.Errorf("5 against 0: interval (%g, %g), RateRatio's lower %g", c.Lower, c.Upper, rr.Lower)
	}
	// 10 against 2: the Clopper–Pearson limits of π = 10/12 solve P(X ≥ 10) = 0.025 and
	// P(X ≤ 10) = 0.025 for X ~ bin(12, π) (solved by bisection of the binomial sums), converted
	// by π/(1−π).
	c, _ = ComparePeriods(10, 2, 28, 28)
	if math.Abs(c.Lower-1.0655278434994404) > 1e-9 || math.Abs(c.Upper-46.932835452394315) > 1e-7 || c.RateRatio != 5 {
		t.Errorf("10 against 2: %g (%g, %g)", c.RateRatio, c.Lower, c.Upper)
	}
}

func TestComparePeriodsInvalid(t *testing.T) {
	for _, c := range [][4]float64{{-1, 0, 1, 1}, {0, -1, 1, 1}, {1, 1, 0, 1}, {1, 1, 1, math.NaN()}, {1, 1, math.Inf(1), 1}} {
		if _, err := ComparePeriods(int(c[0]), int(c[1]), c[2], c[3]); err == nil {
			t.Errorf("%v accepted", c)
		}
	}
}
