package ingest

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// swerefCases were computed with PROJ 9 (cs2cs EPSG:4326 EPSG:3006), independent of this code.
var swerefCases = []struct {
	name              string
	lat, lon          float64
	northing, easting float64
}{
	{"Stockholm (Polisen's centroid)", 59.329324, 18.068581, 6580745.6292, 674570.6629},
	{"Malmö", 55.604981, 13.003822, 6163924.3995, 374245.0835},
	{"Göteborg", 57.70887, 11.97456, 6400322.8048, 319755.4889},
	{"Kiruna", 67.855, 20.225, 7535979.9787, 719578.0733},
	{"Karlskrona, near the central meridian", 56.161224, 15.5869, 6224178.6856, 536450.9014},
	{"Luleå, far east", 65.584819, 22.156703, 7292406.5390, 829524.1093},
	{"Strömstad, far west", 58.938346, 11.179187, 6539469.2045, 280169.4030},
}

func TestSwerefToWGS84(t *testing.T) {
	for _, c := range swerefCases {
		t.Run(c.name, func(t *testing.T) {
			p := SwerefToWGS84(c.easting, c.northing)
			if math.Abs(p[1]-c.lat) > 1e-7 || math.Abs(p[0]-c.lon) > 1e-7 {
				t.Errorf("SwerefToWGS84(%v, %v) = lat %.8f lon %.8f, want %.8f %.8f", c.easting, c.northing, p[1], p[0], c.lat, c.lon)
			}
		})
	}
}

func TestWGS84ToSweref(t *testing.T) {
	for _, c := range swerefCases {
		t.Run(c.name, func(t *testing.T) {
			e, n := WGS84ToSweref(orb.Point{c.lon, c.lat})
			if math.Abs(e-c.easting) > 1e-3 || math.Abs(n-c.northing) > 1e-3 {
				t.Errorf("WGS84ToSweref(%v, %v) = E %.4f N %.4f, want %.4f %.4f", c.lon, c.lat, e, n, c.easting, c.northing)
			}
		})
	}
}

// The brief's example pair "6580822 N / 674032 E ≈ 59.3293 N, 18.0686 E" is about 550 m off:
// PROJ puts that grid point at 59.330231 N, 18.059190 E, and 59.3293/18.0686 at
// 6580745.6 N / 674570.7 E (first case above). The test pins PROJ's answer.
func TestSwerefBriefExample(t *testing.T) {
	p := SwerefToWGS84(674032, 6580822)
	if math.Abs(p[1]-59.330231227) > 1e-7 || math.Abs(p[0]-18.059189736) > 1e-7 {
		t.Errorf("got lat %.9f lon %.9f, want 59.330231227 18.059189736 (PROJ)", p[1], p[0])
	}
}

func TestSwerefRoundTrip(t *testing.T) {
	for lat := 55.0; lat <= 69.5; lat += 0.25 {
		for lon := 10.5; lon <= 24.5; lon += 0.25 {
			e, n := WGS84ToSweref(orb.Point{lon, lat})
			p := SwerefToWGS84(e, n)
			if math.Abs(p[0]-lon) > 1e-9 || math.Abs(p[1]-lat) > 1e-9 {
				t.Fatalf("round trip of (%v, %v) gave (%.12f, %.12f)", lon, lat, p[0], p[1])
			}
		}
	}
}
