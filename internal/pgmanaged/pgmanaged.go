// Package pgmanaged runs the project-managed local PostgreSQL/PostGIS cluster
// that the service and the test suite use when DATABASE_URL is unset. It is
// the only code that starts or stops that cluster; it talks to PostgreSQL
// solely through the server binaries (initdb, pg_ctl, pg_isready), so it has
// no driver dependency.
//
// Layout below Options.DataDir (default ./var, chosen by the caller):
//
//	pg/               PGDATA, owned by the cluster user, mode 0700
//	pg/lagesbild.conf settings we own, rewritten on every start
//	pg-password       superuser password, mode 0600, owned by the invoking user
//	pg.log            server log (logging_collector is off; pg_ctl -l)
//	pgmanaged.lock    flock serialising initdb/start/stop between processes
//
// The server listens on 127.0.0.1 only, on a port picked at start (the
// previous one if it is still free), without a Unix socket (socket paths are
// limited to 107 bytes and deep repository paths exceed that); clients
// connect with the URL from Cluster.URL. Running as root is supported: the
// server binaries refuse root, so they run as the postgres user (or a
// "lagesbild" system user created on demand).
//
// This package is Linux-specific (/proc, flock, POSIX ACL xattrs).
package pgmanaged

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Superuser is the database superuser created at initdb; the password is
// generated then and kept in DataDir/pg-password.
const Superuser = "lagesbild"

const (
	pgSubdir     = "pg"
	passwordName = "pg-password"
	logName      = "pg.log"
	settingsName = "lagesbild.conf"

	// maxLogSize is when pg.log is rotated (to pg.log.1) at start: with
	// logging_collector off nothing else would bound it.
	maxLogSize = 64 << 20
	// defaultWait bounds startup/shutdown/readiness waits when ctx has no
	// deadline, so a wedged server produces an error instead of a hang.
	defaultWait = 2 * time.Minute
)

// Options configures Start.
type Options struct {
	// DataDir holds the cluster (DataDir/pg) and its credentials; it is
	// created if missing. Relative paths are relative to the current
	// directory.
	DataDir string
	// Logger receives progress messages; nil discards them. Passwords are
	// never logged.
	Logger *slog.Logger
	// Fast trades durability for speed, for tests: initdb --no-sync and,
	// when this call starts the server, fsync=off, synchronous_commit=off
	// and full_page_writes=off. These are start-time settings: a cluster
	// started with Fast keeps them until it is restarted, also when a later
	// Start without Fast (e.g. `serve`) reuses it; Start then logs a
	// warning, and `lagesbild db stop` followed by a new start fixes it.
	Fast bool
}

// Cluster is a running local cluster, as returned by Start.
type Cluster struct {
	dataDir  string
	pgdata   string
	inst     install
	user     osUser
	port     int
	password string
	started  bool
	logger   *slog.Logger
}

// Start makes sure the cluster in o.DataDir is initialised and running and
// returns a handle to it: it runs initdb on first use, starts postgres if it
// is not running (restarting it if its binaries were upgraded underneath
// it), and otherwise reuses the running server. It is safe to call from
// several processes at once (parallel test packages): initdb and start are
// serialised with an exclusive flock on DataDir/pgmanaged.lock.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return startCluster(ctx, o, logger, nil, func(c *Cluster) error { return c.initdb(ctx, o.Fast) })
}

