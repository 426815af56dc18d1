package samverkan

import (
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// rowsOf makes n records of one agency, category and decision in Tensta (region 5300).
func rowsOf(agency, category, decision string, sensitive bool, n, value int) []lagesbild.ObservationRow {
	out := make([]lagesbild.ObservationRow, n)
	for i := range out {
		out[i] = lagesbild.ObservationRow{Agency: agency, Category: category, CategoryLabel: category, Sensitive: sensitive,
			DecisionID: decision, Value: value, RegionCode: "5300", AreaIDs: []string{"2025-SO9"}, Synthetic: true}
	}
	return out
}

func countOf(c Contribution, category string) (*int, bool, bool) {
	for _, cc := range c.Categories {
		if cc.Category == category {
			return cc.Count, cc.Suppressed, true
		}
	}
	return nil, false, false
}

// TestBuildPicture checks the disclosure rules of the joint picture by hand: counts 1–4 are
// hidden with the secondary suppression that keeps them from being recovered from the total,
// sensitive categories count only in the total (and are never recoverable from it either),
// a total of 1–4 hides everything, and a row the caller may not see counts nowhere.
func TestBuildPicture(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	valid := lagesbild.Decision{ID: "SB-1", Name: "Järva", Agencies: []string{"pm", "fk", "skv"}, Regions: []string{"5300"},
		ValidFrom: now.AddDate(-1, 0, 0), ValidUntil: now.AddDate(1, 0, 0)}
	v := Visibility{Agency: "pm", Scope: auth.Scope{Regions: []string{"5300"}}, At: now, Decisions: []lagesbild.Decision{valid}}
	var rows []lagesbild.ObservationRow
	rows = append(rows, rowsOf("skv", "a", "SB-1", false, 3, 1)...)  // 3: hidden
	rows = append(rows, rowsOf("skv", "b", "SB-1", false, 10, 1)...) // 10
	rows = append(rows, rowsOf("skv", "c", "SB-1", false, 12, 1)...) // 12: total 25
	rows = append(rows, rowsOf("fk", "s", "SB-1", true, 7, 1)...)    // sensitive 7
	rows = append(rows, rowsOf("fk", "b", "SB-1", false, 1, 20)...)  // an indicator of 20: total 27
	rows = append(rows, rowsOf("mv", "x", "SB-1", false, 2, 1)...)   // mv is no member: unseen
	rows = append(rows, rowsOf("kfm", "y", "", false, 9, 1)...)      // kfm's own, no decision: unseen
	rows = append(rows, rowsOf("pm", "t", "", false, 1, 3)...)       // the police's own: total 3, hidden
	p := BuildPicture(rows, v)
	byAgency := map[string]Contribution{}
	for _, c := range p.Contributions {
		byAgency[c.Agency] = c
	}
	if len(byAgency) != 3 || byAgency["mv"].Agency != "" || byAgency["kfm"].Agency != "" {
		t.Fatalf("contributions %+v, want pm, skv and fk only", p.Contributions)
	}
	skv := byAgency["skv"]
	if skv.Total == nil || *skv.Total != 25 || skv.Decision != "SB-1" || skv.Basis != "Delat enligt samverkansbeslut SB-1" || skv.DecisionName != "Järva" || !skv.Synthetic {
		t.Errorf("skv: %+v", skv)
	}
	if n, sup, _ := countOf(skv, "a"); n != nil || !sup {
		t.Errorf("skv a (3) shown: %v", n)
	}
	// 25 − 12 − 10 would give a's 3: one more part (the smallest, b) is hidden too.
	nb, supB, _ := countOf(skv, "b")
	nc, _, _ := countOf(skv, "c")
	if nb != nil || !supB || nc == nil || *nc != 12 {
		t.Errorf("skv secondary suppression: b %v (%v), c %v", nb, supB, nc)
	}
	fk := byAgency["fk"]
	if fk.Total == nil || *fk.Total != 27 {
		t.Errorf("fk total %v, want 27 (the sensitive 7 in it)", fk.Total)
	}
	if _, _, listed := countOf(fk, "s"); listed {
		t.Errorf("fk's sensitive category is listed on its own: %+v", fk.Categories)
	}
	// 27 − 20 would give the sensitive 7: b is hidden as well.
	if nb, sup, _ := countOf(fk, "b"); nb != nil || !sup {
		t.Errorf("fk b shown (%v): the sensitive count is total minus it", nb)
	}
	pm := byAgency["pm"]
	if pm.Total != nil || !pm.Suppressed || pm.Basis != "Egen myndighet" || pm.Decision != "" {
		t.Errorf("pm's own total 3: %+v", pm)
	}
	if n, sup, _ := countOf(pm, "t"); n != nil || !sup {
		t.Errorf("pm t shown under a hidden total: %v", n)
	}
	if p.Contributions[0].Agency != "pm" {
		t.Errorf("the caller's own contribution comes first: %+v", p.Contributions[0])
	}
	// Revoked or expired: nothing of another agency.
	for name, d := range map[string]lagesbild.Decision{
		"revoked":      func() lagesbild.Decision { d := valid; at := now.Add(-time.Minute); d.RevokedAt = &at; return d }(),
		"expired":      func() lagesbild.Decision { d := valid; d.ValidUntil = now; return d }(),
		"other region": func() lagesbild.Decision { d := valid; d.Regions = []string{"5600"}; return d }(),
	} {
		v.Decisions = []lagesbild.Decision{d}
		p := BuildPicture(rows, v)
		if len(p.Contributions) != 1 || p.Contributions[0].Agency != "pm" {
			t.Errorf("%s decision: contributions %+v, want the police's own only", name, p.Contributions)
		}
	}
}

// TestSuppressedValue hides another agency's indicator of 1–4 in a listing (a count per area
// and month, published on its own), never the caller's own.
func TestSuppressedValue(t *testing.T) {
	for _, c := range []struct {
		own   bool
		kind  string
		value int
		want  *int
	}{
		{false, lagesbild.ObservationIndicator, 3, nil},
		{false, lagesbild.ObservationIndicator, 0, ptr(0)},
		{false, lagesbild.ObservationIndicator, 5, ptr(5)},
		{true, lagesbild.ObservationIndicator, 3, ptr(3)},
		{false, lagesbild.ObservationRecord, 1, ptr(1)},
		{false, lagesbild.ObservationRecord, 3, nil}, // a record counting 3 (e.g. three persons) is a small count too
	} {
		got := ListedValue(lagesbild.ObservationRow{Kind: c.kind, Value: c.value}, c.own)
		if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
			t.Errorf("%+v: %v", c, got)
		}
	}
}

func ptr(n int) *int { return &n }
