package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Imports runs imports; internal/importer implements it.
type Imports interface {
	ImportIncidents(ctx context.Context, r io.Reader, file, format, source string, skipInvalid bool, progress func(int), rejects *lagesbild.Rejects) (lagesbild.ImportReport, error)
	ImportPresence(ctx context.Context, r io.Reader, file, format, source string, rejects *lagesbild.Rejects) (lagesbild.ImportReport, error)
	ImportPopulation(ctx context.Context, r io.Reader, file string, rejects *lagesbild.Rejects) (lagesbild.ImportReport, error)
}

var (
	importName   = regexp.MustCompile(`^[\p{L}\p{N} ._-]{1,100}$`)
	importSource = regexp.MustCompile(`^[a-z0-9][a-z0-9._:-]{0,63}$`)
)

// handleImport takes one file as the request body:
// POST /api/v1/imports?kind=incidents&format=csv&source=NAME[&skip_invalid=true][&file=NAME].
// 200 with the report when it was stored, 422 with the report when records were rejected and
// nothing changed. A report lists the first lagesbild.MaxReportErrors rejected records and
// counts all; when it leaves some out, "rejects" links the full list as a CSV file (for an
// hour, for the same user). 400 names what is wrong with a file that cannot be read at all,
// 413 a file over Limits.MaxImportBytes, 408 an upload that stalls.
func (s *Server) handleImport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := checkParams(q, "kind", "format", "source", "skip_invalid", "file"); err != nil {
		return err
	}
	kind, format, source, file := q.Get("kind"), q.Get("format"), q.Get("source"), q.Get("file")
	if file == "" {
		file = "upload"
	}
	skip := false
	switch {
	case kind != "incidents" && kind != "presence" && kind != "population":
		return lagesbild.Invalid("kind", "%q is not incidents, presence or population", truncate(kind, 40))
	case kind == "incidents" && format != "polisen" && format != "csv" && format != "geojson":
		return lagesbild.Invalid("format", "%q is not polisen, csv or geojson", truncate(format, 40))
	case kind == "presence" && format != "" && format != "csv" && format != "geojson":
		return lagesbild.Invalid("format", "%q is not csv or geojson", truncate(format, 40))
	case !importName.MatchString(file):
		return lagesbild.Invalid("file", "use letters, digits, space, dot, dash or underscore (at most 100)")
	case source != "" && !importSource.MatchString(source):
		return lagesbild.Invalid("source", "use lower-case letters, digits and . _ : - (at most 64)")
	}
	if v := q.Get("skip_invalid"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return lagesbild.Invalid("skip_invalid", "%q is not true or false", truncate(v, 10))
		}
		skip = b
	}
	if source == "" {
		source = format
		if source == "" {
			source = kind
		}
	}
	maxBytes := s.Limits.maxImportBytes()
	if r.ContentLength > maxBytes {
		return importTooLarge(maxBytes)
	}
	in := bufio.NewReaderSize(http.MaxBytesReader(w, r.Body, maxBytes), 64<<10)
	if err := checkText(in); err != nil {
		return importReadError(err, maxBytes)
	}
	sp := &spool{}
	rejects := &lagesbild.Rejects{Spill: sp.add}
	var rep lagesbild.ImportReport
	var err error
	switch kind {
	case "incidents":
		rep, err = s.Imports.ImportIncidents(r.Context(), in, file, format, source, skip, nil, rejects)
	case "presence":
		rep, err = s.Imports.ImportPresence(r.Context(), in, file, format, source, rejects)
	default:
		rep, err = s.Imports.ImportPopulation(r.Context(), in, file, rejects)
	}
	if rep.Errors == nil {
		rep.Errors = []lagesbild.ImportError{}
	}
	var ve *lagesbild.ValidationError
	switch {
	case err != nil && (isTooLarge(err) || isTimeout(err)):
		sp.remove()
		return importReadError(err, maxBytes)
	case errors.Is(err, lagesbild.ErrInvalid) && rep.Rejected > 0:
		link := s.keepSpool(r, sp, rep, rejects.Err())
		var body apiError
		body.Error.Code, body.Error.Message = "rejected", fmt.Sprintf("%d records were rejected; nothing was stored", rep.Rejected)
		writeJSON(w, http.StatusUnprocessableEntity, "application/json", struct {
			apiError
			Report  lagesbild.ImportReport `json:"report"`
			Rejects *rejectLink            `json:"rejects,omitempty"`
		}{body, rep, link})
	case errors.As(err, &ve) && ve.File != "":
		// The file itself cannot be read (a broken header, invalid JSON): name where and why.
		sp.remove()
		return lagesbild.Invalid("body", "%s; nothing was stored", ve.Error())
	case err != nil:
		sp.remove()
		return err
	default:
		link := s.keepSpool(r, sp, rep, rejects.Err())
		writeJSON(w, http.StatusOK, "application/json", struct {
			Report  lagesbild.ImportReport `json:"report"`
			Rejects *rejectLink            `json:"rejects,omitempty"`
		}{rep, link})
	}
	return nil
}

