package summary

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/risk"
)

// Reasons shown in place of a suppressed or withheld number (Swedish, as shown to users).
const (
	ReasonSmallCount   = "1–4 händelser visas inte"
	ReasonSecondary    = "dold för att en annan uppgift inte ska kunna räknas fram"
	ReasonCountHidden  = "antalet är dolt"
	ReasonNoPopulation = "befolkning saknas"
	ReasonNotEstimable = "kan inte skattas"
	ReasonShortPeriod  = "perioden är kortare än 12 månader"
	ReasonNoCells      = "inga celler med exakta positioner"
	ReasonTotalOnly    = "gäller bara enskilda brottsgrupper"
	// ReasonFewKommunEvents withholds a group's hot-spot shares when the kommun grid they are
	// computed on has fewer than risk.MinRateCount of the group's events.
	ReasonFewKommunEvents = "färre än 10 händelser i kommunen"
)

// DefaultOfficeDistanceM is how far from an area an office may lie and still count as present.
const DefaultOfficeDistanceM = 2000

// HotSpotRes is the H3 resolution of the hot-spot analysis (cells of about 0.7 km²).
const HotSpotRes = 8

// MaxPeriodDays bounds a period: ten years of days.
const MaxPeriodDays = 3660

// ViolentGroups are the groups of the violent_rate, trend and change components.
var ViolentGroups = []string{
	string(lagesbild.GroupSkjutning), string(lagesbild.GroupSprangning), string(lagesbild.GroupGrovtVald),
	string(lagesbild.GroupMisshandelHot), string(lagesbild.GroupRan),
}

// Options configure a Service.
type Options struct {
	// OfficeDistanceM is the distance within which an office counts as present; 0 means
	// DefaultOfficeDistanceM.
	OfficeDistanceM float64
	// Sensitive lists the groups shown only in totals; nil means overgrepp_rattssak. Give an
	// empty, non-nil slice for none.
	Sensitive []string
	// Now returns the current time (for the default period when there are no incidents).
	Now func() time.Time
	// CacheEntries is how many computed lists to keep when the store is Versioned; 0 means
	// DefaultCacheEntries, a negative number none.
	CacheEntries int
}

// Service computes summaries and the prioritisation.
type Service struct {
	store     Store
	distanceM float64
	sensitive map[string]bool
	now       func() time.Time
	cache     *listCache // nil: no caching
}

// New returns a Service reading from store.
func New(store Store, o Options) *Service {
	s := &Service{store: store, distanceM: o.OfficeDistanceM, sensitive: map[string]bool{}, now: o.Now}
	if s.distanceM <= 0 {
		s.distanceM = DefaultOfficeDistanceM
	}
	if o.Sensitive == nil {
		o.Sensitive = []string{string(lagesbild.GroupOvergreppRattssak)}
	}
	for _, g := range o.Sensitive {
		s.sensitive[g] = true
	}
	if s.now == nil {
		s.now = time.Now
	}
	switch {
	case o.CacheEntries == 0:
		s.cache = newListCache(DefaultCacheEntries)
	case o.CacheEntries > 0:
		s.cache = newListCache(o.CacheEntries)
	}
	return s
}

// Query selects the period and, for lists, the region.
type Query struct {
	From, To *time.Time // days; nil: the default period
	Region   string     // police region code; empty: all
}

