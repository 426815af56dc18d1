package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/pgmanaged"
)

// TestDatabaseOutage stops the real PostgreSQL under a running server and starts it again. serve
// has a data dir of its own, so it starts (and at the end stops) its own cluster: the suite's
// shared cluster is not disturbed. During the outage: readiness 503; a tile cached before it is
// still served to a token verified before it, and its audit rows go to the local spool; a summary
// that needs the database gets 503 with Retry-After, never 401, and no request hangs. After the
// restart: readiness returns by itself, requests succeed at once (no stale pooled connection), and
// the spool is replayed so the audit log holds every row exactly once, in order. Then SIGTERM
// (cancelling run) with a request in flight: it is answered and audited, and serve stops and,
// having started the cluster, stops it too.
func TestDatabaseOutage(t *testing.T) {
	if os.Getenv("TEST_DATABASE_URL") != "" {
		t.Skip("TEST_DATABASE_URL set: no managed cluster to stop")
	}
	dir := t.TempDir()
	t.Cleanup(func() { _ = pgmanaged.StopDataDir(context.Background(), dir, nil) })
	env := map[string]string{"LAGESBILD_DATA_DIR": dir, "LAGESBILD_LOG_LEVEL": "error",
		"DEMO": "1", "LAGESBILD_DEMO_SCALE": "0.005"}
	base, stop, _ := serviceOutput(t, env)
	token, _ := runCLI(t, env, "token", "create", "--role", "nationell", "--name", "outage")
	token = strings.TrimSpace(token)

	client := &http.Client{Timeout: 20 * time.Second} // a hang fails the test instead of stalling it
	do := func(path string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+strings.TrimPrefix(path, "/"), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	const tile = "/tiles/h3/5/17/9.mvt"
	const summaries = "/api/v1/summaries?set=2025"
	counts := map[string]int{} // requests made per "path status", for the audit check
	expect := func(path string, want int) *http.Response {
		t.Helper()
		resp, body := do(path)
		if resp.StatusCode != want {
			t.Fatalf("GET %s: %d %.200s, want %d", path, resp.StatusCode, body, want)
		}
		counts[strings.SplitN(path, "?", 2)[0]+" "+itoa(want)]++
		return resp
	}
	expect(tile, 200)
	expect(tile, 200) // now cached
	expect(summaries, 200)

	ctx := context.Background()
	if err := pgmanaged.StopDataDir(ctx, dir, nil); err != nil {
		t.Fatal(err)
	}
	if resp, _ := do("/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz during the outage: %d, want 503", resp.StatusCode)
	}
	for range 3 {
		expect(tile, 200)
	}
	resp := expect("/api/v1/summaries?set=2015", http.StatusServiceUnavailable)
	if resp.Header.Get("Retry-After") == "" {
		t.Error("503 during the outage without Retry-After")
	}
	// A tile never rendered needs the database: 503, not 401.
	if resp := expect("/tiles/h3/6/35/18.mvt", http.StatusServiceUnavailable); resp.Header.Get("Retry-After") == "" {
		t.Error("tile 503 without Retry-After")
	}
	spool := filepath.Join(dir, "audit-spool", "audit-spool.log")
	if fi, err := os.Stat(spool); err != nil || fi.Size() < 200 {
		t.Fatalf("audit spool during the outage: %v %v", fi, err)
	}

	c, err := pgmanaged.Start(ctx, pgmanaged.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	for {
		if resp, _ := do("/readyz"); resp.StatusCode == 200 {
			break
		}
		if time.Since(restarted) > 60*time.Second {
			t.Fatal("not ready a minute after the database returned")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("ready %v after the database was started", time.Since(restarted).Round(time.Millisecond))
	// The first requests after the restart must not meet a dead pooled connection.
	expect(summaries, 200)
	expect("/api/v1/summaries?set=2015", 200)
	expect("/api/v1/areas?set=2025", 200)
	expect(tile, 200)

	conn, err := pgx.Connect(ctx, c.URL("lagesbild"))
	if err != nil {
		t.Fatal(err)
	}
	rows := func() map[string]int {
		got := map[string]int{}
		r, err := conn.Query(ctx, `SELECT resource, status FROM audit_log WHERE subject LIKE 'token:%' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		var res string
		var status int
		if _, err := pgx.ForEachRow(r, []any{&res, &status}, func() error { got[res+" "+itoa(status)]++; return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	deadline := time.Now().Add(30 * time.Second)
	for got := rows(); !equalCounts(got, counts); got = rows() {
		if time.Now().After(deadline) {
			t.Fatalf("audit rows of the token %v, want exactly %v", got, counts)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// In order: ids follow the request times (spooled rows went in before the later ones).
	var disorder int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT at < lag(at) OVER (ORDER BY id) AS back FROM audit_log
		WHERE subject LIKE 'token:%') s WHERE back`).Scan(&disorder); err != nil || disorder != 0 {
		t.Errorf("audit rows out of order: %d (%v)", disorder, err)
	}

	// SIGTERM with a request in flight (a tile render held behind a table lock): serve stops
	// accepting, lets the request finish, writes its audit row, closes the pool and stops the
	// cluster it started.
	lock, err := pgx.Connect(ctx, c.URL("lagesbild"))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close(ctx)
	tx, err := lock.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE h3_cell IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	const inflight = "/tiles/h3/7/70/36.mvt"
	got := make(chan int, 1)
	go func() {
		resp, _ := do(inflight)
		got <- resp.StatusCode
	}()
	for waiting := 0; waiting == 0; {
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	conn.Close(ctx)
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	probe := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		resp, err := probe.Get(base + "healthz")
		if err != nil {
			break // no longer accepting
		}
		resp.Body.Close()
		time.Sleep(10 * time.Millisecond)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if st := <-got; st != 200 && st != 204 {
		t.Errorf("request in flight at SIGTERM: %d, want it answered", st)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	if st, err := pgmanaged.GetStatus(dir); err != nil || st.Running {
		t.Errorf("the cluster serve started still runs after it stopped: %+v %v", st, err)
	}
	c, err = pgmanaged.Start(ctx, pgmanaged.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	check, err := pgx.Connect(ctx, c.URL("lagesbild"))
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close(ctx)
	var n int
	if err := check.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE resource = $1`, inflight).Scan(&n); err != nil || n != 1 {
		t.Errorf("audit rows of the request in flight at SIGTERM: %d (%v), want 1", n, err)
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
