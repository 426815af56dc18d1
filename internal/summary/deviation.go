package summary

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/risk"
)

// Deviation windows: the latest week or four weeks, each against the 52 weeks before it.
const (
	WindowWeek  = "week"
	WindowMonth = "month"
	// BaselineDays is the length of every baseline: 52 weeks, so that each weekday and, over
	// the year, each season weigh alike.
	BaselineDays = 364
)

// WindowCount is an area's incidents of one group in the latest window and in its baseline.
type WindowCount struct {
	AreaID, Group    string
	Latest, Baseline int
}

// CellWindowCount is the exactly located incidents (all groups) of one res-8 cell in the latest
// window and in its baseline, with the kommun the cell lies in.
type CellWindowCount struct {
	Cell             uint64
	Kommun           string
	Latest, Baseline int
}

// DeviationStore is what the deviations need from the database, beyond Store.
type DeviationStore interface {
	AreaWindowCounts(ctx context.Context, year int, latest, baseline Period) ([]WindowCount, error)
	// CellWindowCounts returns the res-8 cells (of kommun, or all the caller may see when
	// kommun is "") with at least minLatest incidents in the latest window.
	CellWindowCounts(ctx context.Context, kommun string, latest, baseline Period, minLatest int) ([]CellWindowCount, error)
}

// DeviationQuery selects the deviations to list.
type DeviationQuery struct {
	Set    int
	Window string     // WindowWeek or WindowMonth
	To     *time.Time // last day of the latest window; nil: the newest incident day
	Region string     // police region of the areas; "": all
	Kommun string     // kommun of the cells; "": all the caller may see
	Cells  bool       // list cells too
}

// DeviationRow is one area (total or one group) or one cell whose latest window exceeds the
// upper 99 % Poisson limit of its own baseline.
type DeviationRow struct {
	Kind       string   `json:"kind"` // "area" or "cell"
	Area       *AreaRef `json:"area,omitempty"`
	Cell       string   `json:"cell,omitempty"` // H3 index, resolution 8
	KommunCode string   `json:"kommun_code"`
	Group      string   `json:"group"`
	Label      string   `json:"label"`
	Observed   int      `json:"observed"`
	// Expected is the baseline scaled to the window; UpperLimit the upper 99 % Poisson limit
	// of it, which Observed exceeds.
	Expected   float64 `json:"expected"`
	UpperLimit int     `json:"upper_limit_99"`
	// P is the one-sided Poisson probability of at least Observed events.
	P float64 `json:"p"`
}

// Deviations is the answer of GET /api/v1/deviations.
type Deviations struct {
	Set      int        `json:"set"`
	Window   string     `json:"window"`
	Latest   PeriodJSON `json:"latest"`
	Baseline PeriodJSON `json:"baseline"`
	Level    float64    `json:"level"`
	// Areas and Cells are the deviations, most surprising (smallest P) first.
	Areas []DeviationRow `json:"areas"`
	Cells []DeviationRow `json:"cells"`
	Notes []string       `json:"notes"`
}

