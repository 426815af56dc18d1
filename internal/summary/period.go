package summary

import (
	"context"
	"fmt"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Period is the period type of the summaries and the analyst's tools (lagesbild.Period).
type Period = lagesbild.Period

// Period resolves the period of q: by default the 12 months ending the newest incident day
// (or today); one bound alone gives 12 months from or to it.
func (s *Service) Period(ctx context.Context, q Query) (Period, error) {
	return lagesbild.ResolvePeriod(q.From, q.To, func() (time.Time, error) {
		newest, err := lagesbild.NewestOrToday(ctx, newestSource{s}, s.now)
		if err != nil {
			return time.Time{}, fmt.Errorf("summary: period: %w", err)
		}
		return newest, nil
	})
}

// newestSource is the store's newest incident day, remembered per scope and data version.
type newestSource struct{ s *Service }

// NewestIncidentDay is the newest day the caller may see an incident on. It depends only on
// the data and the caller's scope (row-level security filters the aggregate it is read from),
// so with a Versioned store and an identity it is read once per scope and data version rather
// than in a transaction of its own for every summary.
func (n newestSource) NewestIncidentDay(ctx context.Context) (time.Time, bool, error) {
	s := n.s
	id, hasID := auth.FromContext(ctx)
	if s.cache == nil || s.ver == nil || !hasID {
		return s.store.NewestIncidentDay(ctx)
	}
	version, err := s.ver.DataVersion(ctx)
	if err != nil {
		return s.store.NewestIncidentDay(ctx)
	}
	scope := id.CacheKey()
	s.newestMu.Lock()
	day, ok := s.newest[scope]
	ok = ok && s.newestVersion == version
	s.newestMu.Unlock()
	if ok {
		return day, true, nil
	}
	day, ok, err = s.store.NewestIncidentDay(ctx)
	if err != nil || !ok {
		return day, ok, err // no incidents: the period ends today, which changes without an import
	}
	s.newestMu.Lock()
	defer s.newestMu.Unlock()
	if version > s.newestVersion || s.newest == nil {
		s.newestVersion, s.newest = version, map[string]time.Time{}
	}
	if version == s.newestVersion && len(s.newest) < maxNewestScopes {
		s.newest[scope] = day
	}
	return day, true, nil
}

// maxNewestScopes bounds the scopes whose newest day is remembered for one data version.
const maxNewestScopes = 1024

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
