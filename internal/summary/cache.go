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
// the smoothing reference is the visible part of the list), the list and the period.
type listKey struct {
	version  int64
	scope    string // auth.Identity.CacheKey
	year     int
	from, to time.Time
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

// cached computes the list of year over p, or takes it from the cache when the store is
// Versioned and the context carries an identity.
func (s *Service) cached(ctx context.Context, year int, p Period) (*listData, error) {
	v, versioned := s.store.(Versioned)
	id, ok := auth.FromContext(ctx)
	if s.cache == nil || !versioned || !ok {
		return s.compute(ctx, year, p)
	}
	version, err := v.DataVersion(ctx)
	if err != nil {
		// Without a version nothing can be served from the cache safely; the data may still be
		// readable.
		return s.compute(ctx, year, p)
	}
	key := listKey{version: version, scope: id.CacheKey(), year: year, from: p.From, to: p.To}
	return s.cache.get(ctx, key, func() (*listData, error) { return s.compute(ctx, year, p) })
}
