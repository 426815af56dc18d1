package cql

import "testing"

func TestMatch(t *testing.T) {
	q := Queryables{"category": String, "hot_months": Integer, "trend_z": Number, "in_area": Boolean}
	props := map[string]any{"category": "new_hot_spot", "hot_months": 3, "trend_z": -1.5, "in_area": true}
	for _, c := range []struct {
		filter string
		want   bool
	}{
		{"category = 'new_hot_spot'", true},
		{"category <> 'new_hot_spot'", false},
		{"category LIKE '%hot_spot'", true},
		{"category LIKE 'new\\_%'", true},
		{"category NOT LIKE 'n_w%'", false},
		{"hot_months >= 3 AND trend_z < 0", true},
		{"hot_months > 3 OR trend_z > 0", false},
		{"NOT (hot_months > 3)", true},
		{"hot_months BETWEEN 1 AND 3", true},
		{"hot_months NOT BETWEEN 1 AND 3", false},
		{"category IN ('persistent_hot_spot', 'new_hot_spot')", true},
		{"category NOT IN ('new_hot_spot')", false},
		{"in_area = true", true},
		{"trend_z IS NULL", false},
		{"trend_z IS NOT NULL", true},
	} {
		e, err := ParseText(c.filter, q)
		if err != nil {
			t.Fatalf("%s: %v", c.filter, err)
		}
		got, err := Match(e, props)
		if err != nil || got != c.want {
			t.Errorf("%s: %v %v, want %v", c.filter, got, err, c.want)
		}
	}
	// A missing property is null: comparisons are false, IS NULL true.
	e, _ := ParseText("trend_z IS NULL AND NOT (trend_z = 1)", q)
	if ok, err := Match(e, map[string]any{}); !ok || err != nil {
		t.Errorf("missing property: %v %v", ok, err)
	}
}
