package summary

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/risk"
)

// compStatStore is the versioned fake with period counts: every period of a request gets the
// same counts per group, except that the first period of each preset (the current one) gets
// now.
type compStatStore struct {
	*versionedStore
	now, other map[string]int
	reads      atomic.Int64
}

func (c *compStatStore) CompStatUnit(ctx context.Context, level, id string, year int) (Unit, error) {
	if id != "0180" {
		return Unit{}, lagesbild.ErrNotFound
	}
	return Unit{Level: level, ID: id, Name: "Stockholm", RegionCode: "5300", Counts: "all"}, nil
}

func (c *compStatStore) PeriodGroupCounts(ctx context.Context, u Unit, periods []Period) ([]PeriodCount, error) {
	c.reads.Add(1)
	var out []PeriodCount
	for i := range periods {
		m := c.other
		if i%3 == 0 {
			m = c.now
		}
		for g, n := range m {
			out = append(out, PeriodCount{Period: i, Group: g, N: n})
		}
	}
	return out, nil
}

func TestCompStatComparisons(t *testing.T) {
	store := &compStatStore{versionedStore: &versionedStore{fakeStore: newFake()},
		now:   map[string]int{"narkotika": 40, "misshandel_hot": 3, "skjutning": 12, "ran": 0, "overgrepp_rattssak": 6},
		other: map[string]int{"narkotika": 20, "misshandel_hot": 8, "skjutning": 11, "ran": 2, "overgrepp_rattssak": 0},
	}
	s := New(store, Options{})
	ctx := auth.WithIdentity(context.Background(), auth.Identity{Role: auth.RoleNationell, Scope: auth.Scope{All: true}})
	cs, err := s.CompStat(ctx, CompStatQuery{Level: LevelKommun, ID: "0180", Preset: Preset28d})
	if err != nil {
		t.Fatal(err)
	}
	set := cs.Comparisons[0]
	if cs.ReferenceDay != "2025-12-31" || set.Current.From != "2025-12-04" || set.Previous.To != "2025-12-03" || set.LastYear.From != "2024-12-04" {
		t.Errorf("periods %+v ref %s", set, cs.ReferenceDay)
	}
	// Total 61 against 41 in equal periods: PeriodChange's p.
	pc, _ := risk.PeriodChange(61, 41)
	if tot := set.Total; *tot.Count.Value != 61 || *tot.Previous.P != pc.P || tot.Previous.Verdict != risk.VerdictIncrease {
		t.Errorf("total %+v, want p %g", tot, pc.P)
	}
	groups := map[string]GroupComparison{}
	for _, g := range set.Groups {
		groups[g.Group] = g
	}
	if _, ok := groups["overgrepp_rattssak"]; ok {
		t.Error("the sensitive group is compared on its own")
	}
	// narkotika: 40 against 20, p = 2·P(X ≤ 20 | 60, ½) < 0.05.
	if n := groups["narkotika"].Previous; n.Verdict != risk.VerdictIncreaseSignificant || n.VerdictText != "Ökning, statistiskt säkerställd" {
		t.Errorf("narkotika %+v", n)
	}
	// misshandel/hot: 3 is hidden, so no comparison; skjutning, the smallest other non-zero
	// part beside the hidden sensitive 6 and the hidden 3, keeps its count (two parts are
	// already hidden) and is compared.
	if m := groups["misshandel_hot"]; m.Count.Value != nil || !m.Previous.Suppressed || m.Previous.Reason != ReasonCountHidden ||
		m.Previous.VerdictText != ReasonNoVerdict+": "+ReasonCountHidden {
		t.Errorf("misshandel_hot %+v", m)
	}
	if sk := groups["skjutning"]; sk.Count.Value == nil || *sk.Count.Value != 12 || sk.Previous.Suppressed || sk.Previous.Verdict != risk.VerdictIncrease {
		t.Errorf("skjutning %+v", sk)
	}
	// rån: 0 against 2 (hidden in the other period): withheld.
	if r := groups["ran"].Previous; !r.Suppressed {
		t.Errorf("ran %+v", r)
	}
	if _, err := s.CompStat(ctx, CompStatQuery{Level: LevelKommun, ID: "0180", Preset: "1w"}); err == nil {
		t.Error("unknown preset accepted")
	}
	all, err := s.CompStat(ctx, CompStatQuery{Level: LevelKommun, ID: "0180"})
	if err != nil || len(all.Comparisons) != 3 || all.Comparisons[2].Preset != PresetYTD || all.Comparisons[2].Current.From != "2025-01-01" {
		t.Errorf("all presets: %+v %v", all, err)
	}

	// An area's summary: its period and the three presets, counted once and then remembered
	// with the cached list.
	reads := store.reads.Load()
	sm, err := s.Area(ctx, "2025-SO1", Query{})
	if err != nil || len(sm.Comparisons) != 4 || sm.Comparisons[0].Preset != PresetPeriod || sm.Comparisons[0].Current != sm.Period {
		t.Fatalf("summary comparisons %+v, %v", sm.Comparisons, err)
	}
	if _, err := s.Area(ctx, "2025-SO1", Query{}); err != nil || store.reads.Load() != reads+1 {
		t.Errorf("the comparisons were counted %d times for two summaries, want once (%v)", store.reads.Load()-reads, err)
	}
}
