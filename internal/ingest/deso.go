package ingest

import (
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// DesoBoundary is the polygon of one SCB DeSO (demografiskt statistikområde) in WGS84.
type DesoBoundary struct {
	Code    string // e.g. 0180C1090: kommun code, A/B/C, serial
	Line    int    // where the feature starts in the file
	Polygon orb.MultiPolygon
}

var desoCode = regexp.MustCompile(`^[0-9]{4}[ABC][0-9]{4}$`)

// desoCodeProps are the property names SCB's DeSO files use for the code (SCB's GeoPackage
// DeSO_2018 has "deso"; other exports say "desokod" or "deso_kod"), compared in lower case.
var desoCodeProps = []string{"deso", "desokod", "deso_kod", "deso_code", "code"}

// ReadDesoBoundaries reads SCB's DeSO boundaries from a GeoJSON FeatureCollection of Polygon or
// MultiPolygon features in WGS84 or SWEREF 99 TM (the legacy crs member that ogr2ogr writes
// for SCB's GeoPackage names EPSG:3006). Each feature carries its DeSO code in one of the
// properties deso, desokod, deso_kod, deso_code or code. Bad features come back as errs (file,
// line, field) so that every problem of a file is reported at once; err is for input that
// cannot be read as a FeatureCollection at all.
func ReadDesoBoundaries(r io.Reader, file string) (out []DesoBoundary, errs []lagesbild.ImportError, err error) {
	in, err := newJSONInput(r, file)
	if err != nil {
		return nil, nil, ioError(file, err)
	}
	s := featureStream{in: in}
	seen := map[string]int{}
	for {
		raw, line, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		bad := func(field, reason string) {
			errs = append(errs, lagesbild.ImportError{File: file, Line: line, Field: field, Reason: reason})
		}
		ft, field, reason := decodeFeature(raw)
		if reason != "" {
			bad(field, reason)
			continue
		}
		code, prop := "", ""
		for _, p := range desoCodeProps {
			v, reason := ft.prop(p)
			if reason != "" {
				bad(p, reason)
				break
			}
			if v != "" {
				code, prop = strings.TrimSpace(v), p
				break
			}
		}
		switch {
		case prop == "":
			bad("deso", "missing: each feature needs its DeSO code in the property deso (or desokod)")
			continue
		case !desoCode.MatchString(code):
			bad(prop, strconv.Quote(clip(code))+" is not a DeSO code such as 0180C1090")
			continue
		case seen[code] > 0:
			bad(prop, code+" is given twice (also at line "+strconv.Itoa(seen[code])+")")
			continue
		}
		seen[code] = line
		if ft.geometry == nil {
			bad("geometry", "missing: a DeSO needs a Polygon or MultiPolygon")
			continue
		}
		mp, reason := ft.geometry.polygons(s.sweref)
		if reason != "" {
			bad("geometry", reason)
			continue
		}
		out = append(out, DesoBoundary{Code: code, Line: line, Polygon: mp})
	}
	if len(out) == 0 && len(errs) == 0 {
		return nil, nil, fatalf(file, 1, "features", "no DeSO features")
	}
	return out, errs, nil
}
