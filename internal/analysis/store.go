// Package analysis serves the crime analyst's tools on top of internal/risk: weekday × hour
// time profiles, emerging hot spots over the kommun grid, the Knox test for near repeats and
// the effect follow-up of joint operations (insatser). It asks a Store for set-based counts and
// exact events, applies the disclosure rules on the way out and runs no SQL and no HTTP.
package analysis

import (
	"context"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Period is the period type of the summaries and the analyst's tools (lagesbild.Period).
type Period = lagesbild.Period

// Area is an area of a police list, as the analyses need it.
type Area struct {
	ID, Name, Class        string
	Set                    int
	KommunCode, KommunName string
	RegionCode, LPOCode    string
}

// SlotCount is the number of an area's exact incidents of one group in one weekday (0 =
// Monday) and hour (0–23, Swedish local time).
type SlotCount struct {
	Group   string
	Weekday int
	Hour    int
	N       int
}

// CellMonth is the number of exact incidents in one res-8 cell of a kommun in one month.
type CellMonth struct {
	Kommun string
	Cell   uint64
	Month  time.Time // first day
	N      int
}

// Event is an exact incident for the Knox test: SWEREF 99 TM metres and its Swedish day.
type Event struct {
	X, Y float64
	Day  time.Time
}

// Operation is a joint operation (insats).
type Operation struct {
	ID         int64
	Name       string
	AreaID     string // empty for an operation on a polygon only
	Agencies   []string
	Start, End time.Time // inclusive days
	Synthetic  bool
}

// AreaMonth is the number of an area's exact incidents (all groups, or one) in one month.
type AreaMonth struct {
	AreaID string
	Month  time.Time
	N      int
}

// Store is what the analyses need from the database. Every read is made as the caller in ctx
// (row-level security applies).
type Store interface {
	// NewestIncidentDay is the latest day with an incident; ok is false when there are none.
	NewestIncidentDay(ctx context.Context) (day time.Time, ok bool, err error)
	// AnalysisArea returns one area; lagesbild.ErrNotFound when there is none.
	AnalysisArea(ctx context.Context, id string) (Area, error)
	// AreaSlotCounts counts an area's exact incidents per group, weekday and hour in p.
	AreaSlotCounts(ctx context.Context, areaID string, p Period) ([]SlotCount, error)
	// KommunCellMonths counts exact incidents per res-8 cell and month of the kommuner in the
	// months [from, to) (first days), all groups together when group is "", else one group:
	// the whole grid of every kommun in which the caller may see an area (not clipped to the
	// caller's cells; Gi*'s input only, never published), nothing for the other kommuner.
	KommunCellMonths(ctx context.Context, kommuner []string, from, to time.Time, group string) ([]CellMonth, error)
	// VisibleCells returns which of the cells the caller may see: the only cells whose
	// emerging hot-spot results are published.
	VisibleCells(ctx context.Context, cells []uint64) (map[uint64]bool, error)
	// AnalysisAreaCells returns the res-8 cells of the areas (centre inside, as for the summaries).
	AnalysisAreaCells(ctx context.Context, areaIDs []string) (map[string][]uint64, error)
	// RegionKommuner returns the codes of the kommuner of a police region.
	RegionKommuner(ctx context.Context, region string) ([]string, error)
	// KommunRegion returns the police region of a kommun; lagesbild.ErrNotFound for none.
	KommunRegion(ctx context.Context, kommun string) (string, error)
	// Events returns the exact incidents of one group in p, of an area (areaID) or of a
	// kommun (kommun), whichever is given.
	Events(ctx context.Context, areaID, kommun, group string, p Period) ([]Event, error)
	// Operation returns one operation; lagesbild.ErrNotFound when there is none (or it is
	// outside the caller's scope).
	Operation(ctx context.Context, id int64) (Operation, error)
	// AreaOperationList returns the operations on an area (by its id), newest first.
	AreaOperationList(ctx context.Context, areaID string) ([]Operation, error)
	// ClassAreas returns the areas of list year with this class.
	ClassAreas(ctx context.Context, year int, class string) ([]Area, error)
	// OperationAreas returns the ids of the areas with an operation (other than exclude)
	// overlapping [from, to].
	OperationAreas(ctx context.Context, year int, from, to time.Time, exclude int64) ([]string, error)
	// AreaMonths counts the exact incidents of the areas per month in [from, to) (first days
	// of months), all groups when group is "".
	AreaMonths(ctx context.Context, areaIDs []string, from, to time.Time, group string) ([]AreaMonth, error)
	// BufferCounts counts the exact incidents within bufferM metres around the area but not in
	// it, in [from, to) (days), all groups when group is "": before and after split at split.
	BufferCounts(ctx context.Context, areaID string, bufferM float64, from, split, to time.Time, group string) (before, after int, err error)
	// BufferAreas returns the ids of the areas of list year within bufferM metres of the area.
	BufferAreas(ctx context.Context, areaID string, bufferM float64) ([]string, error)
}