func importTooLarge(maxBytes int64) error {
	return newError(errTooLarge, "the file is larger than %d MiB, the limit of an upload; import it with `lagesbild import`", maxBytes>>20)
}

func isTooLarge(err error) bool {
	var tooBig *http.MaxBytesError
	return errors.As(err, &tooBig)
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// importReadError explains a failure to read the upload itself.
func importReadError(err error, maxBytes int64) error {
	switch {
	case isTooLarge(err):
		return importTooLarge(maxBytes)
	case isTimeout(err):
		return newError(errTimeout, "the file stopped arriving (an upload must keep sending); nothing was stored")
	}
	return err
}

// checkText refuses an empty body and one that starts with binary data (a spreadsheet, an
// archive, a compressed file), which would otherwise fail deep in a parser with a header
// error that does not say what happened.
func checkText(in *bufio.Reader) error {
	head, err := in.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return err
	}
	if len(head) == 0 {
		return lagesbild.Invalid("body", "the request body is empty: send the file itself as the body (a CSV or JSON file)")
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return lagesbild.Invalid("body", "the body is binary data (a zero byte at byte %d), not a CSV or JSON text file; "+
			"send the file uncompressed, saved as UTF-8 text", i+1)
	}
	text := head
	if len(head) == 512 {
		// The peek may end inside a character.
		for k := 0; k < utf8.UTFMax-1 && len(text) > 0 && !utf8.Valid(text); k++ {
			text = text[:len(text)-1]
		}
	}
	if !utf8.Valid(text) {
		for i := 0; i < len(text); {
			r, n := utf8.DecodeRune(text[i:])
			if r == utf8.RuneError && n == 1 {
				return lagesbild.Invalid("body", "the body is not UTF-8 text (byte %d is 0x%02x); save the file as UTF-8 CSV or JSON, "+
					"not as a spreadsheet, archive or another character set", i+1, text[i])
			}
			i += n
		}
	}
	return nil
}

// maxSpoolRows caps the rows of one reject list (about 100 MB on disk): a file of a million
// bad rows is already well described by its first million.
const maxSpoolRows = 1_000_000

// spool writes the rejected records of one import to a temporary CSV file as they are found,
// so that memory holds only the first few whatever the file. The file is made only when a
// record beyond the report's first lagesbild.MaxReportErrors is rejected: until then the
// report lists them all.
type spool struct {
	pending []lagesbild.ImportError
	f       *os.File
	w       *csv.Writer
	rows    int
	omitted int
}

func (sp *spool) add(e lagesbild.ImportError) error {
	if sp.f == nil {
		if len(sp.pending) < lagesbild.MaxReportErrors {
			sp.pending = append(sp.pending, e)
			return nil
		}
		f, err := os.CreateTemp("", "lagesbild-rejects-*.csv")
		if err != nil {
			return err
		}
		sp.f, sp.w = f, csv.NewWriter(f)
		_ = sp.w.Write([]string{"file", "line", "field", "reason"})
		for _, p := range sp.pending {
			sp.write(p)
		}
		sp.pending = nil
	}
	sp.write(e)
	return nil
}

func (sp *spool) write(e lagesbild.ImportError) {
	if sp.rows >= maxSpoolRows {
		sp.omitted++
		return
	}
	sp.rows++
	_ = sp.w.Write([]string{cell(e.File), strconv.Itoa(e.Line), cell(e.Field), cell(e.Reason)})
}

