package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/mvt"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/summary"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// The access matrix: every role against every endpoint, with resources inside and outside the
// caller's scope, asserting on what comes back (areas, summary rows, decoded tile features), and
// then that every one of these reads is in the audit log and no secret reached the log.

// Scopes of the matrix: Skäggetorp (2025-SO5) lies in region Öst (5400) and LPO Linköping
// (540210); Tensta (2025-SO9) in region Stockholm (5300), LPO Järva (531350).
const (
	inArea  = "2025-SO5"
	outArea = "2025-SO9"
)

var (
	skaggetorp = [2]float64{15.5780, 58.4195}
	tensta     = [2]float64{17.9050, 59.3945}
)

// tileAt is the XYZ tile holding lon/lat at zoom z.
func tileAt(p [2]float64, z int) string {
	n := math.Exp2(float64(z))
	x := int((p[0] + 180) / 360 * n)
	lat := p[1] * math.Pi / 180
	y := int((1 - math.Log(math.Tan(lat)+1/math.Cos(lat))/math.Pi) / 2 * n)
	return fmt.Sprintf("%d/%d/%d", z, x, y)
}

type caller struct {
	name  string
	role  auth.Role
	scope string
	token string
	id    int64
}

// matrixRecord is one request of the matrix, for the audit check.
type matrixRecord struct {
	subject, path string
	status        int
}

type matrix struct {
	t       *testing.T
	srv     *httptest.Server
	db      *postgis.DB
	mu      sync.Mutex
	records []matrixRecord
}

