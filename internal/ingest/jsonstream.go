package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// input buffers r and drops a UTF-8 byte order mark, which Excel and some Windows tools put at
// the start of CSV and JSON files and which both encoding/json and a CSV header would choke on.
// An error other than a short read is returned so the reader can fail on its first call.
func input(r io.Reader) (*bufio.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	b, err := br.Peek(len(utf8BOM))
	if bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return br, err
	}
	return br, nil
}

// lineCounter counts the lines of what a json.Decoder reads, so that a record can be reported
// at the line where it starts. The decoder reads ahead, so it keeps the offsets of the newlines
// it has passed on but not yet been asked about; queries come in increasing offset order, which
// keeps that list as short as the decoder's buffer plus one record.
type lineCounter struct {
	r       io.Reader
	read    int64   // bytes passed on so far
	lines   int     // newlines before the last queried offset
	pending []int64 // offsets of newlines at or after the last queried offset
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\n')
		if j < 0 {
			break
		}
		c.pending = append(c.pending, c.read+int64(i+j))
		i += j + 1
	}
	c.read += int64(n)
	return n, err
}

// lineAt returns the 1-based line of byte offset off. Offsets must not decrease between calls.
func (c *lineCounter) lineAt(off int64) int {
	i := 0
	for i < len(c.pending) && c.pending[i] < off {
		i++
	}
	if i > 0 {
		c.lines += i
		c.pending = c.pending[:copy(c.pending, c.pending[i:])]
	}
	return c.lines + 1
}

// jsonInput is a token-streaming decoder over a line-counted input.
type jsonInput struct {
	dec  *json.Decoder
	lc   *lineCounter
	file string
}

func newJSONInput(r io.Reader, file string) (*jsonInput, error) {
	br, err := input(r)
	lc := &lineCounter{r: br}
	dec := json.NewDecoder(lc)
	dec.UseNumber() // ids stay exact; numbers are parsed where they are used
	return &jsonInput{dec: dec, lc: lc, file: file}, err
}

// value decodes the next value as raw bytes and returns it with the line it starts on. The raw
// message is the exact value text, so the decoder's offset after it minus its length is where
// it began, past any separating comma and white space.
func (in *jsonInput) value() (json.RawMessage, int, error) {
	var raw json.RawMessage
	if err := in.dec.Decode(&raw); err != nil {
		return nil, 0, in.fail(err)
	}
	return raw, in.lc.lineAt(in.dec.InputOffset() - int64(len(raw))), nil
}

// token reads the next token, turning errors into fatal ones.
func (in *jsonInput) token() (json.Token, error) {
	tok, err := in.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, in.fail(err)
	}
	return tok, nil
}

// end checks that nothing but white space follows the top-level value.
func (in *jsonInput) end() error {
	if _, err := in.dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return in.fail(err)
		}
		return fatalf(in.file, in.lc.lineAt(in.dec.InputOffset()), "", "unexpected data after the end of the JSON document")
	}
	return nil
}

// fail turns a decoder error into a fatal error: after a syntax error encoding/json cannot
// resynchronise, so nothing after it can be trusted.
func (in *jsonInput) fail(err error) error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return fatalf(in.file, in.lc.lineAt(syn.Offset), "", "invalid JSON: %s", syn.Error())
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return fatalf(in.file, in.lc.lineAt(in.lc.read), "", "invalid JSON: unexpected end of input")
	default:
		var fe *fatalError
		if errors.As(err, &fe) {
			return err
		}
		return ioError(in.file, err)
	}
}

// arrayStream yields the elements of a top-level JSON array (the Polisen feed).
type arrayStream struct {
	in      *jsonInput
	started bool
	done    bool
}

// next returns the next element and its start line, or io.EOF after the closing bracket.
func (s *arrayStream) next() (json.RawMessage, int, error) {
	if s.done {
		return nil, 0, io.EOF
	}
	if !s.started {
		tok, err := s.in.token()
		if errors.Is(err, io.EOF) {
			return nil, 0, fatalf(s.in.file, 1, "", "empty input: expected a JSON array of events")
		}
		if err != nil {
			return nil, 0, err
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return nil, 0, fatalf(s.in.file, 1, "", "expected a JSON array of events, found %s", tokenKind(tok))
		}
		s.started = true
	}
	if !s.in.dec.More() {
		if _, err := s.in.token(); err != nil { // the closing ]
			if errors.Is(err, io.EOF) {
				err = fatalf(s.in.file, s.in.lc.lineAt(s.in.lc.read), "", "invalid JSON: unexpected end of input")
			}
			return nil, 0, err
		}
		s.done = true
		if err := s.in.end(); err != nil {
			return nil, 0, err
		}
		return nil, 0, io.EOF
	}
	return s.in.value()
}

