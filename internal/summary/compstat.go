package summary

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/risk"
)

// Levels of a CompStat unit.
const (
	LevelArea   = "area"
	LevelKommun = "kommun"
	LevelLPO    = "lpo"
)

// CompStat presets: the period a comparison is about, ending on the reference day.
const (
	// PresetPeriod is the summary's own period (only in an area's summary).
	PresetPeriod = "period"
	Preset28d    = "28d" // the last 28 days
	Preset3m     = "3m"  // the last 3 calendar months, day for day
	PresetYTD    = "ytd" // 1 January to the reference day
)

// Presets are the CompStat presets in display order.
var Presets = []string{Preset28d, Preset3m, PresetYTD}

// ReasonNoVerdict prefixes the verdict text of a comparison that is withheld.
const ReasonNoVerdict = "Ingen bedömning"

// Unit is what a CompStat comparison is about: one area, one kommun, or the areas of one
// lokalpolisområde on one list (no LPO boundaries are bundled, so an LPO is its utsatta
// områden).
type Unit struct {
	Level      string `json:"level"`
	ID         string `json:"id"`
	Name       string `json:"name"`
	Set        int    `json:"set,omitempty"`
	KommunCode string `json:"kommun_code,omitempty"`
	RegionCode string `json:"region_code"`
	// Counts says which incidents are counted: "exact" (located in the areas) or "all" (every
	// incident of the kommun, the Polisen events at kommun precision included).
	Counts string `json:"counts"`
	// LPOCodes are the lokalpolisområden the unit belongs to or, for a kommun, those of its
	// areas: what a caller scoped to LPOs needs to be allowed to see it.
	LPOCodes []string `json:"-"`
}

// PeriodCount is the incidents of one category group in the Period-th of the periods asked for.
type PeriodCount struct {
	Period int
	Group  string
	N      int
}

// CompStatStore is what the period comparisons need from the database, beyond Store. A Store
// that does not implement it gives summaries without comparisons.
type CompStatStore interface {
	// CompStatUnit returns the unit of level and id (year: the list of an LPO's areas);
	// lagesbild.ErrNotFound when there is none.
	CompStatUnit(ctx context.Context, level, id string, year int) (Unit, error)
	// PeriodGroupCounts counts the unit's incidents per group in each of periods.
	PeriodGroupCounts(ctx context.Context, u Unit, periods []Period) ([]PeriodCount, error)
}

// PeriodComparison compares the current period's count with the count of an earlier period.
type PeriodComparison struct {
	Period PeriodJSON `json:"period"`
	Count  Indicator  `json:"count"`
	// Difference is the current count minus this period's count.
	Difference Indicator `json:"difference"`
	// Percent is the change of the daily rate, which for periods of equal length is the change
	// of the count.
	Percent Indicator `json:"percent"`
	// RateRatio is the ratio of the daily rates with its exact 95 % interval.
	RateRatio   Indicator `json:"rate_ratio"`
	P           *float64  `json:"p"`
	Significant *bool     `json:"significant"`
	// Verdict is a risk.Verdict code ("" when withheld), VerdictText the plain Swedish verdict.
	Verdict     string `json:"verdict"`
	VerdictText string `json:"verdict_text"`
	Suppressed  bool   `json:"suppressed"`
	Reason      string `json:"reason,omitempty"`
}

// GroupComparison is one group's (or the total's) comparisons in a ComparisonSet.
type GroupComparison struct {
	Group    string           `json:"group"`
	Label    string           `json:"label"`
	Count    Indicator        `json:"count"`
	Previous PeriodComparison `json:"previous_period"`
	LastYear PeriodComparison `json:"same_period_last_year"`
}

// ComparisonSet is one preset's comparisons: the current period against the previous period
// of equal length and against the same dates a year earlier, for the total and each group that
// is not sensitive.
type ComparisonSet struct {
	Preset   string            `json:"preset"`
	Current  PeriodJSON        `json:"current_period"`
	Previous PeriodJSON        `json:"previous_period"`
	LastYear PeriodJSON        `json:"same_period_last_year"`
	Total    GroupComparison   `json:"total"`
	Groups   []GroupComparison `json:"groups"`
}

// CompStat is the answer of GET /api/v1/compstat.
type CompStat struct {
	Unit         Unit            `json:"unit"`
	ReferenceDay string          `json:"reference_day"`
	Comparisons  []ComparisonSet `json:"comparisons"`
	// SensitiveGroups are counted in the total but never compared on their own.
	SensitiveGroups []string `json:"sensitive_groups"`
	Notes           []string `json:"notes"`
}

