package summary

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
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
const MaxPeriodDays = lagesbild.MaxPeriodDays

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
	// Versions is the data version the caches are keyed by; nil: the store's, when it is
	// Versioned. serve gives the version source shared with the tile and OGC items caches,
	// read at most once a second, so a cached summary costs no round trip to the primary and
	// an import shows in summaries at most a second after it commits.
	Versions Versioned
	// Warm starts the warm-up (warm.go): the summaries of the lists callers ask for are
	// computed in the background, one at a time, at each data version. Close stops it.
	Warm bool
}

// Service computes summaries and the prioritisation.
type Service struct {
	store     Store
	ver       Versioned // nil: nothing is cached
	distanceM float64
	sensitive map[string]bool
	now       func() time.Time
	cache     *listCache // nil: no caching
	// areas holds the parts of lists computed for single areas whose list was not cached
	// (Area), apart from the lists so that browsing areas does not evict them.
	areas *listCache
	// done holds finished area summaries (Area), keyed like the parts.
	done *flightCache[*Summary]
	// kommunCells holds a kommun's per-group cell counts (KommunGroupCellCounts, the costliest
	// read of an area summary), keyed like the parts with the kommun in place of the area, so
	// that the areas of one kommun (Stockholm has a dozen) read them once per scope and version.
	kommunCells *flightCache[[]GroupCellCount]
	// newest remembers the newest incident day per scope for the data version newestVersion
	// (see newestDay).
	newestMu      sync.Mutex
	newestVersion int64
	newest        map[string]time.Time
	warm          *warmer // nil: no warm-up
	busy          busyCounter
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
	s.ver = o.Versions
	if v, ok := store.(Versioned); ok && s.ver == nil {
		s.ver = v
	}
	n := o.CacheEntries
	if n == 0 {
		n = DefaultCacheEntries
	}
	if n > 0 {
		s.cache, s.areas = newListCache(n), newListCache(areaCacheFactor*n)
		s.done = newFlightCache[*Summary](areaCacheFactor * n)
		s.kommunCells = newFlightCache[[]GroupCellCount](kommunCellEntries)
	}
	if o.Warm && s.cache != nil && s.ver != nil {
		s.warm = newWarmer(s)
	}
	return s
}

// Query selects the period and, for lists, the region.
type Query struct {
	From, To *time.Time // days; nil: the default period
	Region   string     // police region code; empty: all
}

// areaCacheFactor: a Service keeps this many single-area parts per list it keeps.
const areaCacheFactor = 8

// kommunCellEntries bounds the kommuner whose per-group cells are kept (a few MB at most: one
// row per res-8 cell and group of the kommun with incidents).
const kommunCellEntries = 16

// partsBeforeList: once this many areas of one list (data version, scope, period) have been
// computed as parts, the next area's summary computes and caches the whole list instead, so
// that browsing a list's areas costs about one list rather than a part per area.
const partsBeforeList = 4

// Area returns the summary of one area: its row of the list's computation, with the
// classification history and the hot-spot shares of each group, which only a single area gets
// (they need the kommun's daily counts per cell and group; see groupHotSpots). When the list is
// cached the row is taken from it; otherwise only the area's Part of the list is computed (the
// same row: see compute) and cached on its own. The finished summary is cached too (by data
// version, scope, area and period), and concurrent requests for the same one share its
// computation.
func (s *Service) Area(ctx context.Context, id string, q Query) (*Summary, error) {
	defer s.enter(ctx)()
	p, err := s.Period(ctx, q)
	if err != nil {
		return nil, err
	}
	key, keyed := s.cacheKey(ctx, 0, p)
	if !keyed {
		return s.area(ctx, id, p, key, false)
	}
	key.area = id
	sm, err := s.done.get(ctx, key, func(ctx context.Context) (*Summary, error) { return s.area(ctx, id, p, key, true) })
	if err != nil {
		return nil, err
	}
	s.notice(ctx, sm.Area.Set, q) // the caller browses this list's areas: warm the others
	// The cached summary is shared: the caller gets its own copy of what it might change.
	cp := *sm
	cp.History = slices.Clone(sm.History)
	cp.Comparisons = slices.Clone(sm.Comparisons)
	cp.HotSpots.Groups = slices.Clone(sm.HotSpots.Groups)
	return &cp, nil
}

