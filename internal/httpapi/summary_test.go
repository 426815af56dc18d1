package httpapi_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/geodata"
	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/hexgrid"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/refdata"
	"github.com/lagesbild/lagesbild/internal/summary"
)

// demoPeriod spans the two years of the default demo data.
const demoPeriod = "from=2024-11-01&to=2026-10-31"

// summaryServer serves a database loaded with the deterministic demo data at scale 0.05 with
// area populations, offices and operations.
func summaryServer(t *testing.T) *httptest.Server {
	t.Helper()
	db, _ := pgtest.New(t)
	loadDemo(t, db, demo.Options{Seed: 11, Scale: 0.05}, true)
	api := &httpapi.Server{Areas: db, Ready: db, Logger: pgtest.Logger(t), Summaries: summary.New(db, summary.Options{})}
	srv := httptest.NewServer(asNational(t, db, api))
	t.Cleanup(srv.Close)
	return srv
}

// TestSummaryAPI loads the demo data once and checks the summary, list and priority
// endpoints against the planted patterns and the disclosure rules.
func TestSummaryAPI(t *testing.T) {
	srv := summaryServer(t)
	for _, c := range []struct {
		name string
		fn   func(*testing.T, *httptest.Server)
	}{
		{"Trends", checkSummaryTrends}, {"HotSpot", checkSummaryHotSpot}, {"GroupHotSpots", checkGroupHotSpots},
		{"Suppression", checkSummarySuppression},
		{"ListAndCSV", checkSummaryListAndCSV}, {"Priority", checkPriority}, {"Errors", checkSummaryErrors},
		{"Report", checkReport}, {"CompStat", checkCompStat}, {"Deviations", checkDeviations}, {"PriorityOmitted", checkPriorityOmitted},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, srv) })
	}
}

func getJSON(t *testing.T, url string, want int) map[string]any {
	t.Helper()
	resp, body := fetch(t, url, nil)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: status %d, want %d: %s", url, resp.StatusCode, want, body)
	}
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return v
}

// checkNoSmallCounts walks v and fails on any count field (count, previous_count,
// violent_count, or anything ending in _count) whose value is 1–4.
func checkNoSmallCounts(t *testing.T, path string, v any) int {
	t.Helper()
	checked := 0
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if k == "count" || strings.HasSuffix(k, "_count") {
				n, isNum := c.(float64)
				if obj, ok := c.(map[string]any); ok {
					n, isNum = obj["value"].(float64)
					if obj["value"] == nil && obj["suppressed"] != true {
						t.Errorf("%s.%s: null without suppressed", path, k)
					}
				}
				if isNum {
					checked++
					if n >= 1 && n <= 4 {
						t.Errorf("%s.%s = %g: a count of 1–4 is published", path, k, n)
					}
				}
			}
			checked += checkNoSmallCounts(t, path+"."+k, c)
		}
	case []any:
		for _, c := range x {
			checked += checkNoSmallCounts(t, path+"[]", c)
		}
	}
	return checked
}

func group(t *testing.T, sm map[string]any, name string) map[string]any {
	t.Helper()
	for _, g := range sm["groups"].([]any) {
		if g := g.(map[string]any); g["group"] == name {
			return g
		}
	}
	t.Fatalf("no group %s", name)
	return nil
}

func checkSummaryTrends(t *testing.T, srv *httptest.Server) {
	rising := getJSON(t, srv.URL+"/api/v1/areas/2025-SO74/summary?"+demoPeriod, http.StatusOK)
	tr := group(t, rising, "skjutning")["trend"].(map[string]any)
	z, _ := tr["z"].(float64)
	if tr["significant"] != true || z <= 1.96 {
		t.Errorf("Rinkeby skjutning trend = %v, want a significant positive Z", tr)
	}
	if tr["months"].(float64) != 24 {
		t.Errorf("months = %v, want 24", tr["months"])
	}
	prov := rising["provenance"].(map[string]any)
	if prov["synthetic"] != true || prov["population_estimated"] != true {
		t.Errorf("provenance = %v, want synthetic and estimated population", prov)
	}
	if pop := rising["population"].(map[string]any)["value"].(float64); int(pop)%10 != 0 {
		t.Errorf("population %v is not rounded to 10", pop)
	}
	// Skäggetorp has no planted shootings: its trend is flat (or withheld for few events).
	flat := getJSON(t, srv.URL+"/api/v1/areas/2025-SO5/summary?"+demoPeriod, http.StatusOK)
	tr = group(t, flat, "skjutning")["trend"].(map[string]any)
	if z, ok := tr["z"].(float64); ok && tr["significant"] == true && z > 1.96 {
		t.Errorf("control area Skäggetorp skjutning trend = %v, want no significant rise", tr)
	}
	// The falling pattern in Rosengård.
	falling := getJSON(t, srv.URL+"/api/v1/areas/2025-SO2/summary?"+demoPeriod, http.StatusOK)
	tr = group(t, falling, "skjutning")["trend"].(map[string]any)
	if z, _ := tr["z"].(float64); tr["significant"] != true || z >= -1.96 {
		t.Errorf("Rosengård skjutning trend = %v, want a significant negative Z", tr)
	}
	for _, sm := range []map[string]any{rising, flat, falling} {
		for _, g := range sm["groups"].([]any) {
			if g.(map[string]any)["group"] == string(lagesbild.GroupOvergreppRattssak) {
				t.Errorf("%v: the sensitive group is shown on its own", sm["area"])
			}
		}
	}
}

