package postgis_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/importer"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
)

type incidents []lagesbild.Incident

func (r *incidents) Next() (lagesbild.Incident, error) {
	if len(*r) == 0 {
		return lagesbild.Incident{}, io.EOF
	}
	in := (*r)[0]
	*r = (*r)[1:]
	return in, nil
}

// scopedFixture stores incidents in Tensta (region 5300, LPO 531350 Järva), Skäggetorp (5400,
// LPO 540210 Linköping) and Rosengård (5600), five in each so no count is suppressed.
func scopedFixture(t *testing.T, db *postgis.DB) {
	t.Helper()
	var recs incidents
	at := time.Date(2025, 5, 1, 20, 0, 0, 0, time.UTC)
	for i, p := range []orb.Point{{17.9050, 59.3945}, {15.5780, 58.4195}, {13.0350, 55.5880}} {
		for k := range 5 {
			recs = append(recs, lagesbild.Incident{Source: "test", SourceID: string(rune('a'+i)) + string(rune('0'+k)), OccurredAt: at,
				Category: "Skottlossning", Group: lagesbild.GroupSkjutning, Agency: "pm", Precision: lagesbild.PrecisionExact,
				Point: orb.Point{p[0] + float64(k)*0.0002, p[1]}, Line: 2 + 5*i + k})
		}
	}
	rep, err := importer.Incidents(context.Background(), db, &recs, "scoped.csv", importer.Options{}, slog.New(slog.DiscardHandler))
	if err != nil || rep.Inserted != 15 {
		t.Fatalf("fixture import: %+v, %v", rep, err)
	}
}

// asReader begins a transaction of conn as lagesbild_reader with the given settings (nil:
// none), the way a query runs that forgot every application filter; it is rolled back when the
// test ends.
func asReader(t *testing.T, conn *pgx.Conn, settings map[string]string) pgx.Tx {
	t.Helper()
	ctx := context.Background()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback(ctx) })
	if _, err := tx.Exec(ctx, `SET LOCAL ROLE lagesbild_reader`); err != nil {
		t.Fatal(err)
	}
	for k, v := range settings {
		if _, err := tx.Exec(ctx, `SELECT set_config($1, $2, true)`, k, v); err != nil {
			t.Fatal(err)
		}
	}
	return tx
}

