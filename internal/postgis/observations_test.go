package postgis_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lagesbild/lagesbild/geodata"
	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/refdata"
	"github.com/lagesbild/lagesbild/internal/samverkan"
	"github.com/lagesbild/lagesbild/internal/samverkan/samverkantest"
)

// TestObservationVisibility checks row-level security alone (the store's read, without the
// service's second check) against the agency matrix, that a revoked decision takes its
// observations away at once, and that a connection without settings sees none.
func TestObservationVisibility(t *testing.T) {
	db, url := pgtest.New(t)
	svc := samverkantest.Load(t, db)
	ctx := context.Background()
	for _, e := range samverkantest.Matrix() {
		rows, err := db.Observations(auth.WithIdentity(ctx, e.ID), lagesbild.ObservationQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != e.Rows {
			t.Errorf("%s sees %d observations under row-level security, want %d", e.ID.Subject, len(rows), e.Rows)
		}
	}
	// Regression: Tensta's indicator (Tensta's own polygon) lay in Hjulsta and Rinkeby too,
	// which only touch it; it lies in the areas whose interior it meets.
	ind, err := db.Observations(auth.WithIdentity(ctx, samverkantest.FK), lagesbild.ObservationQuery{Kind: lagesbild.ObservationIndicator})
	if err != nil || len(ind) != 1 {
		t.Fatalf("fk's indicator: %d, %v", len(ind), err)
	}
	for _, a := range ind[0].AreaIDs {
		if strings.HasPrefix(a, "2025-") && a != "2025-SO9" {
			t.Errorf("Tensta's indicator lies in %v, want 2025-SO9 alone of the 2025 list", ind[0].AreaIDs)
		}
	}
	if !slices.Contains(ind[0].AreaIDs, "2025-SO9") || !slices.Equal(ind[0].LPOCodes, []string{"531350"}) {
		t.Errorf("Tensta's indicator: areas %v, LPOs %v", ind[0].AreaIDs, ind[0].LPOCodes)
	}
	conn := pgtest.Conn(t, url)
	if n := readerCount(t, conn, "observation", nil); n != 0 {
		t.Errorf("a reader without settings sees %d observations", n)
	}
	if n := readerCount(t, conn, "observation", map[string]string{"lagesbild.scope_all": "on", "lagesbild.obs_all": "on"}); n != 0 {
		t.Errorf("a reader without an agency sees %d observations", n)
	}
	if n := readerCount(t, conn, "samverkansbeslut", map[string]string{"lagesbild.agency": "kfm"}); n != 0 {
		t.Errorf("an agency in no decision sees %d decisions", n)
	}
	if _, err := svc.RevokeDecision(ctx, samverkantest.Valid, "test-admin"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Observations(auth.WithIdentity(ctx, samverkantest.Regional), lagesbild.ObservationQuery{})
	if err != nil || len(rows) != 0 {
		t.Errorf("after revocation the police region sees %d observations (%v), want 0", len(rows), err)
	}
	hist, err := db.DecisionHistory(ctx, samverkantest.Valid)
	if err != nil || len(hist) != 2 || hist[1].Version.RevokedAt == nil || hist[1].ChangedBy != "test-admin" {
		t.Errorf("history after revocation: %+v, %v", hist, err)
	}
}

// obsSettings are the per-transaction settings the service gives identity id (postgis.scopedOn),
// written out by hand so that the policy is tested on its own.
func obsSettings(id auth.Identity) map[string]string {
	m := map[string]string{"lagesbild.role": string(id.Role)}
	if id.CanAdmin() {
		m["lagesbild.agency"] = id.Agency
	}
	if !id.CanReadObservations() {
		return m
	}
	m["lagesbild.agency"] = id.Agency
	if id.Scope.All {
		m["lagesbild.obs_all"] = "on"
	}
	m["lagesbild.obs_regions"] = strings.Join(id.Scope.Regions, ",")
	m["lagesbild.obs_lpos"] = strings.Join(id.Scope.LPOs, ",")
	if id.CanReadData() {
		if id.Scope.All {
			m["lagesbild.scope_all"] = "on"
		}
		m["lagesbild.regions"], m["lagesbild.lpos"] = m["lagesbild.obs_regions"], m["lagesbild.obs_lpos"]
	}
	return m
}

// TestObservationPolicyDirect runs the agency matrix against the row-level security policy
// alone: plain SQL as lagesbild_reader with the settings of each identity, no service and no
// store in between. Every identity sees exactly its rows, none of another agency's without a
// decision in force that names both and covers the place, and none of Valid's once it is
// revoked; a setting a client forges (another agency's code, a wider geography) gives only
// what that agency or geography may see, never a decision's rows it does not take part in.
func TestObservationPolicyDirect(t *testing.T) {
	db, url := pgtest.New(t)
	svc := samverkantest.Load(t, db)
	conn := pgtest.Conn(t, url)
	ctx := context.Background()
	count := func(settings map[string]string, where string) int {
		t.Helper()
		tx := asReader(t, conn, settings)
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM observation WHERE `+where).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		return n
	}
	check := func(phase string, want func(samverkantest.Expected) int) {
		for _, e := range samverkantest.Matrix() {
			st := obsSettings(e.ID)
			if n := count(st, "true"); n != want(e) {
				t.Errorf("%s: %s sees %d observations through the policy alone, want %d", phase, e.ID.Subject, n, want(e))
			}
			// Rows of another agency under no decision that gives this identity a lawful basis.
			lawful := []string{"''"}
			for k := range e.Disclosed {
				if phase != "after revocation" || k[1] != samverkantest.Valid {
					lawful = append(lawful, "('"+k[0]+"', '"+k[1]+"')")
				}
			}
			unlawful := "agency <> '" + e.ID.Agency + "' AND (decision_id IS NULL OR (agency, decision_id) NOT IN (" +
				strings.Join(lawful[1:], ", ") + "))"
			if len(lawful) == 1 {
				unlawful = "agency <> '" + e.ID.Agency + "'"
			}
			if n := count(st, unlawful); n != 0 {
				t.Errorf("%s: %s sees %d observations without a lawful basis", phase, e.ID.Subject, n)
			}
			for k, d := range e.Disclosed {
				got := count(st, "agency = '"+k[0]+"' AND decision_id = '"+k[1]+"'")
				if phase == "after revocation" && k[1] == samverkantest.Valid {
					d = 0
				}
				if got != d {
					t.Errorf("%s: %s sees %d of %s under %s, want %d", phase, e.ID.Subject, got, k[0], k[1], d)
				}
			}
		}
	}
	check("in force", func(e samverkantest.Expected) int { return e.Rows })
	// Forged settings: an agency in no decision with the whole country sees nothing; mv's code
	// with the whole country sees only what NotMember shares with mv.
	if n := count(map[string]string{"lagesbild.agency": "kfm", "lagesbild.obs_all": "on", "lagesbild.scope_all": "on"}, "true"); n != 0 {
		t.Errorf("kfm with the whole country sees %d observations", n)
	}
	if n := count(map[string]string{"lagesbild.agency": "", "lagesbild.obs_all": "on", "lagesbild.role": "admin"}, "true"); n != 0 {
		t.Errorf("an admin setting without an agency sees %d observations", n)
	}
	if n := count(map[string]string{"lagesbild.agency": "pm", "lagesbild.obs_regions": "5300,5400,5600"}, "decision_id = '"+samverkantest.Other+"'"); n != 0 {
		t.Errorf("pm sees %d observations under a decision it is no member of", n)
	}
	if _, err := svc.RevokeDecision(ctx, samverkantest.Valid, "test-admin"); err != nil {
		t.Fatal(err)
	}
	check("after revocation", func(e samverkantest.Expected) int { return e.AfterRevoke })
}

// TestObservationImportRejects names every bad record and stores nothing; a second import of
// the same file changes nothing.
func TestObservationImportRejects(t *testing.T) {
	db, _ := pgtest.New(t)
	svc := samverkantest.Load(t, db)
	ctx := context.Background()
	rep, err := svc.Import(ctx, strings.NewReader(samverkantest.CSV()), "again.csv", samverkan.ImportOptions{Source: "matrix", Synthetic: true})
	if err != nil || rep.Unchanged != samverkantest.Total || rep.Inserted+rep.Updated != 0 {
		t.Errorf("re-import: %+v, %v", rep, err)
	}
	bad := "source_id,agency,kind,category,time,value,classification,decision,lat,lon,area_id,h3\n" +
		"ok-1,mv,record,arbetsplatsinspektion,2025-05-01 10:00,,oppen,,59.39,17.90,,\n" +
		"b-2,mv,record,arbetsplatsinspektion,2025-05-01 10:00,,oppen," + samverkantest.Other + ",59.39,17.90,,\n" +
		"b-3,mv,record,folkbokforingskontroll,2025-05-01 10:00,,oppen,,59.39,17.90,,\n" +
		"b-4,mv,record,arbetsplatsinspektion,2025-05-01 10:00,,oppen,SB-NONE,59.39,17.90,,\n" +
		"b-5,mv,indicator,arbetsplatsinspektion,2025-05,3,oppen,,,,2025-SO99999,\n" +
		"b-6,mv,record,arbetsplatsinspektion,2025-05-01 10:00,,hemlig,,59.39,17.90,,\n" +
		"b-7,mv,record,arbetsplatsinspektion,2025-05-01 10:00,,oppen,,,,,zz\n" +
		"b-8,xx,record,arbetsplatsinspektion,2025-05-01 10:00,,oppen,,59.39,17.90,,\n"
	rep, err = svc.Import(ctx, strings.NewReader(bad), "bad.csv", samverkan.ImportOptions{Source: "mv-test"})
	if !errors.Is(err, lagesbild.ErrInvalid) || rep.Rejected != 3 {
		t.Fatalf("parser rejects: %+v, %v", rep, err)
	}
	want := map[int]string{7: "classification", 8: "h3", 9: "agency"}
	for _, e := range rep.Errors {
		if want[e.Line] != e.Field || e.File != "bad.csv" {
			t.Errorf("reject %+v, want field %q", e, want[e.Line])
		}
	}
	lines := strings.SplitAfter(bad, "\n")
	rep, err = svc.Import(ctx, strings.NewReader(strings.Join(lines[:6], "")), "bad.csv", samverkan.ImportOptions{Source: "mv-test"})
	if !errors.Is(err, lagesbild.ErrInvalid) || rep.Rejected != 4 {
		t.Fatalf("database rejects: %+v, %v", rep, err)
	}
	want = map[int]string{3: "decision", 4: "category", 5: "decision", 6: "area_id"}
	for _, e := range rep.Errors {
		if want[e.Line] != e.Field {
			t.Errorf("reject %+v, want field %q", e, want[e.Line])
		}
	}
	rows, err := db.Observations(auth.WithIdentity(ctx, samverkantest.MV), lagesbild.ObservationQuery{})
	if err != nil || len(rows) != 5 {
		t.Errorf("after the failed imports mv sees %d observations (%v), want the fixture's 5", len(rows), err)
	}
}

// TestObservationImportGeoJSON imports a GeoJSON file of a point, a polygon, an H3 cell and an
// area indicator under a decision; a second file with one bad feature stores nothing and names
// the feature's line and field.
func TestObservationImportGeoJSON(t *testing.T) {
	db, _ := pgtest.New(t)
	svc := samverkantest.Load(t, db)
	ctx := context.Background()
	const good = `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[17.905,59.3945]},"properties":{"source_id":"g1","agency":"skv","category":"kontrollbesok","time":"2025-05-02 09:00","classification":"sekretess","decision":"SB-VALID"}},
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[17.90,59.39],[17.91,59.39],[17.91,59.40],[17.90,59.40],[17.90,59.39]]]},"properties":{"source_id":"g2","agency":"skv","category":"kontrollbesok","time":"2025-05-03 09:00","classification":"sekretess","decision":"SB-VALID"}},
{"type":"Feature","geometry":null,"properties":{"source_id":"g3","agency":"skv","kind":"indicator","category":"kontrollbesok","time":"2025-05","value":12,"classification":"oppen","decision":"SB-VALID","area_id":"2025-SO9"}}
]}`
	rep, err := svc.Import(ctx, strings.NewReader(good), "good.geojson", samverkan.ImportOptions{Source: "skv-gis"})
	if err != nil || rep.Inserted != 3 {
		t.Fatalf("GeoJSON import: %+v, %v", rep, err)
	}
	rows, err := db.Observations(auth.WithIdentity(ctx, samverkantest.Regional), lagesbild.ObservationQuery{Agency: "skv", Geometries: true})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, o := range rows {
		kinds[o.Precision]++
		if o.RegionCode != "5300" || len(o.Geometry) == 0 {
			t.Errorf("observation %+v: region %s, geometry %d bytes", o, o.RegionCode, len(o.Geometry))
		}
	}
	if kinds["exact"] != 6 || kinds["area"] != 2 {
		t.Errorf("the police see skv's observations by precision %v, want 6 exact (5 of the fixture) and 2 areas", kinds)
	}
	bad := strings.Replace(good, `"category":"kontrollbesok","time":"2025-05-03 09:00"`, `"category":"kontrollbesok","time":"igår"`, 1)
	bad = strings.ReplaceAll(bad, `"source_id":"g`, `"source_id":"b`)
	rep, err = svc.Import(ctx, strings.NewReader(bad), "bad.geojson", samverkan.ImportOptions{Source: "skv-gis"})
	if !errors.Is(err, lagesbild.ErrInvalid) || rep.Rejected != 1 || len(rep.Errors) != 1 || rep.Errors[0].Field != "time" || rep.Errors[0].Line != 3 {
		t.Fatalf("a bad feature: %+v, %v", rep, err)
	}
	rows, err = db.Observations(auth.WithIdentity(ctx, samverkantest.SKV), lagesbild.ObservationQuery{Agency: "skv"})
	if err != nil || len(rows) != 25+3 {
		t.Errorf("after the rejected file skv has %d observations (%v), want 28", len(rows), err)
	}
}

// TestDemoObservations imports the synthetic demo observations (at least four agencies under
// the two demo decisions) and checks they are shared as the decisions say, idempotently.
func TestDemoObservations(t *testing.T) {
	db, _ := pgtest.New(t)
	ctx := context.Background()
	b, err := refdata.Load(geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	svc := &samverkan.Service{DecisionStore: db, Store: db, Units: db}
	for _, d := range demo.Decisions {
		if _, err := svc.CreateDecision(ctx, samverkan.DecisionInput{ID: d.ID, Name: d.Name, Purpose: d.Purpose, Agencies: d.Agencies,
			Scope: d.Region, ValidFrom: d.ValidFrom, ValidUntil: d.ValidUntil, DecidedBy: d.DecidedBy, DecidedAt: d.ValidFrom}, "demo"); err != nil {
			t.Fatal(err)
		}
	}
	obs, err := demo.Observations(demo.FromRefdata(b, 2025), demo.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		rep, err := db.ImportObservations(ctx, "demo", lagesbild.SourceSyntheticDemo, obs, nil)
		if err != nil {
			t.Fatalf("%+v %v", rep, err)
		}
	}
	owners, decisions := map[string]bool{}, map[string]bool{}
	rows, err := db.Observations(auth.WithIdentity(ctx, auth.Identity{Role: auth.RoleRegional, Agency: "pm",
		Scope: auth.Scope{Regions: []string{"5300", "5400"}}}), lagesbild.ObservationQuery{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range rows {
		owners[o.Agency], decisions[o.DecisionID] = true, true
		if !o.Synthetic || o.DecisionID == "" {
			t.Fatalf("the police see %+v", o)
		}
	}
	if len(owners) < 4 || len(decisions) != 2 {
		t.Errorf("the police see %d observations of %v under %v; want four agencies and two decisions", len(rows), owners, decisions)
	}
	t.Logf("%d demo observations, %d visible to the police of Stockholm and Öst", len(obs), len(rows))
}
