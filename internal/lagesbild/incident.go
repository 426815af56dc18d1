package lagesbild

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"time"

	"github.com/paulmach/orb"
)

// Precision says how exactly an incident's place is known. Only exact incidents have a point,
// an H3 cell and an utsatt område; kommun- and län-precision records (the public Polisen feed,
// whose gps is a fixed centroid of the named kommun or län) count only in kommun, län and region
// aggregates and are never drawn as points.
type Precision string

// The precisions.
const (
	PrecisionExact  Precision = "exact"
	PrecisionKommun Precision = "kommun"
	PrecisionLan    Precision = "lan"
)

// SourceSyntheticDemo marks everything `lagesbild demo` generates; it is shown as synthetic.
const SourceSyntheticDemo = "synthetic-demo"

// Agency is one of the 13 agencies of the joint initiative, by stable code.
type Agency struct {
	Code, Name string
}

// Agencies lists the agencies of the joint initiative against organised crime: the twelve of the
// 2015 decision and Utbetalningsmyndigheten.
var Agencies = []Agency{
	{"pm", "Polismyndigheten"},
	{"am", "Åklagarmyndigheten"},
	{"ebm", "Ekobrottsmyndigheten"},
	{"sapo", "Säkerhetspolisen"},
	{"skv", "Skatteverket"},
	{"kvv", "Kriminalvården"},
	{"kfm", "Kronofogdemyndigheten"},
	{"kbv", "Kustbevakningen"},
	{"tv", "Tullverket"},
	{"mv", "Migrationsverket"},
	{"fk", "Försäkringskassan"},
	{"af", "Arbetsförmedlingen"},
	{"ubm", "Utbetalningsmyndigheten"},
}

// CategoryGroup is an analysis group of incident categories (see docs/taxonomy.md).
type CategoryGroup string

// The analysis groups.
const (
	GroupSkjutning         CategoryGroup = "skjutning"
	GroupSprangning        CategoryGroup = "sprangning"
	GroupGrovtVald         CategoryGroup = "grovt_vald"
	GroupMisshandelHot     CategoryGroup = "misshandel_hot"
	GroupRan               CategoryGroup = "ran"
	GroupNarkotika         CategoryGroup = "narkotika"
	GroupOvergreppRattssak CategoryGroup = "overgrepp_rattssak"
	GroupBrandSkadegorelse CategoryGroup = "brand_skadegorelse"
	GroupStoldInbrott      CategoryGroup = "stold_inbrott"
	GroupBedrageriValfard  CategoryGroup = "bedrageri_valfard"
	GroupOvrigt            CategoryGroup = "ovrigt"
)

// CategoryGroups lists the groups in display order with their Swedish labels.
var CategoryGroups = []struct {
	Group CategoryGroup
	Label string
}{
	{GroupSkjutning, "Skjutning"},
	{GroupSprangning, "Sprängning/explosion"},
	{GroupGrovtVald, "Grovt våld"},
	{GroupMisshandelHot, "Misshandel/hot"},
	{GroupRan, "Rån"},
	{GroupNarkotika, "Narkotika"},
	{GroupOvergreppRattssak, "Övergrepp i rättssak"},
	{GroupBrandSkadegorelse, "Brand/skadegörelse"},
	{GroupStoldInbrott, "Stöld/inbrott"},
	{GroupBedrageriValfard, "Bedrägeri/välfärdsbrott"},
	{GroupOvrigt, "Övrigt"},
}

