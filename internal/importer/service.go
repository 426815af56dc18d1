package importer

import (
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
func (s *Service) ImportIncidents(ctx context.Context, r io.Reader, file, format, source string, skipInvalid bool, progress func(records int)) (lagesbild.ImportReport, error) {
	o := Options{SkipInvalid: skipInvalid, Progress: progress}
	var rd ingest.IncidentReader
	switch format {
	case FormatPolisen:
		rd = ingest.NewPolisenReader(r, file, s.Gazetteer, s.Taxonomy)
	case FormatCSV:
		rd = ingest.NewCSVReader(r, file, source, s.Taxonomy)
	case FormatGeoJSON:
		rd = ingest.NewGeoJSONReader(r, file, source, s.Taxonomy)
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
func (s *Service) ImportPresence(ctx context.Context, r io.Reader, file, format, source string) (lagesbild.ImportReport, error) {
	rd := ingest.NewPresenceReader(r, file, source, format)
	var offices []lagesbild.Office
	var ops []lagesbild.Operation
	var errs []lagesbild.ImportError
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var ve *lagesbild.ValidationError
		if errors.As(err, &ve) {
			errs = append(errs, lagesbild.ImportError{File: file, Line: ve.Line, Field: ve.Field, Reason: ve.Reason})
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
	if len(errs) > 0 {
		rep := lagesbild.ImportReport{Read: len(offices) + len(ops) + len(errs), Rejected: len(errs), Errors: errs}
		return rep, fmt.Errorf("import %s: %d records rejected, nothing stored: %w", file, len(errs), lagesbild.ErrInvalid)
	}
	return s.Presence.ImportPresence(ctx, file, offices, ops)
}

// ImportPopulation reads residents per area (CSV: area_id, population, estimated, method, source).
func (s *Service) ImportPopulation(ctx context.Context, r io.Reader, file string) (lagesbild.ImportReport, error) {
	pops, errs, err := ingest.ReadAreaPopulation(r, file)
	if err != nil {
		return lagesbild.ImportReport{}, fmt.Errorf("import %s: %w", file, err)
	}
	if len(errs) > 0 {
		rep := lagesbild.ImportReport{Read: len(pops) + len(errs), Rejected: len(errs), Errors: errs}
		return rep, fmt.Errorf("import %s: %d records rejected, nothing stored: %w", file, len(errs), lagesbild.ErrInvalid)
	}
	return s.Population.ImportAreaPopulation(ctx, file, pops)
}
