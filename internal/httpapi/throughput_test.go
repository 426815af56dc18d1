package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// BenchmarkCachedTileAudited measures what issue 13 asks: cached tile hits with an API token,
// each answered only after its audit row is durably committed (group commit), with the identity
// cache on (revocation by LISTEN/NOTIFY), over loopback HTTP with 4 and 32 connections. Client
// and server share the machine's cores, with 2 and auth.AuditWriters audit batches committing at
// once, and the adaptive group commit off and on (auth.AuditBatchDelay). It reports req/s and the
// audit rows per commit.
func BenchmarkCachedTileAudited(b *testing.B) {
	db, _ := pgtest.New(b)
	loadDemo(b, db, demo.Options{Seed: 3, Scale: 0.005}, false)
	svc := auth.NewService(db, false)
	svc.Cache = auth.NewIdentityCache(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go db.Listen(ctx, postgis.AuthChannel, svc.Cache)
	for !svc.Cache.Live() {
		time.Sleep(time.Millisecond)
	}
	api := &httpapi.Server{Areas: db, Ready: db, Logger: discardLogger(), Tiles: tiles.NewService(db, db, 64<<20), Auth: svc}
	defer svc.Close()
	tok, _, err := svc.CreateToken(ctx, auth.TokenRequest{Role: auth.RoleNationell, CreatedBy: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	const tile = "/tiles/h3/5/17/9.mvt"
	get := func(c *http.Client) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+tile, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := c.Do(req)
		if err != nil {
			return 0
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := get(http.DefaultClient); st != 200 {
		b.Fatalf("warm-up: %d", st)
	}
	// delay: the adaptive group commit's bound (0: off, each free writer commits what it finds).
	type run struct {
		conns, writers int
		delay          time.Duration
	}
	var runs []run
	for _, conns := range []int{4, 32} {
		runs = append(runs, run{conns, 2, auth.AuditBatchDelay}, run{conns, auth.AuditWriters, 0}, run{conns, auth.AuditWriters, auth.AuditBatchDelay})
	}
	for _, c := range runs {
		conns := c.conns
		svc.SetAuditWriters(c.writers)
		svc.SetAuditBatching(auth.AuditMinBatch, c.delay)
		b.Run(fmt.Sprintf("conns=%d/writers=%d/delay=%s", conns, c.writers, c.delay), func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, DisableCompression: true}}
			var next, failed atomic.Int64
			var wg sync.WaitGroup
			commits0, rows0 := svc.AuditCommits()
			b.ResetTimer()
			start := time.Now()
			for range conns {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						if get(client) != 200 {
							failed.Add(1)
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if failed.Load() > 0 {
				b.Errorf("%d of %d requests failed", failed.Load(), b.N)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			if commits, rows := svc.AuditCommits(); commits > commits0 {
				b.ReportMetric(float64(rows-rows0)/float64(commits-commits0), "rows/commit")
			}
		})
	}
}

// BenchmarkAuditCommit measures the latency of one durable audit commit (one row, one round
// trip with BEGIN/INSERT/COMMIT): the floor under every audited request's response time.
func BenchmarkAuditCommit(b *testing.B) {
	db, _ := pgtest.New(b)
	ctx := context.Background()
	e := auth.AuditEntry{Subject: "bench", Role: "nationell", Scope: "all", Action: "read", Resource: "/tiles/h3/5/17/9.mvt", Result: "ok", Status: 200}
	for b.Loop() {
		if err := db.AppendAudit(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
}
