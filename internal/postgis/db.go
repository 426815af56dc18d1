// Package postgis is the only package that talks to PostgreSQL: the connection pool, the migration
// runner, the stores behind the domain interfaces and the bulk loaders. SQL lives in embedded files
// under sql/; values always travel as $n arguments.
package postgis

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

//go:embed sql/*.sql
var sqlFS embed.FS

// query returns the text of sql/<name>.sql. The files are embedded at compile time, and every
// query is exercised by the package's tests, so a missing name cannot reach production silently.
func query(name string) string {
	b, err := sqlFS.ReadFile("sql/" + name + ".sql")
	if err != nil {
		return "-- missing query " + name
	}
	return string(b)
}

// DB is the service's handle on PostgreSQL. It holds three pools: pool connects as the owner of
// the schema (migrations, imports, accounts) and reader as lagesbild_reader, a role subject to
// row-level security, for every read of data made on behalf of a caller (see scoped); audit is a
// small pool of the reader role that only writes audit rows.
type DB struct {
	pool   *pgxpool.Pool
	reader *pgxpool.Pool
	// audit takes the audit rows and nothing else. Every audited response waits for the commit
	// of its row, so the row must never queue behind reads for a connection: on the reader pool
	// a few slow OGC or summary reads held every connection and stalled even cached tiles. It
	// connects as the reader role (which may only append to audit_log), not as the owner,
	// whose pool also carries imports and their long transactions.
	audit  *pgxpool.Pool
	logger *slog.Logger
	// replicas take the scoped reads when there are any (see replicas.go).
	replicas replicaSet
	// pingUntil (Unix ns): until then every connection taken from a pool is pinged first. It is
	// set when a connection is found dead, because a database restart kills every pooled
	// connection at once and the pool learns of each only when it is used.
	pingUntil atomic.Int64
	// lastReset (Unix ns) rate-limits the pool resets after a lost connection.
	lastReset atomic.Int64
	classes   [numClasses]*queryClass
	// expensive bounds the tile renders, summaries and OGC feature reads together, below the
	// reader pool's size, so that they can never take every reader connection: the cheap reads
	// (area lists, the newest day, the audit log) always find one.
	expensive *queryClass
	// imports bounds the imports of this process: one runs (they are serialised in the
	// database) and Limits.Imports-1 wait; more are refused at once with ErrUnavailable.
	imports chan struct{}
	// emerging remembers the emerging hot spots the emerging tile layer draws (tile_emerging.go);
	// emergingSource computes them (UseEmerging; nil: the layer is empty).
	emerging       emergingMemo
	emergingSource atomic.Pointer[emergingSourceBox]
	// synthetic remembers whether the database holds synthetic incidents (features_h3.go).
	synthetic syntheticMemo
}

// Class is a kind of read made for a caller, with its own statement timeout and bound on how many
// run at once, so that one kind of expensive work cannot take every connection: beyond the bound
// a read waits Limits.QueueWait and then fails with ErrUnavailable (503 with Retry-After)
// instead of queueing without end.
type Class int

// The classes of scoped reads.
const (
	ClassRead     Class = iota // lists, areas, the audit log
	ClassTile                  // tile renders
	ClassSummary               // area summaries, the prioritisation, reports
	ClassFeatures              // OGC API feature items
	numClasses
)

var classNames = [numClasses]string{"read", "tile", "summary", "features"}

// Limits bound the scoped reads per class. Zero values take the defaults.
type Limits struct {
	// Defaults: the pool size for reads; for tiles ¾ of the pool, for summaries and features the
	// pool, each at most one less than ExpensiveConcurrency (when that is 2 or more).
	ReadConcurrency, TileConcurrency, SummaryConcurrency int
	FeaturesConcurrency                                  int
	// ExpensiveConcurrency bounds the tile, summary and feature reads together (default: the
	// reader pool's size less one, at least one), so they never hold every reader connection.
	ExpensiveConcurrency                     int
	ReadTimeout, TileTimeout, SummaryTimeout time.Duration // default 15 s, 20 s, 30 s
	FeaturesTimeout                          time.Duration // default 15 s
	QueueWait                                time.Duration // default 5 s
	Imports                                  int           // imports running or waiting; default 2
}

type queryClass struct {
	name      string
	timeoutMS string
	// parallel is max_parallel_workers_per_gather for the class's queries; "" keeps the server's.
	parallel string
	sem      chan struct{}
	wait     time.Duration
}

