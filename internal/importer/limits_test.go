package importer

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// readAll reads r whole, in reads of one byte when oneByte is set.
func readAll(r io.Reader, oneByte bool) ([]byte, error) {
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	return io.ReadAll(r)
}

// FuzzInputLimits: the line and JSON record limits pass their input through unchanged up to
// the point where they fail, fail only with a limitError, and give the same answer however the
// input is split into reads; the line limit fails exactly when a line is longer than its max.
func FuzzInputLimits(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "0123456789abcdefghij\n", `[{"a":"xxxxxxxxxxxxxxxxxxxxxxxx"}]`,
		`{"features":[{"type":"Feature","properties":{"s":"a\"b\\"}}]}`, "{\n[\n\"", ""} {
		f.Add([]byte(s), uint8(1))
	}
	f.Fuzz(func(t *testing.T, in []byte, depth uint8) {
		const max = 16
		type result struct {
			out []byte
			err error
		}
		limiters := map[string]func() io.Reader{
			"line": func() io.Reader { l := newLineLimit(bytes.NewReader(in)); l.max = max; return l },
			"json": func() io.Reader {
				j := newJSONLimit(bytes.NewReader(in), int(depth%4))
				j.max = max
				return j
			},
		}
		for name, mk := range limiters {
			var res [2]result
			for k, oneByte := range []bool{false, true} {
				out, err := readAll(mk(), oneByte)
				res[k] = result{out, err}
				var le *limitError
				if err != nil && !errors.As(err, &le) {
					t.Fatalf("%s: error %v is not a limit error", name, err)
				}
				if !bytes.HasPrefix(in, out) || (err == nil && !bytes.Equal(in, out)) {
					t.Fatalf("%s: passed %q of %q (err %v)", name, out, in, err)
				}
			}
			if (res[0].err == nil) != (res[1].err == nil) || (res[0].err != nil && res[0].err.Error() != res[1].err.Error()) {
				t.Fatalf("%s: whole reads give %v, one-byte reads %v", name, res[0].err, res[1].err)
			}
			if name == "line" {
				long := false
				for _, line := range bytes.Split(in, []byte("\n")) {
					long = long || len(line) > max
				}
				if long != (res[0].err != nil) {
					t.Fatalf("line: a line over %d bytes: %v, error %v", max, long, res[0].err)
				}
			}
		}
	})
}
