package postgis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
)

// tableSums returns, per table of the public schema, its row count and an order-independent
// checksum of its rows (md5 over the sorted md5 of each row's text form).
func tableSums(t *testing.T, url string) map[string]string {
	t.Helper()
	ctx := context.Background()
	conn := pgtest.Conn(t, url)
	rows, err := conn.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, tbl := range tables {
		var n int64
		var sum string
		q := `SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '') FROM ` +
			pgx.Identifier{"public", tbl}.Sanitize() + ` t`
		if err := conn.QueryRow(ctx, q).Scan(&n, &sum); err != nil {
			t.Fatalf("%s: %v", tbl, err)
		}
		sums[tbl] = strconv.FormatInt(n, 10) + " " + sum
	}
	return sums
}

// TestBackupRestore backs a small database up with pg_dump -Fc and restores it with pg_restore
// into a new database, as docs/operations.md says, and checks that every table has the same
// rows (counts and checksums) and that the restored database is ready for the service.
func TestBackupRestore(t *testing.T) {
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (Debian package postgresql-client): %v", tool, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	db, url := pgtest.New(t)
	scopedFixture(t, db)
	before := tableSums(t, url)
	if before["incident"] == "" || strings.HasPrefix(before["incident"], "0 ") || strings.HasPrefix(before["area"], "0 ") {
		t.Fatalf("nothing to back up: %v", before)
	}

	dump := filepath.Join(t.TempDir(), "lagesbild.dump")
	if out, err := exec.CommandContext(ctx, "pg_dump", "--format=custom", "--file="+dump, "--dbname="+url).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	admin := pgtest.ServerURL(t)
	var b [5]byte
	_, _ = rand.Read(b[:])
	name := "lagesbild_restore_" + hex.EncodeToString(b[:])
	if _, err := postgis.EnsureDatabase(ctx, admin, name, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = postgis.DropDatabase(context.Background(), admin, name) })
	restored, err := postgis.SetDatabaseURL(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(ctx, "pg_restore", "--exit-on-error", "--single-transaction",
		"--dbname="+restored, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}

	after := tableSums(t, restored)
	for tbl, sum := range before {
		if after[tbl] != sum {
			t.Errorf("%s: restored %q, backed up %q (count checksum)", tbl, after[tbl], sum)
		}
	}
	if len(after) != len(before) {
		t.Errorf("restored %d tables, backed up %d", len(after), len(before))
	}
	rdb, err := postgis.Open(ctx, restored, postgis.Options{}, pgtest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if err := rdb.Ready(ctx); err != nil {
		t.Errorf("restored database not ready (migrations): %v", err)
	}
	v1, err1 := db.DataVersion(ctx)
	v2, err2 := rdb.DataVersion(ctx)
	if err1 != nil || err2 != nil || v1 != v2 {
		t.Errorf("data version %d (%v) backed up, %d (%v) restored", v1, err1, v2, err2)
	}
}
