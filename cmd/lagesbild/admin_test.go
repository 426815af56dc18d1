package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// checkAdmin checks that the service whose output is printed serves /metrics on its admin
// address, with what the requests made so far left there, and not on the public address base.
func checkAdmin(t *testing.T, base string, printed []string) {
	t.Helper()
	re := regexp.MustCompile(`admin address (127\.0\.0\.1:[0-9]+)`)
	admin := ""
	for _, l := range printed {
		if m := re.FindStringSubmatch(l); m != nil {
			admin = "http://" + m[1]
		}
	}
	if admin == "" {
		t.Fatalf("serve printed no admin address:\n%s", strings.Join(printed, "\n"))
	}
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Requests are labelled by route pattern, not by path.
	patterns := []string{
		`(?m)^lagesbild_http_requests_total\{code="200",method="GET",route="/tiles/\{[a-z]+\}/\{z\}/\{x\}/\{[a-z]+\}"\} 1$`,
		`(?m)^lagesbild_http_request_duration_seconds_bucket\{method="GET",route="/tiles/\{[^"]+",le="30"\} 1$`,
		`(?m)^lagesbild_http_requests_total\{code="200",method="POST",route="/api/v1/session"\} 1$`,
	}
	contains := []string{
		`lagesbild_tile_cache_misses_total 1`,
		`lagesbild_tile_cache_hit_ratio`,
		`lagesbild_db_pool_connections{pool="reader",state="idle"}`,
		`lagesbild_db_pool_max_connections{pool="owner"}`,
		`lagesbild_audit_queue_rows 0`,
		`lagesbild_audit_spool_rows 0`,
		`lagesbild_build_info{version=`,
		`process_resident_memory_bytes`,
		`go_goroutines`,
	}
	lacking := func(body string) []string {
		var out []string
		for _, want := range patterns {
			if !regexp.MustCompile(want).MatchString(body) {
				out = append(out, want)
			}
		}
		for _, want := range contains {
			if !strings.Contains(body, want) {
				out = append(out, want)
			}
		}
		return out
	}
	// A request is counted when its handler returns, which can be just after the client has read
	// the whole response: ask again for a little while before calling a metric missing.
	var code int
	var body string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, body = get(admin + "/metrics")
		if code != 200 {
			t.Fatalf("admin /metrics: %d", code)
		}
		if len(lacking(body)) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range lacking(body) {
		t.Errorf("admin /metrics lacks %s", want)
	}
	if t.Failed() {
		t.Logf("admin /metrics:\n%s", body)
	}
	if code, body := get(base + "metrics"); code == 200 && strings.Contains(body, "lagesbild_http_requests_total") {
		t.Errorf("the public address serves the metrics")
	}
	if code, _ := get(admin + "/"); code != 404 {
		t.Errorf("the admin address answers / with %d, want 404 (it serves /metrics and /debug/pprof/ only)", code)
	}
	if code, body := get(admin + "/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("admin /debug/pprof/: %d", code)
	}
	if code, body := get(base + "debug/pprof/"); code == 200 && strings.Contains(body, "goroutine?debug=1") {
		t.Errorf("the public address serves the profiles")
	}
}
