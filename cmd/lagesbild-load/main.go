// Command lagesbild-load runs the load test of `make load`: it starts `lagesbild serve --demo` on
// loopback (or uses a running server with --base), replays the mix of internal/load with many
// clients for a bounded time, and prints throughput, latency percentiles and errors per endpoint
// and the server's memory. Traffic goes to 127.0.0.1 only.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lagesbild/lagesbild/internal/load"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "lagesbild-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("lagesbild-load", flag.ContinueOnError)
	serve := fs.String("serve", "", "start this lagesbild binary with serve --demo (on 127.0.0.1, a free port)")
	base := fs.String("base", "", "use the server at this loopback URL instead of starting one")
	accounts := fs.String("accounts", "", "with --base: user:password,... to log in as")
	admin := fs.String("admin", "", "with --base: the server's admin address (host:port) for /metrics")
	db := fs.String("db", "load", "with --serve: LAGESBILD_DB_NAME of the managed cluster")
	scale := fs.String("scale", "2.5", "with --serve: LAGESBILD_DEMO_SCALE (2.5: about 1 M incidents), used when the database holds none")
	serveLog := fs.String("serve-log", "var/load-serve.log", "with --serve: where the server's log goes")
	clients := fs.Int("clients", 200, "concurrent clients")
	duration := fs.Duration("duration", 60*time.Second, "length of the run (at most 10 minutes)")
	tilesPath := fs.String("tiles", "internal/httpapi/testdata/tiles-stockholm-500.txt", "tile list (z/x/y a line)")
	layers := fs.String("layers", "h3,handelser", "tile layers")
	collections := fs.String("ogc", "omraden-2025,h3-r7", "OGC API collections whose items are read (comma-separated)")
	thinkMean := fs.Duration("think", 2*time.Second, "mean think time of an analyst after each step (exponential); 0: a closed loop without pauses, which saturates the server (capacity)")
	parallel := fs.Int("parallel", 0, "tiles of a journey a client fetches at a time; 0: 6 with think time (a browser over HTTP/1.1), 1 without")
	warm := fs.Bool("warm", true, "request every tile once per account before the run (the run then measures cached tiles)")
	startTimeout := fs.Duration("start-timeout", 45*time.Minute, "with --serve: how long the server may take to start (it builds the demo data into an empty database)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tiles, err := load.ReadTiles(*tilesPath)
	if err != nil {
		return err
	}
	cfg := load.Config{Base: *base, Clients: *clients, Duration: *duration, Tiles: tiles, TileLayers: *layers, Warm: *warm,
		Think: *thinkMean, Parallel: *parallel,
		Collections: strings.Split(*collections, ","),
		Logf:        func(f string, a ...any) { fmt.Fprintf(stdout, f+"\n", a...) }}
	adminAddr := *admin
	var srv *server
	switch {
	case *serve != "" && *base == "":
		// Every client may hold Parallel keep-alive connections, as a browser does; the server's
		// connection cap (LAGESBILD_MAX_CONNS, 1 000 by default) must leave room for them all or
		// the clients past it wait in the kernel's backlog. An explicit setting is kept.
		conns := *clients*max(*parallel, 1) + 64
		if *thinkMean > 0 && *parallel == 0 {
			conns = *clients*6 + 64
		}
		srv, err = startServer(ctx, *serve, *db, *scale, *serveLog, *startTimeout, max(conns, 1000), stdout)
		if err != nil {
			return err
		}
		defer srv.stop()
		cfg.Base, adminAddr = srv.base, srv.admin
		fmt.Fprintf(stdout, "serve: pid %d at %s, admin address %s\n", srv.cmd.Process.Pid, srv.base, srv.admin)
		for _, u := range []string{"demo-nationell", "demo-regional", "demo-lokal"} {
			if srv.passwords[u] == "" {
				return fmt.Errorf("serve --demo printed no password for %s", u)
			}
			cfg.Accounts = append(cfg.Accounts, load.Account{Username: u, Password: srv.passwords[u]})
		}
	case *base != "" && *serve == "":
		for _, a := range strings.Split(*accounts, ",") {
			u, p, ok := strings.Cut(a, ":")
			if !ok {
				return errors.New("--accounts: want a comma-separated list of user:password")
			}
			cfg.Accounts = append(cfg.Accounts, load.Account{Username: u, Password: p})
		}
	default:
		return errors.New("give --serve BIN or --base URL")
	}
	if err := load.CheckLoopback(cfg.Base); err != nil {
		return err
	}
	var rssMu sync.Mutex
	var rssMax int64
	if srv != nil {
		cfg.Sample = func() {
			if kb := procStatusKB(srv.cmd.Process.Pid, "VmRSS"); kb > 0 {
				rssMu.Lock()
				rssMax = max(rssMax, kb)
				rssMu.Unlock()
			}
		}
	}
	fmt.Fprintf(stdout, "load: %d clients for %s against %s (load average before: %s)\n", cfg.Clients, cfg.Duration, cfg.Base, loadavg())
	rep, err := load.Run(ctx, cfg)
	if err != nil {
		return err
	}
	rep.Write(stdout)
	fmt.Fprintf(stdout, "load average after: %s\n", loadavg())
	if srv != nil {
		fmt.Fprintf(stdout, "server RSS: max %.0f MB sampled each second during the run; peak since its start (VmHWM) %.0f MB\n",
			float64(rssMax)/1024, float64(procStatusKB(srv.cmd.Process.Pid, "VmHWM"))/1024)
	}
	if adminAddr != "" {
		for _, m := range scrape(adminAddr, "lagesbild_tile_cache_hit_ratio", "lagesbild_tile_cache_hits_total",
			"lagesbild_tile_cache_misses_total", "process_resident_memory_bytes", "lagesbild_db_pool_empty_acquires_total",
			"lagesbild_audit_commits_total", "lagesbild_audit_rows_total", "lagesbild_ogc_items_cache_",
			"go_gc_duration_seconds", "go_memstats_heap_inuse_bytes", "process_cpu_seconds_total") {
			fmt.Fprintln(stdout, "server:", m)
		}
	}
	return nil
}

