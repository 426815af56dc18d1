package importer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"

	"github.com/lagesbild/lagesbild/internal/importer"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/summary"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// modelData generates n exact incidents around the centre of one z12 tile (so that the tile
// holding the centre at every zoom from 5 to 12 holds them all), in every category group, two
// agencies and two years of days; seed varies the positions.
func modelData(n int, seed uint64, centre orb.Point) []any {
	rng := rand.New(rand.NewPCG(7, seed))
	agencies := []string{"pm", "tv"}
	out := make([]any, 0, n)
	for i := range n {
		g := lagesbild.CategoryGroups[rng.IntN(len(lagesbild.CategoryGroups))].Group
		p := orb.Point{centre[0] + rng.NormFloat64()*0.006, centre[1] + rng.NormFloat64()*0.003}
		inc := exact("m"+strconv.Itoa(i), p[0], p[1], g, i+2)
		inc.Agency = agencies[rng.IntN(2)]
		inc.OccurredAt = t0.Add(-time.Duration(rng.IntN(700*24)) * time.Hour)
		out = append(out, inc)
	}
	return out
}

// modelEvents generates n Polisen-like events at kommun precision in kommun, in every category
// group and two years of days.
func modelEvents(n int, seed uint64, kommun string) []any {
	rng := rand.New(rand.NewPCG(11, seed))
	out := make([]any, 0, n)
	for i := range n {
		g := lagesbild.CategoryGroups[rng.IntN(len(lagesbild.CategoryGroups))].Group
		out = append(out, lagesbild.Incident{Source: "test", SourceID: "k" + strconv.Itoa(i), Category: string(g), Group: g,
			Agency: "pm", Precision: lagesbild.PrecisionKommun, KommunCode: kommun, LocationName: "Stockholm", Line: i + 2,
			OccurredAt: t0.Add(-time.Duration(rng.IntN(700*24)) * time.Hour)})
	}
	return out
}

