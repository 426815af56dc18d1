package tiles

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Versioner reports the data version, which changes on every import.
type Versioner interface {
	DataVersion(ctx context.Context) (int64, error)
}

// Tile is a rendered tile: gzipped MVT bytes (nil when empty) and its ETag.
type Tile struct {
	Gzip  []byte
	ETag  string
	Empty bool
}

// Service renders tiles through a Source and caches them.
type Service struct {
	src   Source
	cache *Cache
	// flights are the renders in progress, shared by every request for the same tile.
	flightsMu sync.Mutex
	flights   map[string]*flight
	// Versions is the data version the cache keys hold: a new import shows in tiles at most
	// its TTL after it commits. It may be shared with the other caches (NewService).
	Versions *Versions

	hits, misses atomic.Int64 // cache lookups, for metrics
}

// CacheStats reports the cache lookups that hit and missed since the start, and what is held.
func (s *Service) CacheStats() (hits, misses int64, entries int, bytes int64) {
	return s.hits.Load(), s.misses.Load(), s.cache.Len(), s.cache.Bytes()
}

// NewService builds a tile service with a cache of at most cacheBytes bytes of gzipped tiles.
// When ver is a *Versions it is used as it is (shared with other caches); any other Versioner
// is read at most once per DefaultVersionTTL.
func NewService(src Source, ver Versioner, cacheBytes int64) *Service {
	vs, ok := ver.(*Versions)
	if !ok {
		vs = NewVersions(ver, DefaultVersionTTL)
	}
	return &Service{src: src, Versions: vs, cache: NewCache(cacheBytes), flights: map[string]*flight{}}
}

// DataVersion returns the data version of s.Versions (read at most once per its TTL).
func (s *Service) DataVersion(ctx context.Context) (int64, error) { return s.Versions.DataVersion(ctx) }

// Prepared is a tile request resolved against the data version: its ETag (to answer
// If-None-Match before anything else) and its cache key. Fetch returns the tile.
type Prepared struct {
	ETag    string
	Version int64
	key     string
	req     Request
}

// Prepare resolves req for scope (the caller's access scope; tiles of different scopes never
// share a cache entry or an ETag) against the current data version, without rendering.
func (s *Service) Prepare(ctx context.Context, req Request, scope string) (Prepared, error) {
	v, err := s.DataVersion(ctx)
	if err != nil {
		return Prepared{}, err
	}
	key := strconv.FormatInt(v, 10) + "|" + scope + "|" + req.Key()
	h := sha256.Sum256([]byte(key))
	var tag [2 + 24]byte
	tag[0], tag[len(tag)-1] = '"', '"'
	hex.Encode(tag[1:25], h[:12])
	return Prepared{ETag: string(tag[:]), Version: v, key: key, req: req}, nil
}

// Fetch returns the prepared tile: from the cache, or rendered once for every request that
// waits for it.
func (s *Service) Fetch(ctx context.Context, p Prepared) (Tile, error) {
	if t, ok := s.cache.Get(p.key); ok {
		s.hits.Add(1)
		return t, nil
	}
	s.misses.Add(1)
	return s.render(ctx, p.key, p.ETag, p.req)
}

// ETag computes the tag of a tile without rendering it, so If-None-Match can be answered first.
func (s *Service) ETag(ctx context.Context, req Request, scope string) (string, int64, error) {
	p, err := s.Prepare(ctx, req, scope)
	if err != nil {
		return "", 0, err
	}
	return p.ETag, p.Version, nil
}

// Get returns the tile for req as seen by scope (the caller's access scope; tiles of different
// scopes never share a cache entry). Concurrent requests for the same missing tile render once,
// and the render stops when all of them have gone.
func (s *Service) Get(ctx context.Context, req Request, scope string) (Tile, error) {
	p, err := s.Prepare(ctx, req, scope)
	if err != nil {
		return Tile{}, err
	}
	return s.Fetch(ctx, p)
}

// flight is one render in progress. It is cancelled when every request waiting for it has gone
// (a client that disconnects stops its query unless another client waits for the same tile).
type flight struct {
	done    chan struct{}
	tile    Tile
	err     error
	waiters int
	cancel  context.CancelFunc
}