func checkSummaryHotSpot(t *testing.T, srv *httptest.Server) {
	sm := getJSON(t, srv.URL+"/api/v1/areas/2025-SO5/summary?"+demoPeriod, http.StatusOK)
	hs := sm["hot_spots"].(map[string]any)
	share, _ := hs["share_95"].(float64)
	if !(share > 0) {
		t.Errorf("Skäggetorp hot spots = %v, want a share > 0 at 95 %%", hs)
	}
	if s90, _ := hs["share_90"].(float64); s90 < share {
		t.Errorf("share_90 %v < share_95 %v", s90, share)
	}
	// The hot cells for the map: as many H3 polygons as the share at 90 % says, with the cell,
	// z, p and level and no counts.
	fc, _ := hs["cells"].(map[string]any)
	features, _ := fc["features"].([]any)
	s90, _ := hs["share_90"].(float64)
	cells, _ := hs["area_cells"].(float64)
	if fc["type"] != "FeatureCollection" || len(features) != int(math.Round(s90*cells)) {
		t.Fatalf("Skäggetorp's hot cells %v, want %v of %v cells", fc, s90, cells)
	}
	for _, f := range features {
		f := f.(map[string]any)
		props, _ := f["properties"].(map[string]any)
		geom, _ := f["geometry"].(map[string]any)
		if geom["type"] != "Polygon" || len(props) != 4 || props["h3"] == nil || props["z"] == nil || props["p"] == nil || props["level"] == nil {
			t.Errorf("hot cell %v", f)
		}
	}
}

// groupHotSpots returns the per-group hot spots of a summary by group.
func groupHotSpots(t *testing.T, sm map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	groups, ok := sm["hot_spots"].(map[string]any)["groups"].([]any)
	if !ok {
		t.Fatalf("no hot_spots.groups in the summary of %v", sm["area"])
	}
	for _, g := range groups {
		g := g.(map[string]any)
		name := g["group"].(string)
		out[name] = g
		for _, k := range []string{"share_90", "share_95", "share_99"} {
			ind := g[k].(map[string]any)
			v, isNum := ind["value"].(float64)
			switch {
			case isNum && (v < 0 || v > 1 || ind["suppressed"] != false):
				t.Errorf("%s %s = %v: not a share", name, k, ind)
			case !isNum && (ind["suppressed"] != true || ind["reason"] == nil || ind["reason"] == ""):
				t.Errorf("%s %s = %v: withheld without suppressed and a reason", name, k, ind)
			}
		}
	}
	if len(out) != len(sm["groups"].([]any)) {
		t.Errorf("hot spots of %d groups, %d groups in the summary", len(out), len(sm["groups"].([]any)))
	}
	if _, ok := out[string(lagesbild.GroupOvergreppRattssak)]; ok {
		t.Errorf("the sensitive group has hot spots of its own")
	}
	return out
}

// checkGroupHotSpots: the demo's planted narkotika hot spot shows in Skäggetorp's narkotika
// shares. (Linköping's main centre lies on Skäggetorp in the demo model, so the area is a hot
// spot of other groups too; TestSummaryGroupHotSpots separates the groups.)
func checkGroupHotSpots(t *testing.T, srv *httptest.Server) {
	sm := getJSON(t, srv.URL+"/api/v1/areas/2025-SO5/summary?"+demoPeriod, http.StatusOK)
	n := groupHotSpots(t, sm)[string(lagesbild.GroupNarkotika)]
	s95, _ := n["share_95"].(map[string]any)["value"].(float64)
	s99, _ := n["share_99"].(map[string]any)["value"].(float64)
	if !(s95 > 0 && s99 > 0) {
		t.Errorf("Skäggetorp narkotika hot spots = %v, want shares > 0 at 95 and 99 %%", n)
	}
	// The lists keep the total alone.
	v := getJSON(t, srv.URL+"/api/v1/summaries?set=2025&"+demoPeriod, http.StatusOK)
	for _, r := range v["areas"].([]any) {
		if _, ok := r.(map[string]any)["hot_spots"]; ok {
			t.Fatalf("a list row carries per-group hot spots: %v", r)
		}
	}
}

