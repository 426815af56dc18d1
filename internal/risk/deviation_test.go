package risk

import (
	"math"
	"testing"
)

func TestPoissonUpperLimit(t *testing.T) {
	// P(X ≤ 3 | 1) = 0.98101, P(X ≤ 4 | 1) = 0.99634; P(X ≤ 17 | 10) = 0.98572,
	// P(X ≤ 18 | 10) = 0.99281; P(X ≤ 6 | 2.5) = 0.98581, P(X ≤ 7 | 2.5) = 0.99575
	// (sums of the Poisson probabilities).
	for _, c := range []struct {
		mean float64
		want int
	}{{0, 0}, {1, 4}, {10, 18}, {2.5, 7}, {1e-9, 0}} {
		if got := PoissonUpperLimit(c.mean, DeviationLevel); got != c.want {
			t.Errorf("PoissonUpperLimit(%g) = %d, want %d", c.mean, got, c.want)
		}
	}
	// Large means: the limit is near mean + 2.326·√mean.
	if got := PoissonUpperLimit(1e6, DeviationLevel); math.Abs(float64(got)-(1e6+2326.3)) > 3 {
		t.Errorf("PoissonUpperLimit(1e6) = %d", got)
	}
}

func TestPoissonDeviation(t *testing.T) {
	// A week of 12 events against 130 in the 52 weeks before: expected 2.5, limit 7,
	// P(X ≥ 12 | 2.5) = 1.2598459e-05.
	d, err := PoissonDeviation(12, 130, 7, 364)
	if err != nil {
		t.Fatal(err)
	}
	if d.Expected != 2.5 || d.Upper != 7 || !d.Exceeds || math.Abs(d.P-1.2598459103174697e-05) > 1e-12 {
		t.Errorf("deviation %+v", d)
	}
	if d, _ := PoissonDeviation(7, 130, 7, 364); d.Exceeds {
		t.Errorf("7 against a limit of 7 flagged: %+v", d)
	}
	if d, _ := PoissonDeviation(1, 0, 7, 364); !d.Exceeds || d.P != 0 || d.Upper != 0 {
		t.Errorf("first event ever: %+v", d)
	}
	if d, _ := PoissonDeviation(0, 0, 7, 364); d.Exceeds || d.P != 1 {
		t.Errorf("nothing: %+v", d)
	}
	for _, bad := range [][4]float64{{-1, 0, 7, 364}, {0, -1, 7, 364}, {1, 1, 0, 364}, {1, 1, 7, math.NaN()}} {
		if _, err := PoissonDeviation(int(bad[0]), int(bad[1]), bad[2], bad[3]); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
