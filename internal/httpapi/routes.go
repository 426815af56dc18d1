package httpapi

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/lagesbild/lagesbild/internal/auth"
)

// routes lists every endpoint of the service in one place. Only /healthz, /readyz, the login
// endpoints and the web page's static files are open; every other route needs a session or a
// token, is checked against the caller's role (403) and scope (filtered, or 403 for one
// resource outside it), and writes an audit row before its response leaves.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.bodyDeadline) // first: it needs the connection's own ResponseWriter
	r.Use(headAsGet)
	r.Use(ownRequestID)
	r.Use(middleware.RequestID)
	r.Use(s.logRequests)
	r.Use(s.recoverPanics)
	r.Use(s.securityHeaders)
	r.Use(s.wellFormedQuery)
	r.Use(s.identify)

	r.Get("/healthz", s.handleHealth)
	r.Get("/readyz", s.handleReady)

	// The analysts' API: not for gis tokens (they read tiles and OGC API) nor admins.
	analyst := s.allow(func(id auth.Identity) bool { return id.CanReadSummaries() }, "read areas, summaries or reports")
	// JSON answers are gzipped for a client that asks (the areas' polygons, the summaries, the
	// style and its labels, OGC items); tiles carry their own Content-Encoding and are left alone.
	jsonGzip := middleware.Compress(5, "application/json", "application/geo+json", "application/schema+json",
		"application/vnd.oai.openapi+json")
	r.Route("/api/v1", func(r chi.Router) {
		r.Use(jsonGzip)
		if s.Auth != nil {
			r.Post("/session", s.handle(s.handleLogin))
			r.Delete("/session", s.handle(s.handleLogout))
		}
		if s.Imports != nil {
			// A file too large to hold back for the audit row: the handler writes the row first.
			r.With(s.authenticated, s.allow(auth.Identity.CanAdmin, "import data")).Get("/imports/rejects/{id}", s.handle(s.handleRejectFile))
		}
		if s.Samverkan != nil {
			// The same for POST /observations: each list is kept for the one who posted.
			r.With(s.authenticated, s.allow(func(id auth.Identity) bool { return id.CanAdmin() || id.CanReadObservations() },
				"add observations")).Get("/observations/rejects/{id}", s.handle(s.handleRejectFile))
		}
		r.Group(func(r chi.Router) {
			r.Use(s.authenticated)
			r.Use(s.audited)
			r.Get("/me", s.handle(s.handleMe))
			s.apiDocRoutes(r) // GET /api/v1/ and /api/v1/openapi.json (api_openapi.go)
			if s.Auth != nil {
				r.Route("/admin", func(r chi.Router) {
					r.Use(s.allow(auth.Identity.CanAdmin, "manage users and tokens or read the audit log"))
					s.adminRoutes(r)
				})
			}
			if s.Samverkan != nil {
				s.samverkanRoutes(r) // the joint lägesbild (samverkan.go)
			}
			if s.Imports != nil {
				// An import of a large file may take longer than the read timeout (bodyDeadline).
				r.With(s.allow(auth.Identity.CanAdmin, "import data")).Post("/imports", s.handle(s.handleImport))
			}
			r.Group(func(r chi.Router) {
				r.Use(analyst)
				r.Use(middleware.Timeout(60 * time.Second))
				r.Get("/area-sets", s.handle(s.handleAreaSets))
				r.Get("/areas", s.handle(s.handleAreas))
				r.With(s.areaAccess).Get("/areas/{id}", s.handle(s.handleArea))
				r.Get("/kommuner", s.handle(s.handleBoundaries(boundaryKommun)))
				r.Get("/lan", s.handle(s.handleBoundaries(boundaryLan)))
				r.Get("/polisregioner", s.handle(s.handleBoundaries(boundaryRegion)))
				s.summaryRoutes(r)
			})
		})
		r.NotFound(s.handle(func(w http.ResponseWriter, r *http.Request) error {
			return notFound("no such endpoint: %s", r.URL.Path)
		}))
	})

	r.Group(func(r chi.Router) {
		r.Use(jsonGzip)
		r.Use(cors) // before authentication: a CORS preflight carries no credentials
		r.Use(s.authenticated)
		r.Use(s.audited)
		r.Use(s.allow(func(id auth.Identity) bool { return id.CanReadData() || id.CanReadObservations() }, "read map layers"))
		// An agency analyst reads the style and the public geography's tiles (layerAccess: borders
		// and the police's published areas), never the police's incident or presence layers.
		r.Group(s.tileRoutes)
		s.ogcRoutes(r)
	})

	if s.Web != nil {
		// The page's files (MapLibre, the basemap GeoJSON) are sent gzipped: a third of the bytes.
		r.With(middleware.Compress(5, "text/html", "text/css", "text/javascript", "application/javascript",
			"application/json", "application/geo+json", "image/svg+xml")).Handle("/*", http.FileServerFS(s.Web))
	}
	return r
}
