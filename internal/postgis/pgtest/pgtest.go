// Package pgtest gives tests their own PostGIS database: on the server named by TEST_DATABASE_URL,
// or else on the project-managed cluster (started on demand under LAGESBILD_DATA_DIR, default
// <repo>/var). Each test gets a fresh database copied from a template that is migrated and holds
// the bundled geodata; the template is built once per content of migrations/ and geodata/.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/geodata"
	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/pgmanaged"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/refdata"
	"github.com/lagesbild/lagesbild/migrations"
)

var (
	serverOnce sync.Once
	serverURL  string // connection to the maintenance database "postgres"
	serverErr  error
	// servicePassword is the password serve gives lagesbild_service on the managed cluster;
	// tests use the same one, since the role is shared by every database of the cluster.
	servicePassword string
)

// ServerURL returns a connection string for the server's maintenance database, starting the
// managed cluster if needed. Tests that need PostGIS fail (never skip) when it cannot be had.
func ServerURL(t testing.TB) string {
	t.Helper()
	serverOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
			serverURL = u
			return
		}
		dir := os.Getenv("LAGESBILD_DATA_DIR")
		if dir == "" {
			root, err := repoRoot()
			if err != nil {
				serverErr = err
				return
			}
			dir = filepath.Join(root, "var")
		}
		c, err := pgmanaged.Start(ctx, pgmanaged.Options{DataDir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			serverErr = err
			return
		}
		serverURL = c.URL("postgres")
		servicePassword = c.DerivedPassword(postgis.ServiceRole)
	})
	if serverErr != nil {
		t.Fatalf("pgtest: no PostGIS server: %v", serverErr)
	}
	return serverURL
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("pgtest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// templateName is derived from the content of the migrations and the geodata, so a change to
// either builds a new template instead of reusing a stale one.
func templateName() (string, error) {
	h := sha256.New()
	for _, fsys := range []fs.FS{migrations.FS, geodata.FS} {
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s %d\n", p, len(b))
			h.Write(b)
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	return "lagesbild_tmpl_" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

func randomName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// NewEmpty creates an empty database (no migrations) for this test and returns its URL.
func NewEmpty(t testing.TB) string {
	t.Helper()
	return newDatabase(t, "")
}

// New returns a connection to a fresh database for this test, migrated and loaded with the
// bundled geodata, and its URL. The database is dropped when the test ends.
func New(t testing.TB) (*postgis.DB, string) {
	t.Helper()
	admin := ServerURL(t)
	tmpl, err := templateName()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = postgis.WithServerLock(ctx, admin, "lagesbild-pgtest-template", func() error {
		existing, err := postgis.Databases(ctx, admin, tmpl)
		if err != nil || len(existing) > 0 {
			return err
		}
		return buildTemplate(ctx, admin, tmpl)
	})
	if err != nil {
		t.Fatalf("pgtest: template: %v", err)
	}
	url := newDatabase(t, tmpl)
	db, err := postgis.Open(ctx, url, postgis.Options{MaxConns: 8}, Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db, url
}

func buildTemplate(ctx context.Context, admin, name string) error {
	building := name + "_build"
	if err := postgis.DropDatabase(ctx, admin, building); err != nil {
		return err
	}
	if _, err := postgis.EnsureDatabase(ctx, admin, building, ""); err != nil {
		return err
	}
	url, err := postgis.SetDatabaseURL(admin, building)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := postgis.Open(ctx, url, postgis.Options{}, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	b, err := refdata.Load(geodata.FS)
	if err != nil {
		return err
	}
	if _, err := db.ImportRefdata(ctx, b); err != nil {
		return err
	}
	db.Close()
	// Stale templates of earlier contents go; the new one appears under its final name at once.
	old, err := postgis.Databases(ctx, admin, "lagesbild_tmpl_%")
	if err != nil {
		return err
	}
	for _, o := range old {
		if o != building {
			_ = postgis.DropDatabase(ctx, admin, o)
		}
	}
	return postgis.RenameDatabase(ctx, admin, building, name)
}

func newDatabase(t testing.TB, template string) string {
	t.Helper()
	admin := ServerURL(t)
	name := randomName("lagesbild_test_")
	ctx := context.Background()
	if _, err := postgis.EnsureDatabase(ctx, admin, name, template); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := postgis.DropDatabase(context.Background(), admin, name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	url, err := postgis.SetDatabaseURL(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// Logger returns a logger that writes into the test log.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: logLevel()}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// Conn opens a plain connection to url for assertions in SQL; it is closed when the test ends.
func Conn(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// logLevel is warn unless PGTEST_LOG=debug asks for the store's step timings.
func logLevel() slog.Level {
	if os.Getenv("PGTEST_LOG") == "debug" {
		return slog.LevelDebug
	}
	return slog.LevelWarn
}

// National returns ctx carrying a national analyst's identity, which row-level security lets
// see every row; tests of the stores read as it unless they test scoping.
func National(ctx context.Context) context.Context {
	return auth.WithIdentity(ctx, auth.Identity{Subject: "test-nationell", Role: auth.RoleNationell, Scope: auth.Scope{All: true}})
}

// ServicePassword returns the password of the service's login role (postgis.ServiceRole) on the
// test server: the managed cluster's derived one, or a fixed one on TEST_DATABASE_URL.
func ServicePassword(t testing.TB) string {
	t.Helper()
	ServerURL(t)
	if servicePassword == "" {
		return "lagesbild-test-service-password"
	}
	return servicePassword
}