// startCluster is the start sequence Start and StartStandby share: lock o.DataDir, pick the
// server's OS user and installation (inst, or the one the data dir needs when inst is nil),
// reuse a cluster that already runs there, otherwise create the data dir with initialise when
// it is empty, and start the server on a loopback port of its own.
func startCluster(ctx context.Context, o Options, logger *slog.Logger, inst *install, initialise func(*Cluster) error) (*Cluster, error) {
	dataDir, err := prepareDataDir(o.DataDir)
	if err != nil {
		return nil, err
	}
	unlock, err := lockDataDir(ctx, dataDir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	c := &Cluster{dataDir: dataDir, pgdata: filepath.Join(dataDir, pgSubdir), logger: logger}
	if c.user, err = clusterUser(ctx, c.pgdata, logger); err != nil {
		return nil, err
	}
	if inst != nil {
		c.inst = *inst
	} else if c.inst, err = chooseInstall(ctx, c.pgdata, true); err != nil {
		return nil, err
	}
	if err := ensureTraversable(ctx, dataDir, c.user, logger); err != nil {
		return nil, err
	}

	reused, err := c.reuse(ctx, o.Fast)
	if err != nil {
		return nil, err
	}
	if reused {
		return c, nil
	}

	if _, initialised, err := dataDirMajor(c.pgdata); err != nil {
		return nil, err
	} else if !initialised {
		if err := initialise(c); err != nil {
			return nil, err
		}
	}
	if c.password, err = readPassword(dataDir); err != nil {
		return nil, err
	}
	if err := c.start(ctx, o.Fast); err != nil {
		return nil, err
	}
	c.started = true
	return c, nil
}

// URL returns a connection URL for database on this cluster, as the
// superuser over TCP on 127.0.0.1. It contains the password: do not log it
// (url.URL.Redacted is safe).
func (c *Cluster) URL(database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(Superuser, c.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// DerivedPassword returns a password for another login role of this cluster, derived from the
// superuser's (HMAC-SHA-256 keyed by it, labelled by role), so every process of the project gets
// the same one without another secret file. Do not log it.
func (c *Cluster) DerivedPassword(role string) string {
	m := hmac.New(sha256.New, []byte(c.password))
	m.Write([]byte("lagesbild login role " + role))
	return hex.EncodeToString(m.Sum(nil))
}

// Port returns the TCP port the server listens on (127.0.0.1).
func (c *Cluster) Port() int { return c.port }

// DataDir returns the absolute data directory (the parent of PGDATA).
func (c *Cluster) DataDir() string { return c.dataDir }

// Started reports whether this Start call started the server, as opposed to
// reusing one that was already running. Whoever started it is expected to
// stop it on exit (unless asked to keep it).
func (c *Cluster) Started() bool { return c.started }

// Stop shuts the server down (pg_ctl stop -m fast: clients are disconnected,
// no recovery needed on next start) and waits until it has exited. Stopping
// a server that is not running is not an error.
func (c *Cluster) Stop(ctx context.Context) error {
	unlock, err := lockDataDir(ctx, c.dataDir)
	if err != nil {
		return err
	}
	defer unlock()
	return c.stopLocked(ctx)
}

// LogValue keeps the password out of logs when a Cluster is logged whole.
func (c *Cluster) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("data_dir", c.dataDir),
		slog.Int("port", c.port),
		slog.Int("major", c.inst.major),
		slog.Bool("started", c.started),
	)
}

// String keeps the password out of %v/%+v formatting.
func (c *Cluster) String() string {
	return fmt.Sprintf("pgmanaged.Cluster{data_dir=%s port=%d started=%t}", c.dataDir, c.port, c.started)
}

// Status describes the cluster in a data dir, for `lagesbild db status`.
type Status struct {
	// DataDir is the absolute data directory (the parent of PGDATA).
	DataDir string
	// Initialized is true once initdb has completed.
	Initialized bool
	// Version is the PostgreSQL major the cluster was initialised with.
	Version string
	// Running is true while a postmaster for this data dir is alive.
	Running bool
	// PID is the postmaster's process id when Running.
	PID int
	// Port is the TCP port on 127.0.0.1 when Running.
	Port int
	// Fast is true when the running server was started with Options.Fast
	// (fsync=off): fine for tests, not durable.
	Fast bool
}

// GetStatus inspects dataDir without changing anything. It does not check
// whether the server accepts connections, only whether it is alive.
func GetStatus(dataDir string) (Status, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return Status{}, fmt.Errorf("pgmanaged: %w", err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	st := Status{DataDir: abs}
	pgdata := filepath.Join(abs, pgSubdir)
	major, ok, err := dataDirMajor(pgdata)
	if err != nil {
		return st, err
	}
	if !ok {
		return st, nil
	}
	st.Initialized, st.Version = true, strconv.Itoa(major)
	pf, ok, err := readPIDFile(pgdata)
	if err != nil || !ok {
		return st, err
	}
	if postmasterFor(pf.pid, pgdata) {
		st.Running, st.PID, st.Port = true, pf.pid, pf.port
		st.Fast = startedFast(pgdata)
	}
	return st, nil
}

// StopDataDir stops the cluster in dataDir if it is running (for `lagesbild
// db stop`); a missing, uninitialised or stopped cluster is not an error.
func StopDataDir(ctx context.Context, dataDir string, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return fmt.Errorf("pgmanaged: %w", err)
	}
	abs, err = filepath.EvalSymlinks(abs)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("pgmanaged: %w", err)
	}
	c := &Cluster{dataDir: abs, pgdata: filepath.Join(abs, pgSubdir), logger: logger}
	if _, ok, err := dataDirMajor(c.pgdata); err != nil || !ok {
		return err
	}
	unlock, err := lockDataDir(ctx, abs)
	if err != nil {
		return err
	}
	defer unlock()
	if c.user, err = clusterUser(ctx, c.pgdata, logger); err != nil {
		return err
	}
	// Stopping must not depend on PostGIS (or even on the binaries: see
	// stopLocked), so a broken installation can still be shut down.
	c.inst, _ = chooseInstall(ctx, c.pgdata, false)
	return c.stopLocked(ctx)
}

