package httpapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Imports runs imports; internal/importer implements it.
type Imports interface {
	ImportIncidents(ctx context.Context, r io.Reader, file, format, source string, skipInvalid bool, progress func(int)) (lagesbild.ImportReport, error)
	ImportPresence(ctx context.Context, r io.Reader, file, format, source string) (lagesbild.ImportReport, error)
	ImportPopulation(ctx context.Context, r io.Reader, file string) (lagesbild.ImportReport, error)
}

// maxImportBytes bounds one upload; larger files go through the CLI.
const maxImportBytes = 1 << 30

var (
	importName   = regexp.MustCompile(`^[\p{L}\p{N} ._-]{1,100}$`)
	importSource = regexp.MustCompile(`^[a-z0-9][a-z0-9._:-]{0,63}$`)
)

// handleImport takes one file as the request body:
// POST /api/v1/imports?kind=incidents&format=csv&source=NAME[&skip_invalid=true][&file=NAME].
// 200 with the report when it was stored, 422 with the report (every rejected record) when it
// was rejected and nothing changed.
func (s *Server) handleImport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkParams(q, "kind", "format", "source", "skip_invalid", "file"); err != nil {
		s.writeError(w, r, err)
		return
	}
	kind, format, source, file := q.Get("kind"), q.Get("format"), q.Get("source"), q.Get("file")
	if file == "" {
		file = "upload"
	}
	skip := false
	switch {
	case kind != "incidents" && kind != "presence" && kind != "population":
		s.writeError(w, r, lagesbild.Invalid("kind", "%q is not incidents, presence or population", truncate(kind, 40)))
		return
	case kind == "incidents" && format != "polisen" && format != "csv" && format != "geojson":
		s.writeError(w, r, lagesbild.Invalid("format", "%q is not polisen, csv or geojson", truncate(format, 40)))
		return
	case kind == "presence" && format != "" && format != "csv" && format != "geojson":
		s.writeError(w, r, lagesbild.Invalid("format", "%q is not csv or geojson", truncate(format, 40)))
		return
	case !importName.MatchString(file):
		s.writeError(w, r, lagesbild.Invalid("file", "use letters, digits, space, dot, dash or underscore (at most 100)"))
		return
	case source != "" && !importSource.MatchString(source):
		s.writeError(w, r, lagesbild.Invalid("source", "use lower-case letters, digits and . _ : - (at most 64)"))
		return
	}
	if v := q.Get("skip_invalid"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.writeError(w, r, lagesbild.Invalid("skip_invalid", "%q is not true or false", truncate(v, 10)))
			return
		}
		skip = b
	}
	if source == "" {
		source = format
		if source == "" {
			source = kind
		}
	}
	body := http.MaxBytesReader(w, r.Body, maxImportBytes)
	var rep lagesbild.ImportReport
	var err error
	switch kind {
	case "incidents":
		rep, err = s.Imports.ImportIncidents(r.Context(), body, file, format, source, skip, nil)
	case "presence":
		rep, err = s.Imports.ImportPresence(r.Context(), body, file, format, source)
	default:
		rep, err = s.Imports.ImportPopulation(r.Context(), body, file)
	}
	if rep.Errors == nil {
		rep.Errors = []lagesbild.ImportError{}
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		s.writeError(w, r, lagesbild.Invalid("body", "larger than %d bytes; use lagesbild import", maxImportBytes))
	case errors.Is(err, lagesbild.ErrInvalid) && (rep.Rejected > 0 || len(rep.Errors) > 0):
		var body apiError
		body.Error.Code, body.Error.Message = "rejected", "records were rejected; nothing was stored"
		writeJSON(w, http.StatusUnprocessableEntity, "application/json", struct {
			apiError
			Report lagesbild.ImportReport `json:"report"`
		}{body, rep})
	case err != nil:
		s.writeError(w, r, err)
	default:
		writeJSON(w, http.StatusOK, "application/json", map[string]any{"report": rep})
	}
}
