package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// me is what the web map learns about the logged-in caller.
type me struct {
	Subject   string   `json:"subject"`
	Role      string   `json:"role"`
	Scope     string   `json:"scope"`
	Regions   []string `json:"regions"`
	LPOs      []string `json:"lpos"`
	Layers    []string `json:"layers"`
	MaxRes    int      `json:"max_res"`
	Demo      bool     `json:"demo"`
	Via       string   `json:"via"`
	CSRFToken string   `json:"csrf_token,omitempty"`
	// Agency is the caller's agency (pm for the police roles): whose observations are its own.
	Agency     string `json:"agency,omitempty"`
	AgencyName string `json:"agency_name,omitempty"`
}

func meOf(id auth.Identity, csrf string) me {
	nz := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return me{Subject: id.Subject, Role: string(id.Role), Scope: id.Scope.String(), Regions: nz(id.Scope.Regions),
		LPOs: nz(id.Scope.LPOs), Layers: nz(id.Layers), MaxRes: id.MaxRes, Demo: id.Demo, Via: id.Via, CSRFToken: csrf,
		Agency: id.Agency, AgencyName: lagesbild.AgencyName(id.Agency)}
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query()); err != nil {
		return err
	}
	csrf, _ := r.Context().Value(csrfKey{}).(string)
	writeJSON(w, http.StatusOK, "application/json", meOf(identity(r), csrf))
	return nil
}

// maxJSONBytes bounds a JSON request body (logins, accounts, tokens, profiles).
const maxJSONBytes = 64 << 10

// readJSON decodes a small JSON object strictly. Its errors say in plain words what is wrong
// with the body (never a Go type): 413 over maxJSONBytes, 408 when it stops arriving, else 400.
func readJSON(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBytes+1))
	switch {
	case isTimeout(err):
		return newError(errTimeout, "the request body stopped arriving")
	case err != nil:
		return lagesbild.Invalid("body", "the request body could not be read")
	case len(b) > maxJSONBytes:
		return newError(errTooLarge, "the JSON body is larger than %d KiB", maxJSONBytes>>10)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return lagesbild.Invalid("body", "%s", jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return lagesbild.Invalid("body", "there is more after the JSON object; send one object")
	}
	return nil
}

// jsonProblem says what is wrong with a JSON body in the client's terms.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return "the body is empty; send a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	case errors.As(err, &syn):
		return fmt.Sprintf("not valid JSON at byte %d (%s)", syn.Offset, truncate(strings.TrimPrefix(syn.Error(), "json: "), 80))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("expected a JSON object, got %s", jsonValueWord(typ.Value))
		}
		return fmt.Sprintf("field %q: expected %s, got %s", truncate(typ.Field, maxEchoParam), jsonKindWord(typ.Type), jsonValueWord(typ.Value))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Sprintf("unknown field %s", truncate(name, maxEchoParam))
	}
	return "not the expected JSON object"
}

// jsonValueWord names the JSON value encoding/json found ("array", "number 5", ...).
func jsonValueWord(v string) string {
	w, _, _ := strings.Cut(v, " ")
	switch w {
	case "array":
		return "an array"
	case "object":
		return "an object"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "number":
		return "a number"
	case "null":
		return "null"
	}
	return "another kind of value"
}

// jsonKindWord names the JSON value a Go type is decoded from.
func jsonKindWord(t reflect.Type) string {
	if t == nil {
		return "another kind of value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8,
		reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another kind of value"
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := readJSON(r, &body); err != nil {
		return err
	}
	cookie, sess, u, err := s.Auth.Login(r.Context(), body.Username, body.Password, clientAddr(r))
	// Every attempt is audited, as the account it names (without the password).
	rr := r.WithContext(auth.WithIdentity(r.Context(), auth.Identity{Subject: truncate(body.Username, 64), Role: u.Role, Scope: u.Scope}))
	status := http.StatusOK
	switch {
	case errors.Is(err, auth.ErrRateLimited):
		status = http.StatusTooManyRequests
	case errors.Is(err, auth.ErrUnauthenticated):
		status = http.StatusUnauthorized
	case err != nil:
		return err
	}
	// A failed attempt gets its own row only as the first of its client in a window; the
	// rest are counted into one row (loginFailures), so failures cannot fill the log.
	if status == http.StatusOK || s.logins.first(s, clientAddr(r), truncate(body.Username, 64), status, time.Now()) {
		if aerr := s.audit(rr, status, "login"); aerr != nil {
			if status != http.StatusOK {
				s.logins.forget(clientAddr(r))
			}
			return errors.Join(aerr, lagesbild.ErrUnavailable)
		}
	}
	if err != nil {
		s.Logger.Warn("login failed", "reason", err.Error(), "client", clientAddr(r))
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "60")
			return newError(auth.ErrRateLimited, "too many login attempts; wait a minute")
		}
		return newError(auth.ErrUnauthenticated, "wrong user name or password")
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: cookie, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secureRequest(r)})
	writeJSON(w, http.StatusOK, "application/json", meOf(auth.UserIdentity(u), sess.CSRFToken))
	return nil
}

