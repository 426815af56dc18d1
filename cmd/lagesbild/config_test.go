package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
)

func TestConfig(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	c, err := loadConfig(env())
	if err != nil || c.Addr != "127.0.0.1:8080" || c.AdminAddr != "" || len(c.ReadURLs) != 0 || c.TileCacheBytes != 256<<20 {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	c, err = loadConfig(env("LAGESBILD_ADMIN_ADDR", "127.0.0.1:9090",
		"LAGESBILD_READ_DATABASE_URL", "postgres://r1.example/lagesbild, host=r2.example dbname=lagesbild"))
	if err != nil || c.AdminAddr != "127.0.0.1:9090" || len(c.ReadURLs) != 2 || c.ReadURLs[1] != "host=r2.example dbname=lagesbild" {
		t.Fatalf("admin and replicas: %+v, %v", c, err)
	}
	// Every bad variable is named in one error, and no connection string is echoed.
	_, err = loadConfig(env("LAGESBILD_ADDR", "8080", "LAGESBILD_ADMIN_ADDR", "127.0.0.1:99999",
		"LAGESBILD_TILE_CACHE_MB", "lots", "LAGESBILD_LOG_LEVEL", "loud", "LAGESBILD_DB_NAME", "Bad-Name",
		"DATABASE_URL", "postgres://u:hemligt@[::1", "LAGESBILD_READ_DATABASE_URL", "postgres://ok/db,postgres://u:hemligt2@[bad",
		"LAGESBILD_DEMO_SCALE", "0", "LAGESBILD_PUBLIC_URL", "example.org", "LAGESBILD_JWT_ISSUER", "https://idp"))
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, want := range []string{`LAGESBILD_ADDR: "8080" is not host:port`, `LAGESBILD_ADMIN_ADDR: "127.0.0.1:99999" has no valid port`,
		`LAGESBILD_TILE_CACHE_MB: "lots"`, `LAGESBILD_LOG_LEVEL: "loud"`, `LAGESBILD_DB_NAME: "Bad-Name"`,
		"DATABASE_URL: not a valid", "LAGESBILD_READ_DATABASE_URL: connection string 2 is not valid",
		`LAGESBILD_DEMO_SCALE: "0"`, `LAGESBILD_PUBLIC_URL: "example.org"`, "LAGESBILD_JWT_ISSUER, LAGESBILD_JWT_AUDIENCE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "hemligt") {
		t.Errorf("error echoes a password:\n%v", err)
	}
	// The memory limit: the default follows the tile cache bound; sizes with units; off; GOMEMLIMIT wins.
	for _, tc := range []struct {
		kv   []string
		want int64
	}{
		{nil, 384 << 20}, // the default tile cache (256 MiB) plus 128 MiB
		{[]string{"LAGESBILD_TILE_CACHE_MB", "64"}, 250 << 20},
		{[]string{"LAGESBILD_MEMORY_LIMIT", "300MiB"}, 300 << 20},
		{[]string{"LAGESBILD_MEMORY_LIMIT", "1GiB"}, 1 << 30},
		{[]string{"LAGESBILD_MEMORY_LIMIT", "500MB"}, 500e6},
		{[]string{"LAGESBILD_MEMORY_LIMIT", "off"}, 0},
		{[]string{"LAGESBILD_MEMORY_LIMIT", "0"}, 0},
		{[]string{"GOMEMLIMIT", "200MiB"}, -1},
	} {
		if c, err := loadConfig(env(tc.kv...)); err != nil || c.MemoryLimit != tc.want {
			t.Errorf("%v: memory limit %d, %v; want %d", tc.kv, c.MemoryLimit, err, tc.want)
		}
	}
	for _, kv := range [][]string{{"LAGESBILD_MEMORY_LIMIT", "lots"}, {"LAGESBILD_MEMORY_LIMIT", "10MiB"},
		{"LAGESBILD_MEMORY_LIMIT", "-5MiB"}, {"LAGESBILD_MEMORY_LIMIT", "250MiB", "GOMEMLIMIT", "250MiB"}} {
		if _, err := loadConfig(env(kv...)); err == nil || !strings.Contains(err.Error(), "LAGESBILD_MEMORY_LIMIT") {
			t.Errorf("%v: error %v, want one naming LAGESBILD_MEMORY_LIMIT", kv, err)
		}
	}
	// The pools: sizes given, and an expensive-read bound that would take the whole reader pool.
	c, err = loadConfig(env("LAGESBILD_DB_CONNS", "8", "LAGESBILD_DB_AUDIT_CONNS", "3", "LAGESBILD_DB_EXPENSIVE_READS", "6"))
	if err != nil || c.DBConns != 8 || c.AuditConns != 3 || c.ExpensiveReads != 6 {
		t.Errorf("pool sizes: %+v, %v", c, err)
	}
	_, err = loadConfig(env("LAGESBILD_DB_CONNS", "4", "LAGESBILD_DB_EXPENSIVE_READS", "4", "LAGESBILD_DB_AUDIT_CONNS", "none"))
	for _, want := range []string{"LAGESBILD_DB_EXPENSIVE_READS: 4 must be below LAGESBILD_DB_CONNS (4)", `LAGESBILD_DB_AUDIT_CONNS: "none"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad pool sizes: error lacks %q: %v", want, err)
		}
	}
	// The audit writer's adaptive group commit: a default, a value, off, and values out of range.
	for _, tc := range []struct {
		v    string
		want time.Duration
	}{{"", auth.AuditBatchDelay}, {"1ms", time.Millisecond}, {"0", 0}, {"150us", 150 * time.Microsecond}} {
		if c, err := loadConfig(env("LAGESBILD_AUDIT_DELAY", tc.v)); err != nil || c.AuditDelay != tc.want {
			t.Errorf("LAGESBILD_AUDIT_DELAY=%q: %v, %v; want %v", tc.v, c.AuditDelay, err, tc.want)
		}
	}
	for _, v := range []string{"soon", "-1ms", "6ms", "200"} {
		if _, err := loadConfig(env("LAGESBILD_AUDIT_DELAY", v)); err == nil || !strings.Contains(err.Error(), "LAGESBILD_AUDIT_DELAY") {
			t.Errorf("LAGESBILD_AUDIT_DELAY=%q: error %v, want one naming it", v, err)
		}
	}
	if _, err := loadConfig(env("LAGESBILD_ADDR", "127.0.0.1:8080", "LAGESBILD_ADMIN_ADDR", "127.0.0.1:8080")); err == nil ||
		!strings.Contains(err.Error(), "address of their own") {
		t.Errorf("admin address = public address: %v", err)
	}
}

func TestVersion(t *testing.T) {
	out, _ := runCLI(t, nil, "version")
	level, n, err := migrationLevel()
	if err != nil || level < 14 || n < 13 {
		t.Fatalf("migrationLevel = %d, %d, %v", level, n, err)
	}
	for _, want := range []string{"lagesbild ", "go1.", "migrations: level "} {
		if !strings.Contains(out, want) {
			t.Errorf("version printed %q, lacks %q", out, want)
		}
	}
}

// TestServeRefusesBadConfig: serve checks its configuration before it does anything else (no
// cluster started, no data directory made, no port opened) and says what is wrong.
func TestServeRefusesBadConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"LAGESBILD_DATA_DIR": dir, "LAGESBILD_ADDR": "8080", "LAGESBILD_DB_CONNS": "many"}
	err := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("serve started with a bad configuration")
	}
	for _, want := range []string{`LAGESBILD_ADDR: "8080" is not host:port`, `LAGESBILD_DB_CONNS: "many"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, statErr := os.Stat(dir); !os.IsNotExist(statErr) {
		t.Errorf("the data directory exists after a refused start: %v", statErr)
	}
}
