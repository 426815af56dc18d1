package postgis

import (
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/summary"
)

// TestSpans checks, for every period of up to 800 days starting on each day of two years, that
// the whole months and the day ranges cover every day of the period exactly once and nothing
// else, and that whole months are used whenever a calendar month lies inside the period.
func TestSpans(t *testing.T) {
	start := time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC)
	for from := start; from.Before(start.AddDate(2, 0, 0)); from = from.AddDate(0, 0, 1) {
		for _, days := range []int{1, 2, 27, 28, 29, 30, 31, 32, 59, 60, 61, 62, 89, 90, 91, 92, 364, 365, 366, 367, 730, 800} {
			p := summary.Period{From: from, To: from.AddDate(0, 0, days-1)}
			months, dayRanges := newRanges(), newRanges()
			spans(p, true, months, dayRanges)
			seen := map[time.Time]int{}
			for i := range months.lo {
				if months.lo[i].Day() != 1 || months.hi[i].Day() != 1 {
					t.Fatalf("%v: month range %v–%v does not start and end on a first", p, months.lo[i], months.hi[i])
				}
				for d := months.lo[i]; d.Before(months.hi[i]); d = d.AddDate(0, 0, 1) {
					seen[d]++
				}
			}
			for i := range dayRanges.lo {
				for d := dayRanges.lo[i]; d.Before(dayRanges.hi[i]); d = d.AddDate(0, 0, 1) {
					seen[d]++
					// A day read from a daily table must not belong to a month inside the period.
					first := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
					if !first.Before(p.From) && !first.AddDate(0, 1, -1).After(p.To) {
						t.Fatalf("%v: day %v read by day although its month lies in the period", p, d)
					}
				}
			}
			for d := p.From; !d.After(p.To); d = d.AddDate(0, 0, 1) {
				if seen[d] != 1 {
					t.Fatalf("%v: day %v covered %d times", p, d.Format(time.DateOnly), seen[d])
				}
				delete(seen, d)
			}
			if len(seen) > 0 {
				t.Fatalf("%v: %d days outside the period covered", p, len(seen))
			}
			for _, now := range append(months.now, dayRanges.now...) {
				if !now {
					t.Fatalf("%v: range not marked as the period", p)
				}
			}
		}
	}
}
