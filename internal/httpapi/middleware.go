package httpapi

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		start := time.Now()
		next.ServeHTTP(ww, r)
		s.Logger.Info("request", "method", r.Method, "path", r.URL.Path, "status", ww.Status(),
			"bytes", ww.BytesWritten(), "duration_ms", time.Since(start).Milliseconds(),
			"request_id", middleware.GetReqID(r.Context()))
	})
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) (err error) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				err = fmt.Errorf("panic: %v", v) // a 500 whose text only the log sees
			}
		}()
		next.ServeHTTP(w, r)
		return nil
	})
}

// securityHeaders sets headers for every response. The CSP lets MapLibre run its blob worker
// and inline style attributes, and nothing from other origins but an operator's basemap.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	extra := s.cspOrigins()
	// The values are built once: every response, a cached tile's too, carries them, and a
	// header map takes a shared []string without copying it.
	csp := []string{"default-src 'self'; script-src 'self'; worker-src 'self' blob:; " +
		"child-src blob:; img-src 'self' data: blob:" + extra + "; style-src 'self' 'unsafe-inline'; connect-src 'self'" + extra + "; " +
		"font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"}
	nosniff, noReferrer := []string{"nosniff"}, []string{"no-referrer"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Content-Type-Options"] = nosniff
		h["Referrer-Policy"] = noReferrer
		h["Content-Security-Policy"] = csp
		next.ServeHTTP(w, r)
	})
}

// ownRequestID drops a request id the client sent: ids are the server's own, so a client can
// neither forge the id in the audit log nor send one that cannot be stored.
func ownRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del(middleware.RequestIDHeader)
		next.ServeHTTP(w, r)
	})
}

// wellFormedQuery refuses a query string that cannot be parsed whole: url.Values silently drops
// the pairs it cannot read (a raw ';', a broken %-escape), and a filter must never be ignored.
func (s *Server) wellFormedQuery(next http.Handler) http.Handler {
	return s.guard(func(_ http.ResponseWriter, r *http.Request) (*http.Request, error) {
		if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
			return nil, lagesbild.Invalid("query", "the query string cannot be read: %s", truncate(err.Error(), 80))
		}
		return r, nil
	})(next)
}

// headAsGet routes every HEAD request as the GET of its path, and the handlers leave out the
// body (net/http discards it for HEAD anyway). chi's GetHead does this only when no route
// matches HEAD, and the catch-all file server and mounted routers match every method, so HEAD
// on tiles, TileJSON, the style and /ogc ended in 404 or 405.
func headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			if rctx := chi.RouteContext(r.Context()); rctx != nil {
				rctx.RouteMethod = http.MethodGet
			}
		}
		next.ServeHTTP(w, r)
	})
}

// bodyDeadline sets the read deadline of a request body (the server has no overall read
// timeout, so that an import can take longer than a login): Limits.BodyTimeout for the whole
// body of an ordinary request; an import upload must keep sending, its deadline moving on by
// Limits.ImportIdle with every 64 KiB, up to Limits.ImportTimeout, which also bounds its
// response. A client that sends a byte a second is cut either way. (Once the body is read,
// net/http lifts the deadline itself for its background read, so a long import transaction
// after the upload is not cut.)
func (s *Server) bodyDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		now := time.Now()
		if r.Method == http.MethodPost && r.URL.Path == "/api/v1/imports" {
			end := now.Add(s.Limits.importTimeout())
			_ = rc.SetWriteDeadline(end)
			p := &progressDeadline{ReadCloser: r.Body, rc: rc, idle: s.Limits.importIdle(), end: end}
			p.extend(now)
			r.Body = p
		} else {
			// An error means the connection cannot take deadlines (HTTP/2 over some proxies);
			// the server's write timeout still bounds the request.
			_ = rc.SetReadDeadline(now.Add(s.Limits.bodyTimeout()))
		}
		next.ServeHTTP(w, r)
	})
}

// progressDeadline moves a read deadline on as data arrives.
type progressDeadline struct {
	io.ReadCloser
	rc    *http.ResponseController
	idle  time.Duration
	end   time.Time
	since int
}

func (p *progressDeadline) extend(now time.Time) {
	d := now.Add(p.idle)
	if d.After(p.end) {
		d = p.end
	}
	_ = p.rc.SetReadDeadline(d)
}

func (p *progressDeadline) Read(b []byte) (int, error) {
	n, err := p.ReadCloser.Read(b)
	if p.since += n; p.since >= 64<<10 {
		p.since = 0
		p.extend(time.Now())
	}
	return n, err
}
