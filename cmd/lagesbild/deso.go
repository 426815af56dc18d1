package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/lagesbild/lagesbild/internal/ingest"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis"
)

// importDeso reads SCB's DeSO boundaries (GeoJSON, or a GeoPackage converted with GDAL's
// ogr2ogr) and estimates the areas' residents from them (postgis.ImportDesoBoundaries).
func importDeso(ctx context.Context, db *postgis.DB, file string) (postgis.DesoReport, error) {
	name := filepath.Base(file)
	var r io.Reader
	switch {
	case file == "-":
		r, name = os.Stdin, "-"
	case strings.EqualFold(filepath.Ext(file), ".gpkg"):
		b, err := gpkgToGeoJSON(ctx, file)
		if err != nil {
			return postgis.DesoReport{}, err
		}
		r = bytes.NewReader(b)
	default:
		f, err := os.Open(file)
		if err != nil {
			return postgis.DesoReport{}, err
		}
		defer f.Close()
		r = f
	}
	bs, errs, err := ingest.ReadDesoBoundaries(r, name)
	if err != nil {
		var v *lagesbild.ValidationError
		if errors.As(err, &v) {
			return postgis.DesoReport{ImportReport: lagesbild.ImportReport{Errors: []lagesbild.ImportError{{File: v.File, Line: v.Line, Field: v.Field, Reason: v.Reason}}}},
				fmt.Errorf("import deso %s: %w", name, lagesbild.ErrInvalid)
		}
		return postgis.DesoReport{}, err
	}
	if len(errs) > 0 {
		return postgis.DesoReport{ImportReport: lagesbild.ImportReport{Read: len(bs) + len(errs), Rejected: len(errs), Errors: errs}},
			fmt.Errorf("import deso %s: %d features rejected, nothing stored: %w", name, len(errs), lagesbild.ErrInvalid)
	}
	ps := make([]postgis.DesoPolygon, len(bs))
	for i, b := range bs {
		ps[i] = postgis.DesoPolygon{Code: b.Code, Line: b.Line, Polygon: b.Polygon}
	}
	return db.ImportDesoBoundaries(ctx, name, ps)
}

// gpkgToGeoJSON converts the first layer of a GeoPackage to GeoJSON in SWEREF 99 TM with
// ogr2ogr (Debian package gdal-bin), which a server needs only for GeoPackage input.
func gpkgToGeoJSON(ctx context.Context, file string) ([]byte, error) {
	bin, err := exec.LookPath("ogr2ogr")
	if err != nil {
		return nil, fmt.Errorf("import deso %s: a GeoPackage is read with GDAL's ogr2ogr, which is not installed "+
			"(Debian: apt-get install gdal-bin), or convert it first: ogr2ogr -f GeoJSON deso.geojson %s: %w",
			filepath.Base(file), filepath.Base(file), lagesbild.ErrInvalid)
	}
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "-f", "GeoJSON", "-t_srs", "EPSG:3006", "-lco", "RFC7946=NO", "/vsistdout/", file)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("import deso %s: ogr2ogr could not read it: %s: %w", filepath.Base(file),
			strings.TrimSpace(errOut.String()), lagesbild.ErrInvalid)
	}
	return out.Bytes(), nil
}

func printDesoReport(w io.Writer, file string, rep postgis.DesoReport, err error) {
	printReport(w, file, rep.ImportReport, err)
	if err != nil {
		return
	}
	fmt.Fprintf(w, "  areas estimated %d (of them kept with another population source %d), partly covered and left without estimate %d\n",
		len(rep.Estimated)+len(rep.Kept), len(rep.Kept), len(rep.Partial))
	if len(rep.Kept) > 0 {
		fmt.Fprintf(w, "  kept (population from lagesbild import population): %s\n", strings.Join(rep.Kept, ", "))
	}
	if len(rep.Partial) > 0 {
		fmt.Fprintf(w, "  partly covered: %s\n", strings.Join(rep.Partial, ", "))
	}
}

// desoAreas are the areas of a DeSO import, in its --json report.
type desoAreas struct {
	Estimated []string `json:"areas_estimated"`
	Partial   []string `json:"areas_partly_covered"`
	Kept      []string `json:"areas_kept"`
}

func newDesoAreas(r postgis.DesoReport) *desoAreas {
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return &desoAreas{Estimated: nonNil(r.Estimated), Partial: nonNil(r.Partial), Kept: nonNil(r.Kept)}
}