func checkSummarySuppression(t *testing.T, srv *httptest.Server) {
	urls := []string{
		"/api/v1/areas/2025-SO74/summary?" + demoPeriod,
		"/api/v1/areas/2025-SO5/summary",
		"/api/v1/summaries?set=2025&" + demoPeriod,
		"/api/v1/summaries?set=2025&from=2026-10-01&to=2026-10-31",
		"/api/v1/priority?set=2025",
	}
	for _, u := range urls {
		v := getJSON(t, srv.URL+u, http.StatusOK)
		if n := checkNoSmallCounts(t, u, v); n == 0 && !strings.Contains(u, "priority") {
			t.Errorf("%s: no counts checked", u)
		}
	}
	// A month of one area has small counts: they must be hidden, and their rates withheld.
	v := getJSON(t, srv.URL+"/api/v1/summaries?set=2025&from=2026-10-01&to=2026-10-31", http.StatusOK)
	hidden := 0
	for _, r := range v["areas"].([]any) {
		c := r.(map[string]any)["count"].(map[string]any)
		if c["suppressed"] == true {
			hidden++
			if c["reason"] == "" {
				t.Errorf("%v: suppressed without a reason", r.(map[string]any)["area"])
			}
		}
	}
	if hidden == 0 {
		t.Log("no area had a suppressed monthly total")
	}
}

func checkSummaryListAndCSV(t *testing.T, srv *httptest.Server) {
	v := getJSON(t, srv.URL+"/api/v1/summaries?set=2025&region=5300&"+demoPeriod, http.StatusOK)
	rows := v["areas"].([]any)
	if len(rows) == 0 {
		t.Fatal("no areas in region 5300")
	}
	for _, r := range rows {
		if rc := r.(map[string]any)["area"].(map[string]any)["region_code"]; rc != "5300" {
			t.Errorf("region filter: got %v", rc)
		}
	}
	resp, body := fetch(t, srv.URL+"/api/v1/summaries?set=2025&region=5300&"+demoPeriod, map[string]string{"Accept": "text/csv"})
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(rows)+1 || recs[0][0] != "area_id" {
		t.Errorf("CSV has %d records (header %v), want a header and %d rows", len(recs), recs[0], len(rows))
	}
	all := getJSON(t, srv.URL+"/api/v1/summaries?set=2025&"+demoPeriod, http.StatusOK)
	_, body = fetch(t, srv.URL+"/api/v1/summaries?set=2025&format=csv&"+demoPeriod, nil)
	recs, err = csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(all["areas"].([]any))+1 {
		t.Errorf("CSV of the whole list: %d records for %d areas", len(recs), len(all["areas"].([]any)))
	}
	_, body = fetch(t, srv.URL+"/api/v1/priority?set=2025&format=csv", nil)
	recs, err = csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || len(recs) != len(all["areas"].([]any))+1 || recs[0][0] != "rank" {
		t.Errorf("priority CSV: %d records, err %v", len(recs), err)
	}
}

func checkPriority(t *testing.T, srv *httptest.Server) {
	v := getJSON(t, srv.URL+"/api/v1/priority?set=2025&"+demoPeriod, http.StatusOK)
	areas := v["areas"].([]any)
	if len(areas) < 2 {
		t.Fatalf("%d areas ranked", len(areas))
	}
	prev := 0.0
	for i, a := range areas {
		a := a.(map[string]any)
		rank := a["rank"].(float64)
		if rank < prev {
			t.Errorf("area %d: rank %v after %v", i, rank, prev)
		}
		prev = rank
		score, ok := a["score"].(float64)
		if !ok {
			continue
		}
		sum := 0.0
		for _, c := range a["contributions"].(map[string]any) {
			sum += c.(float64)
		}
		if d := sum - score; d > 1e-9 || d < -1e-9 {
			t.Errorf("%v: contributions add up to %v, score %v", a["area"], sum, score)
		}
	}
	w := getJSON(t, srv.URL+"/api/v1/priority?set=2025&region=5300&weights=violent_rate:1", http.StatusOK)
	if got := w["weights"].(map[string]any); len(got) != 1 || got["violent_rate"] != 1.0 {
		t.Errorf("weights = %v", got)
	}
}

