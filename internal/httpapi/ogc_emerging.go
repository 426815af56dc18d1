package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/lagesbild/lagesbild/internal/analysis"
	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/cql"
	"github.com/lagesbild/lagesbild/internal/hexgrid"
	"github.com/lagesbild/lagesbild/internal/ingest"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Emerging hot spots as OGC API – Features collections: emerging-<REGIONKOD> (emerging-5300, …),
// one per police region, whose items are the res-8 H3 cells with a pattern in the region's
// kommun grids (analysis.Service.RegionEmerging over the last 24 whole months, all groups
// together; sensitive groups are part of that total as of every total and never a collection of
// their own) with their category, the months hot and cold and the trend. No counts. A collection
// is listed only to callers whose scope holds the region (a lokal scope holds none), read
// through the audited OGC routes, and the service answers only for cells row-level security lets
// the caller see. Items are computed, not stored: bbox, CQL2 filters (without spatial and
// temporal functions), sortby, properties and every offered crs are applied here in memory.

const emergingPrefix = "emerging-"

// emergingRegions are the police regions (REGIONKOD) and their names.
var emergingRegions = []struct{ code, name string }{
	{"5100", "Nord"}, {"5200", "Mitt"}, {"5300", "Stockholm"}, {"5400", "Öst"},
	{"5500", "Väst"}, {"5600", "Syd"}, {"5700", "Bergslagen"},
}

// emergingQueryables are the properties of an emerging hot-spot cell, in their order.
var emergingQueryables = []lagesbild.Queryable{
	{Name: "cell", Type: cql.String, Description: "H3-cellen (resolution 8, hexadecimal)"},
	{Name: "kommun_code", Type: cql.String, Description: "Kommunkod"},
	{Name: "category", Type: cql.String, Description: "Kategori: new_hot_spot, consecutive_hot_spot, intensifying_hot_spot, persistent_hot_spot, " +
		"diminishing_hot_spot, sporadic_hot_spot, oscillating_hot_spot, historical_hot_spot eller motsvarande _cold_spot"},
	{Name: "hot_months", Type: cql.Integer, Description: "Månader som signifikant hot spot (90 %, FDR)"},
	{Name: "cold_months", Type: cql.Integer, Description: "Månader som signifikant cold spot"},
	{Name: "trend_z", Type: cql.Number, Description: "Mann-Kendalls Z för cellens z-värden per månad"},
	{Name: "trend_p", Type: cql.Number, Description: "Trendens p-värde (tvåsidigt)"},
	{Name: "final_z", Type: cql.Number, Description: "Gi*-z-värdet sista månaden"},
	{Name: "first_month", Type: cql.String, Description: "Första månaden i serien (ÅÅÅÅ-MM)"},
	{Name: "last_month", Type: cql.String, Description: "Sista hela månaden i serien (ÅÅÅÅ-MM)"},
}

// emergingRegion is the region of an emerging collection id, or "" for another collection.
func emergingRegion(collection string) string {
	code, ok := strings.CutPrefix(collection, emergingPrefix)
	if !ok {
		return ""
	}
	for _, r := range emergingRegions {
		if r.code == code {
			return code
		}
	}
	return ""
}

// emergingStore adds the emerging hot-spot collections to a FeatureStore.
type emergingStore struct {
	lagesbild.FeatureStore
	analysis AnalysisService
}

// withEmerging wraps fs once.
func withEmerging(fs lagesbild.FeatureStore, a AnalysisService) lagesbild.FeatureStore {
	if _, ok := fs.(*emergingStore); ok || fs == nil || a == nil {
		return fs
	}
	return &emergingStore{FeatureStore: fs, analysis: a}
}

// emergingAllowed reports whether the caller's scope holds the region.
func emergingAllowed(ctx context.Context, region string) bool {
	id, ok := auth.FromContext(ctx)
	return ok && id.Scope.AllowsRegion(region)
}

