package postgis_test

import (
	"context"
	"errors"
	"testing"

	"github.com/lagesbild/lagesbild/geodata"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/refdata"
)

func count(t *testing.T, db *postgis.DB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Pool().QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestMigrateUpFromEmpty(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewEmpty(t)
	db, err := postgis.Open(ctx, url, postgis.Options{}, pgtest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ready(ctx); !errors.Is(err, lagesbild.ErrUnavailable) {
		t.Fatalf("Ready before migrating = %v, want ErrUnavailable", err)
	}
	n, err := db.Migrate(ctx)
	if err != nil || n == 0 {
		t.Fatalf("Migrate = %d, %v; want >0 migrations applied", n, err)
	}
	if err := db.Ready(ctx); err != nil {
		t.Fatalf("Ready after migrating: %v", err)
	}
	if n, err := db.Migrate(ctx); err != nil || n != 0 {
		t.Fatalf("second Migrate = %d, %v; want 0, nil", n, err)
	}
	if got := count(t, db, `SELECT count(*) FROM pg_extension WHERE extname = 'postgis'`); got != 1 {
		t.Fatalf("postgis extension not installed")
	}
	for _, table := range []string{"area", "kommun", "lan", "police_region"} {
		if got := count(t, db, `SELECT count(*) FROM pg_indexes WHERE tablename = $1 AND indexdef LIKE '%USING gist (geom)%'`, table); got != 1 {
			t.Errorf("%s: %d GiST indexes on geom, want 1", table, got)
		}
		if got := count(t, db, `SELECT count(*) FROM geometry_columns WHERE f_table_name = $1 AND srid = 3006`, table); got != 1 {
			t.Errorf("%s: geometry column not in EPSG:3006", table)
		}
	}
}

func TestGeodataCounts(t *testing.T) {
	db, _ := pgtest.New(t)
	for table, want := range map[string]int{"kommun": 290, "lan": 21, "police_region": 7, "deso": 5984, "area": 359, "area_set": 6} {
		if got := count(t, db, `SELECT count(*) FROM `+table); got != want {
			t.Errorf("%s: %d rows, want %d", table, got, want)
		}
	}
	perList := map[int][4]int{ // total, utsatt, risk, särskilt
		2015: {53, 31, 7, 15}, 2017: {61, 32, 6, 23}, 2019: {60, 28, 10, 22},
		2021: {61, 28, 14, 19}, 2023: {59, 27, 15, 17}, 2025: {65, 46, 0, 19},
	}
	for year, want := range perList {
		var got [4]int
		err := db.Pool().QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE class = 'utsatt'),
			count(*) FILTER (WHERE class = 'risk'), count(*) FILTER (WHERE class = 'sarskilt_utsatt')
			FROM area WHERE set_year = $1`, year).Scan(&got[0], &got[1], &got[2], &got[3])
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("list %d: total/utsatt/risk/särskilt = %v, want %v", year, got, want)
		}
	}
	if got := count(t, db, `SELECT sum(population_2023) FROM deso`); got != 10551707 {
		t.Errorf("population 2023 = %d, want SCB's 10 551 707", got)
	}
	if got := count(t, db, `SELECT count(*) FROM area WHERE geometry_official <> (set_year >= 2021)`); got != 0 {
		t.Errorf("%d areas flag their geometry official wrongly (2015–2019 are approximated)", got)
	}
}

func TestEveryGeometryValid(t *testing.T) {
	db, _ := pgtest.New(t)
	for _, table := range []string{"area", "kommun", "lan", "police_region"} {
		if got := count(t, db, `SELECT count(*) FROM `+table+` WHERE NOT ST_IsValid(geom) OR ST_IsEmpty(geom)`); got != 0 {
			t.Errorf("%s: %d invalid or empty geometries", table, got)
		}
	}
}

// Each area must lie in the kommun of the year table: the one its polygon overlaps most, or the
// nearest one where the generalised SCB coastline misses the polygon.
func TestAreaLiesInItsKommun(t *testing.T) {
	db, _ := pgtest.New(t)
	rows, err := db.Pool().Query(context.Background(), `
		SELECT a.id, a.name, a.kommun_code, best.code
		FROM area a
		CROSS JOIN LATERAL (
			SELECT k.code FROM kommun k
			WHERE ST_DWithin(k.geom, a.geom, 5000)
			ORDER BY ST_Area(ST_Intersection(k.geom, a.geom)) DESC, ST_Distance(k.geom, a.geom)
			LIMIT 1) best
		WHERE best.code IS DISTINCT FROM a.kommun_code`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, name, recorded, best string
		if err := rows.Scan(&id, &name, &recorded, &best); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s %s: recorded kommun %s, largest overlap %s", id, name, recorded, best)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

func checksum(t *testing.T, db *postgis.DB) string {
	t.Helper()
	var sum string
	err := db.Pool().QueryRow(context.Background(), `SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
		SELECT a::text AS x FROM area a UNION ALL SELECT k::text FROM kommun k UNION ALL SELECT l::text FROM lan l
		UNION ALL SELECT d::text FROM deso d UNION ALL SELECT r::text FROM police_region r
		UNION ALL SELECT i::text FROM area_identity i UNION ALL SELECT l::text FROM area_lineage l
		UNION ALL SELECT s::text FROM area_set s UNION ALL SELECT v.version::text FROM data_version v) t`).Scan(&sum)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestReimportChangesNothing(t *testing.T) {
	db, _ := pgtest.New(t)
	ctx := context.Background()
	before := checksum(t, db)
	version, err := db.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := refdata.Load(geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := db.ImportRefdata(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changed() {
		t.Errorf("re-import reported changes: %+v", rep.Tables)
	}
	for _, tc := range rep.Tables {
		if tc.Unchanged != tc.Read {
			t.Errorf("%s: %d of %d rows not unchanged", tc.Table, tc.Read-tc.Unchanged, tc.Read)
		}
	}
	if rep.DataVersion != version {
		t.Errorf("data version moved from %d to %d on a no-op import", version, rep.DataVersion)
	}
	if after := checksum(t, db); after != before {
		t.Errorf("stored data changed on re-import")
	}
}

func TestFailedImportLeavesDatabaseAsItWas(t *testing.T) {
	db, _ := pgtest.New(t)
	ctx := context.Background()
	before := checksum(t, db)
	b, err := refdata.Load(geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	// Change one area so the import has real work, then break the last one: the foreign key
	// on kommun fails only after the earlier tables were written inside the transaction.
	b.Areas[0].Name += " (ändrad)"
	b.Kommuner[0].Population++
	b.Areas[len(b.Areas)-1].KommunCode = "9999"
	if _, err := db.ImportRefdata(ctx, b); err == nil {
		t.Fatal("import with an unknown kommun succeeded")
	}
	if after := checksum(t, db); after != before {
		t.Errorf("a failed import changed the database")
	}
}

func TestAreaQueries(t *testing.T) {
	db, _ := pgtest.New(t)
	ctx := pgtest.National(context.Background())
	areas, err := db.Areas(ctx, 2015)
	if err != nil || len(areas) != 53 {
		t.Fatalf("Areas(2015) = %d areas, %v", len(areas), err)
	}
	a, err := db.Area(ctx, "2025-SO74")
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "Rinkeby" || a.Class != lagesbild.ClassSarskiltUtsatt || a.KommunName != "Stockholm" || a.LPOCode != "531350" || !a.GeometryOfficial {
		t.Errorf("2025-SO74 = %+v", a)
	}
	// Rinkeby got a new id in 2025, split off Rinkeby / Tensta (SO9): the map's list comparison
	// follows it instead of calling it new.
	if len(a.Predecessors) != 1 || a.Predecessors[0] != (lagesbild.AreaPredecessor{Key: "SO9", Kind: "split"}) {
		t.Errorf("2025-SO74 predecessors = %+v, want SO9 split", a.Predecessors)
	}
	if husby, err := db.Area(ctx, "2025-SO7"); err != nil || len(husby.Predecessors) != 0 {
		t.Errorf("2025-SO7 predecessors = %+v, %v; want none", husby.Predecessors, err)
	}
	if _, err := db.Areas(ctx, 2016); !errors.Is(err, lagesbild.ErrNotFound) {
		t.Errorf("Areas(2016) err = %v, want ErrNotFound", err)
	}
	if _, err := db.Area(ctx, "2025-SO999"); !errors.Is(err, lagesbild.ErrNotFound) {
		t.Errorf("Area(2025-SO999) err = %v, want ErrNotFound", err)
	}
	// Old lists take district attributes from the newest list with the same identity.
	old, err := db.Area(ctx, "2015-SO9")
	if err != nil {
		t.Fatal(err)
	}
	if old.Name != "Rinkeby / Tensta" || old.LPOSourceYear != 2025 || old.GeometryOfficial {
		t.Errorf("2015-SO9 = %s, LPO from %d, official %v", old.Name, old.LPOSourceYear, old.GeometryOfficial)
	}
	for _, kind := range []lagesbild.BoundaryKind{lagesbild.BoundaryKommun, lagesbild.BoundaryLan, lagesbild.BoundaryRegion} {
		bs, err := db.Boundaries(ctx, kind, 100)
		if err != nil {
			t.Fatal(err)
		}
		want := map[lagesbild.BoundaryKind]int{lagesbild.BoundaryKommun: 290, lagesbild.BoundaryLan: 21, lagesbild.BoundaryRegion: 7}[kind]
		if len(bs) != want {
			t.Errorf("%s: %d boundaries, want %d", kind, len(bs), want)
		}
	}
}
