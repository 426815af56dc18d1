// Package importer runs an import end to end: a streaming parser from internal/ingest, H3
// binning of exact points in parallel batches, and a store that writes one file per transaction.
// It holds no SQL and no parsing rules of its own, only the flow between them.
package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/hexgrid"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Reader yields incidents one at a time: io.EOF at the end, a *lagesbild.ValidationError for a
// bad record (reading continues after it), any other error is fatal.
type Reader interface {
	Next() (lagesbild.Incident, error)
}

// Options control one import.
type Options struct {
	// SkipInvalid stores the valid records of a file that has bad ones; by default one bad record
	// rejects the whole file.
	SkipInvalid bool
	// Progress, when set, is called with the number of records read so far, every few thousand.
	Progress func(records int)
	// Unknown, when set, returns the categories the taxonomy did not know, with counts, once the
	// reader is exhausted.
	Unknown func() map[string]int
	// Rejects, when set, collects the rejected records (its Spill gets the full list); the
	// report lists only the first lagesbild.MaxReportErrors.
	Rejects *lagesbild.Rejects
}

const batchSize = 8192

// Incidents imports one file read by r into store.
func Incidents(ctx context.Context, store lagesbild.IncidentStore, r Reader, file string, o Options, logger *slog.Logger) (lagesbild.ImportReport, error) {
	if o.Rejects == nil {
		o.Rejects = &lagesbild.Rejects{}
	}
	p := &pipeline{r: r, file: file, o: o, workers: runtime.GOMAXPROCS(0)}
	rep, err := store.ImportIncidents(ctx, lagesbild.IncidentBatch{
		File:         file,
		Next:         p.next,
		SkipInvalid:  o.SkipInvalid,
		CellBoundary: hexgrid.Boundary,
		Rejects:      o.Rejects,
		UnknownTypes: o.Unknown,
	})
	if p.fatal != nil {
		return rep, fmt.Errorf("import %s: %w", file, p.fatal)
	}
	if err != nil {
		return rep, err
	}
	logger.Info("imported", "file", file, "read", rep.Read, "inserted", rep.Inserted, "updated", rep.Updated,
		"unchanged", rep.Unchanged, "rejected", rep.Rejected, "data_version", rep.DataVersion)
	return rep, nil
}

// pipeline pulls records from the reader in batches, bins the exact ones in parallel, and hands
// them out one by one. Memory stays bounded by one batch (and the first rejected records).
type pipeline struct {
	r       Reader
	file    string
	o       Options
	workers int
	buf     []lagesbild.Incident
	pos     int
	read    int
	fatal   error
	eof     bool
	points  []orb.Point
	cells   []uint64
	places  []uint64
	exact   []int
}

func (p *pipeline) next() (lagesbild.Incident, error) {
	for p.pos >= len(p.buf) {
		if p.eof {
			return lagesbild.Incident{}, io.EOF
		}
		if err := p.fill(); err != nil {
			p.fatal = err
			return lagesbild.Incident{}, err
		}
	}
	inc := p.buf[p.pos]
	p.pos++
	return inc, nil
}

func (p *pipeline) fill() error {
	p.buf, p.pos = p.buf[:0], 0
	p.points, p.exact = p.points[:0], p.exact[:0]
	for len(p.buf) < batchSize {
		inc, err := p.r.Next()
		if errors.Is(err, io.EOF) {
			p.eof = true
			break
		}
		var ve *lagesbild.ValidationError
		if errors.As(err, &ve) {
			p.read++
			p.o.Rejects.Add(lagesbild.ImportError{File: p.file, Line: ve.Line, Field: ve.Field, Reason: ve.Reason})
			continue
		}
		if err != nil {
			return err
		}
		p.read++
		if inc.Precision == lagesbild.PrecisionExact {
			p.exact = append(p.exact, len(p.buf))
			p.points = append(p.points, inc.Point)
		}
		p.buf = append(p.buf, inc)
	}
	if p.o.Progress != nil {
		p.o.Progress(p.read)
	}
	return p.bin()
}

// bin computes the base-resolution cell of every exact point in parallel, then its parents.
func (p *pipeline) bin() error {
	if len(p.points) == 0 {
		return nil
	}
	if cap(p.cells) < len(p.points) {
		p.cells = make([]uint64, len(p.points))
	}
	p.cells = p.cells[:len(p.points)]
	if err := hexgrid.Bin(p.points, hexgrid.BaseRes, p.cells, p.workers); err != nil {
		return err
	}
	if cap(p.places) < len(p.points) {
		p.places = make([]uint64, len(p.points))
	}
	p.places = p.places[:len(p.points)]
	if err := hexgrid.Bin(p.points, hexgrid.PlaceRes, p.places, p.workers); err != nil {
		return err
	}
	for k, idx := range p.exact {
		inc := &p.buf[idx]
		inc.Cells[4] = p.cells[k]
		inc.PlaceCell = p.places[k]
		for res := 5; res < hexgrid.BaseRes; res++ {
			parent, err := hexgrid.Parent(p.cells[k], res)
			if err != nil {
				return fmt.Errorf("line %d: %w", inc.Line, err)
			}
			inc.Cells[res-5] = parent
		}
	}
	return nil
}
