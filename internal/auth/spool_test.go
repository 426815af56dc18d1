package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// replayStore is an audit store that can be down, and a replayer that, like the database,
// records the last sequence number per spool in the same step as the rows.
type replayStore struct {
	Store
	mu      sync.Mutex
	down    bool
	rows    []string // subjects, in order
	pos     map[string]int64
	failPos bool // store the rows, then fail before acknowledging (a lost acknowledgement)
}

func (s *replayStore) AppendAudit(_ context.Context, entries ...AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return fmt.Errorf("connect: %w", lagesbild.ErrUnavailable)
	}
	for _, e := range entries {
		s.rows = append(s.rows, e.Subject)
	}
	return nil
}

func (s *replayStore) ReplayAudit(_ context.Context, id string, recs []SpoolRecord) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return 0, fmt.Errorf("connect: %w", lagesbild.ErrUnavailable)
	}
	n := 0
	for _, r := range recs {
		if r.Seq > s.pos[id] {
			s.rows = append(s.rows, r.Entry.Subject)
			n++
		}
	}
	s.pos[id] = recs[len(recs)-1].Seq
	if s.failPos {
		s.failPos = false
		return 0, fmt.Errorf("connection lost: %w", lagesbild.ErrUnavailable)
	}
	return n, nil
}

func TestSpoolDurableAndReplayedOnce(t *testing.T) {
	dir := t.TempDir()
	sp, err := OpenSpool(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := sp.Append(AuditEntry{Subject: fmt.Sprint("r", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// A crash in the middle of an append leaves a torn record: cut off (and kept aside) on open.
	sp.Close()
	path := filepath.Join(dir, "audit-spool.log")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte{0, 0, 0, 40, 1, 2, 3, 4, '{', '"'}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	sp, err = OpenSpool(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	if torn, _ := filepath.Glob(path + ".torn-*"); len(torn) != 1 {
		t.Errorf("torn tail kept in %v, want one file", torn)
	}
	if err := sp.Append(AuditEntry{Subject: "r5"}); err != nil {
		t.Fatal(err)
	}

	var rows, bytes gaugeValue
	sp.Watch(&rows, &bytes)
	if rows != 6 || bytes <= 0 {
		t.Errorf("gauges with 6 rows spooled: rows %v, bytes %v", rows, bytes)
	}
	st := &replayStore{pos: map[string]int64{}, failPos: true}
	// The first replay stores rows but loses its acknowledgement: the next does not repeat them.
	if _, err := sp.Replay(context.Background(), st, 3); err == nil {
		t.Fatal("replay with a lost acknowledgement succeeded")
	}
	for sp.Pending() {
		if _, err := sp.Replay(context.Background(), st, 3); err != nil {
			t.Fatal(err)
		}
	}
	if rows != 0 || bytes != 0 {
		t.Errorf("gauges after the replay: rows %v, bytes %v", rows, bytes)
	}
	want := "[r0 r1 r2 r3 r4 r5]"
	if got := fmt.Sprint(st.rows); got != want {
		t.Errorf("replayed %s, want %s", got, want)
	}
	// The emptied spool starts afresh (a new id), and a reopen finds nothing pending.
	if err := sp.Append(AuditEntry{Subject: "r6"}); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.Replay(context.Background(), st, 10); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(st.rows); got != "[r0 r1 r2 r3 r4 r5 r6]" {
		t.Errorf("after a second spool: %s", got)
	}

	small, err := OpenSpool(t.TempDir(), 200)
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	var full error
	for range 10 {
		if full = small.Append(AuditEntry{Subject: "x", Resource: "/tiles/h3/1/2/3.mvt"}); full != nil {
			break
		}
	}
	if !errors.Is(full, ErrSpoolFull) {
		t.Errorf("appending past the bound: %v, want ErrSpoolFull", full)
	}
}

// TestAuditorSpoolsThroughAnOutage: rows the store cannot take are acknowledged from the spool,
// rows after the outage wait behind them, and all reach the store in order, once.
func TestAuditorSpoolsThroughAnOutage(t *testing.T) {
	st := &replayStore{pos: map[string]int64{}}
	sp, err := OpenSpool(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	a := newAuditor(st, sp, st, nil, auditBatching{})
	a.retryPause = 0
	ctx := context.Background()
	if err := a.Append(ctx, AuditEntry{Subject: "before"}); err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	st.down = true
	st.mu.Unlock()
	for i := range 3 {
		if err := a.Append(ctx, AuditEntry{Subject: fmt.Sprint("during", i)}); err != nil {
			t.Fatalf("append during the outage: %v", err)
		}
	}
	st.mu.Lock()
	st.down = false
	st.mu.Unlock()
	if err := a.Append(ctx, AuditEntry{Subject: "after"}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if got, want := fmt.Sprint(st.rows), "[before during0 during1 during2 after]"; got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
	if sp.Pending() {
		t.Error("rows left in the spool")
	}

	// With the spool unwritable, the request fails closed.
	sp.Close()
	st.down = true
	b := newAuditor(st, sp, st, nil, auditBatching{})
	defer b.Close()
	if err := b.Append(ctx, AuditEntry{Subject: "lost"}); !errors.Is(err, lagesbild.ErrUnavailable) {
		t.Errorf("append with database and spool down: %v, want ErrUnavailable", err)
	}
}

type gaugeValue float64

func (g *gaugeValue) Set(v float64) { *g = gaugeValue(v) }
