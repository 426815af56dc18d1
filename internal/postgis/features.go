package postgis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// The collections of the OGC API – Features endpoint. Each one is read by one fixed query file,
// chosen by the switch in source: that switch is the allow-list, so nothing from a request ever
// becomes SQL text, and every value travels as a $n argument.

// areaCollectionPrefix names a police list collection: omraden-<list year>.
const areaCollectionPrefix = "omraden-"

// Collection ids of the fixed collections.
const (
	collKommuner   = "kommuner"
	collLan        = "lan"
	collRegioner   = "polisregioner"
	collOffices    = "narvaro-kontor"
	collOperations = "narvaro-insatser"
	collH3         = "h3-r7"
)

const syntheticNote = " Demodata (källa " + lagesbild.SourceSyntheticDemo + ") är syntetiska och har egenskapen synthetic: true."

// fixedCollections describes the collections that do not come from area_set rows.
var fixedCollections = map[string]struct{ title, description, geometryType string }{
	collKommuner: {"Kommuner (SCB)", "Sveriges kommuner med folkmängd. SCB:s generaliserade gränser (CC0) " +
		"som de lagras, utan ytterligare förenkling.", "MultiPolygon"},
	collLan: {"Län (SCB)", "Sveriges län med folkmängd och polisregion. SCB:s generaliserade gränser (CC0) " +
		"som de lagras, utan ytterligare förenkling.", "MultiPolygon"},
	collRegioner: {"Polisregioner (Polismyndigheten)", "Polismyndighetens sju regioner, sammansatta av SCB:s " +
		"länsgränser, med folkmängd.", "MultiPolygon"},
	collOffices: {"Närvaro: kontor", "Myndigheternas kontor (närvaro) med bemannade timmar per vecka." + syntheticNote, "Point"},
	collOperations: {"Närvaro: insatser", "Gemensamma insatser med myndigheter, period och personaltimmar. " +
		"datetime väljer insatser vars period (hela dagar, Europe/Stockholm) överlappar intervallet." + syntheticNote, "MultiPolygon"},
	collH3: {"Händelser per H3-cell (upplösning 7)", fmt.Sprintf("Händelser med exakt position per H3-cell "+
		"(upplösning 7, cirka 5 km²) över hela den lagrade perioden, eller över de dagar (Europe/Stockholm) som "+
		"datetime anger. total och antalet per kategorigrupp; ett antal från 1 till %d publiceras inte (null) och "+
		"<namn>_suppressed är då true. Händelser som bara är kända på kommun- eller länsnivå ingår inte.",
		lagesbild.MinPublishedCount-1) + syntheticNote, "Polygon"},
}

// bboxWindow bounds every bbox filter before it is moved into SWEREF 99 TM: the stored data lies
// in Sweden, and far outside this window the projection no longer gives a sensible polygon.
var bboxWindow = lagesbild.BBox{MinLon: 0, MinLat: 50, MaxLon: 35, MaxLat: 75}

