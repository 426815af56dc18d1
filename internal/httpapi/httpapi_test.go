package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/web"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	db, _ := pgtest.New(t)
	api := &httpapi.Server{Areas: db, Ready: db, Web: web.FS(), Logger: pgtest.Logger(t)}
	srv := httptest.NewServer(asNational(t, db, api))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

type fc struct {
	Type     string `json:"type"`
	Features []struct {
		Type     string `json:"type"`
		ID       string `json:"id"`
		Geometry struct {
			Type        string           `json:"type"`
			Coordinates [][][][2]float64 `json:"coordinates"`
		} `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
}

// checkFeatureCollection asserts RFC 7946 shape: FeatureCollection of Features with string ids,
// MultiPolygon geometries in WGS84 longitude/latitude order inside Sweden, closed rings.
func checkFeatureCollection(t *testing.T, body []byte) fc {
	t.Helper()
	var c fc
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatalf("not GeoJSON: %v", err)
	}
	if c.Type != "FeatureCollection" {
		t.Fatalf("type = %q", c.Type)
	}
	seen := map[string]bool{}
	for _, f := range c.Features {
		if f.Type != "Feature" || f.ID == "" || seen[f.ID] {
			t.Fatalf("feature %q: type %q, duplicate id %v", f.ID, f.Type, seen[f.ID])
		}
		seen[f.ID] = true
		if f.Geometry.Type != "MultiPolygon" || len(f.Geometry.Coordinates) == 0 {
			t.Fatalf("feature %s: geometry %s", f.ID, f.Geometry.Type)
		}
		for _, poly := range f.Geometry.Coordinates {
			for _, ring := range poly {
				if len(ring) < 4 || ring[0] != ring[len(ring)-1] {
					t.Fatalf("feature %s: ring not closed or too short", f.ID)
				}
				for _, p := range ring {
					if p[0] < 10.5 || p[0] > 24.5 || p[1] < 55 || p[1] > 69.5 {
						t.Fatalf("feature %s: %v is not a WGS84 lon/lat in Sweden", f.ID, p)
					}
				}
			}
		}
	}
	return c
}

func TestAreasGeoJSON(t *testing.T) {
	srv := newServer(t)
	for set, want := range map[string]int{"2015": 53, "2017": 61, "2019": 60, "2021": 61, "2023": 59, "2025": 65, "": 65} {
		resp, body := get(t, srv.URL+"/api/v1/areas?set="+set)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/geo+json" {
			t.Fatalf("set=%s: %d %s", set, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		c := checkFeatureCollection(t, body)
		if len(c.Features) != want {
			t.Errorf("set=%s: %d features, want %d", set, len(c.Features), want)
		}
		for _, f := range c.Features {
			p := f.Properties
			if p["id"] != f.ID || p["name"] == "" || p["kommun_kod"] == "" || p["class_label"] == "" {
				t.Fatalf("set=%s %s: properties %v", set, f.ID, p)
			}
		}
	}
}

func TestAreaByID(t *testing.T) {
	srv := newServer(t)
	resp, body := get(t, srv.URL+"/api/v1/areas/2025-SO9")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var f struct {
		ID         string         `json:"id"`
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(body, &f); err != nil {
		t.Fatal(err)
	}
	if f.ID != "2025-SO9" || f.Properties["name"] != "Tensta" || f.Properties["lpo_namn"] != "Järva" {
		t.Errorf("got %v", f)
	}
}

func TestBoundaries(t *testing.T) {
	srv := newServer(t)
	for path, want := range map[string]int{"/api/v1/kommuner": 290, "/api/v1/lan": 21, "/api/v1/polisregioner": 7} {
		resp, body := get(t, srv.URL+path)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		var c struct {
			Features []json.RawMessage `json:"features"`
		}
		if err := json.Unmarshal(body, &c); err != nil || len(c.Features) != want {
			t.Errorf("%s: %d features (%v), want %d", path, len(c.Features), err, want)
		}
	}
}

func TestErrors(t *testing.T) {
	srv := newServer(t)
	cases := []struct {
		name, path string
		status     int
		code       string
		parameter  string
	}{
		{"unknown set", "/api/v1/areas?set=2016", 404, "not_found", ""},
		{"set not a year", "/api/v1/areas?set=abc", 400, "invalid", "set"},
		{"set injection", "/api/v1/areas?set=2025%27%3B%20DROP%20TABLE%20area%3B--", 400, "invalid", "set"},
		{"unknown parameter", "/api/v1/areas?sett=2025", 400, "invalid", "sett"},
		{"repeated parameter", "/api/v1/areas?set=2025&set=2023", 400, "invalid", "set"},
		{"unknown area", "/api/v1/areas/2025-SO999", 404, "not_found", ""},
		{"malformed area id", "/api/v1/areas/..%2F..%2Fetc", 400, "invalid", "id"},
		{"unknown endpoint", "/api/v1/nothing", 404, "not_found", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, srv.URL+tc.path)
			if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("%s: %d %s, want %d JSON", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.status)
			}
			var e struct {
				Error struct{ Code, Message, Parameter, RequestID string } `json:"error"`
			}
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatal(err)
			}
			if e.Error.Code != tc.code || e.Error.Parameter != tc.parameter || e.Error.Message == "" {
				t.Errorf("%s: body %s", tc.path, body)
			}
		})
	}
	// The injection attempt changed nothing.
	_, body := get(t, srv.URL+"/api/v1/areas?set=2025")
	if c := checkFeatureCollection(t, body); len(c.Features) != 65 {
		t.Errorf("after injection attempt: %d areas", len(c.Features))
	}
}

func TestHealthAndReadiness(t *testing.T) {
	srv := newServer(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		if resp, body := get(t, srv.URL+p); resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	// A reachable but unmigrated database is not ready.
	ctx := context.Background()
	empty, err := postgis.Open(ctx, pgtest.NewEmpty(t), postgis.Options{}, pgtest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	api := &httpapi.Server{Areas: empty, Ready: empty, Logger: pgtest.Logger(t)}
	s2 := httptest.NewServer(api.Handler())
	defer s2.Close()
	if resp, body := get(t, s2.URL+"/readyz"); resp.StatusCode != 503 {
		t.Errorf("/readyz on an unmigrated database: %d %s", resp.StatusCode, body)
	}
	if resp, _ := get(t, s2.URL+"/healthz"); resp.StatusCode != 200 {
		t.Errorf("/healthz must not depend on the database: %d", resp.StatusCode)
	}
}

func TestMapPageAndHeaders(t *testing.T) {
	srv := newServer(t)
	resp, body := get(t, srv.URL+"/")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Lägesbild") {
		t.Fatalf("/: %d", resp.StatusCode)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("CSP lacks frame-ancestors: %s", resp.Header.Get("Content-Security-Policy"))
	}
}
