package risk

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// The crime analyst's methods: time profiles, emerging hot spots, the Knox test and the
// effect follow-up. Reference values are computed by hand in the comments.

func TestSuppressProfilesOneGroup(t *testing.T) {
	// One group: 3 in Monday 00 (hidden, 1–4), 10 in Monday 01. The 3 alone would be the
	// group's 13 minus 10, so the 10 is hidden too; the total's profile is the same table.
	var c [ProfileSlots]int
	c[0], c[1] = 3, 10
	sup, err := SuppressProfiles([][ProfileSlots]int{c}, []bool{false})
	if err != nil {
		t.Fatal(err)
	}
	if !sup.Slots[0][0] || !sup.Slots[0][1] || !sup.Total[0] || !sup.Total[1] {
		t.Errorf("slots 0 and 1 must be hidden: %v %v %v %v", sup.Slots[0][0], sup.Slots[0][1], sup.Total[0], sup.Total[1])
	}
	if sup.GroupTotals[0] || sup.All {
		t.Errorf("the count 13 must be shown")
	}
	for s := 2; s < ProfileSlots; s++ {
		if sup.Slots[0][s] || sup.Total[s] {
			t.Fatalf("slot %d (0) hidden", s)
		}
	}
}

func TestSuppressProfilesProtectsSensitiveGroup(t *testing.T) {
	// Group A (shown): 7 in slot 0, 20 in slot 1. Sensitive group B: 5 in slot 0. Total: 12 and
	// 20 of 32. By hand: B's 5 is hidden → slot 0 across groups (12 = 7 + 5) has one hidden
	// number → A's 7 hidden; the group counts (32 = 27 + 5) have one → A's 27 hidden. Then every
	// table has 0 or 2 hidden numbers: A's slots (27 = 7 + 20: two), B's (5 = 5: two), slot 0
	// (two), slot 1 (20 = 20 + 0: none), the total's slots (none). What is shown (A1 = 20,
	// T0 = 12, T1 = 20, 32) gives A0 + B0 = 12 and A0 + 20 + B0 = 32 — one equation in two
	// unknowns — so B's count cannot be derived.
	var a, b [ProfileSlots]int
	a[0], a[1], b[0] = 7, 20, 5
	sup, err := SuppressProfiles([][ProfileSlots]int{a, b}, []bool{false, true})
	if err != nil {
		t.Fatal(err)
	}
	got := []bool{sup.Slots[0][0], sup.Slots[0][1], sup.Slots[1][0], sup.Total[0], sup.Total[1], sup.GroupTotals[0], sup.GroupTotals[1], sup.All}
	want := []bool{true, false, true, false, false, true, true, false}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hidden A0, A1, B0, T0, T1, A, B, all = %v, want %v", got, want)
	}
}

func TestSuppressProfilesInvalid(t *testing.T) {
	var c [ProfileSlots]int
	c[5] = -1
	if _, err := SuppressProfiles([][ProfileSlots]int{c}, []bool{false}); !errors.Is(err, lagesbild.ErrInvalid) {
		t.Errorf("negative count: %v", err)
	}
	if _, err := SuppressProfiles([][ProfileSlots]int{c}, nil); !errors.Is(err, lagesbild.ErrInvalid) {
		t.Errorf("flags: %v", err)
	}
}

// bins builds a series of Gi* results from a pattern: 'H' significant hot, 'C' significant
// cold, '.' neither.
func bins(pattern string) []HotSpot {
	out := make([]HotSpot, len(pattern))
	for i, c := range pattern {
		switch c {
		case 'H':
			out[i] = HotSpot{Z: 3, Confidence: 95, Hot: true}
		case 'C':
			out[i] = HotSpot{Z: -3, Confidence: 95, Cold: true}
		}
	}
	return out
}

