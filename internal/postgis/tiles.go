package postgis

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/hexgrid"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// MaxTilePoints is the most incident points one handelser tile carries. A denser tile is an
// error telling the client to zoom in or filter, never a silently truncated tile.
const MaxTilePoints = 20000

// SuppressBelow is k of the small-count rule: counts 1..k-1 are not shown.
const SuppressBelow = lagesbild.MinPublishedCount

// tileProps are the SQL expressions of each layer's properties; only these names ever reach the
// SQL text, and the Fields of internal/tiles name the same set.
var tileProps = map[string][][2]string{
	"omraden": {{"id", "a.id"}, {"area_key", "a.area_key"}, {"name", "a.name"}, {"class", "a.class"},
		{"kommun_kod", "a.kommun_code"}, {"kommun_namn", "k.name"}, {"lpo_kod", "a.lpo_code"}, {"lpo_namn", "l.name"},
		{"region_kod", "a.region_code"}, {"set", "a.set_year"}, {"approximated", "NOT a.geometry_official"}},
	"kommuner":      {{"kod", "b.code"}, {"namn", "b.name"}, {"lan_kod", "b.lan_code"}},
	"lan":           {{"kod", "b.code"}, {"namn", "b.name"}, {"region_kod", "b.region_code"}},
	"polisregioner": {{"kod", "b.code"}, {"namn", "b.name"}},
	"handelser": {{"category", "i.category"}, {"category_group", "i.category_group"}, {"agency", "i.agency"},
		{"occurred_at", "extract(epoch FROM i.occurred_at)::bigint"}, {"synthetic", "i.source = 'synthetic-demo'"}},
}

var boundaryTables = map[string]string{"kommuner": "kommun", "lan": "lan", "polisregioner": "police_region"}

func h3Props() [][2]string {
	k := fmt.Sprint(SuppressBelow)
	supp := []string{"s.total < " + k}
	var groups [][2]string
	for _, g := range lagesbild.CategoryGroups {
		col := "s." + string(g.Group)
		groups = append(groups, [2]string{string(g.Group), "CASE WHEN " + col + " < " + k + " THEN NULL ELSE " + col + " END"})
		supp = append(supp, col+" < "+k)
	}
	anyHidden := "coalesce(" + strings.Join(supp, " OR ") + ", false)"
	// Secondary suppression: with any group hidden the total is hidden too, or the hidden count
	// would be the total minus the groups shown.
	out := [][2]string{{"cell", "to_hex(c.cell)"}, {"res", "$4::int"},
		{"total", "CASE WHEN " + anyHidden + " THEN NULL ELSE s.total END"}}
	out = append(out, groups...)
	return append(out, [2]string{"suppressed", anyHidden})
}

var narvaroOffice = [][2]string{{"kind", "'office'"}, {"name", "o.name"}, {"agency", "o.agency"}, {"agencies", "o.agency"},
	{"staffed_hours_per_week", "o.staffed_hours_per_week"}, {"starts", "NULL::bigint"}, {"ends", "NULL::bigint"},
	{"person_hours", "NULL::float8"}, {"area_id", "NULL::text"}, {"synthetic", "o.source = 'synthetic-demo'"}}
var narvaroOperation = [][2]string{{"kind", "'operation'"}, {"name", "p.name"}, {"agency", "NULL::text"},
	{"agencies", "array_to_string(p.agencies, ',')"}, {"staffed_hours_per_week", "NULL::float8"},
	{"starts", "extract(epoch FROM p.starts_on)::bigint"}, {"ends", "extract(epoch FROM p.ends_on)::bigint"},
	{"person_hours", "p.person_hours"}, {"area_id", "p.area_id"}, {"synthetic", "p.source = 'synthetic-demo'"}}

// selectProps renders the chosen properties; with fields given, properties not asked for are
// left out (in a UNION, as NULL, so both branches keep the same columns).
func selectProps(props [][2]string, fields []string, keepShape bool) string {
	var out []string
	for _, p := range props {
		want := len(fields) == 0
		for _, f := range fields {
			want = want || f == p[0]
		}
		switch {
		case want:
			out = append(out, p[1]+" AS "+pgx.Identifier{p[0]}.Sanitize())
		case keepShape:
			out = append(out, "NULL AS "+pgx.Identifier{p[0]}.Sanitize())
		}
	}
	if len(out) == 0 {
		return "NULL AS _"
	}
	return strings.Join(out, ", ")
}

