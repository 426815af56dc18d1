package auth

import (
	"strconv"
	"strings"
	"sync"
	"time"
)

// IdentityCache remembers credentials the database has verified (API token hash → identity,
// session cookie hash → identity and CSRF token), so a busy client's requests do not each look
// their credential up. It is only trusted while it hears of every change: revoking a token,
// disabling a user, a new password or a logout reach it at once through Invalidate (the
// database sends them with LISTEN/NOTIFY, see internal/postgis Listen). While that feed is
// down, entries are not used for normal requests (every request asks the database again) and
// when it comes back the cache is emptied, since changes may have been missed.
//
// When the database cannot be reached at all, a credential verified within Grace is still
// accepted (Fallback): nothing can revoke it while the database is down, and the requests that
// need no database (cached tiles) keep working through an outage.
type IdentityCache struct {
	// TTL is how long a verified credential is used without asking the database again.
	TTL time.Duration
	// Grace is how long after its last verification a credential is accepted while the
	// database is unreachable.
	Grace time.Duration
	// Max bounds the number of entries; when full, the cache is emptied.
	Max int
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time

	mu      sync.RWMutex
	entries map[string]cachedIdentity
	live    bool      // the invalidation feed is connected
	lostAt  time.Time // when it was lost
	checked bool      // entries older than lostAt were dropped after the database answered again
}

type cachedIdentity struct {
	id         Identity
	csrf       string
	expiresAt  time.Time // of the token or the session
	verifiedAt time.Time
}

// NewIdentityCache returns a cache with the given TTL and a 15-minute outage grace. It trusts
// nothing until Connected is called.
func NewIdentityCache(ttl time.Duration) *IdentityCache {
	return &IdentityCache{TTL: ttl, Grace: 15 * time.Minute, Max: 100000, entries: map[string]cachedIdentity{}}
}

func (c *IdentityCache) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// fresh returns an entry that may be used without asking the database.
func (c *IdentityCache) fresh(key string) (cachedIdentity, bool) {
	if c == nil {
		return cachedIdentity{}, false
	}
	now := c.now()
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[key]
	if !ok || !c.live || now.Sub(e.verifiedAt) >= c.TTL || !now.Before(e.expiresAt) {
		return cachedIdentity{}, false
	}
	return e, true
}

// fallback returns an entry verified within Grace, for when the database cannot be asked.
func (c *IdentityCache) fallback(key string) (cachedIdentity, bool) {
	if c == nil {
		return cachedIdentity{}, false
	}
	now := c.now()
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[key]
	if !ok || now.Sub(e.verifiedAt) >= c.Grace || !now.Before(e.expiresAt) {
		return cachedIdentity{}, false
	}
	return e, true
}

// put records a credential the database has just verified.
func (c *IdentityCache) put(key string, e cachedIdentity) {
	if c == nil {
		return
	}
	e.verifiedAt = c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live && !c.checked {
		// The database answers but the feed is down: a change may have gone unheard, so what
		// was verified before the feed was lost cannot serve even as a fallback.
		for k, old := range c.entries {
			if old.verifiedAt.Before(c.lostAt) {
				delete(c.entries, k)
			}
		}
		c.checked = true
	}
	if len(c.entries) >= c.Max {
		clear(c.entries)
	}
	c.entries[key] = e
}

// drop forgets one credential (the database says it is no longer valid).
func (c *IdentityCache) drop(key string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}

// Invalidate handles one change notification: "token:<id>" (revoked or changed), "user:<id>"
// (disabled, changed, a session ended) or anything else, which empties the cache.
func (c *IdentityCache) Invalidate(payload string) {
	kind, idText, _ := strings.Cut(payload, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err == nil && kind == "token":
		for k, e := range c.entries {
			if e.id.TokenID == id {
				delete(c.entries, k)
			}
		}
	case err == nil && kind == "user":
		for k, e := range c.entries {
			if e.id.UserID == id {
				delete(c.entries, k)
			}
		}
	default:
		clear(c.entries)
	}
}

// Connected says the invalidation feed is (again) listening: the cache starts empty, since any
// change before this moment may have been missed.
func (c *IdentityCache) Connected() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.live = true
}

// Lost says the invalidation feed is down: entries are no longer used for normal requests.
func (c *IdentityCache) Lost(error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live {
		c.live, c.lostAt, c.checked = false, c.now(), false
	}
}

// Notify is Invalidate, for the database listener.
func (c *IdentityCache) Notify(payload string) { c.Invalidate(payload) }

// Len returns the number of entries (tests, metrics).
func (c *IdentityCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

// Live reports whether the invalidation feed is connected (the cache is used).
func (c *IdentityCache) Live() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.live
}
