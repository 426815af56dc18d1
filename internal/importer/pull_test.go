package importer_test

import (
	"errors"
	"io"
	"testing"

	"github.com/lagesbild/lagesbild/internal/importer"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

func TestChunksSplitsAReaderInOrder(t *testing.T) {
	for _, tc := range []struct{ records, n int }{{5, 2}, {4, 2}, {0, 3}, {3, 10}} {
		r, stop := importer.FromGenerator(func(yield func(lagesbild.Incident) error) error {
			for i := range tc.records {
				if err := yield(lagesbild.Incident{Line: i}); err != nil {
					return err
				}
			}
			return nil
		})
		next, more := importer.Chunks(r, tc.n)
		var sizes []int
		line := 0
		for more() {
			c, size := next(), 0
			for {
				inc, err := c.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil || inc.Line != line {
					t.Fatalf("%+v: record %d: got line %d, %v", tc, line, inc.Line, err)
				}
				line++
				size++
			}
			if size > tc.n {
				t.Fatalf("%+v: a chunk of %d", tc, size)
			}
			sizes = append(sizes, size)
			if len(sizes) > tc.records+2 {
				t.Fatalf("%+v: chunks never end: %v", tc, sizes)
			}
		}
		stop()
		if line != tc.records {
			t.Errorf("%+v: read %d records in chunks %v", tc, line, sizes)
		}
	}
}
