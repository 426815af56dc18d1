package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/samverkan/samverkantest"
)

// itemsClient reads OGC items as one token, through a server's whole handler (authentication
// and the audited middleware included).
type itemsClient struct {
	h     http.Handler
	token string
}

func (c itemsClient) get(t *testing.T, target string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	body, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Code, body
}

// page reads target, requires 200 and returns the body without its timeStamp (the time the
// response was made, not part of the page).
func (c itemsClient) page(t *testing.T, target string) []byte {
	t.Helper()
	code, body := c.get(t, target)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", target, code, body)
	}
	return timeStamp.ReplaceAll(body, []byte(`"timeStamp":"-"`))
}

var timeStamp = regexp.MustCompile(`"timeStamp":"[^"]*"`)

func featureIDs(t *testing.T, body []byte) []string {
	t.Helper()
	var p ogcItems
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, f := range p.Features {
		out = append(out, f.ID)
	}
	return out
}

// TestOGCItemsCache: a repeated items request is answered from the cache with exactly the JSON
// of the read that filled it, and still writes its own audit row; a national and a lokal caller
// never share a page (each gets what a server without the cache gives it); a new data version
// gives fresh pages.
func TestOGCItemsCache(t *testing.T) {
	db, dbURL := pgtest.New(t)
	ctx := context.Background()
	day := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	// Six incidents in Skäggetorp (LPO Linköping, 540210) and six in Tensta (Järva): the lokal
	// caller of Linköping sees one cell, the national caller both.
	recs := incidentsAt("lkp", 6, skaggetorp[0], skaggetorp[1], lagesbild.GroupRan, "test", day)
	recs = append(recs, incidentsAt("tensta", 6, tensta[0], tensta[1], lagesbild.GroupRan, "test", day)...)
	importIncidents(t, db, "cache.csv", recs)

	authSvc := auth.NewService(db, false)
	token := func(role auth.Role, scope string) string {
		tok, _, err := authSvc.CreateToken(ctx, auth.TokenRequest{Role: role, Scope: scope, CreatedBy: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	national, lokal := token(auth.RoleNationell, ""), token(auth.RoleLokal, "540210")
	cached := &httpapi.Server{Areas: db, Ready: db, Features: db, Auth: authSvc, Logger: pgtest.Logger(t)}
	plain := &httpapi.Server{Areas: db, Ready: db, Features: db, Auth: authSvc, Logger: pgtest.Logger(t), ItemCacheBytes: -1}
	ch, ph := cached.Handler(), plain.Handler()
	conn := pgtest.Conn(t, dbURL)
	auditRows := func(resource string) int {
		t.Helper()
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE resource = $1 AND status = 200`, resource).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	const path = "/ogc/collections/h3-r7/items"
	const target = path + "?limit=100&bbox=10,55,25,70"
	nat := itemsClient{ch, national}
	miss := nat.page(t, target)
	if hits, misses, entries, _ := cached.ItemCacheStats(); hits != 0 || misses != 1 || entries != 1 {
		t.Fatalf("after the first read: %d hits, %d misses, %d entries; want 0, 1, 1", hits, misses, entries)
	}
	before := auditRows(path)
	hit := nat.page(t, target)
	if hits, _, _, _ := cached.ItemCacheStats(); hits != 1 {
		t.Fatalf("the repeat was not a hit (%d hits)", hits)
	}
	if !bytes.Equal(hit, miss) {
		t.Errorf("a hit differs from the miss that filled it:\n%s\n%s", hit, miss)
	}
	if got := auditRows(path); got != before+1 {
		t.Errorf("a cache hit wrote %d audit rows, want 1", got-before)
	}
	if ids := featureIDs(t, miss); len(ids) != 2 {
		t.Fatalf("national: cells %v, want Skäggetorp's and Tensta's", ids)
	}
	if want := (itemsClient{ph, national}).page(t, target); !bytes.Equal(miss, want) {
		t.Errorf("national: the cached server's page differs from the plain server's:\n%s\n%s", miss, want)
	}

	// The lokal caller, after the national page is cached, gets its own page, twice.
	lok := itemsClient{ch, lokal}
	got := lok.page(t, target)
	want := (itemsClient{ph, lokal}).page(t, target)
	if !bytes.Equal(got, want) {
		t.Errorf("lokal: the cached server's page differs from the plain server's:\n%s\n%s", got, want)
	}
	if ids := featureIDs(t, got); len(ids) != 1 {
		t.Errorf("lokal: cells %v, want Skäggetorp's only", ids)
	}
	if again := lok.page(t, target); !bytes.Equal(again, got) {
		t.Errorf("lokal: the hit differs from the miss")
	}
	// The police list, whose page the handler filters by scope after the store: the cached
	// page must not be changed by that.
	for _, c := range []itemsClient{lok, nat, lok, nat} {
		plainC := itemsClient{ph, c.token}
		if got, want := c.page(t, "/ogc/collections/omraden-2025/items?limit=100"), plainC.page(t, "/ogc/collections/omraden-2025/items?limit=100"); !bytes.Equal(got, want) {
			t.Errorf("omraden-2025: the cached server's page differs from the plain server's")
		}
	}

	// A new data version (an import) gives a fresh page.
	importIncidents(t, db, "cache2.csv", incidentsAt("gbg", 6, 11.967, 57.707, lagesbild.GroupRan, "test", day))
	fresh := nat.page(t, target)
	if ids := featureIDs(t, fresh); len(ids) != 3 {
		t.Errorf("after an import: cells %v, want three", ids)
	}
	if want := (itemsClient{ph, national}).page(t, target); !bytes.Equal(fresh, want) {
		t.Errorf("after an import: the cached server's page differs from the plain server's")
	}
	// A presence import bumps the version too, and the offices' page follows it.
	offices := func() int {
		var p ogcItems
		if err := json.Unmarshal(nat.page(t, "/ogc/collections/narvaro-kontor/items?limit=1000"), &p); err != nil {
			t.Fatal(err)
		}
		return len(p.Features)
	}
	n := offices()
	office := lagesbild.Office{Source: "test", SourceID: "o1", Agency: "pm", Name: "Kontor", Point: [2]float64{15.58, 58.42}, StaffedHoursPerWeek: 40, Line: 1}
	if _, err := db.ImportPresence(ctx, "presence.csv", []lagesbild.Office{office}, nil); err != nil {
		t.Fatal(err)
	}
	if got := offices(); got != n+1 {
		t.Errorf("after a presence import: %d offices, want %d", got, n+1)
	}
}

// TestOGCItemsCacheNotObservations: the agencies' observations never come from the cache
// (every read writes its own disclosure notes into its audit row), and a caller without an
// identity-bound key gets nothing kept.
func TestOGCItemsCacheNotObservations(t *testing.T) {
	db, dbURL := pgtest.New(t)
	svc := samverkantest.Load(t, db)
	ctx := context.Background()
	authSvc := auth.NewService(db, false)
	api := &httpapi.Server{Areas: db, Ready: db, Features: db, Auth: authSvc, Samverkan: svc, Logger: pgtest.Logger(t)}
	h := api.Handler()
	var reader *samverkantest.Expected
	for _, e := range samverkantest.Matrix() {
		if e.ID.Role == auth.RoleMyndighet && len(e.Disclosed) > 0 {
			reader = &e
			break
		}
	}
	if reader == nil {
		t.Fatal("the fixture has no agency analyst who reads another agency's observations")
	}
	tok, _, err := authSvc.CreateToken(ctx, auth.TokenRequest{Role: reader.ID.Role, Scope: scopeText(reader.ID.Scope), Agency: reader.ID.Agency, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	c := itemsClient{h, tok}
	const path = "/ogc/collections/" + "observationer" + "/items"
	var first []byte
	for i := range 3 {
		body := c.page(t, path+"?limit=1000")
		if i == 0 {
			first = body
		} else if !bytes.Equal(body, first) {
			t.Errorf("read %d differs from the first", i+1)
		}
	}
	if hits, misses, entries, _ := api.ItemCacheStats(); hits+misses != 0 || entries != 0 {
		t.Errorf("observations went through the item cache: %d hits, %d misses, %d entries", hits, misses, entries)
	}
	conn := pgtest.Conn(t, dbURL)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE resource = $1 AND status = 200 AND params ? 'disclosures'`, path).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("%d audit rows with disclosures for three reads, want 3", n)
	}
}

// TestOGCItemsCacheKeyFields: the item cache's key names every field of FeatureQuery; a new
// field must be added to the key (ogc_cache.go) before it is added here.
func TestOGCItemsCacheKeyFields(t *testing.T) {
	var fields []string
	ty := reflect.TypeFor[lagesbild.FeatureQuery]()
	for i := range ty.NumField() {
		fields = append(fields, ty.Field(i).Name)
	}
	want := []string{"Limit", "Offset", "BBox", "BBoxSRID", "Time", "CRS", "Filter", "FilterCRS", "SortBy"}
	if !slices.Equal(fields, want) {
		t.Errorf("FeatureQuery has the fields %v; the item cache's key knows %v", fields, want)
	}
}
