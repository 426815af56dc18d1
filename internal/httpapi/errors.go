package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// errorStatus is the one table from domain error kinds to HTTP status codes and public codes.
var errorStatus = []struct {
	kind   error
	status int
	code   string
}{
	{lagesbild.ErrInvalid, http.StatusBadRequest, "invalid"},
	{lagesbild.ErrNotFound, http.StatusNotFound, "not_found"},
	{lagesbild.ErrForbidden, http.StatusForbidden, "forbidden"},
	{lagesbild.ErrConflict, http.StatusConflict, "conflict"},
	{lagesbild.ErrUnavailable, http.StatusServiceUnavailable, "unavailable"},
	{auth.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated"},
	{auth.ErrRateLimited, http.StatusTooManyRequests, "rate_limited"},
	{errTooLarge, http.StatusRequestEntityTooLarge, "too_large"},
	{errTimeout, http.StatusRequestTimeout, "timeout"},
}

// Kinds of the transport's own errors, which have no domain kind.
var (
	errTooLarge = errors.New("request body too large")
	errTimeout  = errors.New("request body too slow")
)

// Bounds of what an error message echoes: a parameter name is cut at maxEchoParam characters and
// a message at maxEchoMessage bytes, so a 100 KB parameter name gives a short 400.
const (
	maxEchoParam   = 100
	maxEchoMessage = 800
)

// apiError is the body of every error response.
type apiError struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		Parameter string `json:"parameter,omitempty"`
		RequestID string `json:"request_id,omitempty"`
	} `json:"error"`
}

// Error is the one public error of the API: the HTTP status, a stable code, a message written
// for the client and the parameter it is about. Handlers return one (newError, notFound,
// forbidden) or a domain error, which publicError turns into one: a kind of errorStatus, a
// *lagesbild.ValidationError (message and parameter) or a *lagesbild.PublicError (message). Any
// other error is a 500 whose text never leaves the log.
type Error struct {
	Status    int
	Code      string
	Message   string
	Parameter string
	Err       error // the kind or cause: what errors.Is and the log see, never the client
}

func (e *Error) Error() string { return e.Message }

// Unwrap makes errors.Is(err, kind) true for an Error of that kind.
func (e *Error) Unwrap() error { return e.Err }

// newError is the public error of kind (one of errorStatus) with a message for the client.
func newError(kind error, format string, args ...any) *Error {
	status, code := statusOf(kind)
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...), Err: kind}
}

func notFound(format string, args ...any) error {
	return newError(lagesbild.ErrNotFound, format, args...)
}

// statusOf looks err's kind up in errorStatus; an unknown error is a 500.
func statusOf(err error) (int, string) {
	for _, e := range errorStatus {
		if errors.Is(err, e.kind) {
			return e.status, e.code
		}
	}
	return http.StatusInternalServerError, "internal"
}

// publicError is the one mapping from an error to what the client is told. Message is empty
// when err carries no words meant for the client.
func publicError(err error) Error {
	var e *Error
	if errors.As(err, &e) {
		out := *e
		out.Err = err
		return out
	}
	out := Error{Err: err}
	out.Status, out.Code = statusOf(err)
	var ve *lagesbild.ValidationError
	var pe *lagesbild.PublicError
	switch {
	case errors.As(err, &ve):
		v := *ve
		v.Field = truncateChars(v.Field, maxEchoParam)
		out.Message, out.Parameter = v.Error(), v.Field
	case errors.As(err, &pe):
		out.Message = pe.Message
	}
	return out
}

// handlerFunc is an endpoint that returns its error instead of writing it; handle adapts it.
type handlerFunc func(http.ResponseWriter, *http.Request) error

// handle adapts h to an http.HandlerFunc, and is the one place a handler's error is written.
// A handler returns an error only before it has written anything.
func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

// checkFunc is a middleware's check before the handler: the request to go on with (its context
// may carry more), or the error that stops it. It may set response headers, not write.
type checkFunc func(http.ResponseWriter, *http.Request) (*http.Request, error)

// guard makes middleware of a check: its error goes the one error path (handle), and the next
// handler runs only when it passes.
func (s *Server) guard(check checkFunc) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return s.handle(func(w http.ResponseWriter, r *http.Request) error {
			r, err := check(w, r)
			if err != nil {
				return err
			}
			next.ServeHTTP(w, r)
			return nil
		})
	}
}

// writeError writes the JSON error body of err (publicError). Messages of 4xx errors are meant
// for the client (validation errors name the parameter); 5xx bodies are generic and carry the
// request id, and the real error goes to the log only. Handlers return their errors to handle
// and middleware checks to guard; only handle calls writeError.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := publicError(err)
	var body apiError
	body.Error.Code = e.Code
	body.Error.RequestID = middleware.GetReqID(r.Context())
	switch {
	case e.Status >= 500:
		s.Logger.Error("request failed", "err", err, "path", r.URL.Path, "request_id", body.Error.RequestID)
		body.Error.Message = "internal error; quote the request id when reporting it"
		if e.Status == http.StatusServiceUnavailable {
			body.Error.Message = "service temporarily unavailable; try again later"
			w.Header().Set("Retry-After", "5")
		}
	case e.Message != "":
		body.Error.Message = truncate(e.Message, maxEchoMessage)
		body.Error.Parameter = truncateChars(e.Parameter, maxEchoParam)
	default:
		// A 4xx without a message of its own: the status in words is still better than
		// internal error text, which never reaches a client.
		s.Logger.Warn("client error without a public message", "err", err, "path", r.URL.Path, "request_id", body.Error.RequestID)
		body.Error.Message = http.StatusText(e.Status)
	}
	if e.Status == http.StatusRequestTimeout {
		w.Header().Set("Connection", "close")
	}
	writeJSON(w, e.Status, "application/json", body)
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client may have gone; nothing useful to do
}
