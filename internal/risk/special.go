package risk

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// MaxCount bounds every count the package accepts. It is about 70 times the number of crimes
// reported in Sweden in a year, so no real aggregate comes near it; the bound keeps the series
// and continued fractions below (whose length grows with the square root of the count) and the
// exact binomial sums fast, even for a fuzzer's numbers.
const MaxCount = 100_000_000

// z975 is the 97.5 % quantile of the standard normal distribution, the "1.96" of every 95 %
// interval in the package, kept at full precision (1.959964) rather than rounded.
var z975 = normalQuantile(0.975)

// invalid wraps a field error in the package's prefix; it unwraps to lagesbild.ErrInvalid.
func invalid(op, field, format string, args ...any) error {
	return fmt.Errorf("risk: %s: %w", op, lagesbild.Invalid(field, format, args...))
}

// checkCount validates one event count.
func checkCount(op, field string, n int) error {
	if n < 0 {
		return invalid(op, field, "must not be negative, got %d", n)
	}
	if n > MaxCount {
		return invalid(op, field, "%d is larger than %d", n, MaxCount)
	}
	return nil
}

// normalCDF is Φ(z). Going through math.Erfc keeps full relative precision in the upper tail,
// where 1 − math.Erf would cancel to 0 and turn small p-values into exact zeros.
func normalCDF(z float64) float64 {
	return 0.5 * math.Erfc(-z/math.Sqrt2)
}

// twoSidedP is the two-sided p-value of a standard normal statistic: 2·(1 − Φ(|z|)).
func twoSidedP(z float64) float64 {
	if math.IsNaN(z) {
		return 1
	}
	return math.Erfc(math.Abs(z) / math.Sqrt2)
}

// normalQuantile is Φ⁻¹(p) for 0 < p < 1.
func normalQuantile(p float64) float64 {
	return -math.Sqrt2 * math.Erfcinv(2*p)
}

// Numerical limits of the gamma quantile search and of log1pmx.
const (
	gammaEps   = 0x1p-52 // relative accuracy of the series of log1pmx: ε
	quantileTo = 1e-14   // relative accuracy of the quantile search
	maxSteps   = 200     // Newton/bisection steps of the quantile search
	minA       = 1e-300  // below this a shape is treated as invalid
	maxA       = 2.0e+08 // shape limit: counts up to MaxCount give shapes up to MaxCount+1
)

// gammaPQ returns the regularized incomplete gamma functions P(a,x) and Q(a,x) = 1 − P(a,x),
// each computed directly (gonum's mathext, Cephes' igam and igamc) so the caller can work with
// whichever tail keeps its precision. They replaced a series and continued fraction of our own
// (Numerical Recipes §6.2 with Loader's rearrangement of the prefix) and agree with the
// reference values in special_test.go to the same tolerances: 1e-14 relative, 2e-13 from
// a = 10⁶. gonum's inverse (GammaIncRegInv) does not: in the far tails (p = 10⁻¹⁰ at
// a = 10⁸, p = 10⁻¹⁰⁰ at a = 2.5) it is off by up to 5·10⁻⁶ relative, or returns 0, so
// gammaQuantile keeps its own bracketed Newton search on these P and Q.
func gammaPQ(a, x float64) (p, q float64) {
	switch {
	case x <= 0:
		return 0, 1
	case math.IsInf(x, 1):
		return 1, 0
	}
	return mathext.GammaIncReg(a, x), mathext.GammaIncRegComp(a, x)
}

// logGammaPrefix is a·ln x − x − ln Γ(a). Written that way it is a difference of terms of
// size a·ln a, so for large a it loses about log10(a·ln a) digits: at a = 10⁸ the relative
// error of P would be 2·10⁻⁷. From a = 15 on it is therefore rearranged with Stirling's series
// ln Γ(a) = (a−½)·ln a − a + ½·ln 2π + stirlerr(a) into
//
//	a·(ln(1+t) − t) + ½·ln(a/2π) − stirlerr(a),  t = (x − a)/a,
//
// whose only large product, a·(ln(1+t) − t), is computed to full relative precision by
// log1pmx: the approach of Loader (2000) for the Poisson and binomial densities. Far from x ≈ a (|t| ≥ ½)
// nothing cancels and a·ln(x/a) − (x − a) is used instead, which, unlike 1+t, does not round
// an x below a·ε away.
func logGammaPrefix(a, x float64) float64 {
	if a < 15 {
		lg, _ := math.Lgamma(a)
		return a*math.Log(x) - x - lg
	}
	t := (x - a) / a
	var dev float64
	if math.Abs(t) < 0.5 {
		dev = a * log1pmx(t)
	} else {
		dev = a*math.Log(x/a) - (x - a)
	}
	return dev + 0.5*math.Log(a/(2*math.Pi)) - stirlerr(a)
}

// stirlerr is ln Γ(a+1) − ½·ln(2πa) − a·ln a + a, the error of Stirling's approximation to a!.
// From 15 on its asymptotic series is accurate to the last bit (the first omitted term is
// below 3·10⁻¹⁶ there); below, the direct formula has no large terms to cancel.
func stirlerr(a float64) float64 {
	if a < 15 {
		lg, _ := math.Lgamma(a + 1)
		return lg - 0.5*math.Log(2*math.Pi*a) - a*math.Log(a) + a
	}
	a2 := a * a
	return (1.0/12 - (1.0/360-(1.0/1260-(1.0/1680-1.0/(1188*a2))/a2)/a2)/a2) / a
}

