package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/lagesbild/lagesbild/internal/ingest"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Formats of incident files.
const (
	FormatPolisen = "polisen"
	FormatCSV     = "csv"
	FormatGeoJSON = "geojson"
)

// PopulationStore stores residents per area.
type PopulationStore interface {
	ImportAreaPopulation(ctx context.Context, file string, pops []lagesbild.AreaPopulation) (lagesbild.ImportReport, error)
}

// Service imports files of every kind; the CLI and the HTTP API share it.
type Service struct {
	Incidents  lagesbild.IncidentStore
	Presence   lagesbild.PresenceStore
	Population PopulationStore
	Gazetteer  *ingest.Gazetteer
	Taxonomy   *ingest.Taxonomy
	Logger     *slog.Logger
}

// ImportIncidents reads one incident file of the given format. source names the system the
// records come from ((source, source_id) identifies a record); the Polisen feed is always
// "polisen".
//
// rejects, when not nil, collects the rejected records (its Spill receives the full list); the
// report lists the first lagesbild.MaxReportErrors. Errors in the file itself come back as a
// *lagesbild.ValidationError naming file, line and reason.
func (s *Service) ImportIncidents(ctx context.Context, r io.Reader, file, format, source string, skipInvalid bool, progress func(records int), rejects *lagesbild.Rejects) (lagesbild.ImportReport, error) {
	rep, err := s.importIncidents(ctx, r, file, format, source, skipInvalid, progress, rejects)
	return rep, public(file, err)
}

func (s *Service) importIncidents(ctx context.Context, r io.Reader, file, format, source string, skipInvalid bool, progress func(records int), rejects *lagesbild.Rejects) (lagesbild.ImportReport, error) {
	o := Options{SkipInvalid: skipInvalid, Progress: progress, Rejects: rejects}
	var rd ingest.IncidentReader
	switch format {
	case FormatPolisen:
		rd = ingest.NewPolisenReader(newJSONLimit(r, 1), file, s.Gazetteer, s.Taxonomy)
	case FormatCSV:
		rd = ingest.NewCSVReader(newLineLimit(r), file, source, s.Taxonomy)
	case FormatGeoJSON:
		rd = ingest.NewGeoJSONReader(newJSONLimit(r, 2), file, source, s.Taxonomy)
	default:
		return lagesbild.ImportReport{}, lagesbild.Invalid("format", "%q is not polisen, csv or geojson", format)
	}
	if source == "" && format != FormatPolisen {
		return lagesbild.ImportReport{}, lagesbild.Invalid("source", "name the system the records come from")
	}
	o.Unknown = rd.UnknownTypes
	return Incidents(ctx, s.Incidents, rd, file, o, s.Logger)
}

// ImportPresence reads one presence file (offices and operations) as CSV or GeoJSON ("" sniffs).
// Presence files are small registers, so the file is validated whole before the store sees it.
func (s *Service) ImportPresence(ctx context.Context, r io.Reader, file, format, source string, rejects *lagesbild.Rejects) (lagesbild.ImportReport, error) {
	rep, err := s.importPresence(ctx, r, file, format, source, rejects)
	return rep, public(file, err)
}

func (s *Service) importPresence(ctx context.Context, r io.Reader, file, format, source string, rejects *lagesbild.Rejects) (lagesbild.ImportReport, error) {
	if rejects == nil {
		rejects = &lagesbild.Rejects{}
	}
	r = newCapped(r, maxRegisterBytes, "a presence file")
	if format == FormatCSV {
		r = newLineLimit(r)
	}
	rd := ingest.NewPresenceReader(r, file, source, format)
	var offices []lagesbild.Office
	var ops []lagesbild.Operation
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var ve *lagesbild.ValidationError
		if errors.As(err, &ve) {
			rejects.Add(lagesbild.ImportError{File: file, Line: ve.Line, Field: ve.Field, Reason: ve.Reason})
			continue
		}
		if err != nil {
			return lagesbild.ImportReport{}, fmt.Errorf("import %s: %w", file, err)
		}
		if rec.Office != nil {
			offices = append(offices, *rec.Office)
		}
		if rec.Operation != nil {
			ops = append(ops, *rec.Operation)
		}
	}
	if rejects.Total() > 0 {
		rep := lagesbild.ImportReport{Read: len(offices) + len(ops) + rejects.Total()}
		rejects.Fill(&rep)
		return rep, fmt.Errorf("import %s: %d records rejected, nothing stored: %w", file, rep.Rejected, lagesbild.ErrInvalid)
	}
	return s.Presence.ImportPresence(ctx, file, offices, ops)
}

// ImportPopulation reads residents per area (CSV: area_id, population, estimated, method, source).
// The file is a register of a few hundred rows, read whole (its bad rows too), so it may be at
// most 1 MiB.
func (s *Service) ImportPopulation(ctx context.Context, r io.Reader, file string, rejects *lagesbild.Rejects) (lagesbild.ImportReport, error) {
	if rejects == nil {
		rejects = &lagesbild.Rejects{}
	}
	pops, errs, err := ingest.ReadAreaPopulation(newCapped(r, maxPopulationBytes, "a population file"), file)
	if err != nil {
		return lagesbild.ImportReport{}, public(file, fmt.Errorf("import %s: %w", file, err))
	}
	for _, e := range errs {
		rejects.Add(e)
	}
	if rejects.Total() > 0 {
		rep := lagesbild.ImportReport{Read: len(pops) + rejects.Total()}
		rejects.Fill(&rep)
		return rep, fmt.Errorf("import %s: %d records rejected, nothing stored: %w", file, rep.Rejected, lagesbild.ErrInvalid)
	}
	return s.Population.ImportAreaPopulation(ctx, file, pops)
}

