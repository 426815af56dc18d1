package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"math/bits"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

var stageColumns = []string{"line", "source", "source_id", "occurred_at", "published_at", "category", "category_group",
	"agency", "classification", "samverkan_id", "precision", "kommun_code", "lan_code", "lon", "lat",
	"h3_5", "h3_6", "h3_7", "h3_8", "h3_9", "place_cell", "location_name", "title", "summary", "url", "content_hash"}

// incidentRows adapts a batch to pgx.CopyFromSource, counting as it goes, so the file streams
// into COPY without being held in memory.
type incidentRows struct {
	next         func() (lagesbild.Incident, error)
	cur          lagesbild.Incident
	vals         []any
	err          error
	read         int
	perPrecision map[lagesbild.Precision]int
	cells        map[uint64]struct{} // distinct cells of the batch, all resolutions
}

func (s *incidentRows) Next() bool {
	inc, err := s.next()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			s.err = err
		}
		return false
	}
	s.cur = inc
	s.read++
	s.perPrecision[inc.Precision]++
	return true
}

func (s *incidentRows) Values() ([]any, error) {
	i := &s.cur
	var lon, lat, place any
	var cells [5]any
	if i.Precision == lagesbild.PrecisionExact {
		lon, lat = i.Point[0], i.Point[1]
		for k, c := range i.Cells {
			if c == 0 || c > math.MaxInt64 {
				return nil, fmt.Errorf("line %d: exact incident without a valid H3 cell", i.Line)
			}
			cells[k] = int64(c)
			s.cells[c] = struct{}{}
		}
		if i.PlaceCell == 0 || i.PlaceCell > math.MaxInt64 {
			return nil, fmt.Errorf("line %d: exact incident without a valid place cell", i.Line)
		}
		place = int64(i.PlaceCell)
		s.cells[i.PlaceCell] = struct{}{}
	}
	s.vals = append(s.vals[:0], i.Line, i.Source, i.SourceID, i.OccurredAt, i.PublishedAt, i.Category, string(i.Group),
		i.Agency, nullable(i.Classification), nullable(i.SamverkanID), string(i.Precision), nullable(i.KommunCode),
		nullable(i.LanCode), lon, lat, cells[0], cells[1], cells[2], cells[3], cells[4], place,
		nullable(i.LocationName), nullable(i.Title), nullable(i.Summary), nullable(i.URL), contentHash(i))
	return s.vals, nil
}

func (s *incidentRows) Err() error { return s.err }

// contentHash is the record's fingerprint as stored in incident.content_hash.
func contentHash(i *lagesbild.Incident) []byte {
	d := i.Digest
	if d == ([16]byte{}) {
		d = i.Fingerprint()
	}
	return d[:]
}

// storedTest is the lagesbild.StoredTest of an import. It looks a batch's records up by
// (source, source_id) through incident's unique key and compares their fingerprints, ≈ 12 µs a
// record; once the file has brought more records than a thirteenth of incident's rows, it
// reads the (source_id, content_hash) of the whole source once instead (≈ 1 µs a stored row)
// and answers from memory, so a file pays at most about twice what the cheaper way would have
// cost (a day's delta never loads a large source; a re-import of the whole source does, after
// the first batches). The set is a hash table of 32 B a slot (storedSet), capped at
// maxStoredSet records; it is read in block ranges on parallel connections (loadStored).
//
// It reads on connections of its own while the import's transaction is busy with COPY; they
// see what the transaction sees, because every writer of incident holds the import lock,
// which the transaction has taken, and the transaction writes incident only after COPY.
func (db *DB) storedTest(ctx context.Context) lagesbild.StoredTest {
	var ids []string
	var looked int
	var rows float64 = -1 // incident's estimated rows, read once
	var pages int64       // and its pages
	var set *storedSet    // nil until loaded
	var tried bool        // loading was tried once
	var setSource string
	keys := newStoredKeys()
	return func(recs []lagesbild.Incident, unchanged []bool) error {
		if len(recs) == 0 {
			return nil
		}
		if rows < 0 {
			if err := db.pool.QueryRow(ctx, `SELECT greatest(reltuples, 0), relpages FROM pg_class WHERE oid = 'incident'::regclass`).Scan(&rows, &pages); err != nil {
				return translate(err)
			}
		}
		looked += len(recs)
		if set == nil && !tried && float64(looked)*13 >= rows && rows <= maxStoredSet {
			tried = true
			start := time.Now()
			var err error
			parts := 1
			if pages >= 1024 {
				parts = min(runtime.GOMAXPROCS(0), 4)
			}
			set, err = db.loadStored(ctx, recs[0].Source, keys, int(rows), pages, parts)
			if err != nil {
				return err
			}
			setSource = recs[0].Source
			db.logger.Debug("import step", "step", "stored", "ms", time.Since(start).Milliseconds(), "after", looked, "records", set.len())
		}
		bySource := map[string][]int{}
		for k := range recs {
			unchanged[k] = false
			if set != nil && recs[k].Source == setSource {
				d, ok := set.find(keys.of(recs[k].Source, recs[k].SourceID))
				unchanged[k] = ok && d == recs[k].Digest
				continue
			}
			bySource[recs[k].Source] = append(bySource[recs[k].Source], k)
		}
		for source, ks := range bySource {
			ids = ids[:0]
			for _, k := range ks {
				ids = append(ids, recs[k].SourceID)
			}
			r, err := db.pool.Query(ctx, `SELECT source_id, content_hash FROM incident WHERE source = $1 AND source_id = ANY ($2)`, source, ids)
			if err != nil {
				return translate(err)
			}
			stored := make(map[string][16]byte, len(ks))
			for r.Next() {
				v := r.RawValues()
				var d [16]byte
				copy(d[:], v[1])
				stored[string(v[0])] = d
			}
			r.Close()
			if err := r.Err(); err != nil {
				return translate(err)
			}
			for _, k := range ks {
				d, ok := stored[recs[k].SourceID]
				unchanged[k] = ok && d == recs[k].Digest
			}
		}
		return nil
	}
}

