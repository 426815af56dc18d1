package tiles_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// flakyVersion is a data version that counts its reads and fails with err when set.
type flakyVersion struct {
	v     atomic.Int64
	reads atomic.Int64
	mu    sync.Mutex
	err   error
}

func (f *flakyVersion) DataVersion(context.Context) (int64, error) {
	f.reads.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, f.err
	}
	return f.v.Load(), nil
}

func (f *flakyVersion) fail(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

// TestVersionsTTL: the version is read once per TTL however many callers ask (concurrently
// too), an import shows after at most TTL, an unreachable database keeps the last version, any
// other failure is returned, and TTL 0 reads on every call.
func TestVersionsTTL(t *testing.T) {
	ctx := context.Background()
	src := &flakyVersion{}
	src.v.Store(7)
	const ttl = 200 * time.Millisecond
	vs := tiles.NewVersions(src, ttl)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if v, err := vs.DataVersion(ctx); err != nil || v != 7 {
				t.Errorf("DataVersion = %d, %v; want 7", v, err)
			}
		})
	}
	wg.Wait()
	if n := src.reads.Load(); n != 1 {
		t.Fatalf("50 callers within the TTL read the version %d times, want once", n)
	}
	src.v.Store(8) // an import commits
	if v, _ := vs.DataVersion(ctx); v != 7 {
		t.Errorf("within the TTL: %d, want the version read before (7)", v)
	}
	time.Sleep(ttl + 20*time.Millisecond)
	if v, _ := vs.DataVersion(ctx); v != 8 {
		t.Errorf("after the TTL: %d, want the import's version 8", v)
	}
	if src.reads.Load() != 2 || vs.Reads() != 2 {
		t.Errorf("%d reads (Reads %d), want 2", src.reads.Load(), vs.Reads())
	}

	time.Sleep(ttl + 20*time.Millisecond)
	src.fail(fmt.Errorf("down: %w", lagesbild.ErrUnavailable))
	if v, err := vs.DataVersion(ctx); err != nil || v != 8 {
		t.Errorf("database unreachable: %d, %v; want the last version 8 and no error", v, err)
	}
	time.Sleep(ttl + 20*time.Millisecond)
	boom := errors.New("boom")
	src.fail(boom)
	if _, err := vs.DataVersion(ctx); !errors.Is(err, boom) {
		t.Errorf("a failure other than unavailability: %v, want it returned", err)
	}

	src2 := &flakyVersion{}
	src2.fail(fmt.Errorf("down: %w", lagesbild.ErrUnavailable))
	never := tiles.NewVersions(src2, time.Second)
	if _, err := never.DataVersion(ctx); err == nil {
		t.Error("unreachable before any version was read: no error, want one (no version to vouch for)")
	}

	src.fail(nil)
	every := tiles.NewVersions(src, 0)
	before := src.reads.Load()
	for range 3 {
		_, _ = every.DataVersion(ctx)
	}
	if n := src.reads.Load() - before; n != 3 {
		t.Errorf("TTL 0: %d reads for 3 calls, want 3", n)
	}
}

// TestVersionsShared: a tile service built over a *Versions uses it as it is, so the caches
// that share it read the version once per TTL between them.
func TestVersionsShared(t *testing.T) {
	src := &flakyVersion{}
	vs := tiles.NewVersions(src, time.Minute)
	svc := tiles.NewService(nil, vs, 1<<20)
	if svc.Versions != vs {
		t.Fatal("NewService wrapped a *Versions again")
	}
	_, _ = svc.DataVersion(context.Background())
	_, _ = vs.DataVersion(context.Background())
	if n := src.reads.Load(); n != 1 {
		t.Errorf("%d reads, want 1", n)
	}
}
