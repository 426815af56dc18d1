package risk

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// Limits of the Knox test.
const (
	// MaxKnoxPermutations bounds the Monte Carlo runs (the Near Repeat Calculator offers up to
	// 999); MinKnoxPermutations is the fewest that can give p ≤ 0.05.
	MaxKnoxPermutations = 999
	MinKnoxPermutations = 19
	// MaxKnoxBands bounds the number of space and of time bands.
	MaxKnoxBands = 20
	// MaxKnoxEvents bounds the events of one test.
	MaxKnoxEvents = 20000
	// MaxKnoxClosePairs bounds the pairs within the last space band that every permutation
	// re-counts: 5 million pairs × 999 permutations is about the work of a few seconds.
	MaxKnoxClosePairs = 5_000_000
)

// KnoxEvent is one incident for the Knox test: a position in metres (a projected CRS such as
// SWEREF 99 TM) and the day it happened, as whole days since any fixed origin.
type KnoxEvent struct {
	X, Y float64
	Day  int
}

// KnoxParams are the bands and the Monte Carlo set-up, as in Ratcliffe's Near Repeat
// Calculator: SpaceBands bands of SpaceBandM metres after a "same location" band and before a
// "further" band, and TimeBands bands of TimeBandDays days before a "later" band.
type KnoxParams struct {
	SpaceBandM   float64
	SpaceBands   int
	TimeBandDays int
	TimeBands    int
	Permutations int
	Seed         uint64
}

// KnoxCell is one space band × time band of the Knox table.
type KnoxCell struct {
	// SpaceFromM < distance ≤ SpaceToM; the same-location band is 0–0, the last band has
	// SpaceToM +Inf. Likewise TimeFromDays < days apart ≤ TimeToDays, the first band from 0
	// inclusive (−1 < d), the last with TimeToDays −1 for "no upper limit".
	SpaceFromM, SpaceToM     float64
	TimeFromDays, TimeToDays int
	Observed                 int
	// Expected is the mean count over the permutations.
	Expected float64
	// Ratio is Observed/Expected (the Knox ratio); NaN when Expected is 0.
	Ratio float64
	// P is the Monte Carlo p-value of observing this many pairs or more: (1 + the number of
	// permutations with at least as many) / (permutations + 1), i.e. the observed count's rank
	// among all runs divided by n + 1.
	P float64
}

// Knox is the result of a Knox test.
type Knox struct {
	Events, Pairs int
	Params        KnoxParams
	// Cells are row-major: SpaceBands + 2 rows (same location, the bands, further) of
	// TimeBands + 1 columns (the bands, later).
	Cells []KnoxCell
	Rows  int
	Cols  int
}

// Cell returns the cell of space row r and time column c.
func (k Knox) Cell(r, c int) KnoxCell { return k.Cells[r*k.Cols+c] }

// CheckKnoxParams validates p and names the parameter at fault.
func CheckKnoxParams(p KnoxParams) error {
	const op = "Knox test"
	switch {
	case !(p.SpaceBandM > 0) || p.SpaceBandM > 100_000:
		return invalid(op, "space_band_m", "must be above 0 and at most 100000 metres, got %g", p.SpaceBandM)
	case p.SpaceBands < 1 || p.SpaceBands > MaxKnoxBands:
		return invalid(op, "space_bands", "must be 1 to %d, got %d", MaxKnoxBands, p.SpaceBands)
	case p.TimeBandDays < 1 || p.TimeBandDays > 365:
		return invalid(op, "time_band_days", "must be 1 to 365 days, got %d", p.TimeBandDays)
	case p.TimeBands < 1 || p.TimeBands > MaxKnoxBands:
		return invalid(op, "time_bands", "must be 1 to %d, got %d", MaxKnoxBands, p.TimeBands)
	case p.Permutations < MinKnoxPermutations || p.Permutations > MaxKnoxPermutations:
		return invalid(op, "permutations", "must be %d to %d, got %d", MinKnoxPermutations, MaxKnoxPermutations, p.Permutations)
	}
	return nil
}

