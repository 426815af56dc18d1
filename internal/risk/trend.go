package risk

import (
	"math"
	"slices"
)

// MinTrendPoints is the shortest series MannKendall accepts: a year of months. Shorter series
// make the normal approximation of S unreliable and are mostly seasonality anyway.
const MinTrendPoints = 12

// MaxTrendPoints is the longest series MannKendall accepts: 200 years of months. Sen's slope
// keeps all n(n−1)/2 pairwise slopes, so the bound keeps memory below about 25 MB.
const MaxTrendPoints = 2400

// maxTrendValue bounds the magnitude of series values so that every pairwise difference, and
// so every slope, stays finite.
const maxTrendValue = 1e300

// Trend is the result of a Mann-Kendall test with Sen's slope.
type Trend struct {
	N    int     // number of points
	S    int     // Mann-Kendall S: concordant minus discordant pairs
	VarS float64 // variance of S under no trend, corrected for ties
	Z    float64 // (S∓1)/√VarS with continuity correction; 0 when S is 0
	P    float64 // two-sided p-value of Z
	// Slope is Sen's slope, the median of all pairwise slopes, in units per step (per month
	// for a monthly series).
	Slope float64
	// SlopeLower and SlopeUpper bound Slope's 95 % confidence interval (Gilbert 1987).
	SlopeLower, SlopeUpper float64
}

// MannKendall tests an equally spaced series (monthly counts or rates, oldest first) for a
// monotonic trend and estimates its size with Sen's slope.
//
//	S = Σᵢ<ⱼ sign(xⱼ − xᵢ)
//	Var(S) = [n(n−1)(2n+5) − Σₜ t(t−1)(2t+5)] / 18   (t: sizes of groups of tied values)
//	Z = (S−1)/√Var(S) if S > 0, (S+1)/√Var(S) if S < 0, else 0
//
// The test uses only the order of the values, so a single extreme month cannot make a trend
// and no distribution of counts is assumed; the tie correction matters because small monthly
// counts repeat often. Sen's slope, the median of (xⱼ − xᵢ)/(j − i), is the matching robust
// estimate of how fast the series changes. Its interval follows Gilbert (1987, §16.5.2): with
// N = n(n−1)/2 sorted slopes and C = 1.96·√Var(S), the limits are the slopes of rank
// (N − C)/2 and (N + C)/2 + 1, interpolated between neighbouring ranks.
//
// The series must have MinTrendPoints to MaxTrendPoints finite values; a missing month is the
// caller's decision (usually 0 events), not a NaN.
func MannKendall(series []float64) (Trend, error) {
	const op = "Mann-Kendall"
	n := len(series)
	if n < MinTrendPoints || n > MaxTrendPoints {
		return Trend{}, invalid(op, "series", "has %d points, want %d to %d", n, MinTrendPoints, MaxTrendPoints)
	}
	for i, x := range series {
		if math.IsNaN(x) || math.Abs(x) > maxTrendValue {
			return Trend{}, invalid(op, "series", "point %d: %g is not a finite number of magnitude at most %g", i, x, maxTrendValue)
		}
	}

	s := 0
	slopes := make([]float64, 0, n*(n-1)/2)
	for i := range n - 1 {
		for j := i + 1; j < n; j++ {
			d := series[j] - series[i]
			switch {
			case d > 0:
				s++
			case d < 0:
				s--
			}
			slopes = append(slopes, d/float64(j-i))
		}
	}

	nf := float64(n)
	v := nf * (nf - 1) * (2*nf + 5)
	sorted := slices.Clone(series)
	slices.Sort(sorted)
	for i := 0; i < n; {
		j := i + 1
		for j < n && sorted[j] == sorted[i] {
			j++
		}
		if t := float64(j - i); t > 1 {
			v -= t * (t - 1) * (2*t + 5)
		}
		i = j
	}
	v /= 18

	tr := Trend{N: n, S: s, VarS: v, P: 1}
	if v > 0 {
		switch {
		case s > 0:
			tr.Z = float64(s-1) / math.Sqrt(v)
		case s < 0:
			tr.Z = float64(s+1) / math.Sqrt(v)
		}
		tr.P = twoSidedP(tr.Z)
	}

	slices.Sort(slopes)
	tr.Slope = medianSorted(slopes)
	np := float64(len(slopes))
	c := z975 * math.Sqrt(v)
	tr.SlopeLower = rankSorted(slopes, (np-c)/2)
	tr.SlopeUpper = rankSorted(slopes, (np+c)/2+1)
	return tr, nil
}

// medianSorted is the median of an ascending, non-empty slice.
func medianSorted(x []float64) float64 {
	k := len(x)
	if k%2 == 1 {
		return x[k/2]
	}
	return x[k/2-1]/2 + x[k/2]/2
}

// rankSorted is the value at 1-based rank r of an ascending, non-empty slice, interpolating
// linearly between ranks and clamping r to [1, len(x)] (a wide interval of a short series
// reaches the extreme slopes).
func rankSorted(x []float64, r float64) float64 {
	k := float64(len(x))
	r = math.Max(1, math.Min(k, r))
	lo := math.Floor(r)
	i := int(lo) - 1
	if frac := r - lo; frac > 0 && x[i+1] != x[i] {
		return x[i] + frac*(x[i+1]-x[i])
	}
	return x[i]
}