// secureRequest reports whether the client reached us over TLS (directly or, as the proxy
// says, in front of us), so the cookie gets the Secure flag.
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if _, ok := auth.FromContext(r.Context()); ok {
		if err := s.audit(r, http.StatusNoContent, "logout"); err != nil {
			return fmt.Errorf("audit log: %v: %w", err, lagesbild.ErrUnavailable)
		}
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.Auth.Logout(r.Context(), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secureRequest(r)})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Admin API: accounts, tokens and the audit log.

type userView struct {
	ID          int64      `json:"id"`
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name"`
	Role        string     `json:"role"`
	Scope       string     `json:"scope"`
	Agency      string     `json:"agency"`
	Demo        bool       `json:"demo"`
	CreatedAt   time.Time  `json:"created_at"`
	DisabledAt  *time.Time `json:"disabled_at"`
}

func viewUser(u auth.User) userView {
	return userView{u.ID, u.Username, u.DisplayName, string(u.Role), u.Scope.String(), u.Agency, u.Demo, u.CreatedAt, u.DisabledAt}
}

type tokenView struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	Scope      string     `json:"scope"`
	Agency     string     `json:"agency"`
	Layers     []string   `json:"layers"`
	MaxRes     int        `json:"max_res"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Token      string     `json:"token,omitempty"` // only in the response that creates it
}

func viewToken(t auth.Token) tokenView {
	return tokenView{t.ID, t.Name, string(t.Role), t.Scope.String(), t.Agency, t.Layers, t.MaxRes, t.CreatedBy, t.CreatedAt,
		t.ExpiresAt, t.RevokedAt, t.LastUsedAt, ""}
}

func (s *Server) adminRoutes(r chi.Router) {
	r.Get("/users", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		users, err := s.Auth.Store.Users(r.Context())
		if err != nil {
			return err
		}
		out := make([]userView, len(users))
		for i, u := range users {
			out[i] = viewUser(u)
		}
		writeJSON(w, http.StatusOK, "application/json", out)
		return nil
	}))
	r.Post("/users", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		var body struct {
			Username    string `json:"username"`
			DisplayName string `json:"display_name"`
			Password    string `json:"password"`
			Role        string `json:"role"`
			Scope       string `json:"scope"`
			Agency      string `json:"agency"` // myndighet: the agency; police roles are pm
		}
		if err := readJSON(r, &body); err != nil {
			return err
		}
		u, err := s.Auth.CreateUser(r.Context(), auth.NewUser{Username: body.Username, DisplayName: body.DisplayName,
			Password: body.Password, Role: auth.Role(body.Role), Scope: body.Scope, Agency: body.Agency})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, "application/json", viewUser(u))
		return nil
	}))
	r.Post("/users/{name}/disable", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		name := chi.URLParam(r, "name")
		if !usernamePattern.MatchString(name) {
			return lagesbild.Invalid("name", "%q is not a user name (a–z, 0–9, '.', '_', '-')", truncate(name, 70))
		}
		if err := s.Auth.DisableUser(r.Context(), name); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}))
	r.Get("/tokens", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		ts, err := s.Auth.Store.Tokens(r.Context())
		if err != nil {
			return err
		}
		out := make([]tokenView, len(ts))
		for i, t := range ts {
			out[i] = viewToken(t)
		}
		writeJSON(w, http.StatusOK, "application/json", out)
		return nil
	}))
	r.Post("/tokens", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		var body struct {
			Name    string   `json:"name"`
			Role    string   `json:"role"`
			Scope   string   `json:"scope"`
			Layers  []string `json:"layers"`
			MaxRes  int      `json:"max_res"`
			Expires string   `json:"expires"`
			Agency  string   `json:"agency"`
		}
		if err := readJSON(r, &body); err != nil {
			return err
		}
		plain, t, err := s.Auth.CreateToken(r.Context(), auth.TokenRequest{Name: body.Name, Role: auth.Role(body.Role),
			Scope: body.Scope, Layers: body.Layers, MaxRes: body.MaxRes, Expires: body.Expires, CreatedBy: identity(r).Subject,
			Agency: body.Agency})
		if err != nil {
			return err
		}
		v := viewToken(t)
		v.Token = plain
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusCreated, "application/json", v)
		return nil
	}))
	r.Delete("/tokens/{id}", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
		if err != nil || id <= 0 {
			return lagesbild.Invalid("id", "%q is not a token id", truncate(chi.URLParam(r, "id"), 30))
		}
		if err := s.Auth.RevokeToken(r.Context(), id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}))
	r.Get("/audit", s.handle(s.handleAudit))
}

// logRange reads the since and until of a log listing (the audit log, the disclosure log): an
// RFC 3339 time or a date (its first instant, UTC; with untilDayInclusive an until date
// includes its whole day).
func logRange(q url.Values, untilDayInclusive bool) (since, until *time.Time, err error) {
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"since", &since}, {"until", &until}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			d, derr := time.Parse(time.DateOnly, v)
			if derr != nil || d.Year() < 2000 || d.Year() > 2100 {
				return nil, nil, lagesbild.Invalid(p.name, "%q is not an RFC 3339 time or a date YYYY-MM-DD from 2000 to 2100", truncate(v, 40))
			}
			if p.name == "until" && untilDayInclusive {
				d = d.AddDate(0, 0, 1)
			}
			t = d
		}
		*p.dst = &t
	}
	if since != nil && until != nil && !since.Before(*until) {
		return nil, nil, lagesbild.Invalid("until", "is not after since")
	}
	return since, until, nil
}

// limitParam reads the limit parameter: a whole number from 1 to maxN; absent: def.
func limitParam(q url.Values, def, maxN int) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxN {
		return 0, lagesbild.Invalid("limit", "%q is not a whole number from 1 to %d", truncate(v, 20), maxN)
	}
	return n, nil
}

// usernamePattern is the form of a user name (auth.CreateUser and the app_user table check it).
var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,62}$`)

