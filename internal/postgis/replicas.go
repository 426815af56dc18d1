package postgis

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Read replicas: the scoped reads (tiles, summaries, OGC items) go to streaming replicas when
// there are any; writes, accounts, the audit log and the data version stay on the primary.
//
// A replica replays the primary's WAL with a delay, so it can be behind the data version the
// caches key on: a tile rendered there under the primary's version would hold the older data
// for as long as that version lasts. So a read goes to a replica only when the replica's
// data_version is at least the newest version this process has seen on the primary; caches
// read that version from the primary before they render, so whatever they store under it
// comes from data at least that new. A replica that is behind, or down, is skipped and the
// read runs on the primary. Each replica URL must name one server (not a balancer over
// several), because a replica's version is remembered between reads: a server's version only
// grows.
const (
	// replicaDownFor is how long a replica that failed is left alone before it is tried again.
	replicaDownFor = 5 * time.Second
	// replicaRecheck bounds how often a replica found behind is asked for its version again.
	replicaRecheck = 100 * time.Millisecond
	// primaryVersionTTL bounds how old the primary version the routing compares with may be,
	// when no cache has read it since: an import shows on every read at most this late.
	primaryVersionTTL = time.Second
)

// replica is one read-only standby.
type replica struct {
	name string // replica-N, for metrics and logs (never the URL: it may hold a password)
	pool *pgxpool.Pool
	// seen is the newest data version read on the replica.
	seen atomic.Int64
	// downUntil and checkedAt are Unix nanoseconds: until when the replica is skipped after a
	// failure, and when its version was last read.
	downUntil, checkedAt atomic.Int64
	behind               atomic.Bool
	reads                atomic.Int64
	fallbackDown         atomic.Int64
	fallbackBehind       atomic.Int64
}

// replicaSet is the replicas and the primary's version they are measured against.
type replicaSet struct {
	list    []*replica
	next    atomic.Uint32
	primary atomic.Int64 // newest data version seen on the primary
	// primaryAt is when primary was last read (Unix nanoseconds); refreshing is set while one
	// read of it runs (the others use the value they have meanwhile).
	primaryAt  atomic.Int64
	refreshing atomic.Bool
	// primaryReads counts the read transactions run on the primary's reader pool.
	primaryReads atomic.Int64
}

// AddReplicas connects the read pools of urls, streaming replicas of the primary (hot standbys).
// Their connections read as lagesbild_reader (SET ROLE on connect), so the URL's role must be a
// member of it: the owner, or a login role such as the managed cluster's lagesbild_service. A
// replica that does not answer now is logged and tried again later; a URL that does not parse is
// an error.
func (db *DB) AddReplicas(ctx context.Context, urls []string) error {
	owner := db.pool.Config()
	for i, u := range urls {
		cfg, err := pgxpool.ParseConfig(u)
		if err != nil {
			// The parse error may echo the URL, which can hold a password: do not wrap it.
			return fmt.Errorf("postgis: read replica %d: not a valid connection string: %w", i+1, lagesbild.ErrInvalid)
		}
		for k, v := range owner.ConnConfig.RuntimeParams {
			if _, set := cfg.ConnConfig.RuntimeParams[k]; !set {
				cfg.ConnConfig.RuntimeParams[k] = v
			}
		}
		if cfg.ConnConfig.ConnectTimeout == 0 {
			cfg.ConnConfig.ConnectTimeout = 2 * time.Second
		}
		cfg.MaxConns = owner.MaxConns
		cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
			_, err := c.Exec(ctx, `SET ROLE lagesbild_reader`)
			return err
		}
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return fmt.Errorf("postgis: read replica %d: %w", i+1, translate(err))
		}
		r := &replica{name: fmt.Sprintf("replica-%d", i+1), pool: pool}
		db.replicas.list = append(db.replicas.list, r)
		var inRecovery bool
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err = pool.QueryRow(pctx, `SELECT pg_is_in_recovery()`).Scan(&inRecovery)
		cancel()
		switch {
		case err != nil:
			r.downUntil.Store(time.Now().Add(replicaDownFor).UnixNano())
			db.logger.Warn("read replica does not answer; reads go to the primary until it does",
				"replica", r.name, "host", cfg.ConnConfig.Host, "port", cfg.ConnConfig.Port, "err", translate(err))
		case !inRecovery:
			db.logger.Warn("read replica is not in recovery (is it the primary?)", "replica", r.name, "host", cfg.ConnConfig.Host, "port", cfg.ConnConfig.Port)
		default:
			db.logger.Info("read replica", "replica", r.name, "host", cfg.ConnConfig.Host, "port", cfg.ConnConfig.Port)
		}
	}
	return nil
}

