package cql_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/lagesbild/lagesbild/internal/cql"
)

var queryables = cql.Queryables{"namn": cql.String, "befolkning": cql.Integer, "official": cql.Boolean,
	"start": cql.Date, "geometry": cql.Geometry, "date": cql.String}

func TestParseText(t *testing.T) {
	for _, c := range []struct {
		src string
		pos int    // 0: valid
		msg string // part of the error
	}{
		{"namn = 'Malmö'", 0, ""},
		{"namn='It''s'", 0, ""},
		{`"namn" LIKE 'Sto%' AND befolkning > 10000`, 0, ""},
		{"befolkning BETWEEN 1000 AND 2000 OR NOT (namn IN ('A', 'B'))", 0, ""},
		{"namn NOT LIKE 'x%' and befolkning not between 1 and 2 and namn not in ('a')", 0, ""},
		{"official = TRUE AND start >= DATE('2025-01-01')", 0, ""},
		{"10000 < befolkning", 0, ""},
		{"namn IS NOT NULL AND befolkning IS NULL", 0, ""},
		{"S_INTERSECTS(geometry, POINT(18.06 59.33))", 0, ""},
		{"s_intersects(geometry, POLYGON((18 59, 18.1 59, 18.1 59.1, 18 59.1, 18 59)))", 0, ""},
		{"S_INTERSECTS(geometry, BBOX(18, 59, 18.1, 59.1))", 0, ""},
		{"date = 'x'", 0, ""},
		{`namn LIKE 'A\%' OR namn LIKE 'B\\'`, 0, ""},
		{`namn LIKE 'A\'`, 11, "escape character"},
		{"namm = 'x'", 1, `"namm" is not a queryable`},
		{"namn = 5", 8, "type string"},
		{"befolkning > 'many'", 14, "type integer"},
		{"befolkning LIKE '1%'", 12, "LIKE needs a string property"},
		{"namn = 'open", 8, "not closed"},
		{"namn = 'a' AND", 15, "expected a property name"},
		{"namn = 'a' namn", 12, "unexpected 'namn'"},
		{"(namn = 'a'", 12, "expected ')'"},
		{"namn = befolkning", 8, "compared with a literal"},
		{"start > DATE('2025-13-01')", 14, "not a date"},
		{"S_INTERSECTS(namn, POINT(1 2))", 14, "needs a geometry property"},
		{"S_INTERSECTS(geometry, POLYGON((1 2, 3 4, 5 6)))", 24, "ring"},
		{"S_INTERSECTS(geometry, BBOX(1, 2, 3))", 24, "4 numbers"},
		{"geometry = 'x'", 1, "use S_INTERSECTS"},
		{"namn ~ 'x'", 6, "unexpected character"},
		{"namn NOT = 'x'", 10, "after NOT"},
		{strings.Repeat("(", 100) + "namn = 'x'" + strings.Repeat(")", 100), 65, "nests deeper"},
		{"", 1, "expected a property name"},
	} {
		_, err := cql.ParseText(c.src, queryables)
		var e *cql.Error
		switch {
		case c.pos == 0 && err != nil:
			t.Errorf("%s: %v", c.src, err)
		case c.pos != 0 && !errors.As(err, &e):
			t.Errorf("%s: accepted (or error %v), want an error at %d", c.src, err, c.pos)
		case c.pos != 0 && (e.Pos != c.pos || !strings.Contains(e.Msg, c.msg)):
			t.Errorf("%s: %v, want at character %d: …%s…", c.src, err, c.pos, c.msg)
		}
	}
}

func TestParseJSON(t *testing.T) {
	for _, c := range []struct {
		src  string
		path string // "": valid
		msg  string
	}{
		{`{"op": "=", "args": [{"property": "namn"}, "Malmö"]}`, "", ""},
		{`{"op": "and", "args": [{"op": "like", "args": [{"property": "namn"}, "S%"]},
			{"op": "between", "args": [{"property": "befolkning"}, 1, 20000]},
			{"op": "in", "args": [{"property": "namn"}, ["A", "B"]]},
			{"op": "not", "args": [{"op": "isNull", "args": [{"property": "namn"}]}]},
			{"op": ">=", "args": [{"property": "start"}, {"date": "2025-01-01"}]},
			{"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [18.06, 59.33]}]},
			{"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [18, 59, 18.1, 59.1]}]}]}`, "", ""},
		{`{"op": "=", "args": [{"property": "x"}, 1]}`, "filter.args[0]", "not a queryable"},
		{`{"op": "and", "args": [{"op": "=", "args": [{"property": "namn"}, 1]}, true]}`, "filter.args[0].args[1]", "type string"},
		{`{"op": "~", "args": []}`, "filter.op", "not an operator"},
		{`{"op": "=", "args": [{"property": "namn"}]}`, "filter.args", "takes 2 arguments"},
		{`{"op": "=", "args": [{"property": "namn"}, "x"], "extra": 1}`, "filter.extra", "unknown member"},
		{`{"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Polygon", "coordinates": [[[1,2],[3,4],[5,6]]]}]}`, "filter.args[1]", "ring"},
		{`{"op": `, "filter", "not JSON"},
	} {
		_, err := cql.ParseJSON([]byte(c.src), queryables)
		var e *cql.Error
		switch {
		case c.path == "" && err != nil:
			t.Errorf("%s: %v", c.src, err)
		case c.path != "" && !errors.As(err, &e):
			t.Errorf("%s: accepted (or %v), want an error at %s", c.src, err, c.path)
		case c.path != "" && (e.Path != c.path || !strings.Contains(e.Msg, c.msg)):
			t.Errorf("%s: %v, want at %s: …%s…", c.src, err, c.path, c.msg)
		}
	}
}

// FuzzParseText: any input gives a tree or a *cql.Error with a position inside the input.
func FuzzParseText(f *testing.F) {
	for _, s := range []string{"namn = 'a' AND befolkning BETWEEN 1 AND 2", "S_INTERSECTS(geometry, POLYGON((1 2, 3 4, 5 6, 1 2)))",
		"NOT (namn IN ('a', 'b') OR start < DATE('2025-01-01'))", `"namn" LIKE 'x%'`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := cql.ParseText(s, queryables)
		if err != nil {
			var ce *cql.Error
			if !errors.As(err, &ce) || ce.Pos < 1 || ce.Pos > len([]rune(s))+1 {
				t.Fatalf("%q: error without a position in the input: %v", s, err)
			}
			return
		}
		if e == nil {
			t.Fatalf("%q: no tree and no error", s)
		}
	})
}

// FuzzParseJSON: any input gives a tree or a *cql.Error with a path.
func FuzzParseJSON(f *testing.F) {
	f.Add(`{"op": "and", "args": [{"op": "=", "args": [{"property": "namn"}, "x"]}, {"op": "in", "args": [{"property": "befolkning"}, [1, 2]]}]}`)
	f.Add(`{"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [1, 2, 3, 4]}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		_, err := cql.ParseJSON([]byte(s), queryables)
		var ce *cql.Error
		if err != nil && (!errors.As(err, &ce) || ce.Path == "") {
			t.Fatalf("%q: error without a path: %v", s, err)
		}
	})
}
