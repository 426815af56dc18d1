package postgis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/geodata"
	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/refdata"
)

func TestPresenceImport(t *testing.T) {
	db, _ := pgtest.New(t)
	ctx := context.Background()
	b, err := refdata.Load(geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	in := demo.FromRefdata(b, 2025)
	offices, ops := demo.Offices(in, demo.Options{Seed: 3}), demo.Operations(in, demo.Options{Seed: 3})
	rep, err := db.ImportPresence(ctx, "demo", offices, ops)
	if err != nil || rep.Inserted != len(offices)+len(ops) {
		t.Fatalf("%+v %v", rep, err)
	}
	if got := count(t, db, `SELECT count(DISTINCT agency) FROM office`); got != 13 {
		t.Errorf("offices of %d agencies, want all 13", got)
	}
	if got := count(t, db, `SELECT count(*) FROM office WHERE kommun_code IS NULL OR region_code IS NULL`); got != 0 {
		t.Errorf("%d offices without kommun or region", got)
	}
	if got := count(t, db, `SELECT count(*) FROM operation WHERE region_code IS NULL`); got != 0 {
		t.Errorf("%d operations without region", got)
	}
	version, _ := db.DataVersion(ctx)
	rep, err = db.ImportPresence(ctx, "demo", offices, ops)
	if err != nil || rep.Unchanged != len(offices)+len(ops) || rep.DataVersion != version {
		t.Fatalf("re-import: %+v %v", rep, err)
	}
	// An unknown area and a point at sea reject the file; nothing changes.
	badOps := []lagesbild.Operation{{Source: "t", SourceID: "x", Name: "Insats", AreaID: "2025-SO999", Agencies: []string{"pm"},
		Start: time.Now(), End: time.Now(), Line: 7}}
	badOffices := []lagesbild.Office{{Source: "t", SourceID: "y", Agency: "pm", Name: "Till sjöss", Point: orb.Point{20.5, 57.0}, Line: 4}}
	rep, err = db.ImportPresence(ctx, "bad", badOffices, badOps)
	if !errors.Is(err, lagesbild.ErrInvalid) || len(rep.Errors) != 2 || rep.Errors[0].Line != 4 || rep.Errors[1].Line != 7 {
		t.Fatalf("bad presence: %+v %v", rep, err)
	}
	if got := count(t, db, `SELECT count(*) FROM office WHERE source = 't'`) + count(t, db, `SELECT count(*) FROM operation WHERE source = 't'`); got != 0 {
		t.Errorf("a rejected file stored %d records", got)
	}
}

func TestAreaPopulationImport(t *testing.T) {
	db, _ := pgtest.New(t)
	ctx := context.Background()
	b, err := refdata.Load(geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	pops := demo.AreaPopulation(demo.FromRefdata(b, 2025))
	rep, err := db.ImportAreaPopulation(ctx, "demo", pops)
	if err != nil || rep.Inserted != 65 {
		t.Fatalf("%+v %v", rep, err)
	}
	if got := count(t, db, `SELECT count(*) FROM area_population WHERE NOT estimated OR method = ''`); got != 0 {
		t.Errorf("%d demo populations not labelled as estimates", got)
	}
	rep, err = db.ImportAreaPopulation(ctx, "bad", []lagesbild.AreaPopulation{{AreaID: "2025-SO999", Population: 10, Method: "m", Source: "s", Line: 2}})
	if !errors.Is(err, lagesbild.ErrInvalid) || len(rep.Errors) != 1 || rep.Errors[0].Line != 2 {
		t.Fatalf("unknown area: %+v %v", rep, err)
	}
}