// CheckURL reports whether s is a connection string the pools accept, without connecting. The
// error does not hold s (it may hold a password).
func CheckURL(s string) error {
	if _, err := pgxpool.ParseConfig(s); err != nil {
		return fmt.Errorf("postgis: not a valid connection string: %w", lagesbild.ErrInvalid)
	}
	return nil
}

// closeReplicas closes the replicas' pools.
func (db *DB) closeReplicas() {
	for _, r := range db.replicas.list {
		r.pool.Close()
	}
}

// sawPrimaryVersion records a data version read on the primary.
func (db *DB) sawPrimaryVersion(v int64) {
	rs := &db.replicas
	for {
		old := rs.primary.Load()
		if v <= old || rs.primary.CompareAndSwap(old, v) {
			break
		}
	}
	rs.primaryAt.Store(time.Now().UnixNano())
}

// primaryVersion returns the newest data version seen on the primary, reading it when it is
// older than primaryVersionTTL.
func (db *DB) primaryVersion(ctx context.Context) (int64, error) {
	rs := &db.replicas
	if time.Since(time.Unix(0, rs.primaryAt.Load())) < primaryVersionTTL {
		return rs.primary.Load(), nil
	}
	if rs.primaryAt.Load() != 0 {
		if !rs.refreshing.CompareAndSwap(false, true) {
			return rs.primary.Load(), nil
		}
		defer rs.refreshing.Store(false)
	}
	return db.DataVersion(ctx) // records it
}

// readPool returns the pool a scoped read should run on: a replica that is up and not behind
// the primary's data version, in turn, or else the primary's reader pool.
func (db *DB) readPool(ctx context.Context) (*pgxpool.Pool, *replica) {
	rs := &db.replicas
	n := len(rs.list)
	if n == 0 {
		return db.reader, nil
	}
	want, err := db.primaryVersion(ctx)
	if err != nil {
		// The primary does not answer: a replica may, but without the primary's version a
		// replica's data cannot be vouched for. The read fails on the primary like any other.
		return db.reader, nil
	}
	now := time.Now()
	start := int(rs.next.Add(1))
	for i := range n {
		r := rs.list[(start+i)%n]
		if now.UnixNano() < r.downUntil.Load() {
			r.fallbackDown.Add(1)
			continue
		}
		if r.seen.Load() >= want {
			r.behind.Store(false)
			return r.pool, r
		}
		if r.behind.Load() && now.Sub(time.Unix(0, r.checkedAt.Load())) < replicaRecheck {
			r.fallbackBehind.Add(1)
			continue
		}
		v, err := r.version(ctx)
		if err != nil {
			if ctx.Err() == nil {
				db.replicaFailed(r, err)
				r.fallbackDown.Add(1)
			}
			continue
		}
		if v >= want {
			r.behind.Store(false)
			return r.pool, r
		}
		if !r.behind.Swap(true) {
			db.logger.Warn("read replica is behind the primary's data version; its reads go to the primary",
				"replica", r.name, "replica_version", v, "primary_version", want)
		}
		r.fallbackBehind.Add(1)
	}
	return db.reader, nil
}

