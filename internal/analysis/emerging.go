package analysis

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/hexgrid"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/risk"
)

// EmergingRes is the H3 resolution of emerging hot spots, that of the summaries' hot spots.
const EmergingRes = 8

// Reasons an emerging hot-spot result is withheld.
const (
	ReasonFewKommunEvents = "färre än 10 händelser i kommunen under perioden"
	ReasonNoGrid          = "för få celler för Gi*"
)

// EmergingQuery selects the months and group of emerging hot spots.
type EmergingQuery struct {
	// To is a day of the last month; nil: the newest incident day. Only whole months are
	// used: a last month that is not complete yet is left out.
	To     *time.Time
	Months int    // 0: DefaultMonths
	Group  string // "" for all groups (sensitive ones included, as in every total)
}

// EmergingCell is one cell's result.
type EmergingCell struct {
	Cell       string                `json:"cell"` // H3 index, hexadecimal
	Kommun     string                `json:"kommun_code"`
	Category   risk.EmergingCategory `json:"category"`
	HotMonths  int                   `json:"hot_months"`
	ColdMonths int                   `json:"cold_months"`
	// TrendZ and TrendP are the Mann-Kendall test of the cell's Gi* z-scores.
	TrendZ float64 `json:"trend_z"`
	TrendP float64 `json:"trend_p"`
	FinalZ float64 `json:"final_z"`
	InArea bool    `json:"in_area,omitempty"`
}

// EmergingKommun is the run over one kommun's grid.
type EmergingKommun struct {
	Code   string `json:"kommun_code"`
	Cells  int    `json:"cells"`
	Reason string `json:"reason,omitempty"`
}

// Emerging is an emerging hot-spot analysis.
type Emerging struct {
	Area       *AreaJSON        `json:"area,omitempty"`
	Region     string           `json:"region_code,omitempty"`
	Group      string           `json:"group"`
	Months     []string         `json:"months"` // YYYY-MM, oldest first
	Resolution int              `json:"resolution"`
	Kommuner   []EmergingKommun `json:"kommuner"`
	// Categories counts the cells of each category: of the area's cells for an area, of
	// every grid cell for a region.
	Categories map[risk.EmergingCategory]int `json:"categories"`
	AreaCells  int                           `json:"area_cells,omitempty"`
	// Cells are the area's cells (for an area), or every cell with a pattern (for a region).
	Cells []EmergingCell `json:"cells"`
	// Layer holds, for an area, every cell of its kommun's grid with a pattern, for the map.
	Layer  []EmergingCell `json:"-"`
	Reason string         `json:"reason,omitempty"`
	Notes  []string       `json:"notes"`
}

// months resolves the whole months of q: the last is the month of To if To is its last day,
// else the month before.
func (s *Service) months(ctx context.Context, q EmergingQuery) (from, to time.Time, err error) {
	n := q.Months
	if n == 0 {
		n = DefaultMonths
	}
	if n < risk.MinTrendPoints || n > MaxMonths {
		return from, to, lagesbild.Invalid("months", "must be %d to %d, got %d", risk.MinTrendPoints, MaxMonths, n)
	}
	var last time.Time
	if q.To != nil {
		last = day(*q.To)
	} else if last, err = s.newest(ctx); err != nil {
		return from, to, err
	}
	to = time.Date(last.Year(), last.Month(), 1, 0, 0, 0, 0, time.UTC) // exclusive end
	if last.AddDate(0, 0, 1).Month() != last.Month() {
		to = to.AddDate(0, 1, 0)
	}
	return to.AddDate(0, -n, 0), to, nil
}

// AreaEmerging runs emerging hot spots on the grid of the area's kommun and reports the
// area's cells.
func (s *Service) AreaEmerging(ctx context.Context, areaID string, q EmergingQuery) (*Emerging, error) {
	if err := s.checkGroup(q.Group, false); err != nil {
		return nil, err
	}
	a, err := s.store.AnalysisArea(ctx, areaID)
	if err != nil {
		return nil, fmt.Errorf("analysis: area %s: %w", areaID, err)
	}
	from, to, err := s.months(ctx, q)
	if err != nil {
		return nil, err
	}
	cellsOf, err := s.store.AnalysisAreaCells(ctx, []string{areaID})
	if err != nil {
		return nil, fmt.Errorf("analysis: area cells: %w", err)
	}
	own := cellsOf[areaID]
	res, err := s.emerging(ctx, []string{a.KommunCode}, from, to, q.Group, map[string][]uint64{a.KommunCode: own})
	if err != nil {
		return nil, err
	}
	aj := areaJSON(a)
	res.Area = &aj
	res.AreaCells = len(own)
	inArea := map[uint64]bool{}
	for _, c := range own {
		inArea[c] = true
	}
	res.Cells = []EmergingCell{}
	for _, c := range res.Layer {
		id, _ := strconv.ParseUint(c.Cell, 16, 64)
		if inArea[id] {
			c.InArea = true
			res.Cells = append(res.Cells, c)
			res.Categories[c.Category]++
		}
	}
	for i := range res.Layer {
		id, _ := strconv.ParseUint(res.Layer[i].Cell, 16, 64)
		res.Layer[i].InArea = inArea[id]
	}
	if len(own) == 0 && res.Reason == "" {
		res.Reason = "området har inga celler"
	}
	// Only the cells with a pattern go to the map.
	res.Layer = slices.DeleteFunc(res.Layer, func(c EmergingCell) bool { return c.Category == risk.NoPattern })
	return res, nil
}

