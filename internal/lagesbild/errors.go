package lagesbild

import (
	"errors"
	"fmt"
)

// Error kinds. Every layer wraps one of these with %w; internal/httpapi maps them to HTTP status
// codes in one table, and only internal/postgis translates database errors into them.
var (
	ErrNotFound    = errors.New("not found")
	ErrInvalid     = errors.New("invalid input")
	ErrForbidden   = errors.New("forbidden")
	ErrConflict    = errors.New("conflict")
	ErrUnavailable = errors.New("unavailable")
)

// ValidationError names exactly what is wrong with an input: the file (or request parameter
// source), the line or record, and the field. It unwraps to ErrInvalid.
type ValidationError struct {
	File   string // file name, "-" for stdin, or "" for request parameters
	Line   int    // 1-based line or record number; 0 when not applicable
	Field  string // field, column or parameter name
	Reason string // what is wrong, in plain words
}

// Error renders "file:line: field: reason", leaving out the parts that are empty.
func (e *ValidationError) Error() string {
	s := ""
	if e.File != "" {
		s = e.File
		if e.Line > 0 {
			s += fmt.Sprintf(":%d", e.Line)
		}
		s += ": "
	} else if e.Line > 0 {
		s = fmt.Sprintf("line %d: ", e.Line)
	}
	if e.Field != "" {
		s += e.Field + ": "
	}
	return s + e.Reason
}

// Unwrap makes errors.Is(err, ErrInvalid) true for every validation error.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Invalid is a short constructor for a parameter validation error.
func Invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// PublicError is an error of one kind whose message is written for the client and reaches it as
// written, however a lower layer wraps it (a tile too dense to draw, a layer that does not exist).
// Internal error text is never one. It unwraps to its kind.
type PublicError struct {
	Kind    error  // ErrNotFound, ErrInvalid, ...
	Message string // plain words for the client
}

func (e *PublicError) Error() string { return e.Message }

// Unwrap makes errors.Is(err, e.Kind) true.
func (e *PublicError) Unwrap() error { return e.Kind }

// Public is a short constructor for a PublicError of kind.
func Public(kind error, format string, args ...any) error {
	return &PublicError{Kind: kind, Message: fmt.Sprintf(format, args...)}
}