// Period resolves the period of q: by default the 12 months ending the newest incident day
// (or today); one bound alone gives 12 months from or to it.
func (s *Service) Period(ctx context.Context, q Query) (Period, error) {
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	var p Period
	switch {
	case q.From != nil && q.To != nil:
		p = Period{day(*q.From), day(*q.To)}
	case q.From != nil:
		p.From = day(*q.From)
		p.To = p.From.AddDate(1, 0, -1)
	case q.To != nil:
		p.To = day(*q.To)
		p.From = p.To.AddDate(-1, 0, 1)
	default:
		newest, ok, err := s.store.NewestIncidentDay(ctx)
		if err != nil {
			return Period{}, fmt.Errorf("summary: period: %w", err)
		}
		if !ok {
			loc, lerr := time.LoadLocation("Europe/Stockholm")
			if lerr != nil {
				loc = time.UTC
			}
			newest = s.now().In(loc)
		}
		p.To = day(newest)
		p.From = p.To.AddDate(-1, 0, 1)
	}
	if p.To.Before(p.From) {
		return Period{}, lagesbild.Invalid("from", "%s is after to %s", p.From.Format(time.DateOnly), p.To.Format(time.DateOnly))
	}
	if p.Days() > MaxPeriodDays {
		return Period{}, lagesbild.Invalid("from", "the period has %d days; at most %d", p.Days(), MaxPeriodDays)
	}
	return p, nil
}

func periodJSON(p Period) PeriodJSON {
	return PeriodJSON{From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly), Days: p.Days()}
}

// Area returns the summary of one area: its row of the list's computation, with the
// classification history and the hot-spot shares of each group, which only a single area gets
// (they need the kommun's daily counts per cell and group; see groupHotSpots).
func (s *Service) Area(ctx context.Context, id string, q Query) (*Summary, error) {
	a, err := s.store.SummaryArea(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("summary: area %s: %w", id, err)
	}
	p, err := s.Period(ctx, q)
	if err != nil {
		return nil, err
	}
	// The per-group hot spots are remembered with a cached list; when they are not, the
	// kommun's counts per cell and group are read (the costliest read of a single area, one
	// row per incident of the kommun) while the list is computed or taken from the cache, as
	// is the history.
	key, keyed := s.cacheKey(ctx, a.Set, p)
	var (
		groupHot         []GroupHotSpots
		remembered       bool
		hist             []HistoryEntry
		groupCells       []GroupCellCount
		histErr, cellErr error
		wg               sync.WaitGroup
	)
	if keyed {
		if l := s.cache.peek(key); l != nil {
			groupHot, remembered = l.groupHotSpots(id)
		}
	}
	wg.Go(func() { hist, histErr = s.store.AreaHistory(ctx, a.Key) })
	if !remembered {
		wg.Go(func() { groupCells, cellErr = s.store.KommunGroupCellCounts(ctx, a.KommunCode, p) })
	}
	var list *listData
	if keyed {
		list, err = s.cache.get(ctx, key, func() (*listData, error) { return s.compute(ctx, a.Set, p) })
	} else {
		list, err = s.compute(ctx, a.Set, p)
	}
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if histErr != nil {
		return nil, fmt.Errorf("summary: history of %s: %w", id, histErr)
	}
	if cellErr != nil {
		return nil, fmt.Errorf("summary: group cells of %s: %w", id, cellErr)
	}
	var out *Summary
	for _, sm := range list.summaries {
		if sm.Area.ID == id {
			cp := *sm // the list may be cached and shared: never change it
			out = &cp
		}
	}
	if out == nil {
		return nil, fmt.Errorf("summary: area %s: %w", id, lagesbild.ErrNotFound)
	}
	out.History = hist
	if !remembered {
		groupHot = groupHotSpots(out, list.cellsOf[id], list.kommunCells[a.KommunCode], groupCells)
		list.rememberGroupHotSpots(id, groupHot)
	}
	out.HotSpots.Groups = slices.Clone(groupHot) // the remembered slice is shared
	return out, nil
}

// List returns the key indicators of every area of list year, optionally of one region. The
// smoothing reference is always the whole list.
func (s *Service) List(ctx context.Context, year int, q Query) (*List, error) {
	p, err := s.Period(ctx, q)
	if err != nil {
		return nil, err
	}
	list, err := s.cached(ctx, year, p)
	if err != nil {
		return nil, err
	}
	out := &List{Set: year, Region: q.Region, Period: periodJSON(p), Rows: []Row{}, Notes: slices.Clone(list.notes)}
	for _, sm := range list.summaries {
		if q.Region != "" && sm.Area.RegionCode != q.Region {
			continue
		}
		out.Rows = append(out.Rows, rowOf(sm))
	}
	return out, nil
}

