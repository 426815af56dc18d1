// Package samverkantest is the shared fixture of the agency matrix tests: decisions that are
// valid, expired, for another region, without a member and revoked, and observations of
// several agencies under each, in one database.
package samverkantest

import (
	"context"
	"strings"
	"testing"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/samverkan"
)

// The decisions of the fixture.
const (
	Valid     = "SB-VALID"     // pm, skv, fk; Stockholm (5300); in force
	Expired   = "SB-EXPIRED"   // pm, skv, fk; Öst (5400); ended 2021
	Other     = "SB-OTHER"     // skv, fk; Syd (5600) only; in force
	NotMember = "SB-NOTMEMBER" // skv, mv; Stockholm; in force (fk and pm are not members)
	Revoked   = "SB-REVOKED"   // pm, skv, fk; Stockholm; in its period but revoked at load
)

// Fixture counts: every observation, and those of the sensitive category (fk
// misstankt_bedrageri under Valid), which are never listed, only counted in totals.
const (
	Total     = 41
	Sensitive = 5
)

// Places: Tensta (2025-SO9, region 5300, LPO Järva 531350), Skäggetorp (region 5400, LPO
// Linköping 540210) and Rosengård (region 5600).
const (
	tensta     = "59.3945,17.9050"
	skaggetorp = "58.4195,15.5780"
)

// CSV is the fixture's observations: 5 records per (agency, decision, place) so that no count
// of one group is suppressed, plus one indicator.
func CSV() string {
	var b strings.Builder
	b.WriteString("source_id,agency,kind,category,time,value,classification,decision,lat,lon,area_id\n")
	rows := []struct {
		prefix, agency, category, decision, place string
	}{
		{"skv-valid", "skv", "folkbokforingskontroll", Valid, tensta},
		{"skv-expired", "skv", "folkbokforingskontroll", Expired, skaggetorp},
		{"skv-other", "skv", "kontrollbesok", Other, tensta},
		{"skv-notmember", "skv", "kontrollbesok", NotMember, tensta},
		{"skv-own", "skv", "folkbokforingskontroll", "", tensta},
		{"fk-valid", "fk", "felaktig_utbetalning", Valid, tensta},
		{"fk-sens", "fk", "misstankt_bedrageri", Valid, tensta},
		{"fk-revoked", "fk", "felaktig_utbetalning", Revoked, tensta},
	}
	for _, r := range rows {
		lat, lon, _ := strings.Cut(r.place, ",")
		for i := range 5 {
			b.WriteString(strings.Join([]string{r.prefix + "-" + string(rune('a'+i)), r.agency, "record", r.category,
				"2025-05-0" + string(rune('1'+i)) + " 12:00", "", "sekretess", r.decision,
				lat, lon[:len(lon)-1] + string(rune('0'+i)), ""}, ",") + "\n")
		}
	}
	b.WriteString("fk-ind-1,fk,indicator,felaktig_utbetalning,2025-05,7,sekretess," + Valid + ",,,2025-SO9\n")
	return b.String()
}

// Load stores the fixture's decisions and observations.
func Load(t testing.TB, db *postgis.DB) *samverkan.Service {
	t.Helper()
	ctx := context.Background()
	s := &samverkan.Service{DecisionStore: db, Store: db, Units: db}
	for _, in := range []samverkan.DecisionInput{
		{ID: Valid, Name: "Järva 2025", Purpose: "Gemensam lägesbild för Järva", Agencies: []string{"pm", "skv", "fk"},
			Scope: "5300", ValidFrom: "2020-01-01", ValidUntil: "2099-12-31", DecidedBy: "Regionala samverkansrådet Stockholm", DecidedAt: "2020-01-01"},
		{ID: Expired, Name: "Öst 2021", Purpose: "Avslutad samverkan", Agencies: []string{"pm", "skv", "fk"},
			Scope: "5400", ValidFrom: "2020-01-01", ValidUntil: "2021-12-31", DecidedBy: "Regionala samverkansrådet Öst", DecidedAt: "2020-01-01"},
		{ID: Other, Name: "Syd", Purpose: "Samverkan i Syd", Agencies: []string{"skv", "fk"},
			Scope: "5600", ValidFrom: "2020-01-01", ValidUntil: "2099-12-31", DecidedBy: "Regionala samverkansrådet Syd", DecidedAt: "2020-01-01"},
		{ID: NotMember, Name: "Skv och Mv", Purpose: "Arbetsplatskontroller", Agencies: []string{"skv", "mv"},
			Scope: "Stockholm", ValidFrom: "2020-01-01", ValidUntil: "2099-12-31", DecidedBy: "Operativa rådet", DecidedAt: "2020-01-01"},
		{ID: Revoked, Name: "Återkallat", Purpose: "Samverkan som återkallats", Agencies: []string{"pm", "skv", "fk"},
			Scope: "5300", ValidFrom: "2020-01-01", ValidUntil: "2099-12-31", DecidedBy: "Regionala samverkansrådet Stockholm", DecidedAt: "2020-01-01"},
	} {
		if _, err := s.CreateDecision(ctx, in, "test-admin"); err != nil {
			t.Fatalf("decision %s: %v", in.ID, err)
		}
	}
	rep, err := s.Import(ctx, strings.NewReader(CSV()), "fixture.csv", samverkan.ImportOptions{Source: "matrix", Synthetic: true})
	if err != nil || rep.Inserted != Total {
		t.Fatalf("fixture import: %+v, %v", rep, err)
	}
	if _, err := s.RevokeDecision(ctx, Revoked, "test-admin"); err != nil {
		t.Fatalf("revoke %s: %v", Revoked, err)
	}
	return s
}

