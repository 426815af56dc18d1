package auth

import (
	"context"
	"sync"
	"time"
)

// Auditor writes audit rows for many concurrent requests in shared transactions (group
// commit): each caller still waits until its own row is committed, so a request is never
// answered with data whose audit row is not stored, but a busy server commits one batch per
// round trip instead of one row.
type Auditor struct {
	store   Store
	queue   chan auditReq
	done    chan struct{}
	stop    sync.Once
	maxRows int
}

type auditReq struct {
	e   AuditEntry
	err chan error
}

// NewAuditor starts the batching writer over store; Close stops it.
func NewAuditor(store Store) *Auditor {
	a := &Auditor{store: store, queue: make(chan auditReq, 4096), done: make(chan struct{}), maxRows: 500}
	go a.loop()
	return a
}

// Append stores e and returns once it is committed (or failed).
func (a *Auditor) Append(ctx context.Context, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	r := auditReq{e: e, err: make(chan error, 1)}
	select {
	case a.queue <- r:
	case <-a.done:
		return a.store.AppendAudit(ctx, e)
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.err:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *Auditor) loop() {
	for {
		var batch []auditReq
		select {
		case r := <-a.queue:
			batch = append(batch, r)
		case <-a.done:
			return
		}
		// Everything that queued while the last batch was written goes in this one.
	fill:
		for len(batch) < a.maxRows {
			select {
			case r := <-a.queue:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		entries := make([]AuditEntry, len(batch))
		for i, r := range batch {
			entries[i] = r.e
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := a.store.AppendAudit(ctx, entries...)
		cancel()
		for _, r := range batch {
			r.err <- err
		}
	}
}

// Close stops the writer; later Appends write directly.
func (a *Auditor) Close() { a.stop.Do(func() { close(a.done) }) }
