package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/lagesbild/lagesbild/geodata"
	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/importer"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/refdata"
)

// loadDemo imports the deterministic demo data (incidents, offices and operations, and with
// population the estimated residents per area) through the same paths as real files.
func loadDemo(t testing.TB, db *postgis.DB, o demo.Options, population bool) {
	t.Helper()
	b, err := refdata.Load(geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	in := demo.FromRefdata(b, 2025)
	r, stop := importer.FromGenerator(func(yield func(lagesbild.Incident) error) error { return demo.Incidents(in, o, yield) })
	defer stop()
	ctx := context.Background()
	if _, err := importer.Incidents(ctx, db, r, "demo", importer.Options{}, pgtest.Logger(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportPresence(ctx, "demo", demo.Offices(in, o), demo.Operations(in, o)); err != nil {
		t.Fatal(err)
	}
	if population {
		if _, err := db.ImportAreaPopulation(ctx, "demo", demo.AreaPopulation(in)); err != nil {
			t.Fatal(err)
		}
	}
}

// importIncidents imports records as one file.
func importIncidents(t *testing.T, db *postgis.DB, file string, recs []lagesbild.Incident) {
	t.Helper()
	r, stop := importer.FromGenerator(func(yield func(lagesbild.Incident) error) error {
		for _, inc := range recs {
			if err := yield(inc); err != nil {
				return err
			}
		}
		return nil
	})
	defer stop()
	if _, err := importer.Incidents(context.Background(), db, r, file, importer.Options{}, pgtest.Logger(t)); err != nil {
		t.Fatal(err)
	}
}

// withCaller gives api an auth service over db and returns a handler that sends requests
// without credentials as a caller of the given role (with a token of that role): the caller of
// the functional tests. Access control itself is tested in access_test.go without it.
func withCaller(t testing.TB, db *postgis.DB, api *httpapi.Server, role auth.Role, scope string) http.Handler {
	t.Helper()
	if api.Auth == nil {
		api.Auth = auth.NewService(db, false)
	}
	tok, _, err := api.Auth.CreateToken(context.Background(), auth.TokenRequest{Role: role, Scope: scope, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	h := api.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			r.Header.Set("Authorization", "Bearer "+tok)
		}
		h.ServeHTTP(w, r)
	})
}

// asNational is withCaller for a national analyst, who sees everything.
func asNational(t testing.TB, db *postgis.DB, api *httpapi.Server) http.Handler {
	return withCaller(t, db, api, auth.RoleNationell, "")
}
