package postgis

import (
	"context"
	"fmt"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"

	"github.com/lagesbild/lagesbild/internal/cql"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// queryable is one property a CQL2 filter may name, and its SQL expression in the m CTE of the
// collection's query (the alias of the collection's table). Only these expressions ever reach
// the SQL text of a filter; every value is a $n argument.
type queryable struct {
	name string
	typ  cql.Type
	sql  string
	desc string
}

// queryableSets are the queryables of each collection (key "omraden" for every police list).
// The H3 collections have the cell id only (features_h3.go): a filter on counts could single
// out the suppressed ones.
var queryableSets = map[string][]queryable{
	collKommuner: {{"kod", cql.String, "k.code", "kommunkod (SCB)"}, {"namn", cql.String, "k.name", ""},
		{"lan_kod", cql.String, "k.lan_code", "länskod"}, {"befolkning", cql.Integer, "k.population", "folkmängd"}},
	collLan: {{"kod", cql.String, "l.code", "länskod (SCB)"}, {"namn", cql.String, "l.name", ""},
		{"kortnamn", cql.String, "l.short_name", ""}, {"region_kod", cql.String, "l.region_code", "polisregion"}},
	collRegioner: {{"kod", cql.String, "r.code", "REGIONKOD"}, {"namn", cql.String, "r.name", ""}},
	"omraden": {{"area_key", cql.String, "a.area_key", "identitet över listorna"}, {"set", cql.Integer, "a.set_year", "listans år"},
		{"name", cql.String, "a.name", ""}, {"class", cql.String, "a.class", "utsatt, risk eller sarskilt_utsatt"},
		{"class_polisen", cql.String, "a.class_polisen", "klassen som polisen skrev den"}, {"ort", cql.String, "a.ort", ""},
		{"kommun_kod", cql.String, "a.kommun_code", ""}, {"region_kod", cql.String, "a.region_code", ""},
		{"polisomrade_kod", cql.String, "a.polisomrade_code", ""}, {"lpo_kod", cql.String, "a.lpo_code", "lokalpolisområde"},
		{"geometry_official", cql.Boolean, "a.geometry_official", "polisens officiella polygon"}, {"source", cql.String, "a.source", ""}},
	collOffices: {{"agency", cql.String, "o.agency", "myndighetskod"}, {"name", cql.String, "o.name", ""},
		{"staffed_hours_per_week", cql.Number, "o.staffed_hours_per_week", ""}, {"kommun_kod", cql.String, "o.kommun_code", ""},
		{"region_kod", cql.String, "o.region_code", ""}, {"source", cql.String, "o.source", ""}},
	collOperations: {{"name", cql.String, "o.name", ""}, {"area_id", cql.String, "o.area_id", ""},
		{"start", cql.Date, "o.starts_on", "första dagen"}, {"end", cql.Date, "o.ends_on", "sista dagen"},
		{"person_hours", cql.Number, "o.person_hours", ""}, {"region_kod", cql.String, "o.region_code", ""},
		{"source", cql.String, "o.source", ""}},
}

// geometryColumn is the stored geometry of each collection's table in its m CTE.
var geometryColumn = map[string]string{collKommuner: "k.geom", collLan: "l.geom", collRegioner: "r.geom", "omraden": "a.geom",
	collOffices: "o.geom", collOperations: "o.geom"}

func queryableKey(collection string) string {
	if strings.HasPrefix(collection, areaCollectionPrefix) {
		return "omraden"
	}
	if _, ok := h3Collection(collection); ok {
		return h3QueryableKey
	}
	return collection
}

// Queryables lists the properties a filter on the collection may name, geometry last.
func (db *DB) Queryables(ctx context.Context, collection string) ([]lagesbild.Queryable, error) {
	if _, err := db.source(ctx, collection); err != nil {
		return nil, fmt.Errorf("postgis: queryables: %w", err)
	}
	key := queryableKey(collection)
	out := []lagesbild.Queryable{}
	for _, q := range queryableSets[key] {
		out = append(out, lagesbild.Queryable{Name: q.name, Type: q.typ, Description: q.desc})
	}
	if _, ok := geometryColumn[key]; ok {
		out = append(out, lagesbild.Queryable{Name: "geometry", Type: cql.Geometry, Description: "geometrin"})
	}
	return out, nil
}

// compileFilter turns a parsed filter into SQL for the collection's m CTE, appending its values
// to args (so their numbers follow the query's own arguments).
func compileFilter(collection string, e cql.Expr, crs lagesbild.CRS, args *[]any) (string, error) {
	key := queryableKey(collection)
	exprs := map[string]string{}
	for _, q := range queryableSets[key] {
		exprs[q.name] = q.sql
	}
	if g, ok := geometryColumn[key]; ok {
		exprs["geometry"] = g
	}
	c := compiler{exprs: exprs, crs: crs, args: args}
	return c.expr(e)
}

type compiler struct {
	exprs map[string]string
	crs   lagesbild.CRS
	args  *[]any
}

func (c compiler) prop(name string) (string, error) {
	s, ok := c.exprs[name]
	if !ok {
		// The parser checked the name against the same queryables; this is a programming error.
		return "", fmt.Errorf("filter property %q is not a queryable: %w", name, lagesbild.ErrInvalid)
	}
	return s, nil
}

// bind appends v and returns its placeholder with a cast to the SQL type of the literal.
func (c compiler) bind(l cql.Literal) string {
	var v any
	cast := ""
	switch l.Kind {
	case cql.String:
		v, cast = l.Str, "text"
	case cql.Number:
		v, cast = l.Num, "float8"
	case cql.Boolean:
		v, cast = l.Bool, "boolean"
	case cql.Date:
		v, cast = l.Time.Format("2006-01-02"), "date"
	default:
		v, cast = l.Time, "timestamptz"
	}
	*c.args = append(*c.args, v)
	return fmt.Sprintf("$%d::%s", len(*c.args), cast)
}

func (c compiler) expr(e cql.Expr) (string, error) {
	switch e := e.(type) {
	case *cql.Logical:
		if len(e.Args) == 0 {
			return "true", nil
		}
		parts := make([]string, len(e.Args))
		for i, a := range e.Args {
			s, err := c.expr(a)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		op := " AND "
		if e.Or {
			op = " OR "
		}
		return "(" + strings.Join(parts, op) + ")", nil
	case *cql.Not:
		s, err := c.expr(e.Arg)
		if err != nil {
			return "", err
		}
		// NOT of a comparison with NULL is NULL, which the WHERE treats as false, as CQL2 does.
		return "(NOT " + s + ")", nil
	case *cql.Compare:
		p, err := c.prop(e.Prop)
		if err != nil {
			return "", err
		}
		op := map[string]string{"=": "=", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}[e.Op]
		if op == "" {
			return "", fmt.Errorf("filter operator %q: %w", e.Op, lagesbild.ErrInvalid)
		}
		return "(" + p + " " + op + " " + c.bind(e.Value) + ")", nil
	case *cql.Like:
		p, err := c.prop(e.Prop)
		if err != nil {
			return "", err
		}
		return "(" + p + not(e.Not) + " LIKE " + c.bind(cql.Literal{Kind: cql.String, Str: e.Pattern}) + ")", nil
	case *cql.Between:
		p, err := c.prop(e.Prop)
		if err != nil {
			return "", err
		}
		return "(" + p + not(e.Not) + " BETWEEN " + c.bind(e.Lo) + " AND " + c.bind(e.Hi) + ")", nil
	case *cql.In:
		p, err := c.prop(e.Prop)
		if err != nil {
			return "", err
		}
		vals := make([]string, len(e.Values))
		for i, v := range e.Values {
			vals[i] = c.bind(v)
		}
		return "(" + p + not(e.Not) + " IN (" + strings.Join(vals, ", ") + "))", nil
	case *cql.IsNull:
		p, err := c.prop(e.Prop)
		if err != nil {
			return "", err
		}
		return "(" + p + " IS" + not(e.Not) + " NULL)", nil
	case *cql.Intersects:
		p, err := c.prop(e.Prop)
		if err != nil {
			return "", err
		}
		g := e.Geom
		if c.crs.NorthFirst {
			g = flip(g)
		}
		*c.args = append(*c.args, wkt.MarshalString(g))
		n := len(*c.args)
		// As with bbox: a WGS84 (or Web Mercator) geometry is cut to the window around Sweden
		// and densified before it moves into SWEREF 99 TM, which is undefined far away.
		var lit string
		switch c.crs.SRID {
		case 3006:
			lit = fmt.Sprintf("ST_GeomFromText($%d::text, 3006)", n)
		case 3857:
			lit = fmt.Sprintf("ST_Transform(ST_Intersection(ST_Segmentize(ST_Transform(ST_GeomFromText($%d::text, 3857), 4326), 0.1), %s), 3006)", n, windowSQL)
		default:
			lit = fmt.Sprintf("ST_Transform(ST_Intersection(ST_Segmentize(ST_GeomFromText($%d::text, 4326), 0.1), %s), 3006)", n, windowSQL)
		}
		return "ST_Intersects(" + p + ", " + lit + ")", nil
	case *cql.Temporal:
		p, err := c.prop(e.Prop)
		if err != nil {
			return "", err
		}
		// An instant property against an instant or interval [Start, End] (nil: open).
		var conds []string
		switch e.Op {
		case "T_EQUALS":
			return "(" + p + " = " + c.bind(*e.Start) + ")", nil
		case "T_BEFORE":
			if e.Start == nil {
				return "false", nil
			}
			return "(" + p + " < " + c.bind(*e.Start) + ")", nil
		case "T_AFTER":
			if e.End == nil {
				return "false", nil
			}
			return "(" + p + " > " + c.bind(*e.End) + ")", nil
		case "T_INTERSECTS", "T_DISJOINT":
			conds = append(conds, p+" IS NOT NULL")
			if e.Start != nil {
				conds = append(conds, p+" >= "+c.bind(*e.Start))
			}
			if e.End != nil {
				conds = append(conds, p+" <= "+c.bind(*e.End))
			}
			in := "(" + strings.Join(conds, " AND ") + ")"
			if e.Op == "T_DISJOINT" {
				return "(" + p + " IS NOT NULL AND NOT " + in + ")", nil
			}
			return in, nil
		}
		return "", fmt.Errorf("temporal operator %q: %w", e.Op, lagesbild.ErrInvalid)
	}
	return "", fmt.Errorf("filter node %T: %w", e, lagesbild.ErrInvalid)
}

// windowSQL is bboxWindow as a PostGIS envelope.
var windowSQL = fmt.Sprintf("ST_MakeEnvelope(%g, %g, %g, %g, 4326)", bboxWindow.MinLon, bboxWindow.MinLat, bboxWindow.MaxLon, bboxWindow.MaxLat)

func not(b bool) string {
	if b {
		return " NOT"
	}
	return ""
}

// flip swaps the axes of every position (a north-first CRS's literal into x, y order).
func flip(g orb.Geometry) orb.Geometry {
	fp := func(p orb.Point) orb.Point { return orb.Point{p[1], p[0]} }
	fl := func(ps []orb.Point) []orb.Point {
		out := make([]orb.Point, len(ps))
		for i, p := range ps {
			out[i] = fp(p)
		}
		return out
	}
	switch g := g.(type) {
	case orb.Point:
		return fp(g)
	case orb.MultiPoint:
		return orb.MultiPoint(fl(g))
	case orb.LineString:
		return orb.LineString(fl(g))
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(g))
		for i, l := range g {
			out[i] = fl(l)
		}
		return out
	case orb.Ring:
		return orb.Ring(fl(g))
	case orb.Polygon:
		out := make(orb.Polygon, len(g))
		for i, r := range g {
			out[i] = fl(r)
		}
		return out
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = flip(p).(orb.Polygon)
		}
		return out
	case orb.Collection:
		out := make(orb.Collection, len(g))
		for i, x := range g {
			out[i] = flip(x)
		}
		return out
	case orb.Bound:
		return orb.Bound{Min: fp(g.Min), Max: fp(g.Max)}
	}
	return g
}

// sortSQL renders sortby for a feature query: the sort keys as columns s1, s2, ... of its m
// CTE, and the ORDER BY prefix that puts them before the id. Names come from the queryables.
func sortSQL(collection string, keys []lagesbild.SortKey) (cols, order string, err error) {
	exprs := map[string]string{}
	for _, q := range queryableSets[queryableKey(collection)] {
		exprs[q.name] = q.sql
	}
	for i, k := range keys {
		e, ok := exprs[k.Property]
		if !ok {
			return "", "", lagesbild.Invalid("sortby", "%q is not a queryable of this collection to sort by", k.Property)
		}
		col := fmt.Sprintf("s%d", i+1)
		cols += ", " + e + " AS " + col
		dir := " ASC NULLS LAST, "
		if k.Desc {
			dir = " DESC NULLS LAST, "
		}
		order += col + dir
	}
	return cols, order, nil
}
