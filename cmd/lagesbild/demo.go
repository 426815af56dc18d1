package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/lagesbild/lagesbild/geodata"
	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/importer"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/refdata"
)

const demoUsage = `usage:
  lagesbild demo [--scale F] [--seed N] [--if-empty] [--batch N]
                                                         generate the synthetic demo data and import it
                                                         (--batch: one transaction per N incidents)
  lagesbild demo export --dir DIR [--scale F] [--seed N] [--rows N]
                                                         write it as import files instead
Everything generated has source "synthetic-demo" and is shown as synthetic.`

func cmdDemo(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout, stderr io.Writer) error {
	export := len(args) > 0 && args[0] == "export"
	if export {
		args = args[1:]
	}
	fs := flags("demo", stderr)
	scale := fs.Float64("scale", 1, "incident volume: 1 gives about 400 000 incidents over two years")
	seed := fs.Int64("seed", 1, "random seed; the same seed gives the same data")
	ifEmpty := fs.Bool("if-empty", false, "do nothing when the database already holds incidents")
	dir := fs.String("dir", "", "export: directory to write the files to")
	rows := fs.Int("rows", 0, "export: stop the incident CSV after this many rows (0: all)")
	batch := fs.Int("batch", 0, "import the incidents in transactions of this many (0: one transaction)")
	if err := parse(fs, args); err != nil {
		fmt.Fprintln(stderr, demoUsage)
		return err
	}
	if *scale <= 0 || *scale > 30 {
		return fmt.Errorf("demo: --scale %v is outside (0, 30]", *scale)
	}
	if *batch < 0 {
		return fmt.Errorf("demo: --batch %d is negative", *batch)
	}
	b, err := refdata.Load(geodata.FS)
	if err != nil {
		return err
	}
	in := demo.FromRefdata(b, 2025)
	o := demo.Options{Seed: *seed, Scale: *scale}
	if export {
		if *dir == "" {
			fmt.Fprintln(stderr, demoUsage)
			return errUsage
		}
		return exportDemo(*dir, in, o, *rows, stdout)
	}

	db, err := openDatabase(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer db.close(ctx, false, logger)
	if err := loadDemo(ctx, db, in, o, *ifEmpty, *batch, logger, stdout); err != nil {
		return err
	}
	return ensureDemoUsers(ctx, db, stdout)
}

// loadDemo imports the synthetic demo data through the same paths as real files.
func loadDemo(ctx context.Context, db *database, in demo.Input, o demo.Options, ifEmpty bool, batch int, logger *slog.Logger, stdout io.Writer) error {
	// The agencies' observations (issue 15) are idempotent, so they are loaded also into a
	// database that already holds the demo incidents.
	if err := loadDemoObservations(ctx, db, in, o, stdout); err != nil {
		return err
	}
	if ifEmpty {
		n, err := db.IncidentCount(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			fmt.Fprintf(stdout, "demo: the database already holds %d incidents; nothing generated\n", n)
			return nil
		}
	}
	svc, err := newImportService(db.DB, logger)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "demo: generating SYNTHETIC demo data (source synthetic-demo); it describes no real events")
	r, stop := importer.FromGenerator(func(yield func(lagesbild.Incident) error) error { return demo.Incidents(in, o, yield) })
	defer stop()
	var read, inserted int
	if batch == 0 {
		rep, err := importer.Incidents(ctx, db, r, "synthetic-demo incidents", importer.Options{}, logger)
		if err != nil {
			return fmt.Errorf("demo incidents: %w", err)
		}
		read, inserted = rep.Read, rep.Inserted
	} else {
		next, more := importer.Chunks(r, batch)
		for k := 1; more(); k++ {
			rep, err := importer.Incidents(ctx, db, next(), fmt.Sprintf("synthetic-demo incidents, part %d", k), importer.Options{}, logger)
			if err != nil {
				return fmt.Errorf("demo incidents, part %d: %w", k, err)
			}
			read, inserted = read+rep.Read, inserted+rep.Inserted
		}
	}
	fmt.Fprintf(stdout, "demo: %d exact incidents (%d new)\n", read, inserted)

	var polisen bytes.Buffer
	if err := demo.WritePolisenJSON(&polisen, in, o, 2000); err != nil {
		return err
	}
	rep, err := svc.ImportIncidents(ctx, &polisen, "synthetic-demo polisen.json", importer.FormatPolisen, "polisen", false, nil, nil)
	if err != nil {
		return fmt.Errorf("demo Polisen events: %w", err)
	}
	fmt.Fprintf(stdout, "demo: %d Polisen-format events at kommun/län precision (%d new)\n", rep.Read, rep.Inserted)

	offices, ops := demo.Offices(in, o), demo.Operations(in, o)
	if rep, err = db.ImportPresence(ctx, "synthetic-demo presence", offices, ops); err != nil {
		return fmt.Errorf("demo presence: %w", err)
	}
	fmt.Fprintf(stdout, "demo: %d offices and %d operations (%d new)\n", len(offices), len(ops), rep.Inserted)

	if rep, err = db.ImportAreaPopulation(ctx, "synthetic-demo population", demo.AreaPopulation(in)); err != nil {
		return fmt.Errorf("demo population: %w", err)
	}
	fmt.Fprintf(stdout, "demo: estimated residents for %d areas (an estimate, labelled so)\n", rep.Read)
	return auditCLI(ctx, db, "write", "import/demo", map[string]any{"source": lagesbild.SourceSyntheticDemo, "scale": o.Scale, "seed": o.Seed})
}

func exportDemo(dir string, in demo.Input, o demo.Options, rows int, stdout io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(name string, fn func(io.Writer) error) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", name, err)
		}
		return f.Close()
	}
	var n int
	steps := []struct {
		name string
		fn   func(io.Writer) error
	}{
		{"incidents.csv", func(w io.Writer) error {
			var err error
			n, err = demo.WriteIncidentsCSV(w, in, o, rows)
			return err
		}},
		{"polisen.json", func(w io.Writer) error { return demo.WritePolisenJSON(w, in, o, 2000) }},
		{"population.csv", func(w io.Writer) error { return demo.WriteAreaPopulationCSV(w, in) }},
	}
	for _, s := range steps {
		if err := write(s.name, s.fn); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "demo: wrote %d SYNTHETIC incidents to %s/incidents.csv, polisen.json and population.csv\n", n, dir)
	return nil
}