func rowOf(sm *Summary) Row {
	r := Row{Area: sm.Area, Population: sm.Population, Count: sm.Total.Count, PreviousCount: sm.Total.PreviousCount,
		Rate: sm.Total.Rate, SmoothedRate: sm.Total.SmoothedRate, RateRatio: sm.Total.RateRatio,
		ChangePercent: sm.Total.Change.Percent, Trend: sm.Total.Trend, ViolentCount: sm.violent.count,
		ViolentRate: sm.violent.rate, HotSpotShare95: sm.HotSpots.Share95, PresenceHours: sm.Presence.HoursPerWeek,
		Synthetic: sm.Provenance.Synthetic}
	if sm.Total.Change.Suppressed {
		r.ChangePercent = withheld(sm.Total.Change.Reason)
	}
	return r
}

// listData is everything computed for one list and period. It may be cached and shared by
// concurrent requests, so nothing changes it after compute, except the per-group hot spots
// that Area remembers under mu.
type listData struct {
	summaries []*Summary
	notes     []string
	// cellsOf are the res-8 cells of each area, kommunCells those of each kommun's areas:
	// what the per-group hot spots of one area need to build the grid the total used.
	cellsOf, kommunCells map[string][]uint64

	mu       sync.Mutex
	groupHot map[string][]GroupHotSpots // by area id; see rememberGroupHotSpots
}

// violentIndicators are the violent groups together, for the prioritisation.
type violentIndicators struct {
	count    Indicator
	rate     Indicator // EB smoothed
	trendZ   *float64
	logRatio *float64
	reason   string
}

func ptr[T any](v T) *T { return &v }

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func withheld(reason string) Indicator { return Indicator{Suppressed: true, Reason: reason} }

func value(v float64) Indicator { return Indicator{Value: finite(v)} }

func interval(v, lo, hi float64) Indicator {
	return Indicator{Value: finite(v), Lower: finite(lo), Upper: finite(hi)}
}