// Collections lists the store's collections and then the emerging collections of the regions
// in the caller's scope, with the extent of Sweden (the cells are known only once computed).
func (e *emergingStore) Collections(ctx context.Context) ([]lagesbild.Collection, error) {
	cs, err := e.FeatureStore.Collections(ctx)
	if err != nil {
		return nil, err
	}
	bbox := lagesbild.BBox{MinLon: 10.5, MinLat: 55.0, MaxLon: 24.2, MaxLat: 69.1}
	for _, c := range cs {
		if c.ID == "polisregioner" {
			bbox = c.BBox
		}
	}
	for _, r := range emergingRegions {
		if !emergingAllowed(ctx, r.code) {
			continue
		}
		cs = append(cs, lagesbild.Collection{ID: emergingPrefix + r.code, GeometryType: "Polygon", BBox: bbox,
			Title: "Framväxande hot spots, polisregion " + r.name,
			Description: "H3-celler (res 8) med ett mönster i Emerging Hot Spot Analysis över kommunernas rutnät i polisregion " + r.name +
				" (" + r.code + "): Gi* per månad de senaste 24 hela månaderna, Mann-Kendall på cellens z-värden och kategorierna " +
				"(ny, sammanhängande, intensifierad, ihållande, avtagande, sporadisk, oscillerande, historisk). Alla brottsgrupper tillsammans; " +
				"inga antal. Demodata är syntetiska. Se docs/risk-model.md."})
	}
	return cs, nil
}

// Queryables of an emerging collection are its cells' properties.
func (e *emergingStore) Queryables(ctx context.Context, collection string) ([]lagesbild.Queryable, error) {
	if region := emergingRegion(collection); region != "" {
		if !emergingAllowed(ctx, region) {
			return nil, lagesbild.ErrNotFound
		}
		return emergingQueryables, nil
	}
	return e.FeatureStore.Queryables(ctx, collection)
}

// emergingFeature is one cell as a feature, with its properties for filtering.
type emergingFeature struct {
	id    string
	poly  orb.Polygon // WGS84
	props map[string]any
}

