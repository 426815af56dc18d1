package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// The adapter's contract: what a handler returns is what the client reads, and nothing else.
func TestHandleWritesReturnedErrors(t *testing.T) {
	s := &Server{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, c := range []struct {
		name                     string
		err                      error
		status                   int
		code, message, parameter string
		retryAfter               string
	}{
		{"public error", newError(lagesbild.ErrConflict, "profile %q exists", "a"), 409, "conflict", `profile "a" exists`, "", ""},
		{"wrapped public error", fmt.Errorf("store: %w", notFound("no area %s", "2025-SO1")), 404, "not_found", "no area 2025-SO1", "", ""},
		{"validation error names its parameter", fmt.Errorf("x: %w", lagesbild.Invalid("from", "not a date")), 400, "invalid", "from: not a date", "from", ""},
		{"lower layer's words as written", fmt.Errorf("postgis: %w", lagesbild.Public(lagesbild.ErrInvalid, "zoom in")), 400, "invalid", "zoom in", "", ""},
		{"a kind without words", fmt.Errorf("secret detail: %w", lagesbild.ErrForbidden), 403, "forbidden", "Forbidden", "", ""},
		{"unavailable", fmt.Errorf("pool: secret detail: %w", lagesbild.ErrUnavailable), 503, "unavailable", "service temporarily unavailable; try again later", "", "5"},
		{"unknown error leaks nothing", errors.New("pq: secret detail"), 500, "internal", "internal error; quote the request id when reporting it", "", ""},
		{"a 5xx public error is generic too", &Error{Status: 500, Code: "internal", Message: "secret detail"}, 500, "internal", "internal error; quote the request id when reporting it", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			s.handle(func(http.ResponseWriter, *http.Request) error { return c.err })(w, httptest.NewRequest("GET", "/x", nil))
			var body apiError
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			e := body.Error
			if w.Code != c.status || e.Code != c.code || e.Message != c.message || e.Parameter != c.parameter || w.Header().Get("Retry-After") != c.retryAfter {
				t.Errorf("got %d %s (Retry-After %q)", w.Code, w.Body, w.Header().Get("Retry-After"))
			}
		})
	}
	w := httptest.NewRecorder()
	s.handle(func(w http.ResponseWriter, _ *http.Request) error { w.WriteHeader(204); return nil })(w, httptest.NewRequest("GET", "/x", nil))
	if w.Code != 204 || w.Body.Len() != 0 {
		t.Errorf("nil error: %d %q, want the handler's own 204", w.Code, w.Body)
	}
}

// TestOneErrorPath checks that handle is the only caller of writeError: handlers return their
// errors to handle and middleware checks return theirs to guard (issue 13's one error path).
func TestOneErrorPath(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			ast.Inspect(fn, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "writeError" && fn.Name.Name != "handle" {
					t.Errorf("%s: %s calls writeError; return the error to handle (or guard) instead", fset.Position(call.Pos()), fn.Name.Name)
				}
				return true
			})
		}
	}
}