func TestClassifyEmerging(t *testing.T) {
	up := Trend{Z: 3, P: 0.003}
	down := Trend{Z: -3, P: 0.003}
	flat := Trend{Z: 0.5, P: 0.6}
	for _, tc := range []struct {
		name    string
		pattern string
		trend   Trend
		want    EmergingCategory
	}{
		{"never significant", "............", flat, NoPattern},
		{"new: only the last", "...........H", flat, NewHotSpot},
		{"consecutive: final run of 3", ".........HHH", flat, ConsecutiveHot},
		{"consecutive: run of 10 of 12 is below 90 %", "..HHHHHHHHHH", up, ConsecutiveHot},
		{"run of 11 of 12 is 90 %: persistent", ".HHHHHHHHHHH", flat, PersistentHot},
		{"intensifying", "HHHHHHHHHHHH", up, IntensifyingHot},
		{"persistent", "HHHHH.HHHHHH", flat, PersistentHot},
		{"diminishing", "HHHHHHHHHHHH", down, DiminishingHot},
		{"sporadic: on and off", "..H..H.....H", flat, SporadicHot},
		{"sporadic: earlier hot before a run", ".H.......HHH", flat, SporadicHot},
		{"oscillating: cold before", "...C.......H", flat, OscillatingHot},
		{"cold first: oscillating, not new", "C..........H", flat, OscillatingHot},
		{"cold before a run: oscillating, not consecutive", "C........HHH", flat, OscillatingHot},
		{"historical", "HHHHHHHHHHH.", down, HistoricalHot},
		{"not historical below 90 %", "HHHHHHHHHH..", down, NoPattern},
		{"new cold", "...........C", flat, NewColdSpot},
		{"intensifying cold: ever colder", "CCCCCCCCCCCC", down, IntensifyingCold},
		{"diminishing cold", "CCCCCCCCCCCC", up, DiminishingCold},
		{"oscillating cold", "..H...C....C", flat, OscillatingCold},
		{"historical cold", "CCCCCCCCCCC.", flat, HistoricalCold},
		{"hot last wins over cold history", "CCCCCCCCCCCH", up, OscillatingHot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ClassifyEmerging(bins(tc.pattern), tc.trend)
			if err != nil {
				t.Fatal(err)
			}
			if e.Category != tc.want {
				t.Errorf("%s: got %s, want %s", tc.pattern, e.Category, tc.want)
			}
		})
	}
	if _, err := ClassifyEmerging(nil, flat); !errors.Is(err, lagesbild.ErrInvalid) {
		t.Errorf("no bins: %v", err)
	}
}

func TestEmergingHotSpotsFindsNewAndPersistent(t *testing.T) {
	// A 12 × 12 lattice over 12 months with a varied low background. Cell (3, 3) and its
	// neighbours are high every month (persistent), the block around (8, 8) only in the last
	// month (new).
	const rows, cols, steps = 12, 12, 12
	nb := queenGrid(rows, cols)
	r := rand.New(rand.NewPCG(1, 2))
	values := make([][]float64, steps)
	for s := range steps {
		values[s] = make([]float64, rows*cols)
		for i := range values[s] {
			values[s][i] = float64(r.IntN(3))
		}
		for dr := -1; dr <= 1; dr++ {
			for dc := -1; dc <= 1; dc++ {
				values[s][(3+dr)*cols+3+dc] = 12
				if s == steps-1 {
					values[s][(8+dr)*cols+8+dc] = 12
				}
			}
		}
	}
	out, err := EmergingHotSpots(values, nb)
	if err != nil {
		t.Fatal(err)
	}
	if got := out[3*cols+3].Category; got != PersistentHot && got != IntensifyingHot && got != DiminishingHot {
		t.Errorf("cell (3,3): %s, want a ≥ 90 %% hot category", got)
	}
	if got := out[8*cols+8]; got.Category != NewHotSpot || got.HotSteps != 1 {
		t.Errorf("cell (8,8): %+v, want new_hot_spot", got)
	}
	if got := out[0].Category; got.Hot() {
		t.Errorf("corner: %s", got)
	}
	if _, err := EmergingHotSpots(values[:11], nb); !errors.Is(err, lagesbild.ErrInvalid) {
		t.Errorf("11 steps: %v", err)
	}
}

// knoxExample is the hand-computed example: A (0, 0) day 0, B (50, 0) day 3, C (1000, 0) day
// 100, D (1000, 60) day 200; bands of 100 m (one) and 7 days (one). Pairs: AB 50 m 3 d; CD 60 m
// 100 d; AC, AD, BC, BD beyond 100 m and 7 d.
var knoxExample = []KnoxEvent{{0, 0, 0}, {50, 0, 3}, {1000, 0, 100}, {1000, 60, 200}}

