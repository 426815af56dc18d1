package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// ErrUnauthenticated means no valid credentials came with a request: HTTP 401.
var ErrUnauthenticated = errors.New("unauthenticated")

// ErrRateLimited means too many failed logins: HTTP 429.
var ErrRateLimited = errors.New("too many attempts")

// SessionTTL is how long a login lasts.
const SessionTTL = 8 * time.Hour

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,62}$`)

// Layers a gis token may be given: the map layers without incident points.
var GISLayers = []string{"omraden", "kommuner", "lan", "polisregioner", "h3", "narvaro"}

// Service authenticates callers and manages accounts, tokens and the audit log.
type Service struct {
	Store Store
	// DemoMode accepts demo users (created by `lagesbild demo`); without it they are refused.
	DemoMode bool
	// JWT verifies bearer JWTs from an agency identity provider; nil disables that mode.
	JWT *JWTVerifier
	// Cache remembers verified tokens and sessions; nil: every request asks the Store.
	Cache   *IdentityCache
	Now     func() time.Time
	limiter *Limiter
	// addrLimiter counts the failed logins of one address across user names, so that trying
	// one password against many names (password spraying) meets the limit too.
	addrLimiter *Limiter
	auditor     *Auditor
	// storeDownUntil (Unix ns): a credential lookup failed because the store was unreachable;
	// until then a credential in the cache's outage grace is taken without asking again, so an
	// unreachable database (a connect timeout) does not slow every request down.
	storeDownUntil atomic.Int64
}

// lookupTimeout bounds the database lookup of a credential: a database that does not answer
// makes the request fail with 503 in seconds instead of hanging it.
const lookupTimeout = 5 * time.Second

// NewService returns a Service over store.
func NewService(store Store, demoMode bool) *Service {
	return &Service{Store: store, DemoMode: demoMode, Now: time.Now, limiter: NewLimiter(10, 5),
		addrLimiter: NewLimiter(10, 20), auditor: NewAuditor(store)}
}

// Audit appends one audit row and returns once it is committed.
func (s *Service) Audit(ctx context.Context, e AuditEntry) error {
	if s.auditor == nil {
		return s.Store.AppendAudit(ctx, e)
	}
	return s.auditor.Append(ctx, e)
}

// UseSpool makes audit rows that the database cannot take go to spool, to be replayed into the
// database by replayer when it is back (see Auditor). Call it before serving.
func (s *Service) UseSpool(spool *Spool, replayer AuditReplayer, logger *slog.Logger) {
	var cfg auditBatching
	if s.auditor != nil {
		cfg = s.auditor.batching()
		s.auditor.Close()
	}
	s.auditor = newAuditor(s.Store, spool, replayer, logger, cfg)
}

// SetAuditWriters sets how many audit batches may be committing at once (default AuditWriters;
// give the audit pool at least as many connections). Call it before serving.
func (s *Service) SetAuditWriters(n int) {
	s.setAuditBatching(func(c *auditBatching) { c.writers = n })
}

// SetAuditBatching sets the adaptive group commit (default AuditMinBatch and AuditBatchDelay): a
// batch of fewer than minRows rows that would commit beside others waits up to delay for more.
// A delay of 0 turns the waiting off. Call it before serving.
func (s *Service) SetAuditBatching(minRows int, delay time.Duration) {
	s.setAuditBatching(func(c *auditBatching) { c.minRows, c.delay = max(minRows, 1), delay })
}

func (s *Service) setAuditBatching(change func(*auditBatching)) {
	var spool *Spool
	var replayer AuditReplayer
	var logger *slog.Logger
	var cfg auditBatching
	if s.auditor != nil {
		spool, replayer, logger, cfg = s.auditor.spool, s.auditor.replayer, s.auditor.logger, s.auditor.batching()
		s.auditor.Close()
	}
	change(&cfg)
	s.auditor = newAuditor(s.Store, spool, replayer, logger, cfg)
}

// Close stops the service's background audit writer after it has written every queued row.
func (s *Service) Close() {
	if s.auditor != nil {
		s.auditor.Close()
	}
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// UserIdentity is the identity of a logged-in user.
func UserIdentity(u User) Identity {
	return Identity{Subject: u.Username, UserID: u.ID, Role: u.Role, Scope: u.Scope, Demo: u.Demo, Via: "session", Agency: agencyOf(u.Role, u.Agency)}
}

// TokenIdentity is the identity an API token gives.
func TokenIdentity(t Token) Identity {
	return Identity{Subject: fmt.Sprintf("token:%d", t.ID), TokenID: t.ID, Role: t.Role, Scope: t.Scope,
		Layers: t.Layers, MaxRes: t.MaxRes, Via: "token", Agency: agencyOf(t.Role, t.Agency)}
}

// agencyOf is the agency of an identity: the police roles are always the police's.
func agencyOf(role Role, agency string) string {
	if role.PoliceRole() || agency == "" {
		return AgencyPolisen
	}
	return agency
}

// AgencyCode matches the code of an agency (agency.code).
var AgencyCode = regexp.MustCompile(`^[a-z][a-z0-9_]{1,19}$`)

// roleAgency checks the agency of an account or token: the police roles belong to
// Polismyndigheten (pm; empty means pm), an agency analyst must name its agency.
func roleAgency(role Role, agency string) (string, error) {
	agency = strings.ToLower(strings.TrimSpace(agency))
	switch {
	case role.PoliceRole() && agency != "" && agency != AgencyPolisen:
		return "", lagesbild.Invalid("agency", "the role %s is a police role: its agency is pm (Polismyndigheten)", role)
	case role == RoleMyndighet && agency == "":
		return "", lagesbild.Invalid("agency", "an agency analyst (myndighet) must name its agency (e.g. skv)")
	case agency != "" && !AgencyCode.MatchString(agency):
		return "", lagesbild.Invalid("agency", "%q is not an agency code (e.g. skv)", truncate(agency, 40))
	case agency == "":
		return AgencyPolisen, nil
	}
	return agency, nil
}

// Login checks a user name and password and opens a session. It returns the cookie value,
// which is stored only as a hash. Failures are ErrUnauthenticated, whatever the reason, so the
// response does not tell which accounts exist; too many attempts from one client for one name,
// or too many failed ones from one client across names, give ErrRateLimited.
func (s *Service) Login(ctx context.Context, username, password, client string) (cookie string, sess Session, u User, err error) {
	username = strings.ToLower(strings.TrimSpace(username))
	giveBack, allowed := func() {}, true
	if s.addrLimiter != nil {
		giveBack, allowed = s.addrLimiter.Take(client, s.now())
	}
	if !allowed {
		return "", Session{}, User{}, fmt.Errorf("auth: login %q: too many failures from %s: %w", username, client, ErrRateLimited)
	}
	if !s.limiter.Allow(client+"|"+username, s.now()) {
		giveBack() // denied, not failed: the address's budget is for attempts that were checked
		return "", Session{}, User{}, fmt.Errorf("auth: login %q: %w", username, ErrRateLimited)
	}
	u, err = s.Store.UserByName(ctx, username)
	if errors.Is(err, lagesbild.ErrNotFound) {
		DummyCheck()
		return "", Session{}, User{}, fmt.Errorf("auth: login %q: unknown user: %w", username, ErrUnauthenticated)
	}
	if err != nil {
		giveBack() // the database failed, not the client
		return "", Session{}, User{}, err
	}
	ok, err := CheckPassword(u.PasswordHash, password)
	if err != nil {
		return "", Session{}, User{}, fmt.Errorf("auth: login %q: %w", username, err)
	}
	switch {
	case !ok:
		return "", Session{}, User{}, fmt.Errorf("auth: login %q: wrong password: %w", username, ErrUnauthenticated)
	case u.DisabledAt != nil:
		return "", Session{}, User{}, fmt.Errorf("auth: login %q: account disabled: %w", username, ErrUnauthenticated)
	case u.Demo && !s.DemoMode:
		return "", Session{}, User{}, fmt.Errorf("auth: login %q: demo user outside demo mode: %w", username, ErrUnauthenticated)
	}
	cookie, idHash, err := NewSessionID()
	if err != nil {
		return "", Session{}, User{}, err
	}
	csrf, err := NewCSRFToken()
	if err != nil {
		return "", Session{}, User{}, err
	}
	sess = Session{UserID: u.ID, CSRFToken: csrf, ExpiresAt: s.now().Add(SessionTTL)}
	if err := s.Store.CreateSession(ctx, idHash, sess); err != nil {
		return "", Session{}, User{}, err
	}
	giveBack() // a successful login does not count against its address
	return cookie, sess, u, nil
}

// Logout ends the session of a cookie value.
func (s *Service) Logout(ctx context.Context, cookie string) error {
	hash := HashToken(cookie)
	s.Cache.drop(sessionKey(hash))
	return s.Store.DeleteSession(ctx, hash)
}

// RevokeToken revokes an API token; this process stops accepting it at once, others when the
// database's notification reaches them.
func (s *Service) RevokeToken(ctx context.Context, id int64) error {
	err := s.Store.RevokeToken(ctx, id)
	if s.Cache != nil {
		s.Cache.Invalidate(fmt.Sprintf("token:%d", id))
	}
	return err
}

// DisableUser disables an account and ends its sessions, here at once.
func (s *Service) DisableUser(ctx context.Context, username string) error {
	u, lookupErr := s.Store.UserByName(ctx, username)
	err := s.Store.DisableUser(ctx, username)
	if s.Cache != nil && lookupErr == nil {
		s.Cache.Invalidate(fmt.Sprintf("user:%d", u.ID))
	}
	return err
}

// storeDown reports whether a lookup found the store unreachable less than a second ago.
func (s *Service) storeDown() bool { return time.Now().UnixNano() < s.storeDownUntil.Load() }

func (s *Service) markStoreDown() { s.storeDownUntil.Store(time.Now().Add(time.Second).UnixNano()) }

func tokenKey(hash []byte) string   { return "t" + string(hash) }
func sessionKey(hash []byte) string { return "s" + string(hash) }

// FromSession returns the identity and CSRF token of a session cookie.
func (s *Service) FromSession(ctx context.Context, cookie string) (Identity, string, error) {
	if !LooksLikeSessionID(cookie) {
		return Identity{}, "", fmt.Errorf("auth: malformed session cookie: %w", ErrUnauthenticated)
	}
	hash := HashToken(cookie)
	key := sessionKey(hash)
	if e, ok := s.Cache.fresh(key); ok {
		return e.id, e.csrf, nil
	}
	if e, ok := s.Cache.fallback(key); ok && s.storeDown() {
		return e.id, e.csrf, nil
	}
	id, csrf, expires, err := s.lookupSession(ctx, hash)
	switch {
	case err == nil:
		s.Cache.put(key, cachedIdentity{id: id, csrf: csrf, expiresAt: expires})
	case errors.Is(err, lagesbild.ErrUnavailable):
		s.markStoreDown()
		if e, ok := s.Cache.fallback(key); ok {
			return e.id, e.csrf, nil
		}
	case errors.Is(err, ErrUnauthenticated):
		s.Cache.drop(key)
	}
	return id, csrf, err
}

func (s *Service) lookupSession(ctx context.Context, hash []byte) (Identity, string, time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	sess, err := s.Store.SessionByHash(ctx, hash)
	if errors.Is(err, lagesbild.ErrNotFound) {
		return Identity{}, "", time.Time{}, fmt.Errorf("auth: session expired or unknown: %w", ErrUnauthenticated)
	}
	if err != nil {
		return Identity{}, "", time.Time{}, err
	}
	u, err := s.Store.UserByID(ctx, sess.UserID)
	if errors.Is(err, lagesbild.ErrNotFound) {
		return Identity{}, "", time.Time{}, fmt.Errorf("auth: the user of a session is gone: %w", ErrUnauthenticated)
	}
	if err != nil {
		return Identity{}, "", time.Time{}, err
	}
	if u.DisabledAt != nil || (u.Demo && !s.DemoMode) {
		return Identity{}, "", time.Time{}, fmt.Errorf("auth: session of %q no longer valid: %w", u.Username, ErrUnauthenticated)
	}
	return UserIdentity(u), sess.CSRFToken, sess.ExpiresAt, nil
}

// FromBearer returns the identity of an Authorization: Bearer credential: an API token, or a
// JWT when the JWT mode is configured. Revoked and expired tokens fail at once.
func (s *Service) FromBearer(ctx context.Context, cred string) (Identity, error) {
	if LooksLikeToken(cred) {
		hash := HashToken(cred)
		key := tokenKey(hash)
		if e, ok := s.Cache.fresh(key); ok {
			return e.id, nil
		}
		if e, ok := s.Cache.fallback(key); ok && s.storeDown() {
			return e.id, nil
		}
		t, err := s.lookupToken(ctx, hash)
		switch {
		case err == nil:
			s.Cache.put(key, cachedIdentity{id: TokenIdentity(t), expiresAt: t.ExpiresAt})
			return TokenIdentity(t), nil
		case errors.Is(err, lagesbild.ErrUnavailable):
			s.markStoreDown()
			if e, ok := s.Cache.fallback(key); ok {
				return e.id, nil
			}
		case errors.Is(err, ErrUnauthenticated):
			s.Cache.drop(key)
		}
		return Identity{}, err
	}
	if s.JWT != nil && strings.Count(cred, ".") == 2 {
		c, err := s.JWT.Verify(ctx, cred)
		if errors.Is(err, lagesbild.ErrUnavailable) {
			return Identity{}, err // the identity provider's keys cannot be fetched: 503, not 401
		}
		if err != nil {
			return Identity{}, fmt.Errorf("%v: %w", err, ErrUnauthenticated)
		}
		role := Role(c.Role)
		if !role.Valid() {
			return Identity{}, fmt.Errorf("auth: jwt: role claim %q is not a role: %w", c.Role, ErrUnauthenticated)
		}
		sc, err := s.roleScope(ctx, role, c.Scope)
		if err != nil {
			return Identity{}, fmt.Errorf("auth: jwt: scope claim: %v: %w", err, ErrUnauthenticated)
		}
		agency, err := roleAgency(role, c.Agency)
		if err != nil {
			return Identity{}, fmt.Errorf("auth: jwt: agency claim: %v: %w", err, ErrUnauthenticated)
		}
		id := Identity{Subject: "jwt:" + c.Subject, Role: role, Scope: sc, Layers: c.Layers, Via: "jwt", Agency: agency}
		if role == RoleGIS {
			id.MaxRes = DefaultGISMaxRes
		}
		return id, nil
	}
	return Identity{}, fmt.Errorf("auth: the bearer credential is not a token: %w", ErrUnauthenticated)
}

func (s *Service) lookupToken(ctx context.Context, hash []byte) (Token, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	t, err := s.Store.TokenByHash(ctx, hash)
	if errors.Is(err, lagesbild.ErrNotFound) {
		return Token{}, fmt.Errorf("auth: unknown token: %w", ErrUnauthenticated)
	}
	if err != nil {
		return Token{}, err
	}
	switch {
	case t.RevokedAt != nil:
		return Token{}, fmt.Errorf("auth: token %d is revoked: %w", t.ID, ErrUnauthenticated)
	case !s.now().Before(t.ExpiresAt):
		return Token{}, fmt.Errorf("auth: token %d expired %s: %w", t.ID, t.ExpiresAt.Format(time.RFC3339), ErrUnauthenticated)
	}
	return t, nil
}

// NewUser describes an account to create.
type NewUser struct {
	Username, DisplayName, Password string
	Role                            Role
	Scope                           string // as ParseScope reads it
	Agency                          string // agency.code; empty: polisen (police roles)
	Demo                            bool
}

// CreateUser validates and stores an account with a hashed password.
func (s *Service) CreateUser(ctx context.Context, n NewUser) (User, error) {
	n.Username = strings.ToLower(strings.TrimSpace(n.Username))
	if !usernameRE.MatchString(n.Username) {
		return User{}, lagesbild.Invalid("username", "%q must be 2–63 characters a–z, 0–9, '.', '_' or '-', starting with a letter or digit", truncate(n.Username, 70))
	}
	if !n.Role.Valid() {
		return User{}, lagesbild.Invalid("role", "%q is not one of %s", truncate(string(n.Role), 30), rolesList())
	}
	sc, err := s.roleScope(ctx, n.Role, n.Scope)
	if err != nil {
		return User{}, err
	}
	agency, err := roleAgency(n.Role, n.Agency)
	if err != nil {
		return User{}, err
	}
	if err := ValidatePassword(n.Password); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(n.Password)
	if err != nil {
		return User{}, fmt.Errorf("auth: hash password: %w", err)
	}
	return s.Store.CreateUser(ctx, User{Username: n.Username, DisplayName: n.DisplayName, PasswordHash: hash, Role: n.Role, Scope: sc, Demo: n.Demo, Agency: agency})
}

// roleScope checks that a scope fits a role: admins and national users need none (they get
// "all"); the others must name their regions or lokalpolisområden.
func (s *Service) roleScope(ctx context.Context, role Role, scope string) (Scope, error) {
	switch role {
	case RoleNationell:
		if scope != "" && !strings.EqualFold(scope, "all") {
			return Scope{}, lagesbild.Invalid("scope", "a nationell user sees the whole country: leave the scope out or give all")
		}
		return Scope{All: true}, nil
	case RoleAdmin:
		if scope != "" && !strings.EqualFold(scope, "all") {
			return Scope{}, lagesbild.Invalid("scope", "an admin has no data scope: leave it out")
		}
		return Scope{}, nil
	}
	sc, err := ParseScope(ctx, scope, s.Store)
	if err != nil {
		return Scope{}, err
	}
	switch {
	case role == RoleRegional && (sc.All || len(sc.LPOs) > 0):
		return Scope{}, lagesbild.Invalid("scope", "a regional user's scope is one or more police regions (REGIONKOD or name)")
	case role == RoleLokal && (sc.All || len(sc.Regions) > 0):
		return Scope{}, lagesbild.Invalid("scope", "a lokal user's scope is one or more lokalpolisområden (OMRADESKOD or name)")
	}
	return sc, nil
}

// TokenRequest describes an API token to create.
type TokenRequest struct {
	Name      string
	Role      Role
	Scope     string
	Layers    []string
	MaxRes    int    // gis only; 0: DefaultGISMaxRes
	Expires   string // as ParseExpiry reads it; empty: 90 days
	Agency    string // agency.code; empty: polisen (police roles)
	CreatedBy string
}

// CreateToken validates and stores a token and returns it: the only time it is ever shown.
func (s *Service) CreateToken(ctx context.Context, n TokenRequest) (plain string, t Token, err error) {
	if !n.Role.Valid() {
		return "", Token{}, lagesbild.Invalid("role", "%q is not one of %s", truncate(string(n.Role), 30), rolesList())
	}
	sc, err := s.roleScope(ctx, n.Role, n.Scope)
	if err != nil {
		return "", Token{}, err
	}
	agency, err := roleAgency(n.Role, n.Agency)
	if err != nil {
		return "", Token{}, err
	}
	if n.Expires == "" {
		n.Expires = "90d"
	}
	exp, err := ParseExpiry(n.Expires, s.now())
	if err != nil {
		return "", Token{}, err
	}
	if len(n.Layers) > 0 && n.Role != RoleGIS {
		return "", Token{}, lagesbild.Invalid("layers", "only gis tokens are limited to layers")
	}
	for _, l := range n.Layers {
		if !slices.Contains(GISLayers, l) {
			return "", Token{}, lagesbild.Invalid("layers", "%q is not a layer a gis token may read (%s)", truncate(l, 30), strings.Join(GISLayers, ", "))
		}
	}
	if n.Role == RoleGIS {
		if n.MaxRes == 0 {
			n.MaxRes = DefaultGISMaxRes
		}
		if n.MaxRes < 5 || n.MaxRes > 9 {
			return "", Token{}, lagesbild.Invalid("max-res", "%d is outside 5–9", n.MaxRes)
		}
		if len(n.Layers) == 0 {
			n.Layers = GISLayers
		}
	} else if n.MaxRes != 0 {
		return "", Token{}, lagesbild.Invalid("max-res", "only gis tokens have a resolution limit")
	}
	plain, hash, err := NewToken()
	if err != nil {
		return "", Token{}, err
	}
	t, err = s.Store.CreateToken(ctx, Token{Name: n.Name, Role: n.Role, Scope: sc, Layers: n.Layers, MaxRes: n.MaxRes,
		CreatedBy: n.CreatedBy, ExpiresAt: exp, Agency: agency}, hash)
	if err != nil {
		return "", Token{}, err
	}
	return plain, t, nil
}

func rolesList() string {
	var s []string
	for _, r := range Roles {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
