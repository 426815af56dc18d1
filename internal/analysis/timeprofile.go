package analysis

import (
	"context"
	"fmt"
	"slices"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/risk"
)

// Weekdays are the Swedish weekday names of a profile's rows, Monday first.
var Weekdays = []string{"måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"}

// ReasonHidden is why a number of a profile is not shown.
const ReasonHidden = "dolt (1–4 händelser, eller för att skydda ett annat dolt tal)"

// Profile is one weekday × hour table: Counts[weekday][hour], nil where hidden.
type Profile struct {
	Group string `json:"group"` // "total" for all groups
	Label string `json:"label"`
	// Count is the number of events of the profile; nil when hidden.
	Count  *int     `json:"count"`
	Counts [][]*int `json:"counts"`
}

// TimeProfile is the weekday × hour profile of an area's exact incidents, for shift and
// patrol planning.
type TimeProfile struct {
	Area     AreaJSON   `json:"area"`
	Period   PeriodJSON `json:"period"`
	Weekdays []string   `json:"weekdays"`
	// Total is every group, sensitive ones included; Groups the groups with events, never the
	// sensitive ones (all of them when Query.Group is "", else the one asked for).
	Total           Profile   `json:"total"`
	Groups          []Profile `json:"groups"`
	SensitiveGroups []string  `json:"sensitive_groups"`
	Hidden          string    `json:"hidden_reason"`
	Notes           []string  `json:"notes"`
}

// TimeProfile counts an area's exact incidents per weekday and hour (Swedish time) in the
// period, per group and in total, with small counts hidden so that nothing hidden can be
// recovered by subtraction (risk.SuppressProfiles).
func (s *Service) TimeProfile(ctx context.Context, areaID string, q Query) (*TimeProfile, error) {
	if err := s.checkGroup(q.Group, false); err != nil {
		return nil, err
	}
	a, err := s.store.AnalysisArea(ctx, areaID)
	if err != nil {
		return nil, fmt.Errorf("analysis: area %s: %w", areaID, err)
	}
	p, err := s.period(ctx, q)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.AreaSlotCounts(ctx, areaID, p)
	if err != nil {
		return nil, fmt.Errorf("analysis: time profile of %s: %w", areaID, err)
	}
	index := map[string]int{}
	var groups []string
	for _, c := range lagesbild.CategoryGroups {
		index[string(c.Group)] = len(groups)
		groups = append(groups, string(c.Group))
	}
	counts := make([][risk.ProfileSlots]int, len(groups))
	for _, r := range rows {
		g, ok := index[r.Group]
		if !ok || r.Weekday < 0 || r.Weekday > 6 || r.Hour < 0 || r.Hour > 23 || r.N < 0 {
			return nil, fmt.Errorf("analysis: time profile: unexpected row %+v", r)
		}
		counts[g][24*r.Weekday+r.Hour] += r.N
	}
	sensitive := make([]bool, len(groups))
	for i, g := range groups {
		sensitive[i] = s.sensitive[g]
	}
	sup, err := risk.SuppressProfiles(counts, sensitive)
	if err != nil {
		return nil, fmt.Errorf("analysis: time profile: %w", err)
	}
	out := &TimeProfile{Area: areaJSON(a), Period: periodJSON(p), Weekdays: Weekdays, Hidden: ReasonHidden,
		SensitiveGroups: slices.Sorted(mapKeys(s.sensitive)), Groups: []Profile{},
		Notes: []string{"Endast händelser med exakt position i området. Tid enligt svensk lokal tid."}}
	var total [risk.ProfileSlots]int
	all := 0
	for g := range groups {
		for sl, n := range counts[g] {
			total[sl] += n
			all += n
		}
	}
	out.Total = profile("total", "Alla grupper", total, sup.Total, all, sup.All)
	for g, name := range groups {
		if sensitive[g] || (q.Group != "" && name != q.Group) {
			continue
		}
		n := 0
		for _, v := range counts[g] {
			n += v
		}
		if n == 0 && q.Group == "" {
			continue
		}
		out.Groups = append(out.Groups, profile(name, groupLabel(name), counts[g], sup.Slots[g], n, sup.GroupTotals[g]))
	}
	return out, nil
}

func profile(group, label string, counts [risk.ProfileSlots]int, hidden [risk.ProfileSlots]bool, n int, nHidden bool) Profile {
	p := Profile{Group: group, Label: label, Counts: make([][]*int, 7)}
	if !nHidden {
		p.Count = &n
	}
	for wd := range 7 {
		p.Counts[wd] = make([]*int, 24)
		for h := range 24 {
			if sl := 24*wd + h; !hidden[sl] {
				v := counts[sl]
				p.Counts[wd][h] = &v
			}
		}
	}
	return p
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
