package auth

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Auditor writes audit rows for many concurrent requests in shared transactions (group
// commit): each caller still waits until its own row is committed, so a request is never
// answered with data whose audit row is not stored, but a busy server commits one batch per
// round trip instead of one row.
//
// With a Spool, rows the database cannot take (it is unreachable) are written to the spool
// instead, durably, and replayed into the database once it is back; while the spool holds rows,
// new rows go behind them, so the audit log keeps their order. Only when the spool cannot be
// written either does a caller get the error (and its request fails closed).
type Auditor struct {
	store  Store
	queue  chan auditReq
	done   chan struct{}
	exited chan struct{}
	// closeMu orders Append against Close: once closed is set, nothing enters the queue, so
	// the writer's final drain sees every row a caller is waiting for.
	closeMu sync.RWMutex
	closed  bool
	maxRows int

	spool    *Spool
	replayer AuditReplayer
	logger   *slog.Logger
	// slots bounds the batches being committed at once: while one waits for its commit's
	// fsync the next ones are already on their way, and PostgreSQL flushes their WAL together.
	slots chan struct{}
	// commits and rows count the batches committed (or spooled) and their rows, for metrics
	// and the throughput benchmark (rows per commit).
	commits, rows atomic.Int64
	// retryAt (Unix ns): replay is not tried again before this time after a failure.
	retryAt    atomic.Int64
	retryPause time.Duration
	// minRows and delay make a batch that would commit beside others wait for company (see
	// AuditBatchDelay); freed is signalled whenever a writer finishes.
	minRows int
	delay   time.Duration
	freed   chan struct{}
}

// AuditWriters is how many batches are committed at once by default (each on a connection of
// the audit pool, whose default size is the same). Every caller waits for its own row's commit,
// so with C requests in flight and a commit latency L throughput is at most C / L; the writers
// decide how soon a row that arrives while batches are in flight starts its own commit: with W
// writers a new batch leaves every L / W at the latest, so a row waits about L + L / (2W).
const AuditWriters = 4

// AuditBatchDelay and AuditMinBatch are the defaults of the adaptive group commit: a batch of
// fewer than AuditMinBatch rows that would start while other batches are still committing waits
// up to AuditBatchDelay for more rows, and leaves at once when it has AuditMinBatch rows or no
// other batch is left in flight. An idle server (one request at a time) never waits: its row
// finds no batch in flight. A busy one commits fewer, larger batches, and every commit costs
// PostgreSQL a WAL flush (an fsync: about 0.3 ms of CPU on this machine's disk, more than the
// rows themselves). No row ever waits more than AuditBatchDelay longer than it would without it.
const (
	AuditBatchDelay = time.Millisecond
	AuditMinBatch   = 8
)

// auditBatching configures an Auditor's writers and adaptive group commit.
type auditBatching struct {
	writers, minRows int
	delay            time.Duration
}

type auditReq struct {
	e   AuditEntry
	err chan error
}

// NewAuditor starts the batching writer over store; Close stops it.
func NewAuditor(store Store) *Auditor {
	return newAuditor(store, nil, nil, nil, auditBatching{})
}

func newAuditor(store Store, spool *Spool, replayer AuditReplayer, logger *slog.Logger, cfg auditBatching) *Auditor {
	if cfg.writers < 1 {
		cfg.writers = AuditWriters
	}
	if cfg.minRows == 0 {
		cfg.minRows, cfg.delay = AuditMinBatch, AuditBatchDelay
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &Auditor{store: store, queue: make(chan auditReq, 4096), done: make(chan struct{}), exited: make(chan struct{}),
		maxRows: 500, spool: spool, replayer: replayer, logger: logger, retryPause: time.Second,
		slots: make(chan struct{}, cfg.writers), minRows: cfg.minRows, delay: max(cfg.delay, 0), freed: make(chan struct{}, 1)}
	go a.loop()
	return a
}

// Append stores e and returns once it is committed (or spooled, or failed).
func (a *Auditor) Append(ctx context.Context, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	r := auditReq{e: e, err: make(chan error, 1)}
	a.closeMu.RLock()
	if a.closed {
		a.closeMu.RUnlock()
		return a.store.AppendAudit(ctx, e)
	}
	select {
	case a.queue <- r:
		a.closeMu.RUnlock()
	case <-ctx.Done():
		a.closeMu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-r.err:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *Auditor) batching() auditBatching {
	return auditBatching{writers: cap(a.slots), minRows: a.minRows, delay: a.delay}
}

func (a *Auditor) loop() {
	defer close(a.exited)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	for {
		var batch []auditReq
		select {
		case r := <-a.queue:
			batch = append(batch, r)
		case <-tick.C:
			a.replay()
			continue
		case <-a.done:
			// Whatever was queued before Close is still written.
			for {
				select {
				case r := <-a.queue:
					batch = append(batch, r)
					if len(batch) == a.maxRows {
						a.dispatch(batch)
						batch = nil
					}
				default:
					if len(batch) > 0 {
						a.dispatch(batch)
					}
					for range cap(a.slots) {
						a.slots <- struct{}{}
					}
					return
				}
			}
		}
		a.replay()
		// A writer is free: everything that queued while the others were committing goes in
		// this batch.
		a.slots <- struct{}{}
	fill:
		for len(batch) < a.maxRows {
			select {
			case r := <-a.queue:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		if len(batch) < a.minRows && a.delay > 0 && len(a.slots) > 1 {
			batch = a.gather(batch, wait)
		}
		go a.run(batch)
	}
}

// gather adds rows to a small batch that would commit beside others until it has minRows, no
// other batch is in flight any more, Close is called, or delay has passed.
func (a *Auditor) gather(batch []auditReq, wait *time.Timer) []auditReq {
	wait.Reset(a.delay)
	defer wait.Stop()
	for len(batch) < a.minRows {
		select {
		case r := <-a.queue:
			batch = append(batch, r)
		case <-a.freed:
			if len(a.slots) <= 1 { // only this batch's own slot is taken
				return batch
			}
		case <-wait.C:
			return batch
		case <-a.done:
			return batch
		}
	}
	return batch
}

// run writes batch on the slot taken for it, frees the slot and tells a gathering batch.
func (a *Auditor) run(batch []auditReq) {
	a.write(batch)
	<-a.slots
	select {
	case a.freed <- struct{}{}:
	default:
	}
}

// dispatch writes batch on a free writer (used while closing).
func (a *Auditor) dispatch(batch []auditReq) {
	a.slots <- struct{}{}
	go a.run(batch)
}

func (a *Auditor) write(batch []auditReq) {
	entries := make([]AuditEntry, len(batch))
	for i, r := range batch {
		entries[i] = r.e
	}
	err := a.commit(entries)
	a.commits.Add(1)
	a.rows.Add(int64(len(entries)))
	for _, r := range batch {
		r.err <- err
	}
}

// commit stores entries in the database or, when it cannot take them, in the spool.
func (a *Auditor) commit(entries []AuditEntry) error {
	if a.spool == nil {
		return a.appendDB(entries)
	}
	var dbErr error
	if !a.spool.Pending() {
		if dbErr = a.appendDB(entries); dbErr == nil || !errors.Is(dbErr, lagesbild.ErrUnavailable) {
			return dbErr
		}
		a.logger.Warn("the database cannot take audit rows; spooling them", "err", dbErr, "rows", len(entries))
		a.retryAt.Store(time.Now().Add(a.retryPause).UnixNano())
	}
	if err := a.spool.Append(entries...); err != nil {
		a.logger.Error("the audit spool cannot be written", "err", err)
		return errors.Join(dbErr, err, lagesbild.ErrUnavailable)
	}
	return nil
}

func (a *Auditor) appendDB(entries []AuditEntry) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return a.store.AppendAudit(ctx, entries...)
}

// replay moves spooled rows into the database, for at most two seconds, unless a replay failed
// less than a second ago.
func (a *Auditor) replay() {
	if a.spool == nil || a.replayer == nil || !a.spool.Pending() || time.Now().UnixNano() < a.retryAt.Load() {
		return
	}
	start := time.Now()
	total := 0
	for a.spool.Pending() && time.Since(start) < 2*time.Second {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		n, err := a.spool.Replay(ctx, a.replayer, 2000)
		cancel()
		total += n
		if err != nil {
			a.retryAt.Store(time.Now().Add(a.retryPause).UnixNano())
			if !errors.Is(err, lagesbild.ErrUnavailable) {
				a.logger.Error("replaying the audit spool", "err", err)
			}
			break
		}
	}
	if total > 0 {
		a.logger.Info("audit spool replayed into the audit log", "rows", total, "pending", a.spool.Pending())
	}
}

// Close stops the writer after writing what was queued; later Appends write directly.
func (a *Auditor) Close() {
	a.closeMu.Lock()
	if !a.closed {
		a.closed = true
		close(a.done)
	}
	a.closeMu.Unlock()
	<-a.exited
}
