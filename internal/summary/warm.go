package summary

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
)

// The warm-up: analysts open the list of areas and then the summaries of its areas, and an area
// summary computed cold costs a dozen summary-class reads (seconds under load), while a cached
// one costs nothing. So once a caller of some scope has asked for a list (or an area summary)
// over the default period, a background worker computes, one at a time, that list and the
// summaries of every area of it the scope sees, into the same caches a request would fill, and
// does it again after every change of the data version. It computes with the identity of the
// first caller of the scope, so row-level security filters its reads exactly as it filters that
// caller's (the caches are keyed by scope: auth.Identity.CacheKey), and it writes no audit rows,
// since it answers no request: every request that is served from what it computed is audited
// as before. It is bounded: one computation at a time, after any request in progress for a
// summary (up to warmYield), at most warmScopes scopes, and at most half of the area-summary
// cache per data version, so that warming never evicts what requests put there.

const (
	// warmScopes bounds the scopes kept for warming (the most recently seen ones).
	warmScopes = 16
	// warmYears bounds the lists kept per scope.
	warmYears = 4
	// warmYield is how long the warm-up waits for the requests computing summaries before it
	// starts its next computation anyway.
	warmYield = 250 * time.Millisecond
	// warmRetry is how long the warm-up waits after a failure (the database may be down).
	warmRetry = 5 * time.Second
)

// warmCheck is how often the warm-up looks at the data version (it reads the version source,
// which reads the database at most once per its TTL). A variable for the tests.
var warmCheck = time.Second

// warmCtxKey marks the warm-up's own calls, which neither register scopes nor count as
// requests.
type warmCtxKey struct{}

type warmScope struct {
	id     auth.Identity
	years  []int         // the lists asked for, most recent last
	warmed map[int]int64 // year → the data version its list and summaries were warmed at
}

// warmer runs the warm-up of a Service.
type warmer struct {
	s      *Service
	kick   chan struct{} // a new scope or list to warm
	stop   context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	scopes map[string]*warmScope // by auth.Identity.CacheKey
	order  []string              // least recently seen first
	// idle is closed (and replaced) whenever a pass finds nothing left to warm (for tests).
	idle chan struct{}

	computed atomic.Int64 // lists and summaries the warm-up computed or found cached
}

// busy counts the requests in Area and List (the warm-up yields to them).
type busyCounter struct{ n atomic.Int64 }

func newWarmer(s *Service) *warmer {
	ctx, cancel := context.WithCancel(context.Background())
	w := &warmer{s: s, kick: make(chan struct{}, 1), stop: cancel, done: make(chan struct{}),
		scopes: map[string]*warmScope{}, idle: make(chan struct{})}
	go w.run(ctx)
	return w
}

// Close stops the warm-up (serve calls it at shutdown) and waits for it to end.
func (s *Service) Close() {
	if s.warm != nil {
		s.warm.stop()
		<-s.warm.done
	}
}

// WarmStats returns how many lists and area summaries the warm-up has gone through (computed,
// or found already cached) since the start, and how many scopes it keeps warm.
func (s *Service) WarmStats() (computed int64, scopes int) {
	if s.warm == nil {
		return 0, 0
	}
	s.warm.mu.Lock()
	defer s.warm.mu.Unlock()
	return s.warm.computed.Load(), len(s.warm.scopes)
}

