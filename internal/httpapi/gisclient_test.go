package httpapi_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// requireGISClient skips the test when a real GIS client it drives is missing, and fails it in
// CI, where scripts/install-deps.sh gdal must have installed it (Debian package pkg).
func requireGISClient(t *testing.T, err error, what, pkg string) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed (%v): run scripts/install-deps.sh gdal", what, err)
	}
	t.Skipf("%s is not installed; scripts/install-deps.sh gdal (Debian: apt-get install %s) installs it", what, pkg)
}

// localClientEnv is the environment for a client process that may reach the local test server
// only: every proxy setting is dropped and loopback is exempted, then extra is appended.
func localClientEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.Contains(strings.ToLower(name), "proxy") {
			env = append(env, kv)
		}
	}
	env = append(env, "NO_PROXY=127.0.0.1,localhost")
	return append(env, extra...)
}

// gisTestServer is the API over a fresh test database, read as a GIS tool reads it: with a gis
// token (coarse cells, no points) for all of Sweden.
func gisTestServer(t *testing.T) (*httpapi.Server, string) {
	t.Helper()
	db, _ := pgtest.New(t)
	api := &httpapi.Server{Areas: db, Ready: db, Features: db, Tiles: tiles.NewService(db, db, 1<<20), Logger: pgtest.Logger(t)}
	api.Auth = auth.NewService(db, false)
	token, _, err := api.Auth.CreateToken(context.Background(), auth.TokenRequest{Role: auth.RoleGIS, Scope: "all", CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return api, token
}
