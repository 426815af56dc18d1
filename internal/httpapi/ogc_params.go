package httpapi

import (
	"bytes"
	"encoding/json"
	"math"
	"net/url"
	"regexp"
	"slices"
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
	var err error
	if fq.CRS, err = crsParam(q, "crs"); err != nil {
		return fq, err
	}
	bboxCRS, err := crsParam(q, "bbox-crs")
	if err != nil {
		return fq, err
	}
	if v, ok := q["bbox"]; ok {
		b, srid, err := parseBBoxIn(v[0], bboxCRS)
		if err != nil {
			return fq, err
		}
		fq.BBox, fq.BBoxSRID = &b, srid
	} else if q.Has("bbox-crs") {
		return fq, lagesbild.Invalid("bbox-crs", "bbox-crs is given without a bbox")
	}
	if v, ok := q["sortby"]; ok {
		keys, err := parseSortBy(v[0])
		if err != nil {
			return fq, err
		}
		fq.SortBy = keys
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

// The coordinate reference systems of OGC API – Features Part 2 that /items offers, for the
// output (crs) and for the bbox (bbox-crs). EPSG:4326 and EPSG:3006 put the north axis first
// (latitude, northing), as their EPSG definitions do; CRS84 and EPSG:3857 put east first.
var (
	crsCRS84   = lagesbild.CRS{URI: crs84, SRID: 4326}
	crs4326    = lagesbild.CRS{URI: "http://www.opengis.net/def/crs/EPSG/0/4326", SRID: 4326, NorthFirst: true}
	crs3006    = lagesbild.CRS{URI: "http://www.opengis.net/def/crs/EPSG/0/3006", SRID: 3006, NorthFirst: true}
	crs3857    = lagesbild.CRS{URI: epsg3857, SRID: 3857}
	offeredCRS = []lagesbild.CRS{crsCRS84, crs4326, crs3006, crs3857}
	// storageCRS is the CRS the geometries are stored in.
	storageCRS = crs3006
)

// crsURIs lists the URIs of the offered CRSs, for the collections' crs member.
func crsURIs() []string {
	out := make([]string, len(offeredCRS))
	for i, c := range offeredCRS {
		out[i] = c.URI
	}
	return out
}

// crsParam reads a CRS parameter: a URI of an offered CRS, or its safe CURIE ([EPSG:3006],
// [OGC:CRS84]). Absent means CRS84.
func crsParam(q url.Values, name string) (lagesbild.CRS, error) {
	v, ok := q[name]
	if !ok {
		return crsCRS84, nil
	}
	s := strings.TrimSpace(v[0])
	for _, c := range offeredCRS {
		_, code, _ := strings.Cut(strings.TrimPrefix(c.URI, "http://www.opengis.net/def/crs/"), "/0/")
		if c == crsCRS84 {
			code = "OGC:CRS84"
		} else {
			code = "EPSG:" + code
		}
		if s == c.URI || s == "["+code+"]" {
			return c, nil
		}
	}
	return crsCRS84, lagesbild.Invalid(name, "%q is not offered; give one of %s (or a safe CURIE such as [EPSG:3006])",
		truncate(s, 80), strings.Join(crsURIs(), ", "))
}

// parseBBoxIn reads a bbox in crs, whose axis order it follows: minLon,minLat,maxLon,maxLat in
// CRS84, minLat,minLon,maxLat,maxLon in EPSG:4326, minN,minE,maxN,maxE in EPSG:3006, minX,minY,
// maxX,maxY in EPSG:3857. It returns a WGS84 longitude/latitude box (EPSG:3857 converts
// exactly), or for EPSG:3006 the easting/northing box and srid 3006.
func parseBBoxIn(s string, crs lagesbild.CRS) (lagesbild.BBox, int, error) {
	order := map[lagesbild.CRS]string{crsCRS84: "minLon,minLat,maxLon,maxLat (degrees)", crs4326: "minLat,minLon,maxLat,maxLon (degrees, EPSG:4326 axis order)",
		crs3006: "minN,minE,maxN,maxE (metres, EPSG:3006 axis order: northing first)", crs3857: "minX,minY,maxX,maxY (metres)"}[crs]
	v, err := bboxNumbers(s, order)
	if err != nil {
		return lagesbild.BBox{}, 0, err
	}
	switch crs {
	case crs4326:
		b, err := checkBBox([4]float64{v[1], v[0], v[3], v[2]})
		return b, 0, err
	case crs3006:
		b := lagesbild.BBox{MinLon: v[1], MinLat: v[0], MaxLon: v[3], MaxLat: v[2]}
		switch {
		case b.MinLon > b.MaxLon:
			return b, 0, lagesbild.Invalid("bbox", "minE %g is greater than maxE %g (the order is %s)", b.MinLon, b.MaxLon, order)
		case b.MinLat > b.MaxLat:
			return b, 0, lagesbild.Invalid("bbox", "minN %g is greater than maxN %g (the order is %s)", b.MinLat, b.MaxLat, order)
		}
		return b, 3006, nil
	case crs3857:
		for _, x := range v {
			if math.Abs(x) > webMercatorHalf+1 {
				return lagesbild.BBox{}, 0, lagesbild.Invalid("bbox", "%g lies outside Web Mercator (±%.0f m)", x, webMercatorHalf)
			}
		}
		lon := func(x float64) float64 { return math.Max(-180, math.Min(180, x/webMercatorHalf*180)) }
		lat := func(y float64) float64 { return math.Atan(math.Sinh(y/webMercatorHalf*math.Pi)) * 180 / math.Pi }
		b, err := checkBBox([4]float64{lon(v[0]), lat(v[1]), lon(v[2]), lat(v[3])})
		return b, 0, err
	}
	b, err := checkBBox(v)
	return b, 0, err
}

// bboxNumbers reads the 4 numbers of a bbox; order says what they are, for the error.
func bboxNumbers(s, order string) ([4]float64, error) {
	var v [4]float64
	parts := strings.Split(s, ",")
	switch len(parts) {
	case 4:
	case 6:
		return v, lagesbild.Invalid("bbox", "a 3D bbox (6 numbers) is not supported; give %s", order)
	default:
		return v, lagesbild.Invalid("bbox", "%q: want 4 numbers %s", truncate(s, 80), order)
	}
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return v, lagesbild.Invalid("bbox", "%q is not a number", truncate(p, 40))
		}
		v[i] = f
	}
	return v, nil
}