func dateArg(f tiles.Filters) (from, to any) {
	if !f.From.IsZero() {
		from = f.From
	}
	if !f.To.IsZero() {
		to = f.To
	}
	return from, to
}

func listArg(l []string) any {
	if len(l) == 0 {
		return nil
	}
	return l
}

// storageDomain (WGS84 lon/lat: west, south, east, north) bounds where tiles look for data:
// EPSG:3006's area of use (10.03–24.17 E, 54.96–69.07 N in the EPSG registry) grown by 2°, so
// incidents the importers admit at its edge (to 24.5 E, 69.5 N) and H3 cells reaching across it
// still draw. SWEREF 99 TM transforms exactly well beyond that; far from Sweden (another
// hemisphere, the antimeridian) it is undefined and ST_Transform fails, so a tile envelope is
// clipped to this box before it is moved into EPSG:3006, and a tile wholly outside is empty
// without a query.
var storageDomain = [4]float64{8, 53, 26.2, 71}

// webMercatorHalf is half the width of the Web Mercator square in metres, as ST_TileEnvelope
// uses it.
const webMercatorHalf = 20037508.342789244

// domain3857 is storageDomain in EPSG:3857 (a lon/lat box is a box in Web Mercator too).
var domain3857 = func() [4]float64 {
	merc := func(lon, lat float64) (float64, float64) {
		return lon * webMercatorHalf / 180, math.Log(math.Tan(math.Pi/4+lat*math.Pi/360)) * webMercatorHalf / math.Pi
	}
	x0, y0 := merc(storageDomain[0], storageDomain[1])
	x1, y1 := merc(storageDomain[2], storageDomain[3])
	return [4]float64{x0, y0, x1, y1}
}()

// boundsSQL is the CTE q of every tile query (sql/tile_bounds.sql) with the domain filled in.
var boundsSQL = "WITH " + strings.Replace(query("tile_bounds"), "/*DOMAIN*/",
	fmt.Sprintf("%.6f::float8, %.6f::float8, %.6f::float8, %.6f::float8", domain3857[0], domain3857[1], domain3857[2], domain3857[3]), 1) + "\n"

// tileInDomain reports whether tile z/x/y, grown by the MVT buffer, overlaps the storage
// domain: the same test as tile_bounds.sql makes, so a tile outside needs no query.
func tileInDomain(z, x, y int) bool {
	size := 2 * webMercatorHalf / float64(int64(1)<<z)
	buf := size * tiles.Buffer / tiles.Extent
	xmin, xmax := -webMercatorHalf+float64(x)*size-buf, -webMercatorHalf+float64(x+1)*size+buf
	ymax, ymin := webMercatorHalf-float64(y)*size+buf, webMercatorHalf-float64(y+1)*size-buf
	return max(xmin, domain3857[0]) < min(xmax, domain3857[2]) && max(ymin, domain3857[1]) < min(ymax, domain3857[3])
}

// Tile renders one layer of one tile as MVT (layer version 2, extent 4096, buffer 64) in PostGIS.
// A tile that lies wholly outside the storage domain is empty (nil) without a query.
func (db *DB) Tile(ctx context.Context, layer string, z, x, y int, f tiles.Filters) ([]byte, error) {
	if _, ok := tileProps[layer]; !ok && layer != "h3" && layer != "narvaro" {
		return nil, fmt.Errorf("postgis: tile layer %q: %w", layer, lagesbild.ErrNotFound)
	}
	if !tileInDomain(z, x, y) {
		return nil, nil
	}
	return db.renderTile(ctx, layer, z, x, y, f)
}

