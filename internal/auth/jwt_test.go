package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

const (
	jwtTestIssuer   = "https://idp.example.polisen.se/realms/lagesbild"
	jwtTestAudience = "lagesbild"
)

// Keys are generated once per test binary: RSA generation is slow under the race detector.
var jwtTestKeys = sync.OnceValue(func() (k struct {
	rsa, otherRSA *rsa.PrivateKey
	ec            *ecdsa.PrivateKey
}) {
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.otherRSA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	return k
})

// jwtTestIdP is an identity provider's key set endpoint, over TLS with a certificate only
// its own client trusts, so a fetch through any other client fails.
type jwtTestIdP struct {
	srv     *httptest.Server
	fetches atomic.Int32
	down    atomic.Bool
}

func newJWTTestIdP(t *testing.T) *jwtTestIdP {
	t.Helper()
	keys := jwtTestKeys()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &keys.rsa.PublicKey, KeyID: "r1", Algorithm: "RS256", Use: "sig"},
		{Key: &keys.ec.PublicKey, KeyID: "e1", Algorithm: "ES256", Use: "sig"},
	}}
	body, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	idp := &jwtTestIdP{}
	idp.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/jwks" {
			http.NotFound(w, r)
			return
		}
		idp.fetches.Add(1)
		if idp.down.Load() {
			http.Error(w, "upstream broken", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	// The test of a client that rejects the certificate would log the handshake error.
	idp.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	idp.srv.StartTLS()
	t.Cleanup(idp.srv.Close)
	return idp
}

func (idp *jwtTestIdP) config() JWTConfig {
	return JWTConfig{Issuer: jwtTestIssuer, Audience: jwtTestAudience, JWKSURL: idp.srv.URL + "/jwks"}
}

func (idp *jwtTestIdP) verifier(t *testing.T, cfg JWTConfig) *JWTVerifier {
	t.Helper()
	v, err := NewJWTVerifier(t.Context(), cfg, idp.srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// signJWT signs claims as a compact JWS with the given algorithm, key and key id.
func signJWT(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// unsignedJWT builds an "alg":"none" token, which no JOSE library will sign.
func unsignedJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(payload) + "."
}

func jwtTestClaims(now time.Time) map[string]any {
	return map[string]any{
		"iss":              jwtTestIssuer,
		"aud":              jwtTestAudience,
		"sub":              "anna.analytiker",
		"iat":              now.Unix(),
		"exp":              now.Add(time.Hour).Unix(),
		"lagesbild_role":   "regional",
		"lagesbild_scope":  "region:5400",
		"lagesbild_layers": []string{"trend", "cells"},
	}
}

func TestJWTVerify(t *testing.T) {
	t.Parallel()
	idp := newJWTTestIdP(t)
	v := idp.verifier(t, idp.config())
	keys := jwtTestKeys()
	now := time.Now().Truncate(time.Second)
	exp := now.Add(time.Hour)

	rs256 := func(c map[string]any) string { return signJWT(t, jose.RS256, keys.rsa, "r1", c) }
	with := func(change func(map[string]any)) map[string]any {
		c := jwtTestClaims(now)
		change(c)
		return c
	}
	tampered := func() string {
		// A valid token whose payload is swapped after signing, to raise its role.
		parts := strings.Split(rs256(jwtTestClaims(now)), ".")
		p, _ := json.Marshal(with(func(c map[string]any) { c["lagesbild_role"] = "nationell" }))
		parts[1] = base64.RawURLEncoding.EncodeToString(p)
		return strings.Join(parts, ".")
	}

	tests := []struct {
		name string
		raw  string
		want Claims
		err  string // part of the error; "" for none
	}{
		{
			name: "valid RS256",
			raw:  rs256(jwtTestClaims(now)),
			want: Claims{Subject: "anna.analytiker", Role: "regional", Scope: "region:5400", Layers: []string{"cells", "trend"}, Expiry: exp},
		},
		{
			name: "valid ES256",
			raw:  signJWT(t, jose.ES256, keys.ec, "e1", jwtTestClaims(now)),
			want: Claims{Subject: "anna.analytiker", Role: "regional", Scope: "region:5400", Layers: []string{"cells", "trend"}, Expiry: exp},
		},
		{
			name: "audience among several",
			raw:  rs256(with(func(c map[string]any) { c["aud"] = []string{"grafana", jwtTestAudience} })),
			want: Claims{Subject: "anna.analytiker", Role: "regional", Scope: "region:5400", Layers: []string{"cells", "trend"}, Expiry: exp},
		},
		{
			name: "layers as a comma-separated string",
			raw:  rs256(with(func(c map[string]any) { c["lagesbild_role"] = "gis"; c["lagesbild_layers"] = " trend, cells,,trend " })),
			want: Claims{Subject: "anna.analytiker", Role: "gis", Scope: "region:5400", Layers: []string{"cells", "trend"}, Expiry: exp},
		},
		{
			name: "no scope and no layers",
			raw: rs256(with(func(c map[string]any) {
				c["lagesbild_role"] = "admin"
				delete(c, "lagesbild_scope")
				c["lagesbild_layers"] = nil
			})),
			want: Claims{Subject: "anna.analytiker", Role: "admin", Expiry: exp},
		},
		{
			name: "token without key id",
			raw:  signJWT(t, jose.RS256, keys.rsa, "", jwtTestClaims(now)),
			want: Claims{Subject: "anna.analytiker", Role: "regional", Scope: "region:5400", Layers: []string{"cells", "trend"}, Expiry: exp},
		},

		{name: "expired", raw: rs256(with(func(c map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() })), err: "expired at "},
		{name: "no exp claim", raw: rs256(with(func(c map[string]any) { delete(c, "exp") })), err: "no exp claim"},
		{name: "not valid yet", raw: rs256(with(func(c map[string]any) { c["nbf"] = now.Add(time.Hour).Unix() })), err: "not valid before "},
		{name: "wrong issuer", raw: rs256(with(func(c map[string]any) { c["iss"] = "https://evil.example" })), err: `wrong issuer "https://evil.example"`},
		{name: "no issuer", raw: rs256(with(func(c map[string]any) { delete(c, "iss") })), err: `wrong issuer ""`},
		{name: "wrong audience", raw: rs256(with(func(c map[string]any) { c["aud"] = "grafana" })), err: `wrong audience (want "lagesbild")`},
		{name: "no audience", raw: rs256(with(func(c map[string]any) { delete(c, "aud") })), err: "wrong audience"},
		{name: "wrong key with a known key id", raw: signJWT(t, jose.RS256, keys.otherRSA, "r1", jwtTestClaims(now)), err: "signature does not verify"},
		{name: "unknown key id", raw: signJWT(t, jose.RS256, keys.otherRSA, "r9", jwtTestClaims(now)), err: `signature does not verify with any key of https://127.0.0.1:`},
		{name: "payload changed after signing", raw: tampered(), err: "signature does not verify"},
		{name: "alg none", raw: unsignedJWT(t, jwtTestClaims(now)), err: `signing algorithm "none" not accepted (want RS256 or ES256)`},
		// HS256 keyed with something public is the classic key-confusion attack.
		{name: "alg HS256", raw: signJWT(t, jose.HS256, []byte("the public key, used as an HMAC secret"), "r1", jwtTestClaims(now)), err: `signing algorithm "HS256" not accepted`},
		{name: "alg PS256", raw: signJWT(t, jose.PS256, keys.rsa, "r1", jwtTestClaims(now)), err: `signing algorithm "PS256" not accepted`},
		{name: "missing role claim", raw: rs256(with(func(c map[string]any) { delete(c, "lagesbild_role") })), err: `missing role claim "lagesbild_role"`},
		{name: "empty role claim", raw: rs256(with(func(c map[string]any) { c["lagesbild_role"] = " " })), err: `missing role claim "lagesbild_role"`},
		{name: "null role claim", raw: rs256(with(func(c map[string]any) { c["lagesbild_role"] = nil })), err: `missing role claim "lagesbild_role"`},
		{name: "unknown role", raw: rs256(with(func(c map[string]any) { c["lagesbild_role"] = "superuser" })), err: `role claim "lagesbild_role": "superuser" is not a known role`},
		{name: "role as a number", raw: rs256(with(func(c map[string]any) { c["lagesbild_role"] = 1 })), err: `claim "lagesbild_role" is not a string`},
		{name: "role as an array", raw: rs256(with(func(c map[string]any) { c["lagesbild_role"] = []string{"regional"} })), err: `claim "lagesbild_role" is not a string`},
		{name: "scope as an object", raw: rs256(with(func(c map[string]any) { c["lagesbild_scope"] = map[string]string{"region": "5400"} })), err: `claim "lagesbild_scope" is not a string`},
		{name: "layers as a number", raw: rs256(with(func(c map[string]any) { c["lagesbild_layers"] = 7 })), err: `claim "lagesbild_layers" is neither a string array nor a comma-separated string`},
		{name: "no subject", raw: rs256(with(func(c map[string]any) { delete(c, "sub") })), err: "no sub claim"},
		{name: "empty", raw: "", err: "token is empty"},
		{name: "two parts", raw: "eyJhbGciOiJSUzI1NiJ9.e30", err: "malformed token: 2 dot-separated parts, want 3"},
		{name: "not base64", raw: "not.a.jwt", err: "malformed token: header is not base64url JSON"},
		{name: "bad signature encoding", raw: rs256(jwtTestClaims(now)) + "!", err: "malformed token"},
		{name: "too long", raw: strings.Repeat("a", maxJWTBytes+1), err: "longer than 16384 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := v.Verify(t.Context(), tt.raw)
			if tt.err == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if got.Subject != tt.want.Subject || got.Role != tt.want.Role || got.Scope != tt.want.Scope ||
					!slices.Equal(got.Layers, tt.want.Layers) || !got.Expiry.Equal(tt.want.Expiry) {
					t.Errorf("Verify = %+v, want %+v", got, tt.want)
				}
				return
			}
			t.Logf("error: %v", err)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Verify error = %v, want one containing %q", err, tt.err)
			}
			if !errors.Is(err, ErrJWTInvalid) {
				t.Errorf("error %v does not unwrap to ErrJWTInvalid", err)
			}
			if len(tt.raw) > 20 && strings.Contains(err.Error(), tt.raw) {
				t.Error("error quotes the token")
			}
			if parts := strings.Split(tt.raw, "."); len(parts) == 3 && len(parts[2]) > 10 && strings.Contains(err.Error(), parts[2]) {
				t.Error("error quotes the token's signature")
			}
			if got.Subject != "" || got.Role != "" {
				t.Errorf("rejected token still gave claims %+v", got)
			}
		})
	}
}

