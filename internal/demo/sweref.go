package demo

import (
	"math"

	"github.com/paulmach/orb"
)

// SWEREF 99 TM (EPSG:3006) is a transverse Mercator projection of the GRS80 ellipsoid with
// central meridian 15°E, scale 0.9996 and false easting 500 000 m. The demo works in these metres
// because its clusters have metric radii and the bundled polygons are in EPSG:3006; every point
// is converted to WGS84 once, on output. The series are Lantmäteriet's Gauss–Krüger formulas,
// good to well under a millimetre in Sweden. (internal/ingest has its own copy: the demo
// shares nothing with the import path it feeds, so a bug in one cannot hide in the other.)
const (
	grs80A       = 6378137.0
	grs80F       = 1 / 298.257222101
	tmScale      = 0.9996
	tmFalseEast  = 500000.0
	tmCentralLon = 15.0
)

var tm = func() (c struct {
	k              float64 // scale × rectifying radius
	A, B, C, D     float64
	As, Bs, Cs, Ds float64
	beta, delta    [4]float64
}) {
	f := grs80F
	e2 := f * (2 - f)
	n := f / (2 - f)
	n2, n3, n4 := n*n, n*n*n, n*n*n*n
	c.k = tmScale * grs80A / (1 + n) * (1 + n2/4 + n4/64)
	e4, e6, e8 := e2*e2, e2*e2*e2, e2*e2*e2*e2
	c.A, c.B, c.C, c.D = e2, (5*e4-e6)/6, (104*e6-45*e8)/120, 1237*e8/1260
	c.As, c.Bs, c.Cs, c.Ds = e2+e4+e6+e8, -(7*e4+17*e6+30*e8)/6, (224*e6+889*e8)/120, -4279*e8/1260
	c.beta = [4]float64{n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180, 13*n2/48 - 3*n3/5 + 557*n4/1440,
		61*n3/240 - 103*n4/140, 49561 * n4 / 161280}
	c.delta = [4]float64{n/2 - 2*n2/3 + 37*n3/96 - n4/360, n2/48 + n3/15 - 437*n4/1440,
		17*n3/480 - 37*n4/840, 4397 * n4 / 161280}
	return c
}()

// toWGS84 converts an EPSG:3006 point (easting, northing in metres) to a WGS84 lon/lat point.
// SWEREF 99 and WGS84 differ by well under a metre, which no feed here resolves.
func toWGS84(p orb.Point) orb.Point {
	xi := p[1] / tm.k
	eta := (p[0] - tmFalseEast) / tm.k
	xi1, eta1 := xi, eta
	for j, d := range tm.delta {
		m := float64(2 * (j + 1))
		xi1 -= d * math.Sin(m*xi) * math.Cosh(m*eta)
		eta1 -= d * math.Cos(m*xi) * math.Sinh(m*eta)
	}
	phiStar := math.Asin(math.Sin(xi1) / math.Cosh(eta1))
	dLambda := math.Atan(math.Sinh(eta1) / math.Cos(xi1))
	s := math.Sin(phiStar)
	s2 := s * s
	phi := phiStar + s*math.Cos(phiStar)*(tm.As+s2*(tm.Bs+s2*(tm.Cs+s2*tm.Ds)))
	return orb.Point{tmCentralLon + dLambda*180/math.Pi, phi * 180 / math.Pi}
}

// toSweref converts a WGS84 lon/lat point to EPSG:3006 (easting, northing in metres).
func toSweref(p orb.Point) orb.Point {
	phi := p[1] * math.Pi / 180
	dLambda := (p[0] - tmCentralLon) * math.Pi / 180
	s := math.Sin(phi)
	s2 := s * s
	phiStar := phi - s*math.Cos(phi)*(tm.A+s2*(tm.B+s2*(tm.C+s2*tm.D)))
	xi1 := math.Atan(math.Tan(phiStar) / math.Cos(dLambda))
	eta1 := math.Atanh(math.Cos(phiStar) * math.Sin(dLambda))
	x, y := xi1, eta1
	for j, b := range tm.beta {
		m := float64(2 * (j + 1))
		x += b * math.Sin(m*xi1) * math.Cosh(m*eta1)
		y += b * math.Cos(m*xi1) * math.Sinh(m*eta1)
	}
	return orb.Point{tm.k*y + tmFalseEast, tm.k * x}
}

// polygonToWGS84 converts every vertex of an EPSG:3006 multipolygon.
func polygonToWGS84(mp orb.MultiPolygon) orb.MultiPolygon {
	out := make(orb.MultiPolygon, len(mp))
	for i, poly := range mp {
		out[i] = make(orb.Polygon, len(poly))
		for j, ring := range poly {
			out[i][j] = make(orb.Ring, len(ring))
			for k, p := range ring {
				out[i][j][k] = toWGS84(p)
			}
		}
	}
	return out
}
