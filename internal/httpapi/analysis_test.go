package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/analysis"
	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/summary"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// analysisEnv is the demo data at scale 0.05 behind the analyst's endpoints, with a national
// caller by default and tokens of other roles for the access checks.
type analysisEnv struct {
	srv    *httptest.Server
	tokens map[string]string
	dbURL  string
}

func (e *analysisEnv) get(t *testing.T, who, path string) (int, []byte) {
	t.Helper()
	h := map[string]string{}
	if who != "" {
		h["Authorization"] = "Bearer " + e.tokens[who]
	}
	resp, body := fetch(t, e.srv.URL+path, h)
	return resp.StatusCode, body
}

func (e *analysisEnv) json(t *testing.T, path string, v any) {
	t.Helper()
	status, body := e.get(t, "", path)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d: %s", path, status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// TestAnalysisAPI loads the demo data once and checks each of the analyst's tools against its
// planted pattern, the disclosure rules and access control.
func TestAnalysisAPI(t *testing.T) {
	db, dbURL := pgtest.New(t)
	loadDemo(t, db, demo.Options{Seed: 11, Scale: 0.05}, true)
	an := analysis.New(db, analysis.Options{})
	db.UseEmerging(an) // as serve wires it: the tile layer and the collections share one analysis
	api := &httpapi.Server{Areas: db, Ready: db, Logger: pgtest.Logger(t), Summaries: summary.New(db, summary.Options{}),
		Analysis: an, Profiles: db, Imports: newImportService(t, db), Features: db,
		Tiles: tiles.NewService(db, db, 16<<20)}
	h := asNational(t, db, api)
	e := &analysisEnv{srv: httptest.NewServer(h), tokens: map[string]string{}, dbURL: dbURL}
	t.Cleanup(e.srv.Close)
	for name, req := range map[string]auth.TokenRequest{
		"gis":      {Role: auth.RoleGIS, Scope: "all"},
		"syd":      {Role: auth.RoleRegional, Scope: "region:5600"},
		"bergslag": {Role: auth.RoleRegional, Scope: "region:5700"},
		"orebro":   {Role: auth.RoleLokal, Scope: "lpo:570210"},
		"admin":    {Role: auth.RoleAdmin},
	} {
		req.CreatedBy = "test"
		tok, _, err := api.Auth.CreateToken(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name] = tok
	}
	for _, c := range []struct {
		name string
		fn   func(*testing.T, *analysisEnv)
	}{
		{"TimeProfile", checkTimeProfile}, {"EmergingHotSpots", checkEmerging}, {"NearRepeat", checkNearRepeat},
		{"Effect", checkEffect}, {"Access", checkAnalysisAccess}, {"OpenAPI", checkAPIOpenAPI}, {"OGCEmerging", checkOGCEmerging},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, e) })
	}
}

func checkTimeProfile(t *testing.T, e *analysisEnv) {
	var tp analysis.TimeProfile
	e.json(t, "/api/v1/areas/2025-SO5/time-profile?"+demoPeriod, &tp)
	if len(tp.Total.Counts) != 7 || len(tp.Total.Counts[0]) != 24 || tp.Total.Count == nil || *tp.Total.Count < 100 {
		t.Fatalf("total profile: %d rows, count %v", len(tp.Total.Counts), tp.Total.Count)
	}
	hidden := 0
	for _, p := range append([]analysis.Profile{tp.Total}, tp.Groups...) {
		if p.Group == "overgrepp_rattssak" {
			t.Errorf("the sensitive group is shown on its own")
		}
		for wd, row := range p.Counts {
			for h, v := range row {
				switch {
				case v == nil:
					hidden++
				case *v >= 1 && *v <= 4:
					t.Errorf("%s %s %02d: %d shown", p.Group, tp.Weekdays[wd], h, *v)
				}
			}
		}
	}
	if hidden == 0 || len(tp.Groups) < 3 {
		t.Errorf("%d hidden slots, %d groups: want some of each", hidden, len(tp.Groups))
	}
	// One group alone, and the planted drug market's evening peak in Skäggetorp.
	var one analysis.TimeProfile
	e.json(t, "/api/v1/areas/2025-SO5/time-profile?group=narkotika&"+demoPeriod, &one)
	if len(one.Groups) != 1 || one.Groups[0].Group != "narkotika" || one.Groups[0].Count == nil {
		t.Fatalf("group narkotika: %+v", one.Groups)
	}
	for _, bad := range []string{"group=overgrepp_rattssak", "group=nej", "from=2026-01-01&to=2025-01-01", "weekday=1"} {
		if status, body := e.get(t, "", "/api/v1/areas/2025-SO5/time-profile?"+bad); status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", bad, status, body)
		}
	}
}

