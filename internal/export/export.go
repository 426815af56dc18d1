// Package export writes a caller's scope to files for the field and for partners: a PMTiles
// archive of vector tiles for MapLibre (rendered by the same tile service as the API, so the
// same suppression, scope and resolution rules apply) and a GeoPackage in SWEREF 99 TM for QGIS
// (the OGC API's feature collections, written by GDAL's ogr2ogr). Every export is a disclosure:
// it is recorded in the audit log, with what went to whom, before the file appears under its
// name; a file whose audit row cannot be written is removed.
package export

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Store is what an export reads besides tiles: the feature collections, the extent of the
// caller's scope, and the audit log it appends to.
type Store interface {
	lagesbild.FeatureStore
	// ScopeExtent is the WGS84 box of what the caller of ctx may see and whether any of it is
	// synthetic demo data.
	ScopeExtent(ctx context.Context) (lagesbild.BBox, bool, error)
	AppendAudit(ctx context.Context, e ...auth.AuditEntry) error
}

// Request is one export: whose view it is, of what period, and for whom.
type Request struct {
	// Identity is the caller whose scope, layers and resolution limit the export has.
	Identity auth.Identity
	// ScopeLabel names the scope's regions or lokalpolisområden for people ("Linköping").
	ScopeLabel string
	// From and To bound the days of the H3 aggregates and of the joint operations; zero: open.
	From, To time.Time
	// Set is the police list year of the areas; 0: the newest.
	Set int
	// MinZoom and MaxZoom bound the tile pyramid (PMTiles only).
	MinZoom, MaxZoom int
	// MaxTiles refuses a pyramid of more tiles (ask for fewer zoom levels or a smaller scope).
	MaxTiles int
	// Recipient says to whom the file is given (free text, for the audit log and the metadata).
	Recipient string
	// Operator is who ran the export (the operating system user of the command line).
	Operator string
	// Now is the export time; zero: time.Now.
	Now time.Time
}

// Metadata is what an exported file says about itself (in the PMTiles metadata under
// "lagesbild", in the GeoPackage as the table lagesbild_export).
type Metadata struct {
	Format      string    `json:"format"`
	ExportedAt  time.Time `json:"exported_at"`
	Subject     string    `json:"subject"`
	Role        string    `json:"role"`
	Scope       string    `json:"scope"`
	ScopeLabel  string    `json:"scope_label"`
	PeriodFrom  string    `json:"period_from"` // YYYY-MM-DD, "" for open
	PeriodTo    string    `json:"period_to"`
	Set         int       `json:"set"`
	DataVersion int64     `json:"data_version"`
	Synthetic   bool      `json:"synthetic"`
	Recipient   string    `json:"recipient,omitempty"`
	// BBox is the WGS84 box of the scope: west, south, east, north.
	BBox   [4]float64 `json:"bbox"`
	Layers []string   `json:"layers"`
	// MinZoom and MaxZoom of the tiles (PMTiles only).
	MinZoom int `json:"minzoom,omitempty"`
	MaxZoom int `json:"maxzoom,omitempty"`
	// MinPublishedCount is k of the small-count rule the counts follow.
	MinPublishedCount int `json:"min_published_count"`
}

// Report says what an export wrote.
type Report struct {
	File         string         `json:"file"`
	Bytes        int64          `json:"bytes"`
	Tiles        int            `json:"tiles,omitempty"`         // PMTiles: tiles with data
	TileContents int            `json:"tile_contents,omitempty"` // PMTiles: distinct tiles stored
	Features     map[string]int `json:"features,omitempty"`      // GeoPackage: per layer
	Metadata     Metadata       `json:"metadata"`
}

// exportLayers are the tile layers an export holds: never incident points.
var exportLayers = []string{"omraden", "kommuner", "lan", "polisregioner", "h3", "narvaro"}