func newClasses(l Limits, maxConns int32) [numClasses]*queryClass {
	n := int(maxConns)
	// No one kind of expensive read may take every expensive slot by default: slow OGC pages
	// held all three of them under `make load`, and every summary behind them waited its queue
	// time out and got 503. One slot is always left to the other kinds.
	share := or(l.ExpensiveConcurrency, max(1, n-1))
	if share > 1 {
		share--
	}
	conc := [numClasses]int{or(l.ReadConcurrency, n), or(l.TileConcurrency, min(share, max(1, n*3/4))), or(l.SummaryConcurrency, min(share, n)),
		or(l.FeaturesConcurrency, min(share, n))}
	timeout := [numClasses]time.Duration{or(l.ReadTimeout, 15*time.Second), or(l.TileTimeout, 20*time.Second), or(l.SummaryTimeout, 30*time.Second),
		or(l.FeaturesTimeout, 15*time.Second)}
	var out [numClasses]*queryClass
	for c := range numClasses {
		out[c] = &queryClass{name: classNames[c], timeoutMS: fmt.Sprint(timeout[c].Milliseconds()),
			sem: make(chan struct{}, conc[c]), wait: or(l.QueueWait, 5*time.Second)}
	}
	// An OGC page reads a page's worth of rows (features_h3.sql stops after it): parallel
	// workers would only add processes on a busy machine (a Gather per page under make load).
	out[ClassFeatures].parallel = "0"
	return out
}

func newExpensive(l Limits, maxConns int32) *queryClass {
	return &queryClass{name: "expensive (tile, summary and feature)", sem: make(chan struct{}, or(l.ExpensiveConcurrency, max(1, int(maxConns)-1))),
		wait: or(l.QueueWait, 5*time.Second)}
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// importSlot admits one import or refuses it at once when Limits.Imports are running or waiting.
func (db *DB) importSlot() (release func(), err error) {
	select {
	case db.imports <- struct{}{}:
		return func() { <-db.imports }, nil
	default:
		return nil, fmt.Errorf("postgis: %d imports are already running or waiting; try again later: %w", cap(db.imports), lagesbild.ErrUnavailable)
	}
}

// acquire takes a slot of the class or fails after its queue wait.
func (q *queryClass) acquire(ctx context.Context) (release func(), err error) {
	return acquireAll(ctx, q.wait, q)
}

// acquireAll takes a slot of each class in order, all within one queue wait, or none.
func acquireAll(ctx context.Context, wait time.Duration, qs ...*queryClass) (release func(), err error) {
	var t *time.Timer
	taken := 0
	release = func() {
		for _, q := range qs[:taken] {
			<-q.sem
		}
	}
	for _, q := range qs {
		select {
		case q.sem <- struct{}{}:
			taken++
			continue
		default:
		}
		if t == nil {
			t = time.NewTimer(wait)
			defer t.Stop()
		}
		select {
		case q.sem <- struct{}{}:
			taken++
		case <-t.C:
			release()
			return nil, fmt.Errorf("postgis: %d %s queries already running: %w", cap(q.sem), q.name, lagesbild.ErrUnavailable)
		case <-ctx.Done():
			release()
			return nil, ctx.Err()
		}
	}
	return release, nil
}

// ConnectTimeout bounds a new connection when the connection string sets none, so an unreachable
// server fails a request in seconds instead of hanging it.
const ConnectTimeout = 5 * time.Second

// readyTimeout bounds the readiness probe.
const readyTimeout = 3 * time.Second

// Options tune the pool.
type Options struct {
	MaxConns         int32
	StatementTimeout time.Duration // per statement; 0 means 30 s
	ApplicationName  string
	// AuditConns is the size of the pool that writes audit rows (default 4: the audit writer
	// commits at most auth.AuditWriters batches at once).
	AuditConns int32
	// ReaderURL connects the reader pool as a login role that is a member of
	// lagesbild_reader (the managed cluster's lagesbild_service). Empty: the reader pool uses
	// the owner's connection and switches to lagesbild_reader with SET ROLE on connect.
	ReaderURL string
	// Limits bound the concurrency and statement time of reads per Class.
	Limits Limits
}

// Open connects to url and checks the connection. It does not migrate.
func Open(ctx context.Context, url string, o Options, logger *slog.Logger) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error may echo the URL, which can hold a password: do not wrap it.
		return nil, fmt.Errorf("postgis: DATABASE_URL is not a valid connection string: %w", lagesbild.ErrInvalid)
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	if o.StatementTimeout == 0 {
		o.StatementTimeout = 30 * time.Second
	}
	if o.ApplicationName == "" {
		o.ApplicationName = "lagesbild"
	}
	cfg.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(o.StatementTimeout.Milliseconds())
	cfg.ConnConfig.RuntimeParams["application_name"] = o.ApplicationName
	cfg.ConnConfig.RuntimeParams["timezone"] = "Europe/Stockholm"
	// An import stages a file in temporary tables (a million rows are about 250 MB); with the
	// default 8 MB of local buffers they are written out and read back page by page. The
	// buffers are taken only as temporary tables fill them.
	cfg.ConnConfig.RuntimeParams["temp_buffers"] = "256MB"
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = ConnectTimeout
	}
	db := &DB{logger: logger.With("component", "postgis")}
	cfg.PingTimeout = 2 * time.Second
	cfg.ShouldPing = db.shouldPing
	cfg.ConnConfig.Tracer = releaseWatch{db}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgis: connect: %w", translate(err))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgis: connect to %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, translate(err))
	}
	reader, err := openReader(ctx, cfg, o, cfg.MaxConns)
	if err != nil {
		pool.Close()
		return nil, err
	}
	audit, err := openReader(ctx, cfg, o, or(o.AuditConns, 4))
	if err != nil {
		reader.Close()
		pool.Close()
		return nil, err
	}
	db.pool, db.reader, db.audit = pool, reader, audit
	if n := reader.Config().MaxConns; n > 1 && o.Limits.ExpensiveConcurrency >= int(n) {
		db.Close()
		return nil, fmt.Errorf("postgis: %d expensive reads at once would take all %d reader connections; allow fewer: %w",
			o.Limits.ExpensiveConcurrency, n, lagesbild.ErrInvalid)
	}
	db.classes = newClasses(o.Limits, reader.Config().MaxConns)
	db.expensive = newExpensive(o.Limits, reader.Config().MaxConns)
	db.imports = make(chan struct{}, or(o.Limits.Imports, 2))
	return db, nil
}