// featureStream yields the features of a GeoJSON FeatureCollection without holding more than
// one feature: the top-level object is walked token by token and only the elements of its
// "features" array are decoded.
type featureStream struct {
	in        *jsonInput
	state     int  // fsStart, fsMembers, fsFeatures or fsDone
	sweref    bool // crs says EPSG:3006: coordinates are SWEREF 99 TM metres
	sawFeats  bool
	sawFeatOK bool // a feature has been returned (a crs after that cannot be honoured)
}

const (
	fsStart = iota
	fsMembers
	fsFeatures
	fsDone
)

// next returns the next feature's raw JSON and start line, or io.EOF at the end.
func (s *featureStream) next() (json.RawMessage, int, error) {
	for {
		switch s.state {
		case fsDone:
			return nil, 0, io.EOF
		case fsStart:
			tok, err := s.in.token()
			if errors.Is(err, io.EOF) {
				return nil, 0, fatalf(s.in.file, 1, "", "empty input: expected a GeoJSON FeatureCollection")
			}
			if err != nil {
				return nil, 0, err
			}
			if d, ok := tok.(json.Delim); !ok || d != '{' {
				return nil, 0, fatalf(s.in.file, 1, "", "expected a GeoJSON FeatureCollection object, found %s", tokenKind(tok))
			}
			s.state = fsMembers
		case fsFeatures:
			if s.in.dec.More() {
				raw, line, err := s.in.value()
				if err == nil {
					s.sawFeatOK = true
				}
				return raw, line, err
			}
			if _, err := s.in.token(); err != nil { // the closing ]
				return nil, 0, s.eof(err)
			}
			s.state = fsMembers
		case fsMembers:
			tok, err := s.in.token()
			if err != nil {
				return nil, 0, s.eof(err)
			}
			if d, ok := tok.(json.Delim); ok && d == '}' {
				s.state = fsDone
				if err := s.in.end(); err != nil {
					return nil, 0, err
				}
				if !s.sawFeats {
					return nil, 0, fatalf(s.in.file, 1, "features", "the FeatureCollection has no features array")
				}
				return nil, 0, io.EOF
			}
			key, _ := tok.(string)
			if err := s.member(key); err != nil {
				return nil, 0, err
			}
		}
	}
}

// member handles one member of the collection object.
func (s *featureStream) member(key string) error {
	switch key {
	case "features":
		tok, err := s.in.token()
		if err != nil {
			return s.eof(err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			if tok == nil { // "features": null, as some writers emit for an empty layer
				s.sawFeats = true
				return nil
			}
			return fatalf(s.in.file, s.in.lc.lineAt(s.in.dec.InputOffset()), "features", "must be an array")
		}
		s.sawFeats = true
		s.state = fsFeatures
		return nil
	case "type":
		raw, line, err := s.in.value()
		if err != nil {
			return err
		}
		var typ string
		if json.Unmarshal(raw, &typ) != nil || typ != "FeatureCollection" {
			return fatalf(s.in.file, line, "type", "expected a GeoJSON FeatureCollection, found %s", clip(string(raw)))
		}
		return nil
	case "crs":
		raw, line, err := s.in.value()
		if err != nil {
			return err
		}
		return s.crs(raw, line)
	default: // name, bbox, metadata: not needed
		_, _, err := s.in.value()
		return err
	}
}

// crs honours the legacy GeoJSON 2008 crs member that ogr2ogr still writes: WGS84 (CRS84,
// EPSG:4326) and SWEREF 99 TM (EPSG:3006, which the bundled SCB files use) are understood,
// anything else is refused rather than misread as degrees.
func (s *featureStream) crs(raw json.RawMessage, line int) error {
	var c struct {
		Properties struct {
			Name string `json:"name"`
		} `json:"properties"`
	}
	if string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return fatalf(s.in.file, line, "crs", "not a named crs")
	}
	name := strings.ToUpper(c.Properties.Name)
	var sweref bool
	switch {
	case strings.HasSuffix(name, "CRS84") || strings.HasSuffix(name, ":4326") || name == "EPSG:4326":
	case strings.HasSuffix(name, ":3006") || name == "EPSG:3006":
		sweref = true
	default:
		return fatalf(s.in.file, line, "crs", "%q is not supported: use WGS84 (EPSG:4326/CRS84) or SWEREF 99 TM (EPSG:3006)", clip(c.Properties.Name))
	}
	if s.sawFeatOK && sweref != s.sweref {
		return fatalf(s.in.file, line, "crs", "the crs member must come before the features")
	}
	s.sweref = sweref
	return nil
}

// eof turns an end of input inside the collection into a fatal error.
func (s *featureStream) eof(err error) error {
	if errors.Is(err, io.EOF) {
		return fatalf(s.in.file, s.in.lc.lineAt(s.in.lc.read), "", "invalid JSON: unexpected end of input")
	}
	return err
}

// tokenKind names a JSON token for an error message.
func tokenKind(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return "'" + v.String() + "'"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a value"
}
