package summary

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/risk"
)

// versionedStore is the fake store with a data version, counting the lists it is asked for.
type versionedStore struct {
	*fakeStore
	version atomic.Int64
	lists   atomic.Int64 // AreaGroupCounts calls: one per computed list
	gate    chan struct{}
	// groupReads counts KommunGroupCellCounts calls: one per area summary whose per-group hot
	// spots were not remembered.
	groupReads atomic.Int64
}

// KommunGroupCellCounts counts the reads of a kommun's per-group cells.
func (v *versionedStore) KommunGroupCellCounts(ctx context.Context, kommun string, p Period) ([]GroupCellCount, error) {
	v.groupReads.Add(1)
	return v.fakeStore.KommunGroupCellCounts(ctx, kommun, p)
}

func (v *versionedStore) DataVersion(ctx context.Context) (int64, error) {
	return v.version.Load(), nil
}

func (v *versionedStore) AreaGroupCounts(ctx context.Context, year int, now, before Period) ([]GroupCount, error) {
	v.lists.Add(1)
	if v.gate != nil {
		<-v.gate
	}
	return v.fakeStore.AreaGroupCounts(ctx, year, now, before)
}

func TestListCache(t *testing.T) {
	national := auth.WithIdentity(context.Background(), auth.Identity{Role: auth.RoleNationell, Scope: auth.Scope{All: true}})
	regional := auth.WithIdentity(context.Background(), auth.Identity{Role: auth.RoleRegional, Scope: auth.Scope{Regions: []string{"5300"}}})
	store := &versionedStore{fakeStore: newFake()}
	s := New(store, Options{})
	list := func(ctx context.Context) string {
		t.Helper()
		l, err := s.List(ctx, 2025, Query{})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(l)
		return string(b)
	}
	first := list(national)
	if list(national) != first || store.lists.Load() != 1 {
		t.Errorf("the same request was computed %d times, want once", store.lists.Load())
	}
	if _, err := s.Prioritise(national, 2025, Query{}, nil, risk.PercentRank); err != nil || store.lists.Load() != 1 {
		t.Errorf("the ranking over the same list recomputed it (%d, %v)", store.lists.Load(), err)
	}
	list(regional)
	if store.lists.Load() != 2 {
		t.Errorf("another scope was served from the cache")
	}
	store.version.Add(1)
	list(national)
	if store.lists.Load() != 3 {
		t.Errorf("a new data version was served from the cache")
	}
	// Without an identity there is no scope to key on: never cached.
	list(context.Background())
	list(context.Background())
	if store.lists.Load() != 5 {
		t.Errorf("anonymous requests were cached")
	}

	// The area summary takes its history onto a copy, not onto the cached list.
	sm, err := s.Area(national, "2025-SO1", Query{})
	if err != nil || len(sm.History) != 1 {
		t.Fatalf("area: %+v %v", sm, err)
	}
	data, err := s.cached(national, 2025, mustPeriod(t, s))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range data.summaries {
		if c.History != nil {
			t.Errorf("%s: the cached summary got a history", c.Area.ID)
		}
	}
}

// TestAreaGroupHotSpotsRemembered: an area's per-group hot spots are read once per cached list
// (data version, scope, list, period), and a caller changing the returned slice does not change
// what the next one gets.
func TestAreaGroupHotSpotsRemembered(t *testing.T) {
	national := auth.WithIdentity(context.Background(), auth.Identity{Role: auth.RoleNationell, Scope: auth.Scope{All: true}})
	regional := auth.WithIdentity(context.Background(), auth.Identity{Role: auth.RoleRegional, Scope: auth.Scope{Regions: []string{"5300"}}})
	store := &versionedStore{fakeStore: hotFake(t)}
	s := New(store, Options{})
	area := func(ctx context.Context) *Summary {
		t.Helper()
		sm, err := s.Area(ctx, "2025-SO1", Query{})
		if err != nil {
			t.Fatal(err)
		}
		return sm
	}
	first := area(national)
	want, _ := json.Marshal(first.HotSpots.Groups)
	first.HotSpots.Groups[0].Label = "changed by a caller"
	second := area(national)
	if got, _ := json.Marshal(second.HotSpots.Groups); string(got) != string(want) {
		t.Errorf("the second summary's groups\n%s\nwant\n%s", got, want)
	}
	if n := store.groupReads.Load(); n != 1 {
		t.Errorf("two summaries of one area read its kommun's groups %d times, want once", n)
	}
	area(regional)
	store.version.Add(1)
	area(national)
	if n := store.groupReads.Load(); n != 3 {
		t.Errorf("another scope or data version: %d reads, want 3", n)
	}
	// Without an identity nothing is cached: read every time.
	if _, err := s.Area(context.Background(), "2025-SO1", Query{}); err != nil {
		t.Fatal(err)
	}
	if n := store.groupReads.Load(); n != 4 {
		t.Errorf("anonymous: %d reads, want 4", n)
	}
}