// maxRegisterBytes caps a presence file, which is read whole: a register of offices and
// operations (with their polygons), not bulk data.
const maxRegisterBytes = 16 << 20

// maxPopulationBytes caps a population file: one short row per area, a few hundred of them.
const maxPopulationBytes = 1 << 20

// maxLineBytes caps one line of a CSV file: encoding/csv holds a whole line in memory, so a
// file of one endless line would otherwise cost its whole size several times over.
const maxLineBytes = 1 << 20

// limitError is the error of a file over one of the caps. It is not a record error: reading
// stops.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }
func (e *limitError) Unwrap() error { return lagesbild.ErrInvalid }

// capped fails once more than max bytes were read.
type capped struct {
	r    io.Reader
	max  int64
	left int64
	what string
	err  error
}

func newCapped(r io.Reader, max int64, what string) *capped {
	return &capped{r: r, max: max, left: max, what: what}
}

func (c *capped) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		c.err = &limitError{fmt.Sprintf("%s may be at most %s (it is read whole)", c.what, size(c.max))}
		return 0, c.err
	}
	return n, err
}

// lineLimit fails on the first line longer than maxLineBytes, naming it.
type lineLimit struct {
	r    io.Reader
	max  int64
	line int   // 1-based number of the current line
	run  int64 // bytes of the current line so far
	err  error
}

func newLineLimit(r io.Reader) *lineLimit { return &lineLimit{r: r, max: maxLineBytes, line: 1} }

func (l *lineLimit) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for b := p[:n]; ; {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l.run += int64(len(b))
			break
		}
		if l.run+int64(i) > l.max {
			l.run += int64(i)
			break
		}
		l.line++
		l.run = 0
		b = b[i+1:]
	}
	if l.run > l.max {
		l.err = &limitError{fmt.Sprintf("line %d is longer than %s; is this a CSV file with line breaks?", l.line, size(l.max))}
		return 0, l.err
	}
	return n, err
}

// jsonLimit fails on a JSON record or string longer than maxLineBytes: encoding/json holds a
// whole value in memory (and then its decoded form), so one endless feature would cost its
// size several times over. Records are the values that open at recordDepth (1: the elements
// of a top-level array, the Polisen events; 2: those of an array in a top-level object, the
// features of a FeatureCollection). It scans bytes only: syntax is the decoder's business.
type jsonLimit struct {
	r           io.Reader
	max         int64
	recordDepth int
	depth       int
	line        int
	inString    bool
	escape      bool
	off         int64 // bytes scanned
	recordStart int64 // offset where the current record opened; -1 outside one
	stringStart int64
	err         error
}

func newJSONLimit(r io.Reader, recordDepth int) *jsonLimit {
	return &jsonLimit{r: r, max: maxLineBytes, recordDepth: recordDepth, line: 1, recordStart: -1}
}

func (j *jsonLimit) Read(p []byte) (int, error) {
	if j.err != nil {
		return 0, j.err
	}
	n, err := j.r.Read(p)
	for _, c := range p[:n] {
		j.off++
		switch {
		case c == '\n':
			j.line++
		case j.inString:
			switch {
			case j.escape:
				j.escape = false
			case c == '\\':
				j.escape = true
			case c == '"':
				j.inString = false
			}
			if j.off-j.stringStart > j.max {
				j.err = &limitError{fmt.Sprintf("line %d: a JSON string longer than %s", j.line, size(j.max))}
			}
		case c == '"':
			j.inString, j.stringStart = true, j.off
		case c == '{' || c == '[':
			if j.depth == j.recordDepth {
				j.recordStart = j.off
			}
			j.depth++
		case c == '}' || c == ']':
			j.depth--
			if j.depth == j.recordDepth {
				j.recordStart = -1
			}
		}
		if j.err == nil && j.recordStart >= 0 && j.off-j.recordStart > j.max {
			j.err = &limitError{fmt.Sprintf("line %d: one record is larger than %s (an incident is a point and a few fields)", j.line, size(j.max))}
		}
		if j.err != nil {
			return 0, j.err
		}
	}
	return n, err
}

// size writes a limit in MiB, or in bytes when it is smaller.
func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// public turns errors in the file itself (a fatal parse error, a file over a cap) into a
// *lagesbild.ValidationError naming file, line and reason, so that callers can show the reason.
func public(file string, err error) error {
	if err == nil {
		return nil
	}
	if v, ok := ingest.FatalError(err); ok {
		return fmt.Errorf("import %s: %w", file, v)
	}
	var le *limitError
	if errors.As(err, &le) {
		return fmt.Errorf("import %s: %w", file, &lagesbild.ValidationError{File: file, Reason: le.msg})
	}
	return err
}
