package lagesbild

import (
	"context"
	"time"
)

// MaxPeriodDays is the longest period a summary or an analysis covers (about ten years).
const MaxPeriodDays = 3660

// Period is a range of whole days in Europe/Stockholm, both ends inclusive; From and To are
// dates at midnight UTC. The summaries and the analyst's tools share it.
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

// JSON is p as the API publishes it.
func (p Period) JSON() PeriodJSON {
	return PeriodJSON{From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly), Days: p.Days()}
}

// PeriodJSON is a period as the API publishes it: first and last day (YYYY-MM-DD) and length.
type PeriodJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
	Days int    `json:"days"`
}

// Day is the calendar day of t as a date at midnight UTC (t's own clock, not converted).
func Day(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }

// StockholmToday is the calendar day of now in Sweden.
func StockholmToday(now time.Time) time.Time {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		loc = time.UTC
	}
	return Day(now.In(loc))
}

// NewestSource knows the newest day with an incident (the summaries' and the analyses' stores).
type NewestSource interface {
	// NewestIncidentDay is the latest day with an incident; ok is false when there are none.
	NewestIncidentDay(ctx context.Context) (day time.Time, ok bool, err error)
}

// NewestOrToday is the newest incident day of src as a date, or today in Sweden (by now) when
// there are no incidents: the default end of a period.
func NewestOrToday(ctx context.Context, src NewestSource, now func() time.Time) (time.Time, error) {
	newest, ok, err := src.NewestIncidentDay(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if !ok {
		return StockholmToday(now()), nil
	}
	return Day(newest), nil
}

// ResolvePeriod is the period of a request with optional bounds: both given, that range; one
// alone, the 12 months from or to it; none, the 12 months ending on newest (the newest day with
// incidents, or today). It refuses a period that ends before it starts or is longer than
// MaxPeriodDays, naming the parameter from.
func ResolvePeriod(from, to *time.Time, newest func() (time.Time, error)) (Period, error) {
	var p Period
	switch {
	case from != nil && to != nil:
		p = Period{From: Day(*from), To: Day(*to)}
	case from != nil:
		p.From = Day(*from)
		p.To = p.From.AddDate(1, 0, -1)
	case to != nil:
		p.To = Day(*to)
		p.From = p.To.AddDate(-1, 0, 1)
	default:
		n, err := newest()
		if err != nil {
			return Period{}, err
		}
		p.To = Day(n)
		p.From = p.To.AddDate(-1, 0, 1)
	}
	if p.To.Before(p.From) {
		return Period{}, Invalid("from", "%s is after to %s", p.From.Format(time.DateOnly), p.To.Format(time.DateOnly))
	}
	if p.Days() > MaxPeriodDays {
		return Period{}, Invalid("from", "the period has %d days; at most %d", p.Days(), MaxPeriodDays)
	}
	return p, nil
}
