// Package httpapi is the HTTP face of the service: the chi router, the handlers, content
// negotiation and the one table that maps domain errors to status codes. It never touches SQL; it
// depends on the store interfaces of internal/lagesbild.
package httpapi

import (
	"context"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/samverkan"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// Server holds what the handlers need.
type Server struct {
	Areas lagesbild.AreaStore
	Ready lagesbild.Readiness
	// Imports runs uploads; nil disables POST /api/v1/imports.
	Imports Imports
	// Tiles renders and caches vector tiles; nil disables them.
	Tiles *tiles.Service
	// PublicURL is the base of absolute URLs in TileJSON, styles and OGC links; empty: the
	// request's host.
	PublicURL string
	Web       fs.FS // the embedded web map (web.FS())
	// Basemap, when set (LAGESBILD_BASEMAP_STYLE), replaces the offline land layer of the style.
	Basemap  *Basemap
	Logger   *slog.Logger
	Features lagesbild.FeatureStore
	// Summaries computes area summaries and the prioritisation; nil disables them.
	Summaries SummaryService
	// Analysis runs the analyst's tools (time profiles, emerging hot spots, near repeat,
	// effect follow-up); nil disables them.
	Analysis AnalysisService
	// Profiles keeps saved weightings of the prioritisation; nil disables them.
	Profiles lagesbild.WeightProfileStore
	// Auth authenticates callers and keeps accounts, tokens and the audit log. Without it no
	// protected route is reachable (every one answers 401).
	Auth *auth.Service
	// Limits bound what one client can take of the server; zero fields take the defaults.
	Limits Limits
	// Samverkan is the joint lägesbild (decisions, observations, disclosure log); nil disables it.
	Samverkan *samverkan.Service
	// ItemCacheBytes bounds the cache of OGC API items pages (ogc_cache.go) by their estimated
	// size: 0 takes 32 MiB, a negative value keeps no pages.
	ItemCacheBytes int64
	// Versions, when set, is the data version the OGC items pages are kept under (serve gives
	// the source shared with the tile and summary caches, read at most once a second); nil:
	// the feature store's own, read for every request.
	Versions interface {
		DataVersion(ctx context.Context) (int64, error)
	}

	items   *itemCache // the cache under Features, once Handler has built it
	logins  *loginFailures
	rejects *rejectFiles
}

// Limits bound the time, connections and bytes a client can hold. Zero fields take the
// defaults named in each comment (README, "Limits").
type Limits struct {
	// ReadHeaderTimeout cuts a client that has not sent its headers (10 s).
	ReadHeaderTimeout time.Duration
	// BodyTimeout is the read deadline for the whole body of a request other than an import
	// (10 s); an import must keep sending: its deadline moves on by ImportIdle with every
	// 64 KiB that arrives.
	BodyTimeout time.Duration
	// ImportIdle is how long an import upload may go without 64 KiB arriving (30 s).
	ImportIdle time.Duration
	// ImportTimeout bounds one import request, upload and processing (30 min).
	ImportTimeout time.Duration
	// WriteTimeout bounds the handling and writing of a response other than an import (2 min;
	// reads stop after 60 s on their own).
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that sends no new request (60 s).
	IdleTimeout time.Duration
	// MaxConns caps open connections; further ones wait in the kernel's backlog (1000).
	MaxConns int
	// MaxImportBytes caps one uploaded file (64 MiB); larger files go through lagesbild import.
	MaxImportBytes int64
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

func (l Limits) readHeaderTimeout() time.Duration {
	return orDefault(l.ReadHeaderTimeout, 10*time.Second)
}
func (l Limits) bodyTimeout() time.Duration   { return orDefault(l.BodyTimeout, 10*time.Second) }
func (l Limits) importIdle() time.Duration    { return orDefault(l.ImportIdle, 30*time.Second) }
func (l Limits) importTimeout() time.Duration { return orDefault(l.ImportTimeout, 30*time.Minute) }
func (l Limits) writeTimeout() time.Duration  { return orDefault(l.WriteTimeout, 2*time.Minute) }
func (l Limits) idleTimeout() time.Duration   { return orDefault(l.IdleTimeout, 60*time.Second) }
func (l Limits) maxConns() int                { return orDefault(l.MaxConns, 1000) }
func (l Limits) maxImportBytes() int64        { return orDefault(l.MaxImportBytes, 64<<20) }

// HTTPServer returns an http.Server for the handler with the timeouts of s.Limits. The
// server-wide read timeout is left to the per-request body deadlines (bodyDeadline), which
// give an import longer than a login.
func (s *Server) HTTPServer() *http.Server {
	l := s.Limits
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: l.readHeaderTimeout(),
		WriteTimeout:      l.writeTimeout(),
		IdleTimeout:       l.idleTimeout(),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
}

// Close writes the audit rows of failed logins still being counted and removes the reject
// lists the server keeps.
func (s *Server) Close() {
	if s.logins != nil {
		s.logins.close()
		s.rejects.removeAll()
	}
}

// Listener caps the open connections of ln at Limits.MaxConns.
func (s *Server) Listener(ln net.Listener) net.Listener {
	return netutil.LimitListener(ln, s.Limits.maxConns())
}

// Handler returns the router with every route and middleware.
func (s *Server) Handler() http.Handler {
	if s.logins == nil {
		s.logins, s.rejects = &loginFailures{}, &rejectFiles{}
	}
	s.Features = withItemCache(s.Features, s.ItemCacheBytes, s.Versions) // OGC items pages (ogc_cache.go)
	if c, ok := s.Features.(*itemCache); ok {
		s.items = c
	}
	s.Features = withEmerging(s.Features, s.Analysis) // the emerging-<region> collections (ogc_emerging.go)
	return s.routes()
}
