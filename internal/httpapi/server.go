// Package httpapi is the HTTP face of the service: the chi router, the handlers, content
// negotiation and the one table that maps domain errors to status codes. It never touches SQL; it
// depends on the store interfaces of internal/lagesbild.
package httpapi

import (
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
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
	Logger    *slog.Logger
	Features  lagesbild.FeatureStore
	// Summaries computes area summaries and the prioritisation; nil disables them.
	Summaries SummaryService
	// Profiles keeps saved weightings of the prioritisation; nil disables them.
	Profiles lagesbild.WeightProfileStore
	// Auth authenticates callers and keeps accounts, tokens and the audit log. Without it no
	// protected route is reachable (every one answers 401).
	Auth *auth.Service
}

// Handler returns the router with every route and middleware.
func (s *Server) Handler() http.Handler { return s.routes() }