// shouldPing pings a connection taken from a pool when it has been idle for a second (pgxpool's
// default) and, for a while after a connection was found dead, always.
func (db *DB) shouldPing(_ context.Context, p pgxpool.ShouldPingParams) bool {
	return p.IdleDuration >= time.Second || time.Now().UnixNano() < db.pingUntil.Load()
}

// connLost is called when a pooled connection turned out to be dead: the others are most likely
// dead too (the server restarted), so both pools drop their idle connections and the next ten
// seconds' connections are pinged before use.
func (db *DB) connLost() {
	now := time.Now()
	db.pingUntil.Store(now.Add(10 * time.Second).UnixNano())
	last := db.lastReset.Load()
	if now.UnixNano()-last < int64(time.Second) || !db.lastReset.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	db.logger.Warn("a database connection was lost; dropping idle pooled connections")
	go func() {
		if db.pool != nil {
			db.pool.Reset()
		}
		if r := db.reader; r != nil {
			r.Reset()
		}
		if a := db.audit; a != nil {
			a.Reset()
		}
	}()
}

// releaseWatch sees every connection returned to a pool and reports dead ones.
type releaseWatch struct{ db *DB }

func (releaseWatch) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}
func (releaseWatch) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (w releaseWatch) TraceRelease(_ *pgxpool.Pool, d pgxpool.TraceReleaseData) {
	if d.Conn != nil && d.Conn.IsClosed() {
		w.db.connLost()
	}
}

// retryRead runs the idempotent read fn and, when it failed because its pooled connection was
// dead (a database restart), once more on a fresh connection: a restart must not fail a request
// that a new connection can answer.
func (db *DB) retryRead(ctx context.Context, fn func() error) error {
	err := fn()
	if err != nil && errors.Is(err, errConnLost) && ctx.Err() == nil {
		db.connLost()
		db.logger.Info("retrying a read after a lost connection", "err", err)
		err = fn()
	}
	return err
}

// openReader makes a pool of maxConns connections of the role that reads under row-level
// security (the reader pool, and the audit pool). Its connections are opened lazily, after the
// migrations have created the role.
func openReader(ctx context.Context, owner *pgxpool.Config, o Options, maxConns int32) (*pgxpool.Pool, error) {
	cfg := owner.Copy()
	cfg.MaxConns = maxConns
	if o.ReaderURL != "" {
		rc, err := pgxpool.ParseConfig(o.ReaderURL)
		if err != nil {
			return nil, fmt.Errorf("postgis: the reader connection string is not valid: %w", lagesbild.ErrInvalid)
		}
		rc.ConnConfig.RuntimeParams = cfg.ConnConfig.RuntimeParams
		rc.MaxConns = maxConns
		cfg = rc
	} else {
		cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
			_, err := c.Exec(ctx, `SET ROLE lagesbild_reader`)
			return err
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgis: reader pool: %w", translate(err))
	}
	return pool, nil
}

