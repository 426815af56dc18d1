package ingest

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// testNow is the clock of every reader test: after all test data, so nothing is "future".
var testNow = func() time.Time { return time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC) }

// drained is everything a reader produced: the records, each rejected record's message, and
// the fatal error that ended it (nil after a clean io.EOF).
type drained[T any] struct {
	records []T
	errs    []string
	fatal   error
}

// drain reads until io.EOF or a fatal error, continuing after rejected records as an import
// in "continue" mode does. It fails the test if the reader does not end.
func drain[T any](t testing.TB, next func() (T, error)) drained[T] {
	t.Helper()
	var d drained[T]
	for i := 0; i < 10000; i++ {
		rec, err := next()
		var v *lagesbild.ValidationError
		switch {
		case err == nil:
			d.records = append(d.records, rec)
		case errors.Is(err, io.EOF):
			return d
		case errors.As(err, &v):
			d.errs = append(d.errs, err.Error())
		default:
			d.fatal = err
			if _, again := next(); again == nil || again.Error() != err.Error() {
				t.Errorf("fatal error is not sticky: first %v, then %v", err, again)
			}
			return d
		}
	}
	t.Fatal("reader did not end after 10000 calls")
	return d
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func errorsIsInvalid(err error) bool { return errors.Is(err, lagesbild.ErrInvalid) }