func checkSummaryErrors(t *testing.T, srv *httptest.Server) {
	for _, c := range []struct {
		url, param string
		status     int
	}{
		{"/api/v1/areas/2025-SO74/summary?from=2025-13-01", "from", 400},
		{"/api/v1/areas/2025-SO74/summary?to=yesterday", "to", 400},
		{"/api/v1/areas/2025-SO74/summary?from=2026-01-01&to=2025-01-01", "from", 400},
		{"/api/v1/areas/2025-SO74/summary?bogus=1", "bogus", 400},
		{"/api/v1/areas/2025-SO74/summary?format=xml", "format", 400},
		{"/api/v1/areas/not-an-id/summary", "id", 400},
		{"/api/v1/areas/2025-SO99999/summary", "", 404},
		{"/api/v1/summaries?set=20x5", "set", 400},
		{"/api/v1/summaries?set=2024", "", 404},
		{"/api/v1/summaries?region=9900", "region", 400},
		{"/api/v1/priority?weights=violent_rate:-1", "weights", 400},
		{"/api/v1/priority?weights=unknown:1", "weights", 400},
		{"/api/v1/priority?weights=violent_rate", "weights", 400},
		{"/api/v1/priority?weights=violent_rate:NaN", "weights", 400},
		{"/api/v1/priority?weights=violent_rate:0", "weights", 400},
		{"/api/v1/priority?weights=trend:1,trend:2", "weights", 400},
		{"/api/v1/priority?normalization=max", "normalization", 400},
	} {
		v := getJSON(t, srv.URL+c.url, c.status)
		e := v["error"].(map[string]any)
		if c.param != "" && e["parameter"] != c.param {
			t.Errorf("%s: parameter %v, want %s (%v)", c.url, e["parameter"], c.param, e["message"])
		}
	}
}

