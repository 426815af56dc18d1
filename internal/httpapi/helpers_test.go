package httpapi_test

import (
	"context"
	"testing"

	"github.com/lagesbild/lagesbild/geodata"
	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/importer"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/refdata"
)

// loadDemo imports the deterministic demo data (incidents, offices and operations, and with
// population the estimated residents per area) through the same paths as real files.
func loadDemo(t *testing.T, db *postgis.DB, o demo.Options, population bool) {
	t.Helper()
	b, err := refdata.Load(geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	in := demo.FromRefdata(b, 2025)
	r, stop := importer.FromGenerator(func(yield func(lagesbild.Incident) error) error { return demo.Incidents(in, o, yield) })
	defer stop()
	ctx := context.Background()
	if _, err := importer.Incidents(ctx, db, r, "demo", importer.Options{}, pgtest.Logger(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportPresence(ctx, "demo", demo.Offices(in, o), demo.Operations(in, o)); err != nil {
		t.Fatal(err)
	}
	if population {
		if _, err := db.ImportAreaPopulation(ctx, "demo", demo.AreaPopulation(in)); err != nil {
			t.Fatal(err)
		}
	}
}

// importIncidents imports records as one file.
func importIncidents(t *testing.T, db *postgis.DB, file string, recs []lagesbild.Incident) {
	t.Helper()
	r, stop := importer.FromGenerator(func(yield func(lagesbild.Incident) error) error {
		for _, inc := range recs {
			if err := yield(inc); err != nil {
				return err
			}
		}
		return nil
	})
	defer stop()
	if _, err := importer.Incidents(context.Background(), db, r, file, importer.Options{}, pgtest.Logger(t)); err != nil {
		t.Fatal(err)
	}
}