// begin checks the caller, resolves the list year and reads the scope's extent: the common
// start of both formats.
func begin(ctx context.Context, store Store, req *Request, format string) (context.Context, Metadata, error) {
	id := req.Identity
	if !id.CanReadData() {
		return ctx, Metadata{}, fmt.Errorf("export: the role %s with scope %s may not read incident data: %w", id.Role, id.Scope, lagesbild.ErrForbidden)
	}
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	ctx = auth.WithIdentity(ctx, id)
	colls, err := store.Collections(ctx)
	if err != nil {
		return ctx, Metadata{}, fmt.Errorf("export: %w", err)
	}
	var years []int
	for _, c := range colls {
		if y, ok := strings.CutPrefix(c.ID, "omraden-"); ok {
			n, _ := strconv.Atoi(y)
			years = append(years, n)
		}
	}
	if req.Set == 0 && len(years) > 0 {
		req.Set = slices.Max(years)
	}
	if !slices.Contains(years, req.Set) {
		return ctx, Metadata{}, lagesbild.Invalid("set", "there is no police list %d", req.Set)
	}
	box, synthetic, err := store.ScopeExtent(ctx)
	if err != nil {
		return ctx, Metadata{}, fmt.Errorf("export: %w", err)
	}
	m := Metadata{Format: format, ExportedAt: req.Now.UTC().Truncate(time.Second), Subject: id.Subject, Role: string(id.Role),
		Scope: id.Scope.String(), ScopeLabel: req.ScopeLabel, Set: req.Set, Synthetic: synthetic, Recipient: req.Recipient,
		BBox:              [4]float64{round6(box.MinLon), round6(box.MinLat), round6(box.MaxLon), round6(box.MaxLat)},
		MinPublishedCount: lagesbild.MinPublishedCount}
	if !req.From.IsZero() {
		m.PeriodFrom = req.From.Format(time.DateOnly)
	}
	if !req.To.IsZero() {
		m.PeriodTo = req.To.Format(time.DateOnly)
	}
	for _, l := range exportLayers {
		if id.CanReadLayer(l) {
			m.Layers = append(m.Layers, l)
		}
	}
	return ctx, m, nil
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// publish records the disclosure and then moves the finished file from tmp to path; when the
// audit row cannot be written the file is removed and nothing is disclosed.
func publish(ctx context.Context, store Store, req Request, tmp, path string, rep *Report) error {
	st, err := os.Stat(tmp)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	rep.File, rep.Bytes = path, st.Size()
	m := rep.Metadata
	params := map[string]any{"format": m.Format, "file": filepath.Base(path), "bytes": rep.Bytes, "operator": req.Operator,
		"recipient": req.Recipient, "period_from": m.PeriodFrom, "period_to": m.PeriodTo, "set": m.Set,
		"data_version": m.DataVersion, "layers": m.Layers, "bbox": m.BBox, "synthetic": m.Synthetic}
	if rep.Features != nil {
		params["features"] = rep.Features
	}
	if m.Format == "pmtiles" {
		params["tiles"], params["minzoom"], params["maxzoom"] = rep.Tiles, m.MinZoom, m.MaxZoom
	}
	id := req.Identity
	err = store.AppendAudit(ctx, auth.AuditEntry{At: m.ExportedAt, Subject: id.Subject, Role: string(id.Role), Scope: id.Scope.String(),
		Action: "disclosure", Resource: "export/" + m.Format, Params: params, Result: "ok", Client: "cli"})
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("export: the audit row could not be written, so no file was written: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// tempPath is where a file is built before publish moves it into place.
func tempPath(path string) (string, error) {
	if path == "" {
		return "", lagesbild.Invalid("output", "give the file to write")
	}
	if _, err := os.Stat(path); err == nil {
		return "", lagesbild.Invalid("output", "%s exists; remove it or choose another name", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("export: %w", err)
	}
	// The extension stays last: GDAL warns about a GeoPackage that does not end in .gpkg.
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + ".partial" + ext, nil
}