func mustPeriod(t *testing.T, s *Service) Period {
	t.Helper()
	p, err := s.Period(context.Background(), Query{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestListCacheConcurrent(t *testing.T) {
	ctx := auth.WithIdentity(context.Background(), auth.Identity{Role: auth.RoleNationell, Scope: auth.Scope{All: true}})
	store := &versionedStore{fakeStore: newFake(), gate: make(chan struct{})}
	s := New(store, Options{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := s.List(ctx, 2025, Query{}); err != nil {
				t.Error(err)
			}
		})
	}
	// Let the one computation through once all requests are waiting for it or for the gate.
	for store.lists.Load() == 0 {
		runtime.Gosched()
	}
	close(store.gate)
	wg.Wait()
	if n := store.lists.Load(); n != 1 {
		t.Errorf("8 concurrent requests computed the list %d times, want once", n)
	}
}

func TestListCacheEviction(t *testing.T) {
	c := newListCache(2)
	compute := func(context.Context) (*listData, error) { return &listData{}, nil }
	for year := range 3 {
		if _, err := c.get(context.Background(), listKey{version: 1, year: year}, compute); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.entries) != 2 || c.entries[listKey{version: 1, year: 0}] != nil {
		t.Errorf("entries %v, want the two newest", c.order)
	}
	if _, err := c.get(context.Background(), listKey{version: 2}, compute); err != nil {
		t.Fatal(err)
	}
	if len(c.entries) != 1 {
		t.Errorf("entries of an old data version kept: %v", c.order)
	}
}

// TestAreaPartsThenList: the summaries of the first areas of a list not cached are computed as
// the areas' parts and cached each on its own; once partsBeforeList areas of the list have been,
// the next one computes the whole list, which then serves every area and the list. Each way gives
// the same summary.
func TestAreaPartsThenList(t *testing.T) {
	national := auth.WithIdentity(context.Background(), auth.Identity{Role: auth.RoleNationell, Scope: auth.Scope{All: true}})
	f := hotFake(t)
	for i := range partsBeforeList + 1 {
		a := f.areas[1]
		a.ID, a.Key = fmt.Sprintf("2025-X%d", i), fmt.Sprintf("X%d", i)
		f.areas = append(f.areas, a)
	}
	store := &versionedStore{fakeStore: f}
	s := New(store, Options{})
	summaryJSON := func(s *Service, id string) string {
		t.Helper()
		sm, err := s.Area(national, id, Query{})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(sm)
		return string(b)
	}
	var parts []string
	for i := range partsBeforeList {
		id := f.areas[i].ID
		parts = append(parts, summaryJSON(s, id))
		if n := store.lists.Load(); n != int64(i+1) {
			t.Errorf("area %d of the list: %d computations, want %d (a part each)", i+1, n, i+1)
		}
		if again := summaryJSON(s, id); again != parts[i] || store.lists.Load() != int64(i+1) {
			t.Errorf("%s: its cached part was not used (%d computations)", id, store.lists.Load())
		}
	}
	next := f.areas[partsBeforeList].ID
	fromList := summaryJSON(s, next)
	if n := store.lists.Load(); n != partsBeforeList+1 {
		t.Errorf("%d computations, want %d: the list", n, partsBeforeList+1)
	}
	if len(s.cache.entries) != 1 {
		t.Errorf("the list was not cached: %v", s.cache.order)
	}
	if cold := summaryJSON(New(store, Options{}), next); cold != fromList {
		t.Errorf("%s: its part\n%s\nthe list's row\n%s", next, cold, fromList)
	}
	before := store.lists.Load()
	for _, a := range f.areas {
		summaryJSON(s, a.ID)
	}
	if _, err := s.List(national, 2025, Query{}); err != nil {
		t.Fatal(err)
	}
	if n := store.lists.Load(); n != before {
		t.Errorf("the cached list and parts were not used: %d more computations", n-before)
	}
}

// scopedStore answers as row-level security would: what a caller sees depends on its scope
// (a regional caller sees half of SO1's narkotika and a lokal caller none of it). It counts
// the computations per scope and holds them at gate until the test lets them through.
type scopedStore struct {
	*versionedStore
	mu       sync.Mutex
	computes map[string]int // AreaGroupCounts calls by scope
	newest   atomic.Int64   // NewestIncidentDay calls
}

func (s *scopedStore) AreaGroupCounts(ctx context.Context, year int, now, before Period) ([]GroupCount, error) {
	id, _ := auth.FromContext(ctx)
	s.mu.Lock()
	s.computes[id.Scope.String()]++
	s.mu.Unlock()
	counts, err := s.versionedStore.AreaGroupCounts(ctx, year, now, before)
	out := slices.Clone(counts)
	for i, c := range out {
		if c.AreaID == "2025-SO1" && c.Group == "narkotika" {
			switch {
			case id.Scope.All:
			case len(id.Scope.Regions) > 0:
				out[i].Now /= 2
			default:
				out[i].Now = 0
			}
		}
	}
	return out, err
}

func (s *scopedStore) NewestIncidentDay(ctx context.Context) (time.Time, bool, error) {
	s.newest.Add(1)
	return s.versionedStore.NewestIncidentDay(ctx)
}

// TestConcurrentSummariesByScope: many concurrent requests for the same area summary (and the
// same list) from callers of three scopes are computed once per scope, and every caller gets
// what a lone request of its own scope gets, never another scope's answer.
func TestConcurrentSummariesByScope(t *testing.T) {
	scopes := map[string]context.Context{
		"national": auth.WithIdentity(context.Background(), auth.Identity{Subject: "n", Role: auth.RoleNationell, Scope: auth.Scope{All: true}}),
		"regional": auth.WithIdentity(context.Background(), auth.Identity{Subject: "r", Role: auth.RoleRegional, Scope: auth.Scope{Regions: []string{"5300"}}}),
		"lokal":    auth.WithIdentity(context.Background(), auth.Identity{Subject: "l", Role: auth.RoleLokal, Scope: auth.Scope{LPOs: []string{"531270"}}}),
	}
	for _, what := range []string{"area", "list"} {
		t.Run(what, func(t *testing.T) {
			get := func(s *Service, ctx context.Context) (string, error) {
				var v any
				var err error
				if what == "area" {
					v, err = s.Area(ctx, "2025-SO1", Query{})
				} else {
					v, err = s.List(ctx, 2025, Query{})
				}
				b, _ := json.Marshal(v)
				return string(b), err
			}
			// What each scope gets alone, without a cache.
			want := map[string]string{}
			for name, ctx := range scopes {
				alone := &scopedStore{versionedStore: &versionedStore{fakeStore: newFake()}, computes: map[string]int{}}
				got, err := get(New(alone, Options{CacheEntries: -1}), ctx)
				if err != nil {
					t.Fatal(err)
				}
				want[name] = got
			}
			if want["national"] == want["regional"] || want["regional"] == want["lokal"] || want["national"] == want["lokal"] {
				t.Fatal("the scopes' answers do not differ: the test would not see them shared")
			}

			store := &scopedStore{versionedStore: &versionedStore{fakeStore: newFake(), gate: make(chan struct{})}, computes: map[string]int{}}
			s := New(store, Options{})
			var wg sync.WaitGroup
			for name, ctx := range scopes {
				for range 10 {
					wg.Go(func() {
						got, err := get(s, ctx)
						if err != nil {
							t.Error(err)
						} else if got != want[name] {
							t.Errorf("a %s caller got\n%s\nwant its own scope's\n%s", name, got, want[name])
						}
					})
				}
			}
			// Let the computations through once one per scope has started (or after a while,
			// when scopes wrongly share one).
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); runtime.Gosched() {
				store.mu.Lock()
				n := len(store.computes)
				store.mu.Unlock()
				if n == len(scopes) {
					break
				}
			}
			close(store.gate)
			wg.Wait()
			for sc, n := range store.computes {
				if n != 1 {
					t.Errorf("scope %s: computed %d times for 10 concurrent requests, want once", sc, n)
				}
			}
		})
	}
}

// TestFlightFailureShared: a computation that fails is not repeated by each request that waited
// for it (under load a failure made every waiter compute on its own, multiplying the work), and
// it is not kept: the next request computes again.
func TestFlightFailureShared(t *testing.T) {
	c := newListCache(4)
	var calls atomic.Int64
	gate := make(chan struct{})
	boom := errors.New("boom")
	compute := func(context.Context) (*listData, error) {
		calls.Add(1)
		<-gate
		return nil, boom
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := c.get(context.Background(), listKey{version: 1}, compute); !errors.Is(err, boom) {
				t.Errorf("err %v, want the computation's", err)
			}
		})
	}
	for waiting := 0; waiting < 8; runtime.Gosched() {
		c.mu.Lock()
		if e := c.entries[listKey{version: 1}]; e != nil {
			waiting = e.waiters
		}
		c.mu.Unlock()
	}
	close(gate)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("8 requests for a failing computation ran it %d times, want once", n)
	}
	if _, err := c.get(context.Background(), listKey{version: 1}, compute); !errors.Is(err, boom) || calls.Load() != 2 {
		t.Errorf("the failure was kept (%d computations, %v)", calls.Load(), err)
	}
}

