package postgis_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/pgmanaged"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
)

// TestReadReplicas starts a primary and a hot standby (pg_basebackup -R) on loopback and checks
// that scoped reads go to the standby while it is in step, go to the primary while its replay is
// paused behind the primary's data version (so nothing cached under that version can come from
// older data), fail over to the primary when the standby is stopped, and return to it once it
// is back. The data is one row per step: what is checked is where each read ran.
func TestReadReplicas(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	logger := pgtest.Logger(t)
	dir := t.TempDir()
	primary, err := pgmanaged.Start(ctx, pgmanaged.Options{DataDir: filepath.Join(dir, "primary"), Fast: true, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = primary.Stop(context.Background()) })
	if _, err := postgis.EnsureDatabase(ctx, primary.URL("postgres"), "lagesbild", ""); err != nil {
		t.Fatal(err)
	}
	db, err := postgis.Open(ctx, primary.URL("lagesbild"), postgis.Options{}, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	standbyOpts := pgmanaged.Options{DataDir: filepath.Join(dir, "standby"), Fast: true, Logger: logger}
	standby, err := pgmanaged.StartStandby(ctx, primary, standbyOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = standby.Stop(context.Background()) })
	if err := db.AddReplicas(ctx, []string{standby.URL("lagesbild")}); err != nil {
		t.Fatal(err)
	}
	// A superuser connection to the standby, to watch and pause its replay.
	watch, err := pgx.Connect(ctx, standby.URL("lagesbild"))
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(context.Background())
	standbyVersion := func() int64 {
		var v int64
		if err := watch.QueryRow(ctx, `SELECT version FROM data_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	national := auth.WithIdentity(ctx, auth.Identity{Subject: "replica-test", Role: auth.RoleNationell, Scope: auth.Scope{All: true}})
	// put stores an incident on a day (a län-precision record and its region's month row) and
	// bumps the data version, as an import does, and reads the version as the caches do before
	// they render.
	put := func(day string) int64 {
		t.Helper()
		_, err := db.Pool().Exec(ctx, `INSERT INTO incident (source, source_id, occurred_at, occurred_day, category,
				category_group, agency, precision, lan_code, region_code, content_hash)
			VALUES ('replica-test', $1, $2::date, $2::date, 'Misshandel', 'vald', 'polisen', 'lan', '01', '5300', '\x00')`, day, day)
		if err == nil {
			_, err = db.Pool().Exec(ctx, `INSERT INTO admin_month_agg (level, code, month, category_group, agency, precision, n)
				VALUES ('region', '5300', date_trunc('month', $1::date)::date, 'vald', 'polisen', 'lan', 1)`, day)
		}
		if err == nil {
			_, err = db.Pool().Exec(ctx, `UPDATE data_version SET version = version + 1, changed_at = now()`)
		}
		if err != nil {
			t.Fatal(err)
		}
		v, err := db.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	newest := func() string {
		t.Helper()
		day, ok, err := db.NewestIncidentDay(national)
		if err != nil || !ok {
			t.Fatalf("NewestIncidentDay = %v, %v, %v", day, ok, err)
		}
		return day.Format(time.DateOnly)
	}
	stats := func() (primaryReads int64, r postgis.PoolStat) {
		for _, s := range db.PoolStats() {
			switch s.Pool {
			case "reader":
				primaryReads = s.ReadTransactions
			case "replica-1":
				r = s
			}
		}
		return primaryReads, r
	}
	// poll runs cond until it holds, for at most 30 s.
	poll := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waited 30 s for %s", what)
			}
		}
	}

	// In step: the read runs on the standby.
	v1 := put("2026-01-05")
	poll("the standby to replay version 1", func() bool { return standbyVersion() >= v1 })
	p0, r0 := stats()
	if got := newest(); got != "2026-01-05" {
		t.Fatalf("newest day = %s, want 2026-01-05", got)
	}
	if p1, r1 := stats(); r1.ReadTransactions != r0.ReadTransactions+1 || p1 != p0 {
		t.Fatalf("a read with the standby in step: replica reads %d → %d, primary %d → %d; want it on the replica",
			r0.ReadTransactions, r1.ReadTransactions, p0, p1)
	}

	// Behind: with replay paused, a new version is on the primary only; reads must not come from
	// the standby's older data.
	if _, err := watch.Exec(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	poll("replay to pause", func() bool {
		var state string
		return watch.QueryRow(ctx, `SELECT pg_get_wal_replay_pause_state()`).Scan(&state) == nil && state == "paused"
	})
	v2 := put("2026-02-07")
	if sv := standbyVersion(); sv >= v2 {
		t.Fatalf("standby at version %d with replay paused, want < %d", sv, v2)
	}
	p0, r0 = stats()
	if got := newest(); got != "2026-02-07" {
		t.Fatalf("newest day with the standby behind = %s, want the primary's 2026-02-07", got)
	}
	p1, r1 := stats()
	if r1.ReadTransactions != r0.ReadTransactions || p1 != p0+1 || !r1.ReplicaBehind || r1.FallbacksLag == 0 {
		t.Fatalf("a read with the standby behind: replica %+v, primary reads %d → %d; want it on the primary", r1, p0, p1)
	}

	// Caught up again: reads return to the standby.
	if _, err := watch.Exec(ctx, `SELECT pg_wal_replay_resume()`); err != nil {
		t.Fatal(err)
	}
	poll("reads to return to the caught-up standby", func() bool {
		_, before := stats()
		got := newest()
		_, after := stats()
		if got != "2026-02-07" {
			t.Fatalf("newest day = %s, want 2026-02-07", got)
		}
		return after.ReadTransactions > before.ReadTransactions && !after.ReplicaBehind
	})

	// Down: reads fail over to the primary without an error.
	watch.Close(ctx)
	if err := standby.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if got := newest(); got != "2026-02-07" {
			t.Fatalf("newest day with the standby down = %s, want 2026-02-07", got)
		}
	}
	if _, r := stats(); !r.ReplicaDown || r.FallbacksDown == 0 {
		t.Fatalf("standby stopped: %+v, want it marked down", r)
	}

	// Back: after its time out of the rotation the standby takes reads again.
	if standby, err = pgmanaged.StartStandby(ctx, primary, standbyOpts); err != nil {
		t.Fatal(err)
	}
	poll("reads to return to the restarted standby", func() bool {
		_, before := stats()
		newest()
		_, after := stats()
		return after.ReadTransactions > before.ReadTransactions
	})
}
