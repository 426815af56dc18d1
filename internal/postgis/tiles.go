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

// tileLayer is one vector tile layer as the renderer knows it: the layer's metadata (the entry
// of tiles.Layers with its name), the SQL expression of each property, and how its query and
// arguments are built for a request. Each query file documents its own $n from $4 on ($1–$3
// are z, x, y of tile_bounds.sql), and build returns exactly those arguments, so no placeholder
// is ever renumbered. Adding a layer is one entry of tileLayers (and one of tiles.Layers).
type tileLayer struct {
	meta tiles.Layer
	// props are (name, SQL expression) in the layer's field order; only these names reach the
	// SQL text, and TestTileLayersMatchRegistry checks them against meta.Fields.
	props [][2]string
	// build returns the query (after the bounds CTE) and its arguments after z, x, y; a nil
	// query is an empty tile.
	build func(ctx context.Context, db *DB, l *tileLayer, z int, f tiles.Filters) (sql string, args []any, err error)
	// counted layers' queries return the number of features as a second column (handelser:
	// a tile over MaxTilePoints is an error, never cut short).
	counted bool
}

// tileLayers holds every layer the renderer draws, by name.
var tileLayers = func() map[string]*tileLayer {
	boundary := func(table string) func(context.Context, *DB, *tileLayer, int, tiles.Filters) (string, []any, error) {
		return func(_ context.Context, _ *DB, l *tileLayer, _ int, f tiles.Filters) (string, []any, error) {
			sql := strings.Replace(query("tile_boundary"), "/*LAYER*/", "'"+l.meta.Name+"'", 1)
			sql = strings.Replace(sql, "/*TABLE*/", pgx.Identifier{table}.Sanitize(), 1)
			return strings.Replace(sql, "/*PROPS*/", selectProps(l.props, f.Fields, false), 1), nil, nil
		}
	}
	layers := []*tileLayer{
		{props: [][2]string{{"id", "a.id"}, {"area_key", "a.area_key"}, {"name", "a.name"}, {"class", "a.class"},
			{"kommun_kod", "a.kommun_code"}, {"kommun_namn", "k.name"}, {"lpo_kod", "a.lpo_code"}, {"lpo_namn", "l.name"},
			{"region_kod", "a.region_code"}, {"set", "a.set_year"}, {"approximated", "NOT a.geometry_official"}},
			meta: mustLayer("omraden"), build: buildOmraden},
		{meta: mustLayer("kommuner"), props: [][2]string{{"kod", "b.code"}, {"namn", "b.name"}, {"lan_kod", "b.lan_code"}}, build: boundary("kommun")},
		{meta: mustLayer("lan"), props: [][2]string{{"kod", "b.code"}, {"namn", "b.name"}, {"region_kod", "b.region_code"}}, build: boundary("lan")},
		{meta: mustLayer("polisregioner"), props: [][2]string{{"kod", "b.code"}, {"namn", "b.name"}}, build: boundary("police_region")},
		{meta: mustLayer("h3"), props: h3Props(), build: buildH3},
		{meta: mustLayer("narvaro"), props: narvaroOffice, build: buildNarvaro},
		{meta: mustLayer("emerging"), props: emergingProps, build: buildEmerging},
		{meta: mustLayer("handelser"), counted: true, build: buildHandelser,
			props: [][2]string{{"category", "i.category"}, {"category_group", "i.category_group"}, {"agency", "i.agency"},
				{"occurred_at", "extract(epoch FROM i.occurred_at)::bigint"}, {"synthetic", "i.source = 'synthetic-demo'"}}},
	}
	out := map[string]*tileLayer{}
	for _, l := range layers {
		out[l.meta.Name] = l
	}
	return out
}()

func mustLayer(name string) tiles.Layer {
	l, ok := tiles.LayerByName(name)
	if !ok {
		panic("postgis: tile layer " + name + " is not in tiles.Layers")
	}
	return l
}

