package tiles

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// DefaultVersionTTL is how long a data version read from the database is trusted: an import
// shows in tiles, OGC items pages and summaries at most this long after it commits.
const DefaultVersionTTL = time.Second

// Versions is the data version of the database read at most once per TTL and shared by every
// cache keyed by it (tiles, OGC items pages, summaries), so that a request that hits a cache
// costs no round trip to the primary. A cache entry kept under a version read up to TTL ago
// holds data at least that new (its read happened later), so the only cost of the TTL is that
// an import may be invisible for up to TTL.
type Versions struct {
	src Versioner
	// TTL bounds how long a read version is trusted; 0 reads it on every call. Set it before
	// the first call.
	TTL time.Duration

	mu      sync.Mutex // held while the version is read from the database
	version atomic.Int64
	at      atomic.Int64 // Unix ns of the last read; 0: never
	reads   atomic.Int64 // reads from src, for tests and metrics
}

// NewVersions returns a version source over src that reads it at most once per ttl.
func NewVersions(src Versioner, ttl time.Duration) *Versions {
	return &Versions{src: src, TTL: ttl}
}

// Reads returns how many times the version was read from the source.
func (v *Versions) Reads() int64 { return v.reads.Load() }

func (v *Versions) fresh() bool {
	at := v.at.Load()
	return at != 0 && time.Since(time.Unix(0, at)) < v.TTL
}

// DataVersion returns the data version, read from the source when the last read is older than
// TTL. While it is fresh no lock is taken (every cached tile asks); when it is stale one caller
// reads it and the others wait for that read. While the database is unreachable, the last
// version read stays current (no import can change the data then) and is asked for again after
// TTL.
func (v *Versions) DataVersion(ctx context.Context) (int64, error) {
	if v.fresh() {
		return v.version.Load(), nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.fresh() {
		return v.version.Load(), nil // another caller read it while this one waited
	}
	v.reads.Add(1)
	n, err := v.src.DataVersion(ctx)
	if err != nil {
		if errors.Is(err, lagesbild.ErrUnavailable) && v.at.Load() != 0 {
			v.at.Store(time.Now().UnixNano())
			return v.version.Load(), nil
		}
		return 0, err
	}
	v.version.Store(n)
	v.at.Store(time.Now().UnixNano())
	return n, nil
}