// renderTile is Tile without the domain shortcut: the SQL clips the envelope by itself.
func (db *DB) renderTile(ctx context.Context, layer string, z, x, y int, f tiles.Filters) ([]byte, error) {
	bounds := boundsSQL
	var sql string
	args := []any{z, x, y}
	from, to := dateArg(f)
	switch layer {
	case "omraden":
		set := f.Set
		if set == 0 {
			if err := db.pool.QueryRow(ctx, `SELECT coalesce(max(year), 0) FROM area_set`).Scan(&set); err != nil {
				return nil, translate(err)
			}
		}
		sql = strings.Replace(query("tile_omraden"), "/*PROPS*/", selectProps(tileProps[layer], f.Fields, false), 1)
		args = append(args, set)
	case "kommuner", "lan", "polisregioner":
		sql = query("tile_boundary")
		sql = strings.Replace(sql, "/*LAYER*/", "'"+layer+"'", 1)
		sql = strings.Replace(sql, "/*TABLE*/", pgx.Identifier{boundaryTables[layer]}.Sanitize(), 1)
		sql = strings.Replace(sql, "/*PROPS*/", selectProps(tileProps[layer], f.Fields, false), 1)
	case "h3":
		sql = strings.Replace(query("tile_h3"), "/*PROPS*/", selectProps(h3Props(), f.Fields, false), 1)
		if from == nil && to == nil && len(f.Groups) == 0 && len(f.Agencies) == 0 {
			sql = strings.Replace(query("tile_h3_cells"), "/*PROPS*/", selectProps(h3Props(), f.Fields, false), 1)
			args = append(args, tileRes(z, f))
		} else if from == nil && to == nil {
			sql = strings.Replace(sql, "/*AGG*/", "h3_total", 1)
			sql = strings.Replace(sql, "$7", "$5", -1)
			sql = strings.Replace(sql, "$8", "$6", -1)
			args = append(args, tileRes(z, f), listArg(f.Groups), listArg(f.Agencies))
		} else {
			sql = strings.Replace(sql, "/*AGG*/", "h3_agg", 1)
			sql = strings.Replace(sql, "/*DAYS*/", "AND ($5::date IS NULL OR a.day >= $5) AND ($6::date IS NULL OR a.day <= $6)", 1)
			args = append(args, tileRes(z, f), from, to, listArg(f.Groups), listArg(f.Agencies))
		}
	case "narvaro":
		sql = strings.Replace(query("tile_narvaro"), "/*PROPS_OFFICE*/", selectProps(narvaroOffice, f.Fields, true), 1)
		sql = strings.Replace(sql, "/*PROPS_OPERATION*/", selectProps(narvaroOperation, f.Fields, true), 1)
		args = append(args, from, to, listArg(f.Agencies))
	case "handelser":
		if z < 14 {
			return nil, nil
		}
		sql = strings.Replace(query("tile_handelser"), "/*PROPS*/", selectProps(tileProps[layer], f.Fields, false), 1)
		args = append(args, from, to, listArg(f.Groups), listArg(f.Agencies), MaxTilePoints+1)
	default:
		return nil, fmt.Errorf("postgis: tile layer %q: %w", layer, lagesbild.ErrNotFound)
	}
	var mvt []byte
	var err error
	var n int64
	err = db.scopedAs(ctx, ClassTile, func(tx pgx.Tx) error {
		if layer == "handelser" {
			return translate(tx.QueryRow(ctx, bounds+sql, args...).Scan(&mvt, &n))
		}
		return translate(tx.QueryRow(ctx, bounds+sql, args...).Scan(&mvt))
	})
	if err == nil && n > MaxTilePoints {
		return nil, fmt.Errorf("postgis: %w", lagesbild.Public(lagesbild.ErrInvalid, "tile %d/%d/%d holds more than %d incidents; zoom in or filter", z, x, y, MaxTilePoints))
	}
	if err != nil {
		return nil, fmt.Errorf("postgis: tile %s %d/%d/%d: %w", layer, z, x, y, err)
	}
	return mvt, nil
}

// tileRes is the H3 resolution of the h3 layer at zoom z, capped by the caller's limit.
func tileRes(z int, f tiles.Filters) int {
	res := hexgrid.ZoomToRes(z)
	if f.MaxRes > 0 && res > f.MaxRes {
		res = f.MaxRes
	}
	return res
}
