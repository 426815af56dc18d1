package postgis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	syncpkg "sync" // load.go declares a func sync

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/lagesbild/lagesbild/internal/analysis"
	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/hexgrid"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// The emerging tile layer draws what the emerging-<REGIONKOD> OGC collections list: for every
// police region in the caller's scope (a lokal scope holds none), the res-8 cells with a pattern
// of analysis.Service.RegionEmerging over the last 24 whole months, all groups together
// (sensitive groups are part of that total, as of every total, and never a layer of their own),
// published only for the cells row-level security lets the caller see. The analysis runs in Go,
// not in SQL, so a region's result is remembered per data version and scope: a map view's tiles
// share one computation, and an import (a new data version) starts afresh.

// EmergingSource computes a police region's emerging hot spots: analysis.Service, which the
// caller builds on this DB and passes to UseEmerging (this package reads; it does not construct
// the analysis).
type EmergingSource interface {
	RegionEmerging(ctx context.Context, region string, q analysis.EmergingQuery) (*analysis.Emerging, error)
}

type emergingSourceBox struct{ src EmergingSource }

// UseEmerging sets what computes the cells of the emerging tile layer (cmd/lagesbild passes the
// analysis.Service the API's emerging-<REGIONKOD> collections use, so both show the same cells).
// Until it is called the layer is empty.
func (db *DB) UseEmerging(src EmergingSource) {
	if src == nil {
		db.emergingSource.Store(nil)
		return
	}
	db.emergingSource.Store(&emergingSourceBox{src: src})
}

// emergingProps are the layer's properties (tiles.Layers' "emerging" fields).
var emergingProps = [][2]string{{"cell", "to_hex(e.cell)"}, {"kommun_code", "e.kommun_code"}, {"category", "e.category"},
	{"hot_months", "e.hot_months"}, {"cold_months", "e.cold_months"}, {"trend_z", "e.trend_z"}, {"trend_p", "e.trend_p"},
	{"final_z", "e.final_z"}, {"first_month", "e.first_month"}, {"last_month", "e.last_month"}}

// maxEmergingEntries bounds the remembered region results.
const maxEmergingEntries = 64

type emergingKey struct {
	version int64
	scope   string // auth.Identity.CacheKey
	region  string
}

type emergingEntry struct {
	ready chan struct{} // closed when res and err are set
	res   *analysis.Emerging
	err   error
}

// emergingMemo remembers region results; concurrent tiles wait for the first one's computation.
type emergingMemo struct {
	mu      syncpkg.Mutex
	entries map[emergingKey]*emergingEntry
	order   []emergingKey
}

func (m *emergingMemo) get(ctx context.Context, key emergingKey, compute func() (*analysis.Emerging, error)) (*analysis.Emerging, error) {
	m.mu.Lock()
	if e, ok := m.entries[key]; ok {
		m.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err == nil {
			return e.res, nil
		}
		return compute() // the computation waited for failed (its caller may have gone)
	}
	if m.entries == nil {
		m.entries = map[emergingKey]*emergingEntry{}
	}
	e := &emergingEntry{ready: make(chan struct{})}
	m.entries[key] = e
	kept := m.order[:0]
	for _, k := range m.order { // older data versions are never asked for again
		if k.version >= key.version {
			kept = append(kept, k)
		} else {
			delete(m.entries, k)
		}
	}
	m.order = append(kept, key)
	for len(m.order) > maxEmergingEntries {
		delete(m.entries, m.order[0])
		m.order = m.order[1:]
	}
	m.mu.Unlock()

	e.res, e.err = compute()
	if e.err != nil {
		m.mu.Lock()
		if m.entries[key] == e {
			delete(m.entries, key)
		}
		m.mu.Unlock()
	}
	close(e.ready)
	return e.res, e.err
}

// emergingRegions returns the results of every police region in the caller's scope.
func (db *DB) emergingRegions(ctx context.Context) ([]*analysis.Emerging, error) {
	box := db.emergingSource.Load()
	id, ok := auth.FromContext(ctx)
	if box == nil || !ok || (!id.Scope.All && len(id.Scope.Regions) == 0) {
		return nil, nil
	}
	var codes []string
	if err := db.retryRead(ctx, func() error {
		rows, err := db.pool.Query(ctx, `SELECT code FROM police_region ORDER BY code`)
		if err != nil {
			return translate(err)
		}
		codes, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return translate(err)
	}); err != nil {
		return nil, err
	}
	version, err := db.DataVersion(ctx)
	if err != nil {
		return nil, err
	}
	svc := box.src
	var out []*analysis.Emerging
	for _, code := range codes {
		if !id.Scope.AllowsRegion(code) {
			continue
		}
		res, err := db.emerging.get(ctx, emergingKey{version: version, scope: id.CacheKey(), region: code}, func() (*analysis.Emerging, error) {
			return svc.RegionEmerging(ctx, code, analysis.EmergingQuery{})
		})
		if errors.Is(err, lagesbild.ErrNotFound) {
			continue // a region without kommuner
		}
		if err != nil {
			return nil, fmt.Errorf("emerging hot spots of region %s: %w", code, err)
		}
		out = append(out, res)
	}
	return out, nil
}

// buildEmerging passes the cells of the caller's regions to tile_emerging.sql.
func buildEmerging(ctx context.Context, db *DB, l *tileLayer, z int, f tiles.Filters) (string, []any, error) {
	if z < l.meta.MinZoom || (f.MaxRes > 0 && f.MaxRes < analysis.EmergingRes) {
		// A caller limited to coarser cells (a gis token) sees no res-8 cell.
		return "", nil, nil
	}
	results, err := db.emergingRegions(ctx)
	if err != nil {
		return "", nil, err
	}
	var (
		cells                  []int64
		polys                  [][]byte
		kommuner, categories   []string
		hot, cold              []int
		trendZ, trendP, finalZ []float64
		first, last            string
	)
	for _, res := range results {
		if len(res.Months) > 0 {
			first, last = res.Months[0], res.Months[len(res.Months)-1]
		}
		for _, c := range res.Cells {
			id, err := strconv.ParseUint(c.Cell, 16, 64)
			if err != nil {
				continue
			}
			b, err := wkb.Marshal(orb.Polygon(hexgrid.Boundary(id)))
			if err != nil {
				return "", nil, fmt.Errorf("emerging cell %s: %w", c.Cell, err)
			}
			cells, polys = append(cells, int64(id)), append(polys, b)
			kommuner, categories = append(kommuner, c.Kommun), append(categories, string(c.Category))
			hot, cold = append(hot, c.HotMonths), append(cold, c.ColdMonths)
			trendZ, trendP, finalZ = append(trendZ, c.TrendZ), append(trendP, c.TrendP), append(finalZ, c.FinalZ)
		}
	}
	if len(cells) == 0 {
		return "", nil, nil
	}
	sql := strings.Replace(query("tile_emerging"), "/*PROPS*/", selectProps(l.props, f.Fields, false), 1)
	return sql, []any{cells, polys, kommuner, categories, hot, cold, trendZ, trendP, finalZ, first, last}, nil
}