func checkReport(t *testing.T, srv *httptest.Server) {
	resp, body := fetch(t, srv.URL+"/api/v1/areas/2025-SO74/report?"+demoPeriod, nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("report: status %d, type %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	page := string(body)
	for _, want := range []string{"Lägesbild för Rinkeby", "Syntetiska demodata", "<svg", "@media print", "Skjutning", "Jämförelser (CompStat)", "Hittills i år"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	resp, _ = fetch(t, srv.URL+"/api/v1/areas/2025-SO99999/report", nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("report of an unknown area: %d", resp.StatusCode)
	}
}

// TestSummaryGroupHotSpots loads the demo's narkotika incidents, which hold the planted
// Skäggetorp hot spot, and two groups laid out by the test around Skäggetorp (2025-SO5):
// stöld/inbrott, 4 incidents on the centre of every res-8 cell within 12 rings of the plant and
// 300 more in one cell 6 rings away (a hot spot of its own, outside the area), and övergrepp i
// rättssak, the sensitive group, piled on the plant (with two robberies). Skäggetorp must be a hot spot of narkotika,
// not of stöld/inbrott (shown, not withheld: the area has 12 of them), and the sensitive group
// must have no hot spots of its own anywhere the summary is published.
func TestSummaryGroupHotSpots(t *testing.T) {
	db, _ := pgtest.New(t)
	b, err := refdata.Load(geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	var recs []lagesbild.Incident
	if err := demo.Incidents(demo.FromRefdata(b, 2025), demo.Options{Seed: 11, Scale: 0.05}, func(inc lagesbild.Incident) error {
		if inc.Group == lagesbild.GroupNarkotika {
			recs = append(recs, inc)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The plant is centred on Skäggetorp's interior point (docs/demo-data.md).
	centre, err := hexgrid.Cell(58.428, 15.579, summary.HotSpotRes)
	if err != nil {
		t.Fatal(err)
	}
	rings := [][]uint64{{centre}}
	seen := map[uint64]bool{centre: true}
	for range 12 {
		var next []uint64
		for _, c := range rings[len(rings)-1] {
			ring, err := hexgrid.Ring1(c)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range ring {
				if !seen[r] {
					seen[r] = true
					next = append(next, r)
				}
			}
		}
		rings = append(rings, next)
	}
	middle := func(cell uint64) (lon, lat float64) {
		ring := hexgrid.Boundary(cell)[0]
		for _, p := range ring[:len(ring)-1] {
			lon, lat = lon+p[0]/float64(len(ring)-1), lat+p[1]/float64(len(ring)-1)
		}
		return lon, lat
	}
	day := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	add := func(prefix string, cell uint64, n int, g lagesbild.CategoryGroup) {
		lon, lat := middle(cell)
		for i := range n {
			recs = append(recs, lagesbild.Incident{Source: "test", SourceID: fmt.Sprintf("%s-%x-%d", prefix, cell, i),
				OccurredAt: day.AddDate(0, 0, i%600), Category: string(g), Group: g, Agency: "pm",
				Precision: lagesbild.PrecisionExact, Point: orb.Point{lon, lat}, Line: len(recs) + 1})
		}
	}
	for _, ring := range rings {
		for _, c := range ring {
			add("stold", c, 4, lagesbild.GroupStoldInbrott)
		}
	}
	add("stold-hot", rings[6][0], 300, lagesbild.GroupStoldInbrott)
	add("overgrepp", centre, 40, lagesbild.GroupOvergreppRattssak)
	// Two robberies, hidden as 1–4, so that the sensitive group's hidden count needs no second
	// hidden part (it would be stöld/inbrott, the smallest other, and withhold its shares).
	add("ran", centre, 2, lagesbild.GroupRan)
	importIncidents(t, db, "hotspots", recs)
	api := &httpapi.Server{Areas: db, Ready: db, Logger: pgtest.Logger(t), Summaries: summary.New(db, summary.Options{})}
	srv := httptest.NewServer(asNational(t, db, api))
	t.Cleanup(srv.Close)

	sm := getJSON(t, srv.URL+"/api/v1/areas/2025-SO5/summary?"+demoPeriod, http.StatusOK)
	hot := groupHotSpots(t, sm)
	share := func(g lagesbild.CategoryGroup, level string) (float64, bool) {
		v, ok := hot[string(g)]["share_"+level].(map[string]any)["value"].(float64)
		return v, ok
	}
	if v, ok := share(lagesbild.GroupNarkotika, "95"); !ok || v == 0 {
		t.Errorf("narkotika hot spots %v, want the planted hot spot", hot[string(lagesbild.GroupNarkotika)])
	}
	if c := group(t, sm, string(lagesbild.GroupStoldInbrott))["count"].(map[string]any)["value"]; c == nil || c.(float64) < 10 {
		t.Fatalf("Skäggetorp has %v stöld/inbrott, want at least 10: the fixture does not test a shown share", c)
	}
	for _, level := range []string{"90", "95", "99"} {
		if v, ok := share(lagesbild.GroupStoldInbrott, level); !ok || v != 0 {
			t.Errorf("stöld/inbrott hot spots %v, want 0 at every level", hot[string(lagesbild.GroupStoldInbrott)])
		}
	}
	if v, _ := sm["hot_spots"].(map[string]any)["share_95"].(float64); v == 0 {
		t.Errorf("total hot spots %v, want the area hot", sm["hot_spots"])
	}
	checkNoSmallCounts(t, "summary", sm)

	// CSV: one row per group that is shown, with its shares; none for the sensitive group.
	_, body := fetch(t, srv.URL+"/api/v1/areas/2025-SO5/summary?format=csv&"+demoPeriod, nil)
	recsCSV, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(recsCSV[0], "hotspot_share_95")
	if col < 0 {
		t.Fatalf("CSV header %v has no hotspot_share_95", recsCSV[0])
	}
	for _, r := range recsCSV[1:] {
		switch r[1] {
		case string(lagesbild.GroupOvergreppRattssak):
			t.Errorf("CSV row of the sensitive group: %v", r)
		case string(lagesbild.GroupStoldInbrott):
			if r[col] != "0" {
				t.Errorf("CSV stöld/inbrott hotspot_share_95 = %q, want 0", r[col])
			}
		case string(lagesbild.GroupNarkotika):
			if r[col] == "" || r[col] == "0" {
				t.Errorf("CSV narkotika hotspot_share_95 = %q", r[col])
			}
		}
	}

	// The report's table has a row per shown group and none for the sensitive one.
	_, body = fetch(t, srv.URL+"/api/v1/areas/2025-SO5/report?"+demoPeriod, nil)
	page := string(body)
	for _, want := range []string{"Brännpunkt 90 %", "<tr><td>Narkotika</td>", "<tr><td>Stöld/inbrott</td><td>0 %</td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(page, "Övergrepp i rättssak") {
		t.Error("the report shows the sensitive group on its own")
	}
}
