package httpapi_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/summary"
	"github.com/lagesbild/lagesbild/internal/tiles"
	"github.com/lagesbild/lagesbild/web"
)

// The security tests beside the access matrix: hostile parameters, response headers, browser
// sessions and CSRF, demo and disabled accounts, JWTs from an identity provider, the audit API,
// and the audit log failing closed. Each test has its own database.

// secEnv is the whole service (every store, tiles, summaries, imports, the web page and the
// auth service) over a database of its own, and an owner connection to check the database.
type secEnv struct {
	db    *postgis.DB
	dbURL string
	conn  *pgx.Conn
	api   *httpapi.Server
	srv   *httptest.Server
}

// newSecEnv starts the service; withDemo loads the demo incidents, presence and population;
// configure, when not nil, adjusts the server before its handler is built.
func newSecEnv(t *testing.T, withDemo bool, configure func(*httpapi.Server)) *secEnv {
	t.Helper()
	db, dbURL := pgtest.New(t)
	if withDemo {
		loadDemo(t, db, demo.Options{Seed: 11, Scale: 0.02}, true)
	}
	api := &httpapi.Server{Areas: db, Ready: db, Features: db, Logger: pgtest.Logger(t), Web: web.FS(),
		Tiles: tiles.NewService(db, db, 16<<20), Summaries: summary.New(db, summary.Options{}),
		Imports: newImportService(t, db), Auth: auth.NewService(db, false)}
	t.Cleanup(api.Auth.Close)
	// Close writes the open windows of failed logins while the database is there; without it the
	// window's row was written a minute later, after the test, and its log line panicked.
	t.Cleanup(api.Close)
	if configure != nil {
		configure(api)
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return &secEnv{db: db, dbURL: dbURL, conn: pgtest.Conn(t, dbURL), api: api, srv: srv}
}

// serverWith starts a second server over the same stores with another auth service.
func (e *secEnv) serverWith(t *testing.T, svc *auth.Service) *httptest.Server {
	t.Helper()
	api := *e.api
	api.Auth = svc
	t.Cleanup(svc.Close)
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// token creates an API token and returns it and its id.
func (e *secEnv) token(t *testing.T, role auth.Role, scope string) (string, int64) {
	t.Helper()
	plain, tok, err := e.api.Auth.CreateToken(context.Background(), auth.TokenRequest{Role: role, Scope: scope, Expires: "1d", CreatedBy: "security_test"})
	if err != nil {
		t.Fatalf("%s token: %v", role, err)
	}
	return plain, tok.ID
}

// secClient follows no redirects and keeps no cookies: every test sends exactly what it means to.
var secClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// do sends a request to base+path (path as it goes on the wire, already escaped) with the
// headers given as name, value pairs, and returns the response and its body.
func secDo(t *testing.T, base, method, path string, body io.Reader, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := secClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// secError is the JSON body of an error response.
type secError struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		Parameter string `json:"parameter"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

// errorBody decodes an error response, failing the test when it is not the service's JSON error.
func errorBody(t *testing.T, resp *http.Response, body []byte) secError {
	t.Helper()
	var e secError
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("error %d: Content-Type %q, want application/json: %.200q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		return e
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Errorf("error %d: not the JSON error body (%v): %.200q", resp.StatusCode, err, body)
	}
	return e
}

// checksum fingerprints what a request could change or destroy: the areas, incidents,
// accounts, tokens, sessions, imports, the data version and the tables themselves (the audit
// log is left out: every request appends to it).
func checksum(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	var s string
	err := conn.QueryRow(context.Background(), `SELECT concat_ws(' | ',
		(SELECT count(*) || ':' || md5(coalesce(string_agg(id || class || name, ',' ORDER BY id), '')) FROM area),
		(SELECT count(*) || ':' || md5(coalesce(string_agg(id || source || source_id || occurred_at, ',' ORDER BY id), '')) FROM incident),
		(SELECT count(*) || ':' || md5(coalesce(string_agg(id || username || role || scope || coalesce(disabled_at::text, '-'), ',' ORDER BY id), '')) FROM app_user),
		(SELECT count(*) || ':' || md5(coalesce(string_agg(id || role || scope || coalesce(revoked_at::text, '-'), ',' ORDER BY id), '')) FROM api_token),
		(SELECT count(*) FROM user_session),
		(SELECT count(*) FROM import_log),
		(SELECT version FROM data_version),
		(SELECT count(*) || ':' || md5(string_agg(table_name, ',' ORDER BY table_name)) FROM information_schema.tables WHERE table_schema = 'public'))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func count(t *testing.T, conn *pgx.Conn, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// hostile are the values sent in every parameter, as the server decodes them.
var hostile = []string{
	`' OR '1'='1`,
	`2025' OR '1'='1`,
	`1;DROP TABLE area--`,
	`2025;DROP TABLE area--`,
	`../../etc/passwd`,
	`..%2F..%2Fetc%2Fpasswd`, // encoded once more on the wire: the server sees the percent signs
	"\x00",
	"2025\x00",
	`%00`,
	`<script>alert(1)</script>`,
	"\xfe\xff", // not UTF-8
	// Long enough to be truncated for the audit row, at a byte that splits a character.
	"x" + strings.Repeat("å", 200),
}

// knownGap fails with everything observed of a gap that was found and fixed (a regression).
func knownGap(t *testing.T, observed []string, gap string) {
	t.Helper()
	if len(observed) > 0 {
		t.Errorf("%s:\n%s", gap, strings.Join(observed, "\n"))
	}
}

// injectionTarget is one parameter of one endpoint; at builds the request path (escaped as on
// the wire) for a payload.
type injectionTarget struct {
	name   string
	method string // GET when empty
	at     func(p string) string
	param  string // the parameter the 400 names; "" means the payload itself (an unknown parameter's name)
	admin  bool
	body   string
	// freeText marks the audit log's text filters, which compare the value as text: a payload
	// matches nothing and may be answered with no rows (200 and []) instead of 400.
	freeText bool
	// ogcID marks the identifiers of OGC API resources: OGC API – Features answers 404 for a
	// collection or feature that does not exist, and TestOGCErrors holds malformed ones to 404
	// too; a rejection as 400 is also fine.
	ogcID bool
}

// TestHostileParameters sends SQL injection, path traversal, NUL bytes and markup in every
// query and path parameter of every endpoint: each must be refused with 400 naming the
// parameter (never 500, never 200 with data), the database must be unchanged, and the error
// must be JSON (so a reflected <script> is never rendered).
func TestHostileParameters(t *testing.T) {
	e := newSecEnv(t, true, nil)
	nat, _ := e.token(t, auth.RoleNationell, "")
	admin, _ := e.token(t, auth.RoleAdmin, "")
	tile := tileAt(skaggetorp, 10) // z/x/y
	zxy := strings.Split(tile, "/")
	q, ps := url.QueryEscape, url.PathEscape
	csv := "source_id,occurred_at,category,agency,lat,lon\ninj1,2025-05-01T10:00:00Z,Misshandel,pm,58.4195,15.578\n"
	const areaPath = "/api/v1/areas/" + inArea

	targets := []injectionTarget{
		{name: "area-sets unknown parameter", at: func(p string) string { return "/api/v1/area-sets?" + q(p) + "=1" }},
		{name: "area-sets set", at: func(p string) string { return "/api/v1/area-sets?set=" + q(p) }, param: "set"},
		{name: "areas set", at: func(p string) string { return "/api/v1/areas?set=" + q(p) }, param: "set"},
		{name: "areas unknown parameter", at: func(p string) string { return "/api/v1/areas?set=2025&" + q(p) + "=1" }},
		{name: "area id", at: func(p string) string { return "/api/v1/areas/" + ps(p) }, param: "id"},
		{name: "area id with query", at: func(p string) string { return "/api/v1/areas/" + ps(p) + "?format=json" }, param: "id"},
		{name: "summary id", at: func(p string) string { return "/api/v1/areas/" + ps(p) + "/summary" }, param: "id"},
		{name: "summary from", at: func(p string) string { return areaPath + "/summary?from=" + q(p) }, param: "from"},
		{name: "summary to", at: func(p string) string { return areaPath + "/summary?to=" + q(p) }, param: "to"},
		{name: "summary format", at: func(p string) string { return areaPath + "/summary?format=" + q(p) }, param: "format"},
		{name: "report id", at: func(p string) string { return "/api/v1/areas/" + ps(p) + "/report" }, param: "id"},
		{name: "report from", at: func(p string) string { return areaPath + "/report?from=" + q(p) }, param: "from"},
		{name: "report to", at: func(p string) string { return areaPath + "/report?to=" + q(p) }, param: "to"},
		{name: "report format", at: func(p string) string { return areaPath + "/report?format=" + q(p) }, param: "format"},
		{name: "summaries set", at: func(p string) string { return "/api/v1/summaries?set=" + q(p) }, param: "set"},
		{name: "summaries region", at: func(p string) string { return "/api/v1/summaries?set=2025&region=" + q(p) }, param: "region"},
		{name: "summaries from", at: func(p string) string { return "/api/v1/summaries?set=2025&from=" + q(p) }, param: "from"},
		{name: "summaries to", at: func(p string) string { return "/api/v1/summaries?set=2025&to=" + q(p) }, param: "to"},
		{name: "summaries format", at: func(p string) string { return "/api/v1/summaries?set=2025&format=" + q(p) }, param: "format"},
		{name: "priority set", at: func(p string) string { return "/api/v1/priority?set=" + q(p) }, param: "set"},
		{name: "priority region", at: func(p string) string { return "/api/v1/priority?region=" + q(p) }, param: "region"},
		{name: "priority from", at: func(p string) string { return "/api/v1/priority?from=" + q(p) }, param: "from"},
		{name: "priority to", at: func(p string) string { return "/api/v1/priority?to=" + q(p) }, param: "to"},
		{name: "priority format", at: func(p string) string { return "/api/v1/priority?format=" + q(p) }, param: "format"},
		{name: "priority weights", at: func(p string) string { return "/api/v1/priority?weights=" + q(p) }, param: "weights"},
		{name: "priority weights value", at: func(p string) string { return "/api/v1/priority?weights=violent_rate:" + q(p) }, param: "weights"},
		{name: "priority normalization", at: func(p string) string { return "/api/v1/priority?normalization=" + q(p) }, param: "normalization"},
		{name: "kommuner unknown parameter", at: func(p string) string { return "/api/v1/kommuner?" + q(p) + "=1" }},
		{name: "kommuner set", at: func(p string) string { return "/api/v1/kommuner?set=" + q(p) }, param: "set"},
		{name: "lan unknown parameter", at: func(p string) string { return "/api/v1/lan?" + q(p) + "=1" }},
		{name: "polisregioner unknown parameter", at: func(p string) string { return "/api/v1/polisregioner?" + q(p) + "=1" }},
		{name: "me unknown parameter", at: func(p string) string { return "/api/v1/me?x=" + q(p) }, param: "x"},

		{name: "tile layers", at: func(p string) string { return "/tiles/" + ps(p) + "/" + tile + ".mvt" }, param: "layers"},
		{name: "tile second layer", at: func(p string) string { return "/tiles/h3," + ps(p) + "/" + tile + ".mvt" }, param: "layers"},
		{name: "tile z", at: func(p string) string { return "/tiles/h3/" + ps(p) + "/" + zxy[1] + "/" + zxy[2] + ".mvt" }, param: "z"},
		{name: "tile x", at: func(p string) string { return "/tiles/h3/" + zxy[0] + "/" + ps(p) + "/" + zxy[2] + ".mvt" }, param: "x"},
		{name: "tile y", at: func(p string) string { return "/tiles/h3/" + zxy[0] + "/" + zxy[1] + "/" + ps(p) + ".mvt" }, param: "y"},
		{name: "tile y extension", at: func(p string) string { return "/tiles/h3/" + tile + "." + ps(p) }, param: "y"},
		{name: "tile from", at: func(p string) string { return "/tiles/h3,omraden/" + tile + ".mvt?from=" + q(p) }, param: "from"},
		{name: "tile to", at: func(p string) string { return "/tiles/h3,omraden/" + tile + ".mvt?to=" + q(p) }, param: "to"},
		{name: "tile category", at: func(p string) string { return "/tiles/h3,omraden/" + tile + ".mvt?category=" + q(p) }, param: "category"},
		{name: "tile category list", at: func(p string) string { return "/tiles/h3/" + tile + ".mvt?category=vald," + q(p) }, param: "category"},
		{name: "tile agency", at: func(p string) string { return "/tiles/h3,omraden/" + tile + ".mvt?agency=" + q(p) }, param: "agency"},
		{name: "tile set", at: func(p string) string { return "/tiles/h3,omraden/" + tile + ".mvt?set=" + q(p) }, param: "set"},
		{name: "tile fields", at: func(p string) string { return "/tiles/h3,omraden/" + tile + ".mvt?fields=" + q(p) }, param: "fields"},
		{name: "tile unknown parameter", at: func(p string) string { return "/tiles/h3/" + tile + ".mvt?" + q(p) + "=1" }},
		{name: "tilejson", at: func(p string) string { return "/tiles/" + ps(p) + ".json" }, param: "layer"},
		{name: "tilejson unknown parameter", at: func(p string) string { return "/tiles/h3.json?" + q(p) + "=1" }},
		{name: "style unknown parameter", at: func(p string) string { return "/styles/lagesbild.json?" + q(p) + "=1" }},

		{name: "ogc collection", at: func(p string) string { return "/ogc/collections/" + ps(p) }, ogcID: true},
		{name: "ogc items collection", at: func(p string) string { return "/ogc/collections/" + ps(p) + "/items" }, ogcID: true},
		{name: "ogc items bbox", at: func(p string) string { return "/ogc/collections/omraden-2025/items?bbox=" + q(p) }, param: "bbox"},
		{name: "ogc items bbox number", at: func(p string) string { return "/ogc/collections/h3-r7/items?bbox=17.8,59.3,18.0," + q(p) }, param: "bbox"},
		{name: "ogc items datetime", at: func(p string) string { return "/ogc/collections/h3-r7/items?datetime=" + q(p) }, param: "datetime"},
		{name: "ogc items datetime end", at: func(p string) string {
			return "/ogc/collections/narvaro-insatser/items?datetime=2025-01-01T00:00:00Z/" + q(p)
		}, param: "datetime"},
		{name: "ogc items limit", at: func(p string) string { return "/ogc/collections/omraden-2025/items?limit=" + q(p) }, param: "limit"},
		{name: "ogc items offset", at: func(p string) string { return "/ogc/collections/omraden-2025/items?offset=" + q(p) }, param: "offset"},
		{name: "ogc items f", at: func(p string) string { return "/ogc/collections/omraden-2025/items?f=" + q(p) }, param: "f"},
		{name: "ogc items unknown parameter", at: func(p string) string { return "/ogc/collections/omraden-2025/items?" + q(p) + "=1" }},
		{name: "ogc area item", at: func(p string) string { return "/ogc/collections/omraden-2025/items/" + ps(p) }, ogcID: true},
		{name: "ogc kommun item", at: func(p string) string { return "/ogc/collections/kommuner/items/" + ps(p) }, ogcID: true},
		{name: "ogc office item", at: func(p string) string { return "/ogc/collections/narvaro-kontor/items/" + ps(p) }, ogcID: true},
		{name: "ogc h3 item", at: func(p string) string { return "/ogc/collections/h3-r7/items/" + ps(p) }, ogcID: true},
		{name: "ogc tileset", at: func(p string) string { return "/ogc/collections/kommuner/tiles/" + ps(p) }, ogcID: true},
		{name: "ogc tile matrix", at: func(p string) string {
			return "/ogc/collections/kommuner/tiles/WebMercatorQuad/" + ps(p) + "/0/0"
		}, param: "tileMatrix"},
		{name: "ogc tile row", at: func(p string) string { return "/ogc/collections/kommuner/tiles/WebMercatorQuad/2/" + ps(p) + "/0" }, param: "tileRow"},
		{name: "ogc tile col", at: func(p string) string { return "/ogc/collections/kommuner/tiles/WebMercatorQuad/2/0/" + ps(p) }, param: "tileCol"},
		{name: "ogc tile filter", at: func(p string) string {
			return "/ogc/collections/h3-r7/tiles/WebMercatorQuad/2/0/0?category=" + q(p)
		}, param: "category"},

		{name: "audit since", at: func(p string) string { return "/api/v1/admin/audit?since=" + q(p) }, param: "since", admin: true},
		{name: "audit until", at: func(p string) string { return "/api/v1/admin/audit?until=" + q(p) }, param: "until", admin: true},
		{name: "audit limit", at: func(p string) string { return "/api/v1/admin/audit?limit=" + q(p) }, param: "limit", admin: true},
		{name: "audit action", at: func(p string) string { return "/api/v1/admin/audit?action=" + q(p) }, param: "action", admin: true},
		{name: "audit subject", at: func(p string) string { return "/api/v1/admin/audit?subject=" + q(p) }, param: "subject", admin: true, freeText: true},
		{name: "audit resource", at: func(p string) string { return "/api/v1/admin/audit?resource=" + q(p) }, param: "resource", admin: true, freeText: true},
		{name: "audit unknown parameter", at: func(p string) string { return "/api/v1/admin/audit?" + q(p) + "=1" }, admin: true},
		{name: "revoke token id", method: http.MethodDelete, at: func(p string) string { return "/api/v1/admin/tokens/" + ps(p) }, param: "id", admin: true},
		{name: "disable user name", method: http.MethodPost, at: func(p string) string { return "/api/v1/admin/users/" + ps(p) + "/disable" }, param: "name", admin: true},
		{name: "import kind", method: http.MethodPost, at: func(p string) string { return "/api/v1/imports?format=csv&kind=" + q(p) }, param: "kind", admin: true, body: csv},
		{name: "import format", method: http.MethodPost, at: func(p string) string { return "/api/v1/imports?kind=incidents&format=" + q(p) }, param: "format", admin: true, body: csv},
		{name: "import source", method: http.MethodPost, at: func(p string) string {
			return "/api/v1/imports?kind=incidents&format=csv&source=" + q(p)
		}, param: "source", admin: true, body: csv},
		{name: "import file", method: http.MethodPost, at: func(p string) string {
			return "/api/v1/imports?kind=incidents&format=csv&file=" + q(p)
		}, param: "file", admin: true, body: csv},
		{name: "import skip_invalid", method: http.MethodPost, at: func(p string) string {
			return "/api/v1/imports?kind=incidents&format=csv&skip_invalid=" + q(p)
		}, param: "skip_invalid", admin: true, body: csv},
		{name: "import unknown parameter", method: http.MethodPost, at: func(p string) string {
			return "/api/v1/imports?kind=incidents&format=csv&" + q(p) + "=1"
		}, admin: true, body: csv},
	}

	before := checksum(t, e.conn)
	if n := count(t, e.conn, `SELECT count(*) FROM incident`); n == 0 {
		t.Fatal("no demo incidents to protect")
	}
	var printable, unstorable []string
	for _, p := range hostile {
		if strings.ContainsRune(p, 0) || !utf8.ValidString(p) || len(p) > 200 {
			unstorable = append(unstorable, p)
		} else {
			printable = append(printable, p)
		}
	}
	for _, tg := range targets {
		tok := nat
		if tg.admin {
			tok = admin
		}
		method := tg.method
		if method == "" {
			method = http.MethodGet
		}
		// try sends one payload and reports what is wrong with the answer ("" if nothing).
		try := func(t *testing.T, p string) string {
			path := tg.at(p)
			var body io.Reader
			if tg.body != "" {
				body = strings.NewReader(tg.body)
			}
			resp, b := secDo(t, e.srv.URL, method, path, body, bearer(tok)...)
			if tg.freeText && resp.StatusCode == http.StatusOK {
				if strings.TrimSpace(string(b)) != "[]" {
					return fmt.Sprintf("%s %s: 200 with rows, want none: %.200q", method, path, b)
				}
				return ""
			}
			if resp.StatusCode >= 500 || (resp.StatusCode >= 200 && resp.StatusCode < 300) {
				return fmt.Sprintf("%s %s: %d, want 400: %.200q", method, path, resp.StatusCode, b)
			}
			er := errorBody(t, resp, b)
			want := tg.param
			if want == "" {
				// An unknown parameter is named as JSON can carry it: bytes that are not UTF-8
				// become U+FFFD.
				j, _ := json.Marshal(p)
				_ = json.Unmarshal(j, &want)
				// Past 100 characters it is cut there (issue 18: a 100 KB name was echoed in full).
				if r := []rune(want); len(r) > 100 {
					want = string(r[:100]) + "…"
				}
			}
			switch {
			case count(t, e.conn, `SELECT count(*) FROM audit_log WHERE request_id = $1 AND status = $2`, er.Error.RequestID, resp.StatusCode) != 1:
				return fmt.Sprintf("%s %s: %d, not in the audit log", method, path, resp.StatusCode)
			case tg.ogcID && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusBadRequest):
				return ""
			case resp.StatusCode != http.StatusBadRequest || er.Error.Code != "invalid" || er.Error.Parameter != want:
				return fmt.Sprintf("%s %s: %d %q naming %q, want 400 invalid naming %q", method, path, resp.StatusCode, er.Error.Code, er.Error.Parameter, want)
			}
			return ""
		}
		for _, group := range []struct {
			name     string
			payloads []string
		}{{tg.name, printable}, {tg.name + " (NUL, not UTF-8, long)", unstorable}} {
			t.Run(group.name, func(t *testing.T) {
				for _, p := range group.payloads {
					if problem := try(t, p); problem != "" {
						t.Error(problem)
					}
				}
			})
		}
	}

	// Traversal in the path itself, outside any parameter: no file of the host is served and the
	// web page's file server stays inside its embedded files.
	for _, path := range []string{
		"/../../etc/passwd", "/..%2F..%2Fetc%2Fpasswd", "/%2e%2e/%2e%2e/etc/passwd", "/api/v1/../../../etc/passwd",
		"/api/v1/areas/..%2F..%2F..%2Fetc%2Fpasswd/summary", "/tiles/..%2F..%2Fetc%2Fpasswd", "/web/../go.mod", "/..%5c..%5cgo.mod",
	} {
		resp, b := secDo(t, e.srv.URL, http.MethodGet, path, nil, bearer(nat)...)
		if resp.StatusCode == http.StatusOK || resp.StatusCode >= 500 || strings.Contains(string(b), "root:") || strings.Contains(string(b), "module github.com") {
			t.Errorf("GET %s: %d %.200q", path, resp.StatusCode, b)
		}
	}

	if after := checksum(t, e.conn); after != before {
		t.Errorf("the database changed:\nbefore %s\nafter  %s", before, after)
	}
	// The service still answers normally.
	resp, b := secDo(t, e.srv.URL, http.MethodGet, "/api/v1/areas?set=2025", nil, bearer(nat)...)
	var got fc
	if resp.StatusCode != 200 || json.Unmarshal(b, &got) != nil || len(got.Features) != 65 {
		t.Errorf("after the attempts: %d, %d areas", resp.StatusCode, len(got.Features))
	}
}

// TestMalformedQueryString covers query strings that Go's parser cannot read: a raw semicolon
// or a broken percent escape. url.Values drops such pairs silently, so the parameter must not
// then be taken as absent (answering with the default list).
func TestMalformedQueryString(t *testing.T) {
	e := newSecEnv(t, false, nil)
	nat, _ := e.token(t, auth.RoleNationell, "")
	before := checksum(t, e.conn)
	var dropped []string
	for _, path := range []string{
		"/api/v1/areas?set=2025;DROP%20TABLE%20area--",
		"/api/v1/areas?set=1;DROP%20TABLE%20area--",
		"/api/v1/areas?set=%zz",
		"/api/v1/areas?set=2025%",
		"/tiles/omraden/" + tileAt(skaggetorp, 10) + ".mvt?set=1;DROP%20TABLE%20area--",
		"/ogc/collections/omraden-2025/items?limit=1;DROP%20TABLE%20area--",
	} {
		resp, b := secDo(t, e.srv.URL, http.MethodGet, path, nil, bearer(nat)...)
		switch resp.StatusCode {
		case http.StatusBadRequest:
			errorBody(t, resp, b)
		case http.StatusOK:
			dropped = append(dropped, fmt.Sprintf("GET %s: 200, the parameter silently dropped", path))
		default:
			t.Errorf("GET %s: %d, want 400: %.120q", path, resp.StatusCode, b)
		}
	}
	if after := checksum(t, e.conn); after != before {
		t.Errorf("the database changed:\nbefore %s\nafter  %s", before, after)
	}
	knownGap(t, dropped, "pairs url.ParseQuery cannot read are dropped before checkParams sees them")
}

// csp parses a Content-Security-Policy into its directives.
func csp(h string) map[string][]string {
	out := map[string][]string{}
	for _, d := range strings.Split(h, ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			out[strings.ToLower(f[0])] = f[1:]
		}
	}
	return out
}

// checkSecurityHeaders asserts the headers every response carries.
func checkSecurityHeaders(t *testing.T, what string, resp *http.Response) {
	t.Helper()
	h := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(h, "frame-ancestors 'none'") || !strings.Contains(h, "script-src 'self'") {
		t.Errorf("%s: Content-Security-Policy %q lacks frame-ancestors 'none' or script-src 'self'", what, h)
	}
	d := csp(h)
	if !slices.Equal(d["script-src"], []string{"'self'"}) {
		t.Errorf("%s: script-src %v, want only 'self' (no inline, eval or other origins)", what, d["script-src"])
	}
	if !slices.Contains(d["worker-src"], "blob:") || !slices.Contains(d["worker-src"], "'self'") {
		t.Errorf("%s: worker-src %v, want 'self' and blob: (MapLibre's workers)", what, d["worker-src"])
	}
	if !slices.Contains(d["img-src"], "blob:") || !slices.Contains(d["img-src"], "data:") || !slices.Equal(d["connect-src"], []string{"'self'"}) {
		t.Errorf("%s: img-src %v, connect-src %v", what, d["img-src"], d["connect-src"])
	}
	if !slices.Equal(d["default-src"], []string{"'self'"}) {
		t.Errorf("%s: default-src %v", what, d["default-src"])
	}
	if v := resp.Header.Get("X-Content-Type-Options"); v != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", what, v)
	}
}

var (
	scriptTag   = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	srcAttr     = regexp.MustCompile(`(?i)\bsrc\s*=\s*["']([^"']+)["']`)
	hrefAttr    = regexp.MustCompile(`(?i)<link\b[^>]*\bhref\s*=\s*["']([^"']+)["']`)
	inlineEvent = regexp.MustCompile(`(?i)<[^>]+\son[a-z]+\s*=`)
	jsImport    = regexp.MustCompile(`(?m)^\s*import\b[^'"]*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]`)
)

// sameOrigin reports whether a URL in the page is loaded from the page's own origin.
func sameOrigin(ref string) bool {
	u, err := url.Parse(ref)
	return err == nil && u.Scheme == "" && u.Host == "" && !strings.HasPrefix(ref, "//")
}

// TestSecurityHeaders checks the headers of an API response, a tile, errors and the web page,
// and that the page loads its scripts from its own origin only, as its CSP demands.
func TestSecurityHeaders(t *testing.T) {
	e := newSecEnv(t, false, nil)
	nat, _ := e.token(t, auth.RoleNationell, "")

	resp, b := secDo(t, e.srv.URL, http.MethodGet, "/api/v1/areas?set=2025", nil, bearer(nat)...)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "FeatureCollection") {
		t.Fatalf("areas: %d %.100s", resp.StatusCode, b)
	}
	checkSecurityHeaders(t, "API response", resp)

	resp, b = secDo(t, e.srv.URL, http.MethodGet, "/tiles/kommuner/"+tileAt(skaggetorp, 8)+".mvt", nil, bearer(nat)...)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" || len(b) == 0 {
		t.Fatalf("tile: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(b))
	}
	checkSecurityHeaders(t, "tile", resp)

	for _, c := range []struct {
		path   string
		header []string
		status int
	}{
		{"/api/v1/areas?set=abc", bearer(nat), 400},
		{"/api/v1/me", nil, 401},
		{"/api/v1/admin/users", bearer(nat), 403},
		{"/api/v1/nothing", bearer(nat), 404},
		{"/tiles/nope/1/1/1.mvt", bearer(nat), 404},
	} {
		resp, b := secDo(t, e.srv.URL, http.MethodGet, c.path, nil, c.header...)
		if resp.StatusCode != c.status {
			t.Errorf("%s: %d, want %d", c.path, resp.StatusCode, c.status)
		}
		errorBody(t, resp, b)
		checkSecurityHeaders(t, fmt.Sprintf("error %d of %s", resp.StatusCode, c.path), resp)
	}

	// The page, and every script it loads: from the same origin, none inline.
	resp, b = secDo(t, e.srv.URL, http.MethodGet, "/", nil)
	page := string(b)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(page, "<html") {
		t.Fatalf("page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	checkSecurityHeaders(t, "web page", resp)
	if inlineEvent.MatchString(page) || strings.Contains(strings.ToLower(page), "javascript:") {
		t.Error("the page has inline event handlers or javascript: URLs, which script-src 'self' blocks")
	}
	var scripts []string
	for _, m := range scriptTag.FindAllStringSubmatch(page, -1) {
		src := srcAttr.FindStringSubmatch(m[1])
		if src == nil || strings.TrimSpace(m[2]) != "" {
			t.Errorf("inline script %.80q: script-src 'self' blocks it", m[0])
			continue
		}
		scripts = append(scripts, src[1])
	}
	if len(scripts) == 0 {
		t.Fatal("the page loads no script")
	}
	for _, m := range hrefAttr.FindAllStringSubmatch(page, -1) {
		if !sameOrigin(m[1]) {
			t.Errorf("the page links %s from another origin", m[1])
		}
	}
	// Follow the module graph of the page's own scripts (the vendored MapLibre is one file).
	seen := map[string]bool{}
	for len(scripts) > 0 {
		ref := scripts[0]
		scripts = scripts[1:]
		if !sameOrigin(ref) {
			t.Errorf("script %s comes from another origin", ref)
			continue
		}
		u, _ := url.Parse(e.srv.URL + "/")
		u, _ = u.Parse(ref)
		if seen[u.Path] {
			continue
		}
		seen[u.Path] = true
		resp, b := secDo(t, e.srv.URL, http.MethodGet, u.Path, nil)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") {
			t.Errorf("script %s: %d %s", u.Path, resp.StatusCode, resp.Header.Get("Content-Type"))
			continue
		}
		checkSecurityHeaders(t, "script "+u.Path, resp)
		if strings.HasPrefix(u.Path, "/vendor/") {
			continue
		}
		for _, m := range jsImport.FindAllStringSubmatch(string(b), -1) {
			ref := m[1] + m[2]
			base, _ := url.Parse(e.srv.URL + u.Path)
			next, err := base.Parse(ref)
			if err != nil || !sameOrigin(ref) {
				t.Errorf("%s imports %s from another origin", u.Path, ref)
				continue
			}
			scripts = append(scripts, next.Path)
		}
	}
	if !seen["/js/main.js"] || !seen["/js/api.js"] || !seen["/vendor/maplibre-gl/maplibre-gl.mjs"] {
		t.Errorf("scripts loaded: %v, want js/main.js, its modules and the vendored MapLibre", seen)
	}
}

// login posts the login form as JSON.
func login(t *testing.T, base, username, password string, header ...string) (*http.Response, []byte) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	return secDo(t, base, http.MethodPost, "/api/v1/session", strings.NewReader(string(body)),
		append([]string{"Content-Type", "application/json"}, header...)...)
}

func sessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == "lagesbild_session" {
			return c
		}
	}
	return nil
}

func withCookie(c *http.Cookie, header ...string) []string {
	return append([]string{"Cookie", c.Name + "=" + c.Value}, header...)
}

// meOf reads GET /api/v1/me.
type meBody struct {
	Subject   string `json:"subject"`
	Role      string `json:"role"`
	Via       string `json:"via"`
	Demo      bool   `json:"demo"`
	CSRFToken string `json:"csrf_token"`
}

func decodeMe(t *testing.T, b []byte) meBody {
	t.Helper()
	var m meBody
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not the /me body: %v: %.200s", err, b)
	}
	return m
}

const secPassword = "korrekt häst batteri häftklammer"

func createUser(t *testing.T, svc *auth.Service, name string, role auth.Role, scope string, isDemo bool) {
	t.Helper()
	if _, err := svc.CreateUser(context.Background(), auth.NewUser{Username: name, Password: secPassword, Role: role, Scope: scope, Demo: isDemo}); err != nil {
		t.Fatalf("user %s: %v", name, err)
	}
}

// TestSessions logs in through the API: the cookie's flags, the CSRF token, state-changing
// requests with and without it, logout, failed logins and their rate limit.
func TestSessions(t *testing.T) {
	e := newSecEnv(t, false, nil)
	base := e.srv.URL
	createUser(t, e.api.Auth, "anna.analytiker", auth.RoleNationell, "", false)
	createUser(t, e.api.Auth, "adam.admin", auth.RoleAdmin, "", false)
	createUser(t, e.api.Auth, "rate.limited", auth.RoleNationell, "", false)

	// Login: 200, a session cookie the page's scripts cannot read, sent on same-site requests only,
	// Secure when the client came over TLS (directly or as the proxy says).
	resp, b := login(t, base, "anna.analytiker", secPassword)
	c := sessionCookie(resp)
	if resp.StatusCode != 200 || c == nil {
		t.Fatalf("login: %d %s, cookie %v", resp.StatusCode, b, c)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.Path != "/" || !auth.LooksLikeSessionID(c.Value) {
		t.Errorf("session cookie over plain HTTP: %+v (Set-Cookie %q)", c, resp.Header.Get("Set-Cookie"))
	}
	loginMe := decodeMe(t, b)
	if loginMe.Subject != "anna.analytiker" || loginMe.Via != "session" || loginMe.CSRFToken == "" {
		t.Errorf("login body: %+v", loginMe)
	}
	resp, _ = login(t, base, "anna.analytiker", secPassword, "X-Forwarded-Proto", "https")
	if tls := sessionCookie(resp); resp.StatusCode != 200 || tls == nil || !tls.Secure || !tls.HttpOnly || tls.SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie behind TLS: %d %+v", resp.StatusCode, tls)
	}

	// The cookie reads data, and /me hands the page its CSRF token.
	resp, b = secDo(t, base, http.MethodGet, "/api/v1/me", nil, withCookie(c)...)
	me := decodeMe(t, b)
	if resp.StatusCode != 200 || me.CSRFToken == "" || me.CSRFToken != loginMe.CSRFToken || me.Role != "nationell" {
		t.Fatalf("me: %d %+v", resp.StatusCode, me)
	}
	resp, b = secDo(t, base, http.MethodGet, "/api/v1/areas?set=2025", nil, withCookie(c)...)
	var areas fc
	if resp.StatusCode != 200 || json.Unmarshal(b, &areas) != nil || len(areas.Features) != 65 {
		t.Fatalf("areas with the cookie: %d, %d areas", resp.StatusCode, len(areas.Features))
	}

	// A state-changing request with the cookie needs the CSRF token.
	sessions := count(t, e.conn, `SELECT count(*) FROM user_session`)
	for _, h := range [][]string{nil, {"X-CSRF-Token", "wrong"}, {"X-CSRF-Token", ""}} {
		resp, b := secDo(t, base, http.MethodDelete, "/api/v1/session", nil, withCookie(c, h...)...)
		if er := errorBody(t, resp, b); resp.StatusCode != 403 || er.Error.Code != "forbidden" {
			t.Errorf("logout with CSRF header %v: %d %s", h, resp.StatusCode, b)
		}
		if sessionCookie(resp) != nil {
			t.Errorf("a refused logout touched the cookie")
		}
	}
	if n := count(t, e.conn, `SELECT count(*) FROM user_session`); n != sessions {
		t.Errorf("refused logouts: %d sessions, want %d", n, sessions)
	}
	if resp, _ := secDo(t, base, http.MethodGet, "/api/v1/me", nil, withCookie(c)...); resp.StatusCode != 200 {
		t.Errorf("the session ended without a CSRF token: %d", resp.StatusCode)
	}

	// An admin's session: imports and account changes need the token too, and only its own.
	resp, b = login(t, base, "adam.admin", secPassword)
	ac := sessionCookie(resp)
	if resp.StatusCode != 200 || ac == nil {
		t.Fatalf("admin login: %d %s", resp.StatusCode, b)
	}
	adminCSRF := decodeMe(t, b).CSRFToken
	csv := "source_id,occurred_at,category,agency,lat,lon\ncsrf1,2025-05-01T10:00:00Z,Misshandel,pm,58.4195,15.578\n"
	importPath := "/api/v1/imports?kind=incidents&format=csv&source=csrf.test"
	newUser := `{"username":"via.csrf","password":"` + secPassword + `","role":"nationell"}`
	before := checksum(t, e.conn)
	for _, h := range [][]string{nil, {"X-CSRF-Token", loginMe.CSRFToken}} {
		resp, b := secDo(t, base, http.MethodPost, importPath, strings.NewReader(csv), withCookie(ac, append([]string{"Content-Type", "text/csv"}, h...)...)...)
		if resp.StatusCode != 403 {
			t.Errorf("import with CSRF header %v: %d %.200s", h, resp.StatusCode, b)
		}
		resp, b = secDo(t, base, http.MethodPost, "/api/v1/admin/users", strings.NewReader(newUser), withCookie(ac, h...)...)
		if resp.StatusCode != 403 {
			t.Errorf("create user with CSRF header %v: %d %.200s", h, resp.StatusCode, b)
		}
	}
	if after := checksum(t, e.conn); after != before {
		t.Errorf("refused writes changed the database:\nbefore %s\nafter  %s", before, after)
	}
	resp, b = secDo(t, base, http.MethodPost, importPath, strings.NewReader(csv), withCookie(ac, "Content-Type", "text/csv", "X-CSRF-Token", adminCSRF)...)
	if resp.StatusCode != 200 || count(t, e.conn, `SELECT count(*) FROM incident WHERE source_id = 'csrf1'`) != 1 {
		t.Errorf("import with the CSRF token: %d %.200s", resp.StatusCode, b)
	}
	resp, b = secDo(t, base, http.MethodPost, "/api/v1/admin/users", strings.NewReader(newUser), withCookie(ac, "X-CSRF-Token", adminCSRF)...)
	if resp.StatusCode != 201 || count(t, e.conn, `SELECT count(*) FROM app_user WHERE username = 'via.csrf'`) != 1 {
		t.Errorf("create user with the CSRF token: %d %.200s", resp.StatusCode, b)
	}

	// Logout with the token ends the session at once, in the database too.
	resp, b = secDo(t, base, http.MethodDelete, "/api/v1/session", nil, withCookie(c, "X-CSRF-Token", me.CSRFToken)...)
	if cleared := sessionCookie(resp); resp.StatusCode != 204 || cleared == nil || cleared.MaxAge >= 0 || cleared.Value != "" {
		t.Errorf("logout: %d %s, cookie %+v", resp.StatusCode, b, cleared)
	}
	if n := count(t, e.conn, `SELECT count(*) FROM user_session WHERE id_hash = $1`, auth.HashToken(c.Value)); n != 0 {
		t.Errorf("the session is still stored after logout")
	}
	for _, path := range []string{"/api/v1/areas?set=2025", "/api/v1/me", "/tiles/kommuner/" + tileAt(skaggetorp, 8) + ".mvt"} {
		resp, b := secDo(t, base, http.MethodGet, path, nil, withCookie(c)...)
		if er := errorBody(t, resp, b); resp.StatusCode != 401 || er.Error.Code != "unauthenticated" {
			t.Errorf("%s with the logged-out cookie: %d %.200s", path, resp.StatusCode, b)
		}
	}

	// A wrong password and an unknown user get the same answer.
	resp, b = login(t, base, "anna.analytiker", secPassword+"x")
	wrong := errorBody(t, resp, b)
	if resp.StatusCode != 401 || sessionCookie(resp) != nil {
		t.Errorf("wrong password: %d %s", resp.StatusCode, b)
	}
	resp, b = login(t, base, "ingen.alls", secPassword)
	unknown := errorBody(t, resp, b)
	if resp.StatusCode != 401 || sessionCookie(resp) != nil {
		t.Errorf("unknown user: %d %s", resp.StatusCode, b)
	}
	if wrong.Error.Code != unknown.Error.Code || wrong.Error.Message != unknown.Error.Message || wrong.Error.Message == "" {
		t.Errorf("wrong password says %q/%q, unknown user %q/%q", wrong.Error.Code, wrong.Error.Message, unknown.Error.Code, unknown.Error.Message)
	}

	// Repeated wrong passwords for one user from one client end in 429, and then even the right
	// password waits; another user from the same client is not locked out.
	limited := 0
	for i := 1; i <= 12 && limited == 0; i++ {
		resp, b := login(t, base, "rate.limited", fmt.Sprintf("fel lösenord nummer %d", i))
		switch resp.StatusCode {
		case 401:
		case 429:
			limited = i
			er := errorBody(t, resp, b)
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s <= 0 || er.Error.Code != "rate_limited" {
				t.Errorf("429 with Retry-After %q, code %q", resp.Header.Get("Retry-After"), er.Error.Code)
			}
		default:
			t.Fatalf("wrong password %d: %d %s", i, resp.StatusCode, b)
		}
	}
	if limited == 0 || limited > 7 {
		t.Fatalf("the limit came at attempt %d, want 6 (a burst of 5)", limited)
	}
	if resp, _ := login(t, base, "rate.limited", secPassword); resp.StatusCode != 429 || sessionCookie(resp) != nil {
		t.Errorf("right password while limited: %d", resp.StatusCode)
	}
	if resp, _ := login(t, base, "adam.admin", secPassword); resp.StatusCode != 200 {
		t.Errorf("another user from the same client: %d", resp.StatusCode)
	}
}

