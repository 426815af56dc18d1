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
