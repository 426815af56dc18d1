package cql_test

import (
	"testing"

	"github.com/lagesbild/lagesbild/internal/cql"
)

// TestCanonical: the same filter written differently (text or JSON, spacing, keyword case)
// has one canonical form, and filters that differ in anything have different ones.
func TestCanonical(t *testing.T) {
	canon := func(src string, json bool) string {
		t.Helper()
		var e cql.Expr
		var err error
		if json {
			e, err = cql.ParseJSON([]byte(src), queryables)
		} else {
			e, err = cql.ParseText(src, queryables)
		}
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		s, ok := cql.Canonical(e)
		if !ok {
			t.Fatalf("%s: no canonical form", src)
		}
		return s
	}
	same := [][2]string{
		{"namn = 'Malmö' AND befolkning > 10000", "namn='Malmö'  and befolkning>10000"},
		{"s_intersects(geometry, POINT(18.06 59.33))", "S_INTERSECTS(geometry,POINT(18.06 59.33))"},
	}
	for _, c := range same {
		if a, b := canon(c[0], false), canon(c[1], false); a != b {
			t.Errorf("%q and %q: %s != %s", c[0], c[1], a, b)
		}
	}
	if a, b := canon("namn = 'Malmö'", false), canon(`{"op": "=", "args": [{"property": "namn"}, "Malmö"]}`, true); a != b {
		t.Errorf("text and JSON of one filter: %s != %s", a, b)
	}
	different := []string{
		"namn = 'Malmö'", "namn <> 'Malmö'", "namn = 'Malmo'", "date = 'Malmö'",
		"namn LIKE 'M%'", "namn NOT LIKE 'M%'",
		"befolkning > 10000", "befolkning > 10001", "befolkning >= 10000",
		"befolkning BETWEEN 1 AND 2", "befolkning NOT BETWEEN 1 AND 2",
		"namn IN ('a', 'b')", "namn NOT IN ('a', 'b')", "namn IN ('a,b')",
		"namn IS NULL", "namn IS NOT NULL",
		"namn = 'a' AND befolkning > 1", "namn = 'a' OR befolkning > 1", "NOT (namn = 'a' OR befolkning > 1)",
		"S_INTERSECTS(geometry, POINT(18.06 59.33))", "S_INTERSECTS(geometry, POINT(18.06 59.330000001))",
		"S_INTERSECTS(geometry, MULTIPOINT((18.06 59.33)))",
		"S_INTERSECTS(geometry, LINESTRING(18 59, 18.1 59, 18.1 59.1, 18 59.1, 18 59))",
		"S_INTERSECTS(geometry, POLYGON((18 59, 18.1 59, 18.1 59.1, 18 59.1, 18 59)))",
		"start >= DATE('2025-01-01')", "start >= DATE('2025-01-02')",
		"official = TRUE", "official = FALSE",
	}
	seen := map[string]string{}
	for _, src := range different {
		c := canon(src, false)
		if prev, ok := seen[c]; ok {
			t.Errorf("%q and %q share the canonical form %s", prev, src, c)
		}
		seen[c] = src
	}
	if _, ok := cql.Canonical(nil); ok {
		t.Errorf("a nil filter has a canonical form")
	}
}
