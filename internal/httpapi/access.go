package httpapi

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// sessionCookie names the browser session cookie (HttpOnly, SameSite=Strict, Secure behind TLS).
const sessionCookie = "lagesbild_session"

type csrfKey struct{}

// errUnauthenticated is the 401 of a request without valid credentials.
var errUnauthenticated = newError(auth.ErrUnauthenticated, "log in or send an API token (Authorization: Bearer)")

func forbidden(format string, args ...any) error {
	return newError(lagesbild.ErrForbidden, format, args...)
}

// identify reads the caller's credentials: an Authorization: Bearer token or JWT, or else the
// session cookie. A bearer credential that is not valid ends the request with 401 (a revoked
// or expired token fails at once); a stale cookie is ignored, so the login page still loads.
// State-changing requests made with a session cookie must repeat its CSRF token in
// X-CSRF-Token.
func (s *Server) identify(next http.Handler) http.Handler {
	return s.guard(s.identifyCheck)(next)
}

func (s *Server) identifyCheck(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
	if s.Auth == nil {
		return r, nil
	}
	ctx := r.Context()
	// Logging in needs no earlier session, so it needs no CSRF token either.
	login := r.Method == http.MethodPost && r.URL.Path == "/api/v1/session"
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, cred, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(cred) == "" {
			return nil, s.unauthorized(w, r, errors.New("authorization header is not a bearer credential"))
		}
		id, err := s.Auth.FromBearer(ctx, strings.TrimSpace(cred))
		if err != nil && !errors.Is(err, auth.ErrUnauthenticated) {
			// The credential could not be checked (the database is down): 503 with
			// Retry-After, never 401, which would make a client ask its user to log in.
			return nil, credentialUnchecked(err)
		}
		if err != nil {
			return nil, s.unauthorized(w, r, err)
		}
		return r.WithContext(auth.WithIdentity(ctx, id)), nil
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		id, csrf, err := s.Auth.FromSession(ctx, c.Value)
		if err != nil && !errors.Is(err, auth.ErrUnauthenticated) {
			return nil, credentialUnchecked(err)
		}
		if err == nil {
			if !safeMethod(r.Method) && !login && subtle.ConstantTimeCompare([]byte(r.Header.Get("X-CSRF-Token")), []byte(csrf)) != 1 {
				return nil, forbidden("missing or wrong X-CSRF-Token header (from GET /api/v1/me)")
			}
			ctx = context.WithValue(auth.WithIdentity(ctx, id), csrfKey{}, csrf)
		}
	}
	return r.WithContext(ctx), nil
}

// credentialUnchecked makes any failure to check a credential, other than the credential being
// wrong, a 503: a lookup cut by a timeout or by the database going away mid-query is as much an
// outage as a refused connection, and must not surface as a 500 (or a 401).
func credentialUnchecked(err error) error {
	if errors.Is(err, lagesbild.ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: credential check: %v", lagesbild.ErrUnavailable, err)
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// unauthorized logs why a caller is not authenticated (without the credential), asks for a
// bearer credential and returns the 401 error to write.
func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request, why error) error {
	s.Logger.Warn("authentication failed", "reason", why.Error(), "path", r.URL.Path,
		"client", clientAddr(r), "request_id", middleware.GetReqID(r.Context()))
	w.Header().Set("WWW-Authenticate", `Bearer realm="lagesbild"`)
	return errUnauthenticated
}

// authenticated lets only identified callers through.
func (s *Server) authenticated(next http.Handler) http.Handler {
	return s.guard(func(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
		if _, ok := auth.FromContext(r.Context()); !ok {
			return nil, s.unauthorized(w, r, errors.New("no credentials"))
		}
		return r, nil
	})(next)
}

// allow lets through callers for whom ok holds; the others get 403 naming what they lack.
func (s *Server) allow(ok func(auth.Identity) bool, what string) func(http.Handler) http.Handler {
	return s.guard(func(_ http.ResponseWriter, r *http.Request) (*http.Request, error) {
		if id, _ := auth.FromContext(r.Context()); !ok(id) {
			return nil, forbidden("the role %s may not %s", id.Role, what)
		}
		return r, nil
	})
}

// identity returns the caller (the zero identity, which sees nothing, when anonymous).
func identity(r *http.Request) auth.Identity {
	id, _ := auth.FromContext(r.Context())
	return id
}

// audited writes an audit row for every request it wraps, after the handler and before the
// response leaves: the response is held back, and when the audit row cannot be written the
// client gets 503 instead of the data (fail closed).
func (s *Server) audited(next http.Handler) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		if s.Auth == nil {
			next.ServeHTTP(w, r)
			return nil
		}
		if !safeMethod(r.Method) {
			// A write is recorded before it is made, so no change can exist without its row;
			// the row after it records the outcome.
			if err := s.audit(r, 0, "write-attempt"); err != nil {
				return fmt.Errorf("audit log: %v: %w", err, lagesbild.ErrUnavailable)
			}
		}
		bw := getHeldWriter()
		defer putHeldWriter(bw)
		r = withDisclosureNote(r) // what the handler discloses goes into the row (samverkan.go)
		next.ServeHTTP(bw, r)
		if err := s.audit(r, bw.status, ""); err != nil {
			// Whatever the cause, the client gets 503 and none of the data (nothing of the
			// held response has been written).
			return fmt.Errorf("audit log: %v: %w", err, lagesbild.ErrUnavailable)
		}
		for k, v := range bw.header {
			w.Header()[k] = v
		}
		// The whole body is known: say its length, which a HEAD answer could not tell otherwise.
		if bw.header.Get("Content-Length") == "" && bw.status >= 200 && bw.status != http.StatusNoContent && bw.status != http.StatusNotModified {
			w.Header().Set("Content-Length", strconv.Itoa(bw.body.Len()))
		}
		w.WriteHeader(bw.status)
		_, _ = w.Write(bw.body.Bytes())
		return nil
	})
}

