package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/lagesbild/lagesbild/geodata"
	"github.com/lagesbild/lagesbild/internal/importer"
	"github.com/lagesbild/lagesbild/internal/ingest"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/refdata"
)

const importUsage = `usage:
  lagesbild import geodata
  lagesbild import incidents --format polisen|csv|geojson [--source NAME] [--skip-invalid] [--rejects FILE] [--json] FILE...
  lagesbild import presence [--format csv|geojson] [--source NAME] [--json] FILE...
  lagesbild import population [--json] FILE...
  lagesbild import deso [--json] FILE       SCB DeSO boundaries (GeoJSON, or GeoPackage with GDAL's ogr2ogr)
  lagesbild import observations [--format csv|geojson] --source NAME [--json] FILE...   agencies' observations
FILE may be - for standard input.`

// newImportService wires the parsers' reference data (place names, taxonomy) and the stores.
func newImportService(db *postgis.DB, logger *slog.Logger) (*importer.Service, error) {
	b, err := refdata.Load(geodata.FS)
	if err != nil {
		return nil, err
	}
	tax, err := ingest.LoadTaxonomy()
	if err != nil {
		return nil, err
	}
	return &importer.Service{Incidents: db, Presence: db, Population: db, Gazetteer: gazetteer(b), Taxonomy: tax,
		Logger: logger.With("component", "importer")}, nil
}

func gazetteer(b *refdata.Bundle) *ingest.Gazetteer {
	kommuner := make([]ingest.Place, len(b.Kommuner))
	for i, k := range b.Kommuner {
		kommuner[i] = ingest.Place{Code: k.Code, Name: k.Name}
	}
	lan := make([]ingest.Place, len(b.Lan))
	for i, l := range b.Lan {
		lan[i] = ingest.Place{Code: l.Code, Name: l.Name}
	}
	return ingest.NewGazetteer(kommuner, lan)
}

func cmdImport(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, importUsage)
		return errUsage
	}
	kind := args[0]
	if kind == "observations" {
		return cmdImportObservations(ctx, cfg, logger, args[1:], stdout, stderr)
	}
	fs := flags("import "+kind, stderr)
	format := fs.String("format", "", "incidents: polisen, csv or geojson; presence: csv or geojson (default: from the content)")
	source := fs.String("source", "", "system the records come from; (source, source_id) identifies a record (default: the format name)")
	skip := fs.Bool("skip-invalid", false, "store the valid records of a file with bad ones (default: one bad record rejects the file)")
	rejects := fs.String("rejects", "", "with --skip-invalid: write the rejected records (file, line, field, reason) to this CSV file")
	asJSON := fs.Bool("json", false, "print the report as one JSON object per file")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	files := fs.Args()
	switch {
	case kind == "geodata":
		if len(files) > 0 {
			fmt.Fprintln(stderr, "import geodata takes no files: it loads the bundled geodata/")
			return errUsage
		}
	case kind == "deso" && len(files) != 1:
		fmt.Fprintln(stderr, "lagesbild import deso: name one file of DeSO boundaries")
		return errUsage
	case kind != "incidents" && kind != "presence" && kind != "population" && kind != "deso":
		fmt.Fprintf(stderr, "lagesbild import: unknown kind %q\n%s\n", kind, importUsage)
		return errUsage
	case len(files) == 0:
		fmt.Fprintf(stderr, "lagesbild import %s: name at least one file (or - for standard input)\n", kind)
		return errUsage
	case kind == "incidents" && *format == "":
		fmt.Fprintln(stderr, "lagesbild import incidents: --format polisen, csv or geojson is required")
		return errUsage
	case *rejects != "" && !*skip:
		fmt.Fprintln(stderr, "lagesbild import: --rejects goes with --skip-invalid")
		return errUsage
	}

	db, err := openDatabase(ctx, cfg, logger, kind != "geodata")
	if err != nil {
		return err
	}
	defer db.close(ctx, false, logger)
	if kind == "geodata" {
		return printGeodataReport(ctx, db.DB, stdout)
	}
	svc, err := newImportService(db.DB, logger)
	if err != nil {
		return err
	}
	if *source == "" {
		*source = *format
		if *source == "" {
			*source = kind
		}
	}
	var rejectsOut *csv.Writer
	if *rejects != "" {
		f, err := os.Create(*rejects)
		if err != nil {
			return err
		}
		defer f.Close()
		rejectsOut = csv.NewWriter(f)
		defer rejectsOut.Flush()
		_ = rejectsOut.Write([]string{"file", "line", "field", "reason"})
	}

	var failed error
	for _, file := range files {
		var rep lagesbild.ImportReport
		var err error
		var areas *desoAreas // only for kind deso
		if kind == "deso" {
			var drep postgis.DesoReport
			drep, err = importDeso(ctx, db.DB, file)
			rep, areas = drep.ImportReport, newDesoAreas(drep)
			if !*asJSON {
				printDesoReport(stdout, file, drep, err)
			}
			if rejectsOut != nil {
				for _, e := range rep.Errors {
					_ = rejectsOut.Write([]string{e.File, fmt.Sprint(e.Line), e.Field, e.Reason})
				}
			}
		} else {
			// The report lists the first rejected records; --rejects gets every one as it is found.
			rejected := &lagesbild.Rejects{}
			if rejectsOut != nil {
				rejected.Spill = func(e lagesbild.ImportError) error {
					return rejectsOut.Write([]string{e.File, fmt.Sprint(e.Line), e.Field, e.Reason})
				}
			}
			rep, err = importFile(ctx, svc, kind, file, *format, *source, *skip, stderr, rejected)
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetEscapeHTML(false)
			if rep.Errors == nil {
				rep.Errors = []lagesbild.ImportError{}
			}
			_ = enc.Encode(struct {
				File string `json:"file"`
				lagesbild.ImportReport
				*desoAreas
				OK bool `json:"ok"`
			}{file, rep, areas, err == nil})
		} else if kind != "deso" {
			printReport(stdout, file, rep, err)
		}
		result := "ok"
		if err != nil {
			result = "rejected"
		}
		if aerr := auditCLI(ctx, db, "write", "import/"+kind, map[string]any{"file": file, "format": *format, "source": *source,
			"result": result, "read": rep.Read, "inserted": rep.Inserted, "updated": rep.Updated, "rejected": rep.Rejected}); aerr != nil && failed == nil {
			failed = aerr
		}
		if err != nil && failed == nil {
			failed = err
		}
	}
	return failed
}

