package ingest

import (
	"math"

	"github.com/paulmach/orb"
)

// SWEREF 99 TM (EPSG:3006) is a transverse Mercator projection of the GRS80 ellipsoid with
// central meridian 15°E, scale 0.9996 and false easting 500 000 m. The series below are the
// Gauss–Krüger formulas as Lantmäteriet publishes them ("Gauss konforma projektion"); to four
// terms they are good to well under a millimetre inside Sweden. orb and go-geom have no
// projections, and one projection does not justify a PROJ dependency.
const (
	grs80A       = 6378137.0
	grs80F       = 1 / 298.257222101
	tmScale      = 0.9996
	tmFalseEast  = 500000.0
	tmFalseNorth = 0.0
	tmCentralLon = 15.0
)

// tm holds the constants derived from the ellipsoid, computed once.
var tm = func() (c struct {
	aHat           float64
	A, B, C, D     float64 // geodetic → conformal latitude
	As, Bs, Cs, Ds float64 // conformal → geodetic latitude
	beta, delta    [4]float64
}) {
	f := grs80F
	e2 := f * (2 - f)
	n := f / (2 - f)
	n2, n3, n4 := n*n, n*n*n, n*n*n*n
	c.aHat = grs80A / (1 + n) * (1 + n2/4 + n4/64)
	e4, e6, e8 := e2*e2, e2*e2*e2, e2*e2*e2*e2
	c.A = e2
	c.B = (5*e4 - e6) / 6
	c.C = (104*e6 - 45*e8) / 120
	c.D = 1237 * e8 / 1260
	c.As = e2 + e4 + e6 + e8
	c.Bs = -(7*e4 + 17*e6 + 30*e8) / 6
	c.Cs = (224*e6 + 889*e8) / 120
	c.Ds = -4279 * e8 / 1260
	c.beta = [4]float64{
		n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180,
		13*n2/48 - 3*n3/5 + 557*n4/1440,
		61*n3/240 - 103*n4/140,
		49561 * n4 / 161280,
	}
	c.delta = [4]float64{
		n/2 - 2*n2/3 + 37*n3/96 - n4/360,
		n2/48 + n3/15 - 437*n4/1440,
		17*n3/480 - 37*n4/840,
		4397 * n4 / 161280,
	}
	return c
}()

// SwerefToWGS84 converts a SWEREF 99 TM easting and northing (metres) to a WGS84 lon/lat point.
// (SWEREF 99 and WGS84 differ by less than a metre, below what these feeds resolve.)
func SwerefToWGS84(easting, northing float64) orb.Point {
	k := tmScale * tm.aHat
	xi := (northing - tmFalseNorth) / k
	eta := (easting - tmFalseEast) / k
	xi1, eta1 := xi, eta
	h := harmonicsOf(xi, eta)
	for j, d := range tm.delta {
		xi1 -= d * h.sin[j] * h.cosh[j]
		eta1 -= d * h.cos[j] * h.sinh[j]
	}
	phiStar := math.Asin(math.Sin(xi1) / math.Cosh(eta1))
	dLambda := math.Atan(math.Sinh(eta1) / math.Cos(xi1))
	s := math.Sin(phiStar)
	s2 := s * s
	phi := phiStar + s*math.Cos(phiStar)*(tm.As+s2*(tm.Bs+s2*(tm.Cs+s2*tm.Ds)))
	return orb.Point{tmCentralLon + dLambda*180/math.Pi, phi * 180 / math.Pi}
}

// WGS84ToSweref converts a WGS84 lon/lat point to a SWEREF 99 TM easting and northing (metres).
func WGS84ToSweref(p orb.Point) (easting, northing float64) {
	phi := p[1] * math.Pi / 180
	dLambda := (p[0] - tmCentralLon) * math.Pi / 180
	s := math.Sin(phi)
	s2 := s * s
	phiStar := phi - s*math.Cos(phi)*(tm.A+s2*(tm.B+s2*(tm.C+s2*tm.D)))
	xi1 := math.Atan(math.Tan(phiStar) / math.Cos(dLambda))
	eta1 := math.Atanh(math.Cos(phiStar) * math.Sin(dLambda))
	x, y := xi1, eta1
	h := harmonicsOf(xi1, eta1)
	for j, b := range tm.beta {
		x += b * h.sin[j] * h.cosh[j]
		y += b * h.cos[j] * h.sinh[j]
	}
	k := tmScale * tm.aHat
	return k*y + tmFalseEast, k*x + tmFalseNorth
}

// harmonics holds sin, cos (of 2jξ) and sinh, cosh (of 2jη) for j = 1..4.
type harmonics struct {
	sin, cos, sinh, cosh [4]float64
}

// harmonicsOf computes the series terms from one sin/cos and one exp by the angle-addition
// formulas instead of sixteen transcendental calls: SWEREF coordinates are converted once per
// CSV row, and this is most of the per-row cost. The recurrences lose nothing measurable over
// four terms.
func harmonicsOf(xi, eta float64) (h harmonics) {
	s1, c1 := math.Sincos(2 * xi)
	e := math.Exp(2 * eta)
	sh1, ch1 := (e-1/e)/2, (e+1/e)/2
	s, c, sh, ch := s1, c1, sh1, ch1
	for j := range 4 {
		h.sin[j], h.cos[j], h.sinh[j], h.cosh[j] = s, c, sh, ch
		s, c = s*c1+c*s1, c*c1-s*s1
		sh, ch = sh*ch1+ch*sh1, ch*ch1+sh*sh1
	}
	return h
}
