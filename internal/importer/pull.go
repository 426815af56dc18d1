package importer

import (
	"errors"
	"io"
	"iter"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

var errStopped = errors.New("importer: consumer stopped")

// FromGenerator turns a push-style generator (such as the demo data's) into a Reader. Call stop
// when done, also after an error, to release the generator.
func FromGenerator(gen func(yield func(lagesbild.Incident) error) error) (r Reader, stop func()) {
	seq := func(yield func(lagesbild.Incident, error) bool) {
		err := gen(func(inc lagesbild.Incident) error {
			if !yield(inc, nil) {
				return errStopped
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopped) {
			yield(lagesbild.Incident{}, err)
		}
	}
	next, stop := iter.Pull2(seq)
	return pulled(next), stop
}

type pulled func() (lagesbild.Incident, error, bool)

func (p pulled) Next() (lagesbild.Incident, error) {
	inc, err, ok := p()
	if !ok {
		return lagesbild.Incident{}, io.EOF
	}
	return inc, err
}

// Chunks splits r into readers of at most n records each, read one after another: each reports
// io.EOF after n records, and more reports whether r may hold records beyond the last chunk
// handed out (it is exhausted once a chunk ends before n records). A large generated import
// then runs as one transaction per chunk.
func Chunks(r Reader, n int) (next func() Reader, more func() bool) {
	done := false
	next = func() Reader { return &chunk{r: r, left: n, done: &done} }
	more = func() bool { return !done }
	return next, more
}

type chunk struct {
	r    Reader
	left int
	done *bool
}

func (c *chunk) Next() (lagesbild.Incident, error) {
	if c.left <= 0 {
		return lagesbild.Incident{}, io.EOF
	}
	inc, err := c.r.Next()
	if errors.Is(err, io.EOF) {
		*c.done = true
		return inc, err
	}
	c.left--
	return inc, err
}
