package importer_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/importer"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
)

// gatedReader yields n incidents and, after the first `after`, stops until released, so the
// test can cut the import's database connection while its transaction is streaming rows.
type gatedReader struct {
	n, after, i int
	reached     chan struct{}
	release     chan struct{}
}

func (r *gatedReader) Next() (lagesbild.Incident, error) {
	if r.i == r.after && r.reached != nil {
		close(r.reached)
		<-r.release
	}
	if r.i >= r.n {
		return lagesbild.Incident{}, io.EOF
	}
	r.i++
	// Spread over Tensta and Linköping (inside areas) and a day per record.
	lon, lat := 17.9050+float64(r.i%50)*0.0002, 59.3945
	if r.i%2 == 0 {
		lon, lat = 15.5780+float64(r.i%50)*0.0002, 58.4195
	}
	inc := exact(fmt.Sprintf("loss-%d", r.i), lon, lat, lagesbild.GroupNarkotika, r.i+1)
	inc.OccurredAt = t0.Add(-time.Duration(r.i%300) * 24 * time.Hour)
	return inc, nil
}

// TestImportDatabaseLoss cuts the database connection of an import in the middle of its COPY
// (the server terminates the backend, as a restart or a crash does): the import fails with
// ErrUnavailable and leaves nothing behind (no incident, aggregate, import log row or new data
// version); the same file imported again is stored whole, and once more changes nothing.
func TestImportDatabaseLoss(t *testing.T) {
	db, url := pgtest.New(t)
	conn := pgtest.Conn(t, url)
	ctx := context.Background()
	before := snapshot(t, conn)
	logs := scalar(t, conn, `SELECT count(*) FROM import_log`)

	const n = 10000 // more than a batch of the pipeline (8192): rows have reached the server
	r := &gatedReader{n: n, after: 9000, reached: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := importer.Incidents(ctx, db, r, "loss.csv", importer.Options{}, pgtest.Logger(t))
		done <- err
	}()
	<-r.reached
	// The import's backend is the one copying into the staging table.
	var killed bool
	deadline := time.Now().Add(30 * time.Second)
	for !killed {
		err := conn.QueryRow(ctx, `SELECT coalesce(bool_or(pg_terminate_backend(pid)), false) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'copy%stage_incident%'`).Scan(&killed)
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("no COPY of the import found in pg_stat_activity")
		}
		if !killed {
			time.Sleep(10 * time.Millisecond)
		}
	}
	close(r.release)
	err := <-done
	if err == nil || !errors.Is(err, lagesbild.ErrUnavailable) {
		t.Fatalf("import with its connection cut: %v, want ErrUnavailable", err)
	}
	if got := snapshot(t, conn); got != before {
		t.Errorf("a failed import left data behind: %s, before %s", got, before)
	}
	if got := scalar(t, conn, `SELECT count(*) FROM import_log`); got != logs {
		t.Errorf("import_log has %d rows after the failed import, want %d", got, logs)
	}

	// Re-run: complete, then unchanged.
	rep, err := importer.Incidents(ctx, db, &gatedReader{n: n, after: -1}, "loss.csv", importer.Options{}, pgtest.Logger(t))
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if rep.Inserted != n || rep.Rejected != 0 {
		t.Errorf("re-run: %+v, want %d inserted", rep, n)
	}
	if got := scalar(t, conn, `SELECT count(*) FROM incident WHERE source_id LIKE 'loss-%'`); got != n {
		t.Errorf("%d incidents after the re-run, want %d", got, n)
	}
	aggregatesConsistent(t, conn)
	rep, err = importer.Incidents(ctx, db, &gatedReader{n: n, after: -1}, "loss.csv", importer.Options{}, pgtest.Logger(t))
	if err != nil || rep.Inserted != 0 || rep.Updated != 0 || rep.Unchanged != n {
		t.Errorf("third run: %+v %v, want all %d unchanged", rep, err, n)
	}
	if got := scalar(t, conn, `SELECT count(*) FROM incident WHERE source_id LIKE 'loss-%'`); got != n {
		t.Errorf("%d incidents after the third run, want %d (duplicates)", got, n)
	}
}

// TestImportLimit: with Limits.Imports = 1, a second import while one runs is refused at once
// with ErrUnavailable (503 with Retry-After over HTTP) instead of queueing on the database.
func TestImportLimit(t *testing.T) {
	_, url := pgtest.New(t)
	ctx := context.Background()
	db, err := postgis.Open(ctx, url, postgis.Options{MaxConns: 4, Limits: postgis.Limits{Imports: 1}}, pgtest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	r := &gatedReader{n: 10, after: 5, reached: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := importer.Incidents(ctx, db, r, "first.csv", importer.Options{}, pgtest.Logger(t))
		done <- err
	}()
	<-r.reached
	_, err = importer.Incidents(ctx, db, &gatedReader{n: 3, after: -1}, "second.csv", importer.Options{}, pgtest.Logger(t))
	if !errors.Is(err, lagesbild.ErrUnavailable) {
		t.Errorf("second import while one runs: %v, want ErrUnavailable", err)
	}
	close(r.release)
	if err := <-done; err != nil {
		t.Fatalf("first import: %v", err)
	}
	if _, err := importer.Incidents(ctx, db, &gatedReader{n: 3, after: -1}, "second.csv", importer.Options{}, pgtest.Logger(t)); err != nil {
		t.Errorf("second import after the first: %v", err)
	}
}