// notice registers the caller's scope and list year for warming: called by requests for the
// default period, which is what the warm-up computes.
func (s *Service) notice(ctx context.Context, year int, q Query) {
	if s.warm == nil || q.From != nil || q.To != nil || ctx.Value(warmCtxKey{}) != nil {
		return
	}
	id, ok := auth.FromContext(ctx)
	if !ok || !id.CanReadSummaries() {
		return
	}
	w := s.warm
	key := id.CacheKey()
	w.mu.Lock()
	sc, ok := w.scopes[key]
	if !ok {
		sc = &warmScope{id: id, warmed: map[int]int64{}}
		w.scopes[key] = sc
		if len(w.order) >= warmScopes {
			delete(w.scopes, w.order[0])
			w.order = w.order[1:]
		}
	} else if i := slices.Index(w.order, key); i >= 0 {
		w.order = slices.Delete(w.order, i, i+1)
	}
	w.order = append(w.order, key)
	fresh := !slices.Contains(sc.years, year)
	if fresh {
		sc.years = append(sc.years, year)
		if len(sc.years) > warmYears {
			delete(sc.warmed, sc.years[0])
			sc.years = sc.years[1:]
		}
	}
	w.mu.Unlock()
	if !ok || fresh {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
}

// enter counts a request in Area or List until the returned function is called; the warm-up's
// own calls are not counted.
func (s *Service) enter(ctx context.Context) func() {
	if s.warm == nil || ctx.Value(warmCtxKey{}) != nil {
		return func() {}
	}
	s.busy.n.Add(1)
	return func() { s.busy.n.Add(-1) }
}

func (w *warmer) run(ctx context.Context) {
	defer close(w.done)
	t := time.NewTicker(warmCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
		case <-t.C:
		}
		if err := w.pass(ctx); err != nil && ctx.Err() == nil {
			select { // the database may be down: do not hammer it
			case <-ctx.Done():
				return
			case <-time.After(warmRetry):
			}
		}
	}
}

// pass warms every list of every kept scope, most recently seen scope first, that is not yet
// warm at the current data version.
func (w *warmer) pass(ctx context.Context) error {
	s := w.s
	w.mu.Lock()
	keys := slices.Clone(w.order)
	w.mu.Unlock()
	budget := s.done.max / 2 // area summaries per data version, over all scopes
	var version int64
	for i := len(keys) - 1; i >= 0; i-- {
		w.mu.Lock()
		sc := w.scopes[keys[i]]
		var id auth.Identity
		var years []int
		if sc != nil {
			id, years = sc.id, slices.Clone(sc.years)
		}
		w.mu.Unlock()
		if sc == nil {
			continue
		}
		cctx := context.WithValue(auth.WithIdentity(ctx, id), warmCtxKey{}, true)
		for j := len(years) - 1; j >= 0; j-- {
			year := years[j]
			v, err := s.ver.DataVersion(cctx)
			if err != nil {
				return err
			}
			if version != 0 && v != version {
				return nil // the data changed during the pass: the next one starts over
			}
			version = v
			w.mu.Lock()
			wv, ok := sc.warmed[year]
			warm := ok && wv == v
			w.mu.Unlock()
			if warm {
				budget -= w.areasOf(cctx, year) // cached: it only counts
				continue
			}
			n, err := w.warmList(cctx, year, budget)
			budget -= n
			if err != nil {
				return err
			}
			w.mu.Lock()
			sc.warmed[year] = v
			w.mu.Unlock()
		}
	}
	w.mu.Lock()
	close(w.idle)
	w.idle = make(chan struct{})
	w.mu.Unlock()
	return nil
}

// areasOf returns how many area summaries of the cached list year the scope of ctx has.
func (w *warmer) areasOf(ctx context.Context, year int) int {
	l, err := w.s.List(ctx, year, Query{})
	if err != nil {
		return 0
	}
	return len(l.Rows)
}

// warmList computes the list year and then the summaries of its areas, at most budget of them,
// one at a time and each after the requests for summaries in progress (up to warmYield). It
// returns how many area summaries it went through.
func (w *warmer) warmList(ctx context.Context, year, budget int) (int, error) {
	s := w.s
	w.yield(ctx)
	l, err := s.List(ctx, year, Query{})
	if err != nil {
		return 0, err
	}
	w.computed.Add(1)
	n := 0
	for _, r := range l.Rows {
		if n >= budget {
			break
		}
		w.yield(ctx)
		if _, err := s.Area(ctx, r.Area.ID, Query{}); err != nil {
			if IsNotFound(err) {
				continue
			}
			return n, err
		}
		n++
		w.computed.Add(1)
	}
	return n, nil
}

// yield waits until no request is computing a summary, or warmYield has passed.
func (w *warmer) yield(ctx context.Context) {
	deadline := time.Now().Add(warmYield)
	for w.s.busy.n.Load() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
}

// waitIdle waits until a pass of the warm-up has found nothing left to warm (for tests).
func (w *warmer) waitIdle(ctx context.Context) error {
	w.mu.Lock()
	idle := w.idle
	w.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
