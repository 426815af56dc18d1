package httpapi

import "github.com/go-chi/chi/v5"

// ogcRoutes mounts OGC API – Features and Tiles under /ogc.
func (s *Server) ogcRoutes(r chi.Router) {}