// Close closes the pools.
func (db *DB) Close() {
	db.closeReplicas()
	db.audit.Close()
	db.reader.Close()
	db.pool.Close()
}

// scoped runs fn in a read-only transaction of the reader role after setting, for this
// transaction only, the scope of the caller in ctx. Row-level security filters every scoped table
// by these settings, so a query that forgets a filter still cannot read outside the scope; a
// context without an identity sees no protected row at all.
//
// A read that fails on a dead pooled connection is run once more (see retryRead), so fn must
// only assign its results, never accumulate them.
func (db *DB) scoped(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return db.scopedAs(ctx, ClassRead, fn)
}

// scopedAs is scoped for a read of class c: within the class's bound on concurrent reads and
// with its statement timeout, on the primary's reader pool or a read replica's.
func (db *DB) scopedAs(ctx context.Context, c Class, fn func(tx pgx.Tx) error) error {
	q := db.classes[c]
	var release func()
	var err error
	if c == ClassRead {
		release, err = q.acquire(ctx)
	} else {
		release, err = acquireAll(ctx, q.wait, q, db.expensive)
	}
	if err != nil {
		return err
	}
	defer release()
	return db.retryRead(ctx, func() error {
		return db.routeRead(ctx, func(pool *pgxpool.Pool) error { return db.scopedOn(ctx, pool, q, fn) })
	})
}

