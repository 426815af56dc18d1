package lagesbild

import (
	"context"
	"slices"
	"time"

	"github.com/paulmach/orb"
)

// AgencyName returns the name of the agency with this code ("" for an unknown one).
func AgencyName(code string) string {
	for _, a := range Agencies {
		if a.Code == code {
			return a.Name
		}
	}
	return ""
}

// Decision is a samverkansbeslut: the specially decided collaboration under which the agencies
// it names may share information despite secrecy (lag (2016:774)). It covers a place when the
// place lies in one of its police regions, lokalpolisområden (an utsatt område of the LPO) or
// areas, and it is valid from ValidFrom (inclusive) to ValidUntil (exclusive) unless revoked.
type Decision struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Purpose    string     `json:"purpose"`
	LegalBasis string     `json:"legal_basis"`
	Agencies   []string   `json:"agencies"`
	Regions    []string   `json:"regions"`
	LPOs       []string   `json:"lpos"`
	AreaIDs    []string   `json:"area_ids"`
	ValidFrom  time.Time  `json:"valid_from"`
	ValidUntil time.Time  `json:"valid_until"`
	DecidedBy  string     `json:"decided_by"`
	DecidedAt  time.Time  `json:"decided_at"` // a date
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	RevokedBy  string     `json:"revoked_by,omitempty"`
	Demo       bool       `json:"demo"`
	Revision   int        `json:"revision"`
	ChangedBy  string     `json:"changed_by"`
	ChangedAt  time.Time  `json:"changed_at"`
}

// ValidAt reports whether d is in force at t.
func (d Decision) ValidAt(t time.Time) bool {
	return d.RevokedAt == nil && !t.Before(d.ValidFrom) && t.Before(d.ValidUntil)
}

// Member reports whether agency takes part in d.
func (d Decision) Member(agency string) bool { return slices.Contains(d.Agencies, agency) }

// Covers reports whether d's area scope covers a place in region, in these lokalpolisområden
// and areas.
func (d Decision) Covers(region string, lpos, areas []string) bool {
	if region != "" && slices.Contains(d.Regions, region) {
		return true
	}
	for _, l := range lpos {
		if slices.Contains(d.LPOs, l) {
			return true
		}
	}
	for _, a := range areas {
		if slices.Contains(d.AreaIDs, a) {
			return true
		}
	}
	return false
}

// DecisionChange is one stored version of a decision (its history).
type DecisionChange struct {
	Revision  int       `json:"revision"`
	At        time.Time `json:"at"`
	Operation string    `json:"operation"` // insert, update
	ChangedBy string    `json:"changed_by"`
	Version   Decision  `json:"version"`
}

// DecisionStore keeps the collaboration decisions. The administration methods run as the
// schema's owner; VisibleDecisions reads as the caller (row-level security: the decisions its
// agency takes part in).
type DecisionStore interface {
	// CreateDecision stores a new decision; ErrConflict when the id is taken, ErrInvalid for an
	// unknown agency, region, LPO or area.
	CreateDecision(ctx context.Context, d Decision) (Decision, error)
	// UpdateDecision replaces the editable fields of an existing, unrevoked decision.
	UpdateDecision(ctx context.Context, d Decision) (Decision, error)
	// RevokeDecision ends a decision at once; ErrNotFound for an unknown id.
	RevokeDecision(ctx context.Context, id, by string) (Decision, error)
	Decision(ctx context.Context, id string) (Decision, error)
	Decisions(ctx context.Context) ([]Decision, error)
	DecisionHistory(ctx context.Context, id string) ([]DecisionChange, error)
	// VisibleDecisions returns, as the caller in ctx, the decisions its agency takes part in.
	VisibleDecisions(ctx context.Context) ([]Decision, error)
}

// Observation kinds.
const (
	ObservationRecord    = "record"
	ObservationIndicator = "indicator"
)

// Observation precisions (an exact one is PrecisionExact: a point).
const (
	PrecisionArea Precision = "area" // a polygon or an utsatt område
	PrecisionCell Precision = "cell" // an H3 cell
)

// Classifications of an observation.
const (
	ClassOppen     = "oppen"     // no secrecy
	ClassSekretess = "sekretess" // covered by secrecy (OSL): shared only under a decision
)

