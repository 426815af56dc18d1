package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/samverkan"
)

// demoAgencyUsers are the demo accounts of the other agencies (role myndighet).
var demoAgencyUsers = []demoAccount{
	{"demo-skv", auth.RoleMyndighet, "skv", "5300,5400", "analytiker, Skatteverket (regionerna Stockholm och Öst)"},
	{"demo-fk", auth.RoleMyndighet, "fk", "5300", "analytiker, Försäkringskassan (region Stockholm)"},
	{"demo-mv", auth.RoleMyndighet, "mv", "all", "analytiker, Migrationsverket (hela landet)"},
	{"demo-kfm", auth.RoleMyndighet, "kfm", "all", "analytiker, Kronofogdemyndigheten (hela landet)"},
	{"demo-kvv", auth.RoleMyndighet, "kvv", "5400", "analytiker, Kriminalvården (region Öst)"},
}

// loadDemoObservations stores the demo's two SYNTHETIC samverkansbeslut and the agencies'
// synthetic observations under them (idempotent: a second run changes nothing).
func loadDemoObservations(ctx context.Context, db *database, in demo.Input, o demo.Options, stdout io.Writer) error {
	svc := &samverkan.Service{DecisionStore: db, Store: db, Units: db}
	for _, d := range demo.Decisions {
		_, err := svc.CreateDecision(ctx, samverkan.DecisionInput{ID: d.ID, Name: d.Name, Purpose: d.Purpose, Agencies: d.Agencies,
			Scope: d.Region, ValidFrom: d.ValidFrom, ValidUntil: d.ValidUntil, DecidedBy: d.DecidedBy, DecidedAt: d.ValidFrom, Demo: true}, "demo")
		if err != nil && !errors.Is(err, lagesbild.ErrConflict) {
			return fmt.Errorf("demo decision %s: %w", d.ID, err)
		}
	}
	obs, err := demo.Observations(in, o)
	if err != nil {
		return err
	}
	rep, err := db.ImportObservations(ctx, "synthetic-demo observations", lagesbild.SourceSyntheticDemo, obs, nil)
	if err != nil {
		return fmt.Errorf("demo observations: %w", err)
	}
	fmt.Fprintf(stdout, "demo: %d SYNTHETIC observations of five agencies under %d synthetic samverkansbeslut (%d new)\n",
		rep.Read, len(demo.Decisions), rep.Inserted)
	return nil
}
