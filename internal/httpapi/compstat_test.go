package httpapi_test

import (
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// checkCompStat reads the period comparisons of an area, a kommun and an LPO over the demo
// data: every preset against the previous period and the same dates a year earlier, with a
// verdict or a reason, and never a count of 1–4.
func checkCompStat(t *testing.T, srv *httptest.Server) {
	for _, u := range []string{"level=area&id=2025-SO9", "level=kommun&id=0180", "level=lpo&id=531350&set=2025"} {
		v := getJSON(t, srv.URL+"/api/v1/compstat?"+u+"&to=2026-10-31", http.StatusOK)
		sets, _ := v["comparisons"].([]any)
		if len(sets) != 3 || v["reference_day"] != "2026-10-31" {
			t.Fatalf("%s: %v", u, v)
		}
		for _, s := range sets {
			set := s.(map[string]any)
			total := set["total"].(map[string]any)
			for _, k := range []string{"previous_period", "same_period_last_year"} {
				c := total[k].(map[string]any)
				if c["verdict_text"] == "" || (c["verdict"] == "" && c["reason"] == nil) {
					t.Errorf("%s %s %s: %v", u, set["preset"], k, c)
				}
			}
		}
		checkNoSmallCounts(t, u, v)
	}
	resp, body := fetch(t, srv.URL+"/api/v1/compstat?level=area&id=2025-SO9&preset=ytd&format=csv&to=2026-10-31", nil)
	recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || resp.StatusCode != http.StatusOK || len(recs) < 3 || recs[0][3] != "preset" || recs[1][4] != "total" || recs[1][8] != "previous_period" {
		t.Errorf("CSV: %d %v %v", resp.StatusCode, err, recs)
	}
	for _, r := range recs[1:] {
		for _, v := range []string{r[7], r[11]} {
			if v == "1" || v == "2" || v == "3" || v == "4" {
				t.Errorf("CSV shows a count of %s: %v", v, r)
			}
		}
	}
	sm := getJSON(t, srv.URL+"/api/v1/areas/2025-SO9/summary?"+demoPeriod, http.StatusOK)
	if c, _ := sm["comparisons"].([]any); len(c) != 4 || c[0].(map[string]any)["preset"] != "period" {
		t.Errorf("summary comparisons: %v", sm["comparisons"])
	}
	for _, c := range []struct {
		query string
		want  int
	}{
		{"level=area&id=2025-SO9&preset=1w", 400},
		{"id=0180", 400},
		{"level=kommun&id=018", 400},
		{"level=kommun&id=0180&set=2025", 400},
		{"level=kommun&id=9999", 404},
		{"level=lpo&id=579999", 404},
		{"level=area&id=2025-SO9&extra=1", 400},
	} {
		getJSON(t, srv.URL+"/api/v1/compstat?"+c.query, c.want)
	}
}

// checkPriorityOmitted: every ranked area says which components it was ranked without, in the
// JSON (an empty list when none) and in the CSV's last column.
func checkPriorityOmitted(t *testing.T, srv *httptest.Server) {
	v := getJSON(t, srv.URL+"/api/v1/priority?set=2025&"+demoPeriod, http.StatusOK)
	areas, _ := v["areas"].([]any)
	if len(areas) == 0 {
		t.Fatal("no areas ranked")
	}
	for _, a := range areas {
		o, ok := a.(map[string]any)["omitted_components"].([]any)
		if !ok {
			t.Fatalf("no omitted_components: %v", a)
		}
		for _, c := range o {
			c := c.(map[string]any)
			if c["component"] == "" || c["reason"] == "" {
				t.Errorf("omitted %v", c)
			}
		}
	}
	_, body := fetch(t, srv.URL+"/api/v1/priority?set=2025&format=csv&"+demoPeriod, nil)
	if head, _, _ := strings.Cut(string(body), "\n"); !strings.HasSuffix(strings.TrimSpace(head), ",omitted_components") {
		t.Errorf("CSV header %q", head)
	}
}
