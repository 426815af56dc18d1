package postgis_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/analysis"
	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/risk"
)

// checkEmergingWhoeverAsks is the regression of emerging hot spots that depended on who asked:
// Gi* ran per month over the cells the caller could see, so LPO Järva's chief got other
// categories for Tensta than a national analyst. They must be the same (Gi* over the whole
// kommun grid), while the lokal caller is published only cells it may see and reads nothing of
// a kommun outside its scope. id is Tensta's area of realDataFixture.
func checkEmergingWhoeverAsks(t *testing.T, db *postgis.DB, url, id string) {
	bg := context.Background()
	national := pgtest.National(bg)
	lokal := auth.WithIdentity(bg, auth.Identity{Role: auth.RoleLokal, Scope: auth.Scope{LPOs: []string{"531350"}}})
	svc := analysis.New(db, analysis.Options{})
	to := time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	for _, group := range []string{"", string(lagesbild.GroupNarkotika)} {
		q := analysis.EmergingQuery{To: &to, Months: 12, Group: group}
		got := map[string]*analysis.Emerging{}
		js := map[string]string{}
		for name, ctx := range map[string]context.Context{"national": national, "lokal": lokal} {
			e, err := svc.AreaEmerging(ctx, id, q)
			if err != nil {
				t.Fatalf("%s %q: %v", name, group, err)
			}
			b, err := json.Marshal(struct {
				Cells      []analysis.EmergingCell
				Categories map[risk.EmergingCategory]int
				Kommuner   []analysis.EmergingKommun
				Notes      []string
				Reason     string
			}{e.Cells, e.Categories, e.Kommuner, e.Notes, e.Reason})
			if err != nil {
				t.Fatal(err)
			}
			got[name], js[name] = e, string(b)
		}
		if js["lokal"] != js["national"] {
			t.Errorf("group %q: Tensta's emerging hot spots of a lokal caller\n%s\nof a national one\n%s", group, js["lokal"], js["national"])
		}
		n := got["national"]
		if n.Reason != "" || len(n.Cells) == 0 || n.Categories[risk.NoPattern] == len(n.Cells) {
			t.Errorf("group %q: Tensta's emerging hot spots %s: the fixture does not exercise Gi*", group, js["national"])
		}
		// The lokal caller's map layer holds only cells it may see, and not the national one's
		// cells elsewhere in Stockholm.
		var layer []uint64
		for _, c := range got["lokal"].Layer {
			cell, _ := strconv.ParseUint(c.Cell, 16, 64)
			layer = append(layer, cell)
		}
		visible, err := db.VisibleCells(lokal, layer)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range layer {
			if !visible[c] {
				t.Errorf("group %q: the lokal caller got cell %x outside its scope", group, c)
			}
		}
		if len(got["lokal"].Layer) > len(n.Layer) {
			t.Errorf("group %q: the lokal layer has %d cells, the national one %d", group, len(got["lokal"].Layer), len(n.Layer))
		}
	}

	// The grid's read: the whole kommun for a caller who may see one of its areas, nothing for
	// another kommun or another caller.
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	count := func(ctx context.Context, kommuner []string, group string) map[string]int {
		t.Helper()
		rows, err := db.KommunCellMonths(ctx, kommuner, from, end, group)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, r := range rows {
			out[r.Kommun] += r.N
		}
		return out
	}
	all := count(national, []string{"0180"}, "")
	if l := count(lokal, []string{"0180"}, ""); l["0180"] != all["0180"] || all["0180"] == 0 {
		t.Errorf("Stockholm's grid: %d incidents for the lokal caller, %d for a national one", l["0180"], all["0180"])
	}
	conn := pgtest.Conn(t, url)
	var otherLPO string
	if err := conn.QueryRow(bg, `SELECT lpo_code FROM area WHERE set_year = 2025 AND kommun_code <> '0180'
		AND lpo_code IS NOT NULL ORDER BY lpo_code LIMIT 1`).Scan(&otherLPO); err != nil {
		t.Fatal(err)
	}
	for name, ctx := range map[string]context.Context{
		"lokal elsewhere": auth.WithIdentity(bg, auth.Identity{Role: auth.RoleLokal, Scope: auth.Scope{LPOs: []string{otherLPO}}}),
		"no scope":        auth.WithIdentity(bg, auth.Identity{Role: auth.RoleLokal}),
		"no identity":     bg,
		"another region":  auth.WithIdentity(bg, auth.Identity{Role: auth.RoleRegional, Scope: auth.Scope{Regions: []string{"5600"}}}),
	} {
		for _, group := range []string{"", string(lagesbild.GroupNarkotika)} {
			if got := count(ctx, []string{"0180"}, group); len(got) != 0 {
				t.Errorf("%s, group %q: Stockholm's grid %v", name, group, got)
			}
		}
	}
	lokalElsewhere := auth.WithIdentity(bg, auth.Identity{Role: auth.RoleLokal, Scope: auth.Scope{LPOs: []string{otherLPO}}})
	if _, err := svc.AreaEmerging(lokalElsewhere, id, analysis.EmergingQuery{To: &to, Months: 12}); !errors.Is(err, lagesbild.ErrNotFound) {
		t.Errorf("emerging hot spots of Tensta for LPO %s: %v, want not found", otherLPO, err)
	}
	var public bool
	if err := conn.QueryRow(bg, `SELECT has_function_privilege('public', 'emerging_cell_months(text, date, date, text)', 'EXECUTE')`).Scan(&public); err != nil || public {
		t.Errorf("emerging_cell_months executable by public: %v, %v", public, err)
	}
}
