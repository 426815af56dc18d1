package pgmanaged

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// requireServer skips when this machine has no PostgreSQL with PostGIS, except in CI, where
// `make test` has installed them (scripts/install-deps.sh postgis) and a skip would hide a defect.
func requireServer(t *testing.T) {
	t.Helper()
	if _, err := chooseInstall(context.Background(), filepath.Join(t.TempDir(), "none"), true); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no usable PostgreSQL/PostGIS in CI: %v", err)
		}
		t.Skipf("no usable PostgreSQL/PostGIS: %v", err)
	}
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// logBuffer is a concurrency-safe log sink, so tests can check what was
// logged (and what was not: the password).
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogger(t *testing.T) (*slog.Logger, *logBuffer) {
	t.Helper()
	lb := &logBuffer{}
	w := io.MultiWriter(lb, tWriter{t})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})), lb
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// newDataDir returns a fresh data dir and makes sure whatever cluster a
// test starts there is stopped before t.TempDir removes the files.
func newDataDir(t *testing.T, dir string) string {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := StopDataDir(ctx, dir, nil); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return dir
}

// psql runs SQL through the real client over the URL, as the rest of the
// project will connect.
func psql(t *testing.T, ctx context.Context, dbURL string, sql ...string) string {
	t.Helper()
	args := []string{"-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dbURL}
	for _, s := range sql {
		args = append(args, "-c", s)
	}
	cmd := exec.CommandContext(ctx, "psql", args...)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql %q: %v\n%s", sql, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestLifecycle(t *testing.T) {
	requireServer(t)
	t.Parallel()
	ctx := testContext(t)
	logger, logs := newLogger(t)
	dir := newDataDir(t, filepath.Join(t.TempDir(), "var"))

	c1, err := Start(ctx, Options{DataDir: dir, Logger: logger, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	if !c1.Started() {
		t.Error("first Start: Started() = false, want true")
	}
	if c1.Port() <= 0 {
		t.Fatalf("port = %d", c1.Port())
	}
	u, err := url.Parse(c1.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	password, _ := u.User.Password()
	if u.Scheme != "postgres" || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.User.Username() != Superuser ||
		password == "" || u.Path != "/postgres" || u.Query().Get("sslmode") != "disable" {
		t.Errorf("unexpected URL shape %s", u.Redacted())
	}

	st, err := GetStatus(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Initialized || !st.Running || st.PID <= 0 || st.Port != c1.Port() || st.Version == "" || !st.Fast {
		t.Errorf("status after start = %+v, want initialized, running, fast, port %d", st, c1.Port())
	}

	// Credentials sit outside PGDATA, private to the invoking user.
	fi, err := os.Stat(filepath.Join(dir, passwordName))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Sys().(*syscall.Stat_t).Uid != uint32(os.Geteuid()) {
		t.Errorf("password file mode %v uid %d", fi.Mode().Perm(), fi.Sys().(*syscall.Stat_t).Uid)
	}
	if fi, err := os.Stat(filepath.Join(dir, pgSubdir)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("PGDATA: %v, %v", fi.Mode(), err)
	}

	c2, err := Start(ctx, Options{DataDir: dir, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if c2.Started() {
		t.Error("second Start: Started() = true, want false (reuse)")
	}
	if c2.Port() != c1.Port() || c2.URL("x") != c1.URL("x") {
		t.Errorf("reused cluster differs: port %d vs %d", c2.Port(), c1.Port())
	}
	if !strings.Contains(logs.String(), "fsync=off") {
		t.Error("reusing a Fast cluster without Fast should warn about fsync=off")
	}

	got := psql(t, ctx, c2.URL("postgres"),
		"CREATE EXTENSION postgis",
		"SELECT postgis_full_version()")
	if !strings.Contains(got, "POSTGIS=") {
		t.Errorf("postgis_full_version() = %q", got)
	}
	if got := psql(t, ctx, c2.URL("postgres"), "SHOW listen_addresses", "SHOW shared_buffers", "SHOW fsync"); got != "127.0.0.1\n256MB\noff" {
		t.Errorf("settings = %q", got)
	}

	if err := c2.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	st, err = GetStatus(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Running || !st.Initialized || st.PID != 0 {
		t.Errorf("status after stop = %+v", st)
	}
	// Stopping a stopped cluster is fine, both ways.
	if err := c1.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := StopDataDir(ctx, dir, logger); err != nil {
		t.Errorf("StopDataDir on stopped cluster: %v", err)
	}

	// Restart of an existing data dir: same credentials, durable settings.
	c3, err := Start(ctx, Options{DataDir: dir, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if !c3.Started() {
		t.Error("Start after Stop: Started() = false")
	}
	if got := psql(t, ctx, c3.URL("postgres"), "SHOW fsync", "SELECT extname FROM pg_extension WHERE extname = 'postgis'"); got != "on\npostgis" {
		t.Errorf("after restart: %q", got)
	}
	if st, _ := GetStatus(dir); st.Fast {
		t.Error("status reports Fast after a non-Fast start")
	}
	if err := StopDataDir(ctx, dir, logger); err != nil {
		t.Fatal(err)
	}
	if st, _ := GetStatus(dir); st.Running {
		t.Error("running after StopDataDir")
	}

	if strings.Contains(logs.String(), password) {
		t.Error("the password was logged")
	}
	if s := c3.String(); strings.Contains(s, password) {
		t.Errorf("String() leaks the password: %s", s)
	}
}

func TestConcurrentStart(t *testing.T) {
	requireServer(t)
	t.Parallel()
	ctx := testContext(t)
	logger, _ := newLogger(t)
	dir := newDataDir(t, filepath.Join(t.TempDir(), "var"))

	// Goroutines stand in for parallel test binaries: flock serialises
	// separate opens of the lock file even within one process.
	const n = 4
	var wg sync.WaitGroup
	clusters := make([]*Cluster, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			clusters[i], errs[i] = Start(ctx, Options{DataDir: dir, Logger: logger, Fast: true})
		})
	}
	wg.Wait()
	started := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Start %d: %v", i, errs[i])
		}
		if clusters[i].Started() {
			started++
		}
		if clusters[i].Port() != clusters[0].Port() {
			t.Errorf("Start %d: port %d, want %d", i, clusters[i].Port(), clusters[0].Port())
		}
	}
	if started != 1 {
		t.Errorf("%d of %d Start calls started postgres, want exactly 1", started, n)
	}
	if got := psql(t, ctx, clusters[n-1].URL("postgres"), "SELECT 1"); got != "1" {
		t.Errorf("SELECT 1 = %q", got)
	}
}

// TestPrivateParent covers a repository below a 0700 directory (such as
// /root/src/repo) while running as root: the postgres user must be granted
// search permission by ACL, not by opening the directory to everyone.
func TestPrivateParent(t *testing.T) {
	requireServer(t)
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("only relevant when running as root")
	}
	if _, err := exec.LookPath("setfacl"); err != nil {
		t.Skip("setfacl not installed (scripts/install-deps.sh postgis installs acl)")
	}
	ctx := testContext(t)
	logger, logs := newLogger(t)
	base := t.TempDir()
	outer := filepath.Join(base, "home")
	inner := filepath.Join(outer, "src")
	for _, d := range []string{outer, inner} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	dir := newDataDir(t, filepath.Join(inner, "repo", "var"))

	c, err := Start(ctx, Options{DataDir: dir, Logger: logger, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	u, err := clusterUser(ctx, filepath.Join(dir, pgSubdir), logger)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{outer, inner} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		// With an ACL the mode's group bits show the ACL mask, so check
		// "other" and the owning group's own entry instead.
		if fi.Mode().Perm()&0o007 != 0 {
			t.Errorf("%s opened to others (%v); only an ACL entry may be added", d, fi.Mode().Perm())
		}
		acl, err := readACL(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range acl {
			if e.tag == aclGroupObj && e.perm != 0 {
				t.Errorf("%s: owning group gained permissions %o", d, e.perm)
			}
		}
		if ok, err := canTraverse(d, u); err != nil || !ok {
			t.Errorf("canTraverse(%s, %s) = %v, %v after Start", d, u.name, ok, err)
		}
		if !strings.Contains(logs.String(), d) {
			t.Errorf("ACL change on %s was not logged", d)
		}
	}
	if got := psql(t, ctx, c.URL("postgres"), "SELECT current_user"); got != Superuser {
		t.Errorf("current_user = %q", got)
	}
}

// TestStalePIDFile covers postmaster.pid files left by a crash: one naming a
// dead process and one naming an unrelated live process (PID reuse after a
// reboot), which postgres alone would refuse to start with.
func TestStalePIDFile(t *testing.T) {
	requireServer(t)
	t.Parallel()
	ctx := testContext(t)
	logger, _ := newLogger(t)
	dir := newDataDir(t, filepath.Join(t.TempDir(), "var"))

	c, err := Start(ctx, Options{DataDir: dir, Logger: logger, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	pidPath := filepath.Join(dir, pgSubdir, "postmaster.pid")
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	live := exec.Command("sleep", "600")
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = live.Process.Kill(); _ = live.Wait() })

	for name, pid := range map[string]int{"dead": dead.Process.Pid, "unrelated": live.Process.Pid} {
		t.Run(name, func(t *testing.T) {
			stale := []byte(strings.Join([]string{strconv.Itoa(pid), filepath.Join(dir, pgSubdir), "1700000000", "5999", "", "127.0.0.1", "0 0", "ready   "}, "\n") + "\n")
			if err := c.writeClusterFile(pidPath, stale); err != nil {
				t.Fatal(err)
			}
			if st, err := GetStatus(dir); err != nil || st.Running {
				t.Errorf("status with stale pid file = %+v, %v; want not running", st, err)
			}
			c2, err := Start(ctx, Options{DataDir: dir, Logger: logger, Fast: true})
			if err != nil {
				t.Fatal(err)
			}
			if !c2.Started() {
				t.Error("Started() = false with a stale pid file")
			}
			if got := psql(t, ctx, c2.URL("postgres"), "SELECT 1"); got != "1" {
				t.Errorf("SELECT 1 = %q", got)
			}
			if err := c2.Stop(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRestartAfterUpgrade replaces the postgres binary of a running cluster
// the way dpkg does (write a new file, rename it over the old one) and
// expects the next Start to restart the server rather than reuse it. It runs
// a copy of the installed server so the system installation is untouched.
// Not parallel: it swaps debianRoot.
func TestRestartAfterUpgrade(t *testing.T) {
	requireServer(t)
	ctx := testContext(t)
	real, err := chooseInstall(ctx, filepath.Join(t.TempDir(), "none"), true)
	if err != nil {
		t.Fatal(err)
	}
	majorDir := filepath.Join(debianRoot, strconv.Itoa(real.major))
	if real.binDir != filepath.Join(majorDir, "bin") {
		t.Skipf("needs the Debian layout under %s", debianRoot)
	}
	// postgres finds its lib and share directories relative to its own
	// path, so mirror /usr/{lib,share}/postgresql with symlinks.
	root := t.TempDir()
	fakeRoot := filepath.Join(root, "lib", "postgresql")
	bin := filepath.Join(fakeRoot, strconv.Itoa(real.major), "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	copyBin := func(name, to string) {
		t.Helper()
		b, err := os.ReadFile(real.bin(name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"initdb", "pg_ctl", "postgres", "pg_isready"} {
		copyBin(name, filepath.Join(bin, name))
	}
	share := filepath.Join(root, "share", "postgresql")
	if err := os.MkdirAll(share, 0o755); err != nil {
		t.Fatal(err)
	}
	for from, to := range map[string]string{
		filepath.Join(majorDir, "lib"): filepath.Join(fakeRoot, strconv.Itoa(real.major), "lib"),
		real.shareDir:                  filepath.Join(share, strconv.Itoa(real.major)),
	} {
		if err := os.Symlink(from, to); err != nil {
			t.Fatal(err)
		}
	}
	saved := debianRoot
	debianRoot = fakeRoot
	t.Cleanup(func() { debianRoot = saved })

	logger, logs := newLogger(t)
	dir := newDataDir(t, filepath.Join(t.TempDir(), "var"))
	c1, err := Start(ctx, Options{DataDir: dir, Logger: logger, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	if c1.inst.binDir != bin {
		t.Fatalf("Start used %s, want the copy in %s", c1.inst.binDir, bin)
	}
	before, err := GetStatus(dir)
	if err != nil || !before.Running {
		t.Fatalf("status = %+v, %v", before, err)
	}

	copyBin("postgres", filepath.Join(bin, "postgres.dpkg-new"))
	if err := os.Rename(filepath.Join(bin, "postgres.dpkg-new"), filepath.Join(bin, "postgres")); err != nil {
		t.Fatal(err)
	}

	c2, err := Start(ctx, Options{DataDir: dir, Logger: logger, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	after, err := GetStatus(dir)
	if err != nil || !after.Running {
		t.Fatalf("status = %+v, %v", after, err)
	}
	if !c2.Started() || after.PID == before.PID {
		t.Errorf("upgraded server was reused: Started()=%v, pid %d -> %d", c2.Started(), before.PID, after.PID)
	}
	if !strings.Contains(logs.String(), "upgraded") {
		t.Error("restart reason not logged")
	}
	if got := psql(t, ctx, c2.URL("postgres"), "SELECT 1"); got != "1" {
		t.Errorf("SELECT 1 = %q", got)
	}
	// A third Start sees the new binary and reuses the server.
	c3, err := Start(ctx, Options{DataDir: dir, Logger: logger, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	if c3.Started() {
		t.Error("Start after the restart did not reuse the server")
	}
}

// TestBinaryReplaced runs a real process from a copied binary and deletes
// the file, as dpkg does when upgrading a package under a running server.
func TestBinaryReplaced(t *testing.T) {
	sleepPath, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	src, err := os.ReadFile(sleepPath)
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(t.TempDir(), "sleep")
	if err := os.WriteFile(exe, src, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	if replaced, why := binaryReplaced(cmd.Process.Pid); replaced {
		t.Errorf("fresh process reported replaced: %s", why)
	}
	if err := os.Remove(exe); err != nil {
		t.Fatal(err)
	}
	if replaced, why := binaryReplaced(cmd.Process.Pid); !replaced || !strings.Contains(why, exe) {
		t.Errorf("after deleting the binary: replaced=%v reason=%q", replaced, why)
	}
}

func TestCanTraverse(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to test another user's access")
	}
	if _, err := exec.LookPath("setfacl"); err != nil {
		t.Skip("setfacl not installed")
	}
	u, err := clusterUser(context.Background(), filepath.Join(t.TempDir(), "none"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	d := filepath.Join(t.TempDir(), "d")
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	check := func(want bool, what string) {
		t.Helper()
		got, err := canTraverse(d, u)
		if err != nil || got != want {
			t.Errorf("%s: canTraverse = %v, %v; want %v", what, got, err, want)
		}
	}
	check(false, "0700 root dir")
	if err := os.Chmod(d, 0o701); err != nil {
		t.Fatal(err)
	}
	check(true, "o+x")
	if err := os.Chmod(d, 0o710); err != nil {
		t.Fatal(err)
	}
	check(false, "g+x, other group")
	if err := os.Chown(d, 0, int(u.gid)); err != nil {
		t.Fatal(err)
	}
	check(true, "g+x, user's group")
	if err := os.Chown(d, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("setfacl", "-m", "u:"+u.name+":x", d).CombinedOutput(); err != nil {
		t.Fatalf("setfacl: %v %s", err, out)
	}
	check(true, "ACL u:USER:x")
	if out, err := exec.Command("setfacl", "-m", "m::-", d).CombinedOutput(); err != nil {
		t.Fatalf("setfacl: %v %s", err, out)
	}
	check(false, "ACL entry masked out")
}

func TestACLAlgorithm(t *testing.T) {
	u := osUser{uid: 1000, gid: 1000, groups: []uint32{1000, 27}}
	obj := func(user, group, other uint16) []aclEntry {
		return []aclEntry{{tag: aclUserObj, perm: user}, {tag: aclGroupObj, perm: group}, {tag: aclOther, perm: other}}
	}
	tests := []struct {
		name         string
		acl          []aclEntry
		owner, group uint32
		want         bool
	}{
		{"owner x", obj(7, 0, 0), 1000, 0, true},
		{"owner without x wins over other", obj(6, 0, 1), 1000, 0, false},
		{"named user", append(obj(7, 0, 0), aclEntry{aclUser, 1, 1000}, aclEntry{aclMask, 1, 0}), 0, 0, true},
		{"named user masked", append(obj(7, 0, 0), aclEntry{aclUser, 1, 1000}, aclEntry{aclMask, 0, 0}), 0, 0, false},
		{"named group", append(obj(7, 0, 0), aclEntry{aclGroup, 1, 27}, aclEntry{aclMask, 1, 0}), 0, 0, true},
		{"matching group without x denies despite other", append(obj(7, 0, 1), aclEntry{aclMask, 7, 0}), 0, 1000, false},
		{"other", obj(7, 0, 1), 0, 0, true},
		{"nothing", obj(7, 0, 0), 0, 0, false},
	}
	for _, tt := range tests {
		if got := aclAllowsExec(tt.acl, tt.owner, tt.group, u); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestEmptyAndMissing(t *testing.T) {
	if _, err := Start(context.Background(), Options{}); err == nil {
		t.Error("Start without DataDir succeeded")
	}
	dir := filepath.Join(t.TempDir(), "nothing")
	st, err := GetStatus(dir)
	if err != nil || st.Initialized || st.Running {
		t.Errorf("GetStatus(missing) = %+v, %v", st, err)
	}
	if err := StopDataDir(context.Background(), dir, nil); err != nil {
		t.Errorf("StopDataDir(missing) = %v", err)
	}
	if _, err := readPassword(dir); err == nil || errors.Is(err, os.ErrNotExist) {
		// The message must explain what to do, not just "not found".
		t.Errorf("readPassword(missing) = %v", err)
	}
}
