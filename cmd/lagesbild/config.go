package main

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/lagesbild/lagesbild/internal/auth"
)

// config is read from the environment; every field has a documented default.
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
	// MaxImportBytes caps one file uploaded to POST /api/v1/imports (LAGESBILD_MAX_IMPORT_MB).
	MaxImportBytes int64
	// MaxConns caps the open HTTP connections (LAGESBILD_MAX_CONNS).
	MaxConns int
	// DemoScale is the volume of the demo data serve --demo loads (1: about 400 000 incidents).
	DemoScale float64
	// JWT configures bearer JWTs from an agency identity provider; empty Issuer: off.
	JWT auth.JWTConfig
}

func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		DatabaseURL: getenv("DATABASE_URL"),
		ReaderURL:   getenv("LAGESBILD_READER_DATABASE_URL"),
		Addr:        or(getenv("LAGESBILD_ADDR"), "127.0.0.1:8080"),
		DataDir:     or(getenv("LAGESBILD_DATA_DIR"), "./var"),
		DBName:      or(getenv("LAGESBILD_DB_NAME"), "lagesbild"),
		PublicURL:   getenv("LAGESBILD_PUBLIC_URL"),
		JWT: auth.JWTConfig{Issuer: getenv("LAGESBILD_JWT_ISSUER"), Audience: getenv("LAGESBILD_JWT_AUDIENCE"),
			JWKSURL: getenv("LAGESBILD_JWT_JWKS_URL")},
	}
	if (c.JWT.Issuer != "") != (c.JWT.JWKSURL != "") || (c.JWT.Issuer != "" && c.JWT.Audience == "") {
		return c, fmt.Errorf("LAGESBILD_JWT_ISSUER, LAGESBILD_JWT_AUDIENCE and LAGESBILD_JWT_JWKS_URL go together: set all three or none")
	}
	mb, err := strconv.Atoi(or(getenv("LAGESBILD_TILE_CACHE_MB"), "256"))
	if err != nil || mb < 0 {
		return c, fmt.Errorf("LAGESBILD_TILE_CACHE_MB: %q is not a whole number of megabytes", getenv("LAGESBILD_TILE_CACHE_MB"))
	}
	c.TileCacheBytes = int64(mb) << 20
	importMB, err := strconv.Atoi(or(getenv("LAGESBILD_MAX_IMPORT_MB"), "64"))
	if err != nil || importMB < 1 || importMB > 4096 {
		return c, fmt.Errorf("LAGESBILD_MAX_IMPORT_MB: %q is not a whole number of megabytes (1–4096)", getenv("LAGESBILD_MAX_IMPORT_MB"))
	}
	c.MaxImportBytes = int64(importMB) << 20
	if c.MaxConns, err = strconv.Atoi(or(getenv("LAGESBILD_MAX_CONNS"), "1000")); err != nil || c.MaxConns < 1 {
		return c, fmt.Errorf("LAGESBILD_MAX_CONNS: %q is not a positive whole number", getenv("LAGESBILD_MAX_CONNS"))
	}
	scale, err := strconv.ParseFloat(or(getenv("LAGESBILD_DEMO_SCALE"), "1"), 64)
	if err != nil || scale <= 0 || scale > 20 {
		return c, fmt.Errorf("LAGESBILD_DEMO_SCALE: %q is not a number in (0, 20]", getenv("LAGESBILD_DEMO_SCALE"))
	}
	c.DemoScale = scale
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return c, fmt.Errorf("LAGESBILD_PUBLIC_URL: %q must start with http:// or https://", c.PublicURL)
	}
	if err := c.LogLevel.UnmarshalText([]byte(or(getenv("LAGESBILD_LOG_LEVEL"), "info"))); err != nil {
		return c, fmt.Errorf("LAGESBILD_LOG_LEVEL: %q is not debug, info, warn or error", getenv("LAGESBILD_LOG_LEVEL"))
	}
	for _, r := range c.DBName {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return c, fmt.Errorf("LAGESBILD_DB_NAME: %q may only hold a-z, 0-9 and _", c.DBName)
		}
	}
	return c, nil
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
