package summary

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
)

// Versioned is a Store that tells when its data last changed. A Service over one caches the
// lists it computes until the version moves on.
type Versioned interface {
	// DataVersion returns a number that changes with every import that changed data.
	DataVersion(ctx context.Context) (int64, error)
}

// DefaultCacheEntries is how many computed lists a Service keeps.
const DefaultCacheEntries = 32

// listKey says what a computed list depends on: the data, what the caller may see (row-level
// security filters every query by the caller's scope, so two scopes get different numbers, and
// the smoothing reference is the visible part of the list), the list and the period. The hot
// spots of an area do not depend on the scope (the kommun grid is read whole, see
// Store.KommunCellCounts), but a list keeps them only for the areas its scope may see, so it
// stays keyed by scope and no result reaches a caller of another scope.
type listKey struct {
	version  int64
	scope    string // auth.Identity.CacheKey
	year     int
	from, to time.Time
	area     string // the Part of one area's summary (Service.areas); empty: the whole list
}

type listEntry[V any] struct {
	ready chan struct{} // closed when data and err are set
	data  V
	err   error
	// waiters counts the requests waiting for the computation; when the last one has gone it
	// is cancelled (cancel) and dropped, so a client that leaves stops the work only if no one
	// else waits for it.
	waiters int
	cancel  context.CancelFunc
}

// computeTimeout bounds a shared computation, which runs apart from any one request's context.
const computeTimeout = 60 * time.Second

// flightCache holds computed values, oldest first out. Concurrent requests for one key share
// one computation (a flight) instead of repeating it: it runs in a context of its own (the
// first request's values, such as its identity, without its cancellation), so one client
// leaving does not fail the others, and its outcome, a failure too, goes to every request that
// waited for it. Failures are not kept. A value is never changed once computed.
type flightCache[V any] struct {
	mu      sync.Mutex
	max     int
	entries map[listKey]*listEntry[V]
	order   []listKey // insertion order
}

// listCache holds computed lists (and the parts of lists computed for one area).
type listCache = flightCache[*listData]

func newListCache(max int) *listCache { return newFlightCache[*listData](max) }

func newFlightCache[V any](max int) *flightCache[V] {
	return &flightCache[V]{max: max, entries: map[listKey]*listEntry[V]{}}
}

// get returns the value of key, computing it with compute when it is neither cached nor being
// computed. Requests with the same key must be entitled to the same value (the key holds the
// caller's scope).
func (c *flightCache[V]) get(ctx context.Context, key listKey, compute func(context.Context) (V, error)) (V, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	if !ok {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), computeTimeout)
		e = &listEntry[V]{ready: make(chan struct{}), cancel: cancel}
		c.entries[key] = e
		c.order = append(c.order, key)
		c.evictLocked(key.version)
		go func() {
			data, err := compute(cctx)
			cancel()
			c.mu.Lock()
			e.data, e.err = data, err
			if err != nil {
				c.dropLocked(key, e)
			}
			c.mu.Unlock()
			close(e.ready)
		}()
	}
	e.waiters++
	c.mu.Unlock()
	select {
	case <-e.ready:
		return e.data, e.err
	case <-ctx.Done():
		c.mu.Lock()
		e.waiters--
		if e.waiters == 0 {
			select {
			case <-e.ready:
			default:
				// No one waits any more: stop the work, and let the next request start anew
				// rather than join a cancelled computation.
				e.cancel()
				c.dropLocked(key, e)
			}
		}
		c.mu.Unlock()
		var zero V
		return zero, ctx.Err()
	}
}

// dropLocked removes the entry e of key, if it is still the one cached.
func (c *flightCache[V]) dropLocked(key listKey, e *listEntry[V]) {
	if c.entries[key] != e {
		return
	}
	delete(c.entries, key)
	if i := slices.Index(c.order, key); i >= 0 {
		c.order = slices.Delete(c.order, i, i+1)
	}
}

// evictLocked drops the entries of older data versions, which no request asks for again, and
// then the oldest entries beyond max.
func (c *flightCache[V]) evictLocked(version int64) {
	kept := c.order[:0]
	for _, k := range c.order {
		if k.version < version {
			delete(c.entries, k)
			continue
		}
		kept = append(kept, k)
	}
	c.order = kept
	for len(c.order) > c.max {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
}

// cacheKey returns the key of the list of year over p in the cache; ok is false when nothing may
// be served from the cache: no cache, a store without versions, a context without an identity,
// or a version that could not be read (without it nothing can be served safely; the data may
// still be readable).
func (s *Service) cacheKey(ctx context.Context, year int, p Period) (key listKey, ok bool) {
	id, hasID := auth.FromContext(ctx)
	if s.cache == nil || s.ver == nil || !hasID {
		return listKey{}, false
	}
	version, err := s.ver.DataVersion(ctx)
	if err != nil {
		return listKey{}, false
	}
	return listKey{version: version, scope: id.CacheKey(), year: year, from: p.From, to: p.To}, true
}

// cached computes the list of year over p, or takes it from the cache when the store is
// Versioned and the context carries an identity.
func (s *Service) cached(ctx context.Context, year int, p Period) (*listData, error) {
	key, ok := s.cacheKey(ctx, year, p)
	if !ok {
		return s.compute(ctx, year, p, Part{})
	}
	return s.cache.get(ctx, key, func(ctx context.Context) (*listData, error) { return s.compute(ctx, year, p, Part{}) })
}

// parts counts the entries of the areas' parts of the list of key (key.area empty).
func (c *flightCache[V]) parts(key listKey) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k := range c.entries {
		if k.area != "" {
			k.area = ""
			if k == key {
				n++
			}
		}
	}
	return n
}

// peek returns the list of key if it is computed and cached, without waiting or computing.
func (c *flightCache[V]) peek(key listKey) V {
	var zero V
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if !ok {
		return zero
	}
	select {
	case <-e.ready:
		if e.err == nil {
			return e.data
		}
	default:
	}
	return zero
}

// The per-area results an area summary adds to a cached list (listData.mu guards them).

// comparisonsOf returns the comparisons of area id remembered with the list.
func (l *listData) comparisonsOf(id string) ([]ComparisonSet, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.cmp[id]
	return c, ok
}

// rememberComparisons keeps the CompStat comparisons of area id with the list: they depend on
// the same data version, scope and period as the list, so the next summary of the area does
// not count them again.
func (l *listData) rememberComparisons(id string, c []ComparisonSet) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cmp == nil {
		l.cmp = map[string][]ComparisonSet{}
	}
	l.cmp[id] = c
}

// groupHotSpots returns the per-group hot spots of area id remembered with the list.
func (l *listData) groupHotSpots(id string) ([]GroupHotSpots, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	g, ok := l.groupHot[id]
	return g, ok
}

// rememberGroupHotSpots keeps the per-group hot spots of area id with the list, so that the
// next summary or report of the area over the same data, scope and period does not read the
// kommun's daily rows again.
func (l *listData) rememberGroupHotSpots(id string, g []GroupHotSpots) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.groupHot == nil {
		l.groupHot = map[string][]GroupHotSpots{}
	}
	l.groupHot[id] = g
}
