package demo

import (
	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/ingest"
)

// toWGS84 converts an EPSG:3006 point (easting, northing in metres) to a WGS84 lon/lat point,
// with the same Gauss–Krüger formulas the feed parsers use.
func toWGS84(p orb.Point) orb.Point { return ingest.SwerefToWGS84(p[0], p[1]) }

// toSweref converts a WGS84 lon/lat point to EPSG:3006 (easting, northing in metres).
func toSweref(p orb.Point) orb.Point {
	e, n := ingest.WGS84ToSweref(p)
	return orb.Point{e, n}
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