// countIndicator publishes a count that the table suppression has or has not hidden.
func countIndicator(n int, hidden bool) Indicator {
	if hidden {
		reason := ReasonSecondary
		if _, primary := risk.SuppressCount(n); primary {
			reason = ReasonSmallCount
		}
		return withheld(reason)
	}
	return value(float64(n))
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

func (s *Service) compute(ctx context.Context, year int, p Period) (*listData, error) {
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
		{"monthly counts", func() (err error) { monthly, err = s.store.AreaMonthlyCounts(ctx, year, p); return }},
		{"cell counts", func() (err error) { cells, err = s.store.KommunCellCounts(ctx, year, p); return }},
		{"area cells", func() (err error) { areaCells, err = s.store.AreaCells(ctx, year); return }},
		{"offices", func() (err error) { offices, err = s.store.AreaOffices(ctx, year, s.distanceM); return }},
		{"operations", func() (err error) { ops, err = s.store.AreaOperations(ctx, year, p.To); return }},
		{"provenance", func() (err error) { prov, err = s.store.AreaProvenance(ctx, year, Period{prev.From, p.To}); return }},
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

	cellsOf, kommunCells := areaCellIndex(areas, areaCells)
	hot := s.hotSpots(areas, cells, cellsOf, kommunCells)

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
	out := &listData{notes: notes(), cellsOf: cellsOf, kommunCells: kommunCells}
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
		"Takter, kvoter och trender visas inte vid färre än 10 händelser eller färre än 1 000 invånare.",
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

// hidden applies the table suppression to one period's counts: the parts are the groups, the
// sensitive ones always flagged, and the total is their sum.
func (s *Service) hidden(groups []string, counts map[string]int) (total bool, parts map[string]bool, err error) {
	ns := make([]int, len(groups))
	flags := make([]bool, len(groups))
	sum := 0
	for i, g := range groups {
		ns[i] = counts[g]
		sum += ns[i]
		_, flags[i] = risk.SuppressCount(ns[i])
		flags[i] = flags[i] || (s.sensitive[g] && ns[i] > 0)
	}
	sup, err := risk.SecondarySuppress(sum, ns, flags)
	if err != nil {
		return false, nil, err
	}
	_, totalSmall := risk.SuppressCount(sum)
	parts = map[string]bool{}
	for i, g := range groups {
		parts[g] = sup.Parts[i]
	}
	return sup.Total || totalSmall, parts, nil
}

// derivedReason says why numbers derived from a count of n must not be shown ("" when they may).
func derivedReason(a AreaInfo, n int, countHidden bool) string {
	if countHidden {
		return ReasonCountHidden
	}
	if !a.HasPopulation || a.Population <= 0 {
		return ReasonNoPopulation
	}
	reason, _ := risk.Withhold(n, a.Population)
	return reason
}

func (s *Service) fillGroups(sm *Summary, a AreaInfo, groups []string, now, before, kommun map[string]int,
	series map[string][]float64, eb map[string]map[string]float64, months int) {
	totalHidden, partsHidden, err := s.hidden(groups, now)
	if err != nil {
		// Counts that do not add up cannot be protected: show none of them.
		totalHidden, partsHidden = true, allTrue(groups)
	}
	prevTotalHidden, prevPartsHidden, err := s.hidden(groups, before)
	if err != nil {
		prevTotalHidden, prevPartsHidden = true, allTrue(groups)
	}
	lqs := map[string]risk.GroupQuotient{}
	lqErr := error(nil)
	if kommun != nil || now != nil {
		var q []risk.GroupQuotient
		q, lqErr = risk.LocationQuotients(nonNil(now), nonNil(kommun))
		for _, gq := range q {
			lqs[gq.Group] = gq
		}
	}
	build := func(key string, hiddenNow, hiddenBefore bool) GroupSummary {
		n, b := sumGroups(now, key), sumGroups(before, key)
		g := GroupSummary{Group: key, Label: groupLabel(key)}
		if key == keyTotal {
			g.Label = "Totalt"
		}
		g.Count = countIndicator(n, hiddenNow)
		g.PreviousCount = countIndicator(b, hiddenBefore)
		reason := derivedReason(a, n, hiddenNow)
		if reason != "" {
			g.Rate, g.SmoothedRate, g.RateRatio, g.LocationQuotient = withheld(reason), withheld(reason), withheld(reason), withheld(reason)
		} else {
			if r, err := risk.Rate(n, a.Population, 1000); err == nil {
				g.Rate = interval(r.Rate, r.Lower, r.Upper)
			} else {
				g.Rate = withheld(ReasonNotEstimable)
			}
			if v, ok := eb[key][a.ID]; ok {
				g.SmoothedRate = value(v)
			} else {
				g.SmoothedRate = withheld(ReasonNotEstimable)
			}
			kn := sumGroups(kommun, key)
			if rr, err := risk.RateRatioToRest(n, a.Population, kn, a.KommunPopulation); err == nil && rr.Estimable {
				g.RateRatio = interval(rr.Ratio, rr.Lower, rr.Upper)
			} else {
				g.RateRatio = withheld(ReasonNotEstimable)
			}
			switch gq, ok := lqs[key]; {
			case key == keyTotal:
				g.LocationQuotient = withheld(ReasonTotalOnly)
			case lqErr != nil || !ok || !gq.Defined:
				g.LocationQuotient = withheld(ReasonNotEstimable)
			default:
				g.LocationQuotient = value(gq.LQ)
			}
		}
		g.Change = change(a, n, b, hiddenNow, hiddenBefore)
		g.Trend = trend(reason, sumSeries(series, key, months))
		return g
	}
	sm.Total = build(keyTotal, totalHidden, prevTotalHidden)
	for _, g := range groups {
		if s.sensitive[g] {
			continue
		}
		sm.Groups = append(sm.Groups, build(g, partsHidden[g], prevPartsHidden[g]))
	}
	// The violent groups together are not published as a table row of their own, but the
	// count is shown in the list, so it gets the primary rule; its parts are all in Groups.
	vn, vb := sumGroups(now, keyViolent), sumGroups(before, keyViolent)
	_, vHidden := risk.SuppressCount(vn)
	_, vbHidden := risk.SuppressCount(vb)
	vi := violentIndicators{count: countIndicator(vn, vHidden)}
	vi.reason = derivedReason(a, vn, vHidden)
	if vi.reason != "" {
		vi.rate = withheld(vi.reason)
	} else if v, ok := eb[keyViolent][a.ID]; ok {
		vi.rate = value(v)
		if t := trend("", sumSeries(series, keyViolent, months)); t.Z != nil {
			vi.trendZ = t.Z
		}
		if c := change(a, vn, vb, vHidden, vbHidden); !c.Suppressed {
			if pc, err := risk.PeriodChange(vn, vb); err == nil {
				vi.logRatio = finite(pc.LogRatio)
			}
		}
	} else {
		vi.rate = withheld(ReasonNotEstimable)
	}
	sm.violent = vi
}

func nonNil(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

func allTrue(groups []string) map[string]bool {
	m := map[string]bool{}
	for _, g := range groups {
		m[g] = true
	}
	return m
}

func change(a AreaInfo, n, b int, hiddenNow, hiddenBefore bool) Change {
	reason := derivedReason(a, n+b, hiddenNow || hiddenBefore)
	if reason != "" {
		return Change{Difference: withheld(reason), Percent: withheld(reason), Suppressed: true, Reason: reason}
	}
	c, err := risk.PeriodChange(n, b)
	if err != nil {
		return Change{Difference: withheld(ReasonNotEstimable), Percent: withheld(ReasonNotEstimable), Suppressed: true, Reason: ReasonNotEstimable}
	}
	out := Change{Difference: value(float64(c.Absolute)), P: ptr(c.P), Significant: ptr(c.Significant)}
	if c.PercentDefined {
		out.Percent = value(c.Percent)
	} else {
		out.Percent = withheld(ReasonNotEstimable)
	}
	return out
}

func trend(reason string, series []float64) Trend {
	t := Trend{Months: len(series)}
	if reason == "" && len(series) < risk.MinTrendPoints {
		reason = ReasonShortPeriod
	}
	if reason != "" {
		t.Suppressed, t.Reason, t.SenSlope = true, reason, withheld(reason)
		return t
	}
	mk, err := risk.MannKendall(series)
	if err != nil {
		t.Suppressed, t.Reason, t.SenSlope = true, ReasonNotEstimable, withheld(ReasonNotEstimable)
		return t
	}
	t.Z, t.P = finite(mk.Z), finite(mk.P)
	t.Significant = ptr(mk.P < 1-risk.Level)
	t.SenSlope = interval(mk.Slope, mk.SlopeLower, mk.SlopeUpper)
	return t
}

// monthsOf returns the first day of every calendar month that p touches.
func monthsOf(p Period) []time.Time {
	var out []time.Time
	for m := time.Date(p.From.Year(), p.From.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(p.To); m = m.AddDate(0, 1, 0) {
		out = append(out, m)
	}
	return out
}

func monthIndex(p Period, m time.Time) int {
	return (m.Year()-p.From.Year())*12 + int(m.Month()) - int(p.From.Month())
}

// monthlyPoints suppresses the monthly totals as a table whose total is shown, so that no
// hidden month can be recovered by subtraction.
func monthlyPoints(months []time.Time, series map[string][]float64, total int) []MonthPoint {
	sr := sumSeries(series, keyTotal, len(months))
	parts := make([]int, len(sr))
	for i, v := range sr {
		parts[i] = int(v)
	}
	sup, err := risk.SuppressTable(total, parts)
	out := make([]MonthPoint, len(months))
	for i, m := range months {
		hidden := err != nil || sup.Parts[i]
		out[i] = MonthPoint{Month: m.Format("2006-01"), Count: countIndicator(parts[i], hidden)}
	}
	return out
}

func presence(a AreaInfo, p Period, distanceM float64, offices []Office, ops []Operation) Presence {
	out := Presence{OfficeDistanceM: distanceM}
	office, operation := map[string]bool{}, map[string]bool{}
	var staffed, opHours float64
	var last *time.Time
	for _, o := range offices {
		office[o.Agency] = true
		staffed += o.StaffedHoursPerWeek
	}
	for _, o := range ops {
		if o.Start.After(p.To) {
			continue
		}
		end := o.End
		if end.After(p.To) {
			end = p.To
		}
		if last == nil || end.After(*last) {
			last = ptr(end)
		}
		from, to := o.Start, o.End
		if from.Before(p.From) {
			from = p.From
		}
		if to.After(p.To) {
			to = p.To
		}
		if to.Before(from) {
			continue // ended before the period
		}
		days := Period{o.Start, o.End}.Days()
		opHours += o.PersonHours * float64(Period{from, to}.Days()) / float64(days)
		for _, ag := range o.Agencies {
			operation[ag] = true
		}
	}
	for _, ag := range lagesbild.Agencies {
		ap := AgencyPresence{Code: ag.Code, Name: ag.Name, Office: office[ag.Code], Operation: operation[ag.Code]}
		if ap.Office || ap.Operation {
			out.AgenciesPresent++
		}
		out.Agencies = append(out.Agencies, ap)
	}
	if last != nil {
		out.LastOperation = ptr(last.Format(time.DateOnly))
		out.DaysSinceLastOperation = ptr(int(p.To.Sub(*last).Hours() / 24))
	}
	if !a.HasPopulation || a.Population <= 0 {
		out.StaffedHours, out.OperationHours, out.HoursPerWeek = withheld(ReasonNoPopulation), withheld(ReasonNoPopulation), withheld(ReasonNoPopulation)
		return out
	}
	per := 1000 / float64(a.Population)
	weeks := float64(p.Days()) / 7
	out.StaffedHours = value(staffed * per)
	out.OperationHours = value(opHours * per)
	out.HoursPerWeek = value((staffed + opHours/weeks) * per)
	return out
}

func provenance(a AreaInfo, rows []Provenance) ProvenanceJSON {
	out := ProvenanceJSON{Sources: []string{}, Agencies: []string{}, PopulationEstimated: a.PopulationEstimated}
	for _, r := range rows {
		if !slices.Contains(out.Sources, r.Source) {
			out.Sources = append(out.Sources, r.Source)
		}
		if !slices.Contains(out.Agencies, r.Agency) {
			out.Agencies = append(out.Agencies, r.Agency)
		}
		out.Synthetic = out.Synthetic || r.Source == lagesbild.SourceSyntheticDemo
	}
	slices.Sort(out.Sources)
	slices.Sort(out.Agencies)
	return out
}

// Components lists the prioritisation components in a fixed order.
var Components = []string{risk.ComponentViolentRate, risk.ComponentHotSpots, risk.ComponentTrend, risk.ComponentChange, risk.ComponentPresenceGap}

// CheckWeights validates weights: known components, finite and not negative, at least one
// positive.
func CheckWeights(w map[string]float64) error {
	sum := 0.0
	for k, v := range w {
		if !slices.Contains(Components, k) {
			return lagesbild.Invalid("weights", "unknown component %q (known: violent_rate, hotspot_share, trend, change, presence_gap)", k)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return lagesbild.Invalid("weights", "%s: weight must be a finite number ≥ 0", k)
		}
		sum += v
	}
	if !(sum > 0) {
		return lagesbild.Invalid("weights", "at least one weight must be positive")
	}
	return nil
}

// Prioritise ranks the areas of list year (optionally of one region: normalised and ranked
// among themselves, smoothed against the whole list) with weights (nil: risk.DefaultWeights).
func (s *Service) Prioritise(ctx context.Context, year int, q Query, weights map[string]float64, method risk.Normalization) (*Priority, error) {
	if weights == nil {
		weights = risk.DefaultWeights()
	}
	if err := CheckWeights(weights); err != nil {
		return nil, err
	}
	p, err := s.Period(ctx, q)
	if err != nil {
		return nil, err
	}
	list, err := s.cached(ctx, year, p)
	if err != nil {
		return nil, err
	}
	var chosen []*Summary
	for _, sm := range list.summaries {
		if q.Region == "" || sm.Area.RegionCode == q.Region {
			chosen = append(chosen, sm)
		}
	}
	ids := make([]string, len(chosen))
	raw := map[string][]float64{}
	for _, k := range Components {
		raw[k] = make([]float64, len(chosen))
	}
	nan := math.NaN()
	orNaN := func(v *float64) float64 {
		if v == nil {
			return nan
		}
		return *v
	}
	reasons := make([]map[string]string, len(chosen))
	for i, sm := range chosen {
		ids[i] = sm.Area.ID
		reasons[i] = map[string]string{}
		raw[risk.ComponentViolentRate][i] = orNaN(sm.violent.rate.Value)
		raw[risk.ComponentHotSpots][i] = orNaN(sm.HotSpots.Share95)
		raw[risk.ComponentTrend][i] = orNaN(sm.violent.trendZ)
		raw[risk.ComponentChange][i] = orNaN(sm.violent.logRatio)
		raw[risk.ComponentPresenceGap][i] = nan
		if v := sm.Presence.HoursPerWeek.Value; v != nil {
			raw[risk.ComponentPresenceGap][i] = -*v
		}
		if sm.violent.reason != "" {
			for _, k := range []string{risk.ComponentViolentRate, risk.ComponentTrend, risk.ComponentChange} {
				reasons[i][k] = sm.violent.reason
			}
		}
		if sm.HotSpots.Share95 == nil {
			reasons[i][risk.ComponentHotSpots] = sm.HotSpots.Reason
		}
		if sm.Presence.HoursPerWeek.Value == nil {
			reasons[i][risk.ComponentPresenceGap] = sm.Presence.HoursPerWeek.Reason
		}
	}
	scores, err := risk.Prioritise(ids, raw, weights, method)
	if err != nil {
		return nil, fmt.Errorf("summary: prioritise: %w", err)
	}
	pos := map[string]int{}
	for i, id := range ids {
		pos[id] = i
	}
	name := "percent_rank"
	if method == risk.ZScore {
		name = "zscore"
	}
	out := &Priority{Set: year, Region: q.Region, Period: periodJSON(p), Weights: weights, Normalization: name,
		Areas: []PriorityArea{}, Notes: append(slices.Clone(list.notes),
			"Rangordningen är ett analysverktyg för att välja var insatser ska göras och ska inte publiceras.")}
	for _, sc := range scores {
		i := pos[sc.ID]
		pa := PriorityArea{Rank: sc.Rank, Area: chosen[i].Area, Score: finite(sc.Total),
			Components: map[string]*float64{}, Contributions: sc.Contributions, Indicators: map[string]*float64{}}
		for _, k := range Components {
			pa.Components[k] = finite(sc.Components[k])
			pa.Indicators[k] = finite(raw[k][i])
		}
		if len(reasons[i]) > 0 {
			pa.Reasons = reasons[i]
		}
		out.Areas = append(out.Areas, pa)
	}
	return out, nil
}

// IsNotFound reports whether err means the area or list does not exist.
func IsNotFound(err error) bool { return errors.Is(err, lagesbild.ErrNotFound) }
