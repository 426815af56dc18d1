// Package auth holds who is asking and what they may see: roles, scopes, identities carried in
// a request's context, password hashing, API tokens, sessions, JWT verification and the audit
// record. It has no database code; internal/postgis implements its Store and turns an Identity
// into the per-transaction settings that drive row-level security.
package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Role is what a user or token may do.
type Role string

// The roles of the joint initiative's users.
const (
	// RoleNationell is a national analyst (operativa rådet, NUC): everything.
	RoleNationell Role = "nationell"
	// RoleRegional is a samverkansråd analyst: one police region (or several).
	RoleRegional Role = "regional"
	// RoleLokal is a lokalpolisområdeschef: the areas of one or more lokalpolisområden.
	RoleLokal Role = "lokal"
	// RoleGIS is a read-only token of a GIS tool: named layers, coarse cells, never points.
	RoleGIS Role = "gis"
	// RoleAdmin manages users, tokens and imports and reads the audit log; it sees no
	// incident data.
	RoleAdmin Role = "admin"
	// RoleMyndighet is an analyst of another agency of the joint initiative: the observations
	// of its own agency and those shared with it under a valid samverkansbeslut, within its
	// geography; never the police's incidents.
	RoleMyndighet Role = "myndighet"
)

// Roles lists every role, in the order the documentation gives them.
var Roles = []Role{RoleNationell, RoleRegional, RoleLokal, RoleGIS, RoleAdmin, RoleMyndighet}

// PoliceRole reports whether r is one of the police's own roles (their identities belong to
// Polismyndigheten).
func (r Role) PoliceRole() bool {
	return r == RoleNationell || r == RoleRegional || r == RoleLokal || r == RoleGIS
}

// AgencyPolisen is the agency of every police role (lagesbild.Agencies' code of
// Polismyndigheten).
const AgencyPolisen = "pm"

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// DefaultGISMaxRes is the finest H3 resolution a gis token gets unless created with another.
const DefaultGISMaxRes = 7

// Scope is the part of the country an identity may see: everything, some police regions
// (REGIONKOD, e.g. "5400") or some lokalpolisområden (OMRADESKOD, e.g. "540210"). The zero
// Scope sees nothing protected.
type Scope struct {
	All     bool
	Regions []string // sorted, unique
	LPOs    []string // sorted, unique
}

// Empty reports whether s sees no protected data at all.
func (s Scope) Empty() bool { return !s.All && len(s.Regions) == 0 && len(s.LPOs) == 0 }

// String renders s in the form ParseScope reads: "all", "region:5400,5500", "lpo:540210".
func (s Scope) String() string {
	var parts []string
	if s.All {
		return "all"
	}
	if len(s.Regions) > 0 {
		parts = append(parts, "region:"+strings.Join(s.Regions, ","))
	}
	if len(s.LPOs) > 0 {
		parts = append(parts, "lpo:"+strings.Join(s.LPOs, ","))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ";")
}

// AllowsRegion reports whether the whole region is in scope.
func (s Scope) AllowsRegion(code string) bool { return s.All || slices.Contains(s.Regions, code) }

// AllowsArea reports whether an area with these scope columns is in scope.
func (s Scope) AllowsArea(regionCode, lpoCode string) bool {
	return s.AllowsRegion(regionCode) || (lpoCode != "" && slices.Contains(s.LPOs, lpoCode))
}

// Identity is the authenticated caller of a request.
type Identity struct {
	Subject string // user name, "token:<id>" or the JWT subject
	UserID  int64  // 0 for tokens and JWT identities
	TokenID int64  // 0 unless an API token
	Role    Role
	Scope   Scope
	// Layers limits a gis token to these tile/feature layers; empty means every layer the
	// role may read.
	Layers []string
	// MaxRes is the finest H3 resolution the identity gets (gis tokens); 0 means no limit.
	MaxRes int
	Demo   bool   // a demo user, accepted only in demo mode
	Via    string // "session", "token" or "jwt"
	// Agency is the agency the identity belongs to (agency.code, e.g. "skv"); the police
	// roles belong to "pm". Observations are visible by it (see CanReadObservations).
	Agency string
}

// CanReadData reports whether the identity may read incident-derived data at all: the police's
// roles only (an agency analyst sees observations, never the police's incidents).
func (id Identity) CanReadData() bool {
	return id.Role.PoliceRole() && !id.Scope.Empty()
}

// CanReadObservations reports whether the identity may read (and add) observations at all:
// its own agency's, and other agencies' under a valid samverkansbeslut, within its scope. GIS
// tokens read none.
func (id Identity) CanReadObservations() bool {
	return (id.Role.PoliceRole() && id.Role != RoleGIS || id.Role == RoleMyndighet) && id.Agency != "" && !id.Scope.Empty()
}

// CanSeePoints reports whether incident points may be shown (never to gis tokens).
func (id Identity) CanSeePoints() bool {
	return id.CanReadData() && id.Role != RoleGIS
}

// CanReadSummaries reports whether area summaries, rankings and reports are open to it.
func (id Identity) CanReadSummaries() bool {
	return id.CanReadData() && id.Role != RoleGIS
}

// CanAdmin reports whether the identity manages users, tokens and imports and reads the audit.
func (id Identity) CanAdmin() bool { return id.Role == RoleAdmin }

// CanReadLayer reports whether a gis token was given this layer (other roles: every layer).
func (id Identity) CanReadLayer(layer string) bool {
	if len(id.Layers) == 0 {
		return true
	}
	return slices.Contains(id.Layers, layer)
}

// CacheKey identifies what the identity may see, for caches of rendered data: two identities
// with the same key see exactly the same tiles and responses.
func (id Identity) CacheKey() string {
	return fmt.Sprintf("%s|%s|%s|res%d|%s", id.Role, id.Agency, id.Scope, id.MaxRes, strings.Join(id.Layers, ","))
}

type ctxKey struct{}

// WithIdentity returns ctx carrying id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the identity of ctx; ok is false for an anonymous context.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(Identity)
	return id, ok
}