// TestDemoAndDisabledUsers: demo accounts log in only in demo mode, and a disabled account
// loses its sessions at once.
func TestDemoAndDisabledUsers(t *testing.T) {
	e := newSecEnv(t, false, nil)
	demoSrv := e.serverWith(t, auth.NewService(e.db, true))
	createUser(t, e.api.Auth, "demo.nationell", auth.RoleNationell, "", true)
	createUser(t, e.api.Auth, "ska.stangas", auth.RoleNationell, "", false)

	resp, b := login(t, e.srv.URL, "demo.nationell", secPassword)
	if er := errorBody(t, resp, b); resp.StatusCode != 401 || sessionCookie(resp) != nil || er.Error.Message != "wrong user name or password" {
		t.Errorf("demo user outside demo mode: %d %s", resp.StatusCode, b)
	}
	resp, b = login(t, demoSrv.URL, "demo.nationell", secPassword)
	dc := sessionCookie(resp)
	if resp.StatusCode != 200 || dc == nil || !decodeMe(t, b).Demo {
		t.Fatalf("demo user in demo mode: %d %s", resp.StatusCode, b)
	}
	if resp, b := secDo(t, demoSrv.URL, http.MethodGet, "/api/v1/areas?set=2025", nil, withCookie(dc)...); resp.StatusCode != 200 {
		t.Errorf("demo session in demo mode: %d %.200s", resp.StatusCode, b)
	}
	// The same session is worthless to a service that is not in demo mode.
	if resp, _ := secDo(t, e.srv.URL, http.MethodGet, "/api/v1/areas?set=2025", nil, withCookie(dc)...); resp.StatusCode != 401 {
		t.Errorf("demo session outside demo mode: %d", resp.StatusCode)
	}

	resp, b = login(t, e.srv.URL, "ska.stangas", secPassword)
	sc := sessionCookie(resp)
	if resp.StatusCode != 200 || sc == nil {
		t.Fatalf("login before disabling: %d %s", resp.StatusCode, b)
	}
	if resp, _ := secDo(t, e.srv.URL, http.MethodGet, "/api/v1/areas?set=2025", nil, withCookie(sc)...); resp.StatusCode != 200 {
		t.Fatalf("session before disabling: %d", resp.StatusCode)
	}
	if err := e.api.Auth.Store.DisableUser(context.Background(), "ska.stangas"); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/areas?set=2025", "/api/v1/me"} {
		if resp, b := secDo(t, e.srv.URL, http.MethodGet, path, nil, withCookie(sc)...); resp.StatusCode != 401 {
			t.Errorf("%s with the disabled user's session: %d %.200s", path, resp.StatusCode, b)
		}
	}
	resp, b = login(t, e.srv.URL, "ska.stangas", secPassword)
	if er := errorBody(t, resp, b); resp.StatusCode != 401 || sessionCookie(resp) != nil || er.Error.Message != "wrong user name or password" {
		t.Errorf("disabled user logs in: %d %s", resp.StatusCode, b)
	}
	if n := count(t, e.conn, `SELECT count(*) FROM user_session s JOIN app_user u ON u.id = s.user_id WHERE u.username = 'ska.stangas'`); n != 0 {
		t.Errorf("the disabled user has %d sessions", n)
	}
}