// auditActions are the actions the audit log records (auth.AuditEntry).
var auditActions = []string{"read", "write", "write-attempt", "login", "logout", "admin"}

// plainText reports whether s is valid UTF-8 of at most n characters without control
// characters (a NUL cannot even be stored in a text column).
func plainText(s string, n int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > n {
		return false
	}
	return !strings.ContainsFunc(s, unicode.IsControl)
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query(), "since", "until", "subject", "action", "resource", "limit"); err != nil {
		return err
	}
	q := r.URL.Query()
	var aq auth.AuditQuery
	var err error
	if aq.Since, aq.Until, err = logRange(q, false); err != nil {
		return err
	}
	aq.Subject, aq.Action, aq.Resource = q.Get("subject"), q.Get("action"), q.Get("resource")
	if aq.Action != "" && !slices.Contains(auditActions, aq.Action) {
		return lagesbild.Invalid("action", "%q is not one of %s", truncate(aq.Action, 20), strings.Join(auditActions, ", "))
	}
	for _, p := range []struct{ name, v string }{{"subject", aq.Subject}, {"resource", aq.Resource}} {
		if !plainText(p.v, 300) {
			return lagesbild.Invalid(p.name, "must be text of at most 300 characters without control characters")
		}
	}
	if aq.Limit, err = limitParam(q, 0, 10000); err != nil {
		return err
	}
	rows, err := s.Auth.Store.Audit(r.Context(), aq)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []auth.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, "application/json", rows)
	return nil
}

// Failed logins are audited in bounded form: per client address and window, the first failure
// is written as it happens (with its user name, and failing closed like every audit row), the
// others are counted and written as one row of action "login", result "aggregated" when the
// window closes, with the counts of 401 and 429 answers and up to loginNames of the names
// tried. Clients past loginClients share one bucket ("*"), so neither the rows nor this
// memory grow with the number of addresses an attacker has.
const (
	loginWindow  = time.Minute
	loginClients = 10_000
	loginNames   = 10
)

