package lagesbild

import (
	"context"
	"encoding/json"
	"time"

	"github.com/lagesbild/lagesbild/internal/cql"
)

// BBox is a WGS84 longitude/latitude box, as OGC API bbox parameters and extents give it.
type BBox struct {
	MinLon, MinLat, MaxLon, MaxLat float64
}

// Intersects reports whether b and o share at least one point (touching counts).
func (b BBox) Intersects(o BBox) bool {
	return b.MinLon <= o.MaxLon && o.MinLon <= b.MaxLon && b.MinLat <= o.MaxLat && o.MinLat <= b.MaxLat
}

// Interval is a closed time interval; a nil end is open (unbounded).
type Interval struct {
	Start, End *time.Time
}

// Collection describes one collection of features the OGC API publishes.
type Collection struct {
	ID          string // "omraden-2025", "kommuner", "h3-r7", ...
	Title       string
	Description string
	// GeometryType is the GeoJSON type of every feature's geometry: "MultiPolygon", "Polygon"
	// or "Point".
	GeometryType string
	// BBox is the WGS84 extent of the features; for an empty collection, the extent of Sweden.
	BBox BBox
	// Temporal is the time span of the features, nil for collections without time (datetime
	// filters do not apply to them).
	Temporal *Interval
}

// CRS is a coordinate reference system the OGC API offers (OGC API – Features Part 2): its URI,
// its EPSG code, and whether its first axis points north (latitude in EPSG:4326, northing in
// EPSG:3006), in which case coordinates are written north first. The zero CRS is CRS84
// (WGS84 longitude, latitude), the GeoJSON default.
type CRS struct {
	URI        string
	SRID       int
	NorthFirst bool
}

// FeatureQuery selects one page of a collection. Results are ordered by feature id, so a page
// is the same on every request while the data version stays the same.
type FeatureQuery struct {
	Limit, Offset int
	BBox          *BBox // features whose geometry intersects it; nil: no spatial filter
	// BBoxSRID is the CRS of BBox: 0 for WGS84 longitude/latitude, 3006 for SWEREF 99 TM with
	// the easting in the Lon fields and the northing in the Lat fields.
	BBoxSRID int
	Time     *Interval // features whose time intersects it; ignored where there is no time
	CRS      CRS       // of the geometries returned
	// Filter is a CQL2 filter parsed against the collection's queryables; nil for none.
	Filter cql.Expr
	// FilterCRS is the CRS of the filter's geometry literals, in its axis order.
	FilterCRS CRS
	// SortBy orders the features by queryables before the feature id; empty: by id only.
	SortBy []SortKey
}

// SortKey is one key of sortby: a queryable, ascending unless Desc.
type SortKey struct {
	Property string
	Desc     bool
}

// Queryable is a property a filter may name (OGC API – Features Part 3).
type Queryable struct {
	Name        string
	Type        cql.Type
	Description string
}

// Feature is one feature ready for GeoJSON: geometry in the CRS asked for and properties as a JSON object
// whose member order is meaningful to people (the store decides it).
type Feature struct {
	ID         string
	Geometry   json.RawMessage
	Properties json.RawMessage
}

// FeaturePage is one page of a query and the number of features the query matches in all.
type FeaturePage struct {
	Features      []Feature
	NumberMatched int
	// Uncounted says that the store did not count the matches (a count over a large result
	// would cost more than the page; OGC API – Features lets numberMatched out): NumberMatched
	// is 0 then, and More says whether features follow the page.
	Uncounted bool
	More      bool
}

// FeatureStore serves the collections of the OGC API – Features endpoint.
type FeatureStore interface {
	// Collections lists every collection with its extent: the police lists first, oldest
	// first, then the fixed collections.
	Collections(ctx context.Context) ([]Collection, error)
	// Items returns one page of a collection; ErrNotFound for an unknown collection.
	Items(ctx context.Context, collection string, q FeatureQuery) (FeaturePage, error)
	// Queryables lists the properties a filter on the collection may name; ErrNotFound for
	// an unknown collection.
	Queryables(ctx context.Context, collection string) ([]Queryable, error)
	// Item returns one feature with its geometry in crs; ErrNotFound for an unknown collection
	// or feature id.
	Item(ctx context.Context, collection, id string, crs CRS) (Feature, error)
}

// MinPublishedCount is k of the small-count rule: a count of incidents from 1 to k−1 is never
// published, because so few events in a small cell and period can point at the people involved.
// Zero is published: that nothing happened identifies no one.
const MinPublishedCount = 5

// SuppressCount applies the small-count rule to n: it returns nil and true for 1..k−1, and n and
// false otherwise.
func SuppressCount(n int) (published *int, suppressed bool) {
	if n > 0 && n < MinPublishedCount {
		return nil, true
	}
	return &n, false
}