func buildOmraden(ctx context.Context, db *DB, l *tileLayer, _ int, f tiles.Filters) (string, []any, error) {
	set := f.Set
	if set == 0 {
		if err := db.pool.QueryRow(ctx, `SELECT coalesce(max(year), 0) FROM area_set`).Scan(&set); err != nil {
			return "", nil, translate(err)
		}
	}
	return strings.Replace(query("tile_omraden"), "/*PROPS*/", selectProps(l.props, f.Fields, false), 1), []any{set}, nil
}

// buildH3 picks the source of the h3 layer's counts: one row per cell (h3_cell_total) for the
// unfiltered view; per group and agency (h3_total) with a category or agency filter; per month
// (h3_agg, migration 00033) and, for the partial first and last month, per day from incident's
// day index with a date filter; and at resolutions 8 and 9, which the aggregates do not keep
// (migrations 00019, 00024), the incidents of the tile's cells.
func buildH3(_ context.Context, _ *DB, l *tileLayer, z int, f tiles.Filters) (string, []any, error) {
	props := selectProps(l.props, f.Fields, false)
	res := tileRes(z, f)
	from, to := dateArg(f)
	groups, agencies := listArg(f.Groups), listArg(f.Agencies)
	var sql string
	var args []any
	switch {
	case from == nil && to == nil && groups == nil && agencies == nil:
		sql, args = h3CellsSQL, []any{res}
	case res >= 8:
		sql, args = h3IncidentSQL, []any{res, from, to, groups, agencies}
	case from == nil && to == nil:
		sql, args = h3TotalSQL, []any{res, groups, agencies}
	default:
		sql, args = h3DaysSQL, []any{res, from, to, groups, agencies}
	}
	return strings.Replace(sql, "/*PROPS*/", props, 1), args, nil
}

func buildNarvaro(_ context.Context, _ *DB, _ *tileLayer, _ int, f tiles.Filters) (string, []any, error) {
	from, to := dateArg(f)
	sql := strings.Replace(query("tile_narvaro"), "/*PROPS_OFFICE*/", selectProps(narvaroOffice, f.Fields, true), 1)
	sql = strings.Replace(sql, "/*PROPS_OPERATION*/", selectProps(narvaroOperation, f.Fields, true), 1)
	return sql, []any{from, to, listArg(f.Agencies)}, nil
}

func buildHandelser(_ context.Context, _ *DB, l *tileLayer, z int, f tiles.Filters) (string, []any, error) {
	if z < l.meta.MinZoom {
		return "", nil, nil
	}
	from, to := dateArg(f)
	sql := strings.Replace(query("tile_handelser"), "/*PROPS*/", selectProps(l.props, f.Fields, false), 1)
	return sql, []any{from, to, listArg(f.Groups), listArg(f.Agencies), MaxTilePoints + 1}, nil
}

// groupColumns renders one SQL expression per category group of lagesbild.CategoryGroups, in
// their order, from a template in which %s stands for the group's name (a fixed identifier of
// the domain, never input); the expressions are joined with sep.
func groupColumns(template, sep string) string {
	out := make([]string, len(lagesbild.CategoryGroups))
	for i, g := range lagesbild.CategoryGroups {
		out[i] = strings.ReplaceAll(template, "%s", string(g.Group))
	}
	return strings.Join(out, sep)
}

// withGroups fills a query's /*GROUPS:template*/ markers (see groupColumns; the expressions
// joined by ", ") so the 11 group columns are written once, in Go.
func withGroups(sql string) string {
	for {
		i := strings.Index(sql, "/*GROUPS:")
		if i < 0 {
			return sql
		}
		j := strings.Index(sql[i:], "*/")
		if j < 0 {
			panic("postgis: unterminated GROUPS marker")
		}
		sql = sql[:i] + groupColumns(sql[i+len("/*GROUPS:"):i+j], ", ") + sql[i+j+2:]
	}
}

