package analysis

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Limits of the requests.
const (
	// MaxPeriodDays is the longest period of a time profile or a Knox test: ten years.
	MaxPeriodDays = lagesbild.MaxPeriodDays
	// DefaultMonths and MaxMonths are the months of emerging hot spots.
	DefaultMonths = 24
	MaxMonths     = 120
)

// Options configure a Service.
type Options struct {
	// Sensitive lists the groups shown only in totals; nil means overgrepp_rattssak. Give an
	// empty, non-nil slice for none.
	Sensitive []string
	// Now returns the current time (for the default period when there are no incidents).
	Now func() time.Time
}

// Service runs the analyses.
type Service struct {
	store     Store
	sensitive map[string]bool
	now       func() time.Time
}

// New returns a Service reading from store.
func New(store Store, o Options) *Service {
	s := &Service{store: store, sensitive: map[string]bool{}, now: o.Now}
	if o.Sensitive == nil {
		o.Sensitive = []string{string(lagesbild.GroupOvergreppRattssak)}
	}
	for _, g := range o.Sensitive {
		s.sensitive[g] = true
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Query selects a period (days; nil bounds: the 12 months ending the newest incident day)
// and a category group ("" for all).
type Query struct {
	From, To *time.Time
	Group    string
}

// PeriodJSON is a period as the API shows it (lagesbild.PeriodJSON).
type PeriodJSON = lagesbild.PeriodJSON

func periodJSON(p Period) PeriodJSON { return p.JSON() }

// AreaJSON names the area of a result.
type AreaJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Class      string `json:"class"`
	Set        int    `json:"set"`
	KommunCode string `json:"kommun_code"`
	KommunName string `json:"kommun_name"`
	RegionCode string `json:"region_code"`
}

func areaJSON(a Area) AreaJSON {
	return AreaJSON{ID: a.ID, Name: a.Name, Class: a.Class, Set: a.Set, KommunCode: a.KommunCode, KommunName: a.KommunName, RegionCode: a.RegionCode}
}

func day(t time.Time) time.Time { return lagesbild.Day(t) }

// newest is the newest incident day, or today in Sweden when there are none.
func (s *Service) newest(ctx context.Context) (time.Time, error) {
	newest, err := lagesbild.NewestOrToday(ctx, s.store, s.now)
	if err != nil {
		return time.Time{}, fmt.Errorf("analysis: newest day: %w", err)
	}
	return newest, nil
}

// period resolves q's period as the summaries do: 12 months ending the newest incident day by
// default, 12 months from or to a single bound.
func (s *Service) period(ctx context.Context, q Query) (Period, error) {
	return lagesbild.ResolvePeriod(q.From, q.To, func() (time.Time, error) { return s.newest(ctx) })
}

// checkGroup validates a group: known, and not sensitive unless allowSensitive.
func (s *Service) checkGroup(g string, required bool) error {
	if g == "" {
		if required {
			return lagesbild.Invalid("group", "give a category group, such as stold_inbrott")
		}
		return nil
	}
	known := slices.ContainsFunc(lagesbild.CategoryGroups, func(c struct {
		Group lagesbild.CategoryGroup
		Label string
	}) bool {
		return string(c.Group) == g
	})
	if !known {
		return lagesbild.Invalid("group", "%q is not a category group (see docs/taxonomy.md)", truncate(g, 40))
	}
	if s.sensitive[g] {
		return lagesbild.Invalid("group", "%s is a sensitive group, shown only in totals", g)
	}
	return nil
}

// groupLabel is the Swedish label of a group.
func groupLabel(g string) string {
	for _, c := range lagesbild.CategoryGroups {
		if string(c.Group) == g {
			return c.Label
		}
	}
	return g
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// KommunRegion returns the police region of a kommun (lagesbild.ErrNotFound for none), for the
// caller's scope check.
func (s *Service) KommunRegion(ctx context.Context, kommun string) (string, error) {
	return s.store.KommunRegion(ctx, kommun)
}

// AreaOperations returns the operations on an area, newest first.
func (s *Service) AreaOperations(ctx context.Context, areaID string) ([]Operation, error) {
	return s.store.AreaOperationList(ctx, areaID)
}