// audit appends one row for the request, as the caller in its context.
func (s *Server) audit(r *http.Request, status int, action string) error {
	id := identity(r)
	if action == "" {
		action = "read"
		if !safeMethod(r.Method) {
			action = "write"
		}
	}
	result := "ok"
	switch {
	case status == http.StatusNotModified:
		result = "not_modified"
	case status == http.StatusUnauthorized:
		result = "unauthenticated"
	case status == http.StatusForbidden:
		result = "denied"
	case status >= 500:
		result = "error"
	case status >= 400:
		result = "rejected"
	}
	params := map[string]any{"method": r.Method}
	if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
		params["route"] = rc.RoutePattern()
	}
	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		params["q."+storable(truncate(k, 40))] = storable(truncate(strings.Join(q[k], ","), 200))
	}
	disclosureParams(r, status, params)
	subject := id.Subject
	if subject == "" {
		subject = "anonymous"
	}
	role := string(id.Role)
	if role == "" {
		role = "none"
	}
	// The row is written even when the client has gone (a body that timed out cancels the
	// request's context), within a bound of its own.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
	defer cancel()
	return s.Auth.Audit(ctx, auth.AuditEntry{Subject: storable(subject), Role: role, Scope: id.Scope.String(),
		Action: action, Resource: storable(truncate(r.URL.Path, 300)), Params: params, Result: result, Status: status,
		RequestID: storable(truncate(middleware.GetReqID(r.Context()), 64)), Client: clientAddr(r)})
}

// storable makes request text fit a PostgreSQL text or jsonb value: valid UTF-8 without NUL
// (a hostile path or parameter must still be logged, not make the audit fail).
func storable(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\\0")
}

// heldWriter keeps a response until the audit row is written.
type heldWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

// heldWriters are reused: every audited response is held, a cached tile's too, and a fresh
// buffer and header map per request were a good part of its allocations.
var heldWriters = sync.Pool{New: func() any { return &heldWriter{header: make(http.Header, 8)} }}

// maxPooledBody bounds the buffer a held writer keeps for the next response: a cached tile
// fits, and 200 clients reading large OGC pages do not leave 200 large buffers behind.
const maxPooledBody = 64 << 10

func getHeldWriter() *heldWriter {
	h := heldWriters.Get().(*heldWriter)
	h.status = http.StatusOK
	return h
}

func putHeldWriter(h *heldWriter) {
	if h.body.Cap() > maxPooledBody {
		return
	}
	clear(h.header)
	h.body.Reset()
	h.wrote = false
	heldWriters.Put(h)
}

func (h *heldWriter) Header() http.Header { return h.header }
func (h *heldWriter) WriteHeader(code int) {
	if !h.wrote {
		h.status, h.wrote = code, true
	}
}
func (h *heldWriter) Write(b []byte) (int, error) {
	h.wrote = true
	return h.body.Write(b)
}

