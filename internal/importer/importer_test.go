package importer_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/importer"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
)

// sliceReader replays records and validation errors, like a parser would.
type sliceReader struct {
	recs []any // lagesbild.Incident or error
	i    int
}

func (r *sliceReader) Next() (lagesbild.Incident, error) {
	if r.i >= len(r.recs) {
		return lagesbild.Incident{}, io.EOF
	}
	rec := r.recs[r.i]
	r.i++
	if err, ok := rec.(error); ok {
		return lagesbild.Incident{}, err
	}
	return rec.(lagesbild.Incident), nil
}

var t0 = time.Date(2025, 6, 1, 21, 30, 0, 0, time.UTC)

func exact(id string, lon, lat float64, group lagesbild.CategoryGroup, line int) lagesbild.Incident {
	return lagesbild.Incident{Source: "test", SourceID: id, OccurredAt: t0, Category: string(group), Group: group,
		Agency: "pm", Precision: lagesbild.PrecisionExact, Point: orb.Point{lon, lat}, Line: line}
}

func kommunEvent(id, kommun string, line int) lagesbild.Incident {
	return lagesbild.Incident{Source: "polisen", SourceID: id, OccurredAt: t0, Category: "Misshandel",
		Group: lagesbild.GroupMisshandelHot, Agency: "pm", Precision: lagesbild.PrecisionKommun, KommunCode: kommun,
		LocationName: "Stockholm", Point: orb.Point{}, Line: line}
}

// Tensta (2025-SO9) lies around 17.905 E 59.394 N; central Stockholm is outside every area.
func fixture() []any {
	return []any{
		exact("t1", 17.9050, 59.3945, lagesbild.GroupSkjutning, 2),
		exact("t2", 17.9060, 59.3940, lagesbild.GroupNarkotika, 3),
		exact("c1", 18.0686, 59.3293, lagesbild.GroupStoldInbrott, 4),
		kommunEvent("9001", "0180", 5),
		lagesbild.Incident{
			Source: "polisen", SourceID: "9002", OccurredAt: t0, Category: "Trafikolycka", Group: lagesbild.GroupOvrigt,
			Agency: "pm", Precision: lagesbild.PrecisionLan, LanCode: "01", LocationName: "Stockholms län", Line: 6,
		},
	}
}

func toAny(incs ...lagesbild.Incident) []any {
	out := make([]any, len(incs))
	for i, inc := range incs {
		out[i] = inc
	}
	return out
}

func run(t *testing.T, db *postgis.DB, recs []any, o importer.Options) (lagesbild.ImportReport, error) {
	t.Helper()
	return importer.Incidents(context.Background(), db, &sliceReader{recs: recs}, "test.csv", o, pgtest.Logger(t))
}