type loginFailures struct {
	mu      sync.Mutex
	clients map[string]*loginCount
	started bool
	stop    chan struct{}
	done    chan struct{}
	auth    *auth.Service
	logger  interface{ Error(string, ...any) }
}

type loginCount struct {
	start, last     time.Time
	unauthenticated int // failures after the first of the window, not yet written
	rateLimited     int
	names           []string
	moreNames       bool
}

// first counts a failed login of client at now and reports whether it is the first of the
// client's window, which is audited on its own.
func (lf *loginFailures) first(s *Server, client, name string, status int, now time.Time) bool {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if !lf.started {
		lf.started = true
		lf.clients = map[string]*loginCount{}
		lf.stop, lf.done = make(chan struct{}), make(chan struct{})
		lf.auth, lf.logger = s.Auth, s.Logger
		go lf.loop()
	}
	if _, ok := lf.clients[client]; !ok && len(lf.clients) >= loginClients {
		client = "*"
	}
	c, ok := lf.clients[client]
	if ok && now.Sub(c.start) >= loginWindow {
		if e := lf.flush(client, c); e != nil {
			go lf.write(*e)
		}
		ok = false
	}
	if !ok {
		lf.clients[client] = &loginCount{start: now, last: now}
		return true
	}
	c.last = now
	if status == http.StatusTooManyRequests {
		c.rateLimited++
	} else {
		c.unauthenticated++
	}
	if !slices.Contains(c.names, name) {
		if len(c.names) < loginNames {
			c.names = append(c.names, name)
		} else {
			c.moreNames = true
		}
	}
	return false
}

// forget drops a client's window whose first row could not be written, so the next failure
// is written on its own again.
func (lf *loginFailures) forget(client string) {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if c, ok := lf.clients[client]; ok && c.unauthenticated+c.rateLimited == 0 {
		delete(lf.clients, client)
	}
}

// loop writes the rows of closed windows.
func (lf *loginFailures) loop() {
	defer close(lf.done)
	t := time.NewTicker(loginWindow / 4)
	defer t.Stop()
	for {
		select {
		case <-lf.stop:
			lf.flushAll(time.Time{})
			return
		case now := <-t.C:
			lf.flushAll(now)
		}
	}
}

// flushAll writes the windows that closed by now; the zero time writes every window.
func (lf *loginFailures) flushAll(now time.Time) {
	var rows []auth.AuditEntry
	lf.mu.Lock()
	for client, c := range lf.clients {
		if now.IsZero() || now.Sub(c.start) >= loginWindow {
			if e := lf.flush(client, c); e != nil {
				rows = append(rows, *e)
			}
		}
	}
	lf.mu.Unlock()
	for _, e := range rows {
		lf.write(e)
	}
}

// flush forgets the window of a client and returns its row, or nil when it counted nothing
// beyond its first failure; lf.mu must be held.
func (lf *loginFailures) flush(client string, c *loginCount) *auth.AuditEntry {
	delete(lf.clients, client)
	n := c.unauthenticated + c.rateLimited
	if n == 0 {
		return nil
	}
	status := http.StatusUnauthorized
	if c.unauthenticated == 0 {
		status = http.StatusTooManyRequests
	}
	names := make([]any, len(c.names))
	for i, name := range c.names {
		names[i] = storable(name)
	}
	return &auth.AuditEntry{At: c.last, Subject: "anonymous", Role: "none", Action: "login", Resource: "/api/v1/session",
		Params: map[string]any{"method": http.MethodPost, "failures": n, "unauthenticated": c.unauthenticated,
			"rate_limited": c.rateLimited, "from": c.start.UTC().Format(time.RFC3339Nano), "to": c.last.UTC().Format(time.RFC3339Nano),
			"names": names, "more_names": c.moreNames},
		Result: "aggregated", Status: status, Client: client}
}

// write stores one aggregated row. Nobody's response waits for it, so a failure is logged.
func (lf *loginFailures) write(e auth.AuditEntry) {
	if lf.auth == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := lf.auth.Audit(ctx, e); err != nil {
		lf.logger.Error("audit row of failed logins not written", "err", err, "client", e.Client, "failures", e.Params["failures"])
	}
}

// close writes every open window and stops the loop.
func (lf *loginFailures) close() {
	lf.mu.Lock()
	started := lf.started
	lf.started = false
	lf.mu.Unlock()
	if started {
		close(lf.stop)
		<-lf.done
	}
}
