package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// auditStore records the batches AppendAudit receives and fails when told to.
type auditStore struct {
	Store
	mu      sync.Mutex
	batches [][]AuditEntry
	fail    error
	gate    chan struct{}
}

func (s *auditStore) AppendAudit(_ context.Context, entries ...AuditEntry) error {
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches = append(s.batches, entries)
	return s.fail
}

func TestAuditorBatchesAndWaits(t *testing.T) {
	st := &auditStore{gate: make(chan struct{})}
	a := NewAuditor(st)
	defer a.Close()
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- a.Append(context.Background(), AuditEntry{Subject: "u", Status: i})
		}()
	}
	// The first batch is held at the gate while the others queue; then let everything through.
	go func() {
		for range n {
			st.gate <- struct{}{}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	rows := 0
	for _, b := range st.batches {
		rows += len(b)
	}
	if rows != n {
		t.Fatalf("%d rows written, want %d", rows, n)
	}
	if len(st.batches) >= n {
		t.Errorf("%d batches for %d concurrent rows: nothing was batched", len(st.batches), n)
	}
}

func TestAuditorReportsFailureToEveryWaiter(t *testing.T) {
	boom := errors.New("disk full")
	a := NewAuditor(&auditStore{fail: boom})
	defer a.Close()
	for range 3 {
		if err := a.Append(context.Background(), AuditEntry{Subject: "u"}); !errors.Is(err, boom) {
			t.Fatalf("Append = %v, want the store's error", err)
		}
	}
}
