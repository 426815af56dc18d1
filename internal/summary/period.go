package summary

import (
	"context"
	"fmt"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Period is the period type of the summaries and the analyst's tools (lagesbild.Period).
type Period = lagesbild.Period

// Period resolves the period of q: by default the 12 months ending the newest incident day
// (or today); one bound alone gives 12 months from or to it.
func (s *Service) Period(ctx context.Context, q Query) (Period, error) {
	return lagesbild.ResolvePeriod(q.From, q.To, func() (time.Time, error) {
		newest, err := lagesbild.NewestOrToday(ctx, s.store, s.now)
		if err != nil {
			return time.Time{}, fmt.Errorf("summary: period: %w", err)
		}
		return newest, nil
	})
}

func periodJSON(p Period) PeriodJSON { return p.JSON() }

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
