package demo

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// WriteIncidentsCSV writes the synthetic incidents in the agency incident CSV format that
// `lagesbild import incidents --format csv` reads, so the import path can be exercised (and
// benchmarked) on files of any size. limit > 0 stops after that many rows.
func WriteIncidentsCSV(w io.Writer, in Input, o Options, limit int) (int, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"source_id", "occurred_at", "category", "agency", "lat", "lon", "classification", "samverkan_id"}); err != nil {
		return 0, err
	}
	n := 0
	errLimit := fmt.Errorf("limit reached")
	err := Incidents(in, o, func(inc lagesbild.Incident) error {
		if limit > 0 && n >= limit {
			return errLimit
		}
		n++
		return cw.Write([]string{inc.SourceID, inc.OccurredAt.UTC().Format(time.RFC3339), inc.Category, inc.Agency,
			strconv.FormatFloat(inc.Point.Lat(), 'f', 6, 64), strconv.FormatFloat(inc.Point.Lon(), 'f', 6, 64),
			inc.Classification, inc.SamverkanID})
	})
	if err != nil && err != errLimit {
		return n, err
	}
	cw.Flush()
	return n, cw.Error()
}

// WriteAreaPopulationCSV writes the estimated residents per area in the format of
// `lagesbild import population`.
func WriteAreaPopulationCSV(w io.Writer, in Input) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"area_id", "population", "estimated", "method", "source"})
	for _, p := range AreaPopulation(in) {
		_ = cw.Write([]string{p.AreaID, strconv.Itoa(p.Population), strconv.FormatBool(p.Estimated), p.Method, p.Source})
	}
	cw.Flush()
	return cw.Error()
}