// version reads the replica's data version and remembers it.
func (r *replica) version(ctx context.Context) (int64, error) {
	var v int64
	err := r.pool.QueryRow(ctx, `SELECT version FROM data_version`).Scan(&v)
	r.checkedAt.Store(time.Now().UnixNano())
	if err != nil {
		return 0, translate(err)
	}
	for {
		old := r.seen.Load()
		if v <= old || r.seen.CompareAndSwap(old, v) {
			break
		}
	}
	return v, nil
}

// replicaFailed takes r out of the rotation for replicaDownFor.
func (db *DB) replicaFailed(r *replica, err error) {
	if time.Now().UnixNano() >= r.downUntil.Load() {
		db.logger.Warn("read replica failed; its reads go to the primary", "replica", r.name, "for", replicaDownFor.String(), "err", err)
	}
	r.downUntil.Store(time.Now().Add(replicaDownFor).UnixNano())
}

// routeRead runs a read on the pool readPool picks. A read that fails on a replica for any
// reason but an answer (not found, invalid, forbidden, conflict) or the caller's own end — the
// replica went down, a pooled connection to it died, a query conflicted with WAL replay — runs
// once more on the primary: reads are idempotent, and the caller should not see a replica's
// failure.
func (db *DB) routeRead(ctx context.Context, read func(*pgxpool.Pool) error) error {
	pool, r := db.readPool(ctx)
	if r == nil {
		db.replicas.primaryReads.Add(1)
		return read(pool)
	}
	r.reads.Add(1)
	err := read(pool)
	if err == nil || ctx.Err() != nil || errors.Is(err, lagesbild.ErrNotFound) || errors.Is(err, lagesbild.ErrInvalid) ||
		errors.Is(err, lagesbild.ErrForbidden) || errors.Is(err, lagesbild.ErrConflict) {
		return err
	}
	db.logger.Debug("read failed on a replica; running it on the primary", "replica", r.name, "err", err)
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	if perr := pool.Ping(pctx); perr != nil {
		db.replicaFailed(r, translate(perr))
	}
	cancel()
	r.fallbackDown.Add(1)
	db.replicas.primaryReads.Add(1)
	return read(db.reader)
}

// PoolStat describes one connection pool: owner (writes), reader (the primary's reads), audit
// (audit rows) or replica-N.
type PoolStat struct {
	Pool                        string
	Total, Idle, Acquired, Max  int32
	Acquires, EmptyAcquires     int64
	CanceledAcquires            int64
	AcquireWait                 time.Duration
	ReadTransactions            int64
	ReplicaDown, ReplicaBehind  bool
	FallbacksDown, FallbacksLag int64 // replicas: reads sent to the primary, by reason
}

// PoolStats reports every pool, for metrics.
func (db *DB) PoolStats() []PoolStat {
	one := func(name string, p *pgxpool.Pool) PoolStat {
		s := p.Stat()
		return PoolStat{Pool: name, Total: s.TotalConns(), Idle: s.IdleConns(), Acquired: s.AcquiredConns(), Max: s.MaxConns(),
			Acquires: s.AcquireCount(), EmptyAcquires: s.EmptyAcquireCount(), CanceledAcquires: s.CanceledAcquireCount(),
			AcquireWait: s.AcquireDuration()}
	}
	out := []PoolStat{one("owner", db.pool), one("reader", db.reader), one("audit", db.audit)}
	out[1].ReadTransactions = db.replicas.primaryReads.Load()
	now := time.Now().UnixNano()
	for _, r := range db.replicas.list {
		s := one(r.name, r.pool)
		s.ReadTransactions = r.reads.Load()
		s.ReplicaDown = now < r.downUntil.Load()
		s.ReplicaBehind = r.behind.Load()
		s.FallbacksDown, s.FallbacksLag = r.fallbackDown.Load(), r.fallbackBehind.Load()
		out = append(out, s)
	}
	return out
}
