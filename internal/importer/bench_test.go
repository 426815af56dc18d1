package importer_test

import (
	"context"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/importer"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
)

// genReader yields n exact incidents clustered on a few Swedish cities, without parsing, so the
// benchmark measures binning and the store.
type genReader struct {
	n, i   int
	rng    *rand.Rand
	prefix string
}

var cities = []orb.Point{{18.0686, 59.3293}, {11.9746, 57.7089}, {13.1910, 55.7047}, {17.6389, 59.8586}, {15.6214, 58.4108}}

func (g *genReader) Next() (lagesbild.Incident, error) {
	if g.i >= g.n {
		return lagesbild.Incident{}, io.EOF
	}
	g.i++
	c := cities[g.i%len(cities)]
	p := orb.Point{c[0] + g.rng.NormFloat64()*0.02, c[1] + g.rng.NormFloat64()*0.01}
	grp := lagesbild.CategoryGroups[g.i%len(lagesbild.CategoryGroups)].Group
	return lagesbild.Incident{Source: "bench", SourceID: g.prefix + strconv.Itoa(g.i), OccurredAt: t0.AddDate(0, 0, -(g.i % 700)),
		Category: string(grp), Group: grp, Agency: "pm", Precision: lagesbild.PrecisionExact, Point: p, Line: g.i + 1}, nil
}

// BenchmarkImport measures the store path of an import (binning, COPY, upsert, area
// assignment, aggregates) per row; the CSV parser has its own benchmark in internal/ingest.
func BenchmarkImport(b *testing.B) {
	store, _ := pgtest.New(b)
	const rows = 100_000
	run := 0
	for b.Loop() {
		run++
		r := &genReader{n: rows, rng: rand.New(rand.NewPCG(1, uint64(run))), prefix: "r" + strconv.Itoa(run) + "-"}
		rep, err := importer.Incidents(context.Background(), store, r, "bench", importer.Options{}, pgtest.Logger(b))
		if err != nil || rep.Inserted != rows {
			b.Fatalf("%+v %v", rep, err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
