package risk

import (
	"errors"
	"math"
	"testing"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

func TestMannKendall(t *testing.T) {
	// Tolerances: S exact, Var(S) 1e-12 relative, Z and the slopes 1e-9, p 1e-9 relative.
	cases := []struct {
		name                   string
		series                 []float64
		s                      int
		varS, z, p             float64
		slope, slopeLo, slopeH float64
	}{
		{
			// 12 strictly increasing values: every one of the 66 pairs is concordant.
			//   S = 66, Var(S) = 12·11·29/18 = 3828/18 = 212.6667,
			//   Z = (66 − 1)/√212.6667 = 65/14.58310 = 4.457214, p = 8.3e-6.
			//   Every pairwise slope is 1, so Sen's slope and its limits are 1.
			name:   "strictly increasing",
			series: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
			s:      66, varS: 3828.0 / 18, z: 65 / math.Sqrt(3828.0/18), p: math.Erfc(65 / math.Sqrt(3828.0/18) / math.Sqrt2),
			slope: 1, slopeLo: 1, slopeH: 1,
		},
		{
			// The mirror image: S = −66, Z = (−66 + 1)/√212.6667 = −4.457214, slope −1.
			name:   "strictly decreasing",
			series: []float64{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1},
			s:      -66, varS: 3828.0 / 18, z: -65 / math.Sqrt(3828.0/18), p: math.Erfc(65 / math.Sqrt(3828.0/18) / math.Sqrt2),
			slope: -1, slopeLo: -1, slopeH: -1,
		},
		{
			// A monthly count with ties, x = 3 5 4 4 6 5 7 6 8 8 7 9. For each point, the
			// later points above (+) and below (−) it:
			//   3: +11 −0   5: +7 −2   4: +8 −0   4: +8 −0   6: +5 −1   5: +6 −0
			//   7: +3 −1    6: +4 −0   8: +1 −1   8: +1 −1   7: +1 −0   9: +0 −0
			//   S = (11+7+8+8+5+6+3+4+1+1+1) − (2+1+1+1+1) = 55 − 6 = 49
			// Ties: 4, 5, 6, 7 and 8 each occur twice, each group t = 2 removes 2·1·9 = 18:
			//   Var(S) = (3828 − 5·18)/18 = 3738/18 = 207.6667
			//   Z = (49 − 1)/√207.6667 = 48/14.41064 = 3.330871, p = 0.000865746
			// Sen: the 66 sorted slopes have 0.4 at ranks 23–30 and 3/7 at 31–34, so the median
			// (ranks 33 and 34) is 3/7 = 0.428571. C = 1.959964·√207.6667 = 28.24434; the
			// lower limit is rank (66 − C)/2 = 18.88 (ranks 18 and 19 are both 1/3 → 0.333333),
			// the upper rank (66 + C)/2 + 1 = 49.12, between rank 48 (0.625) and 49 (2/3):
			// 0.625 + 0.12217·(2/3 − 0.625) = 0.630090.
			name:   "ties",
			series: []float64{3, 5, 4, 4, 6, 5, 7, 6, 8, 8, 7, 9},
			s:      49, varS: 3738.0 / 18, z: 48 / math.Sqrt(3738.0/18), p: 0.0008657464558830258,
			slope: 3.0 / 7, slopeLo: 1.0 / 3, slopeH: 0.6300904927863424,
		},
		{
			// No trend: a symmetric zigzag, 1 2 1 2 … (six of each). Pairs of equal values
			// add 0; of the 36 unequal pairs, a 1 before a 2 counts +1 and a 2 before a 1 −1:
			// 1s at 0,2,…,10 and 2s at 1,3,…,11 give 21 − 15 = +6. Ties: two groups of 6,
			// each 6·5·17 = 510: Var(S) = (3828 − 1020)/18 = 156,
			// Z = (6 − 1)/√156 = 0.400320, p = 0.688921.
			// Slopes: 30 zeros (equal values) and ±1/d for the rest; the median is 0.
			name:   "zigzag",
			series: []float64{1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2},
			s:      6, varS: 156, z: 5 / math.Sqrt(156), p: math.Erfc(5 / math.Sqrt(156) / math.Sqrt2),
			slope: 0, slopeLo: math.NaN(), slopeH: math.NaN(),
		},
		{
			// Constant: S = 0 and Var(S) = 0, so Z = 0 and p = 1; every slope is 0.
			name:   "constant",
			series: []float64{4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4},
			s:      0, varS: 0, z: 0, p: 1,
			slope: 0, slopeLo: 0, slopeH: 0,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := MannKendall(c.series)
			if err != nil {
				t.Fatal(err)
			}
			if got.N != len(c.series) || got.S != c.s || !near(got.VarS, c.varS, 1e-12) {
				t.Errorf("N %d S %d Var %.9g, want %d %d %.9g", got.N, got.S, got.VarS, len(c.series), c.s, c.varS)
			}
			if !near(got.Z, c.z, 1e-9) || !near(got.P, c.p, 1e-9) {
				t.Errorf("Z %.9g p %.9g, want %.9g %.9g", got.Z, got.P, c.z, c.p)
			}
			if !near(got.Slope, c.slope, 1e-9) {
				t.Errorf("slope %.9g, want %.9g", got.Slope, c.slope)
			}
			if !math.IsNaN(c.slopeLo) && (!near(got.SlopeLower, c.slopeLo, 1e-9) || !near(got.SlopeUpper, c.slopeH, 1e-9)) {
				t.Errorf("slope interval [%.9g, %.9g], want [%.9g, %.9g]", got.SlopeLower, got.SlopeUpper, c.slopeLo, c.slopeH)
			}
			if !(got.SlopeLower <= got.Slope && got.Slope <= got.SlopeUpper) {
				t.Errorf("slope %g outside its interval [%g, %g]", got.Slope, got.SlopeLower, got.SlopeUpper)
			}
		})
	}
}

func TestMannKendallInvalid(t *testing.T) {
	long := make([]float64, MaxTrendPoints+1)
	for _, c := range []struct {
		name   string
		series []float64
	}{
		{"too short", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{"too long", long},
		{"NaN", []float64{1, 2, 3, 4, 5, math.NaN(), 7, 8, 9, 10, 11, 12}},
		{"infinite", []float64{1, 2, 3, 4, 5, math.Inf(-1), 7, 8, 9, 10, 11, 12}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := MannKendall(c.series); !errors.Is(err, lagesbild.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}
