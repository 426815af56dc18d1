package summary

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
)

// warmStore is a scopedStore whose lokal callers see only SO1 of the list (as row-level
// security would show a lokal caller only the areas of its LPO), counting the area reads
// (AreaHistory, one per area summary computed) per scope.
type warmStore struct {
	*scopedStore
	hmu     sync.Mutex
	history map[string]int
}

func newWarmStore() *warmStore {
	return &warmStore{scopedStore: &scopedStore{versionedStore: &versionedStore{fakeStore: newFake()}, computes: map[string]int{}},
		history: map[string]int{}}
}

func (w *warmStore) SummaryAreas(ctx context.Context, year int) ([]AreaInfo, error) {
	areas, err := w.scopedStore.SummaryAreas(ctx, year)
	if id, _ := auth.FromContext(ctx); len(id.Scope.LPOs) > 0 && err == nil {
		return areas[:1], nil
	}
	return areas, err
}

func (w *warmStore) AreaHistory(ctx context.Context, areaKey string) ([]HistoryEntry, error) {
	id, _ := auth.FromContext(ctx)
	w.hmu.Lock()
	w.history[id.Scope.String()]++
	w.hmu.Unlock()
	return w.scopedStore.AreaHistory(ctx, areaKey)
}

func (w *warmStore) reads() map[string]int {
	w.hmu.Lock()
	defer w.hmu.Unlock()
	out := map[string]int{}
	for k, v := range w.history {
		out[k] = v
	}
	return out
}

// TestWarmup: after a caller of each of three scopes opens the list, the warm-up computes the
// summaries of every area that scope sees, with that scope's identity and only those areas, and
// a request then gets from the cache exactly what a server without a cache gives it; after a
// change of the data version it warms again. Requests over another period start nothing.
func TestWarmup(t *testing.T) {
	old := warmCheck
	warmCheck = 10 * time.Millisecond
	defer func() { warmCheck = old }()
	scopes := map[string]context.Context{
		"national": auth.WithIdentity(context.Background(), auth.Identity{Subject: "n", Role: auth.RoleNationell, Scope: auth.Scope{All: true}}),
		"regional": auth.WithIdentity(context.Background(), auth.Identity{Subject: "r", Role: auth.RoleRegional, Scope: auth.Scope{Regions: []string{"5300"}}}),
		"lokal":    auth.WithIdentity(context.Background(), auth.Identity{Subject: "l", Role: auth.RoleLokal, Scope: auth.Scope{LPOs: []string{"531270"}}}),
	}
	visible := map[string][]string{"national": {"2025-SO1", "2025-SO2"}, "regional": {"2025-SO1", "2025-SO2"}, "lokal": {"2025-SO1"}}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	// What each scope gets without a cache.
	want := map[string]string{}
	for name, ctx := range scopes {
		plain := New(newWarmStore(), Options{CacheEntries: -1})
		for _, id := range visible[name] {
			sm, err := plain.Area(ctx, id, Query{})
			if err != nil {
				t.Fatal(err)
			}
			want[name+" "+id] = js(sm)
		}
	}
	if want["national 2025-SO1"] == want["lokal 2025-SO1"] || want["national 2025-SO1"] == want["regional 2025-SO1"] {
		t.Fatal("the scopes' summaries do not differ: the test would not see them mixed up")
	}

	store := newWarmStore()
	s := New(store, Options{Warm: true})
	defer s.Close()
	waitWarm := func(computed int64) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if n, _ := s.WarmStats(); n >= computed {
				break
			}
			if time.Now().After(deadline) {
				n, _ := s.WarmStats()
				t.Fatalf("the warm-up went through %d lists and summaries, want %d", n, computed)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.warm.waitIdle(ctx); err != nil { // the pass that did them has ended
			t.Fatal(err)
		}
	}
	check := func(round string) {
		t.Helper()
		before := store.reads()
		for name, ctx := range scopes {
			for _, id := range visible[name] {
				sm, err := s.Area(ctx, id, Query{})
				if err != nil {
					t.Fatal(err)
				}
				if got := js(sm); got != want[name+" "+id] {
					t.Errorf("%s: a %s caller got for %s\n%s\nwant what it gets uncached\n%s", round, name, id, got, want[name+" "+id])
				}
			}
		}
		if after := store.reads(); js(after) != js(before) {
			t.Errorf("%s: the summaries were computed by the requests (%v → %v), not by the warm-up", round, before, after)
		}
	}

	// A request over another period does not register its scope.
	from := day("2025-03-01")
	if _, err := s.List(scopes["national"], 2025, Query{From: &from}); err != nil {
		t.Fatal(err)
	}
	if _, n := s.WarmStats(); n != 0 {
		t.Errorf("a list over its own period registered %d scopes for warming", n)
	}

	for _, ctx := range scopes {
		if _, err := s.List(ctx, 2025, Query{}); err != nil {
			t.Fatal(err)
		}
	}
	// 3 lists and 2 + 2 + 1 area summaries.
	waitWarm(8)
	reads := store.reads()
	for name, want := range map[string]int{"national": 2, "regional": 2, "lokal": 1} {
		sc := scopeOf(scopes[name])
		if reads[sc] != want {
			t.Errorf("the warm-up computed %d area summaries with the %s scope, want %d (%v)", reads[sc], name, want, reads)
		}
	}
	check("warmed")

	store.version.Add(1) // an import
	waitWarm(16)
	if r := store.reads(); r[scopeOf(scopes["lokal"])] != 2 {
		t.Errorf("after the import: %v, want each area warmed once more", r)
	}
	check("after an import")
}

func scopeOf(ctx context.Context) string {
	id, _ := auth.FromContext(ctx)
	return id.Scope.String()
}

// TestKommunCellsShared: the summaries of two areas of one kommun read the kommun's per-group
// cells once per scope, and a caller of another scope reads them again (the store restricts
// them by scope), and gets what it gets uncached.
func TestKommunCellsShared(t *testing.T) {
	national := auth.WithIdentity(context.Background(), auth.Identity{Subject: "n", Role: auth.RoleNationell, Scope: auth.Scope{All: true}})
	regional := auth.WithIdentity(context.Background(), auth.Identity{Subject: "r", Role: auth.RoleRegional, Scope: auth.Scope{Regions: []string{"5300"}}})
	store := &versionedStore{fakeStore: newFake()}
	s := New(store, Options{})
	for _, id := range []string{"2025-SO1", "2025-SO2"} {
		if _, err := s.Area(national, id, Query{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := store.groupReads.Load(); n != 1 {
		t.Errorf("two areas of kommun 0180: %d reads of its group cells, want 1", n)
	}
	got, err := s.Area(regional, "2025-SO2", Query{})
	if err != nil {
		t.Fatal(err)
	}
	if n := store.groupReads.Load(); n != 2 {
		t.Errorf("another scope: %d reads in all, want 2 (never another scope's cells)", n)
	}
	want, err := New(&versionedStore{fakeStore: newFake()}, Options{CacheEntries: -1}).Area(regional, "2025-SO2", Query{})
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := json.Marshal(got)
	b2, _ := json.Marshal(want)
	if string(b1) != string(b2) {
		t.Errorf("cached:\n%s\nuncached:\n%s", b1, b2)
	}
}