// checkKommunCounts compares the kommun counts of the summaries (exact incidents of the list's
// kommuner) and of a kommun's compstat (every precision), and the newest incident day, with a
// recount of incident, over periods with partial months: the admin series keep months only
// (migration 00035) and the days come from incident.
func checkKommunCounts(t *testing.T, db *postgis.DB, conn *pgx.Conn) {
	t.Helper()
	ctx := pgtest.National(context.Background())
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	periods := []summary.Period{
		{From: day("2024-09-17"), To: day("2025-02-11")}, // partial first and last month
		{From: day("2025-03-05"), To: day("2025-03-20")}, // inside one month
		{From: day("2024-12-15"), To: day("2025-01-14")}, // days of two months, no whole one
		{From: day("2025-01-31"), To: day("2025-06-01")}, // one day, then whole months to the newest day
		{From: day("2024-09-01"), To: day("2025-02-28")}, // whole months only
		{From: day("2024-10-02"), To: day("2024-10-31")},
	}
	recount := func(sql string, args ...any) map[string]int {
		t.Helper()
		rows, err := conn.Query(ctx, sql, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]int{}
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				t.Fatal(err)
			}
			out[k] = n
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, p := range periods {
		want := recount(`SELECT kommun_code || '/' || category_group, count(*)::int FROM incident
			WHERE precision = 'exact' AND kommun_code IN (SELECT kommun_code FROM area WHERE set_year = 2025)
			  AND occurred_day BETWEEN $1 AND $2 GROUP BY 1`, p.From, p.To)
		if len(want) == 0 {
			t.Fatalf("%v: no exact incidents in the list's kommuner; the fixture misses them", p)
		}
		counts, err := db.KommunGroupCounts(ctx, 2025, p)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, c := range counts {
			got[c.Kommun+"/"+c.Group] += c.N
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("kommun counts %v..%v differ from a recount of incident\n got %v\nwant %v", p.From, p.To, got, want)
		}
	}
	kommuner := recount(`SELECT kommun_code, count(*)::int FROM incident WHERE precision = 'kommun' GROUP BY 1`)
	if len(kommuner) == 0 {
		t.Fatal("no kommun-precision incidents; the fixture misses them")
	}
	for k := range kommuner {
		want := map[string]int{}
		for i, p := range periods {
			for key, n := range recount(`SELECT category_group, count(*)::int FROM incident
				WHERE kommun_code = $1 AND occurred_day BETWEEN $2 AND $3 GROUP BY 1`, k, p.From, p.To) {
				want[fmt.Sprint(i, "/", key)] = n
			}
		}
		counts, err := db.PeriodGroupCounts(ctx, summary.Unit{Level: summary.LevelKommun, ID: k}, periods)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, c := range counts {
			if c.N != 0 {
				got[fmt.Sprint(c.Period, "/", c.Group)] += c.N
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("compstat counts of kommun %s differ from a recount of incident\n got %v\nwant %v", k, got, want)
		}
	}
	var newest time.Time
	if err := conn.QueryRow(ctx, `SELECT max(occurred_day) FROM incident`).Scan(&newest); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := db.NewestIncidentDay(ctx); err != nil || !ok || !got.Equal(newest) {
		t.Errorf("newest incident day %v, %v, %v; want %v", got, ok, err, newest)
	}
}

// tileOf is the XYZ tile of zoom z holding p.
func tileOf(z int, p orb.Point) (x, y int) {
	n := math.Exp2(float64(z))
	lat := p[1] * math.Pi / 180
	return int((p[0] + 180) / 360 * n), int((1 - math.Log(math.Tan(lat)+1/math.Cos(lat))/math.Pi) / 2 * n)
}

// expectedCells counts the exact incidents per cell of resolution res and group straight from
// incident, the old model's definition of every H3 aggregate.
func expectedCells(t *testing.T, ctx context.Context, db *pgx.Conn, res int, f tiles.Filters) map[string]map[string]int {
	t.Helper()
	from, to := any(nil), any(nil)
	if !f.From.IsZero() {
		from = f.From
	}
	if !f.To.IsZero() {
		to = f.To
	}
	groups, agencies := any(nil), any(nil)
	if len(f.Groups) > 0 {
		groups = f.Groups
	}
	if len(f.Agencies) > 0 {
		agencies = f.Agencies
	}
	rows, err := db.Query(ctx, fmt.Sprintf(`SELECT to_hex(h3_%d), category_group, count(*)::int FROM incident
		WHERE precision = 'exact' AND ($1::date IS NULL OR occurred_day >= $1) AND ($2::date IS NULL OR occurred_day <= $2)
		  AND ($3::text[] IS NULL OR category_group = ANY ($3)) AND ($4::text[] IS NULL OR agency = ANY ($4))
		GROUP BY 1, 2`, res), from, to, groups, agencies)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var cell, g string
		var n int
		if err := rows.Scan(&cell, &g, &n); err != nil {
			t.Fatal(err)
		}
		if out[cell] == nil {
			out[cell] = map[string]int{}
		}
		out[cell][g] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// shownProps applies the tiles' disclosure rule to raw counts: counts 1–4 hidden, a hidden
// group hides the total, groups without incidents absent. total_min is the total, or with a
// group hidden the groups shown plus one (absent when none is shown).
func shownProps(counts map[string]int, res int) map[string]any {
	p := map[string]any{"res": float64(res)}
	total, shown, hidden := 0, 0, false
	for g, n := range counts {
		total += n
		if n < lagesbild.MinPublishedCount {
			hidden = true
		} else {
			p[g] = float64(n)
			shown += n
		}
	}
	hidden = hidden || total < lagesbild.MinPublishedCount
	switch {
	case !hidden:
		p["total"] = float64(total)
		p["total_min"] = float64(total)
	case shown > 0:
		p["total_min"] = float64(shown + 1)
	}
	p["suppressed"] = hidden
	return p
}

func numberProps(props map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range props {
		switch n := v.(type) {
		case int64:
			out[k] = float64(n)
		case uint64:
			out[k] = float64(n)
		case float64, bool:
			out[k] = n
		}
	}
	return out
}

// checkModel compares the h3 tiles of every resolution (decoded) under several filters, and
// the OGC h3-r7 items, with counts straight from incident.
func checkModel(t *testing.T, db *postgis.DB, conn *pgx.Conn, centre orb.Point) {
	t.Helper()
	ctx := pgtest.National(context.Background())
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	filters := []tiles.Filters{{}, {Groups: []string{"ran"}}, {Groups: []string{"narkotika", "ovrigt"}, Agencies: []string{"pm"}},
		{Agencies: []string{"tv"}}, {From: day("2024-09-01"), To: day("2025-02-28")}, {From: day("2025-01-01"), Groups: []string{"misshandel_hot"}},
		// Partial months (h3_agg keeps months, migration 00033; the days come from incident):
		// both ends inside a month, one month only, open ends starting or ending mid-month.
		{From: day("2024-09-17"), To: day("2025-02-11"), Agencies: []string{"tv"}}, {From: day("2025-03-05"), To: day("2025-03-20")},
		{From: day("2025-01-31"), Groups: []string{"ran", "ovrigt"}}, {To: day("2024-12-02")}, {From: day("2024-10-02"), To: day("2024-10-31")}}
	for _, z := range []int{5, 6, 8, 10, 12} {
		res := tileRes(z)
		x, y := tileOf(z, centre)
		for _, f := range filters {
			mvtBytes, err := db.Tile(ctx, "h3", z, x, y, f)
			if err != nil {
				t.Fatalf("z%d %s: %v", z, f.Key(), err)
			}
			got := map[string]map[string]any{}
			if len(mvtBytes) > 0 {
				layers, err := mvt.Unmarshal(mvtBytes)
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range layers {
					for _, ft := range l.Features {
						got[ft.Properties["cell"].(string)] = numberProps(ft.Properties)
					}
				}
			}
			want := map[string]map[string]any{}
			for cell, counts := range expectedCells(t, ctx, conn, res, f) {
				want[cell] = shownProps(counts, res)
			}
			if len(want) == 0 {
				t.Fatalf("z%d %s: no data in the tile; the fixture misses it", z, f.Key())
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("h3 tile z%d (res %d) %s: %d cells differ from a recount of incident\n got %v\nwant %v", z, res, f.Key(), len(want), got, want)
			}
		}
	}
	// Noon UTC is the same day in Europe/Stockholm, as the period's ends are compared.
	noonStart, noonEnd := day("2024-09-01").Add(12*time.Hour), day("2025-02-28").Add(12*time.Hour)
	midStart, midEnd := day("2024-09-17").Add(12*time.Hour), day("2025-02-11").Add(12*time.Hour)
	// OGC h3-r7 and h3-r8 items (resolution 8 is counted from incident, migration 00024): the
	// same cells, counts and numberMatched, with and without a bbox and a period.
	for _, res := range []int{7, 8} {
		coll := fmt.Sprintf("h3-r%d", res)
		for _, q := range []lagesbild.FeatureQuery{{Limit: 1000},
			{Limit: 1000, BBox: &lagesbild.BBox{MinLon: 10, MinLat: 55, MaxLon: 24, MaxLat: 69}},
			{Limit: 1000, Time: &lagesbild.Interval{Start: &noonStart, End: &noonEnd}},
			{Limit: 1000, Time: &lagesbild.Interval{Start: &midStart, End: &midEnd}},
			{Limit: 1000, Time: &lagesbild.Interval{Start: &midStart}}} {
			f := tiles.Filters{}
			if q.Time != nil {
				f.From = day(q.Time.Start.Format(time.DateOnly))
				if q.Time.End != nil {
					f.To = day(q.Time.End.Format(time.DateOnly))
				}
			}
			want := expectedCells(t, ctx, conn, res, f)
			page, err := db.Items(ctx, coll, q)
			if err != nil {
				t.Fatal(err)
			}
			if page.NumberMatched != len(want) || len(page.Features) != len(want) {
				t.Errorf("%s %+v: %d matched, %d features, want %d", coll, q, page.NumberMatched, len(page.Features), len(want))
			}
			for _, ft := range page.Features {
				var props map[string]any
				if err := json.Unmarshal(ft.Properties, &props); err != nil {
					t.Fatal(err)
				}
				counts, total := want[ft.ID], 0
				for g, n := range counts {
					total += n
					if v, ok := props[g].(float64); ok && int(v) != n {
						t.Errorf("%s cell %s %s = %v, want %d", coll, ft.ID, g, v, n)
					}
				}
				if v, ok := props["total"].(float64); ok && int(v) != total {
					t.Errorf("%s cell %s total = %v, want %d", coll, ft.ID, v, total)
				}
			}
		}
	}
}

func tileRes(z int) int {
	switch {
	case z <= 5:
		return 5
	case z >= 12:
		return 9
	default:
		return 6 + (z-6)/2
	}
}

// TestModelAnswersAsIncidents is the invariant of issue 14's storage model: whatever the
// aggregates keep (resolutions 5–7 per month, partial months from incident, resolutions 8 and 9 from incident), the h3 tiles and the
// OGC h3-r7 and h3-r8 items give the counts a recount of incident gives, after an import, after updates
// (records moved, regrouped and redated) and after deleting records; and every aggregate stays
// equal to its recount.
func TestModelAnswersAsIncidents(t *testing.T) {
	store, url := pgtest.New(t)
	conn := pgtest.Conn(t, url)
	x, y := tileOf(12, orb.Point{17.93, 59.36})
	n := math.Exp2(12)
	centre := orb.Point{(float64(x)+0.5)/n*360 - 180,
		math.Atan(math.Sinh(math.Pi*(1-2*(float64(y)+0.5)/n))) * 180 / math.Pi}
	recs := modelData(3000, 1, centre)
	events := modelEvents(400, 1, "0180")
	if rep, err := run(t, store, append(recs, events...), importer.Options{}); err != nil || rep.Inserted != len(recs)+len(events) {
		t.Fatalf("%+v %v", rep, err)
	}
	checkModel(t, store, conn, centre)
	checkKommunCounts(t, store, conn)
	aggregatesConsistent(t, conn)

	// Updates: every third record moves, every fifth changes group, every seventh its day.
	changed := modelData(3000, 2, centre)
	for i := range recs {
		inc := recs[i].(lagesbild.Incident)
		other := changed[i].(lagesbild.Incident)
		if i%3 == 0 {
			inc.Point = other.Point
		}
		if i%5 == 0 {
			inc.Group, inc.Category = other.Group, other.Category
		}
		if i%7 == 0 {
			inc.OccurredAt = other.OccurredAt
		}
		recs[i] = inc
	}
	// Every fourth event changes its day, every sixth its group.
	changedEvents := modelEvents(len(events), 2, "0180")
	for i := range events {
		inc, other := events[i].(lagesbild.Incident), changedEvents[i].(lagesbild.Incident)
		if i%4 == 0 {
			inc.OccurredAt = other.OccurredAt
		}
		if i%6 == 0 {
			inc.Group, inc.Category = other.Group, other.Category
		}
		events[i] = inc
	}
	if rep, err := run(t, store, append(recs, events...), importer.Options{}); err != nil || rep.Updated == 0 {
		t.Fatalf("update: %+v %v", rep, err)
	}
	checkModel(t, store, conn, centre)
	checkKommunCounts(t, store, conn)
	aggregatesConsistent(t, conn)

	// Deletes: a tenth of the records.
	var ids []string
	for i := 0; i < len(recs); i += 10 {
		ids = append(ids, recs[i].(lagesbild.Incident).SourceID)
	}
	for i := 0; i < len(events); i += 10 {
		ids = append(ids, events[i].(lagesbild.Incident).SourceID)
	}
	if deleted, err := store.DeleteIncidents(context.Background(), "test", ids); err != nil || deleted != len(ids) {
		t.Fatalf("delete: %d, %v", deleted, err)
	}
	checkModel(t, store, conn, centre)
	checkKommunCounts(t, store, conn)
	aggregatesConsistent(t, conn)
}
