package load

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheckLoopback(t *testing.T) {
	for base, ok := range map[string]bool{"http://127.0.0.1:8080/": true, "http://localhost:1/": true, "http://[::1]:9/": true,
		"http://10.0.0.1/": false, "http://example.org/": false, "https://127.0.0.1/": false, "http://192.168.1.1:80/": false} {
		if err := CheckLoopback(base); (err == nil) != ok {
			t.Errorf("CheckLoopback(%s) = %v", base, err)
		}
	}
}

func TestPercentile(t *testing.T) {
	var l []time.Duration
	for i := 1; i <= 100; i++ {
		l = append(l, time.Duration(i)*time.Millisecond)
	}
	for q, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond} {
		if got := Percentile(l, q); got != want {
			t.Errorf("Percentile(%v) = %v, want %v", q, got, want)
		}
	}
}

// TestRun replays the mix for a moment against a stand-in server on loopback and checks that
// every scenario ran, errors are counted and the run stops by itself.
func TestRun(t *testing.T) {
	var logins, tiles atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/v1/session":
			logins.Add(1)
			http.SetCookie(w, &http.Cookie{Name: "s", Value: "1", Path: "/"})
		case r.URL.Path == "/api/v1/areas":
			// Gzipped, as the server answers JSON to a client that accepts it: the list of
			// areas must still be read (the run failed at its setup when it was not).
			if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
				t.Error("the load asks for gzip, as browsers do")
			}
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			_, _ = zw.Write([]byte(`{"features":[{"id":"2025-SO1","properties":{"id":"2025-SO1"}}]}`))
			_ = zw.Close()
		case strings.HasPrefix(r.URL.Path, "/tiles/"):
			if tiles.Add(1)%10 == 0 {
				http.Error(w, "boom", http.StatusServiceUnavailable)
			}
		}
	}))
	defer srv.Close()
	rep, err := Run(context.Background(), Config{Base: srv.URL, Accounts: []Account{{"a", "p"}, {"b", "q"}}, Clients: 8,
		Duration: 500 * time.Millisecond, Tiles: []string{"5/17/8", "6/34/17"}, Warm: true, LoginEvery: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*Endpoint{}
	for _, e := range rep.Endpoints {
		got[e.Name] = e
	}
	for _, name := range []string{"tile", "areas", "summaries", "ogc-items", "login", "me"} {
		if got[name] == nil || len(got[name].Latencies) == 0 {
			t.Errorf("no %s requests", name)
		}
	}
	if got["tile"] != nil && got["tile"].Status5xx == 0 {
		t.Errorf("the stand-in's 503s were not counted")
	}
	if rep.Warmup == nil || len(rep.Warmup.Latencies) != 4 {
		t.Errorf("warm-up: %+v, want 2 tiles × 2 accounts", rep.Warmup)
	}
	if logins.Load() < 3 {
		t.Errorf("%d logins", logins.Load())
	}
	var out bytes.Buffer
	rep.Write(&out)
	if !strings.Contains(out.String(), "p99 ms") || !strings.Contains(out.String(), "8 clients") {
		t.Errorf("report:\n%s", out.String())
	}
}
