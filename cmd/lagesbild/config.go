package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/postgis"
)

// config is read from the environment, every variable here in one place (see the usage text);
// every field has a documented default. loadConfig names each variable whose value is bad.
type config struct {
	DatabaseURL string // empty: use the managed cluster
	// ReaderURL is a login role in lagesbild_reader on the DATABASE_URL server (optional).
	ReaderURL string
	Addr      string
	DataDir   string
	DBName    string
	LogLevel  slog.Level
	PublicURL string // base of absolute URLs in TileJSON and OGC links; empty: the request's host
	// TileCacheBytes bounds the in-process cache of gzipped tiles.
	TileCacheBytes int64
	// MemoryLimit is the Go runtime's soft memory limit for serve (LAGESBILD_MEMORY_LIMIT):
	// the GC works harder as the heap nears it instead of letting it grow to twice the live
	// data. 0: none; -1: GOMEMLIMIT is set and the runtime has it already.
	MemoryLimit int64
	// MaxImportBytes caps one file uploaded to POST /api/v1/imports (LAGESBILD_MAX_IMPORT_MB).
	MaxImportBytes int64
	// MaxConns caps the open HTTP connections (LAGESBILD_MAX_CONNS).
	MaxConns int
	// DemoScale is the volume of the demo data serve --demo loads (1: about 400 000 incidents).
	DemoScale float64
	// DBConns is the size of the owner pool and of the reader pool each (LAGESBILD_DB_CONNS);
	// AuditConns that of the pool that writes audit rows (LAGESBILD_DB_AUDIT_CONNS);
	// ExpensiveReads bounds the tile renders, summaries and OGC feature reads running at once
	// (LAGESBILD_DB_EXPENSIVE_READS), below DBConns so the cheap reads always find a connection.
	DBConns, AuditConns, ExpensiveReads int
	// AuditSpoolBytes bounds the local spool of audit rows kept while the database is down.
	AuditSpoolBytes int64
	// AuditDelay bounds how long a small audit batch waits for more rows while others commit
	// (LAGESBILD_AUDIT_DELAY, a duration up to 5ms; 0 turns it off; default
	// auth.AuditBatchDelay).
	AuditDelay time.Duration
	// JWT configures bearer JWTs from an agency identity provider; empty Issuer: off.
	JWT auth.JWTConfig
	// AdminAddr is where /metrics is served (LAGESBILD_ADMIN_ADDR); empty: off.
	AdminAddr string
	// ReadURLs are streaming replicas of DATABASE_URL for the scoped reads
	// (LAGESBILD_READ_DATABASE_URL, comma-separated).
	ReadURLs []string
	// BasemapStyle is a MapLibre style (file path or http(s) URL) to draw the map's layers over
	// instead of the bundled offline land layer; empty: offline basemap.
	BasemapStyle string
}