type server struct {
	cmd       *exec.Cmd
	base      string
	admin     string
	passwords map[string]string
	done      chan struct{}
}

// startServer starts bin serve --demo on 127.0.0.1 and reads from its output the map URL, the
// admin address and the demo accounts' passwords.
func startServer(ctx context.Context, bin, db, scale, logPath string, timeout time.Duration, maxConns int, stdout io.Writer) (*server, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--demo", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "LAGESBILD_DB_NAME="+db, "LAGESBILD_DEMO_SCALE="+scale,
		"LAGESBILD_ADMIN_ADDR=127.0.0.1:0", "LAGESBILD_LOG_LEVEL=warn")
	if os.Getenv("LAGESBILD_MAX_CONNS") == "" {
		cmd.Env = append(cmd.Env, "LAGESBILD_MAX_CONNS="+strconv.Itoa(maxConns))
		fmt.Fprintf(stdout, "serve: LAGESBILD_MAX_CONNS=%d (room for every client's connections)\n", maxConns)
	}
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, passwords: map[string]string{}, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(s.done) }()
	ready := make(chan struct{})
	urlRe := regexp.MustCompile(`serves the map at (http://127\.0\.0\.1:[0-9]+/)`)
	adminRe := regexp.MustCompile(`admin address (127\.0\.0\.1:[0-9]+)`)
	go func() {
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			if f := strings.Fields(line); len(f) >= 2 && strings.HasPrefix(f[0], "demo-") && !signalled {
				s.passwords[f[0]] = f[1]
			} else if m := adminRe.FindStringSubmatch(line); m != nil && !signalled {
				s.admin = m[1]
			} else if m := urlRe.FindStringSubmatch(line); m != nil && !signalled {
				s.base = m[1]
				signalled = true
				close(ready)
			} else if !signalled {
				fmt.Fprintln(stdout, "serve:", line)
			}
		}
	}()
	select {
	case <-ready:
	case <-s.done:
		return nil, fmt.Errorf("serve exited before it listened; see %s", logPath)
	case <-time.After(timeout):
		s.stop()
		return nil, fmt.Errorf("serve did not listen within %s; see %s", timeout, logPath)
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
	resp, err := http.Get(s.base + "readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		s.stop()
		return nil, fmt.Errorf("serve is not ready: %v %v", resp, err)
	}
	resp.Body.Close()
	return s, nil
}

// stop sends SIGTERM and waits up to 30 s before killing the server.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func procStatusKB(pid int, field string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// scrape returns the lines of the server's /metrics that start with one of names.
func scrape(addr string, names ...string) []string {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return []string{"metrics: " + err.Error()}
	}
	defer resp.Body.Close()
	var out []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		for _, n := range names {
			if strings.HasPrefix(sc.Text(), n) {
				out = append(out, sc.Text())
			}
		}
	}
	return out
}
