package summary

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/risk"
)

// listData is everything computed for one list and period. It may be cached and shared by
// concurrent requests, so nothing changes it after compute, except the per-group hot spots
// that Area remembers under mu.
type listData struct {
	summaries []*Summary
	notes     []string
	// cellsOf are the res-8 cells of each area, kommunCells the cells read for each kommun's
	// hot-spot grid (with incidents, or of an area): what the per-group hot spots of one area
	// need to build the grid the total used.
	cellsOf, kommunCells map[string][]uint64
	// hotCells are the hot cells of each area (visible to the caller: only areas of the list).
	hotCells map[string][]hotCell

	mu       sync.Mutex
	groupHot map[string][]GroupHotSpots // by area id; see rememberGroupHotSpots
	cmp      map[string][]ComparisonSet // by area id; see rememberComparisons
}

// groupOrder lists the known groups in display order, then any others found in the data.
func groupOrder(seen map[string]bool) []string {
	var out []string
	known := map[string]bool{}
	for _, g := range lagesbild.CategoryGroups {
		out = append(out, string(g.Group))
		known[string(g.Group)] = true
	}
	var extra []string
	for g := range seen {
		if !known[g] {
			extra = append(extra, g)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

func groupLabel(g string) string {
	for _, c := range lagesbild.CategoryGroups {
		if string(c.Group) == g {
			return c.Label
		}
	}
	return g
}

const (
	keyTotal   = "total"
	keyViolent = "violent"
)

// compute computes the summaries of the list of year over p: of every area for the whole Part,
// of part's area only otherwise, which reads that area's rows and its kommun's hot-spot grid
// instead of every area's and kommun's (its result is the same: the smoothing reference reads
// the counts of the whole list, and the kommun counts are read for every kommun of the list, since
// the groups they hold decide the groups every summary lists).
func (s *Service) compute(ctx context.Context, year int, p Period, part Part) (*listData, error) {
	prev := p.Previous()
	areas, err := s.store.SummaryAreas(ctx, year)
	if err != nil {
		return nil, fmt.Errorf("summary: list %d: %w", year, err)
	}
	// The aggregates are independent: fetch them concurrently, so the latency is that of the
	// slowest query rather than of their sum.
	var (
		counts    []GroupCount
		kcounts   []KommunCount
		monthly   []MonthCount
		cells     []CellCount
		areaCells []AreaCell
		offices   []Office
		ops       []Operation
		prov      []Provenance
	)
	fetches := []struct {
		what string
		run  func() error
	}{
		{"counts", func() (err error) { counts, err = s.store.AreaGroupCounts(ctx, year, p, prev); return }},
		{"kommun counts", func() (err error) { kcounts, err = s.store.KommunGroupCounts(ctx, year, p); return }},
		{"monthly counts", func() (err error) { monthly, err = s.store.AreaMonthlyCounts(ctx, year, part, p); return }},
		{"cell counts", func() (err error) { cells, err = s.store.KommunCellCounts(ctx, year, part, p); return }},
		{"area cells", func() (err error) { areaCells, err = s.store.AreaCells(ctx, year, part); return }},
		{"offices", func() (err error) { offices, err = s.store.AreaOffices(ctx, year, part, s.distanceM); return }},
		{"operations", func() (err error) { ops, err = s.store.AreaOperations(ctx, year, part, p.To); return }},
		{"provenance", func() (err error) {
			prov, err = s.store.AreaProvenance(ctx, year, part, Period{From: prev.From, To: p.To})
			return
		}},
	}
	errs := make([]error, len(fetches))
	var wg sync.WaitGroup
	for i, f := range fetches {
		wg.Go(func() {
			if err := f.run(); err != nil {
				errs[i] = fmt.Errorf("summary: %s: %w", f.what, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	// Index the aggregates by area.
	seen := map[string]bool{}
	now := map[string]map[string]int{}
	before := map[string]map[string]int{}
	for _, c := range counts {
		if now[c.AreaID] == nil {
			now[c.AreaID], before[c.AreaID] = map[string]int{}, map[string]int{}
		}
		now[c.AreaID][c.Group] += c.Now
		before[c.AreaID][c.Group] += c.Before
		seen[c.Group] = true
	}
	kommun := map[string]map[string]int{}
	for _, c := range kcounts {
		if kommun[c.Kommun] == nil {
			kommun[c.Kommun] = map[string]int{}
		}
		kommun[c.Kommun][c.Group] += c.N
		seen[c.Group] = true
	}
	groups := groupOrder(seen)
	months := monthsOf(p)
	series := map[string]map[string][]float64{} // area → group → per month
	for _, m := range monthly {
		i := monthIndex(p, m.Month)
		if i < 0 || i >= len(months) {
			continue
		}
		if series[m.AreaID] == nil {
			series[m.AreaID] = map[string][]float64{}
		}
		sr := series[m.AreaID][m.Group]
		if sr == nil {
			sr = make([]float64, len(months))
			series[m.AreaID][m.Group] = sr
		}
		sr[i] += float64(m.N)
	}

	// Empirical Bayes over the whole list, per group, for the total and the violent groups.
	eb := map[string]map[string]float64{}
	var ebIDs []string
	var ebPops []int
	for _, a := range areas {
		if a.HasPopulation && a.Population > 0 {
			ebIDs = append(ebIDs, a.ID)
			ebPops = append(ebPops, a.Population)
		}
	}
	for _, key := range append(slices.Clone(groups), keyTotal, keyViolent) {
		if len(ebIDs) == 0 {
			break
		}
		ns := make([]int, len(ebIDs))
		for i, id := range ebIDs {
			ns[i] = sumGroups(now[id], key)
		}
		rates, _, err := risk.EmpiricalBayes(ns, ebPops)
		if err != nil {
			return nil, fmt.Errorf("summary: smoothing %s: %w", key, err)
		}
		eb[key] = map[string]float64{}
		for i, id := range ebIDs {
			eb[key][id] = rates[i] * 1000
		}
	}

	if !part.Whole() { // the smoothing reference above is the whole list's; the rest is of one area
		areas = slices.DeleteFunc(slices.Clone(areas), func(a AreaInfo) bool { return a.ID != part.Area })
		cells = slices.DeleteFunc(slices.Clone(cells), func(c CellCount) bool { return c.Kommun != part.Kommun })
	}
	cellsOf := areaCellIndex(areaCells)
	hot, hotCells, kommunCells := s.hotSpots(areas, cells, cellsOf)

	officeBy := map[string][]Office{}
	for _, o := range offices {
		officeBy[o.AreaID] = append(officeBy[o.AreaID], o)
	}
	opsBy := map[string][]Operation{}
	for _, o := range ops {
		opsBy[o.AreaID] = append(opsBy[o.AreaID], o)
	}
	provBy := map[string][]Provenance{}
	for _, pv := range prov {
		provBy[pv.AreaID] = append(provBy[pv.AreaID], pv)
	}

	sensitive := slices.Sorted(func(yield func(string) bool) {
		for g := range s.sensitive {
			if !yield(g) {
				return
			}
		}
	})
	out := &listData{notes: notes(), cellsOf: cellsOf, kommunCells: kommunCells, hotCells: hotCells}
	for _, a := range areas {
		sm := &Summary{
			Area: AreaRef{ID: a.ID, Key: a.Key, Name: a.Name, Class: a.Class, Set: a.Set, KommunCode: a.KommunCode,
				KommunName: a.KommunName, RegionCode: a.RegionCode},
			Period: periodJSON(p), Previous: periodJSON(prev), SensitiveGroups: sensitive, Notes: out.notes,
			Groups: []GroupSummary{},
		}
		sm.Population = Population{Estimated: a.PopulationEstimated}
		if a.HasPopulation {
			sm.Population.Value = ptr(risk.RoundPopulation(a.Population))
		} else {
			sm.Population.Reason = ReasonNoPopulation
		}
		s.fillGroups(sm, a, groups, now[a.ID], before[a.ID], kommun[a.KommunCode], series[a.ID], eb, len(months))
		sm.Monthly = monthlyPoints(months, series[a.ID], sumGroups(now[a.ID], keyTotal))
		sm.HotSpots = hot[a.ID]
		sm.Presence = presence(a, p, s.distanceM, officeBy[a.ID], opsBy[a.ID])
		sm.Provenance = provenance(a, provBy[a.ID])
		out.summaries = append(out.summaries, sm)
	}
	return out, nil
}

func notes() []string {
	return []string{
		"Antal 1–4 visas inte; ytterligare uppgifter döljs när de annars kunde räknas fram.",
		"Takter och kvoter mot befolkningen visas inte vid färre än 10 händelser eller färre än 1 000 invånare; trender, förändringar och lokaliseringskvoter, som bara bygger på antal, inte vid färre än 10 händelser.",
		"Räknade händelser är registrerade händelser med exakt position i området, inte all brottslighet.",
	}
}

// sumGroups sums the counts of one group, of all groups (keyTotal) or of the violent ones.
func sumGroups(m map[string]int, key string) int {
	switch key {
	case keyTotal:
		n := 0
		for _, v := range m {
			n += v
		}
		return n
	case keyViolent:
		n := 0
		for _, g := range ViolentGroups {
			n += m[g]
		}
		return n
	}
	return m[key]
}

func sumSeries(m map[string][]float64, key string, months int) []float64 {
	out := make([]float64, months)
	for g, sr := range m {
		use := key == keyTotal || g == key
		if key == keyViolent {
			use = slices.Contains(ViolentGroups, g)
		}
		if !use {
			continue
		}
		for i, v := range sr {
			out[i] += v
		}
	}
	return out
}