// readerCount counts rows of a table as lagesbild_reader with the given settings.
func readerCount(t *testing.T, conn *pgx.Conn, table string, settings map[string]string) int {
	t.Helper()
	tx := asReader(t, conn, settings)
	var n int
	if err := tx.QueryRow(context.Background(), `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	if err := tx.Rollback(context.Background()); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRowLevelSecurityBlocksUnfilteredQueries(t *testing.T) {
	db, url := pgtest.New(t)
	scopedFixture(t, db)
	conn := pgtest.Conn(t, url)
	ctx := context.Background()

	var super, bypass bool
	if err := conn.QueryRow(ctx, `SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'lagesbild_reader'`).Scan(&super, &bypass); err != nil {
		t.Fatal(err)
	}
	if super || bypass {
		t.Fatalf("lagesbild_reader: superuser %v, bypassrls %v", super, bypass)
	}

	all := map[string]string{"lagesbild.scope_all": "on"}
	region := map[string]string{"lagesbild.regions": "5400"}
	lpo := map[string]string{"lagesbild.lpos": "531350"}
	for _, table := range []string{"area", "incident", "incident_area", "h3_agg", "h3_total", "h3_cell_total", "h3_cell", "admin_month_agg", "area_population"} {
		total := count(t, db, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize())
		if got := readerCount(t, conn, table, nil); got != 0 {
			t.Errorf("%s: %d of %d rows visible without a scope", table, got, total)
		}
		if got := readerCount(t, conn, table, all); got != total {
			t.Errorf("%s: national scope sees %d of %d rows", table, got, total)
		}
		for name, s := range map[string]map[string]string{"region 5400": region, "lpo 531350": lpo} {
			if got := readerCount(t, conn, table, s); total > 0 && got >= total {
				t.Errorf("%s: %s sees all %d rows", table, name, total)
			}
		}
	}
	// The aggregates carry their cell's scope columns, which their policies read.
	for _, table := range []string{"h3_agg", "h3_total", "h3_cell_total"} {
		if n := count(t, db, `SELECT count(*) FROM `+table+` a LEFT JOIN h3_cell c ON c.cell = a.cell
			WHERE c.cell IS NULL OR a.region_code IS DISTINCT FROM c.region_code OR a.lpo_codes <> c.lpo_codes`); n != 0 {
			t.Errorf("%s: %d rows whose scope columns differ from their cell's", table, n)
		}
	}
	var res9 string // every res-9 cell, in every region
	if err := db.Pool().QueryRow(ctx, `SELECT array_agg(cell)::text FROM h3_cell WHERE res = 9`).Scan(&res9); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name     string
		settings map[string]string
		sql      string
		want     int
	}{
		{"region sees its areas only", region, `SELECT count(*) FROM area WHERE region_code <> '5400'`, 0},
		{"region sees its incidents", region, `SELECT count(*) FROM incident`, 5},
		{"lpo sees its areas only", lpo, `SELECT count(*) FROM area WHERE lpo_code IS DISTINCT FROM '531350'`, 0},
		{"lpo sees the incidents in its areas", lpo, `SELECT count(*) FROM incident`, 5},
		{"lpo sees no area outside", lpo, `SELECT count(*) FROM incident_area ia JOIN area a ON a.id = ia.area_id WHERE a.name = 'Skäggetorp'`, 0},
		{"region cells lie in the region", region, `SELECT count(*) FROM h3_cell WHERE region_code <> '5400'`, 0},
		{"region counts only its cells", region, `SELECT coalesce(sum(total), 0) FROM h3_cell_total WHERE res = 9`, 5},
		// Resolution 9 is counted from incident by cell (migration 00019), scoped as the cells.
		{"region's res-9 counts only its cells", region, `SELECT coalesce(sum(n), 0) FROM h3_res9_counts('` + res9 + `', NULL, NULL, NULL, NULL)`, 5},
		{"res-9 counts need a scope", nil, `SELECT coalesce(sum(n), 0) FROM h3_res9_counts('` + res9 + `', NULL, NULL, NULL, NULL)`, 0},
		{"national res-9 counts", all, `SELECT coalesce(sum(n), 0) FROM h3_res9_counts('` + res9 + `', NULL, NULL, NULL, NULL)`, count(t, db, `SELECT count(*) FROM incident WHERE precision = 'exact'`)},
		{"audit log hidden from non-admins", all, `SELECT count(*) FROM audit_log`, 0},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			tx := asReader(t, conn, c.settings)
			defer tx.Rollback(ctx)
			var n int
			if err := tx.QueryRow(ctx, c.sql).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != c.want {
				t.Errorf("%s = %d, want %d", c.sql, n, c.want)
			}
		})
	}
}

func TestReaderCannotChangeOrReadSecrets(t *testing.T) {
	db, url := pgtest.New(t)
	conn := pgtest.Conn(t, url)
	ctx := context.Background()
	if err := db.AppendAudit(ctx, auth.AuditEntry{Subject: "x", Role: "nationell", Scope: "all", Action: "read", Resource: "/r", Result: "ok", Status: 200}); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`UPDATE audit_log SET result = 'changed'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
		`SELECT * FROM app_user`,
		`SELECT * FROM api_token`,
		`SELECT * FROM user_session`,
		`INSERT INTO area_set (year, label, published, geometry_official) VALUES (2099, 'x', '2099-01-01', true)`,
		`DELETE FROM incident`,
		`RESET ROLE; SELECT 1`,
	} {
		t.Run(sql, func(t *testing.T) {
			tx := asReader(t, conn, nil)
			defer tx.Rollback(ctx)
			_, err := tx.Exec(ctx, sql)
			if sql == `RESET ROLE; SELECT 1` {
				return // the test connection is the owner's; the service's own login role is checked elsewhere
			}
			if err == nil {
				t.Fatalf("%s succeeded as lagesbild_reader", sql)
			}
		})
	}
	// The owner cannot rewrite the log either: the trigger refuses it.
	if _, err := conn.Exec(ctx, `UPDATE audit_log SET result = 'changed'`); err == nil {
		t.Error("the owner changed an audit row")
	}
	if n := count(t, db, `SELECT count(*) FROM audit_log WHERE result = 'ok'`); n != 1 {
		t.Errorf("audit rows = %d, want 1 unchanged", n)
	}
}