// KnoxTest runs the Knox test for space-time clustering with Monte Carlo permutations, the
// method of Ratcliffe's Near Repeat Calculator (Johnson et al. 2007): every pair of events is
// counted in the cell of its distance band and its band of days apart; the expected counts come
// from permutations that keep the places and shuffle the days among them (so any purely spatial
// or purely temporal clustering is kept and only their interaction is tested). A cell's Knox
// ratio is observed/expected, and its p-value the observed count's rank among the permutations.
//
// The permutations are reproducible: permutation k draws from a PCG generator seeded with
// (Seed, k), so the result depends on Seed only, not on the number of cores. Only pairs within
// the last space band are re-counted per permutation: the days-apart of all pairs together do
// not change under a permutation, so the "further" row is each column's fixed total minus the
// rows above it.
func KnoxTest(events []KnoxEvent, p KnoxParams) (Knox, error) {
	const op = "Knox test"
	if err := CheckKnoxParams(p); err != nil {
		return Knox{}, err
	}
	n := len(events)
	if n < 2 || n > MaxKnoxEvents {
		return Knox{}, invalid(op, "events", "need 2 to %d events, got %d", MaxKnoxEvents, n)
	}
	minDay, maxDay := events[0].Day, events[0].Day
	for i, e := range events {
		if math.IsNaN(e.X) || math.IsNaN(e.Y) || math.IsInf(e.X, 0) || math.IsInf(e.Y, 0) {
			return Knox{}, invalid(op, "events", "event %d has no finite position", i)
		}
		minDay, maxDay = min(minDay, e.Day), max(maxDay, e.Day)
	}
	if maxDay-minDay > 100*366 {
		return Knox{}, invalid(op, "events", "span %d days, more than 100 years", maxDay-minDay)
	}
	rows, cols := p.SpaceBands+2, p.TimeBands+1
	// timeBand[d] is the column of a pair d days apart: [0, w] → 0, (w, 2w] → 1, …, later.
	timeBand := make([]uint8, maxDay-minDay+1)
	for d := range timeBand {
		b := 0
		if d > p.TimeBandDays {
			b = (d + p.TimeBandDays - 1) / p.TimeBandDays // ⌈d/w⌉
			b--
		}
		timeBand[d] = uint8(min(b, p.TimeBands))
	}
	maxM := p.SpaceBandM * float64(p.SpaceBands)
	// The close pairs, found through a grid of cells of the last band's radius, kept compact
	// because every permutation streams through them: grouped by their first event i (the
	// pairs of i are partner[start[i]:start[i+1]], with their space rows in band), partners as
	// 16-bit indices (at most MaxKnoxEvents events) — 3 bytes a pair.
	start := make([]int32, n+1)
	var partner []uint16
	var band []uint8
	cellOf := func(e KnoxEvent) [2]int64 {
		return [2]int64{int64(math.Floor(e.X / maxM)), int64(math.Floor(e.Y / maxM))}
	}
	buckets := map[[2]int64][]int32{}
	for i, e := range events {
		c := cellOf(e)
		buckets[c] = append(buckets[c], int32(i))
	}
	for i, e := range events {
		start[i] = int32(len(partner))
		c := cellOf(e)
		for dx := int64(-1); dx <= 1; dx++ {
			for dy := int64(-1); dy <= 1; dy++ {
				for _, j := range buckets[[2]int64{c[0] + dx, c[1] + dy}] {
					if int(j) <= i {
						continue
					}
					f := events[j]
					d := math.Hypot(f.X-e.X, f.Y-e.Y)
					if d > maxM {
						continue
					}
					b := 0
					if d > 0 {
						b = min(int(math.Ceil(d/p.SpaceBandM)), p.SpaceBands)
					}
					partner = append(partner, uint16(j))
					band = append(band, uint8(b))
					if len(partner) > MaxKnoxClosePairs {
						return Knox{}, invalid(op, "events", "more than %d pairs lie within %g m; narrow the area, period or bands",
							MaxKnoxClosePairs, maxM)
					}
				}
			}
		}
	}
	start[n] = int32(len(partner))
	// Every pair's column, for the fixed column totals (O(n²) once, cheap next to the
	// permutations).
	colTotal := make([]int, cols)
	// Days since the first event fit 16 bits (at most 100 years): the permuted days of 20 000
	// events then stay in the first-level cache, which the random reads of the pairs need.
	days := make([]uint16, n)
	for i, e := range events {
		days[i] = uint16(e.Day - minDay)
	}
	span := maxDay - minDay
	// signedBand[d + span] is the column of a signed difference d: no branch on the sign in the
	// inner loop, where a mispredicted one would cost more than the rest of the work.
	signedBand := make([]uint8, 2*span+1)
	for d := -span; d <= span; d++ {
		signedBand[d+span] = timeBand[max(d, -d)]
	}
	for i := range n {
		di := days[i]
		for j := i + 1; j < n; j++ {
			colTotal[signedBand[int(days[j])-int(di)+span]]++
		}
	}
	closeRows := rows - 1
	last := cols - 1
	// The close pairs of each space row do not change under a permutation either; most of
	// them fall in the "later" column, so only the others are counted and "later" is the row's
	// total minus them (an increment per pair would stall on the few counters it hits).
	rowTotal := make([]int, closeRows)
	for _, b := range band {
		rowTotal[b]++
	}
	// count fills out (rows × cols) with the pairs per cell for the days given: the close rows
	// from the close pairs, the further row as each column's total minus the close rows.
	count := func(days []uint16, out []int) {
		clear(out)
		for i := range n {
			di := int(days[i]) + span
			lo, hi := start[i], start[i+1]
			for k, j := range partner[lo:hi] {
				if c := int(signedBand[di-int(days[j])]); c < last {
					out[int(band[int(lo)+k])*cols+c]++
				}
			}
		}
		for r := range closeRows {
			v := rowTotal[r]
			for c := range last {
				v -= out[r*cols+c]
			}
			out[r*cols+last] = v
		}
		for c := range cols {
			v := colTotal[c]
			for r := range closeRows {
				v -= out[r*cols+c]
			}
			out[closeRows*cols+c] = v
		}
	}
	cells := rows * cols
	observed := make([]int, cells)
	count(days, observed)

	// Permutations in parallel, each from its own seeded stream.
	sums := make([]float64, cells)
	atLeast := make([]int, cells)
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan int, p.Permutations)
	for k := range p.Permutations {
		next <- k
	}
	close(next)
	for range min(runtime.GOMAXPROCS(0), p.Permutations) {
		wg.Go(func() {
			perm := make([]uint16, n)
			got := make([]int, cells)
			sum := make([]float64, cells)
			ge := make([]int, cells)
			for k := range next {
				copy(perm, days)
				r := rand.New(rand.NewPCG(p.Seed, uint64(k)))
				r.Shuffle(n, func(a, b int) { perm[a], perm[b] = perm[b], perm[a] })
				count(perm, got)
				for c, v := range got {
					sum[c] += float64(v)
					if v >= observed[c] {
						ge[c]++
					}
				}
			}
			mu.Lock()
			for c := range sums {
				sums[c] += sum[c]
				atLeast[c] += ge[c]
			}
			mu.Unlock()
		})
	}
	wg.Wait()

	out := Knox{Events: n, Pairs: n * (n - 1) / 2, Params: p, Rows: rows, Cols: cols, Cells: make([]KnoxCell, cells)}
	perms := float64(p.Permutations)
	for r := range rows {
		for c := range cols {
			cell := KnoxCell{TimeFromDays: c * p.TimeBandDays, TimeToDays: (c + 1) * p.TimeBandDays}
			if c == 0 {
				cell.TimeFromDays = -1
			}
			if c == cols-1 {
				cell.TimeToDays = -1
			}
			switch {
			case r == 0:
				cell.SpaceFromM, cell.SpaceToM = 0, 0
			case r == rows-1:
				cell.SpaceFromM, cell.SpaceToM = maxM, math.Inf(1)
			default:
				cell.SpaceFromM, cell.SpaceToM = float64(r-1)*p.SpaceBandM, float64(r)*p.SpaceBandM
			}
			i := r*cols + c
			cell.Observed = observed[i]
			cell.Expected = sums[i] / perms
			cell.P = float64(1+atLeast[i]) / (perms + 1)
			out.Cells[i] = cell
		}
	}
	for i := range out.Cells {
		c := &out.Cells[i]
		c.Ratio = math.NaN()
		if c.Expected > 0 {
			c.Ratio = float64(c.Observed) / c.Expected
		}
	}
	return out, nil
}