// TestJWTEndToEnd configures the JWT mode against a key set served by a test identity provider
// and reads with the JWT's role and scope.
func TestJWTEndToEnd(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/jwks" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	}))
	t.Cleanup(idp.Close)
	const issuer, audience = "https://idp.polisen.example/realms/lagesbild", "lagesbild"
	verifier, err := auth.NewJWTVerifier(context.Background(), auth.JWTConfig{Issuer: issuer, Audience: audience, JWKSURL: idp.URL + "/jwks"}, idp.Client())
	if err != nil {
		t.Fatal(err)
	}
	e := newSecEnv(t, false, func(api *httpapi.Server) { api.Auth.JWT = verifier })

	sign := func(k *rsa.PrivateKey, claims map[string]any) string {
		t.Helper()
		payload, err := json.Marshal(claims)
		if err != nil {
			t.Fatal(err)
		}
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k, KeyID: "k1"}}, (&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			t.Fatal(err)
		}
		obj, err := signer.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := obj.CompactSerialize()
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	now := time.Now()
	claims := func(exp time.Time) map[string]any {
		return map[string]any{"iss": issuer, "aud": audience, "sub": "lpo-chef-linkoping", "iat": now.Add(-time.Minute).Unix(),
			"exp": exp.Unix(), "lagesbild_role": "lokal", "lagesbild_scope": "540210"}
	}

	good := sign(key, claims(now.Add(10*time.Minute)))
	resp, b := secDo(t, e.srv.URL, http.MethodGet, "/api/v1/me", nil, bearer(good)...)
	if me := decodeMe(t, b); resp.StatusCode != 200 || me.Via != "jwt" || me.Role != "lokal" || me.Subject != "jwt:lpo-chef-linkoping" {
		t.Fatalf("me with a JWT: %d %s", resp.StatusCode, b)
	}
	resp, b = secDo(t, e.srv.URL, http.MethodGet, "/api/v1/areas?set=2025", nil, bearer(good)...)
	var got fc
	if resp.StatusCode != 200 || json.Unmarshal(b, &got) != nil {
		t.Fatalf("areas with a JWT: %d %.200s", resp.StatusCode, b)
	}
	var ids []string
	for _, f := range got.Features {
		if f.Properties["lpo_kod"] != "540210" {
			t.Errorf("area %s has lpo_kod %v, outside the JWT's scope 540210", f.ID, f.Properties["lpo_kod"])
		}
		ids = append(ids, f.ID)
	}
	slices.Sort(ids)
	if want := areasOf(t, e.conn, auth.RoleLokal); len(ids) == 0 || !slices.Equal(ids, want) {
		t.Errorf("areas with a JWT: %v, want %v", ids, want)
	}
	if resp, _ := secDo(t, e.srv.URL, http.MethodGet, "/api/v1/areas/"+outArea, nil, bearer(good)...); resp.StatusCode != 403 {
		t.Errorf("area outside the JWT's scope: %d, want 403", resp.StatusCode)
	}

	// An agency analyst's JWT (issue 15): its agency from the claim lagesbild_agency; it reads
	// no incident data. A myndighet without an agency, or a police role of another agency, is
	// refused.
	agencyClaims := func(role, agency string) map[string]any {
		c := claims(now.Add(10 * time.Minute))
		c["lagesbild_role"], c["lagesbild_scope"] = role, "all"
		if agency != "" {
			c["lagesbild_agency"] = agency
		}
		return c
	}
	skvJWT := sign(key, agencyClaims("myndighet", "skv"))
	resp, b = secDo(t, e.srv.URL, http.MethodGet, "/api/v1/me", nil, bearer(skvJWT)...)
	var meAgency struct {
		Role, Agency, Via string
	}
	if err := json.Unmarshal(b, &meAgency); resp.StatusCode != 200 || err != nil || meAgency.Role != "myndighet" || meAgency.Agency != "skv" || meAgency.Via != "jwt" {
		t.Errorf("me with an agency analyst's JWT: %d %s", resp.StatusCode, b)
	}
	if resp, _ := secDo(t, e.srv.URL, http.MethodGet, "/api/v1/areas?set=2025", nil, bearer(skvJWT)...); resp.StatusCode != 403 {
		t.Errorf("an agency analyst's JWT reads the police's areas: %d, want 403", resp.StatusCode)
	}
	for name, c := range map[string]map[string]any{"myndighet without an agency": agencyClaims("myndighet", ""),
		"a police role of skv": agencyClaims("regional", "skv"), "a hostile agency": agencyClaims("myndighet", "skv'--")} {
		resp, b := secDo(t, e.srv.URL, http.MethodGet, "/api/v1/me", nil, bearer(sign(key, c))...)
		if er := errorBody(t, resp, b); resp.StatusCode != 401 || er.Error.Code != "unauthenticated" {
			t.Errorf("JWT of %s: %d %.200s, want 401", name, resp.StatusCode, b)
		}
	}

	for name, tok := range map[string]string{
		"expired":        sign(key, claims(now.Add(-time.Minute))),
		"wrongly signed": sign(otherKey, claims(now.Add(10*time.Minute))),
		"tampered":       good[:strings.LastIndex(good, ".")] + "." + strings.Repeat("A", 342),
	} {
		for _, path := range []string{"/api/v1/areas?set=2025", "/api/v1/me"} {
			resp, b := secDo(t, e.srv.URL, http.MethodGet, path, nil, bearer(tok)...)
			if er := errorBody(t, resp, b); resp.StatusCode != 401 || er.Error.Code != "unauthenticated" || strings.Contains(string(b), "Feature") {
				t.Errorf("%s JWT on %s: %d %.200s", name, path, resp.StatusCode, b)
			}
		}
	}
}