// loadConfig reads and checks the environment; the error names every variable whose value is
// bad, not only the first (connection strings are not echoed: they may hold a password).
func loadConfig(getenv func(string) string) (config, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	c := config{
		DatabaseURL:  getenv("DATABASE_URL"),
		ReaderURL:    getenv("LAGESBILD_READER_DATABASE_URL"),
		Addr:         or(getenv("LAGESBILD_ADDR"), "127.0.0.1:8080"),
		AdminAddr:    strings.TrimSpace(getenv("LAGESBILD_ADMIN_ADDR")),
		DataDir:      or(getenv("LAGESBILD_DATA_DIR"), "./var"),
		DBName:       or(getenv("LAGESBILD_DB_NAME"), "lagesbild"),
		PublicURL:    getenv("LAGESBILD_PUBLIC_URL"),
		BasemapStyle: getenv("LAGESBILD_BASEMAP_STYLE"),
		JWT: auth.JWTConfig{Issuer: getenv("LAGESBILD_JWT_ISSUER"), Audience: getenv("LAGESBILD_JWT_AUDIENCE"),
			JWKSURL: getenv("LAGESBILD_JWT_JWKS_URL")},
	}
	if (c.JWT.Issuer != "") != (c.JWT.JWKSURL != "") || (c.JWT.Issuer != "" && c.JWT.Audience == "") {
		bad("LAGESBILD_JWT_ISSUER, LAGESBILD_JWT_AUDIENCE and LAGESBILD_JWT_JWKS_URL go together: set all three or none")
	}
	mb, err := strconv.Atoi(or(getenv("LAGESBILD_TILE_CACHE_MB"), "256"))
	if err != nil || mb < 0 {
		bad("LAGESBILD_TILE_CACHE_MB: %q is not a whole number of megabytes", getenv("LAGESBILD_TILE_CACHE_MB"))
	}
	c.TileCacheBytes = int64(mb) << 20
	c.MemoryLimit = memoryLimit(getenv, c.TileCacheBytes, bad)
	importMB, err := strconv.Atoi(or(getenv("LAGESBILD_MAX_IMPORT_MB"), "64"))
	if err != nil || importMB < 1 || importMB > 4096 {
		return c, fmt.Errorf("LAGESBILD_MAX_IMPORT_MB: %q is not a whole number of megabytes (1–4096)", getenv("LAGESBILD_MAX_IMPORT_MB"))
	}
	c.MaxImportBytes = int64(importMB) << 20
	if c.MaxConns, err = strconv.Atoi(or(getenv("LAGESBILD_MAX_CONNS"), "1000")); err != nil || c.MaxConns < 1 {
		return c, fmt.Errorf("LAGESBILD_MAX_CONNS: %q is not a positive whole number", getenv("LAGESBILD_MAX_CONNS"))
	}
	// Zero leaves the pool size to the connection string's pool_max_conns or pgx's default
	// (4, or the number of CPUs if more) and the expensive bound to that size less one.
	c.DBConns, c.AuditConns, c.ExpensiveReads = envInt(getenv, "LAGESBILD_DB_CONNS", 1000, bad), envInt(getenv, "LAGESBILD_DB_AUDIT_CONNS", 100, bad),
		envInt(getenv, "LAGESBILD_DB_EXPENSIVE_READS", 1000, bad)
	if c.DBConns > 1 && c.ExpensiveReads >= c.DBConns {
		bad("LAGESBILD_DB_EXPENSIVE_READS: %d must be below LAGESBILD_DB_CONNS (%d), so that cheap reads always find a connection", c.ExpensiveReads, c.DBConns)
	}
	spoolMB, err := strconv.Atoi(or(getenv("LAGESBILD_AUDIT_SPOOL_MB"), "256"))
	if err != nil || spoolMB < 1 {
		bad("LAGESBILD_AUDIT_SPOOL_MB: %q is not a whole number of megabytes (at least 1)", getenv("LAGESBILD_AUDIT_SPOOL_MB"))
	}
	c.AuditSpoolBytes = int64(spoolMB) << 20
	c.AuditDelay = auth.AuditBatchDelay
	if raw := strings.TrimSpace(getenv("LAGESBILD_AUDIT_DELAY")); raw != "" {
		if d, err := time.ParseDuration(raw); err != nil || d < 0 || d > 5*time.Millisecond {
			bad("LAGESBILD_AUDIT_DELAY: %q is not a duration from 0 to 5ms (such as 200us)", raw)
		} else {
			c.AuditDelay = d
		}
	}
	scale, err := strconv.ParseFloat(or(getenv("LAGESBILD_DEMO_SCALE"), "1"), 64)
	if err != nil || scale <= 0 || scale > 20 {
		bad("LAGESBILD_DEMO_SCALE: %q is not a number in (0, 20]", getenv("LAGESBILD_DEMO_SCALE"))
	}
	c.DemoScale = scale
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		bad("LAGESBILD_PUBLIC_URL: %q must start with http:// or https://", c.PublicURL)
	}
	if err := c.LogLevel.UnmarshalText([]byte(or(getenv("LAGESBILD_LOG_LEVEL"), "info"))); err != nil {
		bad("LAGESBILD_LOG_LEVEL: %q is not debug, info, warn or error", getenv("LAGESBILD_LOG_LEVEL"))
	}
	for _, r := range c.DBName {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			bad("LAGESBILD_DB_NAME: %q may only hold a-z, 0-9 and _", c.DBName)
			break
		}
	}
	if err := checkHostPort(c.Addr); err != nil {
		bad("LAGESBILD_ADDR: %q %v", c.Addr, err)
	}
	if c.AdminAddr != "" {
		if err := checkHostPort(c.AdminAddr); err != nil {
			bad("LAGESBILD_ADMIN_ADDR: %q %v", c.AdminAddr, err)
		} else if c.AdminAddr == c.Addr {
			bad("LAGESBILD_ADMIN_ADDR: %q is LAGESBILD_ADDR too; metrics need an address of their own", c.AdminAddr)
		}
	}
	if c.DatabaseURL != "" && postgis.CheckURL(c.DatabaseURL) != nil {
		bad("DATABASE_URL: not a valid PostgreSQL connection string")
	}
	if c.ReaderURL != "" && postgis.CheckURL(c.ReaderURL) != nil {
		bad("LAGESBILD_READER_DATABASE_URL: not a valid PostgreSQL connection string")
	}
	if raw := strings.TrimSpace(getenv("LAGESBILD_READ_DATABASE_URL")); raw != "" {
		for i, u := range strings.Split(raw, ",") {
			u = strings.TrimSpace(u)
			if postgis.CheckURL(u) != nil {
				bad("LAGESBILD_READ_DATABASE_URL: connection string %d is not valid (separate several with commas; write a comma inside one as %%2C)", i+1)
				continue
			}
			c.ReadURLs = append(c.ReadURLs, u)
		}
	}
	return c, errors.Join(errs...)
}

