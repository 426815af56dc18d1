package auth

import (
	"context"
	"fmt"
	"strings"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// RoleIdentity is the identity a command-line tool acts as when an operator names a role and a
// scope instead of giving a credential (lagesbild export, tiles seed): the same checks as for a
// new account or token (a regional scope is police regions, a lokal one lokalpolisområden), and
// for gis the limits of a default gis token. subject names the operator in the audit log.
func (s *Service) RoleIdentity(ctx context.Context, subject string, role Role, scope string) (Identity, error) {
	if !role.Valid() {
		return Identity{}, lagesbild.Invalid("role", "%q is not one of %s", truncate(string(role), 30), rolesList())
	}
	sc, err := s.roleScope(ctx, role, scope)
	if err != nil {
		return Identity{}, err
	}
	id := Identity{Subject: subject, Role: role, Scope: sc, Via: "cli"}
	if role == RoleGIS {
		id.MaxRes, id.Layers = DefaultGISMaxRes, GISLayers
	}
	return id, nil
}

// ScopeLabel names a scope for people: "hela landet", "polisregion Stockholm",
// "lokalpolisområde Linköping", joined by ", ".
func ScopeLabel(ctx context.Context, sc Scope, dir Directory) (string, error) {
	if sc.All {
		return "hela landet", nil
	}
	regions, lpos, err := dir.PoliceUnits(ctx)
	if err != nil {
		return "", fmt.Errorf("auth: scope label: %w", err)
	}
	var parts []string
	for _, r := range sc.Regions {
		parts = append(parts, "polisregion "+strings.TrimPrefix(regions[r], "Region "))
	}
	for _, l := range sc.LPOs {
		parts = append(parts, "lokalpolisområde "+strings.TrimPrefix(lpos[l], "LPO "))
	}
	return strings.Join(parts, ", "), nil
}