// Identities of the matrix: agency analysts and the police roles.
var (
	SKV       = auth.Identity{Subject: "skv-analytiker", Role: auth.RoleMyndighet, Agency: "skv", Scope: auth.Scope{All: true}}
	FK        = auth.Identity{Subject: "fk-analytiker", Role: auth.RoleMyndighet, Agency: "fk", Scope: auth.Scope{Regions: []string{"5300"}}}
	MV        = auth.Identity{Subject: "mv-analytiker", Role: auth.RoleMyndighet, Agency: "mv", Scope: auth.Scope{All: true}}
	KFM       = auth.Identity{Subject: "kfm-analytiker", Role: auth.RoleMyndighet, Agency: "kfm", Scope: auth.Scope{All: true}}
	Regional  = auth.Identity{Subject: "pm-regional", Role: auth.RoleRegional, Agency: "pm", Scope: auth.Scope{Regions: []string{"5300"}}}
	RegionOst = auth.Identity{Subject: "pm-ost", Role: auth.RoleRegional, Agency: "pm", Scope: auth.Scope{Regions: []string{"5400"}}}
	Lokal     = auth.Identity{Subject: "pm-lokal", Role: auth.RoleLokal, Agency: "pm", Scope: auth.Scope{LPOs: []string{"540210"}}}
	Jarva     = auth.Identity{Subject: "pm-jarva", Role: auth.RoleLokal, Agency: "pm", Scope: auth.Scope{LPOs: []string{"531350"}}}
	Admin     = auth.Identity{Subject: "admin", Role: auth.RoleAdmin, Agency: "pm"}
)

// Expected is how many observation rows each identity may see in the fixture, and from which
// (owner, decision) pairs of other agencies; AfterRevoke is how many once Valid is revoked too.
type Expected struct {
	ID          auth.Identity
	Rows        int
	Disclosed   map[[2]string]int
	AfterRevoke int
}

// Matrix lists every identity with what it may see. skv sees its own 25 wherever they lie
// (scope all) and fk's 11 under Valid, never fk's under Revoked; fk (Stockholm) its own 16,
// under Revoked too, and skv's 5 under Valid, not those under Other (Syd only), NotMember or
// Expired; mv skv's 5 under NotMember; the police of Stockholm and of LPO Järva what Valid
// shares in Tensta; the police of Öst and of Linköping nothing (Expired ended); admins read no
// observations.
func Matrix() []Expected {
	return []Expected{
		{SKV, 25 + 11, map[[2]string]int{{"fk", Valid}: 11}, 25},
		{FK, 5 + 6 + 5 + 5, map[[2]string]int{{"skv", Valid}: 5}, 16},
		{MV, 5, map[[2]string]int{{"skv", NotMember}: 5}, 5},
		{KFM, 0, nil, 0},
		{Regional, 5 + 11, map[[2]string]int{{"skv", Valid}: 5, {"fk", Valid}: 11}, 0},
		{Jarva, 5 + 11, map[[2]string]int{{"skv", Valid}: 5, {"fk", Valid}: 11}, 0},
		{RegionOst, 0, nil, 0},
		{Lokal, 0, nil, 0},
		{Admin, 0, nil, 0},
	}
}
