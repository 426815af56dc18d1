package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Default claim names, used where JWTConfig leaves them empty.
const (
	DefaultRoleClaim   = "lagesbild_role"
	DefaultScopeClaim  = "lagesbild_scope"
	DefaultLayersClaim = "lagesbild_layers"
	DefaultAgencyClaim = "lagesbild_agency"
)

// ErrJWTInvalid is wrapped by every error of JWTVerifier.Verify that rejects the token
// itself (malformed, badly signed, expired, for another issuer or audience, missing or
// malformed claims). A key set that cannot be fetched wraps lagesbild.ErrUnavailable instead.
var ErrJWTInvalid = errors.New("jwt not accepted")

// jwtAlgs are the signing algorithms accepted. Listing them stops "none" and the HS256
// key-confusion attack; these two are what agencies' identity providers (AD FS, Entra ID,
// Keycloak) sign with.
var jwtAlgs = []string{oidc.RS256, oidc.ES256}

// maxJWTBytes bounds the tokens parsed at all; real ones are a few kilobytes.
const maxJWTBytes = 16 << 10

// JWTConfig configures verification of JWTs issued by an agency's own identity provider
// (OIDC access or ID tokens), for deployments that use it instead of local users.
type JWTConfig struct {
	Issuer   string // expected "iss", exactly
	Audience string // must be one of the token's "aud" values
	JWKSURL  string // the provider's key set (jwks_uri); https unless on loopback

	RoleClaim   string // claim holding the Role; default DefaultRoleClaim
	ScopeClaim  string // claim holding the scope in ParseScope's form; default DefaultScopeClaim
	LayersClaim string // claim holding a gis token's layers; default DefaultLayersClaim
	AgencyClaim string // claim holding the agency (myndighet); default DefaultAgencyClaim
}

// Claims are what a verified JWT says about its bearer.
type Claims struct {
	Subject string
	Role    string   // one of Roles
	Scope   string   // unparsed (see ParseScope); empty when the token has no scope claim
	Layers  []string // sorted, unique; empty when the token has no layers claim
	Agency  string   // agency.code; empty when the token has no agency claim
	Expiry  time.Time
}

// JWTVerifier verifies JWTs against one issuer's key set. It is safe for concurrent use;
// the key set is fetched at the first verification and again whenever a token names a key
// id it has not seen, which is how providers roll their keys.
type JWTVerifier struct {
	cfg      JWTConfig
	client   *http.Client
	verifier *oidc.IDTokenVerifier
}

// NewJWTVerifier checks cfg and returns a verifier for it. The key set is fetched with
// client (nil means a client with a 10-second timeout), and only at the first Verify, so a
// provider that is down does not stop the service from starting. ctx only carries
// configuration into the key set's requests: its cancellation is ignored.
func NewJWTVerifier(ctx context.Context, cfg JWTConfig, client *http.Client) (*JWTVerifier, error) {
	cfg.Issuer = strings.TrimSpace(cfg.Issuer)
	cfg.Audience = strings.TrimSpace(cfg.Audience)
	cfg.JWKSURL = strings.TrimSpace(cfg.JWKSURL)
	switch {
	case cfg.Issuer == "":
		return nil, lagesbild.Invalid("jwt issuer", "is empty")
	case cfg.Audience == "":
		return nil, lagesbild.Invalid("jwt audience", "is empty")
	case cfg.JWKSURL == "":
		return nil, lagesbild.Invalid("jwt jwks url", "is empty")
	}
	if err := checkJWKSURL(cfg.JWKSURL); err != nil {
		return nil, err
	}
	cfg.RoleClaim = claimNameOr(cfg.RoleClaim, DefaultRoleClaim)
	cfg.ScopeClaim = claimNameOr(cfg.ScopeClaim, DefaultScopeClaim)
	cfg.LayersClaim = claimNameOr(cfg.LayersClaim, DefaultLayersClaim)
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	// go-oidc takes its HTTP client from the context the key set is created with, not
	// from the context of each verification.
	keySet := oidc.NewRemoteKeySet(oidc.ClientContext(ctx, client), cfg.JWKSURL)
	v := oidc.NewVerifier(cfg.Issuer, keySet, &oidc.Config{
		ClientID:             cfg.Audience,
		SupportedSigningAlgs: jwtAlgs,
	})
	return &JWTVerifier{cfg: cfg, client: client, verifier: v}, nil
}