func (m *matrix) do(c caller, method, path string, body io.Reader) (*http.Response, []byte) {
	m.t.Helper()
	req, err := http.NewRequest(method, m.srv.URL+path, body)
	if err != nil {
		m.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := (&http.Transport{}).RoundTrip(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		m.t.Fatal(err)
	}
	if resp.Header.Get("Content-Encoding") == "gzip" {
		b = gunzip(m.t, b)
	}
	if c.token != "" {
		u, _ := url.Parse(path)
		m.mu.Lock()
		m.records = append(m.records, matrixRecord{fmt.Sprintf("token:%d", c.id), u.Path, resp.StatusCode})
		m.mu.Unlock()
	}
	return resp, b
}

// areasOf returns the ids of the 2025 areas a scope covers, by the database's own columns.
func areasOf(t *testing.T, db *pgx.Conn, role auth.Role) []string {
	t.Helper()
	where := map[auth.Role]string{auth.RoleNationell: "true", auth.RoleRegional: "region_code = '5400'", auth.RoleLokal: "lpo_code = '540210'"}[role]
	rows, err := db.Query(context.Background(), `SELECT id FROM area WHERE set_year = 2025 AND `+where+` ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func tileFeatureCount(t *testing.T, body []byte, layer string) (int, mvt.Layers) {
	t.Helper()
	if len(body) == 0 {
		return 0, nil
	}
	ls, err := mvt.Unmarshal(body)
	if err != nil {
		t.Fatalf("not a vector tile: %v", err)
	}
	for _, l := range ls {
		if l.Name == layer {
			return len(l.Features), ls
		}
	}
	return 0, ls
}

func TestAccessMatrix(t *testing.T) {
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: &logs, mu: &logMu}, &slog.HandlerOptions{Level: slog.LevelDebug}))

	db, dbURL := pgtest.New(t)
	loadDemo(t, db, demo.Options{Seed: 7, Scale: 0.03}, true)
	svc := auth.NewService(db, false)
	api := &httpapi.Server{Areas: db, Ready: db, Features: db, Logger: logger, Tiles: tiles.NewService(db, db, 16<<20),
		Summaries: summary.New(db, summary.Options{}), Auth: svc, Imports: newImportService(t, db)}
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	m := &matrix{t: t, srv: srv, db: db}
	ctx := context.Background()
	conn := pgtest.Conn(t, dbURL)

	callers := []caller{
		{name: "anonymous"},
		{name: "nationell", role: auth.RoleNationell},
		{name: "regional", role: auth.RoleRegional, scope: "5400"},
		{name: "lokal", role: auth.RoleLokal, scope: "Linköping"},
		{name: "gis", role: auth.RoleGIS, scope: "region:5400"},
		{name: "admin", role: auth.RoleAdmin},
	}
	var secrets []string
	for i := range callers {
		c := &callers[i]
		if c.role == "" {
			continue
		}
		tok, stored, err := svc.CreateToken(ctx, auth.TokenRequest{Role: c.role, Scope: c.scope, Expires: "1d", CreatedBy: "matrix"})
		if err != nil {
			t.Fatalf("%s token: %v", c.name, err)
		}
		c.token, c.id = tok, stored.ID
		secrets = append(secrets, tok)
	}
	byName := func(n string) caller {
		for _, c := range callers {
			if c.name == n {
				return c
			}
		}
		t.Fatalf("no caller %s", n)
		return caller{}
	}
	analysts := []string{"nationell", "regional", "lokal"}
	isAnalyst := func(c caller) bool { return slices.Contains(analysts, c.name) }

	for _, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			m.t = t
			status := func(path string, want int) []byte {
				t.Helper()
				resp, body := m.do(c, http.MethodGet, path, nil)
				if resp.StatusCode != want {
					t.Errorf("GET %s = %d, want %d: %.200s", path, resp.StatusCode, want, body)
				}
				return body
			}
			// want is 401 for the anonymous caller, 403 for a role without the right, else ok.
			want := func(allowed bool, ok int) int {
				switch {
				case c.token == "":
					return http.StatusUnauthorized
				case !allowed:
					return http.StatusForbidden
				}
				return ok
			}

			status("/api/v1/me", want(true, 200))

			// Lists are filtered to the scope; one area outside it is refused.
			scoped := isAnalyst(c)
			body := status("/api/v1/areas?set=2025", want(scoped, 200))
			if scoped {
				var got fc
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, f := range got.Features {
					ids = append(ids, f.ID)
				}
				slices.Sort(ids)
				if exp := areasOf(t, conn, c.role); !slices.Equal(ids, exp) || len(ids) == 0 {
					t.Errorf("areas: got %v, want %v", ids, exp)
				}
			}
			status("/api/v1/area-sets", want(scoped, 200))
			for _, b := range []string{"kommuner", "lan", "polisregioner"} {
				status("/api/v1/"+b, want(scoped, 200))
			}
			outOK := 200
			if c.name != "nationell" {
				outOK = 403
			}
			for _, suffix := range []string{"", "/summary", "/report"} {
				status("/api/v1/areas/"+inArea+suffix, want(scoped, 200))
				status("/api/v1/areas/"+outArea+suffix, want(scoped, outOK))
			}

			// Period comparisons of an area, a kommun and an LPO: inside the scope or refused.
			for _, u := range []struct{ level, in, out string }{
				{"area", inArea, outArea}, {"kommun", "0580", "0180"}, {"lpo", "540210", "531350"},
			} {
				status("/api/v1/compstat?preset=ytd&level="+u.level+"&id="+u.in, want(scoped, 200))
				status("/api/v1/compstat?preset=ytd&level="+u.level+"&id="+u.out, want(scoped, outOK))
			}

			body = status("/api/v1/deviations?set=2025&window=month", want(scoped, 200))
			if scoped {
				var d struct {
					Areas []struct{ Area struct{ ID string } } `json:"areas"`
				}
				if err := json.Unmarshal(body, &d); err != nil {
					t.Fatal(err)
				}
				exp := areasOf(t, conn, c.role)
				for _, a := range d.Areas {
					if !slices.Contains(exp, a.Area.ID) {
						t.Errorf("deviations list %s, outside the scope", a.Area.ID)
					}
				}
			}

			// Summaries, CSV exports and the ranking hold the scope's areas and no other.
			body = status("/api/v1/summaries?set=2025", want(scoped, 200))
			if scoped {
				var l struct {
					Areas []struct{ Area struct{ ID string } } `json:"areas"`
				}
				if err := json.Unmarshal(body, &l); err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, a := range l.Areas {
					ids = append(ids, a.Area.ID)
				}
				slices.Sort(ids)
				if exp := areasOf(t, conn, c.role); !slices.Equal(ids, exp) {
					t.Errorf("summaries: got %v, want %v", ids, exp)
				}
			}
			body = status("/api/v1/summaries?set=2025&format=csv", want(scoped, 200))
			if scoped {
				recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				if len(recs)-1 != len(areasOf(t, conn, c.role)) {
					t.Errorf("summaries CSV: %d rows, want %d", len(recs)-1, len(areasOf(t, conn, c.role)))
				}
				if c.name != "nationell" && strings.Contains(string(body), outArea) {
					t.Errorf("summaries CSV names %s", outArea)
				}
			}
			body = status("/api/v1/priority?set=2025", want(scoped, 200))
			if scoped {
				var p struct {
					Areas []struct{ Area struct{ ID string } } `json:"areas"`
				}
				if err := json.Unmarshal(body, &p); err != nil {
					t.Fatal(err)
				}
				exp := areasOf(t, conn, c.role)
				for _, a := range p.Areas {
					if !slices.Contains(exp, a.Area.ID) {
						t.Errorf("priority ranks %s, outside the scope", a.Area.ID)
					}
				}
				if len(p.Areas) != len(exp) {
					t.Errorf("priority: %d areas, want %d", len(p.Areas), len(exp))
				}
			}

			// Tiles, decoded: cells and areas inside the scope, nothing outside it.
			mapReader := c.token != "" && c.role != auth.RoleAdmin
			for _, z := range []int{8, 10, 12} {
				in := status("/tiles/h3,omraden/"+tileAt(skaggetorp, z)+".mvt", want(mapReader, 200))
				out := m.tile(c, "/tiles/h3,omraden/"+tileAt(tensta, z)+".mvt", want(mapReader, 200))
				if !mapReader {
					continue
				}
				nIn, layers := tileFeatureCount(t, in, "h3")
				if nIn == 0 {
					t.Errorf("z%d: no h3 cells over Linköping", z)
				}
				for _, l := range layers {
					for _, f := range l.Features {
						if r, ok := f.Properties["res"].(float64); ok && c.role == auth.RoleGIS && r > auth.DefaultGISMaxRes {
							t.Errorf("z%d: gis token got a res-%v cell", z, r)
						}
					}
				}
				if z < 10 {
					continue // a z8 tile over Stockholm also covers Södermanland, in region Öst
				}
				nOut, _ := tileFeatureCount(t, out, "h3")
				nOutAreas, _ := tileFeatureCount(t, out, "omraden")
				if c.name == "nationell" && (nOut == 0 || nOutAreas == 0) {
					t.Errorf("z%d: national caller sees no cells (%d) or areas (%d) over Tensta", z, nOut, nOutAreas)
				}
				if c.name != "nationell" && (nOut > 0 || nOutAreas > 0) {
					t.Errorf("z%d: %s sees %d cells and %d areas over Tensta, outside its scope", z, c.name, nOut, nOutAreas)
				}
			}
			// Incident points: only for roles allowed them, and only inside the scope.
			pointsOK := isAnalyst(c)
			in := m.tile(c, "/tiles/handelser/"+tileAt(skaggetorp, 14)+".mvt", want(pointsOK, 200))
			out := m.tile(c, "/tiles/handelser/"+tileAt(tensta, 14)+".mvt", want(pointsOK, 200))
			if pointsOK {
				if n, _ := tileFeatureCount(t, in, "handelser"); n == 0 {
					t.Errorf("no incident points in Skäggetorp")
				}
				n, _ := tileFeatureCount(t, out, "handelser")
				if (c.name == "nationell") != (n > 0) {
					t.Errorf("%d incident points in Tensta for %s", n, c.name)
				}
			}
			status("/tiles/handelser.json", want(pointsOK, 200))
			status("/tiles/h3.json", want(mapReader, 200))

			// OGC API: collections by layer, items filtered by scope.
			body = status("/ogc/collections", want(mapReader, 200))
			if mapReader && c.role == auth.RoleGIS && strings.Contains(string(body), `"handelser`) {
				t.Errorf("gis collections list incident points")
			}
			body = status("/ogc/collections/omraden-2025/items?limit=1000", want(mapReader, 200))
			if mapReader {
				var items fc
				if err := json.Unmarshal(body, &items); err != nil {
					t.Fatal(err)
				}
				role := c.role
				if role == auth.RoleGIS {
					role = auth.RoleRegional // the gis token's scope is region 5400 too
				}
				exp := areasOf(t, conn, role)
				if len(items.Features) != len(exp) {
					t.Errorf("OGC areas: %d, want %d", len(items.Features), len(exp))
				}
			}
			outItem := 404
			if c.name == "nationell" {
				outItem = 200
			}
			status("/ogc/collections/omraden-2025/items/"+outArea, want(mapReader, outItem))
			body = status("/ogc/collections/h3-r7/items?bbox=17.85,59.37,17.95,59.41", want(mapReader, 200))
			if mapReader {
				var items struct{ Features []json.RawMessage }
				if err := json.Unmarshal(body, &items); err != nil {
					t.Fatal(err)
				}
				if (c.name == "nationell") != (len(items.Features) > 0) {
					t.Errorf("%s: %d h3-r7 cells around Tensta", c.name, len(items.Features))
				}
			}
			status("/ogc/collections/narvaro-kontor/items", want(mapReader, 200))

			// Administration and writes.
			status("/api/v1/admin/users", want(c.role == auth.RoleAdmin, 200))
			status("/api/v1/admin/tokens", want(c.role == auth.RoleAdmin, 200))
			status("/api/v1/admin/audit?limit=5", want(c.role == auth.RoleAdmin, 200))
			resp, body := m.do(c, http.MethodPost, "/api/v1/imports?kind=incidents&format=csv&source=matrix",
				strings.NewReader("source_id,occurred_at,category,agency,lat,lon\nm1,2025-05-01T10:00:00Z,Misshandel,pm,58.4195,15.578\n"))
			if w := want(c.role == auth.RoleAdmin, 200); resp.StatusCode != w {
				t.Errorf("POST /api/v1/imports = %d, want %d: %.200s", resp.StatusCode, w, body)
			}
		})
	}
	m.t = t

	// Revoked and expired tokens fail at once.
	lokal := byName("lokal")
	admin := byName("admin")
	if resp, _ := m.do(lokal, http.MethodGet, "/api/v1/me", nil); resp.StatusCode != 200 {
		t.Fatalf("lokal token before revocation: %d", resp.StatusCode)
	}
	if resp, body := m.do(admin, http.MethodDelete, fmt.Sprintf("/api/v1/admin/tokens/%d", lokal.id), nil); resp.StatusCode != 204 {
		t.Fatalf("revoke: %d %s", resp.StatusCode, body)
	}
	if resp, _ := m.do(lokal, http.MethodGet, "/api/v1/me", nil); resp.StatusCode != 401 {
		t.Errorf("revoked token: %d, want 401", resp.StatusCode)
	}
	regional := byName("regional")
	if _, err := conn.Exec(ctx, `UPDATE api_token SET expires_at = now() - interval '1 second' WHERE id = $1`, regional.id); err != nil {
		t.Fatal(err)
	}
	if resp, _ := m.do(regional, http.MethodGet, "/tiles/h3/"+tileAt(skaggetorp, 10)+".mvt", nil); resp.StatusCode != 401 {
		t.Errorf("expired token: %d, want 401", resp.StatusCode)
	}
	if resp, _ := m.do(caller{token: "lgb_" + strings.Repeat("A", 43)}, http.MethodGet, "/api/v1/me", nil); resp.StatusCode != 401 {
		t.Errorf("unknown token: %d, want 401", resp.StatusCode)
	}

	// Every authenticated request of the matrix is in the audit log with its outcome.
	rows, err := conn.Query(ctx, `SELECT subject, resource, status FROM audit_log`)
	if err != nil {
		t.Fatal(err)
	}
	logged := map[matrixRecord]bool{}
	for rows.Next() {
		var r matrixRecord
		if err := rows.Scan(&r.subject, &r.path, &r.status); err != nil {
			t.Fatal(err)
		}
		logged[r] = true
	}
	rows.Close()
	missing := 0
	for _, r := range m.records {
		if r.status == http.StatusUnauthorized {
			continue // refused before anyone was identified (logged as a warning instead)
		}
		if !logged[r] {
			missing++
			if missing < 10 {
				t.Errorf("no audit row for %+v", r)
			}
		}
	}
	if len(m.records) < 100 {
		t.Errorf("only %d requests in the matrix", len(m.records))
	}

	// No token, password or connection string reached the log.
	logMu.Lock()
	text := logs.String()
	logMu.Unlock()
	secrets = append(secrets, dbURL)
	if u, err := url.Parse(dbURL); err == nil {
		if p, ok := u.User.Password(); ok {
			secrets = append(secrets, p)
		}
	}
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("the log holds a secret (%.8s…)", s)
		}
	}
	if !strings.Contains(text, "authentication failed") {
		t.Error("failed authentications are not logged")
	}
}

// tile fetches a tile and checks its status; 204 (empty) is accepted where 200 is wanted.
func (m *matrix) tile(c caller, path string, want int) []byte {
	m.t.Helper()
	resp, body := m.do(c, http.MethodGet, path, nil)
	if resp.StatusCode != want && !(want == 200 && resp.StatusCode == 204) {
		m.t.Errorf("GET %s = %d, want %d: %.200s", path, resp.StatusCode, want, body)
	}
	return body
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
