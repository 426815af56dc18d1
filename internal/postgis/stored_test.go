package postgis_test

import (
	"context"
	"testing"

	"github.com/lagesbild/lagesbild/geodata"
	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/importer"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/refdata"
)

// TestStoredSetInBlockRanges: the set of stored fingerprints a re-import compares against,
// read in one block range or split over several connections, holds every record of the source
// exactly once with its stored content hash, and nothing of another source.
func TestStoredSetInBlockRanges(t *testing.T) {
	db, _ := pgtest.New(t)
	b, err := refdata.Load(geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	in := demo.FromRefdata(b, 2025)
	r, stop := importer.FromGenerator(func(yield func(lagesbild.Incident) error) error {
		return demo.Incidents(in, demo.Options{Seed: 3, Scale: 0.01}, yield)
	})
	defer stop()
	bg := context.Background()
	if _, err := importer.Incidents(bg, db, r, "demo", importer.Options{}, pgtest.Logger(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(bg, `ANALYZE incident`); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Pool().Query(bg, `SELECT source, source_id, content_hash FROM incident`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][16]byte{}
	var source string
	var ids []string
	for rows.Next() {
		var id string
		var h []byte
		if err := rows.Scan(&source, &id, &h); err != nil {
			t.Fatal(err)
		}
		want[id] = [16]byte(h)
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) < 1000 {
		t.Fatalf("%d stored records, %v", len(ids), err)
	}
	for _, parts := range []int{1, 2, 3} {
		got, n, err := db.StoredDigests(bg, source, append(ids, "not-stored"), parts)
		if err != nil {
			t.Fatal(err)
		}
		if n != len(want) || len(got) != len(want) {
			t.Errorf("%d parts: the set holds %d records, finds %d, want %d", parts, n, len(got), len(want))
		}
		for id, d := range want {
			if got[id] != d {
				t.Errorf("%d parts: %s has %x, stored %x", parts, id, got[id], d)
				break
			}
		}
		other, n, err := db.StoredDigests(bg, "another", ids[:10], parts)
		if err != nil || n != 0 || len(other) != 0 {
			t.Errorf("%d parts: another source's set holds %d, finds %d (%v)", parts, n, len(other), err)
		}
	}
}