// auditRows reads the audit API as the admin.
func auditRows(t *testing.T, base, adminToken, query string) []auth.AuditEntry {
	t.Helper()
	resp, b := secDo(t, base, http.MethodGet, "/api/v1/admin/audit?"+query, nil, bearer(adminToken)...)
	if resp.StatusCode != 200 {
		t.Fatalf("audit?%s: %d %.200s", query, resp.StatusCode, b)
	}
	var rows []auth.AuditEntry
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatalf("audit?%s: %v", query, err)
	}
	return rows
}

// TestAuditAPI reads the audit log through the admin API: the reads and writes made in the
// test, with their subjects, paths and statuses; other roles may not read it.
func TestAuditAPI(t *testing.T) {
	e := newSecEnv(t, false, nil)
	start := time.Now().Add(-time.Minute).UTC()
	nat, natID := e.token(t, auth.RoleNationell, "")
	lokal, lokalID := e.token(t, auth.RoleLokal, "540210")
	admin, adminID := e.token(t, auth.RoleAdmin, "")

	type read struct {
		tok     string
		id      int64
		path    string
		status  int
		result  string
		queries map[string]any
	}
	reads := []read{
		{nat, natID, "/api/v1/areas?set=2025", 200, "ok", map[string]any{"q.set": "2025"}},
		{nat, natID, "/api/v1/areas/" + inArea, 200, "ok", nil},
		{nat, natID, "/api/v1/areas/2025-SO999", 404, "rejected", nil},
		{nat, natID, "/api/v1/areas?set=abc", 400, "rejected", map[string]any{"q.set": "abc"}},
		{nat, natID, "/tiles/kommuner/" + tileAt(skaggetorp, 8) + ".mvt", 200, "ok", nil},
		{nat, natID, "/ogc/collections/kommuner/items/0580", 200, "ok", nil},
		{nat, natID, "/api/v1/admin/audit", 403, "denied", nil},
		{lokal, lokalID, "/api/v1/areas/" + outArea, 403, "denied", nil},
		{lokal, lokalID, "/api/v1/admin/audit?limit=5", 403, "denied", map[string]any{"q.limit": "5"}},
	}
	for _, r := range reads {
		resp, b := secDo(t, e.srv.URL, http.MethodGet, r.path, nil, bearer(r.tok)...)
		if resp.StatusCode != r.status {
			t.Errorf("GET %s: %d, want %d: %.200s", r.path, resp.StatusCode, r.status, b)
		}
		if strings.HasPrefix(r.path, "/api/v1/admin/") && strings.Contains(string(b), `"subject"`) {
			t.Errorf("a non-admin got audit rows: %.200s", b)
		}
	}

	rows := auditRows(t, e.srv.URL, admin, "action=read&since="+url.QueryEscape(start.Format(time.RFC3339)))
	for _, r := range reads {
		u, _ := url.Parse(r.path)
		found := false
		for _, row := range rows {
			if row.Subject != fmt.Sprintf("token:%d", r.id) || row.Resource != u.Path || row.Status != r.status {
				continue
			}
			found = true
			if row.Action != "read" || row.Result != r.result || row.RequestID == "" || row.Client != "127.0.0.1" || row.Params["method"] != "GET" {
				t.Errorf("audit row of %s: %+v", r.path, row)
			}
			for k, v := range r.queries {
				if row.Params[k] != v {
					t.Errorf("audit row of %s: params %v, want %s=%v", r.path, row.Params, k, v)
				}
			}
			want := map[int64]string{natID: "nationell", lokalID: "lokal"}[r.id]
			if row.Role != want {
				t.Errorf("audit row of %s: role %q, want %q", r.path, row.Role, want)
			}
		}
		if !found {
			t.Errorf("no audit row for token:%d GET %s %d", r.id, u.Path, r.status)
		}
	}
	if only := auditRows(t, e.srv.URL, admin, fmt.Sprintf("subject=token:%d", lokalID)); len(only) != 2 {
		t.Errorf("audit rows of the lokal token: %d, want 2", len(only))
	}
	if none := auditRows(t, e.srv.URL, admin, "since="+url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))); len(none) != 0 {
		t.Errorf("audit rows from the future: %d", len(none))
	}
	if two := auditRows(t, e.srv.URL, admin, "limit=2"); len(two) != 2 {
		t.Errorf("limit=2: %d rows", len(two))
	}

	// Writes through the admin API are audited as "write".
	body := `{"username":"ny.analytiker","password":"` + secPassword + `","role":"regional","scope":"5400"}`
	resp, b := secDo(t, e.srv.URL, http.MethodPost, "/api/v1/admin/users", strings.NewReader(body), bearer(admin)...)
	if resp.StatusCode != 201 {
		t.Fatalf("create user: %d %s", resp.StatusCode, b)
	}
	resp, b = secDo(t, e.srv.URL, http.MethodPost, "/api/v1/admin/tokens", strings.NewReader(`{"name":"gis","role":"gis","scope":"5400","expires":"1d"}`), bearer(admin)...)
	var created struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	if resp.StatusCode != 201 || json.Unmarshal(b, &created) != nil || created.ID == 0 || !auth.LooksLikeToken(created.Token) {
		t.Fatalf("create token: %d %s", resp.StatusCode, b)
	}
	if resp, _ := secDo(t, e.srv.URL, http.MethodGet, "/tiles/kommuner/"+tileAt(skaggetorp, 8)+".mvt", nil, bearer(created.Token)...); resp.StatusCode != 200 {
		t.Errorf("the new gis token: %d", resp.StatusCode)
	}
	revoke := fmt.Sprintf("/api/v1/admin/tokens/%d", created.ID)
	if resp, b := secDo(t, e.srv.URL, http.MethodDelete, revoke, nil, bearer(admin)...); resp.StatusCode != 204 {
		t.Fatalf("revoke: %d %s", resp.StatusCode, b)
	}
	if resp, _ := secDo(t, e.srv.URL, http.MethodGet, "/tiles/kommuner/"+tileAt(skaggetorp, 8)+".mvt", nil, bearer(created.Token)...); resp.StatusCode != 401 {
		t.Errorf("the revoked token: %d", resp.StatusCode)
	}
	if resp, b := secDo(t, e.srv.URL, http.MethodPost, "/api/v1/admin/users/ny.analytiker/disable", nil, bearer(admin)...); resp.StatusCode != 204 {
		t.Fatalf("disable: %d %s", resp.StatusCode, b)
	}
	// A refused write is audited too.
	if resp, _ := secDo(t, e.srv.URL, http.MethodPost, "/api/v1/admin/tokens", strings.NewReader(`{"role":"lokal"}`), bearer(nat)...); resp.StatusCode != 403 {
		t.Errorf("national creates a token: %d", resp.StatusCode)
	}

	writes := auditRows(t, e.srv.URL, admin, "action=write")
	for _, w := range []struct {
		subject  int64
		method   string
		resource string
		status   int
		result   string
	}{
		{adminID, "POST", "/api/v1/admin/users", 201, "ok"},
		{adminID, "POST", "/api/v1/admin/tokens", 201, "ok"},
		{adminID, "DELETE", revoke, 204, "ok"},
		{adminID, "POST", "/api/v1/admin/users/ny.analytiker/disable", 204, "ok"},
		{natID, "POST", "/api/v1/admin/tokens", 403, "denied"},
	} {
		found := false
		for _, row := range writes {
			if row.Subject == fmt.Sprintf("token:%d", w.subject) && row.Resource == w.resource && row.Status == w.status &&
				row.Params["method"] == w.method && row.Result == w.result {
				found = true
			}
		}
		if !found {
			t.Errorf("no write row for token:%d %s %s %d", w.subject, w.method, w.resource, w.status)
		}
	}
	for _, row := range writes {
		if row.Action != "write" {
			t.Errorf("action=write returned %+v", row)
		}
	}
	// Neither the password nor the new token reached the audit log.
	var all string
	if err := e.conn.QueryRow(context.Background(), `SELECT coalesce(string_agg(a::text, E'\n'), '') FROM audit_log a`).Scan(&all); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(all, secPassword) || strings.Contains(all, created.Token) || strings.Contains(all, nat) {
		t.Error("the audit log holds a password or a token")
	}
}

