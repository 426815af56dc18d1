package httpapi

import (
	"container/list"
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/cql"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// A cache of OGC API items pages, made safe the way the tile cache is: a page is kept under the
// data version read from the primary before the page is read (in serve, the version source
// shared with the tiles and summaries, read at most a second before; a read replica is used only when
// it is at least at the version this process has seen on the primary, see
// internal/postgis/replicas.go, so a page kept under version V holds data at least that new),
// the caller's scope (auth.Identity.CacheKey: role, agency, scope, resolution and layers, which
// are all that row-level security and the store's checks look at), the collection and every
// field of the query. A request still goes through the audited middleware and waits for its own
// audit row; only the store's read is shared. Concurrent identical misses share one read (a
// flight), which runs apart from any one request and is cancelled when the last request waiting
// for it has gone; failures are passed to those waiting and never kept.
//
// Only collections whose pages depend on nothing else are cached (cachedCollection). The
// observations are not: each read of another agency's observation goes into the disclosure
// log of its audit row (samverkan_ogc.go, which does not read through the FeatureStore). Nor are
// the emerging-<region> collections, computed over months that end at the newest incident day
// or, in a database without incidents, at today's date: they depend on the clock.

const (
	// defaultItemCacheBytes bounds the pages kept (their estimated size) unless
	// Server.ItemCacheBytes says otherwise.
	defaultItemCacheBytes = 32 << 20
	// itemCacheEntries bounds the number of pages kept.
	itemCacheEntries = 512
	// itemReadTimeout bounds a shared read, which runs apart from the requests waiting for it
	// (the OGC routes time out after 60 s too).
	itemReadTimeout = 60 * time.Second
)

// cachedCollection reports whether the items of a collection may be kept: the police lists, the
// boundaries, the presence layers and the H3 aggregates, whose pages depend only on the data
// version, the caller's scope and the query. If in doubt, a collection stays out.
func cachedCollection(id string) bool {
	switch id {
	case "kommuner", "lan", "polisregioner", "narvaro-kontor", "narvaro-insatser":
		return true
	case obsCollection:
		return false
	}
	if strings.HasPrefix(id, emergingPrefix) {
		return false
	}
	if res, ok := strings.CutPrefix(id, "h3-r"); ok {
		return len(res) == 1 && res[0] >= '0' && res[0] <= '9'
	}
	if y, ok := strings.CutPrefix(id, "omraden-"); ok {
		_, err := strconv.Atoi(y)
		return len(y) == 4 && err == nil
	}
	return false
}

// versioner reports the data version of the primary, which changes with every import or
// change that can change what a page holds.
type versioner interface {
	DataVersion(ctx context.Context) (int64, error)
}

// itemCache is a FeatureStore whose Items pages are cached; the other methods are the store's.
type itemCache struct {
	lagesbild.FeatureStore
	ver        versioner
	maxBytes   int64
	maxEntries int

	mu      sync.Mutex
	lru     *list.List // of *itemEntry, the most recently used first
	entries map[string]*list.Element
	bytes   int64
	newest  int64 // the newest version a page was kept under; older pages are dropped
	flights map[string]*itemFlight

	hits, misses atomic.Int64
}

type itemEntry struct {
	key     string
	version int64
	page    lagesbild.FeaturePage
	size    int64
}

// itemFlight is one read in progress, shared by the requests with its key.
type itemFlight struct {
	done    chan struct{} // closed when page and err are set
	page    lagesbild.FeaturePage
	err     error
	waiters int
	cancel  context.CancelFunc
}

// withItemCache wraps fs in a cache of at most maxBytes, keyed by the data version of ver or,
// when ver is nil, of fs when it reports one. A store already wrapped (by this or by
// withEmerging) is returned as it is.
func withItemCache(fs lagesbild.FeatureStore, maxBytes int64, ver versioner) lagesbild.FeatureStore {
	switch fs.(type) {
	case nil, *itemCache, *emergingStore:
		return fs
	}
	v, ok := fs.(versioner)
	if ver != nil {
		v, ok = ver, true
	}
	if !ok || maxBytes < 0 {
		return fs
	}
	if maxBytes == 0 {
		maxBytes = defaultItemCacheBytes
	}
	return &itemCache{FeatureStore: fs, ver: v, maxBytes: maxBytes, maxEntries: itemCacheEntries,
		lru: list.New(), entries: map[string]*list.Element{}, flights: map[string]*itemFlight{}}
}

// Items returns the page from the cache, from a read in progress for the same key, or from
// the store.
func (c *itemCache) Items(ctx context.Context, collection string, q lagesbild.FeatureQuery) (lagesbild.FeaturePage, error) {
	key, version, ok := c.key(ctx, collection, q)
	if !ok {
		return c.FeatureStore.Items(ctx, collection, q)
	}
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		c.lru.MoveToFront(e)
		page := e.Value.(*itemEntry).page
		c.mu.Unlock()
		c.hits.Add(1)
		return ownPage(page), nil
	}
	c.misses.Add(1)
	f, ok := c.flights[key]
	if !ok {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), itemReadTimeout)
		f = &itemFlight{done: make(chan struct{}), cancel: cancel}
		c.flights[key] = f
		go func() {
			page, err := c.FeatureStore.Items(rctx, collection, q)
			cancel()
			c.mu.Lock()
			f.page, f.err = page, err
			if c.flights[key] == f {
				delete(c.flights, key)
			}
			if err == nil {
				c.addLocked(key, version, page)
			}
			c.mu.Unlock()
			close(f.done)
		}()
	}
	f.waiters++
	c.mu.Unlock()
	select {
	case <-f.done:
		if f.err != nil {
			return lagesbild.FeaturePage{}, f.err
		}
		return ownPage(f.page), nil
	case <-ctx.Done():
		c.mu.Lock()
		f.waiters--
		if f.waiters == 0 && c.flights[key] == f {
			// No one waits any more: stop the read, and let the next request start anew rather
			// than join a cancelled one.
			f.cancel()
			delete(c.flights, key)
		}
		c.mu.Unlock()
		return lagesbild.FeaturePage{}, ctx.Err()
	}
}

