package postgis

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// TestExpensiveShare: by default no one kind of expensive read takes every expensive slot, so
// slow OGC pages cannot make every summary wait its queue time out; given bounds are kept.
func TestExpensiveShare(t *testing.T) {
	for _, c := range []struct {
		conns          int32
		l              Limits
		tile, sum, ftr int
	}{
		{4, Limits{}, 2, 2, 2},                         // expensive 3: one slot is left to the others
		{2, Limits{}, 1, 1, 1},                         // expensive 1: nothing to share
		{10, Limits{}, 7, 8, 8},                        // expensive 9
		{4, Limits{FeaturesConcurrency: 3}, 2, 2, 3},   // an explicit bound stands
		{8, Limits{ExpensiveConcurrency: 2}, 1, 1, 1},  // two slots: one each
		{8, Limits{ExpensiveConcurrency: 20}, 6, 8, 8}, // never above the class's own default
	} {
		cl := newClasses(c.l, c.conns)
		if got := [3]int{cap(cl[ClassTile].sem), cap(cl[ClassSummary].sem), cap(cl[ClassFeatures].sem)}; got != [3]int{c.tile, c.sum, c.ftr} {
			t.Errorf("%d connections, %+v: tile, summary, features = %v, want %v", c.conns, c.l, got, [3]int{c.tile, c.sum, c.ftr})
		}
	}
	// With the features' share taken, a summary still starts at once; another feature read waits
	// its queue time and gets ErrUnavailable.
	l := Limits{QueueWait: 50 * time.Millisecond}
	cl, exp := newClasses(l, 4), newExpensive(l, 4)
	ctx := context.Background()
	for range 2 {
		if _, err := acquireAll(ctx, cl[ClassFeatures].wait, cl[ClassFeatures], exp); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := acquireAll(ctx, cl[ClassFeatures].wait, cl[ClassFeatures], exp); !errors.Is(err, lagesbild.ErrUnavailable) {
		t.Errorf("a third feature read: %v, want ErrUnavailable", err)
	}
	release, err := acquireAll(ctx, cl[ClassSummary].wait, cl[ClassSummary], exp)
	if err != nil {
		t.Fatalf("a summary beside two feature reads: %v", err)
	}
	release()
}