func TestKnoxHandComputed(t *testing.T) {
	k, err := KnoxTest(knoxExample, KnoxParams{SpaceBandM: 100, SpaceBands: 1, TimeBandDays: 7, TimeBands: 1, Permutations: 999, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	if k.Rows != 3 || k.Cols != 2 || k.Pairs != 6 {
		t.Fatalf("table %d × %d, %d pairs", k.Rows, k.Cols, k.Pairs)
	}
	obs := [][]int{{0, 0}, {1, 1}, {0, 4}}
	for r := range 3 {
		for c := range 2 {
			if got := k.Cell(r, c).Observed; got != obs[r][c] {
				t.Errorf("observed (%d, %d) = %d, want %d", r, c, got, obs[r][c])
			}
		}
	}
	// Under a random assignment of the four days, only the day pair {0, 3} is within 7 days;
	// a given pair of places gets it with probability 2/12 = 1/6, so the close row's first
	// cell expects 2/6 = 1/3 and is ≥ 1 with probability 1/3 (AB and CD cannot both get it).
	// The column totals are fixed (one pair within 7 days), so the further row expects 2/3.
	c := k.Cell(1, 0)
	if !near(c.Expected, 1.0/3, 0.05) || !near(c.Ratio, 3, 0.5) || !near(c.P, 1.0/3, 0.05) {
		t.Errorf("close, within 7 days: %+v, want expected 1/3, ratio 3, p 1/3", c)
	}
	if f := k.Cell(2, 0); !near(f.Expected+c.Expected+k.Cell(0, 0).Expected, 1, 1e-12) {
		t.Errorf("column total %g, want 1", f.Expected+c.Expected)
	}
	if c := k.Cell(0, 0); c.Observed != 0 || c.Expected != 0 || !math.IsNaN(c.Ratio) || c.P != 1 {
		t.Errorf("same location: %+v, want nothing, ratio NaN, p 1", c)
	}
	if c := k.Cell(1, 0); c.SpaceFromM != 0 || c.SpaceToM != 100 || c.TimeFromDays != -1 || c.TimeToDays != 7 {
		t.Errorf("bounds: %+v", c)
	}
	if c := k.Cell(2, 1); !math.IsInf(c.SpaceToM, 1) || c.TimeToDays != -1 || c.TimeFromDays != 7 {
		t.Errorf("bounds of the last cell: %+v", c)
	}
}

func TestKnoxReproducibleAndBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	events := make([]KnoxEvent, 300)
	for i := range events {
		events[i] = KnoxEvent{X: 1000 * r.Float64(), Y: 1000 * r.Float64(), Day: r.IntN(365)}
	}
	// A near-repeat series: 20 events within 50 m and 10 days.
	for i := range 20 {
		events[i] = KnoxEvent{X: 500 + 50*r.Float64(), Y: 500 + 50*r.Float64(), Day: 100 + r.IntN(10)}
	}
	p := KnoxParams{SpaceBandM: 100, SpaceBands: 3, TimeBandDays: 14, TimeBands: 3, Permutations: 199, Seed: 2026}
	a, err := KnoxTest(events, p)
	if err != nil {
		t.Fatal(err)
	}
	prev := runtime.GOMAXPROCS(1)
	b, err := KnoxTest(events, p)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fmtCells(a), fmtCells(b)) {
		t.Error("the same seed gave different results on 1 and more cores")
	}
	// Brute force over every pair for the observed counts.
	want := make([]int, a.Rows*a.Cols)
	for i := range events {
		for j := i + 1; j < len(events); j++ {
			d := math.Hypot(events[i].X-events[j].X, events[i].Y-events[j].Y)
			row := a.Rows - 1
			if d == 0 {
				row = 0
			} else if d <= 300 {
				row = int(math.Ceil(d / 100))
			}
			dt := events[i].Day - events[j].Day
			if dt < 0 {
				dt = -dt
			}
			col := min(max(int(math.Ceil(float64(dt)/14))-1, 0), 3)
			want[row*a.Cols+col]++
		}
	}
	for i, c := range a.Cells {
		if c.Observed != want[i] {
			t.Errorf("cell %d: observed %d, brute force %d", i, c.Observed, want[i])
		}
	}
	// The series makes the closest cell significant at the smallest p the runs allow.
	if c := a.Cell(1, 0); c.P != 1.0/200 || c.Ratio < 2 {
		t.Errorf("0–100 m, 0–14 days: %+v, want p = 1/200 and a high ratio", c)
	}
	p.Seed++
	c, _ := KnoxTest(events, p)
	if reflect.DeepEqual(fmtCells(a), fmtCells(c)) {
		t.Error("another seed gave identical expected counts")
	}
}

func fmtCells(k Knox) []float64 {
	var out []float64
	for _, c := range k.Cells {
		out = append(out, float64(c.Observed), c.Expected, c.P)
	}
	return out
}

