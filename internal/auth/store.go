package auth

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// User is a local account.
type User struct {
	ID           int64
	Username     string
	DisplayName  string
	PasswordHash string
	Role         Role
	Scope        Scope
	Demo         bool // created by `lagesbild demo`; refused unless the service runs in demo mode
	Agency       string
	CreatedAt    time.Time
	DisabledAt   *time.Time
}

// Token is an API token as stored: never the token itself, only its hash.
type Token struct {
	ID         int64
	Name       string
	Role       Role
	Scope      Scope
	Layers     []string
	MaxRes     int
	Agency     string
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

// Session is a logged-in browser.
type Session struct {
	UserID    int64
	CSRFToken string
	ExpiresAt time.Time
}

// AuditEntry is one row of the audit log: who did what to which resource, and how it ended.
type AuditEntry struct {
	ID        int64          `json:"id"`
	At        time.Time      `json:"at"`
	Subject   string         `json:"subject"`
	Role      string         `json:"role"`
	Scope     string         `json:"scope"`
	Action    string         `json:"action"`   // read, write, login, logout, admin
	Resource  string         `json:"resource"` // the request path or the CLI object
	Params    map[string]any `json:"params"`
	Result    string         `json:"result"` // ok, denied, error, ...
	Status    int            `json:"status"`
	RequestID string         `json:"request_id"`
	Client    string         `json:"client"`
}

// AuditQuery selects audit rows, newest first.
type AuditQuery struct {
	Since, Until *time.Time
	Subject      string
	Action       string
	Resource     string // prefix
	Limit        int    // 0: 100; at most 10 000
}

// Store keeps accounts, tokens, sessions and the audit log. Lookups return ErrNotFound when
// nothing matches and ErrConflict for a taken user name.
type Store interface {
	Directory
	CreateUser(ctx context.Context, u User) (User, error)
	UserByName(ctx context.Context, username string) (User, error)
	UserByID(ctx context.Context, id int64) (User, error)
	Users(ctx context.Context) ([]User, error)
	DisableUser(ctx context.Context, username string) error
	// SetPassword replaces the password hash and re-enables nothing else.
	SetPassword(ctx context.Context, username, hash string) error
	CreateToken(ctx context.Context, t Token, hash []byte) (Token, error)
	// TokenByHash returns the token with this hash (also when revoked or expired: the caller
	// decides) and records its use.
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	Tokens(ctx context.Context) ([]Token, error)
	RevokeToken(ctx context.Context, id int64) error
	CreateSession(ctx context.Context, idHash []byte, s Session) error
	SessionByHash(ctx context.Context, idHash []byte) (Session, error)
	DeleteSession(ctx context.Context, idHash []byte) error
	// AppendAudit writes audit rows in one transaction; an error means none is stored.
	AppendAudit(ctx context.Context, entries ...AuditEntry) error
	// Audit reads the log as the identity in ctx (admins only: others get no rows).
	Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
}

// ParseStoredScope reads the canonical form Scope.String writes ("all", "none",
// "region:5400,5500;lpo:540210"), without looking names up.
func ParseStoredScope(s string) (Scope, error) {
	switch s {
	case "all":
		return Scope{All: true}, nil
	case "none", "":
		return Scope{}, nil
	}
	var sc Scope
	for _, part := range strings.Split(s, ";") {
		kind, list, ok := strings.Cut(part, ":")
		if !ok {
			return Scope{}, lagesbild.Invalid("scope", "stored scope %q lacks a kind", s)
		}
		for _, c := range strings.Split(list, ",") {
			switch {
			case kind == "region" && regionCode.MatchString(c):
				sc.Regions = append(sc.Regions, c)
			case kind == "lpo" && lpoCode.MatchString(c):
				sc.LPOs = append(sc.LPOs, c)
			default:
				return Scope{}, lagesbild.Invalid("scope", "stored scope %q has a bad item %q", s, c)
			}
		}
	}
	slices.Sort(sc.Regions)
	slices.Sort(sc.LPOs)
	return sc, nil
}
