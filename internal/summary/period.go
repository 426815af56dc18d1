package summary

import (
	"context"
	"fmt"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Period is a range of whole days in Europe/Stockholm, both ends inclusive. From and To are
// dates at midnight UTC.
type Period struct {
	From, To time.Time
}

// Days returns the number of days of p.
func (p Period) Days() int { return int(p.To.Sub(p.From).Hours()/24) + 1 }

// Previous returns the period of equal length that ends the day before p starts.
func (p Period) Previous() Period {
	to := p.From.AddDate(0, 0, -1)
	return Period{From: to.AddDate(0, 0, 1-p.Days()), To: to}
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