func claimNameOr(s, def string) string {
	if s = strings.TrimSpace(s); s != "" {
		return s
	}
	return def
}

// checkJWKSURL insists on https, because whoever can change the key set in transit can
// sign tokens; plain http is allowed on loopback only, for a local provider and tests.
func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return lagesbild.Invalid("jwt jwks url", "%q is not an absolute URL", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
		return lagesbild.Invalid("jwt jwks url", "%q is plain http; use https (http only on loopback)", raw)
	}
	return lagesbild.Invalid("jwt jwks url", "%q: scheme must be https", raw)
}

// Verify checks raw's signature against the key set, its algorithm, issuer, audience and
// expiry, and returns its claims. The role claim is required and must name one of Roles;
// the scope claim is optional (an identity without scope sees nothing protected); the
// layers claim may be an array of strings or one comma-separated string. Errors say what
// is wrong without quoting the token.
func (v *JWTVerifier) Verify(ctx context.Context, raw string) (Claims, error) {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return Claims{}, jwtInvalid("token is empty")
	case len(raw) > maxJWTBytes:
		return Claims{}, jwtInvalid(fmt.Sprintf("token is longer than %d bytes", maxJWTBytes))
	}
	tok, err := v.verifier.Verify(oidc.ClientContext(ctx, v.client), raw)
	if err != nil {
		return Claims{}, v.explain(raw, err)
	}
	if tok.Subject == "" {
		return Claims{}, jwtInvalid("no sub claim")
	}
	var all map[string]json.RawMessage
	if err := tok.Claims(&all); err != nil {
		return Claims{}, jwtInvalid("claims are not a JSON object")
	}
	c := Claims{Subject: tok.Subject, Expiry: tok.Expiry}

	role, present, err := stringClaim(all, v.cfg.RoleClaim)
	switch {
	case err != nil:
		return Claims{}, err
	case !present || role == "":
		return Claims{}, jwtInvalid(fmt.Sprintf("missing role claim %q", v.cfg.RoleClaim))
	case !Role(role).Valid():
		return Claims{}, jwtInvalid(fmt.Sprintf("role claim %q: %q is not a known role", v.cfg.RoleClaim, clipForError(role)))
	}
	c.Role = role

	if c.Scope, _, err = stringClaim(all, v.cfg.ScopeClaim); err != nil {
		return Claims{}, err
	}
	if c.Layers, err = listClaim(all, v.cfg.LayersClaim); err != nil {
		return Claims{}, err
	}
	agencyClaim := v.cfg.AgencyClaim
	if agencyClaim == "" {
		agencyClaim = DefaultAgencyClaim
	}
	if c.Agency, _, err = stringClaim(all, agencyClaim); err != nil {
		return Claims{}, err
	}
	return c, nil
}

// stringClaim returns a claim that must be a string when present; null counts as absent.
func stringClaim(all map[string]json.RawMessage, name string) (s string, present bool, err error) {
	raw, ok := all[name]
	if !ok || string(raw) == "null" {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, jwtInvalid(fmt.Sprintf("claim %q is not a string", name))
	}
	return strings.TrimSpace(s), true, nil
}