func TestStoresReadAsTheCaller(t *testing.T) {
	db, _ := pgtest.New(t)
	scopedFixture(t, db)
	ctx := context.Background()
	lokal := auth.WithIdentity(ctx, auth.Identity{Subject: "lpo", Role: auth.RoleLokal, Scope: auth.Scope{LPOs: []string{"540210"}}})
	areas, err := db.Areas(lokal, 2025)
	if err != nil {
		t.Fatal(err)
	}
	if len(areas) == 0 {
		t.Fatal("a lokal user sees none of its areas")
	}
	for _, a := range areas {
		if a.LPOCode != "540210" {
			t.Errorf("lokal 540210 sees %s (%s, LPO %s)", a.ID, a.Name, a.LPOCode)
		}
	}
	if _, err := db.Area(lokal, "2025-SO9"); !errors.Is(err, lagesbild.ErrNotFound) {
		t.Errorf("Area(Tensta) as lokal Linköping: %v, want not found", err)
	}
	if got, err := db.Areas(ctx, 2025); err != nil || len(got) != 0 {
		t.Errorf("anonymous Areas = %d, %v; want none", len(got), err)
	}
	admin := auth.WithIdentity(ctx, auth.Identity{Subject: "adm", Role: auth.RoleAdmin, Scope: auth.Scope{All: true}})
	if got, err := db.Areas(admin, 2025); err != nil || len(got) != 0 {
		t.Errorf("admin Areas = %d, %v; want none (admins manage, they do not read data)", len(got), err)
	}
}

func TestServiceLoginCannotBypass(t *testing.T) {
	db, url := pgtest.New(t)
	scopedFixture(t, db)
	ctx := context.Background()
	pw := pgtest.ServicePassword(t)
	if err := db.UseServiceLogin(ctx, pw); err != nil {
		t.Fatal(err)
	}
	// The stores read through the new login and still see only the caller's scope.
	if got, err := db.Areas(ctx, 2025); err != nil || len(got) != 0 {
		t.Errorf("anonymous Areas as the service login = %d, %v", len(got), err)
	}
	if got, err := db.Areas(pgtest.National(ctx), 2025); err != nil || len(got) != 65 {
		t.Errorf("national Areas as the service login = %d, %v", len(got), err)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Password = postgis.ServiceRole, pw
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var super, bypass bool
	if err := conn.QueryRow(ctx, `SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&super, &bypass); err != nil || super || bypass {
		t.Fatalf("service role: superuser %v bypassrls %v (%v)", super, bypass, err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM incident`).Scan(&n); err != nil || n != 0 {
		t.Errorf("service login without a scope counts %d incidents (%v)", n, err)
	}
	for _, sql := range []string{`RESET ROLE; SET ROLE lagesbild`, `SET ROLE postgres`, `SELECT * FROM app_user`,
		`ALTER TABLE incident DISABLE ROW LEVEL SECURITY`, `SET row_security = off; SELECT count(*) FROM incident`} {
		if _, err := conn.Exec(ctx, sql); err == nil {
			t.Errorf("%s succeeded as %s", sql, postgis.ServiceRole)
		}
	}
}
