package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// checkDeviations lists the deviations of the demo data's last week and month: rows with the
// fields the analysts' list shows, never a count of 1–4, and bad parameters named.
func checkDeviations(t *testing.T, srv *httptest.Server) {
	for _, w := range []string{"week", "month"} {
		v := getJSON(t, srv.URL+"/api/v1/deviations?set=2025&window="+w+"&to=2026-10-31", http.StatusOK)
		if v["window"] != w || v["level"] != 0.99 || v["latest"].(map[string]any)["to"] != "2026-10-31" {
			t.Errorf("%s: %v", w, v)
		}
		for _, k := range []string{"areas", "cells"} {
			rows, ok := v[k].([]any)
			if !ok {
				t.Fatalf("%s: no %s list", w, k)
			}
			for _, r := range rows {
				row := r.(map[string]any)
				if row["observed"].(float64) < 5 || row["observed"].(float64) <= row["upper_limit_99"].(float64) {
					t.Errorf("%s %s: %v", w, k, row)
				}
			}
		}
		checkNoSmallCounts(t, "deviations", v)
		// The planted spike: Navestad's fires and vandalism in the last week (demo.Planted).
		found := false
		for _, r := range v["areas"].([]any) {
			row := r.(map[string]any)
			if a, _ := row["area"].(map[string]any); a != nil && a["id"] == "2025-SO33" && row["group"] == "brand_skadegorelse" {
				found = row["p"].(float64) < 1e-4
				t.Logf("%s: Navestad brand/skadegörelse %v against %v expected (limit %v), p %v", w, row["observed"], row["expected"], row["upper_limit_99"], row["p"])
			}
		}
		if !found {
			t.Errorf("%s: the planted spike in Navestad is not among the deviations", w)
		}
	}
	for _, q := range []string{"window=day", "kommun=18", "cells=yes", "region=9999", "set=1999", "set=2024"} {
		want := http.StatusBadRequest
		if q == "set=2024" {
			want = http.StatusNotFound
		}
		getJSON(t, srv.URL+"/api/v1/deviations?"+q, want)
	}
}