// Collections lists the police lists (one collection per area_set row, oldest first) and then
// the fixed collections, each with its extent computed from the data.
func (db *DB) Collections(ctx context.Context) ([]lagesbild.Collection, error) {
	var sweden lagesbild.BBox
	out, err := collect(ctx, db, "features_collections", func(r pgx.CollectableRow) (lagesbild.Collection, error) {
		var (
			id                     string
			year, n                *int
			label, note            *string
			official               *bool
			xmin, ymin, xmax, ymax *float64
			t0, t1                 *time.Time
		)
		if err := r.Scan(&id, &year, &label, &official, &note, &n, &xmin, &ymin, &xmax, &ymax, &t0, &t1); err != nil {
			return lagesbild.Collection{}, err
		}
		c := lagesbild.Collection{ID: id}
		if xmin != nil && ymin != nil && xmax != nil && ymax != nil {
			c.BBox = lagesbild.BBox{MinLon: *xmin, MinLat: *ymin, MaxLon: *xmax, MaxLat: *ymax}
		}
		if year != nil {
			c.Title = fmt.Sprintf("Utsatta områden %d (Polismyndigheten)", *year)
			c.Description = fmt.Sprintf("%s: %d områden (utsatta områden, riskområden och särskilt utsatta områden).",
				derefZero(label), derefZero(n))
			if s := derefZero(note); s != "" {
				c.Description += " " + s
			}
			if official != nil && !*official {
				c.Description += fmt.Sprintf(" Geometrin är approximerad: det är inte polisens officiella polygoner för %d.", *year)
			}
			c.GeometryType = "MultiPolygon"
			return c, nil
		}
		f := fixedCollections[id]
		c.Title, c.Description, c.GeometryType = f.title, f.description, f.geometryType
		if id == collRegioner {
			sweden = c.BBox
		}
		if _, h3 := h3Collection(id); id == collOperations || h3 {
			c.Temporal = &lagesbild.Interval{Start: t0, End: t1}
		}
		return c, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgis: collections: %w", translate(err))
	}
	for i := range out {
		if out[i].BBox == (lagesbild.BBox{}) {
			out[i].BBox = sweden // an empty collection: where its features can be
		}
	}
	return out, nil
}

func derefZero[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// featureSource is how one collection is read: the query file, the conversion of a feature id
// into the query's $7, and the arguments after it.
type featureSource struct {
	query   string
	parseID func(id string) (any, bool)
	extra   func(q lagesbild.FeatureQuery) []any
	h3      bool   // the h3 query returns counts instead of properties, and counts only its page (pageCount)
	coll    string // the collection id, for its queryables
}

func textID(id string) (any, bool) { return id, id != "" }

// prefixedID parses "<prefix><positive integer>" into the integer.
func prefixedID(prefix string) func(string) (any, bool) {
	return func(id string) (any, bool) {
		rest, ok := strings.CutPrefix(id, prefix)
		if !ok || rest == "" || rest[0] == '0' || rest[0] == '+' {
			return nil, false
		}
		n, err := strconv.ParseInt(rest, 10, 64)
		return n, err == nil && n > 0
	}
}

func timeArgs(q lagesbild.FeatureQuery) (from, to any) {
	if q.Time == nil {
		return nil, nil
	}
	if q.Time.Start != nil {
		from = *q.Time.Start
	}
	if q.Time.End != nil {
		to = *q.Time.End
	}
	return from, to
}

var listYear = regexp.MustCompile(`^[0-9]{4}$`)

// source resolves a collection id; ErrNotFound for an unknown one.
func (db *DB) source(ctx context.Context, collection string) (featureSource, error) {
	switch collection {
	case collKommuner:
		return featureSource{query: "features_kommuner", parseID: textID}, nil
	case collLan:
		return featureSource{query: "features_lan", parseID: textID}, nil
	case collRegioner:
		return featureSource{query: "features_polisregioner", parseID: textID}, nil
	case collOffices:
		var codes, names []string
		for _, a := range lagesbild.Agencies {
			codes, names = append(codes, a.Code), append(names, a.Name)
		}
		return featureSource{query: "features_offices", parseID: prefixedID("office-"), extra: func(lagesbild.FeatureQuery) []any {
			return []any{lagesbild.SourceSyntheticDemo, codes, names}
		}}, nil
	case collOperations:
		return featureSource{query: "features_operations", parseID: prefixedID("operation-"), extra: func(q lagesbild.FeatureQuery) []any {
			from, to := timeArgs(q)
			return []any{from, to, lagesbild.SourceSyntheticDemo}
		}}, nil
	}
	if res, ok := h3Collection(collection); ok {
		return db.h3Source(ctx, res), nil
	}
	y, ok := strings.CutPrefix(collection, areaCollectionPrefix)
	if !ok || !listYear.MatchString(y) {
		return featureSource{}, fmt.Errorf("collection %q: %w", collection, lagesbild.ErrNotFound)
	}
	year, _ := strconv.Atoi(y)
	var exists bool
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM area_set WHERE year = $1)`, year).Scan(&exists); err != nil {
		return featureSource{}, translate(err)
	}
	if !exists {
		return featureSource{}, fmt.Errorf("collection %q: %w", collection, lagesbild.ErrNotFound)
	}
	classes := []lagesbild.AreaClass{lagesbild.ClassUtsatt, lagesbild.ClassRisk, lagesbild.ClassSarskiltUtsatt}
	codes, labels := make([]string, len(classes)), make([]string, len(classes))
	for i, c := range classes {
		codes[i], labels[i] = string(c), c.Label()
	}
	return featureSource{query: "features_areas", parseID: textID, extra: func(lagesbild.FeatureQuery) []any {
		return []any{year, codes, labels}
	}}, nil
}

// Items returns one page of a collection, ordered by feature id.
func (db *DB) Items(ctx context.Context, collection string, q lagesbild.FeatureQuery) (lagesbild.FeaturePage, error) {
	if q.Limit < 1 || q.Offset < 0 {
		return lagesbild.FeaturePage{}, fmt.Errorf("postgis: features of %q: limit %d, offset %d: %w", collection, q.Limit, q.Offset, lagesbild.ErrInvalid)
	}
	src, err := db.source(ctx, collection)
	if err != nil {
		return lagesbild.FeaturePage{}, fmt.Errorf("postgis: features: %w", err)
	}
	src.coll = collection
	page, err := db.features(ctx, src, q, nil)
	if err != nil {
		return lagesbild.FeaturePage{}, fmt.Errorf("postgis: features of %s: %w", collection, err)
	}
	return page, nil
}

// Item returns one feature of a collection, its geometry in crs.
func (db *DB) Item(ctx context.Context, collection, id string, crs lagesbild.CRS) (lagesbild.Feature, error) {
	src, err := db.source(ctx, collection)
	if err != nil {
		return lagesbild.Feature{}, fmt.Errorf("postgis: feature: %w", err)
	}
	key, ok := src.parseID(id)
	if !ok {
		return lagesbild.Feature{}, fmt.Errorf("postgis: feature %q of %s: %w", id, collection, lagesbild.ErrNotFound)
	}
	page, err := db.features(ctx, src, lagesbild.FeatureQuery{Limit: 1, CRS: crs}, key)
	if err != nil {
		return lagesbild.Feature{}, fmt.Errorf("postgis: feature %q of %s: %w", id, collection, err)
	}
	if len(page.Features) == 0 {
		return lagesbild.Feature{}, fmt.Errorf("postgis: feature %q of %s: %w", id, collection, lagesbild.ErrNotFound)
	}
	return page.Features[0], nil
}

// features runs a collection's query. Every query returns at least one row: the number of
// matches, with NULL feature columns when the page is empty.
func (db *DB) features(ctx context.Context, src featureSource, q lagesbild.FeatureQuery, id any) (lagesbild.FeaturePage, error) {
	var bbox [4]any
	if b := q.BBox; b != nil && q.BBoxSRID == 3006 {
		// Already in the storage CRS: no transform, so no window is needed.
		bbox = [4]any{b.MinLon, b.MinLat, b.MaxLon, b.MaxLat}
	} else if b != nil {
		if !b.Intersects(bboxWindow) {
			return lagesbild.FeaturePage{Features: []lagesbild.Feature{}}, nil
		}
		bbox = [4]any{max(b.MinLon, bboxWindow.MinLon), max(b.MinLat, bboxWindow.MinLat),
			min(b.MaxLon, bboxWindow.MaxLon), min(b.MaxLat, bboxWindow.MaxLat)}
	}
	args := append(bbox[:], q.Limit, q.Offset, id)
	if src.extra != nil {
		args = append(args, src.extra(q)...)
	}
	// An unnamed statement is planned for the values of each call: a cached generic plan could
	// not simplify "$1 IS NULL OR ST_Intersects(...)" and would scan instead of using the GiST
	// index, the reason the queries exist in this form.
	page := lagesbild.FeaturePage{Features: []lagesbild.Feature{}}
	sql, err := featureSQL(query(src.query), q)
	if err != nil {
		return lagesbild.FeaturePage{}, err
	}
	cols, order, err := sortSQL(src.coll, q.SortBy)
	if err != nil {
		return lagesbild.FeaturePage{}, err
	}
	if strings.Contains(sql, "/*SORTCOLS*/") {
		sql = strings.Replace(strings.Replace(sql, "/*SORTCOLS*/", cols, 1), "/*SORT*/", order, 1)
	} else if len(q.SortBy) > 0 {
		return lagesbild.FeaturePage{}, lagesbild.Invalid("sortby", "the collection offers no queryables to sort by")
	}
	if q.Filter != nil {
		if !strings.Contains(sql, filterMarker) {
			return lagesbild.FeaturePage{}, lagesbild.Invalid("filter", "the collection offers no queryables to filter on")
		}
		where, err := compileFilter(src.coll, q.Filter, q.FilterCRS, &args)
		if err != nil {
			return lagesbild.FeaturePage{}, err
		}
		sql = strings.ReplaceAll(sql, filterMarker, where) // once in each branch of a query
	}
	_, err = collectSQL(ctx, db, sql, func(r pgx.CollectableRow) (struct{}, error) {
		var f lagesbild.Feature
		var ok bool
		var err error
		if src.h3 {
			f, ok, err = scanH3(r, &page.NumberMatched)
		} else {
			var fid, props, geom *string
			err = r.Scan(&page.NumberMatched, &fid, &props, &geom)
			if ok = err == nil && fid != nil; ok {
				f = lagesbild.Feature{ID: *fid, Geometry: rawOrNull(geom), Properties: json.RawMessage(derefZero(props))}
			}
		}
		if ok {
			page.Features = append(page.Features, f)
		}
		return struct{}{}, err
	}, append([]any{pgx.QueryExecModeDescribeExec}, args...)...)
	if err != nil {
		return lagesbild.FeaturePage{}, err
	}
	if src.h3 {
		pageCount(&page, q)
	}
	return page, nil
}

// pageCount reads the first column of a query that counts only the features found from the
// offset, at most limit + 1 (features_h3.sql), instead of every match: with more than the page
// holds, the matches are not counted and more features follow; otherwise the page is the last
// one and the count is exact, unless it is empty beyond the offset (how far beyond is unknown).
func pageCount(page *lagesbild.FeaturePage, q lagesbild.FeatureQuery) {
	found := page.NumberMatched
	switch {
	case found > q.Limit:
		page.NumberMatched, page.Uncounted, page.More = 0, true, true
		if len(page.Features) > q.Limit {
			page.Features = page.Features[:q.Limit]
		}
	case found == 0 && q.Offset > 0:
		page.NumberMatched, page.Uncounted = 0, true
	default:
		page.NumberMatched = q.Offset + found
	}
}

// filterMarker is where a feature query's m CTE takes a compiled CQL2 filter.
const filterMarker = "/*FILTER*/true"

// bboxWGS84 is how every feature query builds its search envelope from a WGS84 bbox ($1–$4):
// densified, as a parallel is a curve in SWEREF 99 TM, and moved into the storage CRS.
const bboxWGS84 = "ST_Transform(ST_Segmentize(ST_MakeEnvelope($1, $2, $3, $4, 4326), 0.1), 3006)"

// bboxSWEREF is the envelope of a bbox given in SWEREF 99 TM (bbox-crs EPSG:3006).
const bboxSWEREF = "ST_MakeEnvelope($1, $2, $3, $4, 3006)"

// geoJSONOut matches how every feature query writes its geometry: GeoJSON in WGS84 (CRS84).
var geoJSONOut = regexp.MustCompile(`ST_AsGeoJSON\(ST_Transform\(([a-z]+\.geom), 4326\), 6\)`)

// featureSQL adapts a feature query to the CRS of the bbox and of the output (OGC API –
// Features Part 2). Only the fixed expressions above are swapped in; the values stay $n
// arguments. Options 0 keeps PostGIS from adding a "crs" member (the Content-Crs header says
// it); coordinates keep 6 decimals in degrees (about 0.1 m) and 2 in metres.
func featureSQL(sql string, q lagesbild.FeatureQuery) (string, error) {
	if strings.Count(sql, bboxWGS84) != 1 || len(geoJSONOut.FindAllStringIndex(sql, -1)) != 1 {
		return "", fmt.Errorf("feature query does not have its bbox or geometry expression in the expected form")
	}
	if q.BBox != nil && q.BBoxSRID == 3006 {
		sql = strings.Replace(sql, bboxWGS84, bboxSWEREF, 1)
	}
	var out string
	switch c := q.CRS; {
	case c.SRID == 0 || c.SRID == 4326 && !c.NorthFirst:
		out = "ST_AsGeoJSON(ST_Transform($1, 4326), 6, 0)"
	case c.SRID == 4326:
		out = "ST_AsGeoJSON(ST_FlipCoordinates(ST_Transform($1, 4326)), 6, 0)"
	case c.SRID == 3006 && c.NorthFirst:
		out = "ST_AsGeoJSON(ST_FlipCoordinates($1), 2, 0)"
	case c.SRID == 3006:
		out = "ST_AsGeoJSON($1, 2, 0)"
	case c.SRID == 3857 && !c.NorthFirst:
		out = "ST_AsGeoJSON(ST_Transform($1, 3857), 2, 0)"
	default:
		return "", fmt.Errorf("crs %q (EPSG:%d): %w", c.URI, c.SRID, lagesbild.ErrInvalid)
	}
	return geoJSONOut.ReplaceAllString(sql, out), nil
}

func rawOrNull(s *string) json.RawMessage {
	if s == nil {
		return json.RawMessage("null")
	}
	return json.RawMessage(*s)
}

// scanH3 reads one row of features_h3 and applies the small-count rule to every count, so a
// count from 1 to k−1 never leaves the store.
func scanH3(r pgx.CollectableRow, matched *int) (lagesbild.Feature, bool, error) {
	var (
		cell      *int64
		total     *int
		groups    *string
		synthetic *bool
		geom      *string
	)
	if err := r.Scan(matched, &cell, &total, &groups, &synthetic, &geom); err != nil || cell == nil {
		return lagesbild.Feature{}, false, err
	}
	counts := map[string]int{}
	if groups != nil {
		if err := json.Unmarshal([]byte(*groups), &counts); err != nil {
			return lagesbild.Feature{}, false, fmt.Errorf("cell %x: group counts: %w", *cell, err)
		}
	}
	id := strconv.FormatUint(uint64(*cell), 16)
	var p orderedProps
	p.add("cell", id)
	// Secondary suppression: with any group hidden, the total is hidden too, or the hidden count
	// would be the total minus the groups shown.
	groupHidden := false
	for _, g := range lagesbild.CategoryGroups {
		_, hidden := lagesbild.SuppressCount(counts[string(g.Group)])
		groupHidden = groupHidden || hidden
	}
	if groupHidden {
		p.add("total", nil)
		p.add("total_suppressed", true)
	} else {
		p.addCount("total", derefZero(total))
	}
	for _, g := range lagesbild.CategoryGroups {
		p.addCount(string(g.Group), counts[string(g.Group)])
	}
	p.add("synthetic", derefZero(synthetic))
	props, err := p.bytes()
	if err != nil {
		return lagesbild.Feature{}, false, err
	}
	return lagesbild.Feature{ID: id, Geometry: rawOrNull(geom), Properties: props}, true, nil
}

// orderedProps writes a JSON orderedProps with its members in the order they are added.
type orderedProps struct {
	buf bytes.Buffer
	err error
}

func (o *orderedProps) add(name string, v any) {
	if o.buf.Len() == 0 {
		o.buf.WriteByte('{')
	} else {
		o.buf.WriteByte(',')
	}
	k, err := json.Marshal(name)
	o.err = errors.Join(o.err, err)
	o.buf.Write(k)
	o.buf.WriteByte(':')
	b, err := json.Marshal(v)
	o.err = errors.Join(o.err, err)
	o.buf.Write(b)
}

// addCount adds a count under the small-count rule: <name> is null and <name>_suppressed true
// for 1..k−1.
func (o *orderedProps) addCount(name string, n int) {
	v, suppressed := lagesbild.SuppressCount(n)
	o.add(name, v)
	o.add(name+"_suppressed", suppressed)
}

func (o *orderedProps) bytes() (json.RawMessage, error) {
	if o.buf.Len() == 0 {
		o.buf.WriteByte('{')
	}
	o.buf.WriteByte('}')
	return json.RawMessage(o.buf.Bytes()), o.err
}

// collectSQL is collect for a query whose text was adapted (featureSQL).
func collectSQL[T any](ctx context.Context, db *DB, sql string, scan func(pgx.CollectableRow) (T, error), args ...any) ([]T, error) {
	var out []T
	err := db.scopedAs(ctx, ClassFeatures, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return translate(err)
		}
		out, err = pgx.CollectRows(rows, scan)
		return translate(err)
	})
	return out, err
}