// prepareDataDir makes dataDir absolute, creates it and resolves symlinks so
// that the permission checks look at the directories actually traversed.
func prepareDataDir(dataDir string) (string, error) {
	if dataDir == "" {
		return "", errors.New("pgmanaged: Options.DataDir is empty")
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return "", fmt.Errorf("pgmanaged: %w", err)
	}
	// 0755: the cluster user must be able to enter it (pg.log, PGDATA);
	// the secret in it (pg-password) is 0600.
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", fmt.Errorf("pgmanaged: create data dir: %w", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("pgmanaged: %w", err)
	}
	return real, nil
}

// reuse adopts a server that is already running for this data dir. It
// returns false when none is running (including a stale postmaster.pid left
// by a crash, which postgres itself cleans up on start) or when it stopped
// one whose binaries were upgraded.
func (c *Cluster) reuse(ctx context.Context, fast bool) (bool, error) {
	wctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	checkedUpgrade := false
	for {
		pf, ok, err := readPIDFile(c.pgdata)
		if err != nil {
			return false, err
		}
		if !ok {
			return false, nil
		}
		if pf.pid > 0 {
			if !postmasterFor(pf.pid, c.pgdata) {
				return false, c.removeStalePIDFile(pf.pid)
			}
			if !checkedUpgrade {
				checkedUpgrade = true
				if replaced, why := binaryReplaced(pf.pid); replaced {
					c.logger.Info("pgmanaged: restarting local PostgreSQL because its binary was upgraded while it ran", "pid", pf.pid, "reason", why)
					if err := c.stopLocked(ctx); err != nil {
						return false, err
					}
					return false, nil
				}
			}
			// "stopping": wait until it is gone, then start afresh.
			if pf.status != "stopping" && pf.port > 0 && c.ready(wctx, pf.port) {
				password, err := readPassword(c.dataDir)
				if err != nil {
					return false, err
				}
				c.port, c.password = pf.port, password
				if !fast && startedFast(c.pgdata) {
					c.logger.Warn("pgmanaged: reusing a local PostgreSQL that was started for tests with fsync=off; restart it (lagesbild db stop) for durable writes", "data_dir", c.dataDir)
				}
				c.logger.Info("pgmanaged: reusing running local PostgreSQL", "pid", pf.pid, "port", pf.port, "data_dir", c.dataDir)
				return true, nil
			}
		}
		select {
		case <-wctx.Done():
			return false, fmt.Errorf("pgmanaged: postgres (pid %d) is running for %s but does not accept connections on 127.0.0.1:%d (%w)%s",
				pf.pid, c.pgdata, pf.port, wctx.Err(), c.logTail(0))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// removeStalePIDFile handles a postmaster.pid left by a crash. postgres
// removes such a file itself when its PID is dead, but refuses to start when
// the PID now belongs to some unrelated live process (likely after a
// reboot), so in that case we remove it; postmasterFor has established that
// the process does not serve this data directory.
func (c *Cluster) removeStalePIDFile(pid int) error {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		c.logger.Debug("pgmanaged: stale postmaster.pid, process gone", "pid", pid)
		return nil
	}
	c.logger.Info("pgmanaged: removing stale postmaster.pid naming an unrelated process", "pid", pid, "data_dir", c.pgdata)
	if err := os.Remove(filepath.Join(c.pgdata, "postmaster.pid")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("pgmanaged: remove stale postmaster.pid: %w", err)
	}
	return nil
}

// initdb creates the cluster in a temporary directory and renames it into
// place only when it is complete, so an interrupted initdb never leaves a
// half-initialised PGDATA that later starts would trip over.
func (c *Cluster) initdb(ctx context.Context, fast bool) error {
	if entries, err := os.ReadDir(c.pgdata); err == nil {
		if len(entries) > 0 {
			return fmt.Errorf("pgmanaged: %s exists but is not a PostgreSQL data directory (no PG_VERSION): move it away", c.pgdata)
		}
		if err := os.Remove(c.pgdata); err != nil {
			return fmt.Errorf("pgmanaged: %w", err)
		}
	}
	tmp := c.pgdata + ".initdb"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("pgmanaged: remove leftover %s: %w", tmp, err)
	}

	password, err := randomHex(24)
	if err != nil {
		return err
	}
	// initdb reads the password from a file; it must be readable by the
	// cluster user and lives only for the duration of initdb.
	suffix, err := randomHex(4)
	if err != nil {
		return err
	}
	pwfile := filepath.Join(c.dataDir, ".pgmanaged-pwfile-"+suffix)
	if err := c.writeClusterFile(pwfile, []byte(password+"\n")); err != nil {
		return err
	}
	defer os.Remove(pwfile)

	c.logger.Info("pgmanaged: initialising local PostgreSQL cluster", "data_dir", c.pgdata, "major", c.inst.major, "os_user", c.user.name)
	var out []byte
	for _, locale := range []string{"C.UTF-8", "C"} {
		if err := os.RemoveAll(tmp); err != nil {
			return fmt.Errorf("pgmanaged: %w", err)
		}
		// Pre-create it: the cluster user cannot create entries in DataDir.
		if err := os.Mkdir(tmp, 0o700); err != nil {
			return fmt.Errorf("pgmanaged: %w", err)
		}
		if err := c.user.chown(tmp); err != nil {
			return err
		}
		args := []string{"-D", tmp, "-U", Superuser, "--auth-host=scram-sha-256", "--auth-local=peer",
			"--pwfile=" + pwfile, "-E", "UTF8", "--locale=" + locale}
		if fast {
			args = append(args, "--no-sync")
		}
		out, err = c.user.command(ctx, c.inst.bin("initdb"), args...).CombinedOutput()
		if err == nil {
			break
		}
		// C.UTF-8 is missing on some older/minimal systems; C always works.
		if locale != "C" && strings.Contains(string(out), "locale") {
			c.logger.Info("pgmanaged: locale C.UTF-8 unavailable, using C", "initdb", lastLines(string(out), 3))
			continue
		}
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("pgmanaged: initdb: %w\n%s", err, lastLines(string(out), 20))
	}

	hba := "# Written by lagesbild (internal/pgmanaged): password (SCRAM) over TCP on loopback only.\n" +
		"# TYPE  DATABASE  USER  ADDRESS       METHOD\n" +
		"local   all       all                 peer\n" +
		"host    all       all   127.0.0.1/32  scram-sha-256\n" +
		"host    all       all   ::1/128       scram-sha-256\n" + replicationHBA
	if err := c.writeClusterFile(filepath.Join(tmp, "pg_hba.conf"), []byte(hba)); err != nil {
		return err
	}
	// Our settings live in their own file so that they can be rewritten on
	// every start without touching the rest of postgresql.conf; later
	// entries win, and ALTER SYSTEM (postgresql.auto.conf) still overrides.
	f, err := os.OpenFile(filepath.Join(tmp, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("pgmanaged: %w", err)
	}
	_, werr := fmt.Fprintf(f, "\n# Added by lagesbild (internal/pgmanaged).\ninclude_if_exists = '%s'\n", settingsName)
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("pgmanaged: postgresql.conf: %w", err)
	}

	if err := writePassword(c.dataDir, password); err != nil {
		return err
	}
	if err := os.Rename(tmp, c.pgdata); err != nil {
		return fmt.Errorf("pgmanaged: %w", err)
	}
	return nil
}

// start launches the server with pg_ctl, which daemonises it (it outlives
// this process until Stop or StopDataDir), and waits until it accepts TCP
// connections. The port is chosen just before; if another process grabs
// it in between, postgres fails to bind and we try another.
func (c *Cluster) start(ctx context.Context, fast bool) error {
	logPath := filepath.Join(c.dataDir, logName)
	if err := c.prepareLog(logPath); err != nil {
		return err
	}
	wctx, cancel := withDefaultTimeout(ctx)
	defer cancel()

	prev := c.configuredPort()
	const attempts = 4
	for attempt := 1; ; attempt++ {
		port, err := freePort(prev)
		if err != nil {
			return err
		}
		prev = 0
		if err := c.writeSettings(port); err != nil {
			return err
		}
		offset := fileSize(logPath)
		args := []string{"start", "-D", c.pgdata, "-l", logPath, "-w", "-s", "-t", waitSeconds(wctx)}
		if fast {
			args = append(args, "-o", "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
		}
		cmd := c.user.command(wctx, c.inst.bin("pg_ctl"), args...)
		// Own session: a Ctrl-C meant for the caller's process group must
		// not reach pg_ctl mid-start; the caller stops us via ctx.
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		cmd.SysProcAttr.Setsid = true
		out, err := cmd.CombinedOutput()
		if err == nil {
			c.port = port
			break
		}
		tail := c.logTail(offset)
		if attempt < attempts && strings.Contains(tail, "could not bind") {
			c.logger.Debug("pgmanaged: port taken meanwhile, retrying", "port", port)
			continue
		}
		c.cleanupFailedStart()
		return fmt.Errorf("pgmanaged: pg_ctl start: %w: %s%s", err, strings.TrimSpace(string(out)), tail)
	}

	if !c.waitReady(wctx, c.port) {
		err := wctx.Err()
		c.cleanupFailedStart()
		return fmt.Errorf("pgmanaged: postgres started but does not accept connections on 127.0.0.1:%d (%v)%s", c.port, err, c.logTail(0))
	}
	c.logger.Info("pgmanaged: started local PostgreSQL", "port", c.port, "major", c.inst.major, "data_dir", c.dataDir, "fast", fast, "log", logPath)
	return nil
}

// cleanupFailedStart stops a server that pg_ctl may have left starting up
// (e.g. ctx ended during pg_ctl -w), so a failed Start leaves no orphan.
func (c *Cluster) cleanupFailedStart() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.stopLocked(ctx); err != nil {
		c.logger.Warn("pgmanaged: stopping after failed start", "err", err)
	}
}

func (c *Cluster) stopLocked(ctx context.Context) error {
	pf, ok, err := readPIDFile(c.pgdata)
	if err != nil {
		return err
	}
	if !ok || !postmasterFor(pf.pid, c.pgdata) {
		c.logger.Debug("pgmanaged: local PostgreSQL not running", "data_dir", c.dataDir)
		return nil
	}
	wctx, cancel := withDefaultTimeout(ctx)
	defer cancel()

	if c.inst.binDir == "" {
		// Binaries gone (e.g. the major was uninstalled): SIGINT is what
		// pg_ctl -m fast sends anyway.
		c.logger.Info("pgmanaged: no pg_ctl for this cluster, sending SIGINT", "pid", pf.pid)
		if err := syscall.Kill(pf.pid, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("pgmanaged: signal postgres: %w", err)
		}
	} else {
		out, err := c.user.command(wctx, c.inst.bin("pg_ctl"), "stop", "-D", c.pgdata, "-m", "fast", "-w", "-s", "-t", waitSeconds(wctx)).CombinedOutput()
		if err != nil && postmasterFor(pf.pid, c.pgdata) {
			return fmt.Errorf("pgmanaged: pg_ctl stop: %w: %s%s", err, strings.TrimSpace(string(out)), c.logTail(0))
		}
	}
	// pg_ctl -w waits for postmaster.pid to go away; also wait for the
	// process itself so a following start or cleanup never races it.
	if err := waitExit(wctx, pf.pid); err != nil {
		return err
	}
	c.logger.Info("pgmanaged: stopped local PostgreSQL", "pid", pf.pid, "data_dir", c.dataDir)
	return nil
}

// ready is one readiness probe: pg_isready over TCP exits 0 once the server
// accepts connections (it does not need credentials).
func (c *Cluster) ready(ctx context.Context, port int) bool {
	if ctx.Err() != nil {
		return false
	}
	cmd := exec.CommandContext(ctx, c.inst.bin("pg_isready"), "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "5")
	cmd.Env = cleanEnv()
	return cmd.Run() == nil
}

// waitReady polls ready until it succeeds or ctx ends. pg_ctl -w already
// waited for the postmaster to report ready; this confirms that the TCP
// listener our clients use works.
func (c *Cluster) waitReady(ctx context.Context, port int) bool {
	for {
		if c.ready(ctx, port) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// writeSettings (re)writes PGDATA/lagesbild.conf. Sized for a small machine
// (2 cores, 24 GiB); the port is stored too so that a manual pg_ctl start
// behaves like ours. Changes take effect at the next server start.
func (c *Cluster) writeSettings(port int) error {
	conf := fmt.Sprintf(`# Written by lagesbild (internal/pgmanaged) on every start; edits are lost.
# Use ALTER SYSTEM for local experiments instead.
listen_addresses = '127.0.0.1'
port = %d
# No Unix socket: clients use TCP, and socket paths are limited to 107 bytes.
unix_socket_directories = ''
password_encryption = 'scram-sha-256'
max_connections = 100
shared_buffers = '256MB'
work_mem = '32MB'
maintenance_work_mem = '256MB'
max_wal_size = '1GB'
jit = off
logging_collector = off
`, port)
	return c.writeClusterFile(filepath.Join(c.pgdata, settingsName), []byte(conf))
}

// configuredPort is the port of the previous start (0 if unknown): reusing
// it keeps the address stable across restarts when it is still free.
func (c *Cluster) configuredPort() int {
	b, err := os.ReadFile(filepath.Join(c.pgdata, settingsName))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "port = "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// prepareLog makes sure the cluster user can append to pg.log (pg_ctl opens
// it as that user, and it cannot create files in DataDir) and rotates it
// when large.
func (c *Cluster) prepareLog(path string) error {
	if fileSize(path) > maxLogSize {
		if err := os.Rename(path, path+".1"); err != nil {
			return fmt.Errorf("pgmanaged: rotate log: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("pgmanaged: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("pgmanaged: %w", err)
	}
	return c.user.chown(path)
}

// writeClusterFile writes a 0600 file that the cluster user must own.
func (c *Cluster) writeClusterFile(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("pgmanaged: %w", err)
	}
	return c.user.chown(path)
}

// logTail returns the last lines of pg.log written after offset (0: the end
// of the whole file), formatted for appending to an error.
func (c *Cluster) logTail(offset int64) string {
	f, err := os.Open(filepath.Join(c.dataDir, logName))
	if err != nil {
		return ""
	}
	defer f.Close()
	const window = 16 << 10
	size := fileSize(f.Name())
	if offset == 0 || size-offset > window {
		offset = max(0, size-window)
	}
	b, err := io.ReadAll(io.NewSectionReader(f, offset, size-offset))
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return ""
	}
	return "\n--- last lines of " + f.Name() + " ---\n" + lastLines(string(b), 15)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// postmasterFor reports whether pid is a live postmaster serving pgdata. The
// postmaster's working directory is its data directory, which tells a stale
// postmaster.pid naming some other postgres (e.g. the system cluster, after
// a reboot reshuffled PIDs) from ours.
func postmasterFor(pid int, pgdata string) bool {
	if !postmasterAlive(pid) {
		return false
	}
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	if err != nil {
		return true // not allowed to look: trust the name check
	}
	return filepath.Clean(cwd) == filepath.Clean(pgdata)
}

// startedFast reports whether the running server was started with
// Options.Fast; postmaster.opts records the server's command line.
func startedFast(pgdata string) bool {
	b, err := os.ReadFile(filepath.Join(pgdata, "postmaster.opts"))
	return err == nil && strings.Contains(string(b), "fsync=off")
}

// freePort returns prefer if it can be bound on 127.0.0.1, else a port the
// kernel picks. Either may be taken by someone else before postgres binds
// it; start retries in that case.
func freePort(prefer int) (int, error) {
	if prefer > 0 {
		if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(prefer))); err == nil {
			_ = l.Close()
			return prefer, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgmanaged: pick a port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// withDefaultTimeout bounds waits by defaultWait unless ctx ends sooner.
func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, defaultWait)
}

// waitSeconds converts ctx's remaining time into pg_ctl's -t argument.
func waitSeconds(ctx context.Context) string {
	secs := int(defaultWait / time.Second)
	if d, ok := ctx.Deadline(); ok {
		secs = max(1, int(time.Until(d).Seconds()))
	}
	return strconv.Itoa(secs)
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("pgmanaged: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// writePassword stores the superuser password outside PGDATA, readable only
// by the invoking user (who needs it to build URLs); written atomically so a
// concurrent reader never sees it half-written.
func writePassword(dataDir, password string) error {
	path := filepath.Join(dataDir, passwordName)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(password+"\n"), 0o600); err != nil {
		return fmt.Errorf("pgmanaged: write password file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("pgmanaged: write password file: %w", err)
	}
	return nil
}

func readPassword(dataDir string) (string, error) {
	path := filepath.Join(dataDir, passwordName)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("pgmanaged: %s is missing, so the cluster in %s cannot be used: stop it (lagesbild db stop) and remove %s to re-initialise (this deletes the local database)",
			path, filepath.Join(dataDir, pgSubdir), filepath.Join(dataDir, pgSubdir))
	}
	if err != nil {
		return "", fmt.Errorf("pgmanaged: read password: %w", err)
	}
	pw := strings.TrimSpace(string(b))
	if pw == "" {
		return "", fmt.Errorf("pgmanaged: %s is empty", path)
	}
	return pw, nil
}