// CompStatQuery selects what GET /api/v1/compstat compares.
type CompStatQuery struct {
	Level, ID string
	Set       int        // list of an LPO's areas; 0: not needed (area, kommun)
	Preset    string     // one of Presets; "": all of them
	To        *time.Time // reference day; nil: the newest incident day
}

// presetPeriod is the current period of preset ending on day ref.
func presetPeriod(preset string, ref time.Time) (Period, error) {
	switch preset {
	case Preset28d:
		return Period{From: ref.AddDate(0, 0, -27), To: ref}, nil
	case Preset3m:
		return Period{From: ref.AddDate(0, -3, 1), To: ref}, nil
	case PresetYTD:
		return Period{From: time.Date(ref.Year(), 1, 1, 0, 0, 0, 0, time.UTC), To: ref}, nil
	}
	return Period{}, lagesbild.Invalid("preset", "%q is not one of 28d, 3m, ytd", preset)
}

// lastYear is p a year earlier, date for date (29 February becomes 1 March).
func lastYear(p Period) Period {
	return Period{From: p.From.AddDate(-1, 0, 0), To: p.To.AddDate(-1, 0, 0)}
}

// CompStatUnit returns the unit of a comparison, for the caller's scope check before any count
// is read.
func (s *Service) CompStatUnit(ctx context.Context, level, id string, year int) (Unit, error) {
	cs, ok := s.store.(CompStatStore)
	if !ok {
		return Unit{}, fmt.Errorf("summary: compstat: the store cannot count periods: %w", lagesbild.ErrUnavailable)
	}
	return cs.CompStatUnit(ctx, level, id, year)
}

// CompStat compares one area, kommun or LPO over the presets of q.
func (s *Service) CompStat(ctx context.Context, q CompStatQuery) (*CompStat, error) {
	cs, ok := s.store.(CompStatStore)
	if !ok {
		return nil, fmt.Errorf("summary: compstat: the store cannot count periods: %w", lagesbild.ErrUnavailable)
	}
	presets := Presets
	if q.Preset != "" {
		if !slices.Contains(Presets, q.Preset) {
			return nil, lagesbild.Invalid("preset", "%q is not one of 28d, 3m, ytd", q.Preset)
		}
		presets = []string{q.Preset}
	}
	u, err := cs.CompStatUnit(ctx, q.Level, q.ID, q.Set)
	if err != nil {
		return nil, fmt.Errorf("summary: compstat %s %s: %w", q.Level, q.ID, err)
	}
	ref, err := s.Period(ctx, Query{To: q.To})
	if err != nil {
		return nil, err
	}
	currents := make([]Period, len(presets))
	for i, pr := range presets {
		if currents[i], err = presetPeriod(pr, ref.To); err != nil {
			return nil, err
		}
	}
	sets, err := s.comparisons(ctx, cs, u, presets, currents)
	if err != nil {
		return nil, err
	}
	return &CompStat{Unit: u, ReferenceDay: ref.To.Format(time.DateOnly), Comparisons: sets,
		SensitiveGroups: s.sensitiveGroups(), Notes: compStatNotes()}, nil
}

func compStatNotes() []string {
	return []string{
		"Antal 1–4 visas inte; ytterligare uppgifter döljs när de annars kunde räknas fram.",
		"Jämförelser görs inte vid färre än 10 händelser i de två perioderna tillsammans.",
		"Testet är exakt (villkorat binomialtest för två Poissonantal) och tar hänsyn till periodernas längd; statistiskt säkerställd betyder p < 0,05.",
		"Räknade händelser är registrerade händelser, inte all brottslighet.",
	}
}