// The sources of the h3 layer (see buildH3), their group columns filled in.
var (
	h3CellsSQL    = withGroups(query("tile_h3_cells"))
	h3TotalSQL    = withGroups(query("tile_h3_total"))
	h3DaysSQL     = withGroups(query("tile_h3_days"))
	h3IncidentSQL = withGroups(query("tile_h3_incident"))
)

// h3Props are the h3 layer's properties: the cell, its resolution ($4 of every h3 query), the
// total and one count per category group, with counts 1..k-1 hidden.
func h3Props() [][2]string {
	k := fmt.Sprint(SuppressBelow)
	supp := []string{"s.total < " + k}
	var groups [][2]string
	var shown []string
	for _, g := range lagesbild.CategoryGroups {
		col := "s." + string(g.Group)
		groups = append(groups, [2]string{string(g.Group), "CASE WHEN " + col + " < " + k + " THEN NULL ELSE " + col + " END"})
		supp = append(supp, col+" < "+k)
		shown = append(shown, "coalesce(CASE WHEN "+col+" >= "+k+" THEN "+col+" END, 0)")
	}
	anyHidden := "coalesce(" + strings.Join(supp, " OR ") + ", false)"
	// Secondary suppression: with any group hidden the total is hidden too, or the hidden count
	// would be the total minus the groups shown.
	// total_min is what can be said of such a cell without revealing anything: at least the
	// groups shown plus one (a hidden group holds 1–4); none when no group is shown (it would
	// read as a count of 1). It is a function of the published
	// properties alone (the groups and suppressed), so no differencing, within a tile or across
	// filters, learns more from it than from them; it lets a map colour a busy cell with one rare
	// group by the groups it does show instead of greying it out.
	out := [][2]string{{"cell", "to_hex(c.cell)"}, {"res", "$4::int"},
		{"total", "CASE WHEN " + anyHidden + " THEN NULL ELSE s.total END"},
		{"total_min", "CASE WHEN " + anyHidden + " THEN nullif(" + strings.Join(shown, " + ") + ", 0) + 1 ELSE s.total END"}}
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
	if _, ok := tileLayers[layer]; !ok {
		return nil, fmt.Errorf("postgis: tile layer %q: %w", layer, lagesbild.ErrNotFound)
	}
	if !tileInDomain(z, x, y) {
		return nil, nil
	}
	return db.renderTile(ctx, layer, z, x, y, f)
}

// renderTile is Tile without the domain shortcut: the SQL clips the envelope by itself.
func (db *DB) renderTile(ctx context.Context, layer string, z, x, y int, f tiles.Filters) ([]byte, error) {
	l, ok := tileLayers[layer]
	if !ok {
		return nil, fmt.Errorf("postgis: tile layer %q: %w", layer, lagesbild.ErrNotFound)
	}
	sql, extra, err := l.build(ctx, db, l, z, f)
	if err != nil {
		return nil, fmt.Errorf("postgis: tile %s %d/%d/%d: %w", layer, z, x, y, err)
	}
	if sql == "" {
		return nil, nil
	}
	return db.runTile(ctx, l, boundsSQL+sql, append([]any{z, x, y}, extra...), z, x, y)
}

// runTile runs a layer's tile query (the bounds CTE and the layer's query) in the caller's
// scope; a counted layer over MaxTilePoints is an error.
func (db *DB) runTile(ctx context.Context, l *tileLayer, sql string, args []any, z, x, y int) ([]byte, error) {
	layer := l.meta.Name
	var mvt []byte
	var n int64
	err := db.scopedAs(ctx, ClassTile, func(tx pgx.Tx) error {
		if l.counted {
			return translate(tx.QueryRow(ctx, sql, args...).Scan(&mvt, &n))
		}
		return translate(tx.QueryRow(ctx, sql, args...).Scan(&mvt))
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
