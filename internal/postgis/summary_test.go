package postgis_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/summary"
)

// readerRows returns the rows of sql, rendered as text and sorted, as lagesbild_reader with the
// given settings.
func readerRows(t *testing.T, conn *pgx.Conn, sql string, settings map[string]string) []string {
	t.Helper()
	ctx := context.Background()
	tx := asReader(t, conn, settings)
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(v...))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestSummaryAggregatesUnderRLS checks that each caller sees in the summary aggregates of
// migration 00012 exactly what the tables they are computed from show that caller: the same
// counts per area, kommun and hot-spot cell, for every kind of scope.
func TestSummaryAggregatesUnderRLS(t *testing.T) {
	db, url := pgtest.New(t)
	scopedFixture(t, db)
	conn := pgtest.Conn(t, url)
	pairs := []struct{ name, agg, base string }{
		{"area_agg",
			`SELECT area_id, day, category_group, source, agency, sum(n)::int FROM area_agg GROUP BY 1, 2, 3, 4, 5`,
			`SELECT ia.area_id, i.occurred_day, i.category_group, i.source, i.agency, count(*)::int
			 FROM area a JOIN incident_area ia ON ia.area_id = a.id JOIN incident i ON i.id = ia.incident_id GROUP BY 1, 2, 3, 4, 5`},
		{"area_month_agg",
			`SELECT area_id, month, category_group, source, agency, sum(n)::int FROM area_month_agg GROUP BY 1, 2, 3, 4, 5`,
			`SELECT ia.area_id, date_trunc('month', i.occurred_day::timestamp)::date, i.category_group, i.source, i.agency, count(*)::int
			 FROM area a JOIN incident_area ia ON ia.area_id = a.id JOIN incident i ON i.id = ia.incident_id GROUP BY 1, 2, 3, 4, 5`},
		// The days of partial months come from incident (migration 00035), for the kommuner
		// admin_month_agg shows the caller; the newest day lies in its newest month.
		{"kommun_partial_days",
			`SELECT code, category_group, sum(n)::int FROM admin_month_agg WHERE level = 'kommun' GROUP BY 1, 2`,
			`SELECT code, category_group, n FROM kommun_partial_days(array(SELECT code FROM kommun), '{-infinity}', '{infinity}', NULL, NULL)`},
		{"kommun_partial_days exact",
			`SELECT code, category_group, sum(n)::int FROM admin_month_agg WHERE level = 'kommun' AND precision = 'exact' GROUP BY 1, 2`,
			`SELECT code, category_group, n FROM kommun_partial_days(array(SELECT code FROM kommun), '{-infinity}', '{infinity}', NULL, '{exact}')`},
		{"admin_newest_day",
			`SELECT max(month) FROM admin_month_agg HAVING max(month) IS NOT NULL`,
			`SELECT date_trunc('month', d::timestamp)::date FROM admin_newest_day() d WHERE d IS NOT NULL`},
		{"h3_cell_kommun",
			`SELECT cell, kommun_code FROM h3_cell_kommun`,
			`SELECT DISTINCT h.cell, kp.kommun_code FROM h3_cell h JOIN kommun_part kp ON ST_Intersects(kp.geom, ST_Centroid(h.geom)) WHERE h.res = 8`},
		{"hotspot_month",
			`SELECT kommun_code, month, cell, n FROM hotspot_month`,
			`SELECT k.kommun_code, date_trunc('month', g.day::timestamp)::date, g.cell, sum(g.n)::int
			 FROM h3_res8_days('-infinity', 'infinity') g
			 JOIN (SELECT DISTINCT h.cell, kp.kommun_code FROM h3_cell h
			       JOIN kommun_part kp ON ST_Intersects(kp.geom, ST_Centroid(h.geom)) WHERE h.res = 8) k ON k.cell = g.cell
			 GROUP BY 1, 2, 3`},
	}
	scopes := []struct {
		name     string
		settings map[string]string
	}{
		{"none", nil},
		{"national", map[string]string{"lagesbild.scope_all": "on"}},
		{"region 5400", map[string]string{"lagesbild.regions": "5400"}},
		{"lpo 531350", map[string]string{"lagesbild.lpos": "531350"}},
		{"region 5600 and lpo 531350", map[string]string{"lagesbild.regions": "5600", "lagesbild.lpos": "531350"}},
		// Rosengård's 2023 polygon lies in lokalpolisområde 561520, those of the other lists in
		// 561540: its incidents carry both, and this caller sees them in the 2023 area only.
		{"lpo 561520", map[string]string{"lagesbild.lpos": "561520"}},
	}
	for _, p := range pairs {
		for _, s := range scopes {
			t.Run(p.name+"/"+s.name, func(t *testing.T) {
				got, want := readerRows(t, conn, p.agg, s.settings), readerRows(t, conn, p.base, s.settings)
				if !slices.Equal(got, want) {
					t.Errorf("the aggregate shows\n%v\nthe base tables\n%v", got, want)
				}
				if s.settings == nil && len(got) > 0 {
					t.Errorf("%d rows visible without a scope", len(got))
				}
				if s.name == "national" && len(got) == 0 {
					t.Errorf("nothing visible to a national caller: the fixture does not exercise %s", p.name)
				}
			})
		}
	}
}