// ownPage gives a caller its own slice of the features: the handler drops features from it
// (the areas outside the caller's scope), which must not change the kept page. The features'
// JSON is never changed, only replaced, so it is shared.
func ownPage(p lagesbild.FeaturePage) lagesbild.FeaturePage {
	p.Features = slices.Clone(p.Features)
	return p
}

// addLocked keeps a page read under version, unless a newer version has been seen: the pages
// of older versions are dropped first, then the least recently used beyond the bounds.
func (c *itemCache) addLocked(key string, version int64, page lagesbild.FeaturePage) {
	if version < c.newest {
		return
	}
	if version > c.newest {
		c.newest = version
		for e := c.lru.Back(); e != nil; {
			prev := e.Prev()
			if e.Value.(*itemEntry).version < version {
				c.removeLocked(e)
			}
			e = prev
		}
	}
	size := pageSize(key, page)
	if size > c.maxBytes {
		return
	}
	if old, ok := c.entries[key]; ok {
		c.removeLocked(old)
	}
	c.entries[key] = c.lru.PushFront(&itemEntry{key: key, version: version, page: page, size: size})
	c.bytes += size
	for c.bytes > c.maxBytes || c.lru.Len() > c.maxEntries {
		c.removeLocked(c.lru.Back())
	}
}

func (c *itemCache) removeLocked(e *list.Element) {
	ie := e.Value.(*itemEntry)
	c.lru.Remove(e)
	delete(c.entries, ie.key)
	c.bytes -= ie.size
}

// pageSize estimates what a kept page holds in memory: its JSON and ids, and the slice and
// string headers around them.
func pageSize(key string, p lagesbild.FeaturePage) int64 {
	n := int64(len(key)) + 160
	for _, f := range p.Features {
		n += int64(len(f.ID)+len(f.Geometry)+len(f.Properties)) + 88
	}
	return n
}

// key is the cache key of a request, and the data version in it; ok is false when the page
// must not be kept or shared: a collection that is not cached, a context without an identity,
// a filter without a canonical form, or a data version that could not be read (the read
// itself may still succeed).
func (c *itemCache) key(ctx context.Context, collection string, q lagesbild.FeatureQuery) (string, int64, bool) {
	id, ok := auth.FromContext(ctx)
	if !ok || !cachedCollection(collection) {
		return "", 0, false
	}
	filter := ""
	if q.Filter != nil {
		if filter, ok = cql.Canonical(q.Filter); !ok {
			return "", 0, false
		}
	}
	version, err := c.ver.DataVersion(ctx) // from the primary (at most a second ago in serve), before the read
	if err != nil {
		return "", 0, false
	}
	var b strings.Builder
	field := func(s string) {
		b.WriteString(strconv.Quote(s))
		b.WriteByte('|')
	}
	num := func(f float64) { field(strconv.FormatFloat(f, 'g', -1, 64)) }
	crs := func(c lagesbild.CRS) {
		field(c.URI)
		field(strconv.Itoa(c.SRID))
		field(strconv.FormatBool(c.NorthFirst))
	}
	when := func(t *time.Time) {
		if t == nil {
			field("..")
			return
		}
		field(t.Format(time.RFC3339Nano))
	}
	field(strconv.FormatInt(version, 10))
	field(id.CacheKey())
	field(collection)
	field(strconv.Itoa(q.Limit))
	field(strconv.Itoa(q.Offset))
	if q.BBox == nil {
		field("no bbox")
	} else {
		num(q.BBox.MinLon)
		num(q.BBox.MinLat)
		num(q.BBox.MaxLon)
		num(q.BBox.MaxLat)
	}
	field(strconv.Itoa(q.BBoxSRID))
	if q.Time == nil {
		field("no time")
	} else {
		when(q.Time.Start)
		when(q.Time.End)
	}
	crs(q.CRS)
	field(filter)
	crs(q.FilterCRS)
	for _, k := range q.SortBy {
		field(k.Property)
		field(strconv.FormatBool(k.Desc))
	}
	return b.String(), version, true
}

// stats reports the lookups that hit and missed since the start, and what is held.
func (c *itemCache) stats() (hits, misses int64, entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits.Load(), c.misses.Load(), c.lru.Len(), c.bytes
}

// ItemCacheStats reports the cache of OGC API items pages: the lookups that hit and missed
// since the start, the pages held and their estimated bytes (all zero without a cache). It may
// be called from any goroutine once Handler (or HTTPServer) has returned.
func (s *Server) ItemCacheStats() (hits, misses int64, entries int, bytes int64) {
	if c := s.items; c != nil {
		return c.stats()
	}
	return 0, 0, 0, 0
}