func TestJWTCustomClaimNames(t *testing.T) {
	t.Parallel()
	idp := newJWTTestIdP(t)
	cfg := idp.config()
	cfg.RoleClaim, cfg.ScopeClaim, cfg.LayersClaim = "roll", "omrade", "lager"
	v := idp.verifier(t, cfg)
	now := time.Now()

	c := jwtTestClaims(now)
	c["roll"], c["omrade"], c["lager"] = "lokal", "lpo:540210", "cells"
	got, err := v.Verify(t.Context(), signJWT(t, jose.RS256, jwtTestKeys().rsa, "r1", c))
	if err != nil {
		t.Fatal(err)
	}
	if got.Role != "lokal" || got.Scope != "lpo:540210" || !slices.Equal(got.Layers, []string{"cells"}) {
		t.Errorf("Verify = %+v: custom claims not read", got)
	}

	delete(c, "roll") // the default-named claim is still there, and must be ignored
	_, err = v.Verify(t.Context(), signJWT(t, jose.RS256, jwtTestKeys().rsa, "r1", c))
	if err == nil || !strings.Contains(err.Error(), `missing role claim "roll"`) {
		t.Errorf("Verify error = %v, want the missing role claim named", err)
	}
}

func TestJWTKeySet(t *testing.T) {
	t.Parallel()
	now := time.Now()
	raw := func(t *testing.T) string {
		return signJWT(t, jose.RS256, jwtTestKeys().rsa, "r1", jwtTestClaims(now))
	}

	t.Run("fetched once through the given client", func(t *testing.T) {
		t.Parallel()
		idp := newJWTTestIdP(t)
		v := idp.verifier(t, idp.config())
		if n := idp.fetches.Load(); n != 0 {
			t.Errorf("%d key set fetches before the first Verify, want 0", n)
		}
		for range 3 {
			if _, err := v.Verify(t.Context(), raw(t)); err != nil {
				t.Fatal(err)
			}
		}
		if n := idp.fetches.Load(); n != 1 {
			t.Errorf("%d key set fetches for 3 tokens of one key, want 1", n)
		}
	})

	t.Run("another client does not trust the server", func(t *testing.T) {
		t.Parallel()
		idp := newJWTTestIdP(t)
		// nil means a client of the verifier's own, which does not trust the test
		// server's certificate: proof that the client given is the one used.
		v, err := NewJWTVerifier(t.Context(), idp.config(), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(t.Context(), raw(t))
		if err == nil || !strings.Contains(err.Error(), "could not be fetched") || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("Verify error = %v, want a failed key set fetch over TLS", err)
		}
		if !errors.Is(err, lagesbild.ErrUnavailable) || errors.Is(err, ErrJWTInvalid) {
			t.Errorf("error %v should unwrap to ErrUnavailable only", err)
		}
	})

	t.Run("provider down", func(t *testing.T) {
		t.Parallel()
		idp := newJWTTestIdP(t)
		idp.down.Store(true)
		v := idp.verifier(t, idp.config())
		_, err := v.Verify(t.Context(), raw(t))
		if err == nil || !strings.Contains(err.Error(), "key set https://127.0.0.1") || !errors.Is(err, lagesbild.ErrUnavailable) {
			t.Fatalf("Verify error = %v, want an unavailable key set", err)
		}
		// Once it is back, the same verifier works.
		idp.down.Store(false)
		if _, err := v.Verify(t.Context(), raw(t)); err != nil {
			t.Errorf("Verify after recovery: %v", err)
		}
	})

}

