package export

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// SWEREF99TM is the CRS of a GeoPackage export: SWEREF 99 TM with the easting first, as GIS
// files store it (the OGC API's EPSG:3006 output is northing first).
var SWEREF99TM = lagesbild.CRS{URI: "http://www.opengis.net/def/crs/EPSG/0/3006", SRID: 3006}

// pageSize is how many features one read of a collection takes.
const pageSize = 2000

// gpkgLayer is one collection of the OGC API written as a GeoPackage table.
type gpkgLayer struct {
	collection, table, tileLayer, geometryType string
	timed                                      bool // takes the period
	res                                        int  // H3 resolution, 0 for none
	// types fixes the OGR type of columns (name, OGR SQL type) whose values may all be null or
	// all whole numbers in one export: GDAL reads a column of nulls from GeoJSON as a string,
	// and every export of a layer should have the same schema for the QGIS projects built on it.
	types [][2]string
}

func gpkgLayers(set int) []gpkgLayer {
	counts := [][2]string{{"total", "integer"}}
	for _, g := range lagesbild.CategoryGroups {
		counts = append(counts, [2]string{string(g.Group), "integer"})
	}
	return []gpkgLayer{
		{fmt.Sprintf("omraden-%d", set), fmt.Sprintf("omraden_%d", set), "omraden", "MULTIPOLYGON", false, 0, [][2]string{{"classified_until", "date"}}},
		{"kommuner", "kommuner", "kommuner", "MULTIPOLYGON", false, 0, nil},
		{"lan", "lan", "lan", "MULTIPOLYGON", false, 0, nil},
		{"polisregioner", "polisregioner", "polisregioner", "MULTIPOLYGON", false, 0, nil},
		{"h3-r7", "h3_r7", "h3", "POLYGON", true, 7, counts},
		{"narvaro-kontor", "narvaro_kontor", "narvaro", "POINT", false, 0, [][2]string{{"staffed_hours_per_week", "float"}}},
		{"narvaro-insatser", "narvaro_insatser", "narvaro", "MULTIPOLYGON", true, 0, [][2]string{{"person_hours", "float"}}},
	}
}

// GeoPackage writes the caller's features of the scope to path as a GeoPackage in SWEREF 99 TM
// (EPSG:3006) for QGIS: the areas of list req.Set, kommuner, län and police regions touching the
// scope, the H3 resolution 7 cells with their counts of the period (small counts suppressed),
// the offices and the operations of the period, each collection as the OGC API gives it to the
// caller, and a table lagesbild_export with the export's metadata. ogr2ogr (GDAL) writes it.
func GeoPackage(ctx context.Context, store Store, req Request, path string) (Report, error) {
	ogr, err := exec.LookPath("ogr2ogr")
	if err != nil {
		return Report{}, fmt.Errorf("export: a GeoPackage is written by GDAL's ogr2ogr, which is not installed (Debian: apt-get install gdal-bin): %w", lagesbild.ErrUnavailable)
	}
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		return Report{}, fmt.Errorf("export: a GeoPackage's column types are set with GDAL's ogrinfo, which is not installed (Debian: apt-get install gdal-bin): %w", lagesbild.ErrUnavailable)
	}
	tmp, err := tempPath(path)
	if err != nil {
		return Report{}, err
	}
	ctx, m, err := begin(ctx, store, &req, "gpkg")
	if err != nil {
		return Report{}, err
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".lagesbild-export-*")
	if err != nil {
		return Report{}, fmt.Errorf("export: %w", err)
	}
	defer os.RemoveAll(dir)
	box := &lagesbild.BBox{MinLon: m.BBox[0], MinLat: m.BBox[1], MaxLon: m.BBox[2], MaxLat: m.BBox[3]}
	period, err := stockholmDays(req.From, req.To)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Features: map[string]int{}}
	var tables []string
	for _, l := range gpkgLayers(req.Set) {
		id := req.Identity
		if !id.CanReadLayer(l.tileLayer) || (l.res > 0 && id.MaxRes > 0 && l.res > id.MaxRes) {
			continue
		}
		q := lagesbild.FeatureQuery{Limit: pageSize, BBox: box, CRS: SWEREF99TM}
		if l.timed {
			q.Time = period
		}
		file := filepath.Join(dir, l.table+".geojson")
		n, err := writeCollection(ctx, store, l.collection, q, file)
		if err != nil {
			return Report{}, err
		}
		desc := l.collection
		if l.timed && period != nil {
			desc += fmt.Sprintf(" (%s–%s)", m.PeriodFrom, m.PeriodTo)
		}
		if err := ogr2ogr(ctx, ogr, tmp, file, l.table, l.geometryType, desc, len(tables) > 0); err != nil {
			return Report{}, err
		}
		if n > 0 { // an empty table has no columns to fix
			if err := fixTypes(ctx, ogrinfo, tmp, l.table, l.types); err != nil {
				return Report{}, err
			}
		}
		rep.Features[l.table] = n
		tables = append(tables, l.table)
	}
	m.Layers = tables
	if m.DataVersion, err = dataVersion(ctx, store); err != nil {
		return Report{}, err
	}
	rep.Metadata = m
	// The metadata as a table without geometry, one row.
	meta := filepath.Join(dir, "lagesbild_export.geojson")
	props, _ := json.Marshal(m)
	var pm map[string]any
	_ = json.Unmarshal(props, &pm)
	pm["layers"] = strings.Join(tables, ",")
	bbox, _ := json.Marshal(m.BBox)
	pm["bbox"] = string(bbox)
	row, _ := json.Marshal(map[string]any{"type": "FeatureCollection", "features": []any{map[string]any{"type": "Feature", "geometry": nil, "properties": pm}}})
	if err := os.WriteFile(meta, row, 0o600); err != nil {
		return Report{}, fmt.Errorf("export: %w", err)
	}
	if err := ogr2ogr(ctx, ogr, tmp, meta, "lagesbild_export", "NONE", "Vad exporten innehåller: scope, period, dataversion", len(tables) > 0); err != nil {
		return Report{}, err
	}
	return rep, publish(ctx, store, req, tmp, path, &rep)
}

