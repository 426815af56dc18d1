package risk

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// near reports whether got is within tol of want, absolutely or relatively (whichever is
// larger), so one tolerance serves values near 0 and large ones.
func near(got, want, tol float64) bool {
	if math.IsInf(want, 0) || math.IsNaN(want) {
		return got == want || (math.IsNaN(got) && math.IsNaN(want))
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// poissonCDF is P(X ≤ n) for X ~ Poisson(mu), summed term by term in logs. It shares nothing
// with the incomplete gamma code, which makes it the independent check the brief asks for.
func poissonCDF(n int, mu float64) float64 {
	if n < 0 {
		return 0
	}
	var s float64
	for k := 0; k <= n; k++ {
		lg, _ := math.Lgamma(float64(k) + 1)
		s += math.Exp(-mu + float64(k)*math.Log(mu) - lg)
	}
	return s
}

// bisectDecreasing finds the root of a decreasing function on [lo, hi].
func bisectDecreasing(f func(float64) float64, lo, hi float64) float64 {
	for range 200 {
		mid := lo + (hi-lo)/2
		if f(mid) > 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + (hi-lo)/2
}

// bruteGarwood is the exact Poisson interval by its definition: the means at which observing
// n or more (lower) or n or fewer (upper) events has probability 2.5 %.
func bruteGarwood(n int) (lo, hi float64) {
	top := 3*float64(n) + 20
	hi = bisectDecreasing(func(mu float64) float64 { return poissonCDF(n, mu) - 0.025 }, 0, top)
	if n > 0 {
		lo = bisectDecreasing(func(mu float64) float64 { return poissonCDF(n-1, mu) - 0.975 }, 0, top)
	}
	return lo, hi
}

func TestGammaPQ(t *testing.T) {
	// Closed forms for small shapes: P(1,x) = 1 − e⁻ˣ, P(½,x) = erf(√x), and for integer a,
	// Q(a,x) = P(Poisson(x) ≤ a−1). For large shapes, where a term-by-term Poisson sum is no
	// longer accurate enough to be a reference, the values were computed with mpmath at 40
	// digits (its gammainc, and for a = 10⁸ its power series summed to 10⁻³⁵). Points on both
	// sides of x = a+1 exercise both the series and the continued fraction. Tolerance 1e-14
	// relative on P and on Q (2e-13 from a = 10⁶), so the small tail is checked where it is
	// small.
	cases := []struct {
		a, x float64
		p, q float64
	}{
		{1, 0.1, -math.Expm1(-0.1), math.Exp(-0.1)},
		{1, 5, -math.Expm1(-5), math.Exp(-5)},
		{0.5, 0.3, math.Erf(math.Sqrt(0.3)), math.Erfc(math.Sqrt(0.3))},
		{0.5, 4, math.Erf(2), math.Erfc(2)},
		{3, 1, 1 - poissonCDF(2, 1), poissonCDF(2, 1)},
		{3, 7, 1 - poissonCDF(2, 7), poissonCDF(2, 7)},
		{10, 8, 1 - poissonCDF(9, 8), poissonCDF(9, 8)},
		{10, 14, 1 - poissonCDF(9, 14), poissonCDF(9, 14)},
		{101, 100, 0.47343780147000152962, 0.52656219852999847038},
		{101, 130, 0.99632478927441263058, 0.0036752107255873694223},
		{1001, 1000, 0.49159063283149400879, 0.50840936716850599121},
		{1e4, 9900, 0.15865119219356465696, 0.84134880780643534304},
		{1e4, 10150, 0.93265937849605087065, 0.067340621503949129346},
		{1e6, 999000, 0.15865521357430365246, 0.84134478642569634754},
		{1e6, 1001500, 0.93313889576410223751, 0.066861104235897762491},
		{1e8, 1e8 - 20000, 0.022744732581593558139, 0.97725526741840644186},
		{1e8, 1e8 + 20000, 0.97724446922514479739, 0.022755530774855202606},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("a=%g,x=%g", c.a, c.x), func(t *testing.T) {
			tol := 1e-14
			if c.a >= 1e6 {
				// The series' running product rounds once per term, and near x ≈ a it
				// takes about 9√a terms: 7·10⁻¹⁴ relative at a = 10⁸.
				tol = 2e-13
			}
			p, q := gammaPQ(c.a, c.x)
			if math.Abs(p-c.p) > tol*c.p {
				t.Errorf("P = %.17g, want %.17g", p, c.p)
			}
			if math.Abs(q-c.q) > tol*c.q {
				t.Errorf("Q = %.17g, want %.17g", q, c.q)
			}
		})
	}
}

func TestChiSquareQuantile(t *testing.T) {
	// Values from standard χ² tables (Abramowitz & Stegun table 26.8, NIST/SEMATECH
	// handbook 1.3.6.7.4), given to 6 significant digits; tolerance 5e-6 relative.
	cases := []struct {
		p, df, want float64
	}{
		{0.95, 1, 3.84146},
		{0.025, 1, 0.000982069},
		{0.95, 10, 18.3070},
		{0.05, 10, 3.94030},
		{0.99, 2, 9.21034},
		{0.975, 100, 129.561},
		{0.025, 100, 74.2219},
		{0.5, 30, 29.3360},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("p=%g,df=%g", c.p, c.df), func(t *testing.T) {
			got, err := chiSquareQuantile(c.p, c.df)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got, c.want, 5e-6) {
				t.Errorf("got %.9g, want %.9g", got, c.want)
			}
		})
	}
}

