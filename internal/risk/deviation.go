package risk

import (
	"math"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// DeviationLevel is the level of the upper Poisson limit a deviation must exceed. It is
// stricter than Level because deviations are screened over every area, group and cell at once:
// at 95 % one unit in twenty would be flagged with nothing happening.
const DeviationLevel = 0.99

// Deviation compares the latest period's count of a unit with what its own baseline predicts.
type Deviation struct {
	Observed int
	// Expected is the baseline's count scaled to the latest period's length: the Poisson mean
	// if nothing changed.
	Expected float64
	// Upper is the upper DeviationLevel limit of Poisson(Expected): the smallest k with
	// P(X ≤ k) ≥ 0.99.
	Upper int
	// P is P(X ≥ Observed) under Poisson(Expected), one-sided: how surprising the count is.
	P float64
	// Exceeds is Observed > Upper.
	Exceeds bool
}

// PoissonDeviation tests whether observed events in a period of latestDays exceed the upper
// 99 % Poisson limit of the unit's own baseline, baseline events in baselineDays before it
// (Farrington-style screening without the seasonal terms). The baseline's own uncertainty is
// ignored, which a baseline of a year of weeks makes small; a baseline without events gives an
// expectation of 0, so any event exceeds it. Quantiles and tails are gonum's Poisson
// distribution and regularized incomplete gamma function.
func PoissonDeviation(observed, baseline int, latestDays, baselineDays float64) (Deviation, error) {
	const op = "poisson deviation"
	if err := checkCount(op, "observed", observed); err != nil {
		return Deviation{}, err
	}
	if err := checkCount(op, "baseline", baseline); err != nil {
		return Deviation{}, err
	}
	if !(latestDays > 0 && latestDays <= 1e6) {
		return Deviation{}, invalid(op, "latestDays", "must be in (0, 1e6], got %g", latestDays)
	}
	if !(baselineDays > 0 && baselineDays <= 1e6) {
		return Deviation{}, invalid(op, "baselineDays", "must be in (0, 1e6], got %g", baselineDays)
	}
	d := Deviation{Observed: observed, Expected: float64(baseline) * latestDays / baselineDays, P: 1}
	d.Upper = PoissonUpperLimit(d.Expected, DeviationLevel)
	if observed > 0 {
		if d.Expected > 0 {
			d.P = mathext.GammaIncReg(float64(observed), d.Expected)
		} else {
			d.P = 0
		}
	}
	d.Exceeds = observed > d.Upper
	return d, nil
}

// PoissonUpperLimit is the smallest k with P(X ≤ k) ≥ level for X ~ Poisson(mean): 0 for a
// mean of 0. The search starts at the mean and steps, which takes about 2.3·√mean steps at 99 %.
func PoissonUpperLimit(mean, level float64) int {
	if !(mean > 0) || math.IsInf(mean, 0) {
		return 0
	}
	p := distuv.Poisson{Lambda: mean}
	k := math.Floor(mean)
	for p.CDF(k) < level {
		k++
	}
	for k > 0 && p.CDF(k-1) >= level {
		k--
	}
	return int(k)
}
