package postgis_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/lagesbild/lagesbild/geodata"
	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/importer"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/refdata"
	"github.com/lagesbild/lagesbild/internal/summary"
)

// TestAreaSummaryPart: the summary of one area whose list is not cached reads only the area's
// Part of the list (its own rows, its kommun's hot-spot grid), and must give exactly the row of
// the whole list's computation, for every area and every kind of caller, over whole months and
// over partial ones. The hot-spot grid of one kommun (hotspot_grid_kommun, migration 00030) must
// be the whole list's grid's rows of that kommun.
func TestAreaSummaryPart(t *testing.T) {
	db, _ := pgtest.New(t)
	b, err := refdata.Load(geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	in := demo.FromRefdata(b, 2025)
	o := demo.Options{Seed: 5, Scale: 0.02}
	r, stop := importer.FromGenerator(func(yield func(lagesbild.Incident) error) error { return demo.Incidents(in, o, yield) })
	defer stop()
	bg := context.Background()
	if _, err := importer.Incidents(bg, db, r, "demo", importer.Options{}, pgtest.Logger(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportPresence(bg, "demo", demo.Offices(in, o), demo.Operations(in, o)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportAreaPopulation(bg, "demo", demo.AreaPopulation(in)); err != nil {
		t.Fatal(err)
	}
	callers := map[string]context.Context{
		"national": pgtest.National(bg),
		"regional": auth.WithIdentity(bg, auth.Identity{Subject: "t", Role: auth.RoleRegional, Scope: auth.Scope{Regions: []string{"5300"}}}),
		"lokal":    auth.WithIdentity(bg, auth.Identity{Subject: "t", Role: auth.RoleLokal, Scope: auth.Scope{LPOs: []string{"531350"}}}),
	}
	newest, ok, err := db.NewestIncidentDay(callers["national"])
	if err != nil || !ok {
		t.Fatalf("newest day: %v %v", ok, err)
	}
	whole := summary.Query{} // the default period: whole months
	from, to := newest.AddDate(0, -7, -11), newest.AddDate(0, 0, -3)
	partial := summary.Query{From: &from, To: &to}
	for name, ctx := range callers {
		for qname, q := range map[string]summary.Query{"whole months": whole, "partial months": partial} {
			listed := summary.New(db, summary.Options{})
			l, err := listed.List(ctx, 2025, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Rows) == 0 {
				t.Fatalf("%s: no areas", name)
			}
			hot := 0
			for _, row := range l.Rows {
				fromList, err := listed.Area(ctx, row.Area.ID, q) // the row of the cached list
				if err != nil {
					t.Fatal(err)
				}
				cold, err := summary.New(db, summary.Options{}).Area(ctx, row.Area.ID, q) // its Part only
				if err != nil {
					t.Fatal(err)
				}
				want, _ := json.Marshal(fromList)
				got, _ := json.Marshal(cold)
				if string(got) != string(want) {
					t.Errorf("%s, %s, %s: the summary of its part\n%s\nthe list's row\n%s", name, qname, row.Area.ID, got, want)
				}
				if cold.HotSpots.Share95 != nil && *cold.HotSpots.Share95 > 0 {
					hot++
				}
			}
			if name == "national" && hot == 0 {
				t.Errorf("%s: no area with hot spots: the fixture does not exercise the grid", qname)
			}
		}
	}

	// The store: the grid of each kommun alone is the whole list's rows of that kommun.
	for _, cname := range []string{"national", "lokal"} {
		ctx := callers[cname]
		p := summary.Period{From: from, To: to}
		all, err := db.KommunCellCounts(ctx, 2025, summary.Part{}, p)
		if err != nil {
			t.Fatal(err)
		}
		byKommun := map[string][]string{}
		for _, c := range all {
			byKommun[c.Kommun] = append(byKommun[c.Kommun], fmt.Sprint(c.Cell, c.N))
		}
		areas, err := db.SummaryAreas(ctx, 2025)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, a := range areas {
			if seen[a.KommunCode] {
				continue
			}
			seen[a.KommunCode] = true
			one, err := db.KommunCellCounts(ctx, 2025, summary.Part{Area: a.ID, Kommun: a.KommunCode}, p)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range one {
				if c.Kommun != a.KommunCode {
					t.Fatalf("%s: a row of kommun %s in the grid of %s", cname, c.Kommun, a.KommunCode)
				}
				got = append(got, fmt.Sprint(c.Cell, c.N))
			}
			slices.Sort(got)
			want := byKommun[a.KommunCode]
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: the grid of kommun %s alone has %d rows, the list's %d", cname, a.KommunCode, len(got), len(want))
			}
		}
	}
	// A kommun without an area the caller may see: nothing, as hotspot_grid.
	one, err := db.KommunCellCounts(callers["lokal"], 2025, summary.Part{Area: "x", Kommun: "1280"}, summary.Period{From: from, To: to})
	if err != nil || len(one) != 0 {
		t.Errorf("Malmö's grid for LPO Järva: %d rows, %v", len(one), err)
	}
}