// checkBBox validates a WGS84 longitude/latitude box. Boxes across the antimeridian are
// refused: the data lies in Sweden.
func checkBBox(v [4]float64) (lagesbild.BBox, error) {
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

// parseSortBy reads sortby: property names separated by commas, each with an optional + (the
// default, ascending; a + left unescaped in a URL arrives as a space) or - (descending). The
// store checks the names against the queryables.
func parseSortBy(s string) ([]lagesbild.SortKey, error) {
	var keys []lagesbild.SortKey
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		k := lagesbild.SortKey{}
		name := strings.TrimLeft(part, " ")
		switch {
		case strings.HasPrefix(name, "-"):
			k.Desc, name = true, name[1:]
		case strings.HasPrefix(name, "+"):
			name = name[1:]
		}
		if !sortName.MatchString(name) {
			return nil, lagesbild.Invalid("sortby", "%q is not a property name with an optional + or - in front", truncate(part, 40))
		}
		if seen[name] {
			return nil, lagesbild.Invalid("sortby", "%q is named twice", name)
		}
		seen[name] = true
		k.Property = name
		keys = append(keys, k)
	}
	if len(keys) > 5 {
		return nil, lagesbild.Invalid("sortby", "at most 5 sort keys")
	}
	return keys, nil
}

var sortName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,39}$`)

// parseProperties reads properties: the property names to return, separated by commas.
func parseProperties(q url.Values) ([]string, error) {
	v, ok := q["properties"]
	if !ok {
		return nil, nil
	}
	var names []string
	for _, n := range strings.Split(v[0], ",") {
		n = strings.TrimSpace(n)
		if !sortName.MatchString(n) {
			return nil, lagesbild.Invalid("properties", "%q is not a property name", truncate(n, 40))
		}
		names = append(names, n)
	}
	return names, nil
}

// selectProperties keeps the members of a JSON object that are named, in their order, and
// reports which names it found.
func selectProperties(raw json.RawMessage, names []string, found map[string]bool) (json.RawMessage, error) {
	var members []jsonMember
	d := json.NewDecoder(bytes.NewReader(raw))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return raw, err
	}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		k, _ := t.(string)
		if slices.Contains(names, k) {
			found[k] = true
			members = append(members, jsonMember{k, v})
		}
	}
	return jsonObject(members), nil
}

// jsonMember is a member of a JSON object whose member order matters.
type jsonMember struct {
	key string
	val json.RawMessage
}

// jsonObject writes the members as one JSON object, in their order.
func jsonObject(members []jsonMember) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.val)
	}
	b.WriteByte('}')
	return b.Bytes()
}