// Incident is one record of an incident feed. (Source, SourceID) identifies it across imports.
type Incident struct {
	Source         string // feed or system: "polisen", an agency system name, "synthetic-demo"
	SourceID       string
	OccurredAt     time.Time  // when it happened (UTC)
	PublishedAt    *time.Time // Polisen: when the event was published
	Category       string     // the category or event type as the source wrote it
	Group          CategoryGroup
	Agency         string // owning agency code (see Agencies)
	Classification string // optional security classification as given by the source
	SamverkanID    string // the collaboration decision under which it was shared
	Precision      Precision
	Point          orb.Point // WGS84 lon/lat; only for PrecisionExact
	KommunCode     string    // for PrecisionKommun (resolved from the location name)
	LanCode        string    // for PrecisionLan
	LocationName   string    // as the source wrote it (Polisen)
	Title, Summary string    // Polisen name and summary
	URL            string
	// Cells are the H3 cells at resolutions 5..9 (index 0 = res 5); set for exact incidents by
	// the import pipeline before storing, zero otherwise.
	Cells [5]uint64
	// PlaceCell is the resolution-7 cell that holds the point itself (not the parent of its
	// resolution-9 cell, which may lie partly outside it: H3 children do not tile their parent
	// exactly). The store classifies such cells against kommun and area polygons once and
	// assigns most points by their cell.
	PlaceCell uint64
	// Line is the line of the input file the record starts on, for error reports.
	Line int
	// Digest is Fingerprint(), set by the import pipeline; zero when not computed yet.
	Digest [16]byte
}

// Fingerprint digests everything stored about an incident except its identity and the columns
// derived from it (cells, kommun, areas), so that a re-import can tell an unchanged record from
// a changed one without comparing column by column. The store keeps it with the record.
func (i *Incident) Fingerprint() [16]byte {
	// One buffer on the stack and one hash call: the import fingerprints every record of a
	// file, and a hash.Hash, the formatted times and the string conversions cost an allocation
	// each. The bytes hashed are fixed (stored hashes must keep matching): each string as its
	// length (8 bytes, little endian) and its bytes, then the point's two float64 bits.
	var stack [512]byte
	b := stack[:0]
	put := func(s string) {
		b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
		b = append(b, s...)
	}
	putTime := func(t time.Time) {
		at := len(b)
		b = binary.LittleEndian.AppendUint64(b, 0)
		b = t.UTC().AppendFormat(b, time.RFC3339Nano)
		binary.LittleEndian.PutUint64(b[at:], uint64(len(b)-at-8))
	}
	putTime(i.OccurredAt)
	if i.PublishedAt != nil {
		putTime(*i.PublishedAt)
	} else {
		put("")
	}
	put(i.Category)
	put(string(i.Group))
	put(i.Agency)
	put(i.Classification)
	put(i.SamverkanID)
	put(string(i.Precision))
	put(i.KommunCode)
	put(i.LanCode)
	put(i.LocationName)
	put(i.Title)
	put(i.Summary)
	put(i.URL)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(i.Point[0]))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(i.Point[1]))
	sum := sha256.Sum256(b)
	return [16]byte(sum[:16])
}

// Office is an agency office (presence) with its staffed hours.
type Office struct {
	Source, SourceID    string
	Agency              string
	Name                string
	Point               orb.Point // WGS84
	StaffedHoursPerWeek float64
	Line                int // input line, for error reports
}

// Operation is a joint operation (insats): an area or a polygon, agencies, period and effort.
type Operation struct {
	Source, SourceID string
	Name             string
	AreaID           string           // an area id (e.g. 2025-SO9), or empty when Polygon is given
	Polygon          orb.MultiPolygon // WGS84; empty when AreaID is given
	Agencies         []string
	Start, End       time.Time
	PersonHours      float64
	SamverkanID      string
	Line             int // input line, for error reports
}

// AreaPopulation is the number of residents of one area, an input for rates. Estimates say so.
type AreaPopulation struct {
	AreaID     string
	Population int
	Estimated  bool
	Method     string
	Source     string
	Line       int
}

// PresenceStore stores agency offices and operations of one file atomically.
type PresenceStore interface {
	ImportPresence(ctx context.Context, file string, offices []Office, operations []Operation) (ImportReport, error)
}