// maxStoredSet caps the records of a source storedTest holds in memory: its table has 4/3 of
// a slot a record, 32 B each, so 128 MB.
const maxStoredSet = 3_000_000

// storedKeys digests (source, source_id) into two independent 64-bit hashes: the set keeps
// no ids, and two records share a key with a chance of 2⁻¹²⁸.
type storedKeys struct {
	seeds [2]maphash.Seed
}

func newStoredKeys() storedKeys {
	return storedKeys{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
}

func (s storedKeys) of(source, id string) [2]uint64 {
	var h maphash.Hash
	var k [2]uint64
	for n, seed := range s.seeds {
		h.SetSeed(seed)
		h.WriteString(source)
		h.WriteByte(0)
		h.WriteString(id)
		k[n] = h.Sum64()
	}
	if k == ([2]uint64{}) {
		k[1] = 1 // the zero key marks an empty slot
	}
	return k
}

// storedSet maps a record's key to its stored fingerprint: open addressing with linear
// probing, at most 3/4 full. A lookup touches one or two cache lines where a binary search of
// a sorted million touched twenty, and building it needs no sort.
type storedSet struct {
	slots []storedEntry
	n     int
}

type storedEntry struct {
	key    [2]uint64
	digest [16]byte
}

func newStoredSet(records int) *storedSet {
	return &storedSet{slots: make([]storedEntry, max(1024, records*4/3+1))}
}

func (s *storedSet) len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// home is the first slot to probe: the key's first half scaled to the table (its bits are
// uniform, so any table size works).
func (s *storedSet) home(k [2]uint64) int {
	hi, _ := bits.Mul64(k[0], uint64(len(s.slots)))
	return int(hi)
}

func (s *storedSet) add(k [2]uint64, d [16]byte) {
	if 4*(s.n+1) > 3*len(s.slots) {
		old := s.slots
		s.slots, s.n = make([]storedEntry, 2*len(old)), 0
		for _, e := range old {
			if e.key != ([2]uint64{}) {
				s.add(e.key, e.digest)
			}
		}
	}
	for i := s.home(k); ; i++ {
		if i == len(s.slots) {
			i = 0
		}
		e := &s.slots[i]
		if e.key == k {
			e.digest = d
			return
		}
		if e.key == ([2]uint64{}) {
			*e = storedEntry{key: k, digest: d}
			s.n++
			return
		}
	}
}

func (s *storedSet) find(k [2]uint64) ([16]byte, bool) {
	for i := s.home(k); ; i++ {
		if i == len(s.slots) {
			i = 0
		}
		e := &s.slots[i]
		if e.key == k {
			return e.digest, true
		}
		if e.key == ([2]uint64{}) {
			return [16]byte{}, false
		}
	}
}

// loadStored reads the (source_id, content_hash) of every stored record of source into a set.
// A large table is read in block ranges (TID range scans), one per core on a connection of its
// own (parts of them; pages is incident's estimated size), while one goroutine fills the table: the import's other stages wait for the set, so the
// server's scan and the client's decoding may take both cores. It returns nil and no error when
// the source holds more than maxStoredSet records (the estimate was stale).
func (db *DB) loadStored(ctx context.Context, source string, keys storedKeys, rows int, pages int64, parts int) (*storedSet, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type chunk []storedEntry
	chunks := make(chan chunk, 2*parts)
	free := make(chan chunk, 4*parts)
	errs := make([]error, parts)
	ended := make(chan struct{}, parts)
	for p := range parts {
		go func() {
			defer func() { ended <- struct{}{} }()
			// Part p reads blocks [from, to) of the estimate; the last is open-ended, so
			// pages added since the estimate are read too.
			from := pages * int64(p) / int64(parts)
			to := int64(math.MaxUint32)
			if p < parts-1 {
				to = pages * int64(p+1) / int64(parts)
			}
			r, err := db.pool.Query(ctx, `SELECT source_id, content_hash FROM incident
				WHERE source = $1 AND ctid >= $2::tid AND ctid < $3::tid`, source,
				pgtype.TID{BlockNumber: uint32(from), Valid: true}, pgtype.TID{BlockNumber: uint32(to), Valid: true})
			if err != nil {
				errs[p] = translate(err)
				return
			}
			defer r.Close()
			var c chunk
			for r.Next() {
				if c == nil {
					select {
					case c = <-free:
					default:
						c = make(chunk, 0, 4096)
					}
				}
				v := r.RawValues()
				e := storedEntry{key: keys.of(source, string(v[0]))}
				copy(e.digest[:], v[1])
				c = append(c, e)
				if len(c) == cap(c) {
					select {
					case chunks <- c:
					case <-ctx.Done():
						return
					}
					c = nil
				}
			}
			if len(c) > 0 {
				select {
				case chunks <- c:
				case <-ctx.Done():
					return
				}
			}
			errs[p] = translate(r.Err())
		}()
	}
	go func() {
		for range parts {
			<-ended
		}
		close(chunks)
	}()
	set := newStoredSet(min(rows, maxStoredSet))
	full := false
	for c := range chunks {
		if full {
			continue
		}
		for _, e := range c {
			set.add(e.key, e.digest)
		}
		if set.n > maxStoredSet {
			full = true
			cancel()
		}
		select {
		case free <- c[:0]:
		default:
		}
	}
	if full {
		return nil, nil
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return set, nil
}

// ImportIncidents stores one batch in one transaction: stage with COPY, find duplicates and
// records the database cannot place, then write new and changed records, their area rows and
// the aggregate deltas, log the import and bump the data version. Unchanged records are left
// alone. With rejections and !b.SkipInvalid the transaction is rolled back and the error wraps
// ErrInvalid; the report counts every rejected record and lists the first ones (b.Rejects
// receives them all).
func (db *DB) ImportIncidents(ctx context.Context, b lagesbild.IncidentBatch) (lagesbild.ImportReport, error) {
	release, err := db.importSlot()
	if err != nil {
		return lagesbild.ImportReport{}, err
	}
	defer release()
	rep := lagesbild.ImportReport{PerPrecision: map[lagesbild.Precision]int{}, UnknownTypes: map[string]int{}}
	src := &incidentRows{next: b.Next, perPrecision: rep.PerPrecision, cells: map[uint64]struct{}{}}
	errInvalid := errors.New("rejected records")
	rejects := b.Rejects
	if rejects == nil {
		rejects = &lagesbild.Rejects{}
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := beginImport(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, query("incident_stage")); err != nil {
			return translate(err)
		}
		// With a caller that leaves out the records stored unchanged and finds the repeats
		// within the file itself, nothing staged is unchanged or a repeat.
		filtered := b.UseStored != nil && b.Skipped != nil
		if filtered {
			b.UseStored(db.storedTest(ctx))
		}
		start := time.Now()
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stage_incident"}, stageColumns, src); err != nil {
			if src.err != nil {
				return src.err // the reader's own error, e.g. a fatal parse error
			}
			return fmt.Errorf("copy: %w", translate(err))
		}
		rep.Read = src.read
		db.logger.Debug("import step", "step", "copy", "ms", time.Since(start).Milliseconds(), "rows", src.read)
		rep.Read += rejects.Total() // the records rejected before the store
		if filtered {
			rep.Read += b.Skipped()
		}
		if b.UnknownTypes != nil {
			for t, n := range b.UnknownTypes() {
				rep.UnknownTypes[t] += n
			}
		}
		start = time.Now()
		if filtered {
			if _, err := tx.Exec(ctx, `CREATE TEMP TABLE stage_dup (line integer, source_id text, first integer) ON COMMIT DROP;
				CREATE TEMP TABLE stage_same (line integer) ON COMMIT DROP`); err != nil {
				return translate(err)
			}
		} else {
			if err := db.runSteps(ctx, tx, "incident_unchanged"); err != nil {
				return err
			}
			if err := dropUnchanged(ctx, tx, src.read); err != nil {
				return err
			}
		}
		db.logger.Debug("import step", "step", "unchanged", "ms", time.Since(start).Milliseconds())
		if err := collectRejects(ctx, tx, query("incident_duplicates"), b.File, rejects); err != nil {
			return err
		}
		start = time.Now()
		// The cells' polygons first: kommun and area assignment classify the batch's cells
		// (incident_resolve), and the aggregate step files the hot-spot deltas under the kommun
		// of each res-8 cell, which storeCells records for the new ones.
		newCells, err := db.storeCells(ctx, tx, src.cells, b.CellBoundary)
		if err != nil {
			return fmt.Errorf("cells: %w", err)
		}
		db.logger.Debug("import step", "step", "cells", "ms", time.Since(start).Milliseconds(), "new", newCells)
		if err := db.runSteps(ctx, tx, "incident_resolve"); err != nil {
			return err
		}
		if err := collectRejects(ctx, tx, query("incident_rejects"), b.File, rejects); err != nil {
			return err
		}
		rejects.Fill(&rep)
		if rep.Rejected > 0 {
			if !b.SkipInvalid {
				return errInvalid
			}
			if _, err := tx.Exec(ctx, query("incident_drop_rejects")); err != nil {
				return translate(err)
			}
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE existing_id IS NULL), count(*) FILTER (WHERE existing_id IS NOT NULL) FROM resolved`).
			Scan(&rep.Inserted, &rep.Updated); err != nil {
			return translate(err)
		}
		rep.Unchanged = rep.Read - rep.Inserted - rep.Updated - rep.Rejected
		var importID int64
		if err := tx.QueryRow(ctx, `INSERT INTO import_log (kind, file, report) VALUES ('incidents', $1, '{}') RETURNING id`, b.File).Scan(&importID); err != nil {
			return translate(err)
		}
		if rep.Inserted+rep.Updated > 0 {
			// Finding the stored versions of changed records costs joins against the big
			// tables; with nothing updated there are none.
			old := "incident_old_delta"
			if rep.Updated == 0 {
				old = "incident_no_old"
			}
			if err := db.runSteps(ctx, tx, old); err != nil {
				return err
			}
			if err := db.runSteps(ctx, tx, "incident_write", importID); err != nil {
				return err
			}
			if err := db.runSteps(ctx, tx, "incident_apply_delta"); err != nil {
				return err
			}
		}
		if err := bumpVersionIf(ctx, tx, rep.Inserted+rep.Updated > 0, &rep.DataVersion); err != nil {
			return err
		}
		report, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE import_log SET report = $2 WHERE id = $1`, importID, report)
		return translate(err)
	})
	if errors.Is(err, errInvalid) {
		rep.Inserted, rep.Updated, rep.Unchanged = 0, 0, 0
		return rep, fmt.Errorf("postgis: import %s: %d records rejected, nothing stored: %w", b.File, rep.Rejected, lagesbild.ErrInvalid)
	}
	if err != nil {
		return rep, fmt.Errorf("postgis: import %s: %w", b.File, err)
	}
	return rep, nil
}

