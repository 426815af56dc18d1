package analysis_test

import (
	"context"
	"io"
	"log/slog"
	"math"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/lagesbild/lagesbild/geodata"
	"github.com/lagesbild/lagesbild/internal/analysis"
	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/hexgrid"
	"github.com/lagesbild/lagesbild/internal/ingest"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/refdata"
	"github.com/lagesbild/lagesbild/internal/risk"
)

// benchScale makes the demo about 1 M incidents over its two years (Scale 1 ≈ 400 000).
const benchScale = 2.5

// benchKommun is a kommun of the bundle with its polygon in WGS84.
type benchKommun struct {
	code, region string
	geom         orb.MultiPolygon
	bound        orb.Bound
}

// benchData is the demo at benchScale, placed in kommuner: the exact incidents of Stockholm
// kommun's stöld/inbrott in the last 12 months (SWEREF-like metres from a local projection),
// and the res-8 cell months of police region 5300 (Stockholm), for the two analyses' targets.
type benchData struct {
	knox      []risk.KnoxEvent
	cellMonth []analysis.CellMonth
	kommuner  []string
}

var (
	benchOnce sync.Once
	bench     benchData
	benchErr  error
)

func loadBench(b *testing.B) benchData {
	b.Helper()
	benchOnce.Do(func() { bench, benchErr = buildBench() })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return bench
}

func buildBench() (benchData, error) {
	bundle, err := refdata.Load(geodata.FS)
	if err != nil {
		return benchData{}, err
	}
	regionOf := map[string]string{}
	for _, l := range bundle.Lan {
		regionOf[l.Code] = l.RegionCode
	}
	var ks []benchKommun
	var d benchData
	for _, k := range bundle.Kommuner {
		if regionOf[k.LanCode] != "5300" {
			continue
		}
		var mp orb.MultiPolygon
		for _, p := range k.Geom {
			var poly orb.Polygon
			for _, ring := range p {
				var r orb.Ring
				for _, pt := range ring {
					r = append(r, ingest.SwerefToWGS84(pt[0], pt[1]))
				}
				poly = append(poly, r)
			}
			mp = append(mp, poly)
		}
		ks = append(ks, benchKommun{code: k.Code, region: "5300", geom: mp, bound: mp.Bound()})
		d.kommuner = append(d.kommuner, k.Code)
	}
	in := demo.FromRefdata(bundle, 2025)
	knoxFrom := demo.DefaultEnd.AddDate(-1, 0, 0)
	cells := map[analysis.CellMonth]int{}
	err = demo.Incidents(in, demo.Options{Seed: 1, Scale: benchScale}, func(inc lagesbild.Incident) error {
		if inc.Precision != lagesbild.PrecisionExact {
			return nil
		}
		pt := inc.Point
		k := ""
		for _, c := range ks {
			if c.bound.Contains(pt) && planar.MultiPolygonContains(c.geom, pt) {
				k = c.code
				break
			}
		}
		if k == "" {
			return nil
		}
		cell, err := hexgrid.Cell(pt.Lat(), pt.Lon(), 8)
		if err != nil {
			return err
		}
		m := time.Date(inc.OccurredAt.Year(), inc.OccurredAt.Month(), 1, 0, 0, 0, 0, time.UTC)
		cells[analysis.CellMonth{Kommun: k, Cell: cell, Month: m}]++
		if k == "0180" && inc.Group == lagesbild.GroupStoldInbrott && !inc.OccurredAt.Before(knoxFrom) {
			// A local equirectangular projection: metres within a few km are what the bands need.
			x := (pt.Lon() - 18.07) * 111_320 * math.Cos(59.33*math.Pi/180)
			y := (pt.Lat() - 59.33) * 110_570
			d.knox = append(d.knox, risk.KnoxEvent{X: x, Y: y, Day: int(inc.OccurredAt.Unix() / 86400)})
		}
		return nil
	})
	if err != nil {
		return benchData{}, err
	}
	for cm, n := range cells {
		cm.N = n
		d.cellMonth = append(d.cellMonth, cm)
	}
	return d, nil
}

// BenchmarkKnoxStockholmBurglaries runs the Knox test with the defaults (100 m × 5, 7 days × 4)
// and 999 permutations on Stockholm kommun's exact stöld/inbrott of the last 12 months of the
// demo at about 1 M incidents: the computation only, without reading the events.
func BenchmarkKnoxStockholmBurglaries(b *testing.B) {
	d := loadBench(b)
	p := analysis.DefaultKnox
	b.ReportAllocs()
	var k risk.Knox
	defer cpuMetric(b)()
	for b.Loop() {
		var err error
		if k, err = risk.KnoxTest(d.knox, p); err != nil {
			b.Fatal(err)
		}
	}
	close := 0
	for r := range k.Rows - 1 {
		for c := range k.Cols {
			close += k.Cell(r, c).Observed
		}
	}
	b.ReportMetric(float64(len(d.knox)), "events")
	b.ReportMetric(float64(close), "closepairs")
}

