package httpapi

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// parseFeatureQuery reads limit, offset, bbox and datetime of an /items request. A limit above
// the maximum is lowered to it rather than refused: OGC API – Features Part 1 requires that
// (/req/core/fc-limit-response-1 C).
func parseFeatureQuery(q url.Values) (lagesbild.FeatureQuery, error) {
	fq := lagesbild.FeatureQuery{Limit: defaultLimit}
	if v, ok := q["limit"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 {
			return fq, lagesbild.Invalid("limit", "%q is not a whole number from 1 to %d", truncate(v[0], 40), maxLimit)
		}
		fq.Limit = min(n, maxLimit)
	}
	if v, ok := q["offset"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 0 {
			return fq, lagesbild.Invalid("offset", "%q is not a whole number of 0 or more", truncate(v[0], 40))
		}
		fq.Offset = n
	}
	if v, ok := q["bbox"]; ok {
		b, err := parseBBox(v[0])
		if err != nil {
			return fq, err
		}
		fq.BBox = &b
	}
	if v, ok := q["datetime"]; ok {
		iv, err := parseDatetime(v[0])
		if err != nil {
			return fq, err
		}
		fq.Time = iv
	}
	return fq, nil
}

// parseBBox reads "minLon,minLat,maxLon,maxLat" in WGS84 (CRS84). Boxes across the antimeridian
// and 3D boxes are refused: the data lies in Sweden.
func parseBBox(s string) (lagesbild.BBox, error) {
	parts := strings.Split(s, ",")
	switch len(parts) {
	case 4:
	case 6:
		return lagesbild.BBox{}, lagesbild.Invalid("bbox", "a 3D bbox (6 numbers) is not supported; give minLon,minLat,maxLon,maxLat")
	default:
		return lagesbild.BBox{}, lagesbild.Invalid("bbox", "%q: want 4 numbers minLon,minLat,maxLon,maxLat (WGS84 degrees)", truncate(s, 80))
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return lagesbild.BBox{}, lagesbild.Invalid("bbox", "%q is not a number", truncate(p, 40))
		}
		v[i] = f
	}
	b := lagesbild.BBox{MinLon: v[0], MinLat: v[1], MaxLon: v[2], MaxLat: v[3]}
	switch {
	case b.MinLon < -180 || b.MaxLon > 180 || b.MinLon > 180 || b.MaxLon < -180:
		return b, lagesbild.Invalid("bbox", "longitudes must lie from -180 to 180")
	case b.MinLat < -90 || b.MaxLat > 90 || b.MinLat > 90 || b.MaxLat < -90:
		return b, lagesbild.Invalid("bbox", "latitudes must lie from -90 to 90")
	case b.MinLon > b.MaxLon:
		return b, lagesbild.Invalid("bbox", "minLon %g is greater than maxLon %g (boxes across the antimeridian are not supported)", b.MinLon, b.MaxLon)
	case b.MinLat > b.MaxLat:
		return b, lagesbild.Invalid("bbox", "minLat %g is greater than maxLat %g", b.MinLat, b.MaxLat)
	}
	return b, nil
}

// parseDatetime reads an RFC 3339 date-time (an instant) or an interval "start/end" whose ends
// may be open (".." or empty).
func parseDatetime(s string) (*lagesbild.Interval, error) {
	bad := func() error {
		return lagesbild.Invalid("datetime", "%q is not an RFC 3339 date-time such as 2025-01-31T00:00:00Z, "+
			"or an interval start/end with .. for an open end", truncate(s, 80))
	}
	instant := func(v string) (*time.Time, error) {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return nil, bad()
		}
		return &t, nil
	}
	start, end, isInterval := strings.Cut(s, "/")
	if !isInterval {
		t, err := instant(s)
		if err != nil {
			return nil, err
		}
		return &lagesbild.Interval{Start: t, End: t}, nil
	}
	var iv lagesbild.Interval
	var err error
	if start != ".." && start != "" {
		if iv.Start, err = instant(start); err != nil {
			return nil, err
		}
	}
	if end != ".." && end != "" {
		if iv.End, err = instant(end); err != nil {
			return nil, err
		}
	}
	if iv.Start != nil && iv.End != nil && iv.Start.After(*iv.End) {
		return nil, lagesbild.Invalid("datetime", "the interval %q ends before it starts", truncate(s, 80))
	}
	return &iv, nil
}