// TestAuditFailsClosed makes the audit insert fail for real (the reader role loses its INSERT
// on audit_log in this test's database): every audited request must then fail with 503 and
// carry none of its data, and work again once the grant is back.
func TestAuditFailsClosed(t *testing.T) {
	e := newSecEnv(t, false, nil)
	nat, _ := e.token(t, auth.RoleNationell, "")
	createUser(t, e.api.Auth, "anna.analytiker", auth.RoleNationell, "", false)
	ctx := context.Background()
	tilePath := "/tiles/kommuner/" + tileAt(skaggetorp, 8) + ".mvt"
	reads := []string{"/api/v1/areas?set=2025", "/api/v1/areas/" + inArea, "/api/v1/me", tilePath, "/ogc/collections/omraden-2025/items", "/api/v1/area-sets"}
	for _, p := range reads {
		if resp, b := secDo(t, e.srv.URL, http.MethodGet, p, nil, bearer(nat)...); resp.StatusCode != 200 {
			t.Fatalf("GET %s before: %d %.200s", p, resp.StatusCode, b)
		}
	}
	audited := count(t, e.conn, `SELECT count(*) FROM audit_log`)

	if _, err := e.conn.Exec(ctx, `REVOKE INSERT ON audit_log FROM lagesbild_reader`); err != nil {
		t.Fatal(err)
	}
	granted := false
	t.Cleanup(func() {
		if !granted {
			_, _ = e.conn.Exec(context.Background(), `GRANT INSERT ON audit_log TO lagesbild_reader`)
		}
	})

	for _, p := range reads {
		resp, b := secDo(t, e.srv.URL, http.MethodGet, p, nil, bearer(nat)...)
		er := errorBody(t, resp, b)
		if resp.StatusCode != 503 || er.Error.Code != "unavailable" || resp.Header.Get("Retry-After") == "" {
			t.Errorf("GET %s without audit: %d %q, want 503", p, resp.StatusCode, er.Error.Code)
		}
		for _, leak := range []string{"Feature", inArea, "Skäggetorp", "nationell", "area_sets", "SQLSTATE", "permission denied", "audit_log"} {
			if strings.Contains(string(b), leak) {
				t.Errorf("GET %s without audit: the body holds %q: %.200s", p, leak, b)
			}
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || resp.Header.Get("ETag") != "" {
			t.Errorf("GET %s without audit: Content-Type %q, ETag %q", p, ct, resp.Header.Get("ETag"))
		}
	}
	// A login that cannot be audited opens no session in the browser.
	resp, b := login(t, e.srv.URL, "anna.analytiker", secPassword)
	if resp.StatusCode != 503 || sessionCookie(resp) != nil || strings.Contains(string(b), "csrf") {
		t.Errorf("login without audit: %d, cookie %v: %.200s", resp.StatusCode, sessionCookie(resp), b)
	}
	if n := count(t, e.conn, `SELECT count(*) FROM audit_log`); n != audited {
		t.Errorf("audit rows changed from %d to %d while inserts were refused", audited, n)
	}

	if _, err := e.conn.Exec(ctx, `GRANT INSERT ON audit_log TO lagesbild_reader`); err != nil {
		t.Fatal(err)
	}
	granted = true
	for _, p := range reads {
		if resp, b := secDo(t, e.srv.URL, http.MethodGet, p, nil, bearer(nat)...); resp.StatusCode != 200 {
			t.Errorf("GET %s after the grant: %d %.200s", p, resp.StatusCode, b)
		}
	}
	if n := count(t, e.conn, `SELECT count(*) FROM audit_log`); n != audited+len(reads) {
		t.Errorf("audit rows after the grant: %d, want %d", n, audited+len(reads))
	}
}

// statusOf is secDo for other goroutines than the test's: it reports a failed round trip with
// Errorf (FailNow may not be called there) and returns 0 for it.
func statusOf(t *testing.T, base, method, path, body string, header ...string) int {
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return 0
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := secClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestAuditStoresHostileInput: what a client sends that ends up in the audit row (its request
// id, path, query, user name) must never stop the row from being written, neither for its own
// request nor, since rows of concurrent requests are written in one batch, for anyone else's.
func TestAuditStoresHostileInput(t *testing.T) {
	e := newSecEnv(t, false, nil)
	nat, _ := e.token(t, auth.RoleNationell, "")
	var gaps []string

	// A valid request with a request id that is not UTF-8 (headers may carry such bytes; a NUL
	// they may not) is answered and audited.
	for _, reqID := range []string{"\xff", strings.Repeat("å", 200) + "\xff"} {
		before := count(t, e.conn, `SELECT count(*) FROM audit_log`)
		resp, b := secDo(t, e.srv.URL, http.MethodGet, "/api/v1/area-sets", nil, append(bearer(nat), "X-Request-Id", reqID)...)
		audited := count(t, e.conn, `SELECT count(*) FROM audit_log`) == before+1
		switch {
		case resp.StatusCode != http.StatusOK && !audited:
			gaps = append(gaps, fmt.Sprintf("GET /api/v1/area-sets with X-Request-Id %.20q: %d, not audited", reqID, resp.StatusCode))
		case resp.StatusCode != http.StatusOK || !audited:
			t.Errorf("X-Request-Id %.20q: %d, audited %v: %.200s", reqID, resp.StatusCode, audited, b)
		}
	}

	// Failed logins with such a request id, sent by anyone, do not take down the reads of others.
	var mu sync.Mutex
	failed, total := 0, 0
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 5 {
				status := statusOf(t, e.srv.URL, http.MethodPost, "/api/v1/session", `{"username":"ingen","password":"fel"}`,
					"Content-Type", "application/json", "X-Request-Id", "\xff")
				if status >= 500 {
					t.Errorf("hostile login: %d", status)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range 5 {
				status := statusOf(t, e.srv.URL, http.MethodGet, "/api/v1/area-sets", "", bearer(nat)...)
				mu.Lock()
				total++
				if status != http.StatusOK {
					failed++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if failed > 0 {
		gaps = append(gaps, fmt.Sprintf("%d of %d reads by a valid token failed while anonymous logins sent X-Request-Id \\xff", failed, total))
	}
	knownGap(t, gaps, "the audit row stores the client's X-Request-Id as sent")
}
