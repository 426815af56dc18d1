package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lagesbild/lagesbild/geodata"
	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/importer"
	"github.com/lagesbild/lagesbild/internal/ingest"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/refdata"
)

func importServer(t *testing.T) *httptest.Server {
	t.Helper()
	db, _ := pgtest.New(t)
	api := &httpapi.Server{Areas: db, Ready: db, Imports: newImportService(t, db), Logger: pgtest.Logger(t)}
	srv := httptest.NewServer(withCaller(t, db, api, auth.RoleAdmin, ""))
	t.Cleanup(srv.Close)
	return srv
}

// newImportService is the import service over db with the bundled gazetteer and taxonomy.
func newImportService(t *testing.T, db *postgis.DB) *importer.Service {
	t.Helper()
	b, err := refdata.Load(geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	tax, err := ingest.LoadTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	var kommuner, lan []ingest.Place
	for _, k := range b.Kommuner {
		kommuner = append(kommuner, ingest.Place{Code: k.Code, Name: k.Name})
	}
	for _, l := range b.Lan {
		lan = append(lan, ingest.Place{Code: l.Code, Name: l.Name})
	}
	return &importer.Service{Incidents: db, Presence: db, Population: db, Gazetteer: ingest.NewGazetteer(kommuner, lan),
		Taxonomy: tax, Logger: pgtest.Logger(t)}
}

func post(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "text/csv", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: not JSON: %s", url, b)
	}
	return resp.StatusCode, out
}

func TestImportEndpoint(t *testing.T) {
	srv := importServer(t)
	u := srv.URL + "/api/v1/imports?kind=incidents&format=csv&source=agency.x&file=upload.csv"
	csv := "source_id,occurred_at,category,agency,lat,lon\n1,2025-05-01 22:10,skottlossning,pm,59.3945,17.9050\n"
	code, body := post(t, u, csv)
	rep, _ := body["report"].(map[string]any)
	if code != 200 || rep["inserted"] != 1.0 {
		t.Fatalf("import: %d %v", code, body)
	}
	if code, body = post(t, u, csv); code != 200 || body["report"].(map[string]any)["unchanged"] != 1.0 {
		t.Fatalf("same file again: %d %v", code, body)
	}
	bad := csv + "2,2025-05-01 22:10,skottlossning,pm,59.39,östra\n"
	code, body = post(t, u, bad)
	rep, _ = body["report"].(map[string]any)
	errs, _ := rep["errors"].([]any)
	if code != 422 || len(errs) != 1 || errs[0].(map[string]any)["line"] != 3.0 || errs[0].(map[string]any)["field"] != "lon" {
		t.Fatalf("bad file: %d %v", code, body)
	}
	for _, q := range []string{"kind=nope", "kind=incidents&format=xml", "kind=incidents&format=csv&source=Bad%20Source",
		"kind=incidents&format=csv&file=..%2F..%2Fetc%2Fpasswd", "kind=incidents&format=csv&skip_invalid=maybe", "kind=incidents&format=csv&extra=1"} {
		if code, body := post(t, srv.URL+"/api/v1/imports?"+q, csv); code != 400 {
			t.Errorf("%s: %d %v, want 400", q, code, body)
		}
	}
}
