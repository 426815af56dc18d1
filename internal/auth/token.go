package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Prefixes of the secrets the service hands out. They make a leaked secret recognisable to
// people and to secret scanners, and let a request's credential be told apart without a
// database lookup.
const (
	// TokenPrefix starts every API token.
	TokenPrefix = "lgb_"
	// SessionIDPrefix starts every session id (the session cookie's value).
	SessionIDPrefix = "lgs_"
)

// secretEntropyBytes is the entropy of tokens, session ids and CSRF tokens: 256 bits.
const secretEntropyBytes = 32

// secretEncodedChars is the length of secretEntropyBytes in unpadded base64url.
var secretEncodedChars = base64.RawURLEncoding.EncodedLen(secretEntropyBytes)

// NewToken returns a new API token: plain is shown to its owner once and never stored; hash
// is what the database keeps and looks tokens up by (see HashToken). The error is non-nil
// only if the system's random source fails.
func NewToken() (plain string, hash []byte, err error) {
	return newPrefixedSecret(TokenPrefix)
}

// NewSessionID returns a new session id and its hash, like NewToken: the cookie carries
// plain, the database keeps only hash, so a read of the sessions table yields no usable
// session.
func NewSessionID() (plain string, hash []byte, err error) {
	return newPrefixedSecret(SessionIDPrefix)
}

// NewCSRFToken returns a random token (256 bits, base64url, no prefix) for the
// synchroniser-token or double-submit CSRF check of a session.
func NewCSRFToken() (string, error) {
	b := make([]byte, secretEntropyBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: csrf token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken returns the SHA-256 of a token or session id as presented. A fast hash is
// right here, unlike for passwords: the secret has 256 random bits, so there is nothing
// to guess, and every request pays for the lookup.
func HashToken(plain string) []byte {
	h := sha256.Sum256([]byte(plain))
	return h[:]
}

// LooksLikeToken reports whether s has the form of an API token (prefix, length and
// base64url alphabet). It is a cheap filter before a database lookup, not a check that
// the token exists.
func LooksLikeToken(s string) bool { return looksLikePrefixedSecret(s, TokenPrefix) }

// LooksLikeSessionID reports whether s has the form of a session id, like LooksLikeToken.
func LooksLikeSessionID(s string) bool { return looksLikePrefixedSecret(s, SessionIDPrefix) }

func newPrefixedSecret(prefix string) (string, []byte, error) {
	b := make([]byte, secretEntropyBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("auth: new secret: %w", err)
	}
	plain := prefix + base64.RawURLEncoding.EncodeToString(b)
	return plain, HashToken(plain), nil
}

func looksLikePrefixedSecret(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != secretEncodedChars {
		return false
	}
	// Strict decoding also rejects a last character whose unused low bits are set, so
	// exactly one spelling of each secret is accepted.
	b, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	return err == nil && len(b) == secretEntropyBytes
}

// MaxExpiryYears is how far ahead ParseExpiry accepts an expiry.
const MaxExpiryYears = 2

// expiryShortDuration matches the day and year forms that time.ParseDuration lacks.
var expiryShortDuration = regexp.MustCompile(`^([+-]?[0-9]+)([dDyY])$`)

// ParseExpiry reads when a token or user should expire, relative to now: a duration of
// days ("90d"), years ("1y", 365 days each) or anything time.ParseDuration reads ("12h",
// "30m", "1h30m"); an RFC 3339 timestamp ("2026-12-31T18:00:00+01:00"); or a date
// ("2026-12-31", meaning the end of that day in UTC, 23:59:59). The result, in UTC, must
// lie after now and at most MaxExpiryYears ahead; errors name the value and unwrap to
// lagesbild.ErrInvalid.
func ParseExpiry(s string, now time.Time) (time.Time, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return time.Time{}, lagesbild.Invalid("expiry", "is empty (give e.g. 90d, 12h, 1y, 2026-12-31 or an RFC 3339 time)")
	}
	var t time.Time
	if m := expiryShortDuration.FindStringSubmatch(in); m != nil {
		n, err := strconv.ParseInt(m[1], 10, 64)
		// Anything beyond this many days is rejected below anyway; stopping here keeps
		// the multiplication from overflowing.
		const maxDays = 1000 * 365
		if err != nil || n > maxDays || n < -maxDays {
			return time.Time{}, lagesbild.Invalid("expiry", "%q is more than %d years ahead", s, MaxExpiryYears)
		}
		days := n
		if strings.EqualFold(m[2], "y") {
			days = n * 365
		}
		if days <= 0 {
			return time.Time{}, lagesbild.Invalid("expiry", "%q is not a positive duration", s)
		}
		t = now.Add(time.Duration(days) * 24 * time.Hour)
	} else if d, err := time.ParseDuration(in); err == nil {
		if d <= 0 {
			return time.Time{}, lagesbild.Invalid("expiry", "%q is not a positive duration", s)
		}
		t = now.Add(d)
	} else if ts, err := time.Parse(time.RFC3339, in); err == nil {
		t = ts
	} else if day, err := time.Parse(time.DateOnly, in); err == nil {
		t = day.Add(24*time.Hour - time.Second)
	} else {
		return time.Time{}, lagesbild.Invalid("expiry",
			"%q is neither a duration (90d, 12h, 30m, 1y), an RFC 3339 time nor a date (YYYY-MM-DD)", s)
	}
	t = t.UTC()
	if !t.After(now) {
		return time.Time{}, lagesbild.Invalid("expiry", "%q is in the past (%s)", s, t.Format(time.RFC3339))
	}
	if limit := now.AddDate(MaxExpiryYears, 0, 0); t.After(limit) {
		return time.Time{}, lagesbild.Invalid("expiry", "%q is more than %d years ahead (latest %s)",
			s, MaxExpiryYears, limit.UTC().Format(time.RFC3339))
	}
	return t, nil
}
