package risk

import (
	"errors"
	"math"
	"testing"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// FuzzSuppressProfiles checks the properties the time profiles promise on arbitrary counts of
// three groups (the last sensitive): no shown number is 1–4, a sensitive group with events is
// hidden, and no linked table is left with exactly one hidden number (counting its total).
func FuzzSuppressProfiles(f *testing.F) {
	f.Add([]byte{7, 20, 0, 5}, []byte{0, 1, 0, 0})
	f.Add([]byte{3, 10, 1, 1, 9, 200}, []byte{5, 6, 7, 8, 9, 10})
	f.Fuzz(func(t *testing.T, raw, slots []byte) {
		counts := make([][ProfileSlots]int, 3)
		for k, b := range raw {
			s := 0
			if k < len(slots) {
				s = int(slots[k]) % ProfileSlots
			}
			counts[k%3][s] += int(b % 32)
		}
		sensitive := []bool{false, false, true}
		sup, err := SuppressProfiles(counts, sensitive)
		if err != nil {
			t.Fatal(err)
		}
		var total [ProfileSlots]int
		groupTotals := make([]int, 3)
		all := 0
		for g := range counts {
			for s, n := range counts[g] {
				total[s] += n
				groupTotals[g] += n
				all += n
			}
		}
		small := func(n int, hidden bool) bool { return !hidden && n >= 1 && n <= 4 }
		single := func(tot bool, parts ...bool) bool {
			k := 0
			if tot {
				k++
			}
			for _, p := range parts {
				if p {
					k++
				}
			}
			return k == 1
		}
		for g := range counts {
			if sensitive[g] && groupTotals[g] > 0 && !sup.GroupTotals[g] {
				t.Fatalf("sensitive group %d shown", g)
			}
			if small(groupTotals[g], sup.GroupTotals[g]) {
				t.Fatalf("group %d count %d shown", g, groupTotals[g])
			}
			if single(sup.GroupTotals[g], sup.Slots[g][:]...) {
				t.Fatalf("group %d's slots have one hidden number", g)
			}
		}
		if small(all, sup.All) || single(sup.All, sup.Total[:]...) || single(sup.All, sup.GroupTotals...) {
			t.Fatal("the total's table or the group counts have one hidden number, or a small total is shown")
		}
		for s := range ProfileSlots {
			parts := []bool{sup.Slots[0][s], sup.Slots[1][s], sup.Slots[2][s]}
			if single(sup.Total[s], parts...) || small(total[s], sup.Total[s]) {
				t.Fatalf("slot %d across groups has one hidden number or a small total", s)
			}
			for g := range counts {
				if small(counts[g][s], sup.Slots[g][s]) || (sensitive[g] && counts[g][s] > 0 && !sup.Slots[g][s]) {
					t.Fatalf("group %d slot %d: %d shown", g, s, counts[g][s])
				}
			}
		}
	})
}

// FuzzKnox checks on small arbitrary event sets that the Knox test never panics, that the
// observed counts add up to all pairs and that the expected counts of each time column add up
// to the column's fixed total.
func FuzzKnox(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 3, 50, 0, 100, 50, 1, 200}, uint64(1))
	f.Fuzz(func(t *testing.T, raw []byte, seed uint64) {
		var events []KnoxEvent
		for k := 0; k+2 < len(raw) && len(events) < 60; k += 3 {
			events = append(events, KnoxEvent{X: 10 * float64(raw[k]), Y: 10 * float64(raw[k+1]), Day: int(raw[k+2])})
		}
		p := KnoxParams{SpaceBandM: 100, SpaceBands: 3, TimeBandDays: 7, TimeBands: 2, Permutations: MinKnoxPermutations, Seed: seed}
		k, err := KnoxTest(events, p)
		if err != nil {
			if !errors.Is(err, lagesbild.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		obs := 0
		for c := range k.Cols {
			colObs, colExp := 0, 0.0
			for r := range k.Rows {
				cell := k.Cell(r, c)
				if cell.Observed < 0 || cell.Expected < -1e-9 || !(cell.P > 0 && cell.P <= 1) {
					t.Fatalf("cell (%d, %d): %+v", r, c, cell)
				}
				colObs += cell.Observed
				colExp += cell.Expected
			}
			if math.Abs(colExp-float64(colObs)) > 1e-6 {
				t.Fatalf("column %d: observed %d, expected %g in total", c, colObs, colExp)
			}
			obs += colObs
		}
		if obs != k.Pairs {
			t.Fatalf("%d pairs counted of %d", obs, k.Pairs)
		}
	})
}
