package risk

import (
	"errors"
	"reflect"
	"testing"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

func TestEmpiricalBayes(t *testing.T) {
	// Four areas, by hand (exact fractions in brackets):
	//   n = 2, 10, 30, 8;  P = 1000, 2000, 4000, 1000
	//   r = 0.002, 0.005, 0.0075, 0.008
	//   m = 50/8000 = 0.00625 [1/160];  P̄ = 8000/4 = 2000
	//   ΣPᵢ(rᵢ−m)² = 1000·0.00425² + 2000·0.00125² + 4000·0.00125² + 1000·0.00175²
	//              = 0.0180625 + 0.003125 + 0.00625 + 0.0030625 = 0.0305
	//   s² = 0.0305/8000 − 0.00625/2000 = 3.8125e-6 − 3.125e-6 = 6.875e-7 [11/16e6]
	//   m/Pᵢ = 6.25e-6, 3.125e-6, 1.5625e-6, 6.25e-6
	//   w = 6.875/(6.875+62.5) = 11/111, 6.875/(6.875+31.25) = 11/61,
	//       6.875/(6.875+15.625) = 11/36, 11/111
	//   EB₁ = (11/111)·0.002 + (100/111)·0.00625 = 0.647/111 = 0.00582883 [647/111000]
	//   EB₂ = (11/61)·0.005 + (50/61)·0.00625 = 0.3675/61 = 0.00602459 [147/24400]
	//   EB₃ = (11/36)·0.0075 + (25/36)·0.00625 = 0.23875/36 = 0.00663194 [191/28800]
	//   EB₄ = (11/111)·0.008 + (100/111)·0.00625 = 0.713/111 = 0.00642342 [713/111000]
	// Tolerance 1e-12 relative.
	eb, fit, err := EmpiricalBayes([]int{2, 10, 30, 8}, []int{1000, 2000, 4000, 1000})
	if err != nil {
		t.Fatal(err)
	}
	wantEB := []float64{647.0 / 111000, 147.0 / 24400, 191.0 / 28800, 713.0 / 111000}
	wantW := []float64{11.0 / 111, 11.0 / 61, 11.0 / 36, 11.0 / 111}
	if !near(fit.Mean, 1.0/160, 1e-12) || !near(fit.Variance, 11.0/16e6, 1e-9) || fit.MeanPopulation != 2000 {
		t.Errorf("fit m = %g s² = %g P̄ = %g, want 0.00625, 6.875e-7, 2000", fit.Mean, fit.Variance, fit.MeanPopulation)
	}
	for i := range eb {
		// s² is a difference of two numbers about 5 times larger, so it carries a few
		// units of rounding more than the inputs: 1e-9 relative on what depends on it.
		if !near(eb[i], wantEB[i], 1e-9) || !near(fit.Weights[i], wantW[i], 1e-9) {
			t.Errorf("area %d: EB %g w %g, want %g %g", i, eb[i], fit.Weights[i], wantEB[i], wantW[i])
		}
	}
}

func TestEmpiricalBayesNoExtraVariance(t *testing.T) {
	// Rates 0.005 and 0.006 over 1,000 and 1,000 residents: m = 0.0055,
	// ΣP(r−m)²/ΣP = (1000·0.0005²·2)/2000 = 2.5e-7, m/P̄ = 5.5e-6, so s² < 0 → 0: the spread is
	// Poisson noise and both areas get m. All-zero counts also give m = 0 for everyone.
	cases := []struct {
		name   string
		counts []int
		pops   []int
		m      float64
	}{
		{"spread below noise", []int{5, 6}, []int{1000, 1000}, 0.0055},
		{"all zero", []int{0, 0, 0}, []int{500, 1000, 2000}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eb, fit, err := EmpiricalBayes(c.counts, c.pops)
			if err != nil {
				t.Fatal(err)
			}
			if fit.Variance != 0 {
				t.Errorf("s² = %g, want 0", fit.Variance)
			}
			for i := range eb {
				if !near(eb[i], c.m, 1e-12) || fit.Weights[i] != 0 {
					t.Errorf("area %d: EB %g w %g, want %g 0", i, eb[i], fit.Weights[i], c.m)
				}
			}
		})
	}
}

func TestEmpiricalBayesInvalid(t *testing.T) {
	cases := []struct {
		name   string
		counts []int
		pops   []int
	}{
		{"mismatched lengths", []int{1, 2}, []int{100}},
		{"empty", nil, nil},
		{"negative count", []int{1, -2}, []int{100, 100}},
		{"population 0", []int{1, 2}, []int{100, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, _, err := EmpiricalBayes(c.counts, c.pops); !errors.Is(err, lagesbild.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestLocationQuotients(t *testing.T) {
	// Area: misshandel_hot 10, narkotika 30, stold_inbrott 10 (50 events);
	// kommun: 100, 200, 700 (1,000) plus skjutning 0 and ran 5 (area 0).
	//   LQ misshandel_hot = (10/50)/(100/1005) = 0.2/0.0995025 = 2.01
	//   LQ narkotika      = (30/50)/(200/1005) = 0.6/0.199005 = 3.015
	//   LQ ran            = 0/(5/1005) = 0
	//   LQ stold_inbrott  = (10/50)/(700/1005) = 0.2/0.696517 = 0.287143
	//   skjutning: the kommun has none → undefined.
	// Tolerance 1e-12 relative.
	area := map[string]int{"misshandel_hot": 10, "narkotika": 30, "stold_inbrott": 10}
	kommun := map[string]int{"misshandel_hot": 100, "narkotika": 200, "stold_inbrott": 700, "skjutning": 0, "ran": 5}
	got, err := LocationQuotients(area, kommun)
	if err != nil {
		t.Fatal(err)
	}
	want := []GroupQuotient{
		{"misshandel_hot", 2.01, true},
		{"narkotika", 3.015, true},
		{"ran", 0, true},
		{"skjutning", 0, false},
		{"stold_inbrott", 0.2 / (700.0 / 1005), true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Group != want[i].Group || got[i].Defined != want[i].Defined || !near(got[i].LQ, want[i].LQ, 1e-12) {
			t.Errorf("%d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestLocationQuotientsUndefinedAndInvalid(t *testing.T) {
	t.Run("area without events", func(t *testing.T) {
		got, err := LocationQuotients(map[string]int{}, map[string]int{"ran": 4})
		if err != nil {
			t.Fatal(err)
		}
		if want := []GroupQuotient{{"ran", 0, false}}; !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
	for _, c := range []struct {
		name         string
		area, kommun map[string]int
	}{
		{"negative", map[string]int{"ran": -1}, map[string]int{"ran": 3}},
		{"area above kommun", map[string]int{"ran": 4}, map[string]int{"ran": 3}},
		{"group missing in kommun", map[string]int{"ran": 1}, map[string]int{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := LocationQuotients(c.area, c.kommun); !errors.Is(err, lagesbild.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}