// scopedOn is scoped on pool: the primary's reader pool or a read replica's.
func (db *DB) scopedOn(ctx context.Context, pool *pgxpool.Pool, q *queryClass, fn func(tx pgx.Tx) error) error {
	id, _ := auth.FromContext(ctx)
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return translate(err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	all := ""
	if id.Scope.All && id.CanReadData() {
		all = "on"
	}
	regions, lpos := "", ""
	if id.CanReadData() {
		regions, lpos = strings.Join(id.Scope.Regions, ","), strings.Join(id.Scope.LPOs, ",")
	}
	// The observations' settings (migration 00023): the caller's agency and geography, also for
	// an agency analyst, whose 00008 settings stay empty (it reads no incident data).
	agency, obsAll, obsRegions, obsLPOs := "", "", "", ""
	if id.CanReadObservations() {
		agency = id.Agency
		if id.Scope.All {
			obsAll = "on"
		}
		obsRegions, obsLPOs = strings.Join(id.Scope.Regions, ","), strings.Join(id.Scope.LPOs, ",")
	} else if id.CanAdmin() {
		agency = id.Agency
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('lagesbild.scope_all', $1, true), set_config('lagesbild.regions', $2, true),
		set_config('lagesbild.lpos', $3, true), set_config('lagesbild.role', $4, true),
		set_config('statement_timeout', $5, true), set_config('lagesbild.agency', $6, true),
		set_config('lagesbild.obs_all', $7, true), set_config('lagesbild.obs_regions', $8, true),
		set_config('lagesbild.obs_lpos', $9, true),
		set_config('max_parallel_workers_per_gather', coalesce(nullif($10, ''), current_setting('max_parallel_workers_per_gather')), true)`,
		all, regions, lpos, string(id.Role), q.timeoutMS, agency, obsAll, obsRegions, obsLPOs, q.parallel); err != nil {
		return translate(err)
	}
	if err := fn(tx); err != nil {
		return err
	}
	return translate(tx.Commit(ctx))
}

// Ready reports whether the database answers and every migration has been applied.
func (db *DB) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	pending, err := db.PendingMigrations(ctx)
	if err != nil {
		return err
	}
	if pending > 0 {
		return fmt.Errorf("postgis: %d migrations pending: %w", pending, lagesbild.ErrUnavailable)
	}
	return nil
}

// DataVersion returns the number that changes on every import that changed data.
func (db *DB) DataVersion(ctx context.Context) (int64, error) {
	var v int64
	err := db.retryRead(ctx, func() error {
		return translate(db.pool.QueryRow(ctx, `SELECT version FROM data_version`).Scan(&v))
	})
	if err != nil {
		return 0, fmt.Errorf("postgis: data version: %w", err)
	}
	db.sawPrimaryVersion(v)
	return v, nil
}

// errConnLost marks an error of a connection that died under a statement (the server restarted
// or went away): ErrUnavailable, and a read may be retried on a fresh connection.
var errConnLost = fmt.Errorf("database connection lost: %w", lagesbild.ErrUnavailable)

// connectionLost reports whether err says an established connection is gone, as opposed to a
// statement that failed on a live one. A failed new connection (ConnectError) is not a lost one:
// retrying it at once would only fail again.
func connectionLost(err error) bool {
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// admin_shutdown, crash_shutdown, cannot_connect_now, connection_exception class.
		return pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03" || strings.HasPrefix(pgErr.Code, "08")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var netErr net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed) ||
		(errors.As(err, &netErr) && !netErr.Timeout()) || (pgconn.SafeToRetry(err) && strings.Contains(err.Error(), "conn closed"))
}

// translate maps driver errors onto the domain's error kinds, keeping the original for logs.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, errConnLost) || errors.Is(err, lagesbild.ErrUnavailable) {
		return err
	}
	if connectionLost(err) {
		return fmt.Errorf("%v: %w", err, errConnLost)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w", lagesbild.ErrNotFound)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505":
			return fmt.Errorf("%s: %w", pgErr.Message, lagesbild.ErrConflict)
		case pgErr.Code == "57014", strings.HasPrefix(pgErr.Code, "08"), pgErr.Code == "57P01", pgErr.Code == "53300":
			return fmt.Errorf("%s: %w", pgErr.Message, lagesbild.ErrUnavailable)
		case strings.HasPrefix(pgErr.Code, "22"), strings.HasPrefix(pgErr.Code, "23"):
			return fmt.Errorf("%s (%s): %w", pgErr.Message, pgErr.Detail, lagesbild.ErrInvalid)
		}
		return fmt.Errorf("%s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%v: %w", err, lagesbild.ErrUnavailable)
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return fmt.Errorf("cannot connect: %w", lagesbild.ErrUnavailable)
	}
	return err
}

// IncidentCount returns the number of stored incidents.
func (db *DB) IncidentCount(ctx context.Context) (int64, error) {
	var n int64
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM incident`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgis: count incidents: %w", translate(err))
	}
	return n, nil
}

// ServiceRole is the login role the managed cluster's service reads as: a member of
// lagesbild_reader, neither superuser nor owner, without BYPASSRLS.
const ServiceRole = "lagesbild_service"

// UseServiceLogin creates (or updates) the login role ServiceRole with password and switches the
// reader pool to it, so the service's reads run as a role that cannot even SET ROLE back to the
// owner. It needs the right to create roles (the managed cluster's superuser) and must run after
// the migrations, which create lagesbild_reader.
func (db *DB) UseServiceLogin(ctx context.Context, password string) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// Utility statements take no parameters: the password travels as a setting of this
		// transaction, so it never appears in the statement text (or a statement log).
		if _, err := tx.Exec(ctx, `SELECT set_config('lagesbild.service_password', $1, true)`, password); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lagesbild_service') THEN
        CREATE ROLE lagesbild_service LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT;
    END IF;
    EXECUTE format('ALTER ROLE lagesbild_service LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD %L',
                   current_setting('lagesbild.service_password'));
    GRANT lagesbild_reader TO lagesbild_service;
END
$$`)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgis: service login role: %w", translate(err))
	}
	cfg := db.pool.Config().ConnConfig
	cfg.User, cfg.Password = ServiceRole, password
	rc := db.pool.Config()
	rc.ConnConfig = cfg
	rc.AfterConnect = nil
	rc.MaxConns = db.reader.Config().MaxConns
	pool, err := pgxpool.NewWithConfig(ctx, rc)
	if err != nil {
		return fmt.Errorf("postgis: service login pool: %w", translate(err))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return fmt.Errorf("postgis: connect as %s: %w", ServiceRole, translate(err))
	}
	ac := rc.Copy()
	ac.MaxConns = db.audit.Config().MaxConns
	audit, err := pgxpool.NewWithConfig(ctx, ac)
	if err != nil {
		pool.Close()
		return fmt.Errorf("postgis: service login audit pool: %w", translate(err))
	}
	oldReader, oldAudit := db.reader, db.audit
	db.reader, db.audit = pool, audit
	oldReader.Close()
	oldAudit.Close()
	return nil
}
