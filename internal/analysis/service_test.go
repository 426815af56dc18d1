package analysis

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// newestStore answers only the newest incident day.
type newestStore struct {
	Store
	newest time.Time
}

func (s newestStore) NewestIncidentDay(context.Context) (time.Time, bool, error) {
	return s.newest, true, nil
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestMonthsWholeOnly(t *testing.T) {
	for _, c := range []struct {
		name     string
		newest   time.Time
		to       *time.Time
		months   int
		from, is time.Time // first month, exclusive end
	}{
		{"newest is a month's last day", date(2026, 10, 31), nil, 0, date(2024, 11, 1), date(2026, 11, 1)},
		{"newest mid-month: that month is left out", date(2026, 10, 30), nil, 0, date(2024, 10, 1), date(2026, 10, 1)},
		{"to given, 12 months", date(2026, 10, 31), ptr(date(2025, 12, 31)), 12, date(2025, 1, 1), date(2026, 1, 1)},
		{"leap February", date(2026, 10, 31), ptr(date(2024, 2, 29)), 12, date(2023, 3, 1), date(2024, 3, 1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := New(newestStore{newest: c.newest}, Options{})
			from, to, err := s.months(context.Background(), EmergingQuery{To: c.to, Months: c.months})
			if err != nil || !from.Equal(c.from) || !to.Equal(c.is) {
				t.Errorf("got %s – %s (%v), want %s – %s", from, to, err, c.from, c.is)
			}
		})
	}
	s := New(newestStore{newest: date(2026, 10, 31)}, Options{})
	for _, m := range []int{11, MaxMonths + 1, -1} {
		if _, _, err := s.months(context.Background(), EmergingQuery{Months: m}); !errors.Is(err, lagesbild.ErrInvalid) {
			t.Errorf("months %d: %v", m, err)
		}
	}
}

func TestCheckGroup(t *testing.T) {
	s := New(newestStore{}, Options{})
	for g, ok := range map[string]bool{"": true, "ran": true, "overgrepp_rattssak": false, "nope": false} {
		if err := s.checkGroup(g, false); (err == nil) != ok {
			t.Errorf("%q: %v", g, err)
		}
	}
	if err := s.checkGroup("", true); !errors.Is(err, lagesbild.ErrInvalid) {
		t.Errorf("required group: %v", err)
	}
	// Another configuration of sensitive groups.
	s = New(newestStore{}, Options{Sensitive: []string{"narkotika"}})
	if s.checkGroup("overgrepp_rattssak", false) != nil || s.checkGroup("narkotika", false) == nil {
		t.Error("Options.Sensitive not applied")
	}
}

func ptr[T any](v T) *T { return &v }
