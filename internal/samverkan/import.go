package samverkan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/lagesbild/lagesbild/internal/ingest"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// MaxObservationsPerFile bounds one import (the records are held in memory to be checked as a
// whole before anything is stored).
const MaxObservationsPerFile = 500_000

// ImportOptions qualify one import of observations.
type ImportOptions struct {
	Source string // the agency system or feed; required
	Format string // csv, geojson or "" (sniffed)
	// OnlyAgency, when set, rejects every record of another agency (an agency's analyst adds
	// only its own agency's observations).
	OnlyAgency string
	Synthetic  bool
	// Spill, when set, receives every rejected record in order (the full list; the report
	// names the first lagesbild.MaxReportErrors). After its first error it is not called again.
	Spill func(lagesbild.ImportError) error
}

// Import reads one file of observations and stores it atomically: when any record is bad the
// report names each (file, line, field, reason) and nothing is stored (ErrInvalid).
func (s *Service) Import(ctx context.Context, r io.Reader, file string, o ImportOptions) (lagesbild.ImportReport, error) {
	rep := lagesbild.ImportReport{PerPrecision: map[lagesbild.Precision]int{}, UnknownTypes: map[string]int{}}
	source := strings.TrimSpace(o.Source)
	if source == "" {
		return rep, lagesbild.Invalid("source", "the import needs a source name (the agency system or feed)")
	}
	if _, reason := sourceName(source); reason != "" {
		return rep, lagesbild.Invalid("source", "%s", reason)
	}
	rejects := lagesbild.Rejects{Spill: o.Spill}
	var obs []lagesbild.Observation
	rd := ingest.NewObservationReader(r, file, o.Format)
	for {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		ob, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var ve *lagesbild.ValidationError
		if err != nil {
			if fe, fatal := ingest.FatalError(err); fatal {
				return rep, fe
			}
			if errors.As(err, &ve) {
				rejects.Add(lagesbild.ImportError{File: ve.File, Line: ve.Line, Field: ve.Field, Reason: ve.Reason})
				rep.Read++
				continue
			}
			return rep, err
		}
		rep.Read++
		if o.OnlyAgency != "" && ob.Agency != o.OnlyAgency {
			rejects.Add(lagesbild.ImportError{File: file, Line: ob.Line, Field: "agency",
				Reason: fmt.Sprintf("%s is not your agency (%s): an agency adds only its own observations", ob.Agency, o.OnlyAgency)})
			continue
		}
		if len(obs) >= MaxObservationsPerFile {
			return rep, lagesbild.Invalid("file", "more than %d observations in one file: split it", MaxObservationsPerFile)
		}
		ob.Synthetic = o.Synthetic
		obs = append(obs, ob)
	}
	if rejects.Total() > 0 {
		rejects.Fill(&rep)
		return rep, fmt.Errorf("samverkan: import %s: %d records rejected, nothing stored: %w", file, rep.Rejected, lagesbild.ErrInvalid)
	}
	if len(obs) == 0 {
		return rep, nil
	}
	return s.Store.ImportObservations(ctx, file, source, obs, o.Spill)
}

func sourceName(s string) (string, string) {
	if len(s) > 100 {
		return "", "is longer than 100 characters"
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", "contains a control character"
		}
	}
	return s, ""
}
