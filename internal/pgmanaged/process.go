package pgmanaged

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pidFile is the part of PGDATA/postmaster.pid we use. Its line layout is
// fixed by PostgreSQL (pidfile.h): PID, data dir, start time, port, socket
// dir, listen address, shmem key, status.
type pidFile struct {
	pid    int
	port   int
	status string // "starting", "stopping", "ready", "standby" (may be empty)
}

// readPIDFile returns ok=false when there is no postmaster.pid, i.e. the
// server is cleanly stopped.
func readPIDFile(pgdata string) (pf pidFile, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(pgdata, "postmaster.pid"))
	if errors.Is(err, os.ErrNotExist) {
		return pidFile{}, false, nil
	}
	if err != nil {
		return pidFile{}, false, fmt.Errorf("pgmanaged: read postmaster.pid: %w", err)
	}
	lines := strings.Split(string(b), "\n")
	pf.pid, _ = strconv.Atoi(strings.TrimSpace(lines[0]))
	if pf.pid <= 0 {
		// Written but not yet complete, or garbage: the caller treats the
		// server as not (yet) running.
		return pidFile{}, true, nil
	}
	if len(lines) > 3 {
		pf.port, _ = strconv.Atoi(strings.TrimSpace(lines[3]))
	}
	if len(lines) > 7 {
		pf.status = strings.TrimSpace(lines[7])
	}
	return pf, true, nil
}

// postmasterAlive reports whether pid is a live postgres process. A stale
// postmaster.pid after a crash or reboot may name a PID that now belongs to
// something else, so the process name is checked too.
func postmasterAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) // no /proc details: trust kill(0)
	}
	// "PID (comm) STATE ...": comm may contain spaces and parentheses.
	lparen, rparen := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if lparen < 0 || rparen < lparen || len(stat) < rparen+3 {
		return true
	}
	// An exited postmaster stays a zombie until its parent reaps it. After
	// pg_ctl has exited that parent is init, which in some containers/VMs
	// reaps only every second or so; a zombie serves nobody, so it is dead.
	if state := stat[rparen+2]; state == 'Z' || state == 'X' {
		return false
	}
	// The kernel task name stays "postgres" even though the server rewrites
	// its argv for ps.
	return bytes.HasPrefix(stat[lparen+1:rparen], []byte("postgres"))
}

// clockTicks is USER_HZ, which is 100 on every Linux architecture Go supports.
const clockTicks = 100

// processStart returns when pid started, from /proc/<pid>/stat (field 22,
// in clock ticks since boot) and the boot time in /proc/stat.
func processStart(pid int) (time.Time, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return time.Time{}, err
	}
	// The command name (field 2) may contain spaces; fields after it are
	// counted from the closing parenthesis.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return time.Time{}, fmt.Errorf("pgmanaged: unexpected /proc/%d/stat", pid)
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 20 {
		return time.Time{}, fmt.Errorf("pgmanaged: unexpected /proc/%d/stat", pid)
	}
	ticks, err := strconv.ParseUint(fields[19], 10, 64) // field 22 overall
	if err != nil {
		return time.Time{}, fmt.Errorf("pgmanaged: /proc/%d/stat starttime: %w", pid, err)
	}
	st, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, err
	}
	for _, line := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			boot, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("pgmanaged: /proc/stat btime: %w", err)
			}
			return time.Unix(boot, 0).Add(time.Duration(ticks) * time.Second / clockTicks), nil
		}
	}
	return time.Time{}, errors.New("pgmanaged: no btime in /proc/stat")
}

// binaryReplaced reports whether the executable of a running process was
// replaced on disk after the process started, with a reason for the log.
// Package upgrades (apt installing PostGIS may pull in a newer PostgreSQL
// minor) replace the binary under a running server; the old server then
// keeps running old code against new shared files and libraries, so we
// restart it. dpkg unlinks the old file (/proc/PID/exe gets a " (deleted)"
// suffix); as a second signal the current file's ctime is compared with the
// process start (dpkg keeps the package's mtime, but ctime shows the
// install time).
func binaryReplaced(pid int) (bool, string) {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return false, "" // not ours to inspect (or no /proc): do not guess
	}
	if path, ok := strings.CutSuffix(exe, " (deleted)"); ok {
		return true, path + " was replaced or removed after the server started"
	}
	started, err := processStart(pid)
	if err != nil {
		return false, ""
	}
	var st syscall.Stat_t
	if err := syscall.Stat(exe, &st); err != nil {
		return false, ""
	}
	ctime := time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
	// One tick of slack: a binary installed within the same clock tick as
	// the start is not newer than the process.
	if ctime.After(started.Add(time.Second)) {
		return true, fmt.Sprintf("%s changed at %s, after the server started at %s", exe, ctime.Format(time.RFC3339), started.Format(time.RFC3339))
	}
	return false, ""
}

// waitExit polls until pid is gone or ctx ends.
func waitExit(ctx context.Context, pid int) error {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for postmasterAlive(pid) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgmanaged: waiting for postgres (pid %d) to exit: %w", pid, ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// lockDataDir takes an exclusive flock on DataDir/pgmanaged.lock so that
// parallel test binaries and a running `serve` do not initdb or start the
// same cluster at the same time. flock conflicts between separate opens even
// within one process, so goroutines are serialised too. The kernel drops the
// lock if the process dies, so a crash never leaves it stuck.
func lockDataDir(ctx context.Context, dataDir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dataDir, "pgmanaged.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pgmanaged: open lock file: %w", err)
	}
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, fmt.Errorf("pgmanaged: lock %s: %w", f.Name(), err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("pgmanaged: waiting for %s (another process is starting or stopping the cluster): %w", f.Name(), ctx.Err())
		case <-t.C:
		}
	}
}