func (e *emergingStore) features(ctx context.Context, region string) ([]emergingFeature, error) {
	if !emergingAllowed(ctx, region) {
		return nil, lagesbild.ErrNotFound
	}
	res, err := e.analysis.RegionEmerging(ctx, region, analysis.EmergingQuery{})
	if err != nil {
		return nil, err
	}
	var first, last string
	if len(res.Months) > 0 {
		first, last = res.Months[0], res.Months[len(res.Months)-1]
	}
	out := make([]emergingFeature, 0, len(res.Cells))
	for _, c := range res.Cells {
		id, err := strconv.ParseUint(c.Cell, 16, 64)
		if err != nil {
			continue
		}
		out = append(out, emergingFeature{id: c.Cell, poly: hexgrid.Boundary(id), props: map[string]any{
			"cell": c.Cell, "kommun_code": c.Kommun, "category": string(c.Category), "hot_months": c.HotMonths,
			"cold_months": c.ColdMonths, "trend_z": round6(c.TrendZ), "trend_p": round6(c.TrendP), "final_z": round6(c.FinalZ),
			"first_month": first, "last_month": last}})
	}
	slices.SortFunc(out, func(a, b emergingFeature) int { return strings.Compare(a.id, b.id) })
	return out, nil
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// Items returns one page of an emerging collection, filtered and sorted as q says.
func (e *emergingStore) Items(ctx context.Context, collection string, q lagesbild.FeatureQuery) (lagesbild.FeaturePage, error) {
	region := emergingRegion(collection)
	if region == "" {
		return e.FeatureStore.Items(ctx, collection, q)
	}
	all, err := e.features(ctx, region)
	if err != nil {
		return lagesbild.FeaturePage{}, err
	}
	var kept []emergingFeature
	for _, f := range all {
		if q.BBox != nil && !q.BBox.Intersects(cellBBox(f.poly, q.BBoxSRID)) {
			continue
		}
		if q.Filter != nil {
			ok, err := cql.Match(q.Filter, f.props)
			if err != nil {
				return lagesbild.FeaturePage{}, lagesbild.Invalid("filter", "%v", err)
			}
			if !ok {
				continue
			}
		}
		kept = append(kept, f)
	}
	if len(q.SortBy) > 0 {
		slices.SortStableFunc(kept, func(a, b emergingFeature) int {
			for _, k := range q.SortBy {
				c := compareValues(a.props[k.Property], b.props[k.Property])
				if k.Desc {
					c = -c
				}
				if c != 0 {
					return c
				}
			}
			return 0
		})
	}
	page := lagesbild.FeaturePage{NumberMatched: len(kept)}
	lo := min(q.Offset, len(kept))
	hi := len(kept)
	if q.Limit > 0 {
		hi = min(lo+q.Limit, len(kept))
	}
	for _, f := range kept[lo:hi] {
		feat, err := emergingJSON(f, q.CRS)
		if err != nil {
			return lagesbild.FeaturePage{}, err
		}
		page.Features = append(page.Features, feat)
	}
	return page, nil
}

// Item returns one cell of an emerging collection.
func (e *emergingStore) Item(ctx context.Context, collection, id string, crs lagesbild.CRS) (lagesbild.Feature, error) {
	region := emergingRegion(collection)
	if region == "" {
		return e.FeatureStore.Item(ctx, collection, id, crs)
	}
	all, err := e.features(ctx, region)
	if err != nil {
		return lagesbild.Feature{}, err
	}
	for _, f := range all {
		if f.id == id {
			return emergingJSON(f, crs)
		}
	}
	return lagesbild.Feature{}, lagesbild.ErrNotFound
}

func compareValues(a, b any) int {
	switch a := a.(type) {
	case string:
		bs, _ := b.(string)
		return strings.Compare(a, bs)
	case int:
		bi, _ := b.(int)
		return a - bi
	case float64:
		bf, _ := b.(float64)
		switch {
		case a < bf:
			return -1
		case a > bf:
			return 1
		}
	}
	return 0
}

// cellBBox is the bounds of a WGS84 polygon in srid (0: WGS84; 3006: easting as Lon, northing
// as Lat), as FeatureQuery.BBox is given.
func cellBBox(p orb.Polygon, srid int) lagesbild.BBox {
	b := p.Bound()
	if srid == 3006 {
		minE, minN := math.Inf(1), math.Inf(1)
		maxE, maxN := math.Inf(-1), math.Inf(-1)
		for _, pt := range p[0] {
			e, n := ingest.WGS84ToSweref(pt)
			minE, maxE, minN, maxN = math.Min(minE, e), math.Max(maxE, e), math.Min(minN, n), math.Max(maxN, n)
		}
		return lagesbild.BBox{MinLon: minE, MinLat: minN, MaxLon: maxE, MaxLat: maxN}
	}
	return lagesbild.BBox{MinLon: b.Min[0], MinLat: b.Min[1], MaxLon: b.Max[0], MaxLat: b.Max[1]}
}

// project moves a WGS84 point into crs, in the crs's axis order.
func project(pt orb.Point, crs lagesbild.CRS) orb.Point {
	switch {
	case crs.SRID == 3006:
		e, n := ingest.WGS84ToSweref(pt)
		return orb.Point{math.Round(n*100) / 100, math.Round(e*100) / 100} // northing first
	case crs.SRID == 3857:
		const r = 6378137.0
		x := r * pt[0] * math.Pi / 180
		y := r * math.Log(math.Tan(math.Pi/4+pt[1]*math.Pi/360))
		return orb.Point{math.Round(x*100) / 100, math.Round(y*100) / 100}
	case crs.NorthFirst:
		return orb.Point{pt[1], pt[0]}
	}
	return pt
}

// emergingJSON is a cell as a lagesbild.Feature: its polygon in crs and its properties in the
// order of emergingQueryables.
func emergingJSON(f emergingFeature, crs lagesbild.CRS) (lagesbild.Feature, error) {
	poly := make(orb.Polygon, len(f.poly))
	for i, ring := range f.poly {
		poly[i] = make(orb.Ring, len(ring))
		for j, pt := range ring {
			poly[i][j] = project(pt, crs)
		}
	}
	geom, err := json.Marshal(geojson.NewGeometry(poly))
	if err != nil {
		return lagesbild.Feature{}, fmt.Errorf("httpapi: emerging cell %s: %w", f.id, err)
	}
	members := make([]jsonMember, len(emergingQueryables))
	for i, q := range emergingQueryables {
		v, err := json.Marshal(f.props[q.Name])
		if err != nil {
			return lagesbild.Feature{}, fmt.Errorf("httpapi: emerging cell %s: %w", f.id, err)
		}
		members[i] = jsonMember{q.Name, v}
	}
	return lagesbild.Feature{ID: f.id, Geometry: geom, Properties: jsonObject(members)}, nil
}