// Deviations lists the areas of list q.Set (total and each group that is not sensitive) and
// the res-8 cells whose latest week or four weeks exceed the upper 99 % Poisson limit of the
// 52 weeks before. Only counts that the table suppression shows are listed: a count of 1–4, or
// one hidden to protect another, never appears.
func (s *Service) Deviations(ctx context.Context, q DeviationQuery) (*Deviations, error) {
	ds, ok := s.store.(DeviationStore)
	if !ok {
		return nil, fmt.Errorf("summary: deviations: the store cannot count windows: %w", lagesbild.ErrUnavailable)
	}
	days := 7
	switch q.Window {
	case WindowWeek:
	case WindowMonth:
		days = 28
	default:
		return nil, lagesbild.Invalid("window", "%q is not week or month", q.Window)
	}
	ref, err := s.Period(ctx, Query{To: q.To})
	if err != nil {
		return nil, err
	}
	latest := Period{From: ref.To.AddDate(0, 0, 1-days), To: ref.To}
	baseline := Period{From: latest.From.AddDate(0, 0, -BaselineDays), To: latest.From.AddDate(0, 0, -1)}
	areas, err := s.store.SummaryAreas(ctx, q.Set)
	if err != nil {
		return nil, fmt.Errorf("summary: deviations %d: %w", q.Set, err)
	}
	counts, err := ds.AreaWindowCounts(ctx, q.Set, latest, baseline)
	if err != nil {
		return nil, fmt.Errorf("summary: deviations %d: %w", q.Set, err)
	}
	out := &Deviations{Set: q.Set, Window: q.Window, Latest: periodJSON(latest), Baseline: periodJSON(baseline),
		Level: risk.DeviationLevel, Areas: []DeviationRow{}, Cells: []DeviationRow{}, Notes: deviationNotes()}
	now, base := map[string]map[string]int{}, map[string]map[string]int{}
	seen := map[string]bool{}
	for _, c := range counts {
		if now[c.AreaID] == nil {
			now[c.AreaID], base[c.AreaID] = map[string]int{}, map[string]int{}
		}
		now[c.AreaID][c.Group] += c.Latest
		base[c.AreaID][c.Group] += c.Baseline
		seen[c.Group] = true
	}
	groups := groupOrder(seen)
	for _, a := range areas {
		if q.Region != "" && a.RegionCode != q.Region {
			continue
		}
		ref := AreaRef{ID: a.ID, Key: a.Key, Name: a.Name, Class: a.Class, Set: a.Set, KommunCode: a.KommunCode,
			KommunName: a.KommunName, RegionCode: a.RegionCode}
		totalHidden, partsHidden, err := s.hidden(groups, now[a.ID])
		if err != nil {
			continue // counts that do not add up cannot be protected: list none of them
		}
		check := func(key string, hidden bool) {
			n, b := sumGroups(now[a.ID], key), sumGroups(base[a.ID], key)
			if hidden || n < risk.MinShownCount {
				return
			}
			d, err := risk.PoissonDeviation(n, b, float64(latest.Days()), float64(baseline.Days()))
			if err != nil || !d.Exceeds {
				return
			}
			label := groupLabel(key)
			if key == keyTotal {
				label = "Totalt"
			}
			out.Areas = append(out.Areas, DeviationRow{Kind: "area", Area: &ref, KommunCode: a.KommunCode, Group: key, Label: label,
				Observed: n, Expected: d.Expected, UpperLimit: d.Upper, P: d.P})
		}
		check(keyTotal, totalHidden)
		for _, g := range groups {
			if !s.sensitive[g] {
				check(g, partsHidden[g])
			}
		}
	}
	if q.Cells {
		cells, err := ds.CellWindowCounts(ctx, q.Kommun, latest, baseline, risk.MinShownCount)
		if err != nil {
			return nil, fmt.Errorf("summary: deviations of cells: %w", err)
		}
		for _, c := range cells {
			d, err := risk.PoissonDeviation(c.Latest, c.Baseline, float64(latest.Days()), float64(baseline.Days()))
			if err != nil || !d.Exceeds || c.Latest < risk.MinShownCount {
				continue
			}
			out.Cells = append(out.Cells, DeviationRow{Kind: "cell", Cell: fmt.Sprintf("%x", c.Cell), KommunCode: c.Kommun,
				Group: keyTotal, Label: "Totalt", Observed: c.Latest, Expected: d.Expected, UpperLimit: d.Upper, P: d.P})
		}
	}
	byP := func(a, b DeviationRow) int {
		return cmp.Or(cmp.Compare(a.P, b.P), cmp.Compare(b.Observed, a.Observed), cmp.Compare(a.Cell, b.Cell), cmp.Compare(a.Group, b.Group))
	}
	slices.SortStableFunc(out.Areas, func(a, b DeviationRow) int { return cmp.Or(byP(a, b), cmp.Compare(a.Area.ID, b.Area.ID)) })
	slices.SortStableFunc(out.Cells, byP)
	return out, nil
}

func deviationNotes() []string {
	return []string{
		"Avvikelse: antalet den senaste perioden överstiger den övre 99-procentsgränsen för ett Poissonantal med områdets (cellens) eget medel de 52 veckorna före.",
		"Antal 1–4 visas inte och listas därför inte; känsliga grupper ingår bara i totalen.",
		"Vid många områden och celler väntas några avvikelser av en slump (ungefär en på hundra); se p-värdet.",
		"Räknade händelser är registrerade händelser med exakt position, inte all brottslighet.",
	}
}