func checkEmerging(t *testing.T, e *analysisEnv) {
	// The planted robberies in Biskopsgården from July 2026 make an emerging hot spot.
	var em analysis.Emerging
	e.json(t, "/api/v1/areas/2025-SO6/emerging-hot-spots?group=ran&to=2026-10-31", &em)
	if len(em.Months) != 24 || em.Months[23] != "2026-10" || em.AreaCells == 0 {
		t.Fatalf("months %v, %d area cells, reason %q", em.Months, em.AreaCells, em.Reason)
	}
	t.Logf("Biskopsgården rån: %v", em.Categories)
	emerging := em.Categories["consecutive_hot_spot"] + em.Categories["new_hot_spot"]
	if emerging == 0 {
		t.Errorf("Biskopsgården rån: categories %v, want a consecutive or new hot spot", em.Categories)
	}
	// The same as a map layer: polygons of the kommun's cells with a pattern.
	status, body := e.get(t, "", "/api/v1/areas/2025-SO6/emerging-hot-spots?group=ran&to=2026-10-31&format=geojson")
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Geometry struct {
				Type string `json:"type"`
			} `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if status != 200 || json.Unmarshal(body, &fc) != nil || fc.Type != "FeatureCollection" {
		t.Fatalf("geojson: %d %.200s", status, body)
	}
	found := false
	for _, f := range fc.Features {
		c := f.Properties["category"]
		if f.Geometry.Type != "Polygon" || c == "no_pattern" {
			t.Fatalf("feature %+v", f)
		}
		found = found || (f.Properties["in_area"] == true && (c == "consecutive_hot_spot" || c == "new_hot_spot"))
		if _, ok := f.Properties["count"]; ok {
			t.Fatal("a cell count is published")
		}
	}
	if !found {
		t.Error("the layer has no emerging cell in Biskopsgården")
	}
	// A region: Väst (5500) holds Göteborg.
	var reg analysis.Emerging
	start := time.Now()
	e.json(t, "/api/v1/emerging-hot-spots?region=5500&group=ran&to=2026-10-31", &reg)
	t.Logf("region 5500 rån: %v", time.Since(start))
	start = time.Now()
	e.json(t, "/api/v1/emerging-hot-spots?region=5500&to=2026-10-31", &reg)
	t.Logf("region 5500 total: %v", time.Since(start))
	e.json(t, "/api/v1/emerging-hot-spots?region=5500&group=ran&to=2026-10-31", &reg)
	if reg.Categories["consecutive_hot_spot"]+reg.Categories["new_hot_spot"] == 0 || len(reg.Kommuner) < 40 {
		t.Errorf("region 5500: %v over %d kommuner", reg.Categories, len(reg.Kommuner))
	}
	for _, bad := range []string{"group=overgrepp_rattssak", "months=6", "months=x", "format=mvt"} {
		if status, body := e.get(t, "", "/api/v1/areas/2025-SO6/emerging-hot-spots?"+bad); status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", bad, status, body)
		}
	}
	if status, _ := e.get(t, "", "/api/v1/emerging-hot-spots?region=9999"); status != http.StatusBadRequest {
		t.Errorf("bad region: %d", status)
	}
}

func checkNearRepeat(t *testing.T, e *analysisEnv) {
	// The planted burglary series in Örebro in March 2026.
	path := "/api/v1/kommuner/1880/near-repeat?group=stold_inbrott&from=2025-11-01&to=2026-10-31&permutations=199&seed=7"
	var nr analysis.NearRepeat
	e.json(t, path, &nr)
	if nr.Events < 30 || len(nr.Cells) != 7 || len(nr.Cells[0]) != 5 {
		t.Fatalf("%d events, %d × %d cells, reason %q", nr.Events, len(nr.Cells), len(nr.Cells), nr.Reason)
	}
	c := nr.Cells[1][0] // 0–100 m, 0–7 days
	if c.Ratio != nil {
		t.Logf("Örebro burglaries: %d events, 0–100 m × 0–7 days: observed %d, expected %g, ratio %g, p %g", nr.Events, c.Observed, c.Expected, *c.Ratio, c.P)
	}
	if !c.Significant || c.P > 0.02 || c.Ratio == nil || *c.Ratio < 2 {
		t.Errorf("0–100 m, 0–7 days: %+v, want a significant near repeat", c)
	}
	if c.Space != "0–100 m" || c.Time != "0–7 dagar" || nr.Cells[6][4].Space != "> 500 m" || nr.Cells[6][4].Time != "> 28 dagar" {
		t.Errorf("labels %q %q %q %q", c.Space, c.Time, nr.Cells[6][4].Space, nr.Cells[6][4].Time)
	}
	// Reproducible with the seed.
	_, a := e.get(t, "", path)
	_, b := e.get(t, "", path)
	if string(a) != string(b) {
		t.Error("the same seed gave different answers")
	}
	// An area.
	var area analysis.NearRepeat
	e.json(t, "/api/v1/areas/2025-SO16/near-repeat?group=misshandel_hot&permutations=99&"+demoPeriod, &area)
	if area.Area == nil || area.Area.ID != "2025-SO16" || (area.Reason == "" && len(area.Cells) == 0) {
		t.Errorf("area: %+v", area)
	}
	for _, bad := range []string{"", "group=overgrepp_rattssak", "group=ran&permutations=5000", "group=ran&permutations=5",
		"group=ran&space_bands=0", "group=ran&space_band_m=NaN", "group=ran&time_band_days=x", "group=ran&seed=-1", "group=ran&bands=3"} {
		if status, body := e.get(t, "", "/api/v1/kommuner/1880/near-repeat?"+bad); status != http.StatusBadRequest {
			t.Errorf("%q: %d %s", bad, status, body)
		}
	}
	if status, _ := e.get(t, "", "/api/v1/kommuner/9999/near-repeat?group=ran"); status != http.StatusNotFound {
		t.Errorf("unknown kommun: %d", status)
	}
}

func checkEffect(t *testing.T, e *analysisEnv) {
	var ops struct {
		Operations []struct {
			ID     int64  `json:"id"`
			Name   string `json:"name"`
			Start  string `json:"start"`
			Effect string `json:"effect"`
		} `json:"operations"`
	}
	e.json(t, "/api/v1/areas/2025-SO16/operations", &ops)
	var link string
	for _, o := range ops.Operations {
		if o.Start == "2026-02-01" && strings.Contains(o.Name, "Vivalla") {
			link = o.Effect
		}
	}
	if link == "" {
		t.Fatalf("the planted Vivalla operation is not listed: %+v", ops)
	}
	var ef analysis.EffectFollowUp
	e.json(t, link, &ef)
	if ef.Estimate == nil {
		t.Fatalf("no estimate: %q", ef.Reason)
	}
	t.Logf("Vivalla: ratio of ratios %g (%g–%g), %s; %s", ef.Estimate.RatioOfRatios, ef.Estimate.Lower,
		ef.Estimate.Upper, ef.Estimate.Verdict, ef.Estimate.WDQReading)
	if ef.Estimate.Upper >= 1 || ef.Estimate.RatioOfRatios >= 0.8 {
		t.Errorf("Vivalla: ratio of ratios %g (%g–%g), want a clear drop against the controls", ef.Estimate.RatioOfRatios, ef.Estimate.Lower, ef.Estimate.Upper)
	}
	if len(ef.Controls) != analysis.DefaultControls || len(ef.Candidates) < len(ef.Controls) || len(ef.Design) < 3 || !ef.Synthetic {
		t.Errorf("controls %d of %d candidates, %d design notes", len(ef.Controls), len(ef.Candidates), len(ef.Design))
	}
	for _, c := range ef.Controls {
		if c.AreaID == "2025-SO16" || !c.Chosen {
			t.Errorf("control %+v", c)
		}
	}
	if ef.Before.From != "2025-02-01" || ef.After.From != "2026-02-01" || ef.After.To != "2026-06-30" {
		t.Errorf("periods %+v %+v", ef.Before, ef.After)
	}
	for _, bad := range []string{"buffer_m=1", "controls=0", "pre_months=100", "group=overgrepp_rattssak"} {
		if status, body := e.get(t, "", link+"?"+bad); status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", bad, status, body)
		}
	}
	if status, _ := e.get(t, "", "/api/v1/operations/999999/effect"); status != http.StatusNotFound {
		t.Errorf("unknown operation: %d", status)
	}
	if status, _ := e.get(t, "", "/api/v1/operations/x/effect"); status != http.StatusBadRequest {
		t.Errorf("bad id: %d", status)
	}
	// The area report has a section on the follow-up.
	status, body := e.get(t, "", "/api/v1/areas/2025-SO16/report?"+demoPeriod)
	if status != 200 || !strings.Contains(string(body), "Uppföljning av insatser") || !strings.Contains(string(body), "Kvot mot kontroller") {
		t.Errorf("report: %d, no follow-up section", status)
	} else if os.Getenv("SHOW_REPORT") != "" {
		i := strings.Index(string(body), "Uppföljning av insatser")
		t.Log(string(body)[i : i+min(4000, len(body)-i)])
	}
	// Outside the caller's scope: Syd sees neither the operation nor its area.
	if status, _ := e.get(t, "syd", link); status != http.StatusNotFound && status != http.StatusForbidden {
		t.Errorf("Syd reads Vivalla's follow-up: %d", status)
	}
}

func checkAnalysisAccess(t *testing.T, e *analysisEnv) {
	paths := []string{
		"/api/v1/areas/2025-SO16/time-profile",
		"/api/v1/areas/2025-SO16/emerging-hot-spots",
		"/api/v1/emerging-hot-spots?region=5700",
		"/api/v1/areas/2025-SO16/near-repeat?group=ran&permutations=19",
		"/api/v1/kommuner/1880/near-repeat?group=ran&permutations=19",
		"/api/v1/areas/2025-SO16/operations",
	}
	for _, p := range paths {
		for who, want := range map[string]int{"gis": 403, "admin": 403, "syd": 403, "bergslag": 200} {
			if status, body := e.get(t, who, p); status != want {
				t.Errorf("%s %s: %d, want %d: %.200s", who, p, status, want, body)
			}
		}
	}
	// A lokalpolisområdeschef (Örebro) reads their own areas, not a whole kommun or region, and
	// gets emerging hot spots over the whole kommun grid, with no note on a narrowed grid.
	for p, want := range map[string]int{paths[0]: 200, paths[1]: 200, paths[2]: 403, paths[3]: 200, paths[4]: 403, paths[5]: 200,
		"/api/v1/areas/2025-SO6/time-profile": 403} {
		if status, body := e.get(t, "orebro", p); status != want {
			t.Errorf("lokal %s: %d, want %d: %.200s", p, status, want, body)
		}
	}
	_, body := e.get(t, "orebro", paths[1])
	if strings.Contains(string(body), "lokalpolisområdets områden") {
		t.Errorf("lokal emerging hot spots with a note on a narrowed grid: %.300s", body)
	}
	// Every one of these reads is in the audit log with its outcome.
	conn := pgtest.Conn(t, e.dbURL)
	for _, p := range paths {
		path := strings.SplitN(p, "?", 2)[0]
		var n int
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE resource = $1 AND status = 403`, path).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n < 3 {
			t.Errorf("%s: %d audited refusals, want 3", path, n)
		}
	}
}
