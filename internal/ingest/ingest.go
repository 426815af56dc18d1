// Package ingest reads and validates the incident and presence feeds — the public Polisen events
// JSON, agency incident CSV and GeoJSON, and presence (offices and operations) as CSV or GeoJSON —
// into domain records. It streams: a reader holds one record at a time, never the whole input.
// It knows no database and no H3; binning points into cells happens downstream.
//
// Every reader has the same contract. Next returns one record per call and io.EOF at the end.
// A rejected record comes back as a *lagesbild.ValidationError (unwrapped, so a type assertion
// or errors.As finds it) naming the file, the 1-based line where the record starts or where the
// bad field is, and the field; the caller decides whether to abort or to log it and call Next
// again, and the reader then continues with the following record. Any other error is fatal (the
// JSON is broken beyond recovery, a CSV header lacks a required column, the underlying reader
// failed): it is sticky, so every later call returns it again. Fatal input problems still
// unwrap to lagesbild.ErrInvalid.
package ingest

import (
	"errors"
	"fmt"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// IncidentReader yields incidents one at a time; see the package documentation for the error
// contract.
type IncidentReader interface {
	// Next returns the next incident, io.EOF at the end, a *lagesbild.ValidationError for a
	// rejected record (call Next again to continue) or a fatal error.
	Next() (lagesbild.Incident, error)
	// UnknownTypes counts, by category as written (trimmed), the accepted records whose
	// category the taxonomy does not know; they were put in lagesbild.GroupOvrigt. It is the
	// ImportReport.UnknownTypes of what has been read so far, and the caller may keep the map.
	UnknownTypes() map[string]int
}

// PresenceRecord is one row or feature of a presence file: exactly one of Office and Operation
// is set.
type PresenceRecord struct {
	Office    *lagesbild.Office
	Operation *lagesbild.Operation
}

// PresenceReader yields presence records one at a time, with the same error contract as
// IncidentReader.
type PresenceReader interface {
	Next() (PresenceRecord, error)
}

// Option adjusts an incident reader.
type Option func(*config)

type config struct {
	now func() time.Time
}

// WithNow sets the clock that bounds incident times ("not more than a day in the future");
// tests pin it, production uses time.Now.
func WithNow(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

func newConfig(opts []Option) config {
	c := config{now: time.Now}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// fatalError is an input problem that ends the read (a broken header, JSON that cannot be
// resynchronised). It renders like a ValidationError so the message still names file, line and
// field, but it deliberately does not unwrap to one: errors.As(err, &*ValidationError) must
// mean "this record only, carry on".
type fatalError struct{ v lagesbild.ValidationError }

func (e *fatalError) Error() string { return e.v.Error() }

// Unwrap makes fatal input errors map to "invalid input" like record errors do.
func (e *fatalError) Unwrap() error { return lagesbild.ErrInvalid }

func fatalf(file string, line int, field, format string, args ...any) error {
	return &fatalError{lagesbild.ValidationError{File: file, Line: line, Field: field, Reason: fmt.Sprintf(format, args...)}}
}

func invalidf(file string, line int, field, format string, args ...any) *lagesbild.ValidationError {
	return &lagesbild.ValidationError{File: file, Line: line, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// ioError wraps a failure of the underlying reader, which is fatal and not the input's fault.
func ioError(file string, err error) error {
	return fmt.Errorf("ingest: %s: %w", file, err)
}

// isRecordError reports whether err rejects only the current record.
func isRecordError(err error) bool {
	var v *lagesbild.ValidationError
	return errors.As(err, &v)
}

// FatalError returns the file, line and reason of an error that ended reading a file (a
// broken header, invalid JSON, an empty input), and whether err is one; callers that show the
// reason to a user need it, the record loop must not mistake it for a record error.
func FatalError(err error) (*lagesbild.ValidationError, bool) {
	var fe *fatalError
	if !errors.As(err, &fe) {
		return nil, false
	}
	v := fe.v
	return &v, true
}