// TestFlightFirstRequestLeaves: the request that started a computation going away does not
// fail the others that wait for it; when every request has gone the computation is cancelled
// and the next request starts a new one.
func TestFlightFirstRequestLeaves(t *testing.T) {
	c := newListCache(4)
	key := listKey{version: 1}
	started, release := make(chan struct{}, 2), make(chan struct{})
	compute := func(ctx context.Context) (*listData, error) {
		started <- struct{}{}
		select {
		case <-release:
			return &listData{notes: []string{"done"}}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	first, leave := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() { _, err := c.get(first, key, compute); firstErr <- err }()
	<-started
	second := make(chan *listData, 1)
	go func() {
		d, err := c.get(context.Background(), key, compute)
		if err != nil {
			t.Error(err)
		}
		second <- d
	}()
	for waiting := 0; waiting < 2; runtime.Gosched() {
		c.mu.Lock()
		waiting = c.entries[key].waiters
		c.mu.Unlock()
	}
	leave()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Errorf("the first request: %v, want its own cancellation", err)
	}
	close(release)
	if d := <-second; d == nil || d.notes[0] != "done" {
		t.Errorf("the second request got %+v, want the computation's result", d)
	}

	// Everyone leaves: the computation stops, and the next request computes anew.
	key2 := listKey{version: 2}
	var cancelled atomic.Bool
	stuck := func(ctx context.Context) (*listData, error) {
		started <- struct{}{}
		<-ctx.Done()
		cancelled.Store(true)
		return nil, ctx.Err()
	}
	only, leaveAll := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _, _ = c.get(only, key2, stuck); close(done) }()
	<-started
	leaveAll()
	<-done
	if d, err := c.get(context.Background(), key2, func(context.Context) (*listData, error) { return &listData{}, nil }); err != nil || d == nil {
		t.Errorf("after everyone left, the next request got %v, %v; want a new computation", d, err)
	}
	for deadline := time.Now().Add(5 * time.Second); !cancelled.Load() && time.Now().Before(deadline); runtime.Gosched() {
	}
	if !cancelled.Load() {
		t.Error("the computation nobody waited for was not cancelled")
	}
}