// RegionEmerging runs emerging hot spots on the grid of every kommun of a police region and
// returns the cells with a pattern.
func (s *Service) RegionEmerging(ctx context.Context, region string, q EmergingQuery) (*Emerging, error) {
	if err := s.checkGroup(q.Group, false); err != nil {
		return nil, err
	}
	from, to, err := s.months(ctx, q)
	if err != nil {
		return nil, err
	}
	kommuner, err := s.store.RegionKommuner(ctx, region)
	if err != nil {
		return nil, fmt.Errorf("analysis: region %s: %w", region, err)
	}
	if len(kommuner) == 0 {
		return nil, fmt.Errorf("analysis: region %s: %w", region, lagesbild.ErrNotFound)
	}
	res, err := s.emerging(ctx, kommuner, from, to, q.Group, nil)
	if err != nil {
		return nil, err
	}
	res.Region = region
	res.Layer = slices.DeleteFunc(res.Layer, func(c EmergingCell) bool { return c.Category == risk.NoPattern })
	for _, c := range res.Layer {
		res.Categories[c.Category]++
	}
	res.Cells = res.Layer
	return res, nil
}

// emerging runs the analysis on each kommun's grid: the kommun's cells with an incident (of any
// group) in any of the months, their ring-1 neighbours, and extra[kommun] (an area's cells),
// every cell without incidents counted 0 — the grid of the summaries' hot spots, over time.
func (s *Service) emerging(ctx context.Context, kommuner []string, from, to time.Time, group string, extra map[string][]uint64) (*Emerging, error) {
	rows, err := s.store.KommunCellMonths(ctx, kommuner, from, to, group)
	if err != nil {
		return nil, fmt.Errorf("analysis: cell months: %w", err)
	}
	// The grid is the total's, for a group too, as for the summaries' per-group hot spots: the
	// cells with an incident of any group, so that a group's categories and the total's describe
	// the same surroundings.
	gridCells := map[string][]uint64{}
	if group != "" {
		all, err := s.store.KommunCellMonths(ctx, kommuner, from, to, "")
		if err != nil {
			return nil, fmt.Errorf("analysis: cell months: %w", err)
		}
		for _, r := range all {
			gridCells[r.Kommun] = append(gridCells[r.Kommun], r.Cell)
		}
	}
	var months []time.Time
	for m := from; m.Before(to); m = m.AddDate(0, 1, 0) {
		months = append(months, m)
	}
	step := map[time.Time]int{}
	for i, m := range months {
		step[m] = i
	}
	byKommun := map[string]map[uint64][]float64{}
	events := map[string]int{}
	for _, r := range rows {
		t, ok := step[r.Month]
		if !ok {
			continue
		}
		if byKommun[r.Kommun] == nil {
			byKommun[r.Kommun] = map[uint64][]float64{}
		}
		series := byKommun[r.Kommun][r.Cell]
		if series == nil {
			series = make([]float64, len(months))
			byKommun[r.Kommun][r.Cell] = series
		}
		series[t] += float64(r.N)
		events[r.Kommun] += r.N
	}
	slices.Sort(kommuner)
	results := make([][]EmergingCell, len(kommuner))
	info := make([]EmergingKommun, len(kommuner))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, k := range kommuner {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			info[i] = EmergingKommun{Code: k}
			if events[k] < risk.MinRateCount {
				info[i].Reason = ReasonFewKommunEvents
				return
			}
			cells, nb := grid(byKommun[k], extra[k], gridCells[k])
			info[i].Cells = len(cells)
			values := make([][]float64, len(months))
			for t := range months {
				values[t] = make([]float64, len(cells))
				for j, c := range cells {
					if series := byKommun[k][c]; series != nil {
						values[t][j] = series[t]
					}
				}
			}
			out, err := risk.EmergingHotSpots(values, nb)
			if err != nil {
				info[i].Reason = ReasonNoGrid
				return
			}
			res := make([]EmergingCell, len(cells))
			for j, c := range cells {
				e := out[j]
				res[j] = EmergingCell{Cell: strconv.FormatUint(c, 16), Kommun: k, Category: e.Category, HotMonths: e.HotSteps,
					ColdMonths: e.ColdSteps, TrendZ: e.Trend.Z, TrendP: e.Trend.P, FinalZ: e.FinalZ}
			}
			results[i] = res
		})
	}
	wg.Wait()
	out := &Emerging{Group: group, Resolution: EmergingRes, Kommuner: info, Categories: map[risk.EmergingCategory]int{}}
	if out.Group == "" {
		out.Group = "total"
	}
	for _, m := range months {
		out.Months = append(out.Months, m.Format("2006-01"))
	}
	for _, r := range results {
		out.Layer = append(out.Layer, r...)
	}
	if len(kommuner) == 1 && info[0].Reason != "" {
		out.Reason = info[0].Reason
	}
	out.Notes = []string{
		"Gi* per månad över kommunens hela rutnät (H3 upplösning 8), Benjamini–Hochberg inom varje månad, " +
			"Mann-Kendall på cellens z-värden; kategorier enligt ArcGIS Emerging Hot Spot Analysis.",
		"Endast händelser med exakt position. Inga antal per cell redovisas.",
	}
	// Gi* ran over the whole grid of each kommun (emerging_cell_months answers for the whole
	// kommun), but the result is published only for the cells the caller may see.
	if id, _ := auth.FromContext(ctx); !id.Scope.All && len(out.Layer) > 0 {
		cells := make([]uint64, len(out.Layer))
		for i, c := range out.Layer {
			cells[i], _ = strconv.ParseUint(c.Cell, 16, 64)
		}
		visible, err := s.store.VisibleCells(ctx, cells)
		if err != nil {
			return nil, fmt.Errorf("analysis: visible cells: %w", err)
		}
		out.Layer = slices.DeleteFunc(out.Layer, func(c EmergingCell) bool {
			id, _ := strconv.ParseUint(c.Cell, 16, 64)
			return !visible[id]
		})
	}
	return out, nil
}

