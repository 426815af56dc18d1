package summary

import (
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/paulmach/orb/geojson"

	"github.com/lagesbild/lagesbild/internal/hexgrid"
	"github.com/lagesbild/lagesbild/internal/risk"
)

// areaCellIndex maps the list's res-8 area cells by area.
func areaCellIndex(areaCells []AreaCell) map[string][]uint64 {
	cellsOf := map[string][]uint64{}
	for _, ac := range areaCells {
		cellsOf[ac.AreaID] = append(cellsOf[ac.AreaID], ac.Cell)
	}
	return cellsOf
}

// hotCell is one res-8 cell of an area that Gi* calls hot: its z-score, its Benjamini–Hochberg
// adjusted p-value and the confidence level (90, 95 or 99) that p reaches.
type hotCell struct {
	cell  uint64
	z, p  float64
	level int
}

// hotSpots runs Gi* on the res-8 grid of every kommun with an area of the list and returns, by
// area, the hot shares and the hot cells among the area's cells, and, by kommun, the cells read
// for its grid (cells: those with incidents and the areas' cells), from which the per-group hot
// spots build the same grid.
//
// The grid of a kommun is its cells with incidents, their ring-1 neighbours and the cells of
// all of the list's areas in it, all without incidents counted as 0: the whole H3 cover of a
// kommun would mostly be forest and water, which would make every built-up cell look hot. It is
// read whole, whoever asks (Gi* over the whole kommun grid, not clipped to the caller's cells),
// so an area's hot spots are the same for every caller who may see it; only the results of the
// cells of areas the caller may see (cellsOf) leave this function.
func (s *Service) hotSpots(areas []AreaInfo, cells []CellCount, cellsOf map[string][]uint64) (map[string]HotSpots, map[string][]hotCell, map[string][]uint64) {
	byKommun := map[string]map[uint64]float64{}
	gridCells := map[string][]uint64{}
	for _, c := range cells {
		if byKommun[c.Kommun] == nil {
			byKommun[c.Kommun] = map[uint64]float64{}
		}
		gridCells[c.Kommun] = append(gridCells[c.Kommun], c.Cell)
		if c.N > 0 {
			byKommun[c.Kommun][c.Cell] += float64(c.N)
		}
	}
	for _, a := range areas {
		if byKommun[a.KommunCode] == nil {
			byKommun[a.KommunCode] = map[uint64]float64{}
		}
	}
	// The kommuner are independent: use every core (a national list has tens of thousands of
	// cells, most of the CPU time of a summary once the aggregates are read).
	kommuner := slices.Sorted(maps.Keys(byKommun))
	grids := make([]kommunGrid, len(kommuner))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, k := range kommuner {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			g := newGrid(byKommun[k], gridCells[k])
			grids[i] = kommunGrid{hot: g.hot(g.values(byKommun[k])), size: len(g.ids)}
		})
	}
	wg.Wait()
	results := map[string]map[uint64]risk.HotSpot{}
	sizes := map[string]int{}
	for i, k := range kommuner {
		sizes[k] = grids[i].size
		if grids[i].hot != nil {
			results[k] = grids[i].hot
		}
	}
	out := map[string]HotSpots{}
	hot := map[string][]hotCell{}
	for _, a := range areas {
		h := HotSpots{Resolution: HotSpotRes, AreaCells: len(cellsOf[a.ID]), KommunCells: sizes[a.KommunCode]}
		res, ok := results[a.KommunCode]
		if !ok || len(cellsOf[a.ID]) == 0 {
			h.Reason = ReasonNoCells
			out[a.ID] = h
			continue
		}
		s90, s95, s99 := hotShares(res, cellsOf[a.ID])
		h.Share90, h.Share95, h.Share99 = ptr(s90), ptr(s95), ptr(s99)
		out[a.ID] = h
		hot[a.ID] = hotCellsOf(res, cellsOf[a.ID])
	}
	return out, hot, gridCells
}

// hotCellsOf returns the cells of cells (an area's) that res calls hot, in ascending order.
func hotCellsOf(res map[uint64]risk.HotSpot, cells []uint64) []hotCell {
	out := []hotCell{}
	for _, c := range slices.Compact(slices.Sorted(slices.Values(cells))) {
		if hs := res[c]; hs.Hot {
			out = append(out, hotCell{cell: c, z: hs.Z, p: hs.PAdjusted, level: hs.Confidence})
		}
	}
	return out
}

// hotCellFeatures returns the hot cells as a GeoJSON FeatureCollection of their H3 polygons,
// with the cell (h3, hexadecimal), its z-score (z), adjusted p-value (p) and confidence level
// (level: 90, 95 or 99) as properties and no counts.
func hotCellFeatures(cells []hotCell) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, c := range cells {
		f := geojson.NewFeature(hexgrid.Boundary(c.cell))
		f.Properties = geojson.Properties{"h3": fmt.Sprintf("%x", c.cell), "z": round4(c.z), "p": round4(c.p), "level": c.level}
		fc.Append(f)
	}
	return fc
}

// round4 rounds x to four decimals for publication.
func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// hotShares returns the shares of cells (not empty) that res calls hot at 90, 95 and 99 %.
func hotShares(res map[uint64]risk.HotSpot, cells []uint64) (s90, s95, s99 float64) {
	var n90, n95, n99 int
	for _, c := range cells {
		hs := res[c]
		if !hs.Hot {
			continue
		}
		n90++
		if hs.Confidence >= 95 {
			n95++
		}
		if hs.Confidence >= 99 {
			n99++
		}
	}
	total := float64(len(cells))
	return float64(n90) / total, float64(n95) / total, float64(n99) / total
}

