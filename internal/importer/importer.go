// Package importer runs an import end to end: a streaming parser from internal/ingest, H3
// binning of exact points in parallel batches, and a store that writes one file per transaction.
// It holds no SQL and no parsing rules of its own, only the flow between them.
package importer

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"runtime"
	"sync"

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
	defer p.stop()
	rep, err := store.ImportIncidents(ctx, lagesbild.IncidentBatch{
		File:         file,
		Next:         p.next,
		SkipInvalid:  o.SkipInvalid,
		CellBoundary: hexgrid.Boundary,
		Rejects:      o.Rejects,
		UnknownTypes: o.Unknown,
		UseStored:    func(t lagesbild.StoredTest) { p.stored = t },
		Skipped:      func() int { return p.skipped },
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

// pipeline pulls records from the reader in batches and hands them out one by one, in three
// stages that overlap: one goroutine parses batch k+2 while another bins batch k+1 (exact
// points on every core) and the store copies batch k. Memory stays bounded by the batches in
// flight (and the first rejected records). Progress and UnknownTypes are used by the parsing
// goroutine only, Rejects by it and the binning goroutine under mu, and the store reads them
// after the last record (the channels order those reads after the writes).
//
// When the store hands over a StoredTest (before the first record), the binning goroutine
// fingerprints each batch, asks the store which records it holds unchanged and leaves those
// out before binning (an unchanged file is then parsed, fingerprinted and looked up, nothing
// more); it also rejects the records repeating a (source, source_id) earlier in the file, which
// the store cannot find once unchanged records no longer reach it.
type pipeline struct {
	r       Reader
	file    string
	o       Options
	workers int
	mu      sync.Mutex // Rejects
	stored  lagesbild.StoredTest
	skipped int     // unchanged records left out (binning goroutine, read after EOF)
	seen    seenSet // (source, source_id) digest → line of its first record
	seeds   [2]maphash.Seed
	started bool
	batches chan batch
	free    chan []lagesbild.Incident
	done    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
	cur     batch
	pos     int
	fatal   error
}

// batch is one batch of records, or the error that ended reading (nil at EOF with no records).
type batch struct {
	recs []lagesbild.Incident
	err  error
}

const inFlight = 2

func (p *pipeline) start() {
	p.started = true
	parsed := make(chan batch, inFlight)
	p.batches = make(chan batch, inFlight)
	p.free = make(chan []lagesbild.Incident, 2*inFlight+2)
	p.done = make(chan struct{})
	p.wg.Add(2)
	go func() { defer p.wg.Done(); p.parse(parsed) }()
	go func() { defer p.wg.Done(); p.binAll(parsed) }()
}

// stop releases the goroutines when the store ends before the last record (an error) and waits
// for them, so that nothing writes to the rejects once the import has returned.
func (p *pipeline) stop() {
	if !p.started {
		return
	}
	p.closeDone()
	p.wg.Wait()
}

func (p *pipeline) closeDone() {
	p.once.Do(func() { close(p.done) })
}

func (p *pipeline) next() (lagesbild.Incident, error) {
	if !p.started {
		p.start()
	}
	for p.pos >= len(p.cur.recs) {
		if p.cur.recs != nil {
			select {
			case p.free <- p.cur.recs[:0]:
			default:
			}
			p.cur.recs = nil
		}
		b, ok := <-p.batches
		if !ok {
			return lagesbild.Incident{}, io.EOF
		}
		if b.err != nil {
			p.fatal = b.err
			return lagesbild.Incident{}, b.err
		}
		p.cur, p.pos = b, 0
	}
	inc := p.cur.recs[p.pos]
	p.pos++
	return inc, nil
}

// parse reads batches of records until EOF or a fatal error.
func (p *pipeline) parse(out chan<- batch) {
	defer close(out)
	read := 0
	for {
		var buf []lagesbild.Incident
		select {
		case buf = <-p.free:
		default:
			buf = make([]lagesbild.Incident, 0, batchSize)
		}
		eof := false
		for len(buf) < batchSize {
			inc, err := p.r.Next()
			if errors.Is(err, io.EOF) {
				eof = true
				break
			}
			var ve *lagesbild.ValidationError
			if errors.As(err, &ve) {
				read++
				p.reject(lagesbild.ImportError{File: p.file, Line: ve.Line, Field: ve.Field, Reason: ve.Reason})
				continue
			}
			if err != nil {
				select {
				case out <- batch{err: err}:
				case <-p.done:
				}
				return
			}
			read++
			buf = append(buf, inc)
		}
		if p.o.Progress != nil {
			p.o.Progress(read)
		}
		if len(buf) > 0 {
			select {
			case out <- batch{recs: buf}:
			case <-p.done:
				return
			}
		}
		if eof {
			return
		}
	}
}

// binAll bins the exact points of each parsed batch and passes it on.
func (p *pipeline) binAll(in <-chan batch) {
	defer close(p.batches)
	var points []orb.Point
	var exact []int
	var cells, places []uint64
	var unchanged []bool
	for b := range in {
		if b.err == nil && p.stored != nil {
			b.recs, unchanged, b.err = p.leaveOut(b.recs, unchanged)
		}
		if b.err == nil {
			points, exact = points[:0], exact[:0]
			for i := range b.recs {
				if b.recs[i].Precision == lagesbild.PrecisionExact {
					exact = append(exact, i)
					points = append(points, b.recs[i].Point)
				}
			}
			cells, places = grow(cells, len(points)), grow(places, len(points))
			b.err = bin(b.recs, exact, points, cells, places, p.workers)
		}
		select {
		case p.batches <- b:
		case <-p.done:
			for range in { // let parse end
			}
			return
		}
		if b.err != nil {
			p.closeDone()
			for range in {
			}
			return
		}
	}
}

func (p *pipeline) reject(e lagesbild.ImportError) {
	p.mu.Lock()
	p.o.Rejects.Add(e)
	p.mu.Unlock()
}

// leaveOut fingerprints a batch, rejects its records that repeat an earlier (source,
// source_id) of the file (naming the first, as the store's own check does) and drops those and
// the records the store holds unchanged, in place.
func (p *pipeline) leaveOut(recs []lagesbild.Incident, unchanged []bool) ([]lagesbild.Incident, []bool, error) {
	if p.seen.slots == nil {
		p.seen.slots = make([]seenEntry, 1<<16)
		p.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
	}
	if cap(unchanged) < len(recs) {
		unchanged = make([]bool, len(recs))
	}
	unchanged = unchanged[:len(recs)]
	for k := range recs {
		recs[k].Digest = recs[k].Fingerprint()
	}
	if err := p.stored(recs, unchanged); err != nil {
		return recs, unchanged, fmt.Errorf("stored records: %w", err)
	}
	var h maphash.Hash
	key := func(inc *lagesbild.Incident, seed maphash.Seed) uint64 {
		h.SetSeed(seed)
		h.WriteString(inc.Source)
		h.WriteByte(0)
		h.WriteString(inc.SourceID)
		return h.Sum64()
	}
	kept := recs[:0]
	for k := range recs {
		inc := &recs[k]
		id := [2]uint64{key(inc, p.seeds[0]), key(inc, p.seeds[1])}
		if first, ok := p.seen.add(id, int32(inc.Line)); !ok {
			p.reject(lagesbild.ImportError{File: p.file, Line: inc.Line, Field: "source_id",
				Reason: fmt.Sprintf("%s repeats the record of line %d", inc.SourceID, first)})
			continue
		}
		if unchanged[k] {
			p.skipped++
			continue
		}
		kept = append(kept, *inc)
	}
	return kept, unchanged, nil
}

// seenSet records the (source, source_id) keys of a file with the line of each one's first
// record: open addressing with linear probing, at most 3/4 full, 24 B a slot. A million
// records fill a Go map in a quarter of a second (its growth rehashes them several times);
// this takes a third of that.
type seenSet struct {
	slots []seenEntry
	n     int
}

type seenEntry struct {
	key  [2]uint64 // zero: empty
	line int32
}

// add records key with line and returns true, or returns the line recorded with key first
// and false.
func (s *seenSet) add(key [2]uint64, line int32) (int32, bool) {
	if key == ([2]uint64{}) {
		key[1] = 1
	}
	if 4*(s.n+1) > 3*len(s.slots) {
		old := s.slots
		s.slots, s.n = make([]seenEntry, 2*len(old)), 0
		for _, e := range old {
			if e.key != ([2]uint64{}) {
				s.add(e.key, e.line)
			}
		}
	}
	mask := len(s.slots) - 1 // a power of two
	for i := int(key[0]) & mask; ; i = (i + 1) & mask {
		e := &s.slots[i]
		if e.key == key {
			return e.line, false
		}
		if e.key == ([2]uint64{}) {
			*e = seenEntry{key: key, line: line}
			s.n++
			return line, true
		}
	}
}

func grow(s []uint64, n int) []uint64 {
	if cap(s) < n {
		return make([]uint64, n)
	}
	return s[:n]
}

// bin computes the base-resolution cell of every exact point in parallel, then its parents.
func bin(recs []lagesbild.Incident, exact []int, points []orb.Point, cells, places []uint64, workers int) error {
	if len(points) == 0 {
		return nil
	}
	if err := hexgrid.Bin(points, hexgrid.BaseRes, cells, workers); err != nil {
		return err
	}
	if err := hexgrid.Bin(points, hexgrid.PlaceRes, places, workers); err != nil {
		return err
	}
	for k, idx := range exact {
		inc := &recs[idx]
		inc.Cells[4] = cells[k]
		inc.PlaceCell = places[k]
		for res := 5; res < hexgrid.BaseRes; res++ {
			parent, err := hexgrid.Parent(cells[k], res)
			if err != nil {
				return fmt.Errorf("line %d: %w", inc.Line, err)
			}
			inc.Cells[res-5] = parent
		}
	}
	return nil
}