// dropUnchanged takes the lines of stage_same (unchanged records) out of stage_incident: by
// deleting them when they are few, else by copying the others to a new staging table, which
// takes the old one's name (deleting most of a million rows costs more than copying none).
func dropUnchanged(ctx context.Context, tx pgx.Tx, staged int) error {
	var same int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM stage_same`).Scan(&same); err != nil {
		return translate(err)
	}
	var stmts []string
	switch {
	case same == 0:
		return nil
	case same == staged:
		// An unchanged file: nothing is left (stage_same holds each line once).
		stmts = []string{`TRUNCATE stage_incident`}
	case 2*same < staged:
		stmts = []string{`DELETE FROM stage_incident WHERE line IN (SELECT line FROM stage_same)`}
	default:
		stmts = []string{
			`CREATE TEMP TABLE stage_changed ON COMMIT DROP AS
			 SELECT * FROM stage_incident WHERE line NOT IN (SELECT line FROM stage_same)`,
			`DROP TABLE stage_incident`,
			`ALTER TABLE stage_changed RENAME TO stage_incident`,
		}
	}
	for _, q := range append(stmts, `ANALYZE stage_incident`) {
		if _, err := tx.Exec(ctx, q); err != nil {
			return translate(err)
		}
	}
	return nil
}

// runSteps runs the statements of one SQL file one by one, so that an error and a slow step can
// be told apart in the log. args go to every statement that takes them: a statement of the file
// uses all of them or none.
func (db *DB) runSteps(ctx context.Context, tx pgx.Tx, step string, args ...any) error {
	for k, stmt := range statements(withGroups(query(step))) {
		start := time.Now()
		var a []any
		if strings.Contains(stmt, "$1") {
			a = args
		}
		if _, err := tx.Exec(ctx, stmt, a...); err != nil {
			return fmt.Errorf("%s #%d: %w", step, k+1, translate(err))
		}
		db.logger.Debug("import step", "step", step, "statement", k+1, "ms", time.Since(start).Milliseconds())
	}
	return nil
}

// storeCells adds the polygons of the batch's cells that are not stored yet, and lists those
// cells in the temporary table new_cell: they hold no aggregate rows yet, so the aggregate step
// inserts their rows without looking for conflicts. It reports how many cells were new.
func (db *DB) storeCells(ctx context.Context, tx pgx.Tx, cells map[uint64]struct{}, boundary func(uint64) orb.Polygon) (int, error) {
	start := time.Now()
	lap := func(part string) {
		db.logger.Debug("import step", "step", "cells", "part", part, "ms", time.Since(start).Milliseconds())
		start = time.Now()
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE new_cell (cell bigint PRIMARY KEY) ON COMMIT DROP`); err != nil {
		return 0, translate(err)
	}
	if len(cells) == 0 {
		return 0, nil
	}
	if boundary == nil {
		return 0, errors.New("the batch has exact incidents but no cell boundary function")
	}
	ids := make([]int64, 0, len(cells))
	for c := range cells {
		ids = append(ids, int64(c))
	}
	rows, err := tx.Query(ctx, `SELECT c FROM unnest($1::bigint[]) c WHERE NOT EXISTS (SELECT 1 FROM h3_cell h WHERE h.cell = c)`, ids)
	if err != nil {
		return 0, translate(err)
	}
	missing, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, translate(err)
	}
	lap("missing")
	if len(missing) == 0 {
		return 0, nil
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE stage_cell (cell bigint, res smallint, geom bytea) ON COMMIT DROP`); err != nil {
		return 0, translate(err)
	}
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i >= len(missing) {
			return nil, nil
		}
		c := missing[i]
		i++
		poly := boundary(uint64(c))
		if len(poly) == 0 {
			return nil, fmt.Errorf("no boundary for cell %x", c)
		}
		g, err := wkb.Marshal(poly)
		if err != nil {
			return nil, err
		}
		return []any{c, int16((uint64(c) >> 52) & 0xF), g}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stage_cell"}, []string{"cell", "res", "geom"}, src); err != nil {
		return 0, translate(err)
	}
	lap("copy")
	// The new cells' scope columns drive row-level security on every H3 aggregate.
	// The two subqueries are the bodies of cell_region_at and cell_lpos (migration 00031), written
	// out: PostgreSQL does not inline SQL functions holding subqueries, and calling them costs
	// three times as much as the queries themselves (aggregatesConsistent compares every cell's
	// columns with the functions). Each projection and the centroid are computed once per cell
	// (the OFFSET 0 keep the planner from copying the expressions into every use), and the rows
	// go in key order into the B-tree indexes.
	_, err = tx.Exec(ctx, `INSERT INTO h3_cell (cell, res, geom, geom_3857, region_code, lpo_codes)
		SELECT cell, res, g3006, g3857,
		       coalesce((SELECT min(r.region_code) FROM police_region_part r WHERE ST_Intersects(r.geom, centre)),
		                (SELECT r.code FROM police_region r ORDER BY r.geom <-> centre, r.code LIMIT 1)),
		       coalesce((SELECT array_agg(DISTINCT a.lpo_code ORDER BY a.lpo_code)
		                 FROM area_part ap JOIN area a ON a.id = ap.area_id
		                 WHERE a.lpo_code IS NOT NULL AND ap.geom && g3006 AND ST_Intersects(ap.geom, g3006)), '{}')
		FROM (SELECT cell, res, g3006, g3857, ST_Centroid(g3006) AS centre
		      FROM (SELECT cell, res, ST_Transform(g, 3006) AS g3006, ST_Transform(g, 3857) AS g3857
		            FROM (SELECT cell, res, ST_SetSRID(ST_GeomFromWKB(geom), 4326) AS g FROM stage_cell) s
		            OFFSET 0) t
		      OFFSET 0) u
		ORDER BY cell
		ON CONFLICT (cell) DO NOTHING`)
	if err != nil {
		return 0, translate(err)
	}
	lap("insert")
	if _, err := tx.Exec(ctx, `INSERT INTO new_cell SELECT cell FROM stage_cell ON CONFLICT DO NOTHING; ANALYZE new_cell`); err != nil {
		return 0, translate(err)
	}
	lap("new_cell")
	// New res-8 cells join the hot-spot grid of the kommun holding their centre (and any counts
	// h3_agg already holds for them join hotspot_month).
	if _, err = tx.Exec(ctx, `SELECT refresh_cell_kommun($1)`, missing); err != nil {
		return 0, translate(err)
	}
	lap("kommun")
	return len(missing), nil
}

// statements splits a file of SQL statements separated by a semicolon at the end of a line.
func statements(sql string) []string {
	var out []string
	for _, part := range strings.Split(sql, ";\n") {
		if strings.TrimSpace(stripComments(part)) != "" {
			out = append(out, part)
		}
	}
	return out
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
			b.WriteString("\n")
		}
	}
	return b.String()
}

func collectRejects(ctx context.Context, tx pgx.Tx, sql, file string, rejects *lagesbild.Rejects) error {
	rows, err := tx.Query(ctx, sql)
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	// Row by row into the bounded list: a file of a million duplicates must not become a
	// million-element slice.
	for rows.Next() {
		e := lagesbild.ImportError{File: file}
		if err := rows.Scan(&e.Line, &e.Field, &e.Reason); err != nil {
			return translate(err)
		}
		rejects.Add(e)
	}
	return translate(rows.Err())
}

// DeleteIncidents removes the records of source with the given source ids in one transaction
// and takes their contributions out of every aggregate, by the same deltas an import applies
// to a changed record's stored version (incident_apply_delta with nothing new). It returns how
// many records were deleted; ids not stored are ignored.
func (db *DB) DeleteIncidents(ctx context.Context, source string, sourceIDs []string) (int, error) {
	release, err := db.importSlot()
	if err != nil {
		return 0, err
	}
	defer release()
	var n int
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := beginImport(ctx, tx); err != nil {
			return err
		}
		// The temporary tables of an import, with no staged record: resolved and new_cell stay
		// empty, old_rows and old_area hold the records to delete.
		if _, err := tx.Exec(ctx, query("incident_stage")); err != nil {
			return translate(err)
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE new_cell (cell bigint PRIMARY KEY) ON COMMIT DROP`); err != nil {
			return translate(err)
		}
		if err := db.runSteps(ctx, tx, "incident_resolve"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE old_rows ON COMMIT DROP AS
			SELECT * FROM incident WHERE source = $1 AND source_id = ANY ($2)`, source, sourceIDs); err != nil {
			return translate(err)
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE old_area ON COMMIT DROP AS
			SELECT ia.area_id, ia.incident_id FROM incident_area ia JOIN old_rows o ON ia.incident_id = o.id;
			ANALYZE old_rows, old_area`); err != nil {
			return translate(err)
		}
		if err := db.runSteps(ctx, tx, "incident_apply_delta"); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM incident i USING old_rows o WHERE i.id = o.id`)
		if err != nil {
			return translate(err)
		}
		n = int(tag.RowsAffected())
		var version int64
		return bumpVersionIf(ctx, tx, n > 0, &version)
	})
	if err != nil {
		return 0, fmt.Errorf("postgis: delete incidents of %s: %w", source, err)
	}
	return n, nil
}