func (s *Service) sensitiveGroups() []string {
	out := make([]string, 0, len(s.sensitive))
	for g := range s.sensitive {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}

// comparisons counts the unit's incidents in every current period of presets, its previous
// period and its dates a year earlier (one query) and compares them.
func (s *Service) comparisons(ctx context.Context, cs CompStatStore, u Unit, presets []string, currents []Period) ([]ComparisonSet, error) {
	var periods []Period
	for _, cur := range currents {
		periods = append(periods, cur, cur.Previous(), lastYear(cur))
	}
	rows, err := cs.PeriodGroupCounts(ctx, u, periods)
	if err != nil {
		return nil, fmt.Errorf("summary: compstat counts of %s %s: %w", u.Level, u.ID, err)
	}
	counts := make([]map[string]int, len(periods))
	for i := range counts {
		counts[i] = map[string]int{}
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if r.Period >= 0 && r.Period < len(periods) {
			counts[r.Period][r.Group] += r.N
			seen[r.Group] = true
		}
	}
	groups := groupOrder(seen)
	out := make([]ComparisonSet, len(presets))
	for i, pr := range presets {
		out[i] = s.comparisonSet(pr, groups, periods[3*i:3*i+3], counts[3*i:3*i+3])
	}
	return out, nil
}

// comparisonSet compares periods[0] (counts[0]) with periods[1] and periods[2], applying the
// table suppression to each period's counts.
func (s *Service) comparisonSet(preset string, groups []string, periods []Period, counts []map[string]int) ComparisonSet {
	set := ComparisonSet{Preset: preset, Current: periodJSON(periods[0]), Previous: periodJSON(periods[1]),
		LastYear: periodJSON(periods[2]), Groups: []GroupComparison{}}
	totalHidden := make([]bool, 3)
	partsHidden := make([]map[string]bool, 3)
	for k := range 3 {
		var err error
		if totalHidden[k], partsHidden[k], err = s.hidden(groups, counts[k]); err != nil {
			totalHidden[k], partsHidden[k] = true, allTrue(groups)
		}
	}
	build := func(key string, hidden [3]bool) GroupComparison {
		g := GroupComparison{Group: key, Label: groupLabel(key)}
		if key == keyTotal {
			g.Label = "Totalt"
		}
		n := sumGroups(counts[0], key)
		g.Count = countIndicator(n, hidden[0])
		g.Previous = comparePeriod(periods[0], periods[1], n, sumGroups(counts[1], key), hidden[0], hidden[1])
		g.LastYear = comparePeriod(periods[0], periods[2], n, sumGroups(counts[2], key), hidden[0], hidden[2])
		return g
	}
	set.Total = build(keyTotal, [3]bool{totalHidden[0], totalHidden[1], totalHidden[2]})
	for _, g := range groups {
		if s.sensitive[g] {
			continue
		}
		set.Groups = append(set.Groups, build(g, [3]bool{partsHidden[0][g], partsHidden[1][g], partsHidden[2][g]}))
	}
	return set
}

// comparePeriod compares n events in cur with b events in other (risk.ComparePeriods), or
// withholds the comparison when either count is hidden or they are fewer than
// risk.MinRateCount together.
func comparePeriod(cur, other Period, n, b int, hiddenNow, hiddenOther bool) PeriodComparison {
	pc := PeriodComparison{Period: periodJSON(other), Count: countIndicator(b, hiddenOther)}
	withhold := func(reason string) PeriodComparison {
		pc.Difference, pc.Percent, pc.RateRatio = withheld(reason), withheld(reason), withheld(reason)
		pc.Suppressed, pc.Reason, pc.VerdictText = true, reason, ReasonNoVerdict+": "+reason
		return pc
	}
	if reason := countReason(n+b, hiddenNow || hiddenOther); reason != "" {
		return withhold(reason)
	}
	c, err := risk.ComparePeriods(n, b, float64(cur.Days()), float64(other.Days()))
	if err != nil {
		return withhold(ReasonNotEstimable)
	}
	pc.Difference = value(float64(n - b))
	if c.PercentDefined {
		pc.Percent = value(c.Percent)
	} else {
		pc.Percent = withheld(ReasonNotEstimable)
	}
	pc.RateRatio = interval(c.RateRatio, c.Lower, c.Upper)
	pc.P, pc.Significant = ptr(c.P), ptr(c.Significant)
	pc.Verdict, pc.VerdictText = c.Verdict, risk.VerdictText(c.Verdict)
	return pc
}

// areaComparisons are the comparisons of an area's summary: its own period and the presets,
// all ending on the period's last day. nil when the store cannot count periods.
func (s *Service) areaComparisons(ctx context.Context, a AreaInfo, p Period) ([]ComparisonSet, error) {
	cs, ok := s.store.(CompStatStore)
	if !ok {
		return nil, nil
	}
	u := Unit{Level: LevelArea, ID: a.ID, Name: a.Name, Set: a.Set, KommunCode: a.KommunCode, RegionCode: a.RegionCode, Counts: "exact"}
	presets := append([]string{PresetPeriod}, Presets...)
	currents := []Period{p}
	for _, pr := range Presets {
		cur, err := presetPeriod(pr, p.To)
		if err != nil {
			return nil, err
		}
		currents = append(currents, cur)
	}
	return s.comparisons(ctx, cs, u, presets, currents)
}