// clientAddr is the client's address as the connection gives it. X-Forwarded-For is not
// trusted: anyone can write it.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// collectionLayer maps an OGC collection to the map layer whose permission governs it, and
// the H3 resolution it carries (0: none).
func collectionLayer(coll string) (layer string, res int) {
	switch {
	case strings.HasPrefix(coll, "omraden-"):
		return "omraden", 0
	case strings.HasPrefix(coll, "narvaro-"):
		return "narvaro", 0
	case strings.HasPrefix(coll, "h3-r") && len(coll) == 5 && coll[4] >= '5' && coll[4] <= '9':
		return "h3", int(coll[4] - '0')
	case strings.HasPrefix(coll, emergingPrefix):
		return "emerging", 8 // res-8 cells
	}
	return coll, 0
}

// collectionAllowed reports whether the caller may read a collection: gis tokens only their
// layers, and H3 collections no finer than their limit.
func collectionAllowed(id auth.Identity, coll string) bool {
	if !id.CanReadData() {
		return false // an agency analyst reads only the observations collection
	}
	layer, res := collectionLayer(coll)
	if !id.CanReadLayer(layer) {
		return false
	}
	return id.MaxRes == 0 || res <= id.MaxRes
}

// collectionAccess refuses the collection routes for collections outside the caller's layers.
func (s *Server) collectionAccess(next http.Handler) http.Handler {
	return s.guard(func(_ http.ResponseWriter, r *http.Request) (*http.Request, error) {
		if coll := chi.URLParam(r, "collectionId"); !collectionAllowed(identity(r), coll) {
			return nil, forbidden("this token may not read the collection %q", truncate(coll, 40))
		}
		return r, nil
	})(next)
}

// layerAccess checks every layer of a tile request against the caller: incident points need a
// role that may see them, and a gis token reads only its layers.
func layerAccess(id auth.Identity, layers []string) error {
	for _, l := range layers {
		if !id.CanReadData() && !publicLayers[l] {
			// An agency analyst reads the public geography only, never the police's data.
			return forbidden("the role %s reads only the public geography layers (omraden, kommuner, lan, polisregioner), not %q", id.Role, l)
		}
		if l == "handelser" && !id.CanSeePoints() {
			return forbidden("the role %s may not read incident points (layer handelser)", id.Role)
		}
		if !id.CanReadLayer(l) {
			return forbidden("this token may not read the layer %q", l)
		}
	}
	return nil
}

// publicLayers are the tile layers of public geography: the SCB borders, the police regions and
// the police's published lists of utsatta områden with their class (the police publish the
// lists and their polygons). An agency analyst (myndighet) reads these and no other layer: the
// incident cells, points, emerging hot spots and presence are the police's data.
var publicLayers = map[string]bool{"omraden": true, "kommuner": true, "lan": true, "polisregioner": true}

var areaIDPattern = regexp.MustCompile(`^[0-9]{4}-(SO|UOP)[0-9]{1,9}$`)

// areaAccess refuses, before any read, the routes of one area outside the caller's scope; the
// database's row-level security would hide it anyway.
func (s *Server) areaAccess(next http.Handler) http.Handler {
	return s.guard(func(_ http.ResponseWriter, r *http.Request) (*http.Request, error) {
		areaID := chi.URLParam(r, "id")
		if !areaIDPattern.MatchString(areaID) {
			return nil, lagesbild.Invalid("id", "%q is not an area id (<list year>-SO<n> or <list year>-UOP<n>)", truncate(areaID, 40))
		}
		region, lpo, err := s.Areas.AreaScope(r.Context(), areaID)
		if errors.Is(err, lagesbild.ErrNotFound) {
			err = notFound("there is no area %q", truncate(areaID, 40))
		}
		if err != nil {
			return nil, err
		}
		if !identity(r).Scope.AllowsArea(region, lpo) {
			return nil, forbidden("the area %s lies outside your scope", truncate(areaID, 40))
		}
		return r, nil
	})(next)
}

// scopeFilter is the application's own check of list results against the caller's scope,
// independent of the database's row-level security: it reports whether an area id of list year
// may be shown, and logs (once per request) any row the database let through that it should
// not have.
func (s *Server) scopeFilter(r *http.Request, year int) (func(id string) bool, error) {
	scopes, err := s.Areas.AreaScopes(r.Context(), year)
	if err != nil {
		return nil, err
	}
	id := identity(r)
	logged := false
	return func(areaID string) bool {
		c, ok := scopes[areaID]
		if ok && id.CanReadData() && id.Scope.AllowsArea(c.RegionCode, c.LPOCode) {
			return true
		}
		if !logged {
			logged = true
			s.Logger.Error("row-level security let through an area outside the caller's scope; dropped",
				"area", areaID, "subject", id.Subject, "scope", id.Scope.String(), "request_id", middleware.GetReqID(r.Context()))
		}
		return false
	}, nil
}