// defaultMemoryLimit is the soft memory limit of serve unless LAGESBILD_MEMORY_LIMIT says
// otherwise; with a tile cache bound above defaultMemoryLimit-128 MiB the limit is the cache
// bound plus 128 MiB, so that a full cache does not keep the GC running.
const defaultMemoryLimit = 250 << 20

// memoryLimit reads LAGESBILD_MEMORY_LIMIT: a size in B, KiB, MiB, GiB (or kB, MB, GB), or 0 or
// off for none; at least 64 MiB. GOMEMLIMIT, when set, wins (-1).
func memoryLimit(getenv func(string) string, tileCache int64, bad func(string, ...any)) int64 {
	raw := strings.TrimSpace(getenv("LAGESBILD_MEMORY_LIMIT"))
	if strings.TrimSpace(getenv("GOMEMLIMIT")) != "" {
		if raw != "" {
			bad("LAGESBILD_MEMORY_LIMIT and GOMEMLIMIT are both set: set one")
		}
		return -1
	}
	if raw == "" {
		return max(defaultMemoryLimit, tileCache+128<<20)
	}
	if raw == "0" || strings.EqualFold(raw, "off") {
		return 0
	}
	n, err := parseSize(raw)
	if err != nil || n < 64<<20 {
		bad("LAGESBILD_MEMORY_LIMIT: %q is not a size of at least 64MiB (such as 250MiB or 1GiB), 0 or off", raw)
		return 0
	}
	return n
}

// parseSize reads a whole number with an optional unit: B, KiB, MiB, GiB, kB, MB, GB.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<50)/mult {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

// checkHostPort checks a listen address: host:port, the port a number (0 picks a free one).
func checkHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("is not host:port (such as 127.0.0.1:8080)")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return errors.New("has no valid port (0 to 65535)")
	}
	return nil
}

// envInt reads a whole number from 1 to most; unset is 0.
func envInt(getenv func(string) string, name string, most int, bad func(string, ...any)) int {
	raw := strings.TrimSpace(getenv(name))
	if raw == "" {
		return 0
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > most {
		bad("%s: %q is not a whole number from 1 to %d", name, raw, most)
		return 0
	}
	return n
}

func or(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return v
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
