package summary

import (
	"context"
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

type listEntry struct {
	ready chan struct{} // closed when data and err are set
	data  *listData
	err   error
}

// listCache holds computed lists, oldest first out. Concurrent requests for one key wait for the
// first one's computation instead of repeating it. A listData is never changed once computed.
type listCache struct {
	mu      sync.Mutex
	max     int
	entries map[listKey]*listEntry
	order   []listKey // insertion order
}

func newListCache(max int) *listCache {
	return &listCache{max: max, entries: map[listKey]*listEntry{}}
}

// get returns the list of key, computing it with compute when it is not cached. Failures are
// not kept.
func (c *listCache) get(ctx context.Context, key listKey, compute func() (*listData, error)) (*listData, error) {
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		c.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err == nil {
			return e.data, nil
		}
		// The computation we waited for failed (its caller may have gone): try once more.
		return compute()
	}
	e := &listEntry{ready: make(chan struct{})}
	c.entries[key] = e
	c.order = append(c.order, key)
	c.evictLocked(key.version)
	c.mu.Unlock()

	e.data, e.err = compute()
	if e.err != nil {
		c.mu.Lock()
		if c.entries[key] == e {
			delete(c.entries, key)
		}
		c.mu.Unlock()
	}
	close(e.ready)
	return e.data, e.err
}

// evictLocked drops the entries of older data versions, which no request asks for again, and
// then the oldest entries beyond max.
func (c *listCache) evictLocked(version int64) {
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
	v, versioned := s.store.(Versioned)
	id, hasID := auth.FromContext(ctx)
	if s.cache == nil || !versioned || !hasID {
		return listKey{}, false
	}
	version, err := v.DataVersion(ctx)
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
	return s.cache.get(ctx, key, func() (*listData, error) { return s.compute(ctx, year, p, Part{}) })
}

// parts counts the entries of the areas' parts of the list of key (key.area empty).
func (c *listCache) parts(key listKey) int {
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
func (c *listCache) peek(key listKey) *listData {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if !ok {
		return nil
	}
	select {
	case <-e.ready:
		if e.err == nil {
			return e.data
		}
	default:
	}
	return nil
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
