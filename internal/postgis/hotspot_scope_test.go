package postgis_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/summary"
)

// checkHotSpotsWhoeverAsks is the regression of hot spots that depended on who asked: Gi* ran
// over the cells the caller could see, so LPO Järva's chief got other hot spots for Tensta than
// a regional or national analyst. They must be the same for every caller who may see the area
// (Gi* over the whole kommun grid), while a lokal caller still gets no count, cell or area
// outside the scope. id is Tensta's area on the 2025 list of realDataFixture, which also has
// incidents in Stockholm's inner city and south, outside LPO Järva.
func checkHotSpotsWhoeverAsks(t *testing.T, db *postgis.DB, url, id string) {
	bg := context.Background()
	national := pgtest.National(bg)
	regional := auth.WithIdentity(bg, auth.Identity{Role: auth.RoleRegional, Scope: auth.Scope{Regions: []string{"5300"}}})
	lokal := auth.WithIdentity(bg, auth.Identity{Role: auth.RoleLokal, Scope: auth.Scope{LPOs: []string{"531350"}}})
	svc := summary.New(db, summary.Options{})
	hot := map[string]string{}
	var lokalSummary *summary.Summary
	for name, ctx := range map[string]context.Context{"national": national, "regional": regional, "lokal": lokal} {
		sm, err := svc.Area(ctx, id, summary.Query{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := json.Marshal(sm.HotSpots)
		if err != nil {
			t.Fatal(err)
		}
		hot[name] = string(b)
		if name == "lokal" {
			lokalSummary = sm
		}
		if name == "national" {
			if sm.HotSpots.Share95 == nil || *sm.HotSpots.Share95 == 0 || sm.HotSpots.Cells == nil || len(sm.HotSpots.Cells.Features) == 0 {
				t.Errorf("Tensta's hot spots %s, want hot cells: the fixture does not exercise Gi*", b)
			}
		}
	}
	for _, name := range []string{"regional", "lokal"} {
		if hot[name] != hot["national"] {
			t.Errorf("hot spots of a %s caller\n%s\nof a national one\n%s", name, hot[name], hot["national"])
		}
	}

	// What the lokal caller got: hot cells of Tensta only, no area or kommun outside the scope.
	areaCells, err := db.AreaCells(lokal, 2025, summary.Part{})
	if err != nil {
		t.Fatal(err)
	}
	tensta := map[string]bool{}
	for _, ac := range areaCells {
		if ac.AreaID == id {
			tensta[cellHex(ac.Cell)] = true
		}
	}
	for _, f := range lokalSummary.HotSpots.Cells.Features {
		if h, _ := f.Properties["h3"].(string); !tensta[h] {
			t.Errorf("the lokal caller got hot cell %s, not a cell of Tensta", h)
		}
		if _, ok := f.Properties["n"]; ok {
			t.Errorf("a hot cell carries a count: %v", f.Properties)
		}
	}
	list, err := svc.List(lokal, 2025, summary.Query{})
	if err != nil {
		t.Fatal(err)
	}
	conn := pgtest.Conn(t, url)
	for _, r := range list.Rows {
		var lpo string
		if err := conn.QueryRow(bg, `SELECT lpo_code FROM area WHERE id = $1`, r.Area.ID).Scan(&lpo); err != nil || lpo != "531350" {
			t.Errorf("the lokal caller's list has %s of lokalpolisområde %s (%v)", r.Area.ID, lpo, err)
		}
	}
	var outside string
	if err := conn.QueryRow(bg, `SELECT id FROM area WHERE set_year = 2025 AND kommun_code = '0180' AND lpo_code <> '531350' ORDER BY id LIMIT 1`).Scan(&outside); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Area(lokal, outside, summary.Query{}); !summary.IsNotFound(err) {
		t.Errorf("the lokal caller's summary of %s, outside the scope: %v, want not found", outside, err)
	}

	// The grid's reads: whole kommuner, but only those the caller may see an area in, and
	// nothing without a scope. The counts are the service's (Gi*'s input), never published.
	p := lokalSummaryPeriod(t, lokalSummary)
	cells, err := db.KommunCellCounts(lokal, 2025, summary.Part{}, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cells {
		if c.Kommun != "0180" {
			t.Errorf("the lokal caller's grid has a cell of kommun %s", c.Kommun)
		}
	}
	nationalCells, err := db.KommunCellCounts(national, 2025, summary.Part{}, p)
	if err != nil {
		t.Fatal(err)
	}
	var stockholm []summary.CellCount
	for _, c := range nationalCells {
		if c.Kommun == "0180" {
			stockholm = append(stockholm, c)
		}
	}
	byCell := func(a, b summary.CellCount) int { return cmp.Compare(a.Cell, b.Cell) }
	slices.SortFunc(cells, byCell)
	slices.SortFunc(stockholm, byCell)
	if !slices.Equal(cells, stockholm) || len(cells) == 0 {
		t.Errorf("Stockholm's grid: %d cells for the lokal caller, %d for a national one", len(cells), len(stockholm))
	}
	for name, ctx := range map[string]context.Context{
		"no scope":       auth.WithIdentity(bg, auth.Identity{Role: auth.RoleLokal}),
		"no identity":    bg,
		"another region": auth.WithIdentity(bg, auth.Identity{Role: auth.RoleRegional, Scope: auth.Scope{Regions: []string{"5600"}}}),
	} {
		got, err := db.KommunCellCounts(ctx, 2025, summary.Part{}, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range got {
			if c.Kommun == "0180" {
				t.Errorf("%s: a cell of Stockholm's grid: %+v", name, c)
				break
			}
		}
		if g, err := db.KommunGroupCellCounts(ctx, "0180", p); err != nil || len(g) != 0 {
			t.Errorf("%s: Stockholm's cells by group: %d rows, %v", name, len(g), err)
		}
	}
	if g, err := db.KommunGroupCellCounts(lokal, "1280", p); err != nil || len(g) != 0 {
		t.Errorf("the lokal caller's cells of Malmö by group: %d rows, %v", len(g), err)
	}
	// The tables themselves stay under row-level security: the lokal caller reads no count of
	// a cell that does not touch an area of its lokalpolisområde.
	visible := readerRows(t, conn, `SELECT DISTINCT cell FROM hotspot_month`, map[string]string{"lagesbild.lpos": "531350"})
	var inScope, all int
	if err := conn.QueryRow(bg, `SELECT count(DISTINCT h.cell) FILTER (WHERE c.lpo_codes && '{531350}'), count(DISTINCT h.cell)
		FROM hotspot_month h JOIN h3_cell c ON c.cell = h.cell`).Scan(&inScope, &all); err != nil {
		t.Fatal(err)
	}
	if len(visible) != inScope || inScope >= all {
		t.Errorf("hotspot_month: the lokal caller sees %d cells, %d touch its areas, of %d", len(visible), inScope, all)
	}
	// The functions are not for everyone.
	var public bool
	if err := conn.QueryRow(bg, `SELECT has_function_privilege('public', 'hotspot_grid(integer, date[], date[], date[], date[])', 'EXECUTE')`).Scan(&public); err != nil || public {
		t.Errorf("hotspot_grid executable by public: %v, %v", public, err)
	}
}

func cellHex(c uint64) string { return fmt.Sprintf("%x", c) }

func lokalSummaryPeriod(t *testing.T, sm *summary.Summary) summary.Period {
	t.Helper()
	from, err1 := time.Parse(time.DateOnly, sm.Period.From)
	to, err2 := time.Parse(time.DateOnly, sm.Period.To)
	if err1 != nil || err2 != nil {
		t.Fatalf("period %+v", sm.Period)
	}
	return summary.Period{From: from, To: to}
}