// bd0 is x·ln(x/m) + m − x, the deviance term of a Poisson or binomial density, computed as
// −x·(ln(1+t) − t) with t = (m − x)/x so that it keeps its relative precision when x ≈ m.
func bd0(x, m float64) float64 {
	if x == 0 {
		return m
	}
	t := (m - x) / x
	if math.Abs(t) < 0.5 {
		return -x * log1pmx(t)
	}
	return x * (t - math.Log1p(t))
}

// log1pmx is ln(1+t) − t for |t| < ½, to full relative precision. Subtracting t from
// math.Log1p(t) would leave an absolute error of ε·|t| on a result of size t²/2, which a
// large multiplier (the shape a, the count x) then turns into visible error. With
// v = t/(2+t), ln(1+t) = 2·atanh(v) = 2(v + v³/3 + v⁵/5 + …) and t − 2v = t·v, so
// ln(1+t) − t = −t·v + 2(v³/3 + v⁵/5 + …), a sum without cancellation (|v| ≤ ⅓).
func log1pmx(t float64) float64 {
	if t == 0 {
		return 0
	}
	v := t / (2 + t)
	v2 := v * v
	term := v * v2
	var sum float64
	for j := 3.0; j < 200; j += 2 {
		sum += term / j
		term *= v2
		if math.Abs(term) < math.Abs(sum)*gammaEps {
			break
		}
	}
	return -t*v + 2*sum
}

// gammaDensity is the derivative of P(a,x) with respect to x.
func gammaDensity(a, x float64) float64 {
	if x <= 0 {
		return 0
	}
	return math.Exp(logGammaPrefix(a, x)) / x
}

// gammaQuantile returns the x with P(a,x) = p for the unit-scale gamma distribution of shape a.
//
// The start is Wilson–Hilferty's cube-root normal approximation (or, when that is not
// positive, the small-x approximation P ≈ xᵃ/Γ(a+1)). The root is then polished by Newton's
// method on ln P as a function of ln x — in the lower tail P behaves like xᵃ, which is a
// straight line in those coordinates, so Newton converges there in a step or two where plain
// Newton on P crawls — inside a bracket that every evaluation narrows, falling back to
// bisection whenever a step would leave it. The bracket makes the search converge for every
// shape and probability. For p > ½ the search works on ln Q(a,x) = ln(1 − p) so the upper
// quantiles keep their precision too.
func gammaQuantile(a, p float64) (float64, error) {
	if math.IsNaN(a) || a < minA || a > maxA {
		return 0, invalid("gamma quantile", "shape", "%g is outside [%g, %g]", a, minA, maxA)
	}
	if math.IsNaN(p) || p < 0 || p > 1 {
		return 0, invalid("gamma quantile", "p", "%g is outside [0, 1]", p)
	}
	switch p {
	case 0:
		return 0, nil
	case 1:
		return math.Inf(1), nil
	}
	upper := p > 0.5
	target := math.Log(p)
	if upper {
		target = math.Log1p(-p)
	}
	// g is increasing in x and zero at the quantile; slope is dg/d(ln x), positive.
	g := func(x float64) (val, slope float64) {
		lo, hi := gammaPQ(a, x)
		tail := lo
		if upper {
			tail = hi
		}
		val = math.Log(tail) - target
		if upper {
			val = -val
		}
		return val, gammaDensity(a, x) * x / tail
	}

	// Wilson–Hilferty for χ² with 2a degrees of freedom, halved for the unit-scale gamma.
	df := 2 * a
	t := 1 - 2/(9*df) + normalQuantile(p)*math.Sqrt(2/(9*df))
	x := df * t * t * t / 2
	if !(x > 0) || math.IsInf(x, 0) {
		// Far in the lower tail P(a,x) ≈ xᵃ/Γ(a+1). When even that x is below the smallest
		// float, the quantile is 0 as far as float64 can tell.
		lg, _ := math.Lgamma(a + 1)
		logX := (math.Log(p) + lg) / a
		if logX < math.Log(math.SmallestNonzeroFloat64) {
			return 0, nil
		}
		x = math.Exp(logX)
	}
	if !(x > 0) || math.IsInf(x, 0) {
		x = a
	}

	// Bracket the root: g(0+) < 0, so grow hi from the start until g(hi) ≥ 0.
	lo, hi := 0.0, x
	gx, slope := g(x)
	if gx < 0 {
		for {
			lo = hi
			hi *= 2
			if math.IsInf(hi, 0) {
				return 0, invalid("gamma quantile", "p", "no finite quantile for p = %g, a = %g", p, a)
			}
			if v, _ := g(hi); v >= 0 {
				break
			}
		}
	}

	for range maxSteps {
		if gx == 0 {
			return x, nil
		}
		if gx < 0 {
			lo = math.Max(lo, x)
		} else {
			hi = math.Min(hi, x)
		}
		next := math.NaN()
		if step := gx / slope; !math.IsNaN(step) && !math.IsInf(step, 0) {
			if math.Abs(step) <= quantileTo {
				return x * math.Exp(-step), nil
			}
			next = x * math.Exp(-step)
		}
		if !(next > lo && next < hi) {
			// Bisect, geometrically once the bracket is away from 0 so a bracket spanning
			// many orders of magnitude shrinks quickly.
			next = hi / 2
			if lo > 0 {
				next = math.Sqrt(lo) * math.Sqrt(hi)
			}
		}
		if hi-lo <= quantileTo*hi {
			return next, nil
		}
		x = next
		gx, slope = g(x)
	}
	return x, nil
}

// chiSquareQuantile is the p quantile of the χ² distribution with df degrees of freedom,
// which is twice the quantile of a gamma distribution of shape df/2.
func chiSquareQuantile(p, df float64) (float64, error) {
	x, err := gammaQuantile(df/2, p)
	return 2 * x, err
}
