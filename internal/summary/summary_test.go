package summary

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/risk"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fakeStore holds a list of two areas in one kommun.
type fakeStore struct {
	areas   []AreaInfo
	counts  []GroupCount
	kommun  []KommunCount
	monthly []MonthCount
	newest  time.Time
	// The hot-spot grid: none unless a test sets them.
	cells      []CellCount
	areaCells  []AreaCell
	groupCells []GroupCellCount
}

func (f *fakeStore) SummaryAreas(ctx context.Context, year int) ([]AreaInfo, error) {
	if year != 2025 {
		return nil, lagesbild.ErrNotFound
	}
	return f.areas, nil
}

func (f *fakeStore) SummaryArea(ctx context.Context, id string) (AreaInfo, error) {
	for _, a := range f.areas {
		if a.ID == id {
			return a, nil
		}
	}
	return AreaInfo{}, lagesbild.ErrNotFound
}

func (f *fakeStore) NewestIncidentDay(ctx context.Context) (time.Time, bool, error) {
	return f.newest, !f.newest.IsZero(), nil
}

func (f *fakeStore) AreaGroupCounts(ctx context.Context, year int, now, before Period) ([]GroupCount, error) {
	return f.counts, nil
}

func (f *fakeStore) KommunGroupCounts(ctx context.Context, year int, p Period) ([]KommunCount, error) {
	return f.kommun, nil
}

func (f *fakeStore) AreaMonthlyCounts(ctx context.Context, year int, part Part, p Period) ([]MonthCount, error) {
	return f.monthly, nil
}

func (f *fakeStore) KommunCellCounts(ctx context.Context, year int, part Part, p Period) ([]CellCount, error) {
	return f.cells, nil
}

func (f *fakeStore) AreaCells(ctx context.Context, year int, part Part) ([]AreaCell, error) {
	return f.areaCells, nil
}

func (f *fakeStore) KommunGroupCellCounts(ctx context.Context, kommun string, p Period) ([]GroupCellCount, error) {
	if kommun != "0180" {
		return nil, nil
	}
	return f.groupCells, nil
}

func (f *fakeStore) AreaOffices(ctx context.Context, year int, part Part, distanceM float64) ([]Office, error) {
	return []Office{{AreaID: "2025-SO1", Agency: "pm", StaffedHoursPerWeek: 40}}, nil
}

func (f *fakeStore) AreaOperations(ctx context.Context, year int, part Part, until time.Time) ([]Operation, error) {
	// 700 person-hours over 70 days, 40 of them inside the period.
	return []Operation{{AreaID: "2025-SO1", Agencies: []string{"skv", "pm"}, Start: day("2024-12-02"), End: day("2025-02-09"), PersonHours: 700}}, nil
}

func (f *fakeStore) AreaProvenance(ctx context.Context, year int, part Part, p Period) ([]Provenance, error) {
	return []Provenance{{AreaID: "2025-SO1", Source: lagesbild.SourceSyntheticDemo, Agency: "pm"}}, nil
}

func (f *fakeStore) AreaHistory(ctx context.Context, areaKey string) ([]HistoryEntry, error) {
	return []HistoryEntry{{Year: 2023, AreaID: "2023-" + areaKey, AreaKey: areaKey}}, nil
}

func newFake() *fakeStore {
	f := &fakeStore{
		areas: []AreaInfo{
			{ID: "2025-SO1", Key: "SO1", Set: 2025, KommunCode: "0180", RegionCode: "5300", Population: 5004, HasPopulation: true, PopulationEstimated: true, KommunPopulation: 100000},
			{ID: "2025-SO2", Key: "SO2", Set: 2025, KommunCode: "0180", RegionCode: "5300", Population: 800, HasPopulation: true, KommunPopulation: 100000},
		},
		counts: []GroupCount{
			{"2025-SO2", "skjutning", 3, 0},          // 1–4: suppressed
			{"2025-SO1", "narkotika", 40, 20},        // shown
			{"2025-SO1", "misshandel_hot", 12, 12},   // shown
			{"2025-SO1", "stold_inbrott", 6, 6},      // the sensitive group is the only hidden part: the smallest other is hidden too
			{"2025-SO1", "overgrepp_rattssak", 7, 0}, // sensitive: only in the total
			{"2025-SO2", "narkotika", 30, 10},        // area below 1 000 residents
			{"2025-SO2", "brand_skadegorelse", 0, 0},
		},
		kommun: []KommunCount{
			{"0180", "skjutning", 30}, {"0180", "narkotika", 700}, {"0180", "misshandel_hot", 300},
			{"0180", "stold_inbrott", 900}, {"0180", "overgrepp_rattssak", 50},
		},
		newest: day("2025-12-31"),
	}
	// A rising narkotika series in SO1: 12 months from 2025-01.
	for m := range 12 {
		f.monthly = append(f.monthly, MonthCount{AreaID: "2025-SO1", Group: "narkotika", Month: day("2025-01-01").AddDate(0, m, 0), N: m})
	}
	return f
}

func find(t *testing.T, sm *Summary, g string) *GroupSummary {
	t.Helper()
	for i := range sm.Groups {
		if sm.Groups[i].Group == g {
			return &sm.Groups[i]
		}
	}
	t.Fatalf("no group %s", g)
	return nil
}