func TestKnoxParams(t *testing.T) {
	ok := KnoxParams{SpaceBandM: 100, SpaceBands: 5, TimeBandDays: 7, TimeBands: 4, Permutations: 99}
	for name, mod := range map[string]func(*KnoxParams){
		"space_band_m": func(p *KnoxParams) { p.SpaceBandM = 0 },
		"space_bands":  func(p *KnoxParams) { p.SpaceBands = 21 },
		"time_band":    func(p *KnoxParams) { p.TimeBandDays = 0 },
		"time_bands":   func(p *KnoxParams) { p.TimeBands = 0 },
		"permutations": func(p *KnoxParams) { p.Permutations = 1000 },
		"few perms":    func(p *KnoxParams) { p.Permutations = 10 },
		"nan band":     func(p *KnoxParams) { p.SpaceBandM = math.NaN() },
	} {
		p := ok
		mod(&p)
		if _, err := KnoxTest(knoxExample, p); !errors.Is(err, lagesbild.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := KnoxTest(knoxExample[:1], ok); !errors.Is(err, lagesbild.ErrInvalid) {
		t.Errorf("one event: %v", err)
	}
}

func TestDiffInDiffHandComputed(t *testing.T) {
	// Target 100 → 60, controls 200 → 180, buffer 50 → 40.
	// RR = (60/100)/(180/200) = 2/3; se = √(1/60 + 1/100 + 1/180 + 1/200) = 0.192931;
	// 95 %: exp(ln(2/3) ± 1.959964·0.192931) = (0.456758, 0.973042); z = 2.10161, p = 0.035587.
	// Success measure 60/180 − 100/200 = −1/6; buffer 40/180 − 50/200 = −1/36; WDQ = 1/6
	// (diffusion of benefits); total net effect (100·0.9 − 60) + (50·0.9 − 40) = 35.
	e, err := DiffInDiff(EffectCounts{TargetBefore: 100, TargetAfter: 60, BufferBefore: 50, BufferAfter: 40, ControlBefore: 200, ControlAfter: 180})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"ratio", e.RatioOfRatios, 2.0 / 3}, {"lower", e.Lower, 0.4567577276402813}, {"upper", e.Upper, 0.9730419816661883},
		{"p", e.P, 0.03558736308499433}, {"percent", e.PercentChange, -100.0 / 3}, {"expected", e.ExpectedTarget, 90},
		{"success", e.SuccessMeasure, -1.0 / 6}, {"buffer", e.BufferChange, -1.0 / 36}, {"wdq", e.WDQ, 1.0 / 6},
		{"tne", e.TotalNetEffect, 35},
	} {
		if !near(c.got, c.want, 1e-9) {
			t.Errorf("%s = %.12g, want %.12g", c.name, c.got, c.want)
		}
	}
	if !e.WDQDefined || e.Corrected {
		t.Errorf("flags: %+v", e)
	}
	// A zero target count: ½ added everywhere. (0.5/10.5)/(180.5/200.5) = 0.0528954.
	e, err = DiffInDiff(EffectCounts{TargetBefore: 10, TargetAfter: 0, ControlBefore: 200, ControlAfter: 180})
	if err != nil || !e.Corrected || !near(e.RatioOfRatios, 0.0528953963857011, 1e-12) || !near(e.Upper, 0.9091139248354065, 1e-9) {
		t.Errorf("zero target: %+v %v", e, err)
	}
	// The target rose against the controls: no WDQ.
	e, _ = DiffInDiff(EffectCounts{TargetBefore: 10, TargetAfter: 20, BufferBefore: 5, BufferAfter: 5, ControlBefore: 100, ControlAfter: 100})
	if e.WDQDefined || !math.IsNaN(e.WDQ) {
		t.Errorf("WDQ defined for a rise: %+v", e)
	}
	if _, err := DiffInDiff(EffectCounts{TargetBefore: 10, TargetAfter: 5, ControlBefore: 0, ControlAfter: 3}); !errors.Is(err, lagesbild.ErrInvalid) {
		t.Errorf("no controls before: %v", err)
	}
	if _, err := DiffInDiff(EffectCounts{TargetBefore: -1, ControlBefore: 1, ControlAfter: 1}); !errors.Is(err, lagesbild.ErrInvalid) {
		t.Errorf("negative: %v", err)
	}
}

func TestChooseControls(t *testing.T) {
	// Target: 10 a month, flat. Candidates: same (distance 0), double (ln(120.5/60.5)·… level
	// only), rising (same total, a slope), and one of another length (an error).
	target := []float64{10, 10, 10, 10, 10, 10}
	cands := []ControlCandidate{
		{ID: "double", Before: []float64{20, 20, 20, 20, 20, 20}},
		{ID: "same", Before: []float64{10, 10, 10, 10, 10, 10}},
		{ID: "rising", Before: []float64{5, 7, 9, 11, 13, 15}},
	}
	chosen, all, err := ChooseControls(target, cands, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || len(chosen) != 2 || chosen[0].ID != "same" || chosen[0].Distance != 0 {
		t.Fatalf("chosen %+v of %+v", chosen, all)
	}
	// double: |ln(120.5/60.5)| = 0.689; rising: level 0 (60 events), slope of ln(x+½) ≈ 0.2,
	// 12·0.2 ≈ 2.4 → double is closer.
	if !near(all[1].LevelDiff, math.Log(120.5/60.5), 1e-12) || all[1].ID != "double" || all[2].ID != "rising" {
		t.Errorf("order %+v", all)
	}
	if _, _, err := ChooseControls(target, []ControlCandidate{{ID: "short", Before: []float64{1}}}, 1); !errors.Is(err, lagesbild.ErrInvalid) {
		t.Errorf("length: %v", err)
	}
}
