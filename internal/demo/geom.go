package demo

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// shape is an EPSG:3006 multipolygon prepared for the containment tests of rejection sampling:
// the bounds of every ring are computed once, since orb's RingContains recomputes them per call
// and that was a third of the generator's time.
type shape struct {
	mp       orb.MultiPolygon
	rings    [][]ring // per polygon: outer ring first, then holes
	bound    orb.Bound
	areaM2   float64
	interior orb.Point // a point inside (see interiorPoint)
}

type ring struct {
	pts   orb.Ring
	bound orb.Bound
}

func newShape(mp orb.MultiPolygon) shape {
	s := shape{mp: mp, bound: mp.Bound(), areaM2: math.Abs(planar.Area(mp))}
	for _, poly := range mp {
		rs := make([]ring, 0, len(poly))
		for _, r := range poly {
			rs = append(rs, ring{r, r.Bound()})
		}
		s.rings = append(s.rings, rs)
	}
	s.interior = interiorPoint(mp)
	return s
}

func (s *shape) contains(p orb.Point) bool {
	if !s.bound.Contains(p) {
		return false
	}
	for _, poly := range s.rings {
		if len(poly) == 0 || !poly[0].contains(p) {
			continue
		}
		inHole := false
		for _, h := range poly[1:] {
			if h.contains(p) {
				inHole = true
				break
			}
		}
		if !inHole {
			return true
		}
	}
	return false
}

// contains is the even-odd crossing test. Points exactly on an edge may go either way, which
// does not matter for random points.
func (r *ring) contains(p orb.Point) bool {
	if !r.bound.Contains(p) {
		return false
	}
	in := false
	pts := r.pts
	for i, j := 0, len(pts)-1; i < len(pts); j, i = i, i+1 {
		a, b := pts[i], pts[j]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

// uniform draws a point uniformly inside the shape by rejection from its bounding box. Long,
// thin or island-strewn kommuner fill little of their box, so the number of tries is bounded
// and the interior point is the fallback.
func (s *shape) uniform(r *rand.Rand) orb.Point {
	for range 200 {
		p := orb.Point{s.bound.Min[0] + r.Float64()*(s.bound.Max[0]-s.bound.Min[0]),
			s.bound.Min[1] + r.Float64()*(s.bound.Max[1]-s.bound.Min[1])}
		if s.contains(p) {
			return p
		}
	}
	return s.interior
}

// interiorPoint returns the area centroid when it lies inside the multipolygon (the usual case
// for compact shapes) and otherwise the middle of the widest stretch of the largest polygon along
// the horizontal line through its centroid — the scan-line idea of JTS's InteriorPoint — so that
// a crescent-shaped coastal kommun still gets a point on land. The result is deterministic.
func interiorPoint(mp orb.MultiPolygon) orb.Point {
	if len(mp) == 0 {
		return orb.Point{}
	}
	c, _ := planar.CentroidArea(mp)
	if planar.MultiPolygonContains(mp, c) {
		return c
	}
	largest, best := 0, -1.0
	for i, p := range mp {
		if a := math.Abs(planar.Area(p)); a > best {
			largest, best = i, a
		}
	}
	poly := mp[largest]
	pc, _ := planar.CentroidArea(poly)
	b := poly.Bound()
	for _, y := range []float64{pc[1], (b.Min[1] + b.Max[1]) / 2, b.Min[1] + (b.Max[1]-b.Min[1])/3} {
		if p, ok := widestCrossing(poly, y); ok {
			return p
		}
	}
	return poly[0][0]
}

// widestCrossing returns the middle of the widest inside interval of the horizontal line y.
func widestCrossing(poly orb.Polygon, y float64) (orb.Point, bool) {
	var xs []float64
	for _, ring := range poly {
		for i := 0; i+1 < len(ring); i++ {
			a, b := ring[i], ring[i+1]
			if (a[1] <= y) == (b[1] <= y) {
				continue
			}
			xs = append(xs, a[0]+(y-a[1])*(b[0]-a[0])/(b[1]-a[1]))
		}
	}
	slices.Sort(xs)
	var best orb.Point
	width := 0.0
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > width {
			width, best = w, orb.Point{(xs[i] + xs[i+1]) / 2, y}
		}
	}
	return best, width > 0 && planar.PolygonContains(poly, best)
}

// circle returns a closed 24-gon of radius r metres around c, in EPSG:3006.
func circle(c orb.Point, r float64) orb.Polygon {
	const n = 24
	ring := make(orb.Ring, 0, n+1)
	for i := range n {
		a := 2 * math.Pi * float64(i) / n
		ring = append(ring, orb.Point{c[0] + r*math.Cos(a), c[1] + r*math.Sin(a)})
	}
	return orb.Polygon{append(ring, ring[0])}
}

// nearestInside returns a point of s near p: p itself when inside, otherwise the first point
// inside found on circles of growing radius (50 m steps up to 10 km, 72 directions). It serves
// an area that lies wholly outside the generalised kommun boundary (Söder in Helsingborg, whose
// coast the SCB polygon cuts off), whose incidents then gather on the nearest land of the kommun.
func (s *shape) nearestInside(p orb.Point) (orb.Point, bool) {
	if s.contains(p) {
		return p, true
	}
	for r := 50.0; r <= 10000; r += 50 {
		for i := range 72 {
			a := 2 * math.Pi * float64(i) / 72
			if q := (orb.Point{p[0] + r*math.Cos(a), p[1] + r*math.Sin(a)}); s.contains(q) {
				return q, true
			}
		}
	}
	return p, false
}
