package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
)

// table reads a delimited file with a header row, for the incident and presence CSV readers;
// NewCSVReader documents the dialect.
type table struct {
	file   string
	cr     *csv.Reader
	cols   map[string]int
	width  int
	rec    []string
	line   int   // line where the current record starts
	offset int64 // input offset after the current record, to prove progress
}

// newTable reads the header. Its errors are fatal.
func newTable(r io.Reader, file string) (*table, error) {
	br, err := input(r)
	if err != nil {
		return nil, ioError(file, err)
	}
	cr := csv.NewReader(br)
	cr.Comma = sniffDelimiter(br)
	cr.FieldsPerRecord = -1 // checked here, to reject the row and not the file
	cr.ReuseRecord = true
	t := &table{file: file, cr: cr, cols: map[string]int{}}
	head, err := cr.Read()
	if err != nil {
		var pe *csv.ParseError
		switch {
		case errors.Is(err, io.EOF):
			return nil, fatalf(file, 1, "", "empty input: a header row naming the columns is required")
		case errors.As(err, &pe):
			return nil, fatalf(file, pe.Line, "", "header: %v", pe.Err)
		default:
			return nil, ioError(file, err)
		}
	}
	for i, h := range head {
		name := strings.ToLower(strings.TrimSpace(h))
		if name == "" {
			continue // a trailing delimiter: an unnamed column is ignored
		}
		if _, dup := t.cols[name]; dup {
			return nil, fatalf(file, 1, name, "column appears twice in the header")
		}
		t.cols[name] = i
	}
	t.width = len(head)
	t.offset = cr.InputOffset()
	return t, nil
}

// sniffDelimiter picks the delimiter from the header line, peeked without consuming it.
func sniffDelimiter(br *bufio.Reader) rune {
	b, _ := br.Peek(br.Size())
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	var comma, semi, tab int
	quoted := false
	for _, c := range b {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == ',':
			comma++
		case c == ';':
			semi++
		case c == '\t':
			tab++
		}
	}
	switch {
	case semi > comma && semi >= tab:
		return ';'
	case tab > comma && tab > semi:
		return '\t'
	}
	return ','
}

// col returns the index of a column, or -1.
func (t *table) col(name string) int {
	if i, ok := t.cols[name]; ok {
		return i
	}
	return -1
}

// require checks that the header has the named columns.
func (t *table) require(names ...string) error {
	for _, n := range names {
		if t.col(n) < 0 {
			return fatalf(t.file, 1, n, "required column is missing from the header")
		}
	}
	return nil
}

// next reads the next non-blank record: io.EOF at the end, a *lagesbild.ValidationError for a
// row that cannot be split into fields (the reader continues after it), anything else fatal.
func (t *table) next() error {
	for {
		rec, err := t.cr.Read()
		off := t.cr.InputOffset()
		progressed := off > t.offset
		t.offset = off
		if err != nil {
			var pe *csv.ParseError
			switch {
			case errors.Is(err, io.EOF):
				return io.EOF
			case errors.As(err, &pe) && progressed:
				return invalidf(t.file, pe.Line, "", "CSV syntax: %v (byte %d of the line)", pe.Err, pe.Column)
			case errors.As(err, &pe):
				return fatalf(t.file, pe.Line, "", "CSV syntax: %v", pe.Err)
			default:
				return ioError(t.file, err)
			}
		}
		t.rec = rec
		t.line, _ = t.cr.FieldPos(0)
		if blank(rec) {
			continue
		}
		if len(rec) > t.width && !blank(rec[t.width:]) {
			return invalidf(t.file, t.line, "", "the row has %d fields, the header %d", len(rec), t.width)
		}
		return nil
	}
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// get returns field i of the current record, trimmed; "" for an absent column or a short row.
func (t *table) get(i int) string {
	if i < 0 || i >= len(t.rec) {
		return ""
	}
	return strings.TrimSpace(t.rec[i])
}

// lineOf returns the line of field i of the current record (a quoted field can span lines).
func (t *table) lineOf(i int) int {
	if i < 0 || i >= len(t.rec) {
		return t.line
	}
	l, _ := t.cr.FieldPos(i)
	return l
}

// invalid rejects the current record, blaming column name at index i.
func (t *table) invalid(i int, name, format string, args ...any) error {
	return invalidf(t.file, t.lineOf(i), name, format, args...)
}
