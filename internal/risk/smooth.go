package risk

import (
	"math"
	"slices"
)

// EBFit describes the global empirical Bayes fit of one list of areas.
type EBFit struct {
	// Mean is m = Σn/ΣP, the pooled rate per resident the estimates shrink towards.
	Mean float64
	// Variance is s², the estimated variance of the areas' true rates; 0 when the observed
	// spread is no larger than Poisson noise alone would give.
	Variance float64
	// MeanPopulation is P̄, the mean population of the areas.
	MeanPopulation float64
	// Weights holds wᵢ = s²/(s² + m/Pᵢ): how much of each area's own rate is kept.
	Weights []float64
}

// EmpiricalBayes smooths the rates nᵢ/Pᵢ of a list of areas with Marshall's (1991) global
// method of moments:
//
//	rᵢ = nᵢ/Pᵢ,  m = Σn/ΣP,  s² = ΣPᵢ(rᵢ−m)²/ΣP − m/P̄  (0 if negative),
//	wᵢ = s²/(s² + m/Pᵢ),  EBᵢ = wᵢ·rᵢ + (1−wᵢ)·m.
//
// A small area's raw rate is mostly noise, so it is pulled towards the list's mean in
// proportion to how noisy it is (m/Pᵢ is its Poisson variance), while a large area keeps
// nearly its own rate; ranking raw rates would put the smallest areas at both ends of every
// list. The rates returned are per resident: multiply by 1000 for the package's usual unit.
// When s² is 0 (including when all counts are 0) every weight is 0 and every area gets m.
//
// The areas must be the whole list being compared (all utsatta områden of one police list,
// say), not a filtered view: the fit is a property of the list.
func EmpiricalBayes(counts []int, pops []int) ([]float64, EBFit, error) {
	const op = "empirical Bayes"
	if len(counts) != len(pops) {
		return nil, EBFit{}, invalid(op, "pops", "%d populations for %d counts", len(pops), len(counts))
	}
	if len(counts) == 0 {
		return nil, EBFit{}, invalid(op, "counts", "no areas")
	}
	var sumN, sumP float64
	for i, n := range counts {
		if err := checkCount(op, "counts", n); err != nil {
			return nil, EBFit{}, err
		}
		if pops[i] <= 0 {
			return nil, EBFit{}, invalid(op, "pops", "area %d: population must be positive, got %d", i, pops[i])
		}
		sumN += float64(n)
		sumP += float64(pops[i])
	}
	k := float64(len(counts))
	m := sumN / sumP
	meanP := sumP / k

	var ss float64
	for i, n := range counts {
		p := float64(pops[i])
		d := float64(n)/p - m
		ss += p * d * d
	}
	s2 := math.Max(0, ss/sumP-m/meanP)

	fit := EBFit{Mean: m, Variance: s2, MeanPopulation: meanP, Weights: make([]float64, len(counts))}
	eb := make([]float64, len(counts))
	for i, n := range counts {
		p := float64(pops[i])
		w := 0.0
		if s2 > 0 {
			w = s2 / (s2 + m/p)
		}
		fit.Weights[i] = w
		eb[i] = w*(float64(n)/p) + (1-w)*m
	}
	return eb, fit, nil
}

// GroupQuotient is the location quotient of one crime group.
type GroupQuotient struct {
	Group string
	// LQ is (n_g,area/n_area)/(n_g,kommun/n_kommun); meaningful only when Defined.
	LQ float64
	// Defined is false when a denominator is 0: the area or the kommun has no events at all,
	// or the kommun none of this group.
	Defined bool
}

// LocationQuotients returns the location quotient of each crime group (Brantingham &
// Brantingham 1995): the group's share of the area's events over its share of the kommun's.
// An LQ of 2 says the group is twice as prominent in the area's crime mix as in the kommun's,
// whatever the area's total level; it describes the mix, not the risk, so it complements the
// rates rather than replacing them.
//
// area and kommun map group → count; the kommun's counts include the area's, so no group may
// have more events in the area than in the kommun. The result holds every group of either map,
// sorted by group, so its order is deterministic.
func LocationQuotients(area, kommun map[string]int) ([]GroupQuotient, error) {
	const op = "location quotient"
	var nArea, nKommun int
	groups := make([]string, 0, len(kommun))
	for g, n := range kommun {
		if err := checkCount(op, "kommun["+g+"]", n); err != nil {
			return nil, err
		}
		nKommun += n
		groups = append(groups, g)
	}
	for g, n := range area {
		if err := checkCount(op, "area["+g+"]", n); err != nil {
			return nil, err
		}
		if n > kommun[g] {
			return nil, invalid(op, "area["+g+"]", "%d events in the area but %d in the kommun", n, kommun[g])
		}
		nArea += n
		if _, ok := kommun[g]; !ok {
			groups = append(groups, g)
		}
	}
	slices.Sort(groups)
	out := make([]GroupQuotient, len(groups))
	for i, g := range groups {
		out[i].Group = g
		if nArea == 0 || nKommun == 0 || kommun[g] == 0 {
			continue
		}
		out[i].LQ = (float64(area[g]) / float64(nArea)) / (float64(kommun[g]) / float64(nKommun))
		out[i].Defined = true
	}
	return out, nil
}
