package demo

import (
	"math"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// TestLaterPatternsLeaveTheRestUnchanged checks that the patterns from PlantedOwnStreamFrom on
// add incidents without changing any other: the model's and the first patterns' incidents are
// the same, in the same order, with and without them (only the running source ids move). The
// same holds for the patterns from PlantedEachOwnStreamFrom on against all before them.
func TestLaterPatternsLeaveTheRestUnchanged(t *testing.T) {
	in := realInput(t)
	o := Options{Seed: 5, Scale: 0.005}
	with, _ := generateAll(t, in, o)
	for _, cut := range []int{PlantedOwnStreamFrom, PlantedEachOwnStreamFrom} {
		saved := Planted
		Planted = Planted[:cut]
		without, _ := generateAll(t, in, o)
		Planted = saved

		var kept []generated
		added := 0
		for _, g := range with {
			if g.origin.planted >= cut {
				added++
				continue
			}
			kept = append(kept, g)
		}
		if added == 0 || len(kept) != len(without) {
			t.Fatalf("cut %d: %d incidents without the later patterns, %d of the others with them (%d added)", cut, len(without), len(kept), added)
		}
		for i := range kept {
			a, b := kept[i].inc, without[i].inc
			a.SourceID, b.SourceID = "", ""
			if !a.OccurredAt.Equal(b.OccurredAt) || a.Point != b.Point || a.Category != b.Category || a.Agency != b.Agency ||
				a.SamverkanID != b.SamverkanID || a.Classification != b.Classification {
				t.Fatalf("cut %d: incident %d differs: %+v against %+v", cut, i, a, b)
			}
		}
	}
}

// TestAnalystPatternsDetectable checks the three patterns of the analyst's tools in the raw
// incidents, before any analysis: the robberies of Biskopsgården start in July 2026, the
// Örebro burglary series is packed into four weeks at a few sites, and Vivalla's assaults drop
// when its operation starts.
func TestAnalystPatternsDetectable(t *testing.T) {
	in := realInput(t)
	all, w := generateAll(t, in, Options{Seed: 2, Scale: 0.01})
	byID := map[string]PlantedPattern{}
	for _, p := range Planted {
		byID[p.ID] = p
	}
	count := func(id string, from, to time.Time) int {
		n := 0
		for _, g := range all {
			if g.origin.planted >= 0 && Planted[g.origin.planted].ID == id && !g.inc.OccurredAt.Before(from) && g.inc.OccurredAt.Before(to) {
				n++
			}
		}
		return n
	}
	b := byID["biskopsgarden-ran-framvaxande"]
	if n := count(b.ID, b.Start, b.End); float64(n) < 0.6*b.Expected(0.01) || count(b.ID, time.Time{}, b.Start) != 0 {
		t.Errorf("Biskopsgården: %d robberies in the window (%.0f expected)", n, b.Expected(0.01))
	}
	s := byID["orebro-inbrott-narupprepning"]
	sk := w.byCode[s.KommunCode]
	var near int
	var pts []lagesbild.Incident
	for _, g := range all {
		if g.origin.planted >= 0 && Planted[g.origin.planted].ID == s.ID {
			pts = append(pts, g.inc)
		}
	}
	for i := range pts {
		for j := i + 1; j < len(pts); j++ {
			a, c := toSweref(pts[i].Point), toSweref(pts[j].Point)
			if math.Hypot(a[0]-c[0], a[1]-c[1]) <= 100 && math.Abs(pts[i].OccurredAt.Sub(pts[j].OccurredAt).Hours()) <= 7*24 {
				near++
			}
		}
	}
	if len(pts) < 10 || near < len(pts)/2 || !w.kommuner[sk].shape.contains(toSweref(pts[0].Point)) {
		t.Errorf("Örebro series: %d burglaries, %d pairs within 100 m and 7 days", len(pts), near)
	}
	v := byID["vivalla-insats-minskning"]
	if n := count(v.ID, VivallaOperationStart, DefaultEnd); n != 0 {
		t.Errorf("Vivalla: %d planted assaults after the operation started", n)
	}
	ops := Operations(in, Options{Seed: 2, Scale: 0.01})
	found := false
	for _, op := range ops {
		found = found || (op.AreaID == v.AreaID && op.Start.Equal(VivallaOperationStart))
	}
	if !found {
		t.Error("the planted Vivalla operation is missing")
	}
}