// TestNewestDayRemembered: the default period's newest incident day is read once per scope and
// data version, not in a transaction of its own for every summary.
func TestNewestDayRemembered(t *testing.T) {
	national := auth.WithIdentity(context.Background(), auth.Identity{Role: auth.RoleNationell, Scope: auth.Scope{All: true}})
	regional := auth.WithIdentity(context.Background(), auth.Identity{Role: auth.RoleRegional, Scope: auth.Scope{Regions: []string{"5300"}}})
	store := &scopedStore{versionedStore: &versionedStore{fakeStore: newFake()}, computes: map[string]int{}}
	s := New(store, Options{})
	for range 3 {
		for _, ctx := range []context.Context{national, regional} {
			if _, err := s.Period(ctx, Query{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := store.newest.Load(); n != 2 {
		t.Errorf("%d reads of the newest day for two scopes, want 2", n)
	}
	store.version.Add(1)
	if _, err := s.Period(national, Query{}); err != nil || store.newest.Load() != 3 {
		t.Errorf("a new data version did not read the newest day again (%d reads, %v)", store.newest.Load(), err)
	}
	s.Period(context.Background(), Query{})
	s.Period(context.Background(), Query{})
	if n := store.newest.Load(); n != 5 {
		t.Errorf("anonymous: %d reads, want 5 (nothing remembered without a scope)", n)
	}
}
