package auth

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// holdStore records every batch; the first batch blocks until release is closed, so a test can
// keep one commit in flight.
type holdStore struct {
	Store
	mu      sync.Mutex
	batches [][]AuditEntry
	arrived chan int // the size of each batch, as it arrives
	release chan struct{}
}

func newHoldStore() *holdStore {
	return &holdStore{arrived: make(chan int, 100), release: make(chan struct{})}
}

func (s *holdStore) AppendAudit(_ context.Context, entries ...AuditEntry) error {
	s.mu.Lock()
	s.batches = append(s.batches, entries)
	first := len(s.batches) == 1
	s.mu.Unlock()
	s.arrived <- len(entries)
	if first {
		<-s.release
	}
	return nil
}

func (s *holdStore) next(t *testing.T, what string) int {
	t.Helper()
	select {
	case n := <-s.arrived:
		return n
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no batch reached the store", what)
		return 0
	}
}

// appendAsync appends n rows in goroutines and returns a channel of their errors.
func appendAsync(a *Auditor, n int) chan error {
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- a.Append(context.Background(), AuditEntry{Subject: "u", Status: i}) }()
	}
	return errs
}

// TestAuditorAdaptiveBatching checks each way a small batch leaves while another is committing:
// when it has minRows rows, when the batch in flight finishes, and when the delay has passed; and
// that a row arriving with nothing in flight never waits.
func TestAuditorAdaptiveBatching(t *testing.T) {
	t.Run("idle server commits at once", func(t *testing.T) {
		st := newHoldStore()
		close(st.release)
		a := newAuditor(st, nil, nil, nil, auditBatching{writers: 4, minRows: 8, delay: time.Hour})
		defer a.Close()
		if err := a.Append(context.Background(), AuditEntry{Subject: "u"}); err != nil {
			t.Fatal(err)
		}
		if n := st.next(t, "idle"); n != 1 {
			t.Fatalf("batch of %d rows, want 1", n)
		}
	})
	t.Run("leaves with minRows rows", func(t *testing.T) {
		st := newHoldStore()
		a := newAuditor(st, nil, nil, nil, auditBatching{writers: 4, minRows: 3, delay: time.Hour})
		defer a.Close()
		defer close(st.release)
		first := appendAsync(a, 1)
		st.next(t, "first")
		rest := appendAsync(a, 3)
		if n := st.next(t, "second"); n != 3 {
			t.Fatalf("second batch of %d rows, want 3 (minRows) while the first is in flight", n)
		}
		for range 3 {
			if err := <-rest; err != nil {
				t.Fatal(err)
			}
		}
		select {
		case <-first:
			t.Fatal("the held first batch was reported committed")
		default:
		}
	})
	t.Run("leaves when the batch in flight is done", func(t *testing.T) {
		st := newHoldStore()
		a := newAuditor(st, nil, nil, nil, auditBatching{writers: 4, minRows: 8, delay: time.Hour})
		defer a.Close()
		first := appendAsync(a, 1)
		st.next(t, "first")
		second := appendAsync(a, 1)
		select {
		case n := <-st.arrived:
			t.Fatalf("a batch of %d rows left beside the first though it may wait an hour for company", n)
		case <-time.After(50 * time.Millisecond):
		}
		close(st.release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if n := st.next(t, "second"); n != 1 {
			t.Fatalf("second batch of %d rows, want 1", n)
		}
		if err := <-second; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("leaves after the delay", func(t *testing.T) {
		st := newHoldStore()
		a := newAuditor(st, nil, nil, nil, auditBatching{writers: 4, minRows: 8, delay: 20 * time.Millisecond})
		defer a.Close()
		defer close(st.release)
		appendAsync(a, 1)
		st.next(t, "first")
		second := appendAsync(a, 1)
		// The first batch is still held: only the delay can have let the second go.
		if n := st.next(t, "second"); n != 1 {
			t.Fatalf("second batch of %d rows, want 1", n)
		}
		if err := <-second; err != nil {
			t.Fatal(err)
		}
	})
}

// jitterStore stores rows after a random pause, like commits of varying latency.
type jitterStore struct {
	Store
	mu   sync.Mutex
	seen map[[2]int]int
}

func (s *jitterStore) AppendAudit(_ context.Context, entries ...AuditEntry) error {
	time.Sleep(time.Duration(rand.IntN(400)) * time.Microsecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range entries {
		s.seen[[2]int{e.Status, int(e.At.UnixNano())}]++
	}
	return nil
}

func (s *jitterStore) count(k [2]int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[k]
}

// TestAuditorAdaptiveBatchingKeepsEveryRowOnce: many clients, commits of random latency and the
// adaptive group commit on; every row is stored exactly once, and before its Append returns.
// Close while clients are still appending loses nothing either.
func TestAuditorAdaptiveBatchingKeepsEveryRowOnce(t *testing.T) {
	for _, c := range []auditBatching{{writers: 4, minRows: 8, delay: 200 * time.Microsecond}, {writers: 2, minRows: 3, delay: time.Millisecond},
		{writers: 1, minRows: 8, delay: time.Millisecond}} {
		st := &jitterStore{seen: map[[2]int]int{}}
		a := newAuditor(st, nil, nil, nil, c)
		const clients, each = 40, 100
		var wg sync.WaitGroup
		errs := make(chan error, clients*each)
		for cl := range clients {
			wg.Go(func() {
				for i := range each {
					// At (ns) numbers the row: every row is distinct.
					k := [2]int{cl, i + 1}
					err := a.Append(context.Background(), AuditEntry{Subject: "u", Status: cl, At: time.Unix(0, int64(i+1))})
					if err == nil && st.count(k) != 1 {
						t.Errorf("%+v: row %v reported stored, found %d times", c, k, st.count(k))
					}
					errs <- err
				}
			})
		}
		time.Sleep(5 * time.Millisecond)
		a.Close() // the rest go directly to the store
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if len(st.seen) != clients*each {
			t.Fatalf("%+v: %d distinct rows stored, want %d", c, len(st.seen), clients*each)
		}
		for k, n := range st.seen {
			if n != 1 {
				t.Fatalf("%+v: row %v stored %d times", c, k, n)
			}
		}
	}
}