// memStore serves the cell months of the bench data to the analysis service.
type memStore struct {
	analysis.Store
	d benchData
}

func (m memStore) NewestIncidentDay(context.Context) (time.Time, bool, error) {
	return demo.DefaultEnd.AddDate(0, 0, -1), true, nil
}
func (m memStore) RegionKommuner(context.Context, string) ([]string, error) {
	return append([]string(nil), m.d.kommuner...), nil
}
func (m memStore) VisibleCells(_ context.Context, cells []uint64) (map[uint64]bool, error) {
	out := make(map[uint64]bool, len(cells))
	for _, c := range cells {
		out[c] = true
	}
	return out, nil
}

func (m memStore) KommunCellMonths(_ context.Context, _ []string, from, to time.Time, _ string) ([]analysis.CellMonth, error) {
	var out []analysis.CellMonth
	for _, c := range m.d.cellMonth {
		if !c.Month.Before(from) && c.Month.Before(to) {
			out = append(out, c)
		}
	}
	return out, nil
}

// BenchmarkRegionEmerging runs emerging hot spots over 24 months for every kommun of region
// 5300 (Stockholm) at about 1 M incidents, all groups: the grids, Gi* per month, Mann-Kendall and
// the categories, from cell months held in memory (the read is measured by
// BenchmarkRegionEmergingDB).
func BenchmarkRegionEmerging(b *testing.B) {
	d := loadBench(b)
	svc := analysis.New(memStore{d: d}, analysis.Options{})
	b.ReportAllocs()
	var e *analysis.Emerging
	defer cpuMetric(b)()
	for b.Loop() {
		var err error
		if e, err = svc.RegionEmerging(context.Background(), "5300", analysis.EmergingQuery{}); err != nil {
			b.Fatal(err)
		}
	}
	cells := 0
	for _, k := range e.Kommuner {
		cells += k.Cells
	}
	b.ReportMetric(float64(len(d.cellMonth)), "cellmonths")
	b.ReportMetric(float64(cells), "gridcells")
}

// BenchmarkRegionEmergingDB and BenchmarkKnoxDB are the same end to end against the database
// named by LAGESBILD_BENCH_DATABASE_URL, or LAGESBILD_BENCH_DB_NAME on the managed cluster (1 M
// incidents, see docs/benchmarks.md), as a national caller; the service has no cache, so every
// run is cold for it (PostgreSQL's buffers are warm after the first).
func BenchmarkRegionEmergingDB(b *testing.B) {
	svc, _, ctx := benchDB(b)
	for _, g := range []string{"", "ran"} {
		b.Run("group="+g, func(b *testing.B) {
			defer cpuMetric(b)()
			for b.Loop() {
				if _, err := svc.RegionEmerging(ctx, "5300", analysis.EmergingQuery{Group: g}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkKnoxDB(b *testing.B) {
	svc, db, ctx := benchDB(b)
	from, to := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	q := analysis.NearRepeatQuery{Query: analysis.Query{From: &from, To: &to, Group: "stold_inbrott"}, Params: analysis.DefaultKnox}
	b.Run("read", func(b *testing.B) {
		n := 0
		for b.Loop() {
			ev, err := db.Events(ctx, "", "0180", "stold_inbrott", analysis.Period{From: from, To: to})
			if err != nil {
				b.Fatal(err)
			}
			n = len(ev)
		}
		b.ReportMetric(float64(n), "events")
	})
	b.Run("test", func(b *testing.B) {
		defer cpuMetric(b)()
		for b.Loop() {
			if _, err := svc.KommunNearRepeat(ctx, "0180", q); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchDB(b *testing.B) (*analysis.Service, *postgis.DB, context.Context) {
	url := os.Getenv("LAGESBILD_BENCH_DATABASE_URL")
	if name := os.Getenv("LAGESBILD_BENCH_DB_NAME"); url == "" && name != "" {
		// A database of the project-managed cluster (lagesbild demo --scale 2.5 into it).
		var err error
		if url, err = postgis.SetDatabaseURL(pgtest.ServerURL(b), name); err != nil {
			b.Fatal(err)
		}
	}
	if url == "" {
		b.Skip("set LAGESBILD_BENCH_DATABASE_URL (or LAGESBILD_BENCH_DB_NAME) to a database loaded with 1 M incidents")
	}
	ctx := context.Background()
	db, err := postgis.Open(ctx, url, postgis.Options{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	id := auth.Identity{Subject: "bench", Role: auth.RoleNationell, Scope: auth.Scope{All: true}}
	return analysis.New(db, analysis.Options{}), db, auth.WithIdentity(ctx, id)
}

// cpuMetric reports the process's CPU seconds per iteration (user + system), which on the
// shared machine says more than the wall time: call it before the loop and defer the result.
func cpuMetric(b *testing.B) func() {
	before := cpuSeconds()
	return func() { b.ReportMetric((cpuSeconds()-before)/float64(b.N), "cpu-s/op") }
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