func scalar(t *testing.T, db *pgx.Conn, sql string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// aggregatesConsistent recomputes every aggregate from the incident table and compares. The H3
// aggregates h3_agg (per month, migration 00033) and h3_total keep resolutions 5–7, h3_cell_total
// 5–9 (migrations 00019, 00024); the admin series keep months only (admin_month_agg, migration
// 00035).
func aggregatesConsistent(t *testing.T, db *pgx.Conn) {
	t.Helper()
	diff := scalar(t, db, `WITH h AS (
		SELECT v.res::smallint AS res, v.cell, date_trunc('month', occurred_day::timestamp)::date AS month, category_group, agency, count(*)::int AS n
		FROM incident CROSS JOIN LATERAL (VALUES (5, h3_5), (6, h3_6), (7, h3_7)) v(res, cell)
		WHERE precision = 'exact' GROUP BY 1, 2, 3, 4, 5),
	a AS (
		SELECT l.level, l.code, date_trunc('month', occurred_day::timestamp)::date AS month, category_group, agency, precision, count(*)::int AS n
		FROM incident CROSS JOIN LATERAL (VALUES ('kommun', kommun_code), ('lan', lan_code), ('region', region_code)) l(level, code)
		WHERE l.code IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6)
	SELECT (SELECT count(*) FROM ((SELECT * FROM h EXCEPT SELECT res, cell, month, category_group, agency, n FROM h3_agg)
	        UNION ALL (SELECT res, cell, month, category_group, agency, n FROM h3_agg EXCEPT SELECT * FROM h)) x)
	     + (SELECT count(*) FROM ((SELECT * FROM a EXCEPT SELECT * FROM admin_month_agg) UNION ALL (SELECT * FROM admin_month_agg EXCEPT SELECT * FROM a)) y)`)
	if diff != 0 {
		t.Errorf("aggregates differ from a recount in %d rows", diff)
	}
	if d := scalar(t, db, `WITH t AS (SELECT res, cell, category_group, agency, sum(n)::int AS n FROM h3_agg GROUP BY 1, 2, 3, 4)
		SELECT count(*) FROM ((SELECT * FROM t EXCEPT SELECT res, cell, category_group, agency, n FROM h3_total)
		UNION ALL (SELECT res, cell, category_group, agency, n FROM h3_total EXCEPT SELECT * FROM t)) x`); d != 0 {
		t.Errorf("h3_total differs from h3_agg summed over months in %d rows", d)
	}
	if n := scalar(t, db, `SELECT count(*) FROM h3_agg WHERE res >= 8`) + scalar(t, db, `SELECT count(*) FROM h3_total WHERE res >= 8`); n != 0 {
		t.Errorf("%d resolution-8 or -9 rows in h3_agg or h3_total", n)
	}
	if d := scalar(t, db, `WITH t AS (SELECT res, cell, sum(n)::int AS total FROM h3_total GROUP BY 1, 2
		UNION ALL SELECT 8, h3_8, count(*)::int FROM incident WHERE precision = 'exact' GROUP BY 2
		UNION ALL SELECT 9, h3_9, count(*)::int FROM incident WHERE precision = 'exact' GROUP BY 2)
		SELECT count(*) FROM ((SELECT * FROM t EXCEPT SELECT res, cell, total FROM h3_cell_total)
		UNION ALL (SELECT res, cell, total FROM h3_cell_total EXCEPT SELECT * FROM t)) x`); d != 0 {
		t.Errorf("h3_cell_total differs from h3_total in %d rows", d)
	}
	if d := scalar(t, db, `SELECT count(*) FROM h3_cell_total WHERE total <> skjutning + sprangning + grovt_vald + misshandel_hot
		+ ran + narkotika + overgrepp_rattssak + brand_skadegorelse + stold_inbrott + bedrageri_valfard + ovrigt`); d != 0 {
		t.Errorf("%d cells whose groups do not add up to the total", d)
	}
	for _, table := range []string{"h3_agg", "h3_total", "h3_cell_total"} {
		if n := scalar(t, db, `SELECT count(*) FROM `+table+` a JOIN h3_cell c ON c.cell = a.cell
			WHERE a.region_code IS DISTINCT FROM c.region_code OR a.lpo_codes <> c.lpo_codes`); n != 0 {
			t.Errorf("%s: %d rows whose scope columns are not their cell's", table, n)
		}
	}
	// The import writes the bodies of cell_region_at and cell_lpos out (storeCells): the same rule.
	if n := scalar(t, db, `SELECT count(*) FROM h3_cell
		WHERE region_code IS DISTINCT FROM cell_region(geom) OR lpo_codes <> cell_lpos(geom)`); n != 0 {
		t.Errorf("%d cells whose scope columns differ from cell_region and cell_lpos", n)
	}
	if n := scalar(t, db, `SELECT count(*) FROM (SELECT DISTINCT cell, res FROM h3_agg) a
		WHERE NOT EXISTS (SELECT 1 FROM h3_cell c WHERE c.cell = a.cell AND c.res = a.res)`); n != 0 {
		t.Errorf("%d aggregated cells have no polygon", n)
	}
	if n := scalar(t, db, `SELECT count(*) FROM h3_cell c JOIN incident i ON i.h3_9 = c.cell WHERE NOT ST_Contains(ST_Buffer(c.geom, 1), i.geom)`); n != 0 {
		t.Errorf("%d incidents lie outside their res-9 cell polygon", n)
	}
	// The summary aggregates (migration 00012) equal a recount from incident_area and incident;
	// an incident's lpo_codes are the lokalpolisområden of every area it lies in.
	if d := scalar(t, db, `WITH l AS (
		SELECT ia.incident_id, coalesce(array_agg(DISTINCT a.lpo_code ORDER BY a.lpo_code) FILTER (WHERE a.lpo_code IS NOT NULL), '{}') AS lpo_codes
		FROM incident_area ia JOIN area a ON a.id = ia.area_id GROUP BY 1),
	d AS (
		SELECT ia.area_id, i.occurred_day AS day, i.category_group, i.source, i.agency, i.region_code, l.lpo_codes, count(*)::int AS n
		FROM incident_area ia JOIN incident i ON i.id = ia.incident_id JOIN l ON l.incident_id = ia.incident_id
		GROUP BY 1, 2, 3, 4, 5, 6, 7),
	m AS (
		SELECT area_id, date_trunc('month', day::timestamp)::date AS month, category_group, source, agency, region_code, lpo_codes, sum(n)::int AS n
		FROM d GROUP BY 1, 2, 3, 4, 5, 6, 7)
	SELECT (SELECT count(*) FROM ((SELECT * FROM d EXCEPT SELECT * FROM area_agg) UNION ALL (SELECT * FROM area_agg EXCEPT SELECT * FROM d)) x)
	     + (SELECT count(*) FROM ((SELECT * FROM m EXCEPT SELECT * FROM area_month_agg) UNION ALL (SELECT * FROM area_month_agg EXCEPT SELECT * FROM m)) y)`); d != 0 {
		t.Errorf("area_agg and area_month_agg differ from a recount in %d rows", d)
	}
	if d := scalar(t, db, `WITH k AS (
		SELECT DISTINCT h.cell, kp.kommun_code FROM h3_cell h JOIN kommun_part kp ON ST_Intersects(kp.geom, ST_Centroid(h.geom)) WHERE h.res = 8),
	m AS (
		SELECT k.kommun_code, date_trunc('month', i.occurred_day::timestamp)::date AS month, i.h3_8, count(*)::int AS n
		FROM incident i JOIN k ON k.cell = i.h3_8 WHERE i.precision = 'exact' GROUP BY 1, 2, 3)
	SELECT (SELECT count(*) FROM ((SELECT * FROM k EXCEPT SELECT * FROM h3_cell_kommun) UNION ALL (SELECT * FROM h3_cell_kommun EXCEPT SELECT * FROM k)) x)
	     + (SELECT count(*) FROM ((SELECT * FROM m EXCEPT SELECT * FROM hotspot_month) UNION ALL (SELECT * FROM hotspot_month EXCEPT SELECT * FROM m)) y)`); d != 0 {
		t.Errorf("h3_cell_kommun and hotspot_month differ from a recount in %d rows", d)
	}
	if n := scalar(t, db, `SELECT (SELECT count(*) FROM area_agg) + (SELECT count(*) FROM hotspot_month) + (SELECT count(*) FROM h3_cell_kommun)`); n == 0 {
		t.Errorf("the summary aggregates are empty")
	}
	// Area assignment equals ST_Contains exactly.
	if d := scalar(t, db, `SELECT count(*) FROM (
		(SELECT a.id, i.id FROM incident i JOIN area a ON ST_Contains(a.geom, i.geom) EXCEPT SELECT area_id, incident_id FROM incident_area)
		UNION ALL
		(SELECT area_id, incident_id FROM incident_area EXCEPT SELECT a.id, i.id FROM incident i JOIN area a ON ST_Contains(a.geom, i.geom))) x`); d != 0 {
		t.Errorf("incident_area differs from ST_Contains in %d rows", d)
	}
	// Kommun assignment (by cell where a cell decides, migration 00014) equals the point-by-point
	// rule: the lowest kommun code whose polygon meets the point, else the nearest within 10 km.
	if d := scalar(t, db, `SELECT count(*) FROM incident i WHERE i.precision = 'exact' AND i.kommun_code IS DISTINCT FROM coalesce(
		(SELECT min(k.code) FROM kommun k WHERE ST_Intersects(k.geom, i.geom)),
		(SELECT kp.kommun_code FROM kommun_part kp WHERE ST_DWithin(kp.geom, i.geom, 10000) ORDER BY kp.geom <-> i.geom LIMIT 1))`); d != 0 {
		t.Errorf("%d exact incidents whose kommun is not the one holding their point", d)
	}
	// A cell's region is the lowest region code whose polygon holds its centre (else the nearest).
	if d := scalar(t, db, `SELECT count(*) FROM h3_cell c WHERE c.region_code IS DISTINCT FROM coalesce(
		(SELECT min(r.code) FROM police_region r WHERE ST_Intersects(r.geom, ST_Centroid(c.geom))),
		(SELECT r.code FROM police_region r ORDER BY r.geom <-> ST_Centroid(c.geom), r.code LIMIT 1))`); d != 0 {
		t.Errorf("%d cells whose region is not the one holding their centre", d)
	}
}

func snapshot(t *testing.T, db *pgx.Conn) string {
	t.Helper()
	var s string
	err := db.QueryRow(context.Background(), `SELECT concat_ws('/',
		(SELECT md5(coalesce(string_agg(i::text, ',' ORDER BY id), '')) FROM incident i),
		(SELECT md5(coalesce(string_agg(h::text, ',' ORDER BY h::text), '')) FROM h3_agg h),
		(SELECT md5(coalesce(string_agg(a::text, ',' ORDER BY a::text), '')) FROM admin_month_agg a),
		(SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM incident_area x),
		(SELECT version FROM data_version))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestImportIdempotentAndAggregates(t *testing.T) {
	store, url := pgtest.New(t)
	db := pgtest.Conn(t, url)
	rep, err := run(t, store, fixture(), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != 5 || rep.Inserted != 5 || rep.Rejected != 0 || rep.PerPrecision[lagesbild.PrecisionExact] != 3 ||
		rep.PerPrecision[lagesbild.PrecisionKommun] != 1 || rep.PerPrecision[lagesbild.PrecisionLan] != 1 {
		t.Fatalf("first import: %+v", rep)
	}
	aggregatesConsistent(t, db)
	// The two Tensta points lie in Tensta's polygons of every list that has it; central
	// Stockholm lies in none.
	if n := scalar(t, db, `SELECT count(*) FROM incident_area WHERE area_id = '2025-SO9'`); n != 2 {
		t.Errorf("2025-SO9 holds %d incidents, want 2", n)
	}
	if n := scalar(t, db, `SELECT count(*) FROM incident_area ia JOIN incident i ON i.id = ia.incident_id WHERE i.source_id = 'c1'`); n != 0 {
		t.Errorf("central Stockholm point assigned to %d areas", n)
	}
	// The precision rule: kommun- and län-precision records are never in a cell or an area.
	if n := scalar(t, db, `SELECT count(*) FROM incident i WHERE precision <> 'exact' AND (geom IS NOT NULL OR h3_9 IS NOT NULL
		OR EXISTS (SELECT 1 FROM incident_area WHERE incident_id = i.id))`); n != 0 {
		t.Errorf("%d coarse records placed in a cell or area", n)
	}
	if n := scalar(t, db, `SELECT coalesce(sum(total), 0) FROM h3_cell_total WHERE res = 9`); n != 3 {
		t.Errorf("res 9 cells count %d incidents, want the 3 exact ones", n)
	}
	if n := scalar(t, db, `SELECT coalesce(sum(n), 0) FROM admin_month_agg WHERE level = 'region' AND code = '5300'`); n != 5 {
		t.Errorf("region Stockholm counts %d incidents, want 5 (all precisions)", n)
	}
	if n := scalar(t, db, `SELECT coalesce(sum(n), 0) FROM admin_month_agg WHERE level = 'kommun' AND code = '0180'`); n != 4 {
		t.Errorf("kommun Stockholm counts %d incidents, want 4 (exact and kommun precision)", n)
	}

	before := snapshot(t, db)
	rep, err = run(t, store, fixture(), importer.Options{})
	if err != nil || rep.Read != 5 || rep.Unchanged != 5 || rep.Inserted+rep.Updated != 0 {
		t.Fatalf("re-import: %+v, %v", rep, err)
	}
	if after := snapshot(t, db); after != before {
		t.Errorf("re-importing the same records changed the database")
	}

	// A record repeated in a file is rejected naming the repeat, also when one of the two is
	// stored unchanged (unchanged records leave the staging table before most steps).
	t1, t1moved := fixture()[0].(lagesbild.Incident), fixture()[0].(lagesbild.Incident)
	t1moved.Point = orb.Point{17.9051, 59.3946}
	for name, pair := range map[string][2]lagesbild.Incident{"unchanged first": {t1, t1moved}, "unchanged second": {t1moved, t1}, "both unchanged": {t1, t1}} {
		pair[0].Line, pair[1].Line = 2, 3
		for _, skip := range []bool{false, true} {
			rep, err = run(t, store, toAny(pair[0], pair[1]), importer.Options{SkipInvalid: skip})
			if len(rep.Errors) != 1 || rep.Errors[0].Line != 3 || rep.Errors[0].Field != "source_id" {
				t.Errorf("%s (skip invalid %v): errors %+v, want line 3 repeating line 2", name, skip, rep.Errors)
			}
			if skip != (err == nil) || rep.Read != 2 || rep.Rejected != 1 {
				t.Errorf("%s (skip invalid %v): %+v, %v", name, skip, rep, err)
			}
			if skip && name == "unchanged second" {
				if rep.Updated != 1 {
					t.Errorf("%s: %+v, want line 2 stored", name, rep)
				}
				if _, err := run(t, store, toAny(t1), importer.Options{}); err != nil { // back as it was
					t.Fatal(err)
				}
				aggregatesConsistent(t, db)
				before = snapshot(t, db) // the record's import and the data version moved on
			} else if after := snapshot(t, db); after != before {
				t.Errorf("%s (skip invalid %v) changed the database", name, skip)
			}
		}
	}

	// A changed record is updated and the aggregates follow: t1 moves to central Stockholm.
	changed := fixture()
	moved := changed[0].(lagesbild.Incident)
	moved.Point = orb.Point{18.0700, 59.3300}
	changed[0] = moved
	rep, err = run(t, store, changed, importer.Options{})
	if err != nil || rep.Updated != 1 || rep.Unchanged != 4 {
		t.Fatalf("changed import: %+v, %v", rep, err)
	}
	aggregatesConsistent(t, db)
	if n := scalar(t, db, `SELECT count(*) FROM incident_area WHERE area_id = '2025-SO9'`); n != 1 {
		t.Errorf("after moving t1 out, 2025-SO9 holds %d incidents, want 1", n)
	}
	if n := scalar(t, db, `SELECT count(*) FROM incident`); n != 5 {
		t.Errorf("%d incidents after three imports of five records", n)
	}
}

func TestFailedImportLeavesDatabaseAsItWas(t *testing.T) {
	store, url := pgtest.New(t)
	db := pgtest.Conn(t, url)
	if _, err := run(t, store, fixture(), importer.Options{}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, db)
	cases := map[string][]any{
		"parse error": append(toAny(exact("n1", 17.9, 59.39, lagesbild.GroupRan, 2)),
			&lagesbild.ValidationError{File: "test.csv", Line: 3, Field: "lat", Reason: "not a number"}),
		"point at sea": toAny(exact("n2", 17.9, 59.39, lagesbild.GroupRan, 2), exact("n3", 21.0, 57.0, lagesbild.GroupRan, 3)),
		"duplicate id": toAny(exact("n4", 17.9, 59.39, lagesbild.GroupRan, 2), exact("n4", 17.91, 59.39, lagesbild.GroupRan, 3)),
	}
	for name, recs := range cases {
		t.Run(name, func(t *testing.T) {
			rep, err := run(t, store, recs, importer.Options{})
			if !errors.Is(err, lagesbild.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if len(rep.Errors) != 1 || rep.Errors[0].Line != 3 || rep.Errors[0].Field == "" || rep.Errors[0].Reason == "" {
				t.Errorf("report errors = %+v, want one naming line 3 and a field", rep.Errors)
			}
			if after := snapshot(t, db); after != before {
				t.Errorf("a rejected import changed the database")
			}
		})
	}
	// With SkipInvalid the valid record of the same file is stored.
	rep, err := run(t, store, cases["point at sea"], importer.Options{SkipInvalid: true})
	if err != nil || rep.Inserted != 1 || rep.Rejected != 1 {
		t.Fatalf("skip-invalid: %+v, %v", rep, err)
	}
	aggregatesConsistent(t, db)
}

func TestImportManyRecordsBinsEveryResolution(t *testing.T) {
	store, url := pgtest.New(t)
	db := pgtest.Conn(t, url)
	var recs []any
	for i := range 20000 { // more than one pipeline batch
		lon := 17.80 + float64(i%200)*0.002
		lat := 59.25 + float64(i/200)*0.002
		recs = append(recs, exact(fmt.Sprintf("m%d", i), lon, lat, lagesbild.GroupOvrigt, i+2))
	}
	rep, err := run(t, store, recs, importer.Options{})
	if err != nil || rep.Inserted != 20000 {
		t.Fatalf("%+v %v", rep, err)
	}
	for res := 5; res <= 9; res++ {
		if n := scalar(t, db, fmt.Sprintf(`SELECT coalesce(sum(total), 0) FROM h3_cell_total WHERE res = %d`, res)); n != 20000 {
			t.Errorf("res %d sums to %d", res, n)
		}
	}
	aggregatesConsistent(t, db)
}

// incident_area and the area aggregates have no row-by-row foreign keys (migration 00014);
// deleting an area or an incident must still remove their rows.
func TestDeletingAreasAndIncidentsRemovesTheirRows(t *testing.T) {
	store, url := pgtest.New(t)
	db := pgtest.Conn(t, url)
	var recs []any
	for i := range 2000 { // a grid over Rinkeby and Tensta, which lie in areas of every list year
		recs = append(recs, exact(fmt.Sprintf("d%d", i), 17.88+float64(i%50)*0.001, 59.38+float64(i/50)*0.0005, lagesbild.GroupOvrigt, i+2))
	}
	if rep, err := run(t, store, recs, importer.Options{}); err != nil || rep.Inserted != 2000 {
		t.Fatalf("%+v %v", rep, err)
	}
	var area string
	if err := db.QueryRow(context.Background(), `SELECT area_id FROM incident_area GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`).Scan(&area); err != nil {
		t.Fatalf("no incident lies in an area: %v", err)
	}
	rows := func(sql string) int { return scalar(t, db, sql) }
	ctx := context.Background()
	if _, err := db.Exec(ctx, `DELETE FROM area_population WHERE area_id = $1`, area); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `DELETE FROM area WHERE id = $1`, area); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"incident_area", "area_agg", "area_month_agg"} {
		if n := rows(fmt.Sprintf(`SELECT count(*) FROM %s WHERE area_id = '%s'`, table, area)); n != 0 {
			t.Errorf("%s keeps %d rows of the deleted area %s", table, n, area)
		}
	}
	var incident int64
	if err := db.QueryRow(ctx, `SELECT incident_id FROM incident_area LIMIT 1`).Scan(&incident); err != nil {
		t.Fatalf("no other area row left: %v", err)
	}
	if _, err := db.Exec(ctx, `DELETE FROM incident WHERE id = $1`, incident); err != nil {
		t.Fatal(err)
	}
	if n := rows(fmt.Sprintf(`SELECT count(*) FROM incident_area WHERE incident_id = %d`, incident)); n != 0 {
		t.Errorf("incident_area keeps %d rows of the deleted incident", n)
	}
	if n := rows(`SELECT count(*) FROM incident_area`); n == 0 {
		t.Errorf("deleting one area and one incident emptied incident_area")
	}
}