// cell keeps a spreadsheet from taking a cell for a formula: reasons quote the file's values.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// finish flushes the file; it returns the first write error.
func (sp *spool) finish() error {
	if sp.omitted > 0 {
		_ = sp.w.Write([]string{"", "", "", fmt.Sprintf("%d more rejected records are not listed", sp.omitted)})
	}
	sp.w.Flush()
	err := sp.w.Error()
	if cerr := sp.f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (sp *spool) remove() {
	if sp.f != nil {
		_ = sp.f.Close()
		_ = os.Remove(sp.f.Name())
	}
}

// rejectLink points at the full list of an import's rejected records.
type rejectLink struct {
	URL       string    `json:"url"`
	Count     int       `json:"count"`
	ExpiresAt time.Time `json:"expires_at"`
}

// keepSpool keeps the spool file when the report leaves records out, and returns its link;
// otherwise (or when the file failed) it removes it.
func (s *Server) keepSpool(r *http.Request, sp *spool, rep lagesbild.ImportReport, spillErr error) *rejectLink {
	return s.keepSpoolAt(r, sp, rep, spillErr, "/api/v1/imports/rejects/")
}

// keepSpoolAt is keepSpool with the list's URL under route.
func (s *Server) keepSpoolAt(r *http.Request, sp *spool, rep lagesbild.ImportReport, spillErr error, route string) *rejectLink {
	if rep.ErrorsOmitted == 0 || sp.f == nil {
		sp.remove()
		return nil
	}
	if err := errors.Join(spillErr, sp.finish()); err != nil {
		// The import stands; only the full list of its rejected records is not kept.
		s.Logger.Warn("the full list of rejected records could not be written", "err", err)
		sp.remove()
		return nil
	}
	id, expires := s.rejects.add(sp.f.Name(), identity(r).Subject, time.Now())
	return &rejectLink{URL: s.baseURL(r) + route + id, Count: rep.Rejected, ExpiresAt: expires}
}

// handleRejectFile streams the full reject list of an import: GET /api/v1/imports/rejects/{id}.
// The file may be far larger than a response the audit middleware could hold back, so the
// route is not behind it: the handler writes the audit row itself before it sends anything.
func (s *Server) handleRejectFile(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query()); err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	path, ok := s.rejects.get(id, identity(r).Subject, time.Now())
	if !ok {
		if err := s.audit(r, http.StatusNotFound, "read"); err != nil {
			return fmt.Errorf("audit log: %v: %w", err, lagesbild.ErrUnavailable)
		}
		return notFound("no reject list %q: a list is kept for an hour, for the user who imported the file", truncate(id, 40))
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := s.audit(r, http.StatusOK, "read"); err != nil {
		return fmt.Errorf("audit log: %v: %w", err, lagesbild.ErrUnavailable)
	}
	// A list of a million rows may take a slow client longer than an ordinary response.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.Limits.importTimeout()))
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="rejects-`+id+`.csv"`)
	w.Header().Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", fi.ModTime(), f)
	return nil
}

const (
	rejectFileTTL  = time.Hour
	maxRejectFiles = 16
)

// rejectFiles are the kept reject lists: at most maxRejectFiles, each for rejectFileTTL.
type rejectFiles struct {
	mu    sync.Mutex
	files map[string]rejectFile
}

type rejectFile struct {
	path    string
	owner   string
	expires time.Time
}

func (rf *rejectFiles) add(path, owner string, now time.Time) (string, time.Time) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if rf.files == nil {
		rf.files = map[string]rejectFile{}
	}
	rf.sweep(now)
	if len(rf.files) >= maxRejectFiles {
		ids := make([]string, 0, len(rf.files))
		for k := range rf.files {
			ids = append(ids, k)
		}
		sort.Slice(ids, func(i, j int) bool { return rf.files[ids[i]].expires.Before(rf.files[ids[j]].expires) })
		for _, k := range ids[:len(ids)-maxRejectFiles+1] {
			_ = os.Remove(rf.files[k].path)
			delete(rf.files, k)
		}
	}
	f := rejectFile{path: path, owner: owner, expires: now.Add(rejectFileTTL)}
	rf.files[id] = f
	return id, f.expires
}

func (rf *rejectFiles) get(id, owner string, now time.Time) (string, bool) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	rf.sweep(now)
	f, ok := rf.files[id]
	if !ok || f.owner != owner {
		return "", false
	}
	return f.path, true
}

// sweep removes expired lists; rf.mu must be held.
func (rf *rejectFiles) sweep(now time.Time) {
	for k, f := range rf.files {
		if now.After(f.expires) {
			_ = os.Remove(f.path)
			delete(rf.files, k)
		}
	}
}

func (rf *rejectFiles) removeAll() {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	for k, f := range rf.files {
		_ = os.Remove(f.path)
		delete(rf.files, k)
	}
}
