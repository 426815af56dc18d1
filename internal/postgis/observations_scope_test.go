package postgis_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/samverkan"
	"github.com/lagesbild/lagesbild/internal/samverkan/samverkantest"
)

// TestObservationDecisionAreaScope checks the two narrower area scopes of a samverkansbeslut: a
// decision on one area (Tensta, 2025-SO9) and one on a lokalpolisområde (Järva, 531350) share
// only the observations that lie there, in row-level security (the store's read) and in the
// service's own check alike, although the reader's scope is the whole country.
func TestObservationDecisionAreaScope(t *testing.T) {
	db, _ := pgtest.New(t)
	svc := samverkantest.Load(t, db)
	ctx := context.Background()
	for _, in := range []samverkan.DecisionInput{
		{ID: "SB-AREA", Name: "Tensta", Purpose: "Ett område", Agencies: []string{"kfm", "skv"}, AreaIDs: []string{"2025-SO9"},
			ValidFrom: "2020-01-01", ValidUntil: "2099-12-31", DecidedBy: "Operativa rådet", DecidedAt: "2020-01-01"},
		{ID: "SB-LPO", Name: "Järva", Purpose: "Ett lokalpolisområde", Agencies: []string{"kfm", "mv"}, Scope: "531350",
			ValidFrom: "2020-01-01", ValidUntil: "2099-12-31", DecidedBy: "Operativa rådet", DecidedAt: "2020-01-01"},
	} {
		if _, err := svc.CreateDecision(ctx, in, "test-admin"); err != nil {
			t.Fatalf("decision %s: %v", in.ID, err)
		}
	}
	// Tensta (in the area and the LPO), Kista (outside every area), Södermalm (Stockholm, in
	// neither), each under both decisions' ids in turn.
	places := map[string]string{"tensta": "59.3945,17.9051", "kista": "59.4032,17.9445", "soder": "59.3150,18.0700"}
	var b strings.Builder
	b.WriteString("source_id,agency,category,time,classification,decision,lat,lon\n")
	for name, p := range places {
		for _, dec := range []string{"SB-AREA", "SB-LPO"} {
			b.WriteString("kfm-" + name + "-" + dec + ",kfm,utmatning,2025-05-10 12:00,sekretess," + dec + "," + p + "\n")
		}
	}
	if rep, err := svc.Import(ctx, strings.NewReader(b.String()), "scope.csv", samverkan.ImportOptions{Source: "scope-test"}); err != nil || rep.Inserted != 6 {
		t.Fatalf("import: %+v, %v", rep, err)
	}
	kfm := auth.Identity{Subject: "kfm", Role: auth.RoleMyndighet, Agency: "kfm", Scope: auth.Scope{All: true}}
	own, err := db.Observations(auth.WithIdentity(ctx, kfm), lagesbild.ObservationQuery{Agency: "kfm"})
	if err != nil || len(own) != 6 {
		t.Fatalf("kfm sees %d of its own (%v), want 6", len(own), err)
	}
	// What each reader may see, from where each row lies.
	want := map[string]map[int64]bool{"skv": {}, "mv": {}}
	inArea, inLPO := 0, 0
	for _, o := range own {
		if o.DecisionID == "SB-AREA" && slices.Contains(o.AreaIDs, "2025-SO9") {
			want["skv"][o.ID] = true
			inArea++
		}
		if o.DecisionID == "SB-LPO" && slices.Contains(o.LPOCodes, "531350") {
			want["mv"][o.ID] = true
			inLPO++
		}
	}
	// A lokalpolisområde is known by its areas (as for the police's LPO scopes): Kista, outside
	// every area, lies in none.
	if inArea != 1 || inLPO != 1 {
		t.Fatalf("the places: %d in Tensta under SB-AREA, %d in Järva under SB-LPO; want 1 and 1 (%+v)", inArea, inLPO, own)
	}
	for agency, w := range want {
		id := auth.Identity{Subject: agency, Role: auth.RoleMyndighet, Agency: agency, Scope: auth.Scope{All: true}}
		rows, err := db.Observations(auth.WithIdentity(ctx, id), lagesbild.ObservationQuery{Agency: "kfm"})
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]bool{}
		for _, o := range rows {
			got[o.ID] = true
		}
		if len(got) != len(w) {
			t.Errorf("%s sees %d of kfm's observations under row-level security, want %d", agency, len(got), len(w))
		}
		for idn := range got {
			if !w[idn] {
				t.Errorf("%s sees kfm's observation %d outside its decision's area scope", agency, idn)
			}
		}
		// The service's own check agrees with the policy.
		v, err := svc.Visibility(auth.WithIdentity(ctx, id))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range own {
			if _, ok := v.Allows(o); ok != w[o.ID] {
				t.Errorf("%s: the service allows kfm's observation %d (%s, areas %v, LPOs %v): %v, want %v", agency, o.ID, o.DecisionID, o.AreaIDs, o.LPOCodes, ok, w[o.ID])
			}
		}
	}
}

// TestObservationDecisionExpiresOnTime: a decision whose period ends while nobody changes it
// shares nothing from that instant on — in row-level security (now() of the read) and in the
// service's read alike, with no cache in between.
func TestObservationDecisionExpiresOnTime(t *testing.T) {
	db, _ := pgtest.New(t)
	svc := samverkantest.Load(t, db)
	ctx := context.Background()
	until := time.Now().Add(3 * time.Second)
	if _, err := svc.CreateDecision(ctx, samverkan.DecisionInput{ID: "SB-SOON", Name: "Kort", Purpose: "Löper ut strax",
		Agencies: []string{"kfm", "skv"}, Scope: "5300", ValidFrom: "2020-01-01", ValidUntil: until.Format(time.RFC3339Nano),
		DecidedBy: "Operativa rådet", DecidedAt: "2020-01-01"}, "test-admin"); err != nil {
		t.Fatal(err)
	}
	csv := "source_id,agency,category,time,classification,decision,lat,lon\nkfm-soon,kfm,utmatning,2025-05-10 12:00,sekretess,SB-SOON,59.3945,17.9051\n"
	if rep, err := svc.Import(ctx, strings.NewReader(csv), "soon.csv", samverkan.ImportOptions{Source: "soon"}); err != nil || rep.Inserted != 1 {
		t.Fatalf("import: %+v, %v", rep, err)
	}
	skv := auth.WithIdentity(ctx, samverkantest.SKV)
	seen := func() (policy, service int) {
		t.Helper()
		rows, err := db.Observations(skv, lagesbild.ObservationQuery{Agency: "kfm"})
		if err != nil {
			t.Fatal(err)
		}
		rd, err := svc.Observations(skv, lagesbild.ObservationQuery{Agency: "kfm"})
		if err != nil {
			t.Fatal(err)
		}
		return len(rows), len(rd.Rows)
	}
	if p, s := seen(); p != 1 || s != 1 {
		t.Fatalf("before the end: skv sees %d (policy) and %d (service) of kfm's, want 1", p, s)
	}
	time.Sleep(time.Until(until) + 200*time.Millisecond)
	if p, s := seen(); p != 0 || s != 0 {
		t.Errorf("after the end: skv sees %d (policy) and %d (service) of kfm's, want 0", p, s)
	}
}
