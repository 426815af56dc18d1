package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/samverkan/samverkantest"
	"github.com/lagesbild/lagesbild/internal/summary"
)

// TestSamverkanOpenAPI checks real requests and responses of every operation of the joint
// lägesbild (tag samverkan: samverkansbeslut, observations, categories, the disclosure log,
// the region report) and of the summary and ranking with their observations against the
// served OpenAPI document, with kin-openapi, errors (400, 401, 403, 404, 409, 422) included.
func TestSamverkanOpenAPI(t *testing.T) {
	db, dbURL := pgtest.New(t)
	svc := samverkantest.Load(t, db)
	ctx := context.Background()
	authSvc := auth.NewService(db, false)
	api := &httpapi.Server{Areas: db, Ready: db, Logger: pgtest.Logger(t), Features: db, Auth: authSvc, Samverkan: svc,
		Summaries: summary.New(db, summary.Options{})}
	e := &analysisEnv{srv: httptest.NewServer(api.Handler()), tokens: map[string]string{}}
	t.Cleanup(e.srv.Close)
	for _, x := range samverkantest.Matrix() {
		agency := x.ID.Agency
		if x.ID.Role.PoliceRole() {
			agency = ""
		}
		tok, _, err := authSvc.CreateToken(ctx, auth.TokenRequest{Role: x.ID.Role, Scope: scopeText(x.ID.Scope), Agency: agency, CreatedBy: "test"})
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[x.ID.Subject] = tok
	}
	status, body := e.get(t, "admin", "/api/v1/openapi.json")
	if status != http.StatusOK {
		t.Fatalf("/api/v1/openapi.json: %d %s", status, body)
	}
	doc, router := loadOpenAPI(t, body)
	text := func(r io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		b, err := io.ReadAll(r)
		return string(b), err
	}
	openapi3filter.RegisterBodyDecoder("text/html", text)
	openapi3filter.RegisterBodyDecoder("text/csv", text)
	c := &apiCheck{e: e, router: router, seen: map[string]bool{}}

	const (
		reg, skv, fk, adm = "pm-regional", "skv-analytiker", "fk-analytiker", "admin"
		may               = "from=2025-05-01&to=2025-05-31"
	)
	for _, r := range []struct {
		who, path string
		want      int
	}{
		{reg, "/api/v1/decisions", 200},
		{adm, "/api/v1/decisions", 200},
		{reg, "/api/v1/decisions/" + samverkantest.Valid, 200},
		{adm, "/api/v1/decisions/" + samverkantest.Valid, 200}, // with its history
		{reg, "/api/v1/observations", 200},
		{reg, "/api/v1/observations?format=geojson&" + may, 200},
		{skv, "/api/v1/observations?agency=fk&kind=record&category=felaktig_utbetalning&region=5300&limit=10", 200},
		{fk, "/api/v1/observations?kind=indicator&area=2025-SO9&bbox=17.8,59.3,18.1,59.5", 200},
		{skv, "/api/v1/observation-categories", 200},
		{reg, "/api/v1/areas/2025-SO9/observations?" + may, 200},
		{skv, "/api/v1/areas/2025-SO9/observations", 200},
		{reg, "/api/v1/areas/2025-SO9/summary?" + may, 200},
		{reg, "/api/v1/priority?set=2025&region=5300&" + may, 200},
		{reg, "/api/v1/regions/5300/report?set=2025&" + may, 200},
		{skv, "/api/v1/disclosures", 200},
		{fk, "/api/v1/disclosures?since=2020-01-01&limit=5", 200},
		{adm, "/api/v1/disclosures", 200},
		{adm, "/api/v1/disclosures?agency=skv&until=2100-01-01", 200},
		// errors, each in the one error type
		{reg, "/api/v1/observations?kind=all", 400},
		{reg, "/api/v1/observations?decision=" + samverkantest.Valid, 400},
		{reg, "/api/v1/decisions/" + "%3Cb%3E", 400},
		{skv, "/api/v1/disclosures?since=yesterday", 400},
		{reg, "/api/v1/regions/9999/report", 400},
		{reg, "/api/v1/areas/2025-SO9/observations?from=2025-13-01", 400},
		{"none", "/api/v1/decisions", 401},
		{"none", "/api/v1/observations", 401},
		{adm, "/api/v1/observations", 403},
		{skv, "/api/v1/regions/5300/report", 403},
		{reg, "/api/v1/regions/5400/report", 403},
		{skv, "/api/v1/disclosures?agency=fk", 403},
		{skv, "/api/v1/decisions/" + samverkantest.Other + "x", 404},
		{fk, "/api/v1/decisions/" + samverkantest.NotMember, 404}, // fk takes no part in it
		{reg, "/api/v1/regions/5300/report?set=2016", 404},
	} {
		b := c.ok(t, r.who, http.MethodGet, r.path, r.want, nil)
		if r.want >= 400 {
			var er struct {
				Error struct {
					Code, Message string
				} `json:"error"`
			}
			if err := json.Unmarshal(b, &er); err != nil || er.Error.Code == "" || er.Error.Message == "" {
				t.Errorf("GET %s: %d without the error type: %.200s", r.path, r.want, b)
			}
		}
	}

	// Decisions: create, a duplicate, change, revoke (admin); an analyst may not.
	decision := map[string]any{"id": "SB-OPENAPI", "name": "OpenAPI-prov", "purpose": "Prov av dokumentet", "agencies": []string{"skv", "fk"},
		"scope": "5300", "valid_from": "2025-01-01", "valid_until": "2030-01-01", "decided_by": "Samverkansrådet", "decided_at": "2024-12-20"}
	c.ok(t, adm, http.MethodPost, "/api/v1/decisions", 201, decision)
	c.ok(t, adm, http.MethodPost, "/api/v1/decisions", 409, decision)
	c.ok(t, skv, http.MethodPost, "/api/v1/decisions", 403, decision)
	bad := map[string]any{"id": "SB-BAD", "name": "x", "purpose": "y", "agencies": []string{"skv"}, "scope": "5300",
		"valid_from": "igår", "valid_until": "2030-01-01", "decided_by": "z", "decided_at": "2024-12-20"}
	c.ok(t, adm, http.MethodPost, "/api/v1/decisions", 400, bad)
	decision["name"] = "OpenAPI-prov, ändrat"
	c.ok(t, adm, http.MethodPut, "/api/v1/decisions/SB-OPENAPI", 200, decision)
	c.ok(t, adm, http.MethodPut, "/api/v1/decisions/SB-NONE", 404, decision)
	c.ok(t, adm, http.MethodPost, "/api/v1/decisions/SB-OPENAPI/revoke", 200, nil)
	c.ok(t, adm, http.MethodPost, "/api/v1/decisions/SB-NONE/revoke", 404, nil)
	c.ok(t, adm, http.MethodGet, "/api/v1/decisions/SB-OPENAPI", 200, nil)
	// Each change through the API is in the audit log (and the decision's history, above).
	var audit []struct {
		Action, Resource, Result string
		Status                   int
	}
	if err := json.Unmarshal(c.ok(t, adm, http.MethodGet, "/api/v1/admin/audit?resource=/api/v1/decisions&limit=100", 200, nil), &audit); err != nil {
		t.Fatal(err)
	}
	changes := map[string]int{}
	for _, a := range audit {
		if a.Action == "write" && a.Result == "ok" {
			changes[a.Resource]++
		}
	}
	if changes["/api/v1/decisions"] != 1 || changes["/api/v1/decisions/SB-OPENAPI"] != 1 || changes["/api/v1/decisions/SB-OPENAPI/revoke"] != 1 {
		t.Errorf("the decision's create, change and revocation audited as %v (%d rows)", changes, len(audit))
	}

	// Observations through the API: stored, a rejected record (422 naming it), a wrong format.
	csv := "source_id,agency,category,time,classification,decision,lat,lon\n" +
		"fk-oa-1,fk,felaktig_utbetalning,2025-06-01 10:00,sekretess," + samverkantest.Valid + ",59.3945,17.9051\n"
	if status, b := c.do(t, fk, http.MethodPost, "/api/v1/observations?source=fk-api&format=csv", "text/csv", []byte(csv)); status != 200 {
		t.Errorf("POST observations: %d %s", status, b)
	}
	other := strings.ReplaceAll(csv, "fk-oa-1,fk,felaktig_utbetalning", "fk-oa-2,skv,kontrollbesok")
	status, b := c.do(t, fk, http.MethodPost, "/api/v1/observations?source=fk-api&format=csv", "text/csv", []byte(other))
	var rej struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
		Report struct {
			Rejected int `json:"rejected"`
			Errors   []struct {
				Line  int    `json:"line"`
				Field string `json:"field"`
			} `json:"errors"`
		} `json:"report"`
	}
	if err := json.Unmarshal(b, &rej); status != http.StatusUnprocessableEntity || err != nil || rej.Error.Code != "rejected" ||
		rej.Report.Rejected != 1 || len(rej.Report.Errors) != 1 || rej.Report.Errors[0].Line != 2 {
		t.Errorf("POST another agency's observation: %d %s, want 422 naming line 2", status, b)
	}
	// More bad records than a report names: the full list, for fk alone, as a CSV file.
	// Rejected while reading (a bad time) and by the database (a decision fk takes no part in).
	for _, bad := range []string{"not a time,sekretess,", "2025-06-01 10:00,sekretess," + samverkantest.NotMember} {
		var many strings.Builder
		many.WriteString("source_id,agency,category,time,classification,decision,lat,lon\n")
		for i := range 150 {
			fmt.Fprintf(&many, "fk-bad-%d,fk,felaktig_utbetalning,%s,59.3945,17.9051\n", i, bad)
		}
		status, b = c.do(t, fk, http.MethodPost, "/api/v1/observations?source=fk-api&format=csv", "text/csv", []byte(many.String()))
		var full struct {
			Report struct {
				Rejected      int `json:"rejected"`
				ErrorsOmitted int `json:"errors_omitted"`
			} `json:"report"`
			Rejects struct {
				URL   string `json:"url"`
				Count int    `json:"count"`
			} `json:"rejects"`
		}
		_ = json.Unmarshal(b, &full)
		if status != http.StatusUnprocessableEntity || full.Report.Rejected != 150 || full.Report.ErrorsOmitted != 50 || full.Rejects.Count != 150 {
			t.Errorf("150 bad observations: %d %.300s", status, b)
		}
		if path, ok := strings.CutPrefix(full.Rejects.URL, e.srv.URL); ok {
			status, list := c.do(t, fk, http.MethodGet, path, "", nil)
			if lines := strings.Count(string(list), "\n"); status != 200 || lines != 151 {
				t.Errorf("the full reject list: %d, %d lines, want 151", status, lines)
			}
			if status, _ := c.do(t, skv, http.MethodGet, path, "", nil); status != http.StatusNotFound {
				t.Errorf("skv reads fk's reject list: %d, want 404", status)
			}
		} else {
			t.Errorf("no full reject list: %.300s", b)
		}
	}
	if status, _ := c.do(t, fk, http.MethodPost, "/api/v1/observations?source=fk-api&format=xml", "text/csv", []byte(csv)); status != http.StatusBadRequest {
		t.Errorf("format=xml: %d, want 400", status)
	}
	if status, _ := c.do(t, "gis-none", http.MethodPost, "/api/v1/observations?source=fk-api", "text/csv", []byte(csv)); status != http.StatusUnauthorized {
		t.Errorf("POST observations without a token: %d, want 401", status)
	}

	// A disclosure cannot happen without its row: with the audit insert refused, another
	// agency's observations are not sent (503, the one error type, nothing of the data).
	owner := pgtest.Conn(t, dbURL)
	if _, err := owner.Exec(ctx, `REVOKE INSERT ON audit_log FROM lagesbild_reader`); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/observations", "/api/v1/areas/2025-SO9/observations", "/api/v1/disclosures"} {
		b := c.ok(t, skv, http.MethodGet, path, http.StatusServiceUnavailable, nil)
		for _, leak := range []string{samverkantest.Valid, "felaktig_utbetalning", "fk", "Delat enligt"} {
			if strings.Contains(string(b), leak) {
				t.Errorf("GET %s without audit: the body holds %q: %.200s", path, leak, b)
			}
		}
	}
	if _, err := owner.Exec(ctx, `GRANT INSERT ON audit_log TO lagesbild_reader`); err != nil {
		t.Fatal(err)
	}
	c.ok(t, skv, http.MethodGet, "/api/v1/observations", 200, nil)

	// Every operation of the joint lägesbild was checked, and the summary and ranking with their
	// observations.
	want := []string{"getAreaSummary", "getPriority"}
	for _, pi := range doc.Paths.Map() {
		for _, o := range pi.Operations() {
			if slices.Contains(o.Tags, "samverkan") {
				want = append(want, o.OperationID)
			}
		}
	}
	if len(want) < 2+12 {
		t.Errorf("only %d operations of the joint lägesbild in the document: %v", len(want)-2, want)
	}
	for _, id := range want {
		if !c.seen[id] {
			t.Errorf("operation %s was not checked against a real response", id)
		}
	}
}