func TestGammaQuantileRoundTrip(t *testing.T) {
	// Whatever the shape and probability, the quantile must give p back. The search stops
	// when x is known to 1e-14 relative, so the check allows P (or Q in the upper tail) to be
	// off by what an x error of 1e-13 relative causes (density·x·1e-13), plus 1e-12
	// relative for the evaluation of P itself.
	for _, a := range []float64{0.01, 0.5, 1, 2.5, 10, 100, 1e4, 1e6, 1e8} {
		for _, p := range []float64{1e-100, 1e-10, 0.001, 0.025, 0.5, 0.975, 0.999, 1 - 1e-10} {
			t.Run(fmt.Sprintf("a=%g,p=%g", a, p), func(t *testing.T) {
				x, err := gammaQuantile(a, p)
				if err != nil {
					t.Fatal(err)
				}
				if x == 0 {
					// Only right when the true quantile, about (p·Γ(a+1))^(1/a) that far
					// out (10⁻¹⁰⁰⁰ for a = 0.01, p = 10⁻¹⁰), is below the smallest float64.
					lg, _ := math.Lgamma(a + 1)
					if logX := (math.Log(p) + lg) / a; logX > math.Log(math.SmallestNonzeroFloat64) {
						t.Errorf("x = 0, want about exp(%g)", logX)
					}
					return
				}
				lo, hi := gammaPQ(a, x)
				got, want := lo, p
				if p > 0.5 {
					got, want = hi, 1-p
				}
				if tol := gammaDensity(a, x)*x*1e-13 + 1e-12*want; math.Abs(got-want) > tol {
					t.Errorf("x = %.17g: tail %.17g, want %.17g ± %.2g", x, got, want, tol)
				}
			})
		}
	}
}

func TestGammaQuantileInvalid(t *testing.T) {
	for _, c := range []struct{ a, p float64 }{{0, 0.5}, {-1, 0.5}, {math.NaN(), 0.5}, {1, -0.1}, {1, 1.1}, {1, math.NaN()}, {3e8, 0.5}} {
		if _, err := gammaQuantile(c.a, c.p); !errors.Is(err, lagesbild.ErrInvalid) {
			t.Errorf("gammaQuantile(%g, %g): err = %v, want ErrInvalid", c.a, c.p, err)
		}
	}
}

func TestNormal(t *testing.T) {
	// Φ(1.96) = 0.9750021 (tables); the two-sided p of 1.96 is 0.0499958; the 97.5 % quantile
	// is 1.959963985. Tolerance 1e-9.
	if got := normalCDF(1.96); !near(got, 0.9750021048517795, 1e-9) {
		t.Errorf("Φ(1.96) = %.12g", got)
	}
	if got := twoSidedP(-1.96); !near(got, 0.04999579029644087, 1e-9) {
		t.Errorf("p(1.96) = %.12g", got)
	}
	if !near(z975, 1.959963984540054, 1e-12) {
		t.Errorf("z975 = %.16g", z975)
	}
	// Far in the tail erfc keeps precision where 1 − Φ would be 0.
	if got := twoSidedP(10); got <= 0 || !near(got, 1.523970604832105e-23, 1e-9) {
		t.Errorf("p(10) = %g, want 1.524e-23", got)
	}
}

func TestLog1pmx(t *testing.T) {
	// References from mpmath at 40 digits; tolerance 4e-16 relative, where
	// math.Log1p(t) − t would be off by 1e-9 relative at t = 1e-8.
	cases := []struct{ t, want float64 }{
		{0, 0},
		{1e-8, -4.9999999666666669167e-17},
		{-1e-5, -5.0000333335833353334e-11},
		{0.1, -0.004689820195675139956},
		{-0.4, -0.11082562376599068321},
		{0.49, -0.091223880042632227044},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.t), func(t *testing.T) {
			if got := log1pmx(c.t); math.Abs(got-c.want) > 4e-16*math.Abs(c.want) {
				t.Errorf("got %.17g, want %.17g", got, c.want)
			}
		})
	}
}
