// Package cql parses OGC CQL2 filters (OGC 21-065, Common Query Language) in the text and the
// JSON encoding into one small syntax tree, checked against the queryables of a collection:
// property names only from them, literals of the property's type. It covers Basic CQL2
// (comparisons, IS NULL, AND, OR, NOT), the advanced comparison operators (LIKE, BETWEEN, IN)
// S_INTERSECTS with WKT (text) or GeoJSON (JSON) geometries and BBOX, and the temporal functions
// T_AFTER, T_BEFORE, T_DISJOINT, T_EQUALS and T_INTERSECTS of an instant property against an
// instant or an interval (not the other nine of CQL2's temporal class). It builds no SQL:
// internal/postgis compiles the tree, with every literal as a bound parameter.
package cql

import (
	"fmt"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// Type is the type of a queryable, as its JSON Schema says it.
type Type string

// The queryable types.
const (
	String    Type = "string"
	Number    Type = "number"
	Integer   Type = "integer"
	Boolean   Type = "boolean"
	Date      Type = "date"      // a calendar day
	Timestamp Type = "date-time" // an instant
	Geometry  Type = "geometry"
)

// Queryables maps property names to their types.
type Queryables map[string]Type

// Expr is a node of the syntax tree: one of *Logical, *Not, *Compare, *Like, *In, *Between,
// *IsNull, *Intersects, *Temporal.
type Expr interface{ node() }

// Logical is AND or OR of two or more expressions.
type Logical struct {
	Or   bool
	Args []Expr
}

// Not negates an expression.
type Not struct{ Arg Expr }

// Compare is Prop Op Value, Op one of = <> < <= > >=.
type Compare struct {
	Prop  string
	Op    string
	Value Literal
}

// Like is Prop [NOT] LIKE Pattern (% any run of characters, _ one character, \ escapes).
type Like struct {
	Prop    string
	Pattern string
	Not     bool
}

// In is Prop [NOT] IN (Values...).
type In struct {
	Prop   string
	Values []Literal
	Not    bool
}

// Between is Prop [NOT] BETWEEN Lo AND Hi.
type Between struct {
	Prop   string
	Lo, Hi Literal
	Not    bool
}

// IsNull is Prop IS [NOT] NULL.
type IsNull struct {
	Prop string
	Not  bool
}

// Intersects is S_INTERSECTS(Prop, Geom), Geom in the filter's CRS with x the first axis as the
// encoding gives it.
type Intersects struct {
	Prop string
	Geom orb.Geometry
}

// TemporalOps are the temporal functions offered: those of an instant property against an
// instant or an interval.
var TemporalOps = []string{"T_AFTER", "T_BEFORE", "T_DISJOINT", "T_EQUALS", "T_INTERSECTS"}

// Temporal is Op(Prop, literal): the literal an instant (Start == End) or an interval whose
// open ends are nil.
type Temporal struct {
	Op         string // one of TemporalOps
	Prop       string
	Start, End *Literal
}

func (*Temporal) node() {}

func (*Logical) node()    {}
func (*Not) node()        {}
func (*Compare) node()    {}
func (*Like) node()       {}
func (*In) node()         {}
func (*Between) node()    {}
func (*IsNull) node()     {}
func (*Intersects) node() {}

// Literal is a scalar value: Kind String (Str), Number (Num), Boolean (Bool), Date or Timestamp
// (Time).
type Literal struct {
	Kind Type
	Str  string
	Num  float64
	Bool bool
	Time time.Time
}

// Error is a filter that cannot be used: where (a character position of the text, counted
// from 1, or a JSON path) and what is wrong.
type Error struct {
	Pos  int    // text encoding; 0 when Path is set
	Path string // JSON encoding
	Msg  string
}

func (e *Error) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("at %s: %s", e.Path, e.Msg)
	}
	return fmt.Sprintf("at character %d: %s", e.Pos, e.Msg)
}

// checker validates property references and literal types against the queryables; errAt
// makes an error at the current place of the encoding.
type checker struct {
	q     Queryables
	errAt func(format string, args ...any) error
}

func (c checker) prop(name string) (Type, error) {
	t, ok := c.q[name]
	if !ok {
		names := make([]string, 0, len(c.q))
		for n := range c.q {
			names = append(names, n)
		}
		sortStrings(names)
		return "", c.errAt("%q is not a queryable of this collection (queryables: %v)", clip(name), names)
	}
	return t, nil
}

// literal checks that v may be compared with a property of type t.
func (c checker) literal(prop string, t Type, v Literal) error {
	ok := false
	switch t {
	case String:
		ok = v.Kind == String
	case Number, Integer:
		ok = v.Kind == Number
	case Boolean:
		ok = v.Kind == Boolean
	case Date, Timestamp:
		ok = v.Kind == Date || v.Kind == Timestamp
	}
	if !ok {
		return c.errAt("%s is of type %s; a %s value cannot be compared with it", prop, t, v.Kind)
	}
	return nil
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// checkGeometry refuses geometries PostGIS would not take: unclosed or short rings, NaN.
func checkGeometry(g orb.Geometry) string {
	bad := ""
	ring := func(r orb.Ring) {
		if len(r) < 4 || r[0] != r[len(r)-1] {
			bad = "a polygon ring must have at least 4 positions and end where it starts"
		}
	}
	switch g := g.(type) {
	case orb.Polygon:
		for _, r := range g {
			ring(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				ring(r)
			}
		}
	case orb.LineString:
		if len(g) < 2 {
			bad = "a line string needs at least 2 positions"
		}
	case orb.Collection:
		for _, x := range g {
			if m := checkGeometry(x); m != "" {
				return m
			}
		}
	}
	b := g.Bound()
	for _, v := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
		if v != v || v > 1e308 || v < -1e308 {
			bad = "a coordinate is not a finite number"
		}
	}
	return bad
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// temporal checks a temporal function's operands: a date or timestamp property, and for
// T_EQUALS an instant.
func (c checker) temporal(op, prop string, t Type, start, end *Literal) error {
	if t != Date && t != Timestamp {
		return c.errAt("%s needs a date or timestamp property; %s is of type %s", op, prop, t)
	}
	if op == "T_EQUALS" && (start == nil || end == nil || !start.Time.Equal(end.Time)) {
		return c.errAt("T_EQUALS compares an instant property with an instant, not an interval")
	}
	if start != nil && end != nil && start.Time.After(end.Time) {
		return c.errAt("the interval ends before it starts")
	}
	return nil
}

func isTemporalOp(name string) (string, bool) {
	for _, op := range TemporalOps {
		if strings.EqualFold(name, op) {
			return op, true
		}
	}
	return "", false
}

// likeProblem reports what is wrong with a LIKE pattern: a \ escapes the next character, so it
// cannot end the pattern.
func likeProblem(pattern string) string {
	escaped := false
	for _, r := range pattern {
		if escaped {
			escaped = false
			continue
		}
		escaped = r == '\\'
	}
	if escaped {
		return "a LIKE pattern cannot end with the escape character \\"
	}
	return ""
}