// TestSummaryStoreScoped reads a list's counts through the store as a regional caller: only the
// region's area (Rosengård, 2025-SO2) and incidents count, from the monthly and the daily tables
// alike.
func TestSummaryStoreScoped(t *testing.T) {
	db, _ := pgtest.New(t)
	scopedFixture(t, db) // five incidents each in Tensta (5300), Skäggetorp (5400), Rosengård (5600), 2025-05-01
	ctx := auth.WithIdentity(context.Background(), auth.Identity{Role: auth.RoleRegional, Scope: auth.Scope{Regions: []string{"5600"}}})
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, p := range []summary.Period{
		{From: day("2025-01-01"), To: day("2025-12-31")}, // whole months
		{From: day("2025-04-20"), To: day("2025-05-10")}, // days only
		{From: day("2025-05-01"), To: day("2025-05-01")}, // one day
		{From: day("2024-05-02"), To: day("2025-05-01")}, // the day is the last of a partial month
	} {
		counts, err := db.AreaGroupCounts(ctx, 2025, p, p.Previous())
		if err != nil {
			t.Fatal(err)
		}
		if len(counts) != 1 || counts[0].AreaID != "2025-SO2" || counts[0].Now != 5 || counts[0].Before != 0 || counts[0].Group != "skjutning" {
			t.Errorf("%v: counts %+v, want Rosengård's 5", p, counts)
		}
		monthly, err := db.AreaMonthlyCounts(ctx, 2025, summary.Part{}, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(monthly) != 1 || monthly[0].N != 5 || !monthly[0].Month.Equal(day("2025-05-01")) {
			t.Errorf("%v: monthly %+v", p, monthly)
		}
		cells, err := db.KommunCellCounts(ctx, 2025, summary.Part{}, p)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range cells {
			n += c.N
			if c.Kommun != "1280" {
				t.Errorf("%v: cell %x in kommun %s, want Malmö 1280", p, c.Cell, c.Kommun)
			}
		}
		if n != 5 {
			t.Errorf("%v: the cells count %d incidents, want 5", p, n)
		}
		kommun, err := db.KommunGroupCounts(ctx, 2025, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(kommun) != 1 || kommun[0].Kommun != "1280" || kommun[0].N != 5 {
			t.Errorf("%v: kommun counts %+v", p, kommun)
		}
		// The per-group cells of one kommun (a single area's hot spots) hold the same incidents
		// as the list's cells; Skäggetorp's kommun is outside the caller's scope.
		groupCells, err := db.KommunGroupCellCounts(ctx, "1280", p)
		if err != nil {
			t.Fatal(err)
		}
		byCell := map[uint64]int{}
		for _, c := range groupCells {
			byCell[c.Cell] += c.N
			if c.Group != "skjutning" {
				t.Errorf("%v: group cell %+v, want skjutning", p, c)
			}
		}
		for _, c := range cells {
			if byCell[c.Cell] != c.N {
				t.Errorf("%v: cell %x has %d incidents by group, %d in all", p, c.Cell, byCell[c.Cell], c.N)
			}
		}
		if len(byCell) != len(cells) {
			t.Errorf("%v: %d cells by group, %d in all", p, len(byCell), len(cells))
		}
		if other, err := db.KommunGroupCellCounts(ctx, "0580", p); err != nil || len(other) != 0 {
			t.Errorf("%v: Linköping's cells as a caller of region 5600: %+v, %v", p, other, err)
		}
	}
	// A national caller sees Linköping's: Skäggetorp's five.
	national := auth.WithIdentity(context.Background(), auth.Identity{Role: auth.RoleNationell, Scope: auth.Scope{All: true}})
	lkp, err := db.KommunGroupCellCounts(national, "0580", summary.Period{From: day("2025-05-01"), To: day("2025-05-01")})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range lkp {
		n += c.N
	}
	if n != 5 {
		t.Errorf("Linköping's cells as a national caller: %+v", lkp)
	}
	// The previous period of the last one holds the day: it counts as before.
	p := summary.Period{From: day("2025-05-02"), To: day("2026-05-01")}
	counts, err := db.AreaGroupCounts(ctx, 2025, p, p.Previous())
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 1 || counts[0].Now != 0 || counts[0].Before != 5 {
		t.Errorf("counts %+v, want 5 before", counts)
	}
}
