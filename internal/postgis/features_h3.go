package postgis

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	syncpkg "sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/cql"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// The H3 aggregates as OGC API collections, one per resolution: h3-r6 (about 36 km² a cell),
// h3-r7 (about 5 km²) and h3-r8 (about 0.7 km², the hot-spot grid). Each item is a cell with the
// exact incidents in it over the stored period or over the days datetime gives, total and per
// category group, with the small-count rule of the tiles (scanH3). Their queryables are the cell
// id and the geometry only: a filter on a count could single out the counts that are hidden.

// h3CollectionPrefix names an H3 collection: h3-r<resolution>.
const h3CollectionPrefix = "h3-r"

// h3Resolutions are the resolutions offered as collections.
var h3Resolutions = []int{6, 7, 8}

// h3QueryableKey is the key of the H3 collections' queryables.
const h3QueryableKey = "h3"

func init() {
	for _, res := range h3Resolutions {
		id := h3CollectionPrefix + strconv.Itoa(res)
		if _, ok := fixedCollections[id]; ok {
			continue
		}
		f := fixedCollections[collH3]
		f.title = strings.Replace(f.title, "upplösning 7", fmt.Sprintf("upplösning %d", res), 1)
		f.description = strings.Replace(f.description, "(upplösning 7, cirka 5 km²)", fmt.Sprintf("(upplösning %d, cirka %s)", res, h3CellArea[res]), 1)
		fixedCollections[id] = f
	}
	queryableSets[h3QueryableKey] = []queryable{{"cell", cql.String, "to_hex(c0.cell)", "H3-cellens index (hexadecimalt)"}}
	geometryColumn[h3QueryableKey] = "hc.geom"
}

var h3CellArea = map[int]string{6: "36 km²", 7: "5 km²", 8: "0,7 km²"}

// h3Collection returns the resolution of an H3 collection id.
func h3Collection(id string) (int, bool) {
	s, ok := strings.CutPrefix(id, h3CollectionPrefix)
	if !ok || len(s) != 1 {
		return 0, false
	}
	res := int(s[0] - '0')
	for _, r := range h3Resolutions {
		if r == res {
			return res, true
		}
	}
	return 0, false
}

// h3Source reads the H3 collection of resolution res: features_h3.sql with the resolution ($11),
// the mask of the resolution 9 digits below it ($12; see the query) and what the store knows of
// synthetic incidents ($13, $14: syntheticHint).
func (db *DB) h3Source(ctx context.Context, res int) featureSource {
	mask := int64(1)<<(3*(9-res)) - 1
	mask <<= 18
	version, synthetic := db.syntheticHint(ctx)
	return featureSource{query: "features_h3", parseID: h3ID(res), h3: true, extra: func(q lagesbild.FeatureQuery) []any {
		from, to := timeArgs(q)
		return []any{from, to, lagesbild.SourceSyntheticDemo, res, mask, version, synthetic}
	}}
}

// syntheticMemo remembers, for one data version, what the database holds of synthetic
// incidents, read on the owner's pool (no row-level security): the same test made as the caller
// cost a caller of one lokalpolisområde 0.3–0.4 s a page at 1 M incidents, and every OGC page
// asks it.
type syntheticMemo struct {
	mu         syncpkg.Mutex
	read       time.Time
	version    int64
	held       string // none, all (every incident with a position is synthetic) or some
	ok         bool
	refreshing bool
}

// syntheticTTL bounds how often the memo is read again.
const syntheticTTL = time.Second

// syntheticHint returns the data version and what synthetic incidents the database held at it
// (none, all, some), or two nils when that is not known. The query uses the answer only while
// data_version still holds that version and asks as the caller otherwise, so an old answer is
// never wrong, only slower. Read without row-level security, it can only make the query look
// at a cell it would have skipped, never skip one: "all" holds for every caller too, and "some"
// leaves the test to each cell, under the caller's scope. One caller reads it again when it is
// older than syntheticTTL; the others go on with the answer they have meanwhile.
func (db *DB) syntheticHint(ctx context.Context) (version, held any) {
	m := &db.synthetic
	m.mu.Lock()
	fresh := m.ok && time.Since(m.read) <= syntheticTTL
	if fresh || m.refreshing {
		defer m.mu.Unlock()
		if !m.ok {
			return nil, nil
		}
		return m.version, m.held
	}
	m.refreshing = true
	m.mu.Unlock()
	// One statement, one snapshot: the version and the facts agree. The other sources are the
	// two index ranges of (source, source_id) around the synthetic one. Planned for the value
	// (an unnamed statement): a generic plan of "source < $1" read all of incident, 2–3 s
	// under make load.
	var v int64
	var h string
	err := db.pool.QueryRow(ctx, `SELECT version, CASE
		WHEN NOT EXISTS (SELECT 1 FROM incident WHERE source = $1) THEN 'none'
		WHEN EXISTS (SELECT 1 FROM incident WHERE source < $1 AND h3_9 IS NOT NULL)
		  OR EXISTS (SELECT 1 FROM incident WHERE source > $1 AND h3_9 IS NOT NULL) THEN 'some'
		ELSE 'all' END
		FROM data_version`, pgx.QueryExecModeDescribeExec, lagesbild.SourceSyntheticDemo).Scan(&v, &h)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refreshing = false
	if err != nil {
		m.ok = false
		return nil, nil
	}
	m.read, m.version, m.held, m.ok = time.Now(), v, h, true
	return v, h
}

// h3ID parses a cell of resolution res in the canonical H3 string form (lower-case hex).
func h3ID(res int) func(string) (any, bool) {
	return func(id string) (any, bool) {
		c, err := strconv.ParseUint(id, 16, 64)
		if err != nil || strconv.FormatUint(c, 16) != id || int(c>>52&0xf) != res || c >= 1<<63 {
			return nil, false
		}
		return int64(c), true
	}
}
