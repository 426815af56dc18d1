package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
)

// TestIdentityCacheRevocation: with verified identities cached, a token revoked or a user
// disabled by another process (as `lagesbild token revoke` or `user disable` does) stops
// working on the next request after the database's notification has arrived, and one revoked
// through this server's own API on the very next request.
func TestIdentityCacheRevocation(t *testing.T) {
	cache := auth.NewIdentityCache(time.Hour) // only invalidation can end an entry in this test
	e := newSecEnv(t, false, func(api *httpapi.Server) { api.Auth.Cache = cache })
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan struct{})
	go func() { e.db.Listen(ctx, postgis.AuthChannel, cache); close(listening) }()
	t.Cleanup(func() { cancel(); <-listening })
	waitFor(t, "the listener", cache.Live)

	// Another process: its own pool, as the CLI has.
	other, err := postgis.Open(context.Background(), e.dbURL, postgis.Options{MaxConns: 2}, pgtest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Close)

	base := e.srv.URL
	me := func(header ...string) int {
		resp, _ := secDo(t, base, http.MethodGet, "/api/v1/me", nil, header...)
		return resp.StatusCode
	}

	tokA, idA := e.token(t, auth.RoleNationell, "")
	tokB, _ := e.token(t, auth.RoleNationell, "")
	if me(bearer(tokA)...) != 200 || me(bearer(tokB)...) != 200 {
		t.Fatal("fresh tokens refused")
	}
	if cache.Len() != 2 {
		t.Fatalf("cache holds %d entries after two tokens, want 2", cache.Len())
	}
	if err := other.RevokeToken(context.Background(), idA); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the revocation notice", func() bool { return cache.Len() == 1 })
	if got := me(bearer(tokA)...); got != http.StatusUnauthorized {
		t.Errorf("token revoked elsewhere: %d, want 401", got)
	}
	if got := me(bearer(tokB)...); got != 200 {
		t.Errorf("the other token: %d, want 200", got)
	}

	// Revoked through this server's admin API: refused on the very next request.
	createUser(t, e.api.Auth, "adam.admin", auth.RoleAdmin, "", false)
	adminTok, _ := e.token(t, auth.RoleAdmin, "")
	tokC, idC := e.token(t, auth.RoleNationell, "")
	if me(bearer(tokC)...) != 200 {
		t.Fatal("token C refused")
	}
	resp, b := secDo(t, base, http.MethodDelete, "/api/v1/admin/tokens/"+strconv.FormatInt(idC, 10), nil, bearer(adminTok)...)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("revoke through the API: %d %s", resp.StatusCode, b)
	}
	if got := me(bearer(tokC)...); got != http.StatusUnauthorized {
		t.Errorf("token revoked through the API, next request: %d, want 401", got)
	}

	// A session of a user disabled elsewhere ends; so does one after logout.
	createUser(t, e.api.Auth, "anna.analytiker", auth.RoleNationell, "", false)
	resp, _ = login(t, base, "anna.analytiker", secPassword)
	c := sessionCookie(resp)
	if me(withCookie(c)...) != 200 {
		t.Fatal("session refused")
	}
	n := cache.Len()
	if err := other.DisableUser(context.Background(), "anna.analytiker"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the disablement notice", func() bool { return cache.Len() < n })
	if got := me(withCookie(c)...); got != http.StatusUnauthorized {
		t.Errorf("session of a user disabled elsewhere: %d, want 401", got)
	}

	createUser(t, e.api.Auth, "bo.analytiker", auth.RoleNationell, "", false)
	resp, _ = login(t, base, "bo.analytiker", secPassword)
	c = sessionCookie(resp)
	if me(withCookie(c)...) != 200 {
		t.Fatal("session of bo refused")
	}
	if resp, _ := secDo(t, base, http.MethodDelete, "/api/v1/session", nil, withCookie(c, "X-CSRF-Token", csrfOf(t, base, c))...); resp.StatusCode/100 != 2 {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if got := me(withCookie(c)...); got != http.StatusUnauthorized {
		t.Errorf("after logout: %d, want 401", got)
	}

	// Losing the feed: the cache is not used until it is back, and then starts empty.
	cache.Lost(nil)
	if got := me(bearer(tokB)...); got != 200 {
		t.Errorf("with the feed down: %d, want 200 from the database", got)
	}
	cache.Connected()
	if cache.Len() != 0 {
		t.Errorf("cache holds %d entries after reconnecting, want 0", cache.Len())
	}
}

// csrfOf reads the CSRF token of a session from /me.
func csrfOf(t *testing.T, base string, c *http.Cookie) string {
	t.Helper()
	_, b := secDo(t, base, http.MethodGet, "/api/v1/me", nil, withCookie(c)...)
	return decodeMe(t, b).CSRFToken
}

// waitFor polls cond (a notification is asynchronous) and fails after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
