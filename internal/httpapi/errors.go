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

// publicError is an error whose message is written for the client.
type publicError struct {
	kind error
	msg  string
}

func (e *publicError) Error() string { return e.msg }
func (e *publicError) Unwrap() error { return e.kind }

func notFound(format string, args ...any) error {
	return &publicError{kind: lagesbild.ErrNotFound, msg: fmt.Sprintf(format, args...)}
}

// writeError maps err to a status and writes the JSON error body. Messages of 4xx errors are
// meant for the client (validation errors name the parameter); 5xx bodies are generic and carry
// the request id, and the real error goes to the log only.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code := http.StatusInternalServerError, "internal"
	for _, e := range errorStatus {
		if errors.Is(err, e.kind) {
			status, code = e.status, e.code
			break
		}
	}
	var body apiError
	body.Error.Code = code
	body.Error.RequestID = middleware.GetReqID(r.Context())
	var ve *lagesbild.ValidationError
	var pe *publicError
	switch {
	case status >= 500:
		s.Logger.Error("request failed", "err", err, "path", r.URL.Path, "request_id", body.Error.RequestID)
		body.Error.Message = "internal error; quote the request id when reporting it"
		if status == http.StatusServiceUnavailable {
			body.Error.Message = "service temporarily unavailable; try again later"
			w.Header().Set("Retry-After", "5")
		}
	case errors.As(err, &ve):
		v := *ve
		v.Field = truncateChars(v.Field, maxEchoParam)
		body.Error.Message, body.Error.Parameter = truncate(v.Error(), maxEchoMessage), v.Field
	case errors.As(err, &pe):
		body.Error.Message = truncate(pe.msg, maxEchoMessage)
	default:
		// A 4xx without a message of its own: the status in words is still better than
		// internal error text, which never reaches a client.
		s.Logger.Warn("client error without a public message", "err", err, "path", r.URL.Path, "request_id", body.Error.RequestID)
		body.Error.Message = http.StatusText(status)
	}
	if status == http.StatusRequestTimeout {
		w.Header().Set("Connection", "close")
	}
	writeJSON(w, status, "application/json", body)
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client may have gone; nothing useful to do
}