// groupHotSpots runs Gi* once for each group of sm.Groups (the sensitive groups are not among
// them) on the grid of the area's kommun, with that group's counts per cell. The grid is the
// one the total uses: the kommun's cells with incidents of any group, their ring-1 neighbours
// and the cells of the list's areas in the kommun (kommunCells: the cells of the total's grid
// read with the counts), so the shares of the groups and of the total describe the same
// surroundings, the same for every caller. cells are the area's own cells; counts the
// kommun's incidents per cell and group in the period.
func groupHotSpots(sm *Summary, cells, kommunCells []uint64, counts []GroupCellCount) []GroupHotSpots {
	all := map[uint64]float64{}
	byGroup := map[string]map[uint64]float64{}
	kommunN := map[string]int{}
	for _, c := range counts {
		if c.N <= 0 {
			continue
		}
		all[c.Cell] += float64(c.N)
		if byGroup[c.Group] == nil {
			byGroup[c.Group] = map[uint64]float64{}
		}
		byGroup[c.Group][c.Cell] += float64(c.N)
		kommunN[c.Group] += c.N
	}
	var g *grid
	if len(cells) > 0 {
		g = newGrid(all, kommunCells)
	}
	out := make([]GroupHotSpots, 0, len(sm.Groups))
	for _, gs := range sm.Groups {
		h := GroupHotSpots{Group: gs.Group, Label: gs.Label}
		reason := groupHotSpotReason(gs.Count, kommunN[gs.Group], len(cells))
		if reason == "" {
			if res := g.hot(g.values(byGroup[gs.Group])); res != nil {
				s90, s95, s99 := hotShares(res, cells)
				h.Share90, h.Share95, h.Share99 = value(s90), value(s95), value(s99)
			} else {
				reason = ReasonNotEstimable
			}
		}
		if reason != "" {
			h.Share90, h.Share95, h.Share99 = withheld(reason), withheld(reason), withheld(reason)
		}
		out = append(out, h)
	}
	return out
}

// groupHotSpotReason says why a group's hot-spot shares must not be shown ("" when they may):
// the area has no cells, or the group's count in the area is hidden or, like its count in the
// kommun, below risk.MinRateCount, the threshold of every derived number. With so few events
// Gi* calls hot whatever cells a handful of them fall in. Population does not enter: a share of
// cells has no population in it.
func groupHotSpotReason(count Indicator, kommunN, areaCells int) string {
	switch {
	case areaCells == 0:
		return ReasonNoCells
	case count.Value == nil:
		return ReasonCountHidden
	case *count.Value < risk.MinRateCount:
		return risk.ReasonFewEvents
	case kommunN < risk.MinRateCount:
		return ReasonFewKommunEvents
	}
	return ""
}

// kommunGrid is the Gi* result of one kommun: hot is nil when Gi* could not be computed.
type kommunGrid struct {
	hot  map[uint64]risk.HotSpot
	size int
}

// grid is the hot-spot grid of one kommun: its cells in ascending order and, for each, the
// indices of its ring-1 neighbours on the grid.
type grid struct {
	ids []uint64
	nb  [][]int
}

// newGrid builds the grid of the cells with incidents (the keys of values), their ring-1
// neighbours and extra (the areas' cells).
func newGrid(values map[uint64]float64, extra []uint64) *grid {
	cells := make(map[uint64]struct{}, 4*len(values))
	rings := make(map[uint64][]uint64, len(values))
	for c := range values {
		cells[c] = struct{}{}
		if ring, err := hexgrid.Ring1(c); err == nil {
			rings[c] = ring
			for _, r := range ring {
				cells[r] = struct{}{}
			}
		}
	}
	for _, c := range extra {
		cells[c] = struct{}{}
	}
	ids := slices.Sorted(maps.Keys(cells))
	index := make(map[uint64]int, len(ids))
	for i, c := range ids {
		index[c] = i
	}
	nb := make([][]int, len(ids))
	all := make([]int, 0, 7*len(ids)) // one backing array: a ring has at most 7 cells
	for i, c := range ids {
		ring, ok := rings[c]
		if !ok {
			ring, _ = hexgrid.Ring1(c)
		}
		from := len(all)
		for _, r := range ring {
			if j, ok := index[r]; ok {
				all = append(all, j)
			}
		}
		nb[i] = all[from:len(all):len(all)]
	}
	return &grid{ids: ids, nb: nb}
}

// values returns the value of each cell of the grid in m, 0 for a cell not in m.
func (g *grid) values(m map[uint64]float64) []float64 {
	xs := make([]float64, len(g.ids))
	for i, c := range g.ids {
		xs[i] = m[c]
	}
	return xs
}

// hot runs Gi* on the grid with the values xs and returns each cell's result, or nil when Gi*
// cannot be computed (fewer than two cells).
func (g *grid) hot(xs []float64) map[uint64]risk.HotSpot {
	hs, err := risk.GiStar(xs, g.nb)
	if err != nil {
		return nil
	}
	out := make(map[uint64]risk.HotSpot, len(g.ids))
	for i, c := range g.ids {
		out[c] = hs[i]
	}
	return out
}
