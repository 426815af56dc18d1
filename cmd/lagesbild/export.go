package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/export"
	"github.com/lagesbild/lagesbild/internal/summary"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// callerFlags are the flags naming whose view a command-line export or seed takes: a role and
// a scope, or (without --role) the API token in LAGESBILD_TOKEN.
type callerFlags struct{ accountFlags }

func addCallerFlags(fs *flag.FlagSet) callerFlags {
	f := callerFlags{addAccountFlags(fs, false)}
	// The usage says what these flags mean here (an export reads the police's data only).
	fs.Lookup("role").Usage = "act as this role (nationell, regional, lokal, gis); without it, as the API token in LAGESBILD_TOKEN"
	fs.Lookup("scope").Usage = "with --role: all, REGIONKOD, OMRADESKOD or their names"
	return f
}

// identity resolves the caller: a role and scope checked as for a new account, or a token
// checked as the API checks it (revoked and expired tokens are refused).
func (c callerFlags) identity(ctx context.Context, svc *auth.Service, getenv func(string) string) (auth.Identity, error) {
	if *c.role != "" {
		return svc.RoleIdentity(ctx, cliIdentity(), auth.Role(*c.role), *c.scope)
	}
	tok := strings.TrimSpace(getenv("LAGESBILD_TOKEN"))
	if tok == "" {
		return auth.Identity{}, fmt.Errorf("give --role and --scope, or an API token in LAGESBILD_TOKEN: %w", errUsage)
	}
	if *c.scope != "" {
		return auth.Identity{}, fmt.Errorf("--scope goes with --role; a token brings its own scope: %w", errUsage)
	}
	id, err := svc.FromBearer(ctx, tok)
	if err != nil {
		return auth.Identity{}, fmt.Errorf("LAGESBILD_TOKEN: %w", err)
	}
	return id, nil
}

// parseZoom reads "5-12" or "8".
func parseZoom(s string) (lo, hi int, err error) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		b = a
	}
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil || lo < 0 || hi > 16 || lo > hi {
		return 0, 0, fmt.Errorf("--zoom %q: want a range such as 5-12 within 0-16: %w", s, errUsage)
	}
	return lo, hi, nil
}

func parseDay(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s %q is not a date (YYYY-MM-DD): %w", name, s, errUsage)
	}
	return t, nil
}

func cmdExport(ctx context.Context, cfg config, logger *slog.Logger, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flags("export", stderr)
	caller := addCallerFlags(fs)
	format := fs.String("format", "", "pmtiles (vector tiles for MapLibre and web/offline) or gpkg (GeoPackage in EPSG:3006 for QGIS)")
	output := fs.String("output", "", "the file to write (must not exist)")
	from := fs.String("from", "", "first day of the period (YYYY-MM-DD; default: the 12 months ending the newest incident day)")
	to := fs.String("to", "", "last day of the period (YYYY-MM-DD)")
	set := fs.Int("set", 0, "police list year of the areas (default the newest)")
	zoom := fs.String("zoom", "5-12", "pmtiles: zoom levels")
	maxTiles := fs.Int("max-tiles", 50000, "pmtiles: refuse a pyramid of more tiles")
	recipient := fs.String("recipient", "", "to whom the file is given (recorded in the audit log and the file)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *format != "pmtiles" && *format != "gpkg" {
		return fmt.Errorf("export: --format must be pmtiles or gpkg: %w", errUsage)
	}
	if *output == "" {
		return fmt.Errorf("export: give --output FILE: %w", errUsage)
	}
	lo, hi, err := parseZoom(*zoom)
	if err != nil {
		return err
	}
	req := export.Request{Set: *set, MinZoom: lo, MaxZoom: hi, MaxTiles: *maxTiles, Recipient: *recipient, Operator: cliIdentity()}
	if req.From, err = parseDay("from", *from); err != nil {
		return err
	}
	if req.To, err = parseDay("to", *to); err != nil {
		return err
	}
	db, err := openDatabase(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer db.close(ctx, false, logger)
	svc := auth.NewService(db, false)
	if req.Identity, err = caller.identity(ctx, svc, getenv); err != nil {
		return err
	}
	if req.ScopeLabel, err = auth.ScopeLabel(ctx, req.Identity.Scope, db); err != nil {
		return err
	}
	if req.From.IsZero() && req.To.IsZero() {
		// The map's default period, as the caller would see it.
		p, err := summary.New(db, summary.Options{}).Period(auth.WithIdentity(ctx, req.Identity), summary.Query{})
		if err != nil {
			return fmt.Errorf("export: default period: %w", err)
		}
		req.From, req.To = p.From, p.To
	}
	var rep export.Report
	if *format == "pmtiles" {
		rep, err = export.PMTiles(ctx, tiles.NewService(db, db, 64<<20), db, req, *output)
	} else {
		rep, err = export.GeoPackage(ctx, db, req, *output)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSONLine(stdout, rep)
	}
	m := rep.Metadata
	fmt.Fprintf(stdout, "%s: %s, %d bytes; scope %s (%s) as %s %s; period %s–%s; list %d; data version %d; synthetic %v\n",
		m.Format, rep.File, rep.Bytes, m.ScopeLabel, m.Scope, m.Role, m.Subject, m.PeriodFrom, m.PeriodTo, m.Set, m.DataVersion, m.Synthetic)
	if m.Format == "pmtiles" {
		fmt.Fprintf(stdout, "tiles: %d with data (%d distinct), zoom %d-%d, layers %s\n", rep.Tiles, rep.TileContents, m.MinZoom, m.MaxZoom, strings.Join(m.Layers, ","))
	} else {
		names := make([]string, 0, len(rep.Features))
		for k := range rep.Features {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Fprintf(stdout, "  %-20s %d features\n", k, rep.Features[k])
		}
	}
	fmt.Fprintln(stdout, "recorded in the audit log as a disclosure (lagesbild audit --action disclosure)")
	return nil
}
