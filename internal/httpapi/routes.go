package httpapi

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// routes lists every endpoint of the service in one place.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.GetHead)
	r.Use(middleware.RequestID)
	r.Use(middleware.RealIP)
	r.Use(s.logRequests)
	r.Use(s.recoverPanics)
	r.Use(securityHeaders)

	r.Get("/healthz", s.handleHealth)
	r.Get("/readyz", s.handleReady)

	r.Route("/api/v1", func(r chi.Router) {
		if s.Imports != nil {
			// Writes form their own group so access control can restrict them as one; an
			// import of a large file may take longer than the read timeout.
			r.Group(func(r chi.Router) {
				r.Post("/imports", s.handleImport)
			})
		}
		r.Group(func(r chi.Router) {
			r.Use(middleware.Timeout(60 * time.Second))
			r.Get("/area-sets", s.handleAreaSets)
			r.Get("/areas", s.handleAreas)
			r.Get("/areas/{id}", s.handleArea)
			r.Get("/kommuner", s.handleBoundaries(boundaryKommun))
			r.Get("/lan", s.handleBoundaries(boundaryLan))
			r.Get("/polisregioner", s.handleBoundaries(boundaryRegion))
		})
		s.summaryRoutes(r)
		r.NotFound(func(w http.ResponseWriter, r *http.Request) {
			s.writeError(w, r, notFound("no such endpoint: %s", r.URL.Path))
		})
	})

	s.tileRoutes(r)
	s.ogcRoutes(r)

	if s.Web != nil {
		r.Handle("/*", http.FileServerFS(s.Web))
	}
	return r
}