// grid returns the cells (ascending) of a kommun's grid: the cells with incidents (the keys of
// values and those of withIncidents), their ring-1 neighbours and area, with each cell's
// neighbours on the grid.
func grid(values map[uint64][]float64, area, withIncidents []uint64) ([]uint64, [][]int) {
	set := map[uint64]struct{}{}
	expanded := map[uint64]bool{}
	addRing := func(c uint64) {
		if expanded[c] {
			return
		}
		expanded[c] = true
		set[c] = struct{}{}
		if ring, err := hexgrid.Ring1(c); err == nil {
			for _, r := range ring {
				set[r] = struct{}{}
			}
		}
	}
	for c := range values {
		addRing(c)
	}
	for _, c := range withIncidents {
		addRing(c)
	}
	for _, c := range area {
		set[c] = struct{}{}
	}
	cells := slices.Sorted(maps.Keys(set))
	index := make(map[uint64]int, len(cells))
	for i, c := range cells {
		index[c] = i
	}
	nb := make([][]int, len(cells))
	for i, c := range cells {
		ring, _ := hexgrid.Ring1(c)
		for _, r := range ring {
			if j, ok := index[r]; ok && j != i {
				nb[i] = append(nb[i], j)
			}
		}
	}
	return cells, nb
}

// EmergingGeoJSON is the layer of an emerging hot-spot analysis: one polygon per cell with a
// pattern, in WGS84, with its category.
func EmergingGeoJSON(e *Emerging) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, c := range e.Layer {
		id, err := strconv.ParseUint(c.Cell, 16, 64)
		if err != nil {
			continue
		}
		f := geojson.NewFeature(orb.Polygon(hexgrid.Boundary(id)))
		f.ID = c.Cell
		f.Properties = geojson.Properties{"cell": c.Cell, "kommun_code": c.Kommun, "category": string(c.Category),
			"hot_months": c.HotMonths, "cold_months": c.ColdMonths, "trend_z": c.TrendZ, "trend_p": c.TrendP,
			"final_z": c.FinalZ, "in_area": c.InArea, "group": e.Group}
		fc.Append(f)
	}
	return fc
}