func (s *Service) render(ctx context.Context, key, etag string, req Request) (Tile, error) {
	s.flightsMu.Lock()
	f, ok := s.flights[key]
	if !ok {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		f = &flight{done: make(chan struct{}), cancel: cancel}
		s.flights[key] = f
		go func() {
			f.tile, f.err = s.renderNow(rctx, etag, req)
			cancel()
			if f.err == nil {
				s.cache.Add(key, f.tile)
			}
			s.flightsMu.Lock()
			delete(s.flights, key)
			s.flightsMu.Unlock()
			close(f.done)
		}()
	}
	f.waiters++
	s.flightsMu.Unlock()

	select {
	case <-f.done:
		return f.tile, f.err
	case <-ctx.Done():
		s.flightsMu.Lock()
		f.waiters--
		if f.waiters == 0 {
			f.cancel()
		}
		s.flightsMu.Unlock()
		return Tile{}, ctx.Err()
	}
}

func (s *Service) renderNow(ctx context.Context, etag string, req Request) (Tile, error) {
	var raw bytes.Buffer
	for _, l := range req.Layers {
		// Tiles of several layers are the concatenation of the layers' tiles (MVT is a
		// repeated field of layers).
		var b []byte
		var err error
		if req.Grid == "" {
			b, err = s.src.Tile(ctx, l.Name, req.Z, req.X, req.Y, req.Filters)
		} else if gs, ok := s.src.(GridSource); ok {
			b, err = gs.GridTile(ctx, req.Grid, l.Name, req.Z, req.X, req.Y, req.Filters)
		} else {
			err = fmt.Errorf("the tile source draws no tiles in %s: %w", req.Grid, lagesbild.ErrNotFound)
		}
		if err != nil {
			if req.Grid != "" {
				return Tile{}, fmt.Errorf("tiles: %s %s %d/%d/%d: %w", l.Name, req.Grid, req.Z, req.Y, req.X, err)
			}
			return Tile{}, fmt.Errorf("tiles: %s %d/%d/%d: %w", l.Name, req.Z, req.X, req.Y, err)
		}
		raw.Write(b)
	}
	t := Tile{ETag: etag, Empty: raw.Len() == 0}
	if !t.Empty {
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
		_, _ = zw.Write(raw.Bytes())
		if err := zw.Close(); err != nil {
			return Tile{}, err
		}
		t.Gzip = gz.Bytes()
	}
	return t, nil
}

// Cache is an LRU of tiles bounded by the bytes of their gzipped bodies.
type Cache struct {
	mu       sync.Mutex
	maxBytes int64
	bytes    int64
	ll       *list.List
	items    map[string]*list.Element
}

type entry struct {
	key  string
	tile Tile
}

// NewCache makes a cache of at most maxBytes bytes.
func NewCache(maxBytes int64) *Cache {
	return &Cache{maxBytes: maxBytes, ll: list.New(), items: map[string]*list.Element{}}
}

// Get returns a cached tile and marks it recently used.
func (c *Cache) Get(key string) (Tile, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*entry).tile, true
	}
	return Tile{}, false
}

// Add stores a tile, evicting the least recently used ones beyond the byte bound.
func (c *Cache) Add(key string, t Tile) {
	size := int64(len(t.Gzip) + len(key) + 64)
	if size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.bytes -= int64(len(e.Value.(*entry).tile.Gzip) + len(key) + 64)
		e.Value.(*entry).tile = t
		c.ll.MoveToFront(e)
	} else {
		c.items[key] = c.ll.PushFront(&entry{key, t})
	}
	c.bytes += size
	for c.bytes > c.maxBytes {
		last := c.ll.Back()
		e := last.Value.(*entry)
		c.ll.Remove(last)
		delete(c.items, e.key)
		c.bytes -= int64(len(e.tile.Gzip) + len(e.key) + 64)
	}
}

// Len and Bytes report the cache's size, for metrics and tests.
func (c *Cache) Len() int { c.mu.Lock(); defer c.mu.Unlock(); return c.ll.Len() }

// Bytes reports the bytes held.
func (c *Cache) Bytes() int64 { c.mu.Lock(); defer c.mu.Unlock(); return c.bytes }