// dataVersion asks the store for the data version when it can tell it.
func dataVersion(ctx context.Context, store Store) (int64, error) {
	if v, ok := store.(interface {
		DataVersion(context.Context) (int64, error)
	}); ok {
		n, err := v.DataVersion(ctx)
		if err != nil {
			return 0, fmt.Errorf("export: %w", err)
		}
		return n, nil
	}
	return 0, nil
}

// writeCollection pages through a collection into a GeoJSON file (coordinates in q.CRS) and
// returns how many features it wrote.
func writeCollection(ctx context.Context, store Store, coll string, q lagesbild.FeatureQuery, file string) (int, error) {
	f, err := os.Create(file)
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	fmt.Fprint(w, `{"type":"FeatureCollection","features":[`)
	n := 0
	for {
		page, err := store.Items(ctx, coll, q)
		if err != nil {
			return 0, fmt.Errorf("export: %s: %w", coll, err)
		}
		for _, ft := range page.Features {
			if n > 0 {
				w.WriteByte(',')
			}
			b, err := json.Marshal(map[string]any{"type": "Feature", "id": ft.ID, "geometry": ft.Geometry, "properties": ft.Properties})
			if err != nil {
				return 0, fmt.Errorf("export: %s: %w", coll, err)
			}
			w.Write(b)
			n++
		}
		if len(page.Features) < q.Limit {
			break
		}
		q.Offset += q.Limit
	}
	fmt.Fprint(w, "]}\n")
	if err := w.Flush(); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	return n, f.Close()
}

// ogr2ogr adds one GeoJSON file to the GeoPackage as table, its coordinates assigned EPSG:3006.
func ogr2ogr(ctx context.Context, bin, gpkg, src, table, geomType, desc string, update bool) error {
	args := []string{"-f", "GPKG"}
	if update {
		args = append(args, "-update")
	}
	args = append(args, "-nln", table, "-nlt", geomType, "-lco", "DESCRIPTION="+desc, "-lco", "FID=fid")
	if geomType != "NONE" {
		args = append(args, "-a_srs", "EPSG:3006")
	}
	args = append(args, gpkg, src)
	cmd := exec.CommandContext(ctx, bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("export: ogr2ogr %s: %s", table, strings.TrimSpace(string(out)))
		}
		return fmt.Errorf("export: ogr2ogr: %w", err)
	}
	return nil
}

// fixTypes sets the OGR type of columns of table with GDAL's ALTER TABLE … ALTER COLUMN … TYPE
// (OGR SQL; the GeoPackage driver rewrites the column). Names and types are the constants of
// gpkgLayers, never input.
func fixTypes(ctx context.Context, bin, gpkg, table string, types [][2]string) error {
	for _, c := range types {
		sql := fmt.Sprintf(`ALTER TABLE %s ALTER COLUMN "%s" TYPE %s`, table, c[0], c[1])
		out, err := exec.CommandContext(ctx, bin, "-q", "-dialect", "OGRSQL", "-sql", sql, gpkg).CombinedOutput()
		if err != nil || strings.Contains(string(out), "ERROR") {
			return fmt.Errorf("export: ogrinfo %s: %v %s", sql, err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// stockholmDays turns the period's days into the instants the collections compare: the first
// second of From and the last of To in Swedish time; nil for an open period.
func stockholmDays(from, to time.Time) (*lagesbild.Interval, error) {
	if from.IsZero() && to.IsZero() {
		return nil, nil
	}
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		return nil, fmt.Errorf("export: time zone: %w", err)
	}
	var p lagesbild.Interval
	if !from.IsZero() {
		t := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
		p.Start = &t
	}
	if !to.IsZero() {
		t := time.Date(to.Year(), to.Month(), to.Day(), 23, 59, 59, 0, loc)
		p.End = &t
	}
	return &p, nil
}