func importFile(ctx context.Context, svc *importer.Service, kind, file, format, source string, skip bool, stderr io.Writer, rejects *lagesbild.Rejects) (lagesbild.ImportReport, error) {
	var r io.Reader = os.Stdin
	name := "-"
	var size int64 = -1
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return lagesbild.ImportReport{}, err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		r, name = f, filepath.Base(file)
	}
	prog := newProgress(stderr, name, size)
	defer prog.finish()
	r = io.TeeReader(r, prog)
	switch kind {
	case "incidents":
		return svc.ImportIncidents(ctx, r, name, format, source, skip, prog.records, rejects)
	case "presence":
		return svc.ImportPresence(ctx, r, name, format, source, rejects)
	default:
		return svc.ImportPopulation(ctx, r, name, rejects)
	}
}

// progress shows a bar on a terminal and a plain line every few seconds otherwise.
type progress struct {
	bar      *progressbar.ProgressBar
	w        io.Writer
	name     string
	n        int
	lastLine time.Time
}

func newProgress(w io.Writer, name string, size int64) *progress {
	p := &progress{w: w, name: name, lastLine: time.Now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.bar = progressbar.NewOptions64(size, progressbar.OptionSetWriter(w), progressbar.OptionShowBytes(true),
				progressbar.OptionSetDescription(name), progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionClearOnFinish())
		}
	}
	return p
}

func (p *progress) Write(b []byte) (int, error) {
	if p.bar != nil {
		_ = p.bar.Add(len(b))
	}
	return len(b), nil
}

func (p *progress) records(n int) {
	p.n = n
	if p.bar == nil && time.Since(p.lastLine) > 2*time.Second {
		fmt.Fprintf(p.w, "%s: %d records read\n", p.name, n)
		p.lastLine = time.Now()
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

func printReport(w io.Writer, file string, rep lagesbild.ImportReport, err error) {
	status := "imported"
	if err != nil {
		status = "REJECTED, nothing stored"
		if !errors.Is(err, lagesbild.ErrInvalid) {
			status = "FAILED: " + err.Error()
		}
	}
	fmt.Fprintf(w, "%s: %s\n  read %d, inserted %d, updated %d, unchanged %d, rejected %d\n",
		file, status, rep.Read, rep.Inserted, rep.Updated, rep.Unchanged, rep.Rejected)
	if len(rep.PerPrecision) > 0 {
		var parts []string
		for _, p := range []lagesbild.Precision{lagesbild.PrecisionExact, lagesbild.PrecisionKommun, lagesbild.PrecisionLan} {
			if n := rep.PerPrecision[p]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", p, n))
			}
		}
		fmt.Fprintf(w, "  precision: %s\n", strings.Join(parts, ", "))
	}
	if len(rep.UnknownTypes) > 0 {
		types := make([]string, 0, len(rep.UnknownTypes))
		for t, n := range rep.UnknownTypes {
			types = append(types, fmt.Sprintf("%q ×%d", t, n))
		}
		sort.Strings(types)
		fmt.Fprintf(w, "  unknown types (counted as övrigt): %s\n", strings.Join(types, ", "))
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "  %s:%d: %s: %s\n", e.File, e.Line, e.Field, e.Reason)
	}
	if rep.ErrorsOmitted > 0 {
		fmt.Fprintf(w, "  … and %d more rejected records (--rejects FILE lists them all)\n", rep.ErrorsOmitted)
	}
}

func printGeodataReport(ctx context.Context, db *postgis.DB, stdout io.Writer) error {
	rep, err := importGeodata(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%-18s %6s %8s %7s %9s %7s\n", "table", "read", "inserted", "updated", "unchanged", "deleted")
	for _, t := range rep.Tables {
		fmt.Fprintf(stdout, "%-18s %6d %8d %7d %9d %7d\n", t.Table, t.Read, t.Inserted, t.Updated, t.Unchanged, t.Deleted)
	}
	for _, w := range rep.Warnings {
		fmt.Fprintln(stdout, "warning:", w)
	}
	fmt.Fprintf(stdout, "data version %d (changed: %v)\n", rep.DataVersion, rep.Changed())
	return nil
}