func TestNewJWTVerifierConfig(t *testing.T) {
	t.Parallel()
	good := JWTConfig{Issuer: jwtTestIssuer, Audience: jwtTestAudience, JWKSURL: "https://idp.example/jwks"}
	tests := []struct {
		name   string
		change func(*JWTConfig)
		err    string // part of the error; "" for none
	}{
		{"valid", func(*JWTConfig) {}, ""},
		{"http on loopback", func(c *JWTConfig) { c.JWKSURL = "http://127.0.0.1:8080/jwks" }, ""},
		{"http on localhost", func(c *JWTConfig) { c.JWKSURL = "http://localhost/jwks" }, ""},
		{"http on IPv6 loopback", func(c *JWTConfig) { c.JWKSURL = "http://[::1]:9000/jwks" }, ""},
		{"no issuer", func(c *JWTConfig) { c.Issuer = " " }, "jwt issuer: is empty"},
		{"no audience", func(c *JWTConfig) { c.Audience = "" }, "jwt audience: is empty"},
		{"no key set", func(c *JWTConfig) { c.JWKSURL = "" }, "jwt jwks url: is empty"},
		{"plain http", func(c *JWTConfig) { c.JWKSURL = "http://idp.example/jwks" }, "is plain http"},
		{"relative", func(c *JWTConfig) { c.JWKSURL = "/jwks" }, "is not an absolute URL"},
		{"ftp", func(c *JWTConfig) { c.JWKSURL = "ftp://idp.example/jwks" }, "scheme must be https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := good
			tt.change(&cfg)
			v, err := NewJWTVerifier(t.Context(), cfg, nil)
			if tt.err == "" {
				if err != nil || v == nil {
					t.Fatalf("NewJWTVerifier: %v", err)
				}
				if v.cfg.RoleClaim != DefaultRoleClaim || v.cfg.ScopeClaim != DefaultScopeClaim || v.cfg.LayersClaim != DefaultLayersClaim {
					t.Errorf("default claim names not set: %+v", v.cfg)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("NewJWTVerifier error = %v, want one containing %q", err, tt.err)
			}
			if !errors.Is(err, lagesbild.ErrInvalid) {
				t.Errorf("error %v does not unwrap to ErrInvalid", err)
			}
		})
	}
}
