// Package samverkan is the joint lägesbild of the agencies: the collaboration decisions
// (samverkansbeslut) under which they share information, the observations they contribute, who
// may see which (the application's check, next to the database's row-level security) and the
// disclosure log that records every read of another agency's data with the decision that made
// it lawful. It has no database code; internal/postgis implements its stores.
package samverkan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Stockholm must load on machines without /usr/share/zoneinfo

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Service manages decisions and observations and reads observations for callers.
type Service struct {
	DecisionStore lagesbild.DecisionStore
	Store         lagesbild.ObservationStore
	// Units resolves police regions and lokalpolisområden in a decision's area scope.
	Units  auth.Directory
	Logger *slog.Logger
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

var stockholm = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
})

var (
	decisionIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$`)
	areaIDPattern     = regexp.MustCompile(`^[0-9]{4}-(SO|UOP)[0-9]{1,9}$`)
)

// DecisionInput is a decision as an administrator writes it (CLI flags or the API's JSON).
// Dates are YYYY-MM-DD in Swedish time (valid_until inclusive: the decision ends at the
// following midnight) or RFC 3339 instants (valid_until exclusive).
type DecisionInput struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Purpose    string   `json:"purpose"`
	LegalBasis string   `json:"legal_basis"`
	Agencies   []string `json:"agencies"`
	// Scope names the police regions and lokalpolisområden (codes or names, as a user's
	// --scope); AreaIDs names areas of a list (2025-SO9).
	Scope      string   `json:"scope"`
	AreaIDs    []string `json:"area_ids"`
	ValidFrom  string   `json:"valid_from"`
	ValidUntil string   `json:"valid_until"`
	DecidedBy  string   `json:"decided_by"`
	DecidedAt  string   `json:"decided_at"`
	Demo       bool     `json:"-"`
}

// DefaultLegalBasis is the law most decisions rest on.
const DefaultLegalBasis = "Lag (2016:774) om uppgiftsskyldighet vid samverkan mot viss organiserad brottslighet"

func plain(field, v string, max int) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return "", lagesbild.Invalid(field, "missing")
	case len([]rune(v)) > max:
		return "", lagesbild.Invalid(field, "is longer than %d characters", max)
	}
	for _, r := range v {
		if r < 0x20 && r != '\n' || r == 0x7f {
			return "", lagesbild.Invalid(field, "contains a control character")
		}
	}
	return strings.ToValidUTF8(v, "\uFFFD"), nil
}

// parseInstant reads a date (its first instant, or with end the first instant of the next day,
// Swedish time) or an RFC 3339 time.
func parseInstant(field, v string, end bool) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, lagesbild.Invalid(field, "missing (YYYY-MM-DD or RFC 3339)")
	}
	if d, err := time.ParseInLocation(time.DateOnly, v, stockholm()); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil || t.Year() < 2000 || t.Year() > 2200 {
		return time.Time{}, lagesbild.Invalid(field, "%q is not a date (YYYY-MM-DD) or an RFC 3339 time from 2000 to 2200", clip(v))
	}
	return t, nil
}

func clip(s string) string {
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// agencyCodes resolves agency codes or names to codes, sorted and unique.
func agencyCodes(field string, in []string) ([]string, error) {
	var out []string
	for _, a := range in {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		code := ""
		for _, ag := range lagesbild.Agencies {
			if strings.EqualFold(ag.Code, a) || strings.EqualFold(ag.Name, a) {
				code = ag.Code
			}
		}
		if code == "" {
			return nil, lagesbild.Invalid(field, "%q is not an agency of the joint initiative (%s)", clip(a), agencyList())
		}
		out = append(out, code)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func agencyList() string {
	var s []string
	for _, a := range lagesbild.Agencies {
		s = append(s, a.Code)
	}
	return strings.Join(s, ", ")
}

// decision validates in into a decision.
func (s *Service) decision(ctx context.Context, in DecisionInput, by string) (lagesbild.Decision, error) {
	var d lagesbild.Decision
	var err error
	d.ID = strings.TrimSpace(in.ID)
	if !decisionIDPattern.MatchString(d.ID) {
		return d, lagesbild.Invalid("id", "%q must be 1–40 characters A–Z, a–z, 0–9, '.', '_' or '-' (e.g. SB-2026-03)", clip(d.ID))
	}
	if d.Name, err = plain("name", in.Name, 200); err != nil {
		return d, err
	}
	if d.Purpose, err = plain("purpose", in.Purpose, 2000); err != nil {
		return d, err
	}
	if strings.TrimSpace(in.LegalBasis) == "" {
		in.LegalBasis = DefaultLegalBasis
	}
	if d.LegalBasis, err = plain("legal_basis", in.LegalBasis, 500); err != nil {
		return d, err
	}
	if d.Agencies, err = agencyCodes("agencies", in.Agencies); err != nil {
		return d, err
	}
	if len(d.Agencies) < 2 {
		return d, lagesbild.Invalid("agencies", "a samverkansbeslut names at least two agencies")
	}
	if strings.TrimSpace(in.Scope) != "" {
		sc, err := auth.ParseScope(ctx, in.Scope, s.Units)
		if err != nil {
			return d, err
		}
		if sc.All {
			return d, lagesbild.Invalid("scope", "a samverkansbeslut covers named regions, lokalpolisområden or areas, not the whole country")
		}
		d.Regions, d.LPOs = sc.Regions, sc.LPOs
	}
	for _, a := range in.AreaIDs {
		a = strings.TrimSpace(a)
		if !areaIDPattern.MatchString(a) {
			return d, lagesbild.Invalid("area_ids", "%q is not an area id (e.g. 2025-SO9)", clip(a))
		}
		d.AreaIDs = append(d.AreaIDs, a)
	}
	slices.Sort(d.AreaIDs)
	d.AreaIDs = slices.Compact(d.AreaIDs)
	if len(d.Regions)+len(d.LPOs)+len(d.AreaIDs) == 0 {
		return d, lagesbild.Invalid("scope", "missing: the decision's area scope (regions, lokalpolisområden or area ids)")
	}
	if d.ValidFrom, err = parseInstant("valid_from", in.ValidFrom, false); err != nil {
		return d, err
	}
	if d.ValidUntil, err = parseInstant("valid_until", in.ValidUntil, true); err != nil {
		return d, err
	}
	if !d.ValidUntil.After(d.ValidFrom) {
		return d, lagesbild.Invalid("valid_until", "ends before it begins (valid_from %s)", d.ValidFrom.Format(time.RFC3339))
	}
	if d.DecidedBy, err = plain("decided_by", in.DecidedBy, 200); err != nil {
		return d, err
	}
	if d.DecidedAt, err = parseInstant("decided_at", in.DecidedAt, false); err != nil {
		return d, err
	}
	d.DecidedAt = time.Date(d.DecidedAt.In(stockholm()).Year(), d.DecidedAt.In(stockholm()).Month(), d.DecidedAt.In(stockholm()).Day(), 0, 0, 0, 0, time.UTC)
	d.Demo, d.ChangedBy = in.Demo, by
	return d, nil
}

// storeError gives a database refusal (an unknown area or code) a message for the client.
func storeError(err error) error {
	var ve *lagesbild.ValidationError
	if errors.Is(err, lagesbild.ErrInvalid) && !errors.As(err, &ve) {
		msg := err.Error()
		for _, p := range []string{"unknown area: ", "unknown police region: ", "unknown lokalpolisområde: ", "unknown agency: "} {
			if i := strings.Index(msg, p); i >= 0 {
				rest := msg[i+len(p):]
				if j := strings.Index(rest, ":"); j >= 0 {
					rest = rest[:j]
				}
				return lagesbild.Invalid("scope", "%s%s", p, clip(rest))
			}
		}
	}
	if errors.Is(err, lagesbild.ErrConflict) {
		return fmt.Errorf("%w", &conflictError{})
	}
	return err
}

type conflictError struct{}

func (*conflictError) Error() string { return "a samverkansbeslut with this id exists" }
func (*conflictError) Unwrap() error { return lagesbild.ErrConflict }

// CreateDecision validates and stores a new decision; by is who records it (audited).
func (s *Service) CreateDecision(ctx context.Context, in DecisionInput, by string) (lagesbild.Decision, error) {
	d, err := s.decision(ctx, in, by)
	if err != nil {
		return d, err
	}
	out, err := s.DecisionStore.CreateDecision(ctx, d)
	return out, storeError(err)
}

// UpdateDecision replaces an unrevoked decision's fields (a new revision in its history).
func (s *Service) UpdateDecision(ctx context.Context, in DecisionInput, by string) (lagesbild.Decision, error) {
	d, err := s.decision(ctx, in, by)
	if err != nil {
		return d, err
	}
	out, err := s.DecisionStore.UpdateDecision(ctx, d)
	return out, storeError(err)
}

// RevokeDecision ends a decision at once.
func (s *Service) RevokeDecision(ctx context.Context, id, by string) (lagesbild.Decision, error) {
	if !decisionIDPattern.MatchString(id) {
		return lagesbild.Decision{}, lagesbild.Invalid("id", "%q is not a decision id", clip(id))
	}
	return s.DecisionStore.RevokeDecision(ctx, id, by)
}
