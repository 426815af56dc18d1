// Package lagesbild holds the domain types of the service — area sets, areas, boundaries — the
// store interfaces the HTTP layer depends on, and the error kinds shared by every layer.
package lagesbild

import (
	"context"
	"encoding/json"
	"time"
)

// AreaClass is the police classification of an utsatt område, stored as published.
type AreaClass string

// The three classes of the police lists. Riskområde does not exist from the 2025 list on.
const (
	ClassUtsatt         AreaClass = "utsatt"
	ClassRisk           AreaClass = "risk"
	ClassSarskiltUtsatt AreaClass = "sarskilt_utsatt"
)

// Label returns the Swedish name the police use for the class.
func (c AreaClass) Label() string {
	switch c {
	case ClassUtsatt:
		return "Utsatt område"
	case ClassRisk:
		return "Riskområde"
	case ClassSarskiltUtsatt:
		return "Särskilt utsatt område"
	}
	return string(c)
}

// Valid reports whether c is one of the three classes.
func (c AreaClass) Valid() bool {
	return c == ClassUtsatt || c == ClassRisk || c == ClassSarskiltUtsatt
}

// AreaSet is one police list of utsatta områden.
type AreaSet struct {
	Year             int
	Label            string
	Published        time.Time
	GeometryOfficial bool // false: shapes approximated from a later list
	Note             string
	AreaCount        int
	ClassCounts      map[AreaClass]int
}

// Area is one utsatt område of one list year.
type Area struct {
	ID               string // "<year>-<area key>", stable across imports
	AreaKey          string // cross-year identity (SO<SPECIALOMRADES_ID> or UOP<panel id>)
	Set              int
	Name             string
	Class            AreaClass
	ClassPolisen     string
	Ort              string
	KommunCode       string
	KommunName       string
	LanCode          string
	RegionCode       string
	RegionName       string
	PolisomradeCode  string
	PolisomradeName  string
	LPOCode          string
	LPOName          string
	LPOSourceYear    int
	ClassifiedFrom   *time.Time
	ClassifiedUntil  *time.Time
	GeometryOfficial bool
	GeometrySource   string
	Source           string
	AreaM2           float64
	Geometry         json.RawMessage // GeoJSON geometry in WGS84
	LabelPoint       [2]float64      // lon, lat of a point inside the area, where the map writes its name
	Bounds           [4]float64      // west, south, east, north (WGS84)
	// Predecessors are the previous list's keys this area comes from where the police changed
	// the identifier (area_lineage: a split, a renumbering or a merger in this list's year).
	Predecessors []AreaPredecessor
}

// AreaPredecessor is one lineage link of an area: the key it comes from and how (split,
// renumbered or merged).
type AreaPredecessor struct {
	Key  string
	Kind string
}

// BoundaryKind names an administrative or police boundary layer.
type BoundaryKind string

// The boundary layers.
const (
	BoundaryKommun BoundaryKind = "kommun"
	BoundaryLan    BoundaryKind = "lan"
	BoundaryRegion BoundaryKind = "region"
)

// Boundary is one kommun, län or police region.
type Boundary struct {
	Kind       BoundaryKind
	Code       string
	Name       string
	ParentCode string // län of a kommun, region of a län
	Population int    // 0 when unknown
	Geometry   json.RawMessage
	LabelPoint [2]float64 // lon, lat of a point inside the boundary, where the map writes its name
}

// AreaStore reads the bundled boundaries and the police lists.
type AreaStore interface {
	AreaSets(ctx context.Context) ([]AreaSet, error)
	// Areas returns the areas of one list year, with geometry; ErrNotFound for an unknown year.
	Areas(ctx context.Context, year int) ([]Area, error)
	// Area returns one area by id; ErrNotFound when it does not exist.
	Area(ctx context.Context, id string) (Area, error)
	// Boundaries returns all boundaries of a kind, with geometry simplified to toleranceM metres.
	Boundaries(ctx context.Context, kind BoundaryKind, toleranceM float64) ([]Boundary, error)
	// AreaScope returns the scope columns of an area from the public catalogue of the police
	// lists, whoever asks: the application checks them against the caller before any read.
	AreaScope(ctx context.Context, id string) (regionCode, lpoCode string, err error)
	// AreaScopes returns the scope columns of every area of a list year, by area id, from the
	// same public catalogue.
	AreaScopes(ctx context.Context, year int) (map[string]AreaScopeColumns, error)
}

// AreaScopeColumns are the columns access control scopes an area by.
type AreaScopeColumns struct {
	RegionCode, LPOCode string
}

// Readiness reports whether the service can serve data: database reachable and migrated.
type Readiness interface {
	Ready(ctx context.Context) error
}

// WeightProfile is a saved weighting of the prioritisation model.
type WeightProfile struct {
	Name        string             `json:"name"`
	RegionCode  string             `json:"region_code"` // empty: national
	Description string             `json:"description"`
	Weights     map[string]float64 `json:"weights"`
	UpdatedBy   string             `json:"updated_by"`
	UpdatedAt   time.Time          `json:"updated_at"`
}

// WeightProfileStore keeps saved weightings.
type WeightProfileStore interface {
	WeightProfiles(ctx context.Context) ([]WeightProfile, error)
	SaveWeightProfile(ctx context.Context, p WeightProfile) error
	DeleteWeightProfile(ctx context.Context, name string) error
}