func TestSummaryArea(t *testing.T) {
	s := New(newFake(), Options{})
	sm, err := s.Area(context.Background(), "2025-SO1", Query{})
	if err != nil {
		t.Fatal(err)
	}
	if sm.Period.From != "2025-01-01" || sm.Period.To != "2025-12-31" || sm.Previous.To != "2024-12-31" || sm.Previous.Days != 365 {
		t.Errorf("period %+v previous %+v", sm.Period, sm.Previous)
	}
	if *sm.Population.Value != 5000 || !sm.Population.Estimated {
		t.Errorf("population %+v, want 5000 estimated", sm.Population)
	}
	if c := find(t, sm, "stold_inbrott").Count; c.Value != nil || c.Reason != ReasonSecondary {
		t.Errorf("stold_inbrott count %+v, want secondary suppression", c)
	}
	if r := find(t, sm, "stold_inbrott").Rate; r.Value != nil {
		t.Errorf("rate of a hidden count is shown: %+v", r)
	}
	for _, g := range sm.Groups {
		if g.Group == "overgrepp_rattssak" {
			t.Error("sensitive group shown on its own")
		}
	}
	if *sm.Total.Count.Value != 65 {
		t.Errorf("total %v, want 65 (sensitive group included)", *sm.Total.Count.Value)
	}
	n := find(t, sm, "narkotika")
	if *n.Count.Value != 40 || n.Rate.Value == nil || math.Abs(*n.Rate.Value-40.0/5004*1000) > 1e-9 {
		t.Errorf("narkotika rate %+v", n.Rate)
	}
	if n.Trend.Z == nil || *n.Trend.Z < 1.96 || n.Trend.Significant == nil || !*n.Trend.Significant {
		t.Errorf("narkotika trend %+v, want significant rise", n.Trend)
	}
	if n.Change.P == nil || n.Change.Percent.Value == nil || *n.Change.Percent.Value != 100 {
		t.Errorf("narkotika change %+v", n.Change)
	}
	if m := find(t, sm, "misshandel_hot").Trend; !m.Suppressed {
		// 12 events but no monthly series: all zero months, Z = 0; shown.
		if m.Z == nil || *m.Z != 0 {
			t.Errorf("misshandel_hot trend %+v", m)
		}
	}
	if !sm.Provenance.Synthetic || len(sm.History) != 1 {
		t.Errorf("provenance %+v history %+v", sm.Provenance, sm.History)
	}
	p := sm.Presence
	if p.AgenciesPresent != 2 || p.DaysSinceLastOperation == nil || *p.DaysSinceLastOperation != 325 {
		t.Errorf("presence %+v", p)
	}
	if got := *p.OperationHours.Value; math.Abs(got-400.0/5004*1000) > 1e-9 {
		t.Errorf("operation hours per 1000 = %v", got)
	}
	if sm.HotSpots.Reason != ReasonNoCells {
		t.Errorf("hot spots %+v, want no cells", sm.HotSpots)
	}

	small, err := s.Area(context.Background(), "2025-SO2", Query{})
	if err != nil {
		t.Fatal(err)
	}
	if c := find(t, small, "skjutning").Count; c.Value != nil || !c.Suppressed || c.Reason != ReasonSmallCount {
		t.Errorf("skjutning count %+v, want suppressed as 1–4", c)
	}
	if r := small.Total.Rate; r.Value != nil || r.Reason != risk.ReasonFewResidents {
		t.Errorf("rate of a small area %+v, want withheld", r)
	}
	if _, err := s.Area(context.Background(), "2025-SO9", Query{}); !errors.Is(err, lagesbild.ErrNotFound) {
		t.Errorf("unknown area: %v", err)
	}
}

func TestSummaryPeriod(t *testing.T) {
	s := New(newFake(), Options{})
	from, to := day("2025-03-01"), day("2025-01-01")
	if _, err := s.Period(context.Background(), Query{From: &from, To: &to}); !errors.Is(err, lagesbild.ErrInvalid) {
		t.Errorf("from after to: %v", err)
	}
	p, err := s.Period(context.Background(), Query{From: &to})
	if err != nil || p.To != day("2025-12-31") {
		t.Errorf("from only: %+v %v", p, err)
	}
	if prev := (Period{From: day("2025-03-01"), To: day("2025-03-31")}).Previous(); prev.From != day("2025-01-29") || prev.To != day("2025-02-28") {
		t.Errorf("previous %+v", prev)
	}
}

func TestPrioritiseWeights(t *testing.T) {
	s := New(newFake(), Options{})
	for _, w := range []map[string]float64{{"nope": 1}, {"trend": -1}, {"trend": 0}, {"trend": math.NaN()}} {
		if _, err := s.Prioritise(context.Background(), 2025, Query{}, w, risk.PercentRank); !errors.Is(err, lagesbild.ErrInvalid) {
			t.Errorf("weights %v: %v", w, err)
		}
	}
	pr, err := s.Prioritise(context.Background(), 2025, Query{}, nil, risk.PercentRank)
	if err != nil {
		t.Fatal(err)
	}
	if len(pr.Areas) != 2 || pr.Weights[risk.ComponentViolentRate] != 0.35 {
		t.Fatalf("priority %+v", pr)
	}
	for _, a := range pr.Areas {
		sum := 0.0
		for _, c := range a.Contributions {
			sum += c
		}
		if a.Score != nil && math.Abs(sum-*a.Score) > 1e-12 {
			t.Errorf("%s: contributions %v != score %v", a.Area.ID, sum, *a.Score)
		}
	}
	if _, err := s.Prioritise(context.Background(), 2024, Query{}, nil, risk.PercentRank); !errors.Is(err, lagesbild.ErrNotFound) {
		t.Errorf("unknown list: %v", err)
	}
}
