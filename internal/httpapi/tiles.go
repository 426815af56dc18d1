package httpapi

import (
	"net/http"
)

// serveTile writes one vector tile of a layer (or comma-separated layers) for z/x/y (XYZ, y from
// the north), with caching headers; the OGC API Tiles route delegates to it.
func (s *Server) serveTile(w http.ResponseWriter, r *http.Request, layers string, z, x, y int) {
	s.writeError(w, r, notFound("vector tiles are not available yet"))
}