// ImportReport says what one import did. It is printed by the CLI and returned by the API.
type ImportReport struct {
	Read         int               `json:"read"`
	Inserted     int               `json:"inserted"`
	Updated      int               `json:"updated"`
	Unchanged    int               `json:"unchanged"`
	Rejected     int               `json:"rejected"`
	PerPrecision map[Precision]int `json:"per_precision"`
	UnknownTypes map[string]int    `json:"unknown_types"`
	// Errors lists the first MaxReportErrors rejected records; Rejected counts them all.
	Errors []ImportError `json:"errors"`
	// ErrorsOmitted is how many rejected records Errors leaves out.
	ErrorsOmitted int   `json:"errors_omitted,omitempty"`
	DataVersion   int64 `json:"data_version"`
}

// MaxReportErrors is how many rejected records an import report lists. A file whose every
// record is bad must not make a report (or the memory holding it) as large as the file; the
// full list goes to Rejects.Spill.
const MaxReportErrors = 100

// Rejects collects the rejected records of one import in bounded memory: it counts every one,
// keeps the first MaxReportErrors for the report and hands each to Spill when that is set.
type Rejects struct {
	// Spill, when set, receives every rejected record in order (the full list as a file); its
	// first error stops further calls and is kept for Err.
	Spill func(ImportError) error
	first []ImportError
	total int
	err   error
}

// Add records one rejected record.
func (r *Rejects) Add(e ImportError) {
	r.total++
	if len(r.first) < MaxReportErrors {
		r.first = append(r.first, e)
	}
	if r.Spill != nil && r.err == nil {
		r.err = r.Spill(e)
	}
}

// Total is the number of records rejected so far.
func (r *Rejects) Total() int {
	if r == nil {
		return 0
	}
	return r.total
}

// First returns the first MaxReportErrors rejected records.
func (r *Rejects) First() []ImportError {
	if r == nil {
		return nil
	}
	return r.first
}

// Err is the first error of Spill.
func (r *Rejects) Err() error {
	if r == nil {
		return nil
	}
	return r.err
}

// Fill puts the rejected records into rep: the count, the first ones and how many are left out.
func (r *Rejects) Fill(rep *ImportReport) {
	rep.Rejected = r.Total()
	rep.Errors = r.First()
	rep.ErrorsOmitted = r.Total() - len(rep.Errors)
}

// ImportError is one rejected record.
type ImportError struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// IncidentBatch is one file's worth of incidents to store in one transaction.
type IncidentBatch struct {
	File string
	// Next returns the next valid, binned incident, or io.EOF after the last one.
	Next func() (Incident, error)
	// SkipInvalid stores the valid records even when some are rejected; otherwise any rejection
	// (found by the store, e.g. a point outside every kommun) rolls the whole batch back.
	SkipInvalid bool
	// Rejects holds the records rejected before they reached the store (parse and validation
	// errors); the store adds the ones it finds and reports Rejects.Total and Rejects.First.
	// nil: none were rejected before the store.
	Rejects *Rejects
	// UnknownTypes returns the categories the taxonomy did not know, with counts; it is called
	// once Next has returned io.EOF.
	UnknownTypes func() map[string]int
	// CellBoundary returns the WGS84 polygon of an H3 cell; the store keeps the polygons of the
	// cells it has not seen before.
	CellBoundary func(cell uint64) orb.Polygon
	// UseStored, when set, is called by the store once, inside its transaction and before the
	// first Next, with a function that tells which records of a batch it holds unchanged. Next
	// then leaves those records out, before they are binned and sent, and rejects itself the
	// records that repeat a (source, source_id) earlier in the file (the store no longer sees
	// every record); Skipped returns how many unchanged records it left out, once Next has
	// returned io.EOF.
	UseStored func(StoredTest)
	Skipped   func() int
}

// StoredTest sets unchanged[k] when the store holds recs[k] with the same source, source id
// and fingerprint (recs[k].Digest, which the caller sets); len(unchanged) == len(recs).
type StoredTest func(recs []Incident, unchanged []bool) error

// IncidentStore stores incident batches atomically and keeps the aggregates in step.
type IncidentStore interface {
	// ImportIncidents stores a batch. It returns a report of what changed; when records are
	// rejected and SkipInvalid is false, nothing is stored and the error wraps ErrInvalid.
	ImportIncidents(ctx context.Context, b IncidentBatch) (ImportReport, error)
}
