package samverkan

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Visibility is what one caller may see of observations at one moment: its agency's own, and
// another agency's under one of Decisions (valid now, naming the caller's agency), within the
// caller's police geography.
type Visibility struct {
	Agency    string
	Scope     auth.Scope
	At        time.Time
	Decisions []lagesbild.Decision
}

// Visibility loads the caller's decisions in force now. The database's row-level security
// applies the same rule again to every read.
func (s *Service) Visibility(ctx context.Context) (Visibility, error) {
	id, _ := auth.FromContext(ctx)
	v := Visibility{Agency: id.Agency, Scope: id.Scope, At: s.now()}
	if !id.CanReadObservations() {
		return Visibility{At: v.At}, nil
	}
	all, err := s.DecisionStore.VisibleDecisions(ctx)
	if err != nil {
		return v, err
	}
	for _, d := range all {
		if d.ValidAt(v.At) && d.Member(v.Agency) {
			v.Decisions = append(v.Decisions, d)
		}
	}
	return v, nil
}

func (v Visibility) inGeography(o lagesbild.ObservationRow) bool {
	if v.Scope.All || (o.RegionCode != "" && slices.Contains(v.Scope.Regions, o.RegionCode)) {
		return true
	}
	for _, l := range o.LPOCodes {
		if slices.Contains(v.Scope.LPOs, l) {
			return true
		}
	}
	return false
}

// Allows reports whether the caller may see o, and under which decision when o belongs to
// another agency ("" for its own).
func (v Visibility) Allows(o lagesbild.ObservationRow) (decision string, ok bool) {
	if v.Agency == "" || !v.inGeography(o) {
		return "", false
	}
	if o.Agency == v.Agency {
		return "", true
	}
	if o.DecisionID == "" {
		return "", false
	}
	for _, d := range v.Decisions {
		if d.ID == o.DecisionID && d.Member(o.Agency) && d.Covers(o.RegionCode, o.LPOCodes, o.AreaIDs) && d.ValidAt(v.At) {
			return d.ID, true
		}
	}
	return "", false
}

// Disclosure is what one response disclosed of another agency's data under one decision.
type Disclosure struct {
	Owner    string `json:"owner"`
	Decision string `json:"decision"`
	Records  int    `json:"records"`
}

// Read is one read of observations: the rows the caller may see and what of them was disclosed
// from other agencies (for the disclosure log).
type Read struct {
	Rows        []lagesbild.ObservationRow
	Disclosures []Disclosure
	Visibility  Visibility
}

// Observations reads the observations q selects as the caller: the database filters them by
// row-level security and the service checks every row again against the decisions in force; a
// row the database let through that the service would not is dropped and logged.
func (s *Service) Observations(ctx context.Context, q lagesbild.ObservationQuery) (Read, error) {
	id, _ := auth.FromContext(ctx)
	if !id.CanReadObservations() {
		return Read{}, nil
	}
	v, err := s.Visibility(ctx)
	if err != nil {
		return Read{}, err
	}
	rows, err := s.Store.Observations(ctx, q)
	if err != nil {
		return Read{}, err
	}
	out := Read{Visibility: v, Rows: rows[:0]}
	tally := map[[2]string]int{}
	for _, o := range rows {
		dec, ok := v.Allows(o)
		if !ok {
			s.logger().Error("row-level security let through an observation the caller may not see; dropped",
				"observation", o.ID, "owner", o.Agency, "decision", o.DecisionID, "subject", id.Subject, "agency", id.Agency)
			continue
		}
		out.Rows = append(out.Rows, o)
		if dec != "" {
			tally[[2]string{o.Agency, dec}]++
		}
	}
	out.Disclosures = tallied(tally)
	return out, nil
}

func tallied(t map[[2]string]int) []Disclosure {
	var out []Disclosure
	for k, n := range t {
		out = append(out, Disclosure{Owner: k[0], Decision: k[1], Records: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Owner != out[j].Owner {
			return out[i].Owner < out[j].Owner
		}
		return out[i].Decision < out[j].Decision
	})
	return out
}