// listClaim returns a claim given as an array of strings or as one comma-separated string,
// trimmed, sorted and without duplicates or empty items.
func listClaim(all map[string]json.RawMessage, name string) ([]string, error) {
	raw, ok := all[name]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	var items []string
	if err := json.Unmarshal(raw, &items); err != nil {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, jwtInvalid(fmt.Sprintf("claim %q is neither a string array nor a comma-separated string", name))
		}
		items = strings.Split(s, ",")
	}
	var out []string
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// explain turns a go-oidc verification error into one that names the problem. go-oidc
// types only the expiry error, so the rest is found by reading the (already rejected)
// token's header and claims, in the order go-oidc checks them: format and algorithm,
// signature, issuer, audience, expiry, not-before.
func (v *JWTVerifier) explain(raw string, err error) error {
	header, payload, perr := splitJWT(raw)
	if perr != nil {
		return jwtInvalid("malformed token: " + perr.Error())
	}
	if !slices.Contains(jwtAlgs, header.Alg) {
		return jwtInvalid(fmt.Sprintf("signing algorithm %q not accepted (want %s)",
			clipForError(header.Alg), strings.Join(jwtAlgs, " or ")))
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "fetching keys"):
		// go-oidc formats the cause with %v, so this string is all that is left of it. The
		// cause may hold the key set response; it never holds the token.
		return &jwtError{
			reason: fmt.Sprintf("key set %s could not be fetched: %s", v.cfg.JWKSURL, clipForError(msg)),
			kind:   lagesbild.ErrUnavailable,
		}
	case strings.Contains(msg, "malformed jwt"):
		return jwtInvalid("malformed token: " + clipForError(msg))
	case strings.Contains(msg, "failed to verify signature"):
		return jwtInvalid(fmt.Sprintf("signature does not verify with any key of %s (key id %q)",
			v.cfg.JWKSURL, clipForError(header.Kid)))
	}
	var exp *oidc.TokenExpiredError
	if errors.As(err, &exp) {
		if payload.Exp == nil {
			return jwtInvalid("no exp claim")
		}
		return jwtInvalid("expired at " + exp.Expiry.UTC().Format(time.RFC3339))
	}
	if payload.Iss != v.cfg.Issuer {
		return jwtInvalid(fmt.Sprintf("wrong issuer %q (want %q)", clipForError(payload.Iss), v.cfg.Issuer))
	}
	if !slices.Contains(payload.Aud, v.cfg.Audience) {
		return jwtInvalid(fmt.Sprintf("wrong audience (want %q)", v.cfg.Audience))
	}
	if payload.Nbf != nil {
		return jwtInvalid("not valid before " + time.Unix(int64(*payload.Nbf), 0).UTC().Format(time.RFC3339))
	}
	return jwtInvalid("rejected: " + clipForError(msg))
}

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

type jwtPayload struct {
	Iss string       `json:"iss"`
	Aud jwtAudience  `json:"aud"`
	Exp *json.Number `json:"exp"`
	Nbf *float64     `json:"nbf"`
}

// jwtAudience reads "aud" as a single string or an array (RFC 7519 allows both).
type jwtAudience []string

func (a *jwtAudience) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*a = []string{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*a = list
	return nil
}

// splitJWT decodes a compact JWS's header and payload without verifying anything; it is
// used only to describe a token already rejected.
func splitJWT(raw string) (jwtHeader, jwtPayload, error) {
	var h jwtHeader
	var p jwtPayload
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return h, p, fmt.Errorf("%d dot-separated parts, want 3", len(parts))
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &h) != nil {
		return h, p, errors.New("header is not base64url JSON")
	}
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(pb, &p) != nil {
		return h, p, errors.New("payload is not base64url JSON claims")
	}
	return h, p, nil
}

// clipForError shortens a value taken from a rejected token or a library message before it goes
// into an error, so that a hostile token cannot flood the logs.
func clipForError(s string) string {
	const maxLen = 200
	if len(s) <= maxLen {
		return s
	}
	n := maxLen
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

type jwtError struct {
	reason string
	kind   error
}

func (e *jwtError) Error() string { return "auth: jwt: " + e.reason }
func (e *jwtError) Unwrap() error { return e.kind }

func jwtInvalid(reason string) error { return &jwtError{reason: reason, kind: ErrJWTInvalid} }
