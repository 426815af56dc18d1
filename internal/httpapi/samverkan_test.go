package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/samverkan/samverkantest"
	"github.com/lagesbild/lagesbild/internal/summary"
)

// agencyCaller is one identity of the matrix with its bearer token.
type agencyCaller struct {
	samverkantest.Expected
	token string
}

func (c agencyCaller) do(t *testing.T, h http.Handler, method, target, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != "" && strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func scopeText(s auth.Scope) string {
	switch {
	case s.All:
		return "all"
	case len(s.Regions) > 0:
		return strings.Join(s.Regions, ",")
	}
	return strings.Join(s.LPOs, ",")
}

func listLen(m map[string]any, key string) int {
	l, _ := m[key].([]any)
	return len(l)
}

// pictureTotal sums the published totals of a joint picture; suppressed totals count -1000 so
// a test notices them.
func pictureTotal(m map[string]any) int {
	obs, _ := m["observations"].(map[string]any)
	cs, _ := obs["contributions"].([]any)
	n := 0
	for _, c := range cs {
		c := c.(map[string]any)
		if v, ok := c["total"].(float64); ok {
			n += int(v)
		} else {
			n -= 1000
		}
	}
	return n
}

// TestAgencyMatrix walks agencies × decisions (valid, expired, other region, not a member) ×
// every endpoint of the joint lägesbild over one database: no caller sees a record without a
// lawful basis, every read of another agency's data is in the disclosure log under the
// decision that allowed it, revoking or expiring a decision takes effect on the next request,
// and hostile parameter values are refused naming the parameter.
func TestAgencyMatrix(t *testing.T) {
	db, _ := pgtest.New(t)
	svc := samverkantest.Load(t, db)
	ctx := context.Background()
	authSvc := auth.NewService(db, false)
	api := &httpapi.Server{Areas: db, Ready: db, Logger: pgtest.Logger(t), Features: db, Auth: authSvc, Samverkan: svc,
		Summaries: summary.New(db, summary.Options{})}
	h := api.Handler()
	var callers []agencyCaller
	byName := map[string]agencyCaller{}
	for _, e := range samverkantest.Matrix() {
		agency := e.ID.Agency
		if e.ID.Role.PoliceRole() {
			agency = ""
		}
		tok, _, err := authSvc.CreateToken(ctx, auth.TokenRequest{Role: e.ID.Role, Scope: scopeText(e.ID.Scope), Agency: agency, CreatedBy: "test"})
		if err != nil {
			t.Fatalf("token for %s: %v", e.ID.Subject, err)
		}
		c := agencyCaller{Expected: e, token: tok}
		callers = append(callers, c)
		byName[e.ID.Subject] = c
	}
	// Records of the sensitive category (fk, under SB-VALID) are never listed, only counted.
	const sensitive = 5
	listed := func(e samverkantest.Expected) int {
		if e.Disclosed[[2]string{"fk", samverkantest.Valid}] > 0 || e.ID.Agency == "fk" {
			return e.Rows - sensitive
		}
		return e.Rows
	}

	t.Run("observations", func(t *testing.T) {
		for _, c := range callers {
			code, body := c.do(t, h, "GET", "/api/v1/observations", "")
			if c.ID.Role == auth.RoleAdmin {
				if code != http.StatusForbidden {
					t.Errorf("admin GET observations: %d, want 403", code)
				}
				if code, _ := c.do(t, h, "GET", "/ogc/collections/observationer/items", ""); code != http.StatusForbidden {
					t.Errorf("admin OGC observations: %d, want 403", code)
				}
				continue
			}
			if code != 200 || listLen(body, "observations") != listed(c.Expected) {
				t.Errorf("%s: GET observations %d with %d rows, want %d", c.ID.Subject, code, listLen(body, "observations"), listed(c.Expected))
			}
			for _, o := range body["observations"].([]any) {
				o := o.(map[string]any)
				if o["agency"] != c.ID.Agency && (o["decision_id"] == samverkantest.Expired || o["decision_id"] == samverkantest.Other || o["decision_id"] == nil) {
					t.Errorf("%s sees %v without a lawful basis", c.ID.Subject, o)
				}
			}
			code, body = c.do(t, h, "GET", "/api/v1/observations?format=geojson&bbox=10,55,25,70", "")
			if code != 200 || listLen(body, "features") != listed(c.Expected) {
				t.Errorf("%s: GeoJSON %d with %d features, want %d", c.ID.Subject, code, listLen(body, "features"), listed(c.Expected))
			}
			code, body = c.do(t, h, "GET", "/ogc/collections/observationer/items?limit=1000", "")
			if code != 200 || listLen(body, "features") != listed(c.Expected) || body["numberMatched"] != float64(listed(c.Expected)) {
				t.Errorf("%s: OGC items %d with %d features, want %d", c.ID.Subject, code, listLen(body, "features"), listed(c.Expected))
			}
			if c.ID.Role == auth.RoleMyndighet {
				// An agency analyst reads no police data: no other collection, no tiles.
				for _, target := range []string{"/ogc/collections/kommuner/items", "/ogc/collections/omraden-2025/items", "/tiles/omraden/10/562/300.mvt"} {
					if code, _ := c.do(t, h, "GET", target, ""); code != http.StatusForbidden {
						t.Errorf("%s: GET %s = %d, want 403", c.ID.Subject, target, code)
					}
				}
				_, body = c.do(t, h, "GET", "/ogc/collections", "")
				if listLen(body, "collections") != 1 {
					t.Errorf("%s lists %d OGC collections, want only observationer", c.ID.Subject, listLen(body, "collections"))
				}
			}
		}
	})

	t.Run("area picture", func(t *testing.T) {
		// Tensta: everything of the fixture but the expired decision's records in Skäggetorp.
		want := map[string]int{"skv-analytiker": 20 + 10 + 7, "fk-analytiker": 5 + 10 + 7, "mv-analytiker": 5, "kfm-analytiker": 0,
			"pm-regional": 5 + 10 + 7}
		for _, c := range callers {
			code, body := c.do(t, h, "GET", "/api/v1/areas/2025-SO9/observations", "")
			w, ok := want[c.ID.Subject]
			if !ok {
				if code != http.StatusForbidden {
					t.Errorf("%s: area outside its scope or role gave %d, want 403", c.ID.Subject, code)
				}
				continue
			}
			if code != 200 || pictureTotal(body) != w {
				t.Errorf("%s: area picture %d total %d, want %d (%v)", c.ID.Subject, code, pictureTotal(body), w, body)
			}
			obs, _ := body["observations"].(map[string]any)
			cs, _ := obs["contributions"].([]any)
			for _, x := range cs {
				for _, cat := range x.(map[string]any)["categories"].([]any) {
					if cat.(map[string]any)["category"] == "misstankt_bedrageri" {
						t.Errorf("%s: a sensitive category is shown on its own", c.ID.Subject)
					}
				}
			}
		}
	})

	t.Run("summary, ranking and report", func(t *testing.T) {
		reg := byName["pm-regional"]
		code, body := reg.do(t, h, "GET", "/api/v1/areas/2025-SO9/summary?from=2025-05-01&to=2025-05-31", "")
		if code != 200 || pictureTotal(body) != 22 {
			t.Errorf("summary: %d, observations total %d, want 22 (%v)", code, pictureTotal(body), body["observations"])
		}
		code, body = reg.do(t, h, "GET", "/api/v1/priority?set=2025&region=5300&from=2025-05-01&to=2025-05-31", "")
		obs, _ := body["observations"].(map[string]any)
		if code != 200 || pictureTotal(map[string]any{"observations": obs["2025-SO9"]}) != 22 {
			t.Errorf("ranking: %d, Tensta's observations %v", code, obs["2025-SO9"])
		}
		req := httptest.NewRequest("GET", "/api/v1/areas/2025-SO9/report?from=2025-05-01&to=2025-05-31", nil)
		req.Header.Set("Authorization", "Bearer "+reg.token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		html := rec.Body.String()
		if rec.Code != 200 || !strings.Contains(html, "Myndigheternas observationer") || !strings.Contains(html, "Delat enligt samverkansbeslut "+samverkantest.Valid) ||
			strings.Contains(html, samverkantest.NotMember) || strings.Contains(html, "Misstänkt bidragsbrott") {
			t.Errorf("report: %d, joint section wrong:\n%s", rec.Code, html)
		}
		req = httptest.NewRequest("GET", "/api/v1/regions/5300/report?set=2025&from=2025-05-01&to=2025-05-31", nil)
		req.Header.Set("Authorization", "Bearer "+reg.token)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		html = rec.Body.String()
		if rec.Code != 200 || !strings.Contains(html, "Samverkansrådets lägesbild") || !strings.Contains(html, "Försäkringskassan") ||
			!strings.Contains(html, "Tensta") || strings.Contains(html, samverkantest.NotMember) {
			t.Errorf("region report: %d\n%.2000s", rec.Code, html)
		}
		for target, want := range map[string]int{"/api/v1/regions/5400/report": 403, "/api/v1/regions/9999/report": 400,
			"/api/v1/regions/5300/report?set=x": 400} {
			if code, _ := reg.do(t, h, "GET", target, ""); code != want {
				t.Errorf("GET %s = %d, want %d", target, code, want)
			}
		}
		if code, _ := byName["skv-analytiker"].do(t, h, "GET", "/api/v1/regions/5300/report", ""); code != http.StatusForbidden {
			t.Errorf("an agency analyst reads the police's region report: %d, want 403", code)
		}
		// Another region's police see no observations of Tensta, and not the area either.
		if code, _ := byName["pm-ost"].do(t, h, "GET", "/api/v1/areas/2025-SO9/summary", ""); code != http.StatusForbidden {
			t.Errorf("pm-ost summary of Tensta: %d, want 403", code)
		}
	})

	t.Run("disclosure log", func(t *testing.T) {
		adm := byName["admin"]
		code, body := adm.do(t, h, "GET", "/api/v1/disclosures?limit=10000", "")
		if code != 200 {
			t.Fatalf("admin disclosures: %d %v", code, body)
		}
		got := map[[3]string]int{} // subject, owner, decision → records on GET /api/v1/observations
		resources := map[string]bool{}
		ogc := map[[3]string]int{}
		for _, d := range body["disclosures"].([]any) {
			d := d.(map[string]any)
			dec := d["decision_id"].(string)
			if dec != samverkantest.Valid && dec != samverkantest.NotMember {
				t.Errorf("disclosure under %s, which allows nothing: %v", dec, d)
			}
			resources[d["resource"].(string)] = true
			if d["resource"] == "/ogc/collections/observationer/items" {
				ogc[[3]string{d["subject"].(string), d["owner_agency"].(string), dec}] += int(d["records"].(float64))
			}
			if d["resource"] == "/api/v1/observations" {
				got[[3]string{d["subject"].(string), d["owner_agency"].(string), dec}] += int(d["records"].(float64))
			}
		}
		for _, res := range []string{"/api/v1/areas/2025-SO9/observations", "/api/v1/areas/2025-SO9/summary", "/api/v1/priority", "/api/v1/areas/2025-SO9/report", "/api/v1/regions/5300/report",
			"/ogc/collections/observationer/items"} {
			if !resources[res] {
				t.Errorf("no disclosure logged for %s", res)
			}
		}
		tokens, _ := db.Tokens(ctx)
		subj := map[string]string{}
		for _, tk := range tokens {
			subj[tk.Agency+"|"+scopeText(tk.Scope)+"|"+string(tk.Role)] = "token:" + itoa(tk.ID)
		}
		for _, c := range callers {
			agency := c.ID.Agency
			s := subj[agency+"|"+scopeText(c.ID.Scope)+"|"+string(c.ID.Role)]
			for k, n := range c.Disclosed {
				if k[0] == "fk" && k[1] == samverkantest.Valid {
					n -= sensitive
				}
				// Two reads each (JSON and GeoJSON).
				if got[[3]string{s, k[0], k[1]}] != 2*n || ogc[[3]string{s, k[0], k[1]}] != n {
					t.Errorf("%s (%s): disclosed %d records of %s under %s, want %d", c.ID.Subject, s, got[[3]string{s, k[0], k[1]}], k[0], k[1], 2*n)
				}
			}
		}
		// An agency lists only its own data's disclosures; the others' are refused.
		skv := byName["skv-analytiker"]
		code, body = skv.do(t, h, "GET", "/api/v1/disclosures", "")
		if code != 200 || listLen(body, "disclosures") == 0 {
			t.Fatalf("skv disclosures: %d %v", code, body)
		}
		for _, d := range body["disclosures"].([]any) {
			if d.(map[string]any)["owner_agency"] != "skv" {
				t.Errorf("skv sees a disclosure of another agency's data: %v", d)
			}
		}
		if code, _ := skv.do(t, h, "GET", "/api/v1/disclosures?agency=fk", ""); code != http.StatusForbidden {
			t.Errorf("skv reading fk's disclosures: %d, want 403", code)
		}
	})

	t.Run("decisions", func(t *testing.T) {
		fk, adm := byName["fk-analytiker"], byName["admin"]
		code, body := fk.do(t, h, "GET", "/api/v1/decisions", "")
		if code != 200 || listLen(body, "decisions") != 3 {
			t.Errorf("fk lists %d decisions (%d), want its 3", listLen(body, "decisions"), code)
		}
		if code, _ := fk.do(t, h, "GET", "/api/v1/decisions/"+samverkantest.NotMember, ""); code != http.StatusNotFound {
			t.Errorf("fk reading a decision it is no member of: %d, want 404", code)
		}
		if code, _ := fk.do(t, h, "POST", "/api/v1/decisions/"+samverkantest.Valid+"/revoke", ""); code != http.StatusForbidden {
			t.Errorf("fk revoking a decision: %d, want 403", code)
		}
		newDec := `{"id":"SB-NEW","name":"Ny","purpose":"Test","agencies":["kfm","skv"],"scope":"Stockholm","valid_from":"2020-01-01","valid_until":"2099-12-31","decided_by":"Operativa rådet","decided_at":"2020-01-01"}`
		if code, body := adm.do(t, h, "POST", "/api/v1/decisions", newDec); code != http.StatusCreated {
			t.Fatalf("admin creates a decision: %d %v", code, body)
		}
		if code, _ := adm.do(t, h, "POST", "/api/v1/decisions", newDec); code != http.StatusConflict {
			t.Errorf("the same id again: %d, want 409", code)
		}
		for _, bad := range []struct{ body, param string }{
			{`{"id":"x y","name":"a","purpose":"b","agencies":["skv","fk"],"scope":"5300","valid_from":"2020-01-01","valid_until":"2021-01-01","decided_by":"c","decided_at":"2020-01-01"}`, "id"},
			{`{"id":"SB-B","name":"a","purpose":"b","agencies":["skv"],"scope":"5300","valid_from":"2020-01-01","valid_until":"2021-01-01","decided_by":"c","decided_at":"2020-01-01"}`, "agencies"},
			{`{"id":"SB-B","name":"a","purpose":"b","agencies":["skv","nsa"],"scope":"5300","valid_from":"2020-01-01","valid_until":"2021-01-01","decided_by":"c","decided_at":"2020-01-01"}`, "agencies"},
			{`{"id":"SB-B","name":"a","purpose":"b","agencies":["skv","fk"],"scope":"all","valid_from":"2020-01-01","valid_until":"2021-01-01","decided_by":"c","decided_at":"2020-01-01"}`, "scope"},
			{`{"id":"SB-B","name":"a","purpose":"b","agencies":["skv","fk"],"area_ids":["2025-SO99999"],"valid_from":"2020-01-01","valid_until":"2021-01-01","decided_by":"c","decided_at":"2020-01-01"}`, "scope"},
			{`{"id":"SB-B","name":"a","purpose":"b","agencies":["skv","fk"],"scope":"5300","valid_from":"2021-01-01","valid_until":"2020-01-01","decided_by":"c","decided_at":"2020-01-01"}`, "valid_until"},
			{`{"id":"SB-B","name":"a\u0000","purpose":"b","agencies":["skv","fk"],"scope":"5300","valid_from":"2020-01-01","valid_until":"2021-01-01","decided_by":"c","decided_at":"2020-01-01"}`, "name"},
		} {
			code, body := adm.do(t, h, "POST", "/api/v1/decisions", bad.body)
			e, _ := body["error"].(map[string]any)
			if code != http.StatusBadRequest || e["parameter"] != bad.param {
				t.Errorf("bad decision %s: %d %v, want 400 naming %s", bad.body, code, body, bad.param)
			}
		}
	})

	t.Run("contribute", func(t *testing.T) {
		fk := byName["fk-analytiker"]
		csv := "source_id,agency,category,time,classification,decision,lat,lon\n" +
			"fk-post-1,fk,felaktig_utbetalning,2025-06-01 10:00,sekretess," + samverkantest.Valid + ",59.3945,17.9051\n"
		if code, body := fk.do(t, h, "POST", "/api/v1/observations?source=fk-api&format=csv", csv); code != 200 || body["inserted"] != 1.0 {
			t.Errorf("fk adds its own observation: %d %v", code, body)
		}
		other := strings.ReplaceAll(strings.ReplaceAll(csv, "fk-post-1,fk,felaktig_utbetalning", "fk-post-2,skv,kontrollbesok"), "", "")
		code, body := fk.do(t, h, "POST", "/api/v1/observations?source=fk-api&format=csv", other)
		if code != http.StatusUnprocessableEntity || listLen(body, "errors") != 1 {
			t.Errorf("fk adds skv's observation: %d %v, want 422 naming the record", code, body)
		}
		if code, _ := byName["admin"].do(t, h, "POST", "/api/v1/observations?source=x&format=xml", csv); code != http.StatusBadRequest {
			t.Errorf("format=xml: %d, want 400", code)
		}
	})

	t.Run("hostile parameters", func(t *testing.T) {
		skv := byName["skv-analytiker"]
		for _, c := range []struct{ target, param string }{
			{"/api/v1/observations?from=2025-13-01", "from"},
			{"/api/v1/observations?to=x%00y", "to"},
			{"/api/v1/observations?region=5300%27%20OR%201=1", "region"},
			{"/api/v1/observations?area=" + url.QueryEscape("2025-SO9' OR '1'='1"), "area"},
			{"/api/v1/observations?agency=" + strings.Repeat("a", 5000), "agency"},
			{"/api/v1/observations?category=DROP%20TABLE", "category"},
			{"/api/v1/observations?kind=all", "kind"},
			{"/api/v1/observations?bbox=1,2,3", "bbox"},
			{"/api/v1/observations?bbox=NaN,1,2,3", "bbox"},
			{"/api/v1/observations?limit=-1", "limit"},
			{"/api/v1/observations?limit=99999999999999999999", "limit"},
			{"/api/v1/observations?format=csv", "format"},
			{"/api/v1/observations?decision=SB-VALID", "decision"},
			{"/api/v1/disclosures?since=yesterday", "since"},
			{"/api/v1/disclosures?agency=" + url.QueryEscape("skv'--"), "agency"},
			{"/api/v1/areas/2025-SO9/observations?from=0000-00-00", "from"},
			{"/api/v1/decisions/" + url.PathEscape("../../etc"), "decision"},
		} {
			code, body := skv.do(t, h, "GET", c.target, "")
			e, _ := body["error"].(map[string]any)
			if code != http.StatusBadRequest || e["parameter"] != c.param {
				t.Errorf("GET %.80s: %d %v, want 400 naming %s", c.target, code, body, c.param)
			}
		}
	})

	t.Run("revocation and expiry take effect at once", func(t *testing.T) {
		adm, fk, reg, mv := byName["admin"], byName["fk-analytiker"], byName["pm-regional"], byName["mv-analytiker"]
		if code, body := adm.do(t, h, "POST", "/api/v1/decisions/"+samverkantest.Valid+"/revoke", ""); code != 200 || body["status"] != "revoked" {
			t.Fatalf("revoke: %d %v", code, body)
		}
		// fk keeps its own (5 + the indicator + the one it added; sensitive ones unlisted).
		if code, body := fk.do(t, h, "GET", "/api/v1/observations", ""); code != 200 || listLen(body, "observations") != 7 {
			t.Errorf("fk after revocation: %d rows, want its own 7", listLen(body, "observations"))
		}
		if code, body := reg.do(t, h, "GET", "/api/v1/observations", ""); code != 200 || listLen(body, "observations") != 0 {
			t.Errorf("police after revocation: %d rows, want 0", listLen(body, "observations"))
		}
		if _, body := reg.do(t, h, "GET", "/api/v1/areas/2025-SO9/observations", ""); pictureTotal(body) != 0 {
			t.Errorf("police area picture after revocation: %v", body)
		}
		// Expiry: the decision's end moved into the past.
		exp := `{"name":"Skv och Mv","purpose":"Arbetsplatskontroller","agencies":["skv","mv"],"scope":"5300","valid_from":"2020-01-01","valid_until":"2021-01-01","decided_by":"Operativa rådet","decided_at":"2020-01-01"}`
		if code, body := adm.do(t, h, "PUT", "/api/v1/decisions/"+samverkantest.NotMember, exp); code != 200 || body["status"] != "expired" {
			t.Fatalf("expire: %d %v", code, body)
		}
		if code, body := mv.do(t, h, "GET", "/api/v1/observations", ""); code != 200 || listLen(body, "observations") != 0 {
			t.Errorf("mv after expiry: %d rows, want 0", listLen(body, "observations"))
		}
		if code, body := adm.do(t, h, "GET", "/api/v1/decisions/"+samverkantest.NotMember, ""); code != 200 || listLen(body, "history") != 2 {
			t.Errorf("history of an updated decision: %d %v", code, body)
		}
	})
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
