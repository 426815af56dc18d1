package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// apiCheck validates requests and real responses of /api/v1 against the served OpenAPI
// document and remembers which operations it saw.
type apiCheck struct {
	e      *analysisEnv
	router routers.Router
	seen   map[string]bool
}

// do sends a request as who ("" national, or a token name) and validates request and response;
// it returns the status and body.
func (c *apiCheck) do(t *testing.T, who, method, path, contentType string, body []byte, header ...string) (int, []byte) {
	t.Helper()
	ctx := context.Background()
	newReq := func() *http.Request {
		req, err := http.NewRequest(method, c.e.srv.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		if tok, ok := c.e.tokens[who]; ok {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		return req
	}
	vreq := newReq()
	route, params, err := c.router.FindRoute(vreq)
	if err != nil {
		t.Errorf("%s %s: not in the OpenAPI document: %v", method, path, err)
		return 0, nil
	}
	c.seen[route.Operation.OperationID] = true
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if contentType == "text/csv" { // an import's file: the document says any media type
		in.Options.ExcludeRequestBody = true
	}
	reqErr := openapi3filter.ValidateRequest(ctx, in)
	resp, err := http.DefaultClient.Do(newReq())
	if err != nil {
		t.Fatal(err)
	}
	if reqErr != nil && resp.StatusCode != http.StatusBadRequest {
		// A request the document calls invalid must be one the server refuses.
		t.Errorf("%s %s: the request does not match the document (and got %d): %v", method, path, resp.StatusCode, reqErr)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(b)), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		msg := err.Error()
		t.Errorf("%s %s: the %d response does not match the document: %.2000s\n%.300s", method, path, resp.StatusCode, msg, b)
	}
	return resp.StatusCode, b
}

func (c *apiCheck) ok(t *testing.T, who, method, path string, want int, body any) []byte {
	t.Helper()
	var b []byte
	ct := ""
	if body != nil {
		b, _ = json.Marshal(body)
		ct = "application/json"
	}
	status, out := c.do(t, who, method, path, ct, b)
	if status != want {
		t.Errorf("%s %s: %d, want %d: %.300s", method, path, status, want, out)
	}
	return out
}

// checkAPIOpenAPI loads /api/v1/openapi.json with kin-openapi, validates it, and checks a real
// request and response of every operation it describes (and some errors) against it.
func checkAPIOpenAPI(t *testing.T, e *analysisEnv) {
	status, body := e.get(t, "", "/api/v1/openapi.json")
	if status != http.StatusOK {
		t.Fatalf("/api/v1/openapi.json: %d %s", status, body)
	}
	ctx := context.Background()
	doc, router := loadOpenAPI(t, body)
	text := func(r io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		b, err := io.ReadAll(r)
		return string(b), err
	}
	openapi3filter.RegisterBodyDecoder("text/html", text)
	openapi3filter.RegisterBodyDecoder("text/csv", text)
	c := &apiCheck{e: e, router: router, seen: map[string]bool{}}

	// The validator bites: a summary with an unknown field, or a count that is a string, fails.
	{
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/period", nil)
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatal(err)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
		for _, bad := range []string{`{"from":"2025-01-01","to":"2025-12-31","days":365,"extra":1}`, `{"from":"2025-01-01","to":"2025-12-31","days":"365"}`} {
			if err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{RequestValidationInput: in,
				Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(bad))}); err == nil {
				t.Errorf("%s passed the validation", bad)
			}
		}
	}

	const p = demoPeriod
	for _, path := range []string{
		"/api/v1/", "/api/v1/openapi.json", "/api/v1/me", "/api/v1/area-sets", "/api/v1/areas?set=2025", "/api/v1/areas?set=2019",
		"/api/v1/areas/2025-SO9", "/api/v1/kommuner", "/api/v1/lan", "/api/v1/polisregioner",
		"/api/v1/areas/2025-SO9/summary?" + p, "/api/v1/areas/2025-SO9/summary?format=csv&" + p, "/api/v1/areas/2025-SO16/report?" + p,
		"/api/v1/summaries?set=2025&" + p, "/api/v1/summaries?set=2025&region=5700&format=csv&" + p,
		"/api/v1/priority?set=2025&" + p, "/api/v1/priority?set=2025&normalization=zscore&weights=violent_rate:2,trend:1&format=csv&" + p,
		"/api/v1/compstat?level=area&id=2025-SO9&to=2026-10-31", "/api/v1/compstat?level=kommun&id=0180&preset=28d&to=2026-10-31",
		"/api/v1/compstat?level=lpo&id=531350&set=2025&to=2026-10-31&format=csv",
		"/api/v1/deviations?set=2025&to=2026-10-31", "/api/v1/deviations?window=month&kommun=0180&cells=true&to=2026-10-31",
		"/api/v1/period", "/api/v1/priority/profiles",
		"/api/v1/areas/2025-SO5/time-profile?" + p, "/api/v1/areas/2025-SO5/time-profile?group=narkotika&" + p,
		"/api/v1/areas/2025-SO6/emerging-hot-spots?group=ran&to=2026-10-31", "/api/v1/areas/2025-SO6/emerging-hot-spots?group=ran&to=2026-10-31&format=geojson",
		"/api/v1/emerging-hot-spots?region=5500&group=ran&to=2026-10-31&months=12",
		"/api/v1/emerging-hot-spots?region=5500&group=ran&to=2026-10-31&months=12&format=geojson",
		"/api/v1/areas/2025-SO16/near-repeat?group=misshandel_hot&permutations=19&" + p,
		"/api/v1/kommuner/1880/near-repeat?group=stold_inbrott&permutations=19&space_band_m=200&space_bands=3&time_band_days=14&time_bands=2&seed=7&" + p,
		"/api/v1/areas/2025-SO16/operations",
		// errors
		"/api/v1/areas/x", "/api/v1/areas/2025-SO99999", "/api/v1/summaries?set=2016", "/api/v1/compstat?level=nej",
		"/api/v1/areas/2025-SO9/summary?from=bad",
	} {
		c.ok(t, "", http.MethodGet, path, wantStatus(path), nil)
	}
	// The report describes every method that needs no points: LQ, the time profile, emerging hot spots.
	report := string(c.ok(t, "", http.MethodGet, "/api/v1/areas/2025-SO6/report?"+p, 200, nil))
	for _, want := range []string{"Lokaliseringskvot", "Veckodag och timme", "Framväxande brännpunkter", "Uppföljning av insatser"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report has no %q", want)
		}
	}
	if i := strings.Index(report, "<h2>Framväxande"); i >= 0 {
		t.Logf("%s", report[i:min(len(report), i+900)])
	}
	if status, _ := c.do(t, "gis", http.MethodGet, "/api/v1/areas", "", nil); status != http.StatusForbidden {
		t.Errorf("a gis token reads /areas: %d", status)
	}
	var ops struct {
		Operations []struct {
			Effect string `json:"effect"`
		} `json:"operations"`
	}
	_ = json.Unmarshal(c.ok(t, "", http.MethodGet, "/api/v1/areas/2025-SO16/operations", 200, nil), &ops)
	for i, o := range ops.Operations {
		if i < 2 {
			c.ok(t, "", http.MethodGet, o.Effect, 200, nil)
		}
	}
	c.ok(t, "", http.MethodGet, "/api/v1/operations/999999/effect?controls=3&buffer_m=300&pre_months=6&group=ran", 404, nil)

	// Weight profiles (national), accounts, tokens, the audit log and imports (admin).
	c.ok(t, "", http.MethodPut, "/api/v1/priority/profiles/openapi-test", 204, map[string]any{"description": "test", "weights": map[string]float64{"trend": 1}})
	c.ok(t, "", http.MethodGet, "/api/v1/priority?set=2025&profile=openapi-test&"+p, 200, nil)
	c.ok(t, "", http.MethodDelete, "/api/v1/priority/profiles/openapi-test", 204, nil)
	c.ok(t, "", http.MethodDelete, "/api/v1/priority/profiles/openapi-test", 404, nil)
	c.ok(t, "admin", http.MethodPost, "/api/v1/admin/users", 201, map[string]string{"username": "openapi-user", "display_name": "O",
		"password": "a long enough password", "role": "regional", "scope": "region:5700"})
	c.ok(t, "admin", http.MethodPost, "/api/v1/admin/users", 409, map[string]string{"username": "openapi-user", "display_name": "O",
		"password": "a long enough password", "role": "regional", "scope": "region:5700"})
	c.ok(t, "admin", http.MethodGet, "/api/v1/admin/users", 200, nil)
	login, _ := json.Marshal(map[string]string{"username": "openapi-user", "password": "a long enough password"})
	if status, b := c.do(t, "none", http.MethodPost, "/api/v1/session", "application/json", login); status != 200 {
		t.Errorf("login: %d %s", status, b)
	}
	if status, _ := c.do(t, "none", http.MethodDelete, "/api/v1/session", "", nil); status != 204 {
		t.Errorf("logout: %d", status)
	}
	c.ok(t, "admin", http.MethodPost, "/api/v1/admin/users/openapi-user/disable", 204, nil)
	var tok struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(c.ok(t, "admin", http.MethodPost, "/api/v1/admin/tokens", 201, map[string]any{"name": "openapi", "role": "gis",
		"scope": "region:5700", "layers": []string{"h3"}, "max_res": 7, "expires": "30d"}), &tok)
	c.ok(t, "admin", http.MethodGet, "/api/v1/admin/tokens", 200, nil)
	c.ok(t, "admin", http.MethodDelete, fmt.Sprintf("/api/v1/admin/tokens/%d", tok.ID), 204, nil)
	c.ok(t, "admin", http.MethodGet, "/api/v1/admin/audit?limit=5&action=read&since=2020-01-01", 200, nil)
	// An import whose every row is bad: 422, nothing stored, and the full list of rejects.
	var csv strings.Builder
	csv.WriteString("source_id,occurred_at,category,agency,lat,lon\n")
	for i := range 120 {
		fmt.Fprintf(&csv, "x%d,not a time,skottlossning,pm,59.3,18.0\n", i)
	}
	status, b := c.do(t, "admin", http.MethodPost, "/api/v1/imports?kind=incidents&format=csv&source=openapi-test&file=bad.csv", "text/csv", []byte(csv.String()))
	if status != http.StatusUnprocessableEntity {
		t.Errorf("bad import: %d %.300s", status, b)
	}
	var rej struct {
		Rejects struct {
			URL string `json:"url"`
		} `json:"rejects"`
	}
	_ = json.Unmarshal(b, &rej)
	if path, ok := strings.CutPrefix(rej.Rejects.URL, e.srv.URL); ok {
		if status, _ := c.do(t, "admin", http.MethodGet, path, "", nil); status != 200 {
			t.Errorf("rejects: %d", status)
		}
	} else {
		t.Errorf("no reject list: %s", b)
	}

	for _, pi := range doc.Paths.Map() {
		for _, o := range pi.Operations() {
			// The joint lägesbild's operations (a server with samverkan): TestSamverkanOpenAPI.
			if !c.seen[o.OperationID] && !slices.Contains(o.Tags, "samverkan") {
				t.Errorf("operation %s was not checked against a real response", o.OperationID)
			}
		}
	}
}

// loadOpenAPI loads and validates an OpenAPI document with kin-openapi and returns it with a
// router over it; the JSON media types of the service get the JSON body decoder.
func loadOpenAPI(t *testing.T, body []byte) (*openapi3.T, routers.Router) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatalf("the OpenAPI document does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range []string{"application/geo+json", "application/schema+json", "application/vnd.oai.openapi+json"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.JSONBodyDecoder)
	}
	return doc, router
}

// wantStatus is what the paths of checkAPIOpenAPI answer.
func wantStatus(path string) int {
	switch {
	case strings.HasSuffix(path, "/areas/x"), strings.Contains(path, "level=nej"), strings.Contains(path, "from=bad"):
		return http.StatusBadRequest
	case strings.Contains(path, "SO99999"), strings.Contains(path, "set=2016"):
		return http.StatusNotFound
	}
	return http.StatusOK
}
