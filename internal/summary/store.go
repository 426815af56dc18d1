// Package summary builds the risk summaries of the utsatta områden and the joint prioritisation:
// it asks a Store for set-based aggregates (counts per area and group, kommun totals, monthly
// series, res-8 cell counts, presence) and turns them into indicators with internal/risk,
// applying the disclosure rules on the way out. It runs no SQL and knows no HTTP.
package summary

import (
	"context"
	"time"
)

// AreaInfo is an area of a police list with the denominators its rates need.
type AreaInfo struct {
	ID, Key, Name, Class   string
	Set                    int
	KommunCode, KommunName string
	RegionCode             string
	// Population is the area's residents; HasPopulation is false when none was imported.
	Population          int
	HasPopulation       bool
	PopulationEstimated bool
	KommunPopulation    int // 0 when unknown
}

// GroupCount is the number of an area's incidents in one category group in the period (Now)
// and in the previous period of equal length (Before).
type GroupCount struct {
	AreaID, Group string
	Now, Before   int
}

// KommunCount is the number of a kommun's exactly located incidents of one group in the period.
type KommunCount struct {
	Kommun, Group string
	N             int
}

// MonthCount is an area's incidents of one group in one calendar month.
type MonthCount struct {
	AreaID, Group string
	Month         time.Time // first day of the month
	N             int
}

// CellCount is the incidents of one res-8 H3 cell of a kommun in the period.
type CellCount struct {
	Kommun string
	Cell   uint64
	N      int
}

// GroupCellCount is the incidents of one category group in one res-8 H3 cell in the period.
type GroupCellCount struct {
	Cell  uint64
	Group string
	N     int
}

// AreaCell says that a res-8 cell belongs to an area.
type AreaCell struct {
	AreaID string
	Cell   uint64
}

// Office is an agency office within the search distance of an area.
type Office struct {
	AreaID              string
	Agency              string
	StaffedHoursPerWeek float64
}

// Operation is a joint operation on an area (by id or by overlapping polygon) that started
// no later than the end of the period.
type Operation struct {
	AreaID      string
	Agencies    []string
	Start, End  time.Time // inclusive days
	PersonHours float64
}

// Provenance is one distinct (source, owning agency) pair behind an area's counts.
type Provenance struct {
	AreaID, Source, Agency string
}

// HistoryEntry is the area, or a predecessor of it, on one police list.
type HistoryEntry struct {
	Year         int    `json:"year"`
	AreaID       string `json:"area_id"`
	AreaKey      string `json:"area_key"`
	Name         string `json:"name"`
	Class        string `json:"class"`
	ClassPolisen string `json:"class_polisen"`
}

// Part is the part of a list that a Store read covers: the zero Part the whole list; a Part with
// an Area (and its Kommun) what the summary of that one area needs when its list is not computed:
// the area's own rows, and the hot-spot grid of its kommun only.
type Part struct {
	Area   string // area id
	Kommun string // the area's kommun code
}

// Whole reports whether p is the whole list.
func (p Part) Whole() bool { return p.Area == "" }

// Store is what the summaries need from the database. Every method but KommunGroupCellCounts
// answers for a whole list at once (one set-based query per need), never per area, or, given a
// Part, for what one area's summary needs of it, with the same rows for that area (kommun). Methods
// taking a year return nothing for a year that is not a list; SummaryAreas returns
// lagesbild.ErrNotFound for it.
type Store interface {
	SummaryAreas(ctx context.Context, year int) ([]AreaInfo, error)
	// SummaryArea returns one area; lagesbild.ErrNotFound when there is none.
	SummaryArea(ctx context.Context, id string) (AreaInfo, error)
	// NewestIncidentDay is the latest day with an incident; ok is false when there are none.
	NewestIncidentDay(ctx context.Context) (day time.Time, ok bool, err error)
	AreaGroupCounts(ctx context.Context, year int, now, before Period) ([]GroupCount, error)
	// KommunGroupCounts counts the exactly located incidents of the kommuner of the list.
	KommunGroupCounts(ctx context.Context, year int, p Period) ([]KommunCount, error)
	AreaMonthlyCounts(ctx context.Context, year int, part Part, p Period) ([]MonthCount, error)
	// KommunCellCounts returns the hot-spot grid of every kommun with an area of the list the
	// caller may see, whole, whoever asks (Gi* is computed over the whole kommun grid): the
	// res-8 cells with incidents in the period (N > 0) and the cells of all of the list's areas
	// in the kommun (N = 0 where they have none). Its counts may lie outside the caller's
	// scope: they are Gi*'s input only, never published. Given a Part, only the grid of its
	// Kommun, the same rows.
	KommunCellCounts(ctx context.Context, year int, part Part, p Period) ([]CellCount, error)
	AreaCells(ctx context.Context, year int, part Part) ([]AreaCell, error)
	// KommunGroupCellCounts returns the res-8 cells of the whole of one kommun with incidents in
	// the period, per category group, with the same reach and the same restriction as
	// KommunCellCounts (nothing for a kommun without an area the caller may see). It is the one method asked per kommun rather than per list: only the
	// summary of a single area needs it.
	KommunGroupCellCounts(ctx context.Context, kommun string, p Period) ([]GroupCellCount, error)
	AreaOffices(ctx context.Context, year int, part Part, distanceM float64) ([]Office, error)
	AreaOperations(ctx context.Context, year int, part Part, until time.Time) ([]Operation, error)
	AreaProvenance(ctx context.Context, year int, part Part, p Period) ([]Provenance, error)
	// AreaHistory lists the areas with the key or one of its predecessors on every list.
	AreaHistory(ctx context.Context, areaKey string) ([]HistoryEntry, error)
}
