package risk

import (
	"cmp"
	"math"
	"slices"
)

// HotSpot is the Getis-Ord Gi* result for one cell.
type HotSpot struct {
	Z float64 // Gi* z-score; positive where the cell and its ring are above the mean
	P float64 // two-sided p-value of Z, before adjustment
	// PAdjusted is the Benjamini–Hochberg adjusted p-value over all cells of the call.
	PAdjusted float64
	// Confidence is 99, 95 or 90 when PAdjusted ≤ 0.01, 0.05 or 0.10, else 0.
	Confidence int
	Hot        bool // significant (Confidence > 0) with Z > 0
	Cold       bool // significant (Confidence > 0) with Z < 0
}

// Confidence levels a HotSpot can have, strictest first, with the false discovery rate each
// stands for.
var confidenceLevels = []struct {
	level int
	q     float64
}{{99, 0.01}, {95, 0.05}, {90, 0.10}}

// GiStar computes Getis-Ord Gi* (Getis & Ord 1992; Ord & Getis 1995) for every cell, with
// binary weights over the cell itself and its neighbours:
//
//	Gi* = (Σⱼ wᵢⱼxⱼ − X̄·Σⱼ wᵢⱼ) / (S·√((n·Σⱼ wᵢⱼ² − (Σⱼ wᵢⱼ)²)/(n−1)))
//
// where X̄ and S = √(Σx²/n − X̄²) are the mean and standard deviation of all n values. Gi* is
// itself a z-score, so its p-value comes from the normal distribution.
//
// neighbours[i] lists the indices of cell i's neighbours — for an H3 grid, ring 1 (the caller
// supplies it; this package knows nothing of H3). The cell itself is always included, which is
// what makes it Gi* rather than Gi: a lone high cell then counts for its own hot spot.
// Duplicates and i itself in the list are ignored, and neighbours need not be symmetric.
//
// Thousands of cells are tested at once, so the p-values are adjusted with Benjamini–Hochberg
// before a cell is called hot or cold: at a 5 % level about one cell in twenty would otherwise
// be "significant" by chance alone. Give the whole kommun grid, not only the cells inside an
// area: the mean and S describe the surroundings the area is compared with, and clipping would
// compare the area with itself.
//
// A cell whose neighbourhood is every cell, or a grid where all values are equal, has no
// defined z; it gets Z 0 and P 1.
func GiStar(values []float64, neighbours [][]int) ([]HotSpot, error) {
	const op = "Gi*"
	n := len(values)
	if len(neighbours) != n {
		return nil, invalid(op, "neighbours", "%d neighbour lists for %d cells", len(neighbours), n)
	}
	if n < 2 {
		return nil, invalid(op, "values", "need at least 2 cells, got %d", n)
	}
	var sum float64
	for i, x := range values {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, invalid(op, "values", "cell %d: %g is not a finite number", i, x)
		}
		sum += x
	}
	nf := float64(n)
	mean := sum / nf
	var ss float64
	for _, x := range values {
		d := x - mean
		ss += d * d
	}
	s := math.Sqrt(ss / nf)

	out := make([]HotSpot, n)
	seen := make([]int, n) // seen[j] == i+1 once j is counted for cell i
	pvalues := make([]float64, n)
	for i, nb := range neighbours {
		seen[i] = i + 1
		w := 1.0
		wx := values[i]
		for _, j := range nb {
			if j < 0 || j >= n {
				return nil, invalid(op, "neighbours", "cell %d: neighbour %d is outside [0, %d)", i, j, n)
			}
			if seen[j] == i+1 {
				continue
			}
			seen[j] = i + 1
			w++
			wx += values[j]
		}
		z := 0.0
		// Binary weights: Σw² = Σw = W, so the variance term is W(n−W)/(n−1).
		if den := s * math.Sqrt(w*(nf-w)/(nf-1)); den > 0 {
			z = (wx - mean*w) / den
		}
		out[i].Z = z
		out[i].P = twoSidedP(z)
		pvalues[i] = out[i].P
	}

	adjusted := AdjustBH(pvalues)
	for i := range out {
		out[i].PAdjusted = adjusted[i]
		for _, c := range confidenceLevels {
			if adjusted[i] <= c.q {
				out[i].Confidence = c.level
				break
			}
		}
		if out[i].Confidence > 0 {
			out[i].Hot = out[i].Z > 0
			out[i].Cold = out[i].Z < 0
		}
	}
	return out, nil
}

// AdjustBH returns Benjamini–Hochberg adjusted p-values, in the order given:
// p̃₍ᵢ₎ = min over k ≥ i of min(1, m·p₍ₖ₎/k) for the p-values sorted ascending. A hypothesis is
// rejected at false discovery rate q exactly when its adjusted p-value is at most q, so one
// adjustment serves every level. A p-value that is NaN or outside [0, 1] is treated as 1:
// it still counts in m, but is never rejected.
func AdjustBH(pvalues []float64) []float64 {
	m := len(pvalues)
	adj := make([]float64, m)
	if m == 0 {
		return adj
	}
	type entry struct {
		p float64
		i int
	}
	sorted := make([]entry, m)
	for i, v := range pvalues {
		if !(v >= 0 && v <= 1) {
			v = 1
		}
		sorted[i] = entry{v, i}
	}
	// Ties broken by index: as deterministic as a stable sort, and several times faster
	// than one on grids where many cells share a p-value.
	slices.SortFunc(sorted, func(a, b entry) int { return cmp.Or(cmp.Compare(a.p, b.p), cmp.Compare(a.i, b.i)) })
	running := 1.0
	for k := m - 1; k >= 0; k-- {
		running = math.Min(running, sorted[k].p*float64(m)/float64(k+1))
		adj[sorted[k].i] = running
	}
	return adj
}

// BH reports, for each p-value, whether the Benjamini–Hochberg (1995) step-up procedure
// rejects it at false discovery rate q: with the p-values sorted, find the largest k with
// p₍ₖ₎ ≤ k·q/m and reject the k smallest. It controls the expected share of false alarms among
// the cells called hot, which is what a map reader cares about, and keeps far more power than
// a Bonferroni correction over thousands of cells. A q that is NaN or not positive rejects
// nothing; p-values are treated as in AdjustBH.
func BH(pvalues []float64, q float64) []bool {
	rejected := make([]bool, len(pvalues))
	if !(q > 0) {
		return rejected
	}
	for i, a := range AdjustBH(pvalues) {
		rejected[i] = a <= q
	}
	return rejected
}