// Observation is what an agency contributes to the picture: a record (a point or an area at a
// time) or an aggregated indicator (a count per area or H3 cell and month).
type Observation struct {
	SourceID       string
	Agency         string
	Kind           string
	Category       string
	ObservedAt     time.Time // record: its time; indicator: the month's first day, Swedish time
	Value          int       // records: 1 unless given; indicators: the count
	Precision      Precision
	AreaID         string    // the area an area record or indicator is of
	H3             string    // the cell (hex) of a cell record or indicator
	Point          orb.Point // WGS84 lon/lat of an exact record
	Polygon        orb.Geometry
	Classification string
	DecisionID     string // empty: visible to its own agency only
	Line           int    // where the parser found it (for errors)
	Synthetic      bool
}

// ObservationCategory is one term of an agency's vocabulary.
type ObservationCategory struct {
	Agency    string `json:"agency"`
	Code      string `json:"code"`
	Label     string `json:"label"`
	Sensitive bool   `json:"sensitive"`
}

// ObservationRow is one observation as a reader gets it.
type ObservationRow struct {
	ID             int64     `json:"id"`
	Agency         string    `json:"agency"`
	Kind           string    `json:"kind"`
	Category       string    `json:"category"`
	CategoryLabel  string    `json:"category_label"`
	Sensitive      bool      `json:"-"`
	ObservedAt     time.Time `json:"observed_at"`
	Value          int       `json:"value"`
	Precision      string    `json:"precision"`
	AreaID         string    `json:"area_id,omitempty"`
	H3             string    `json:"h3,omitempty"`
	Classification string    `json:"classification"`
	DecisionID     string    `json:"decision_id,omitempty"`
	RegionCode     string    `json:"region_code"`
	KommunCode     string    `json:"kommun_code,omitempty"`
	LPOCodes       []string  `json:"lpo_codes"`
	AreaIDs        []string  `json:"area_ids"`
	Synthetic      bool      `json:"synthetic"`
	Geometry       []byte    `json:"-"` // GeoJSON, WGS84
}

// ObservationQuery selects observations; zero fields do not filter.
type ObservationQuery struct {
	From, To   *time.Time // observed_at in [From, To)
	Region     string
	AreaID     string // observations intersecting this area
	Agency     string
	Category   string
	Kind       string
	BBox       *BBox
	Limit      int
	Geometries bool
}

// ObservationStore keeps the observations.
type ObservationStore interface {
	// ImportObservations stores obs of file in one transaction, idempotent on (source,
	// source id); when any record is rejected (an unknown area, category or decision, a
	// decision the owning agency is no member of, a place outside Sweden, a repeated source
	// id) the report names each by file, line and field and nothing is stored (ErrInvalid).
	// spill, when not nil, receives every rejected record (the report names the first
	// MaxReportErrors), as Rejects.Spill.
	ImportObservations(ctx context.Context, file, source string, obs []Observation, spill func(ImportError) error) (ImportReport, error)
	// Observations reads, as the caller in ctx (row-level security), the observations q selects.
	Observations(ctx context.Context, q ObservationQuery) ([]ObservationRow, error)
	Categories(ctx context.Context) ([]ObservationCategory, error)
	// Disclosures reads, as the caller, the disclosure log of an agency (admins: any or all).
	Disclosures(ctx context.Context, q DisclosureQuery) ([]Disclosure, error)
}

// DisclosureQuery selects rows of the disclosure log, newest first.
type DisclosureQuery struct {
	Owner        string // the agency whose data was disclosed; empty: the caller's (admins: all)
	Since, Until *time.Time
	Limit        int
}

// Disclosure is one read of another agency's data: who read how many records of which agency,
// when, under which decision.
type Disclosure struct {
	At           time.Time `json:"at"`
	Subject      string    `json:"subject"`
	ReaderAgency string    `json:"reader_agency"`
	Role         string    `json:"role"`
	OwnerAgency  string    `json:"owner_agency"`
	DecisionID   string    `json:"decision_id"`
	Records      int       `json:"records"`
	Resource     string    `json:"resource"`
	RequestID    string    `json:"request_id"`
}