// area computes the summary of area id over p; key (when keyed) holds the data version and
// scope to look the list and the area's part up with.
func (s *Service) area(ctx context.Context, id string, p Period, key listKey, keyed bool) (*Summary, error) {
	a, err := s.store.SummaryArea(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("summary: area %s: %w", id, err)
	}
	// The per-group hot spots are remembered with a cached list; when they are not, the
	// kommun's counts per cell and group are read (the costliest read of a single area, one
	// row per incident of the kommun) while the list is computed or taken from the cache, as
	// is the history.
	key.year, key.area = a.Set, ""
	var (
		groupHot         []GroupHotSpots
		remembered       bool
		hist             []HistoryEntry
		groupCells       []GroupCellCount
		comparisons      []ComparisonSet
		cmpRemembered    bool
		histErr, cellErr error
		cmpErr           error
		wg               sync.WaitGroup
	)
	part := Part{Area: a.ID, Kommun: a.KommunCode}
	partKey := key
	partKey.area = id
	var list *listData // the cached list, or the cached part of it, when there is one
	if keyed {
		if list = s.cache.peek(key); list == nil {
			list = s.areas.peek(partKey)
		}
	}
	if list != nil {
		groupHot, remembered = list.groupHotSpots(id)
		comparisons, cmpRemembered = list.comparisonsOf(id)
	}
	wg.Go(func() { hist, histErr = s.store.AreaHistory(ctx, a.Key) })
	if !cmpRemembered {
		wg.Go(func() { comparisons, cmpErr = s.areaComparisons(ctx, a, p) })
	}
	if !remembered {
		wg.Go(func() { groupCells, cellErr = s.kommunGroupCells(ctx, a.KommunCode, p, key, keyed) })
	}
	switch {
	case list != nil:
	case keyed && s.areas.parts(key) >= partsBeforeList:
		list, err = s.cache.get(ctx, key, func(ctx context.Context) (*listData, error) { return s.compute(ctx, a.Set, p, Part{}) })
	case keyed:
		list, err = s.areas.get(ctx, partKey, func(ctx context.Context) (*listData, error) { return s.compute(ctx, a.Set, p, part) })
	default:
		list, err = s.compute(ctx, a.Set, p, part)
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
	if cmpErr != nil {
		return nil, fmt.Errorf("summary: comparisons of %s: %w", id, cmpErr)
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
	if !cmpRemembered {
		list.rememberComparisons(id, comparisons)
	}
	out.Comparisons = slices.Clone(comparisons) // the remembered slice is shared
	if !remembered {
		groupHot = groupHotSpots(out, list.cellsOf[id], list.kommunCells[a.KommunCode], groupCells)
		list.rememberGroupHotSpots(id, groupHot)
	}
	out.HotSpots.Groups = slices.Clone(groupHot) // the remembered slice is shared
	if out.HotSpots.Reason == "" {
		out.HotSpots.Cells = hotCellFeatures(list.hotCells[id])
	}
	return out, nil
}

// kommunGroupCells returns the per-group cell counts of kommun over p, shared by the areas of
// the kommun when keyed (key: the data version, scope, list and period). They are only read.
func (s *Service) kommunGroupCells(ctx context.Context, kommun string, p Period, key listKey, keyed bool) ([]GroupCellCount, error) {
	if !keyed {
		return s.store.KommunGroupCellCounts(ctx, kommun, p)
	}
	key.area = "kommun " + kommun
	return s.kommunCells.get(ctx, key, func(ctx context.Context) ([]GroupCellCount, error) {
		return s.store.KommunGroupCellCounts(ctx, kommun, p)
	})
}

// List returns the key indicators of every area of list year, optionally of one region. The
// smoothing reference is always the whole list.
func (s *Service) List(ctx context.Context, year int, q Query) (*List, error) {
	defer s.enter(ctx)()
	p, err := s.Period(ctx, q)
	if err != nil {
		return nil, err
	}
	list, err := s.cached(ctx, year, p)
	if err != nil {
		return nil, err
	}
	s.notice(ctx, year, q) // its areas' summaries are next: warm them
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

// IsNotFound reports whether err means the area or list does not exist.
func IsNotFound(err error) bool { return errors.Is(err, lagesbild.ErrNotFound) }
