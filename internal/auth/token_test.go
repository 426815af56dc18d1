package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

func TestNewTokenAndSessionID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		new    func() (string, []byte, error)
		prefix string
		looks  func(string) bool
		other  func(string) bool // the other kind's check, which must say no
	}{
		{"token", NewToken, "lgb_", LooksLikeToken, LooksLikeSessionID},
		{"session id", NewSessionID, "lgs_", LooksLikeSessionID, LooksLikeToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			seen := map[string]bool{}
			for range 50 {
				plain, hash, err := tt.new()
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(plain, tt.prefix) || len(plain) != len(tt.prefix)+43 {
					t.Fatalf("%q: want %s and 43 base64url characters", plain, tt.prefix)
				}
				raw, err := base64.RawURLEncoding.DecodeString(plain[len(tt.prefix):])
				if err != nil || len(raw) != 32 {
					t.Fatalf("%q does not carry 32 base64url bytes (%v)", plain, err)
				}
				want := sha256.Sum256([]byte(plain))
				if !bytes.Equal(hash, want[:]) || !bytes.Equal(HashToken(plain), hash) {
					t.Fatalf("hash of %q is not its SHA-256", plain)
				}
				if !tt.looks(plain) {
					t.Errorf("%q does not look like a %s", plain, tt.name)
				}
				if tt.other(plain) {
					t.Errorf("%q is taken for the other kind of secret", plain)
				}
				if seen[plain] {
					t.Fatalf("%q generated twice", plain)
				}
				seen[plain] = true
			}
		})
	}
}

func TestNewCSRFToken(t *testing.T) {
	t.Parallel()
	a, err := NewCSRFToken()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewCSRFToken()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Error("two CSRF tokens are equal")
	}
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 {
		t.Errorf("CSRF token %q is not 32 base64url bytes (%v)", a, err)
	}
	if LooksLikeToken(a) || LooksLikeSessionID(a) {
		t.Errorf("CSRF token %q looks like a token or session id", a)
	}
}

func TestHashTokenKnownValue(t *testing.T) {
	t.Parallel()
	// Computed independently: printf 'lgb_example' | sha256sum. The database keeps these
	// bytes, so the function must never change.
	const want = "1d418dac060d9539be9a8bc45b978b78dcba5c34876101829cbad8eeaba2ad20"
	if got := hex.EncodeToString(HashToken("lgb_example")); got != want {
		t.Errorf("HashToken(lgb_example) = %s, want %s", got, want)
	}
}

func TestLooksLikeToken(t *testing.T) {
	t.Parallel()
	valid := "lgb_" + strings.Repeat("A", 43)
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"valid", valid, true},
		{"valid with dash and underscore", "lgb_" + strings.Repeat("-_", 21) + "A", true},
		{"empty", "", false},
		{"prefix only", "lgb_", false},
		{"session prefix", "lgs_" + strings.Repeat("A", 43), false},
		{"upper-case prefix", "LGB_" + strings.Repeat("A", 43), false},
		{"one character short", valid[:len(valid)-1], false},
		{"one character long", valid + "A", false},
		{"standard base64 plus", "lgb_" + strings.Repeat("+", 43), false},
		{"standard base64 slash", "lgb_" + strings.Repeat("/", 43), false},
		{"padding", "lgb_" + strings.Repeat("A", 42) + "=", false},
		{"space inside", "lgb_" + strings.Repeat("A", 20) + " " + strings.Repeat("A", 22), false},
		{"trailing newline", valid[:len(valid)-1] + "\n", false},
		// The 43rd character carries 2 unused bits; only one spelling is accepted.
		{"non-canonical last character", "lgb_" + strings.Repeat("A", 42) + "B", false},
		{"non-ASCII", "lgb_" + strings.Repeat("A", 41) + "ö", false},
		{"bearer prefix left on", "Bearer " + valid, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := LooksLikeToken(tt.s); got != tt.want {
				t.Errorf("LooksLikeToken(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}

func TestParseExpiry(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 14, 10, 30, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		in   string
		want time.Time
		err  string // part of the error; "" for none
	}{
		{in: "90d", want: now.Add(90 * day)},
		{in: "90D", want: now.Add(90 * day)},
		{in: " 7d ", want: now.Add(7 * day)},
		{in: "+7d", want: now.Add(7 * day)},
		{in: "1y", want: now.Add(365 * day)},
		{in: "2y", want: now.Add(730 * day)},
		{in: "730d", want: now.Add(730 * day)},
		{in: "12h", want: now.Add(12 * time.Hour)},
		{in: "30m", want: now.Add(30 * time.Minute)},
		{in: "1h30m", want: now.Add(90 * time.Minute)},
		{in: "2026-12-31T18:00:00+01:00", want: time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC)},
		{in: "2026-12-31T17:00:00Z", want: time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC)},
		{in: "2026-12-31", want: time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)},
		// Today still counts: the token lives until the end of the day.
		{in: "2026-05-14", want: time.Date(2026, 5, 14, 23, 59, 59, 0, time.UTC)},
		{in: "2028-05-13", want: time.Date(2028, 5, 13, 23, 59, 59, 0, time.UTC)},

		{in: "", err: "is empty"},
		{in: "   ", err: "is empty"},
		{in: "0d", err: `"0d" is not a positive duration`},
		{in: "0y", err: `"0y" is not a positive duration`},
		{in: "-5d", err: `"-5d" is not a positive duration`},
		{in: "0s", err: `"0s" is not a positive duration`},
		{in: "-1h", err: `"-1h" is not a positive duration`},
		{in: "2026-05-13", err: `"2026-05-13" is in the past`},
		{in: "2026-05-14T10:30:00Z", err: "is in the past"},
		{in: "2020-01-01T00:00:00Z", err: "is in the past"},
		{in: "3y", err: `"3y" is more than 2 years ahead`},
		// 2026-05-14 plus two years is 731 days (2028 is a leap year).
		{in: "731d", want: now.Add(731 * day)},
		{in: "732d", err: "more than 2 years ahead"},
		{in: "17600h", err: "more than 2 years ahead"},
		{in: "2028-05-14", err: "more than 2 years ahead"},
		{in: "2030-01-01T00:00:00Z", err: "more than 2 years ahead"},
		// Regression guard: a huge count must not overflow into a valid-looking time.
		{in: "9999999999999999999d", err: "more than 2 years ahead"},
		{in: "106751991167y", err: "more than 2 years ahead"},
		{in: "90 days", err: `"90 days" is neither a duration`},
		{in: "1w", err: `"1w" is neither`},
		{in: "d", err: "is neither"},
		{in: "2026-13-01", err: "is neither"},
		{in: "2026-12-31 18:00", err: "is neither"},
		{in: "never", err: `"never" is neither`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseExpiry(tt.in, now)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseExpiry(%q) error = %v, want one containing %q", tt.in, err, tt.err)
				}
				if !errors.Is(err, lagesbild.ErrInvalid) {
					t.Errorf("error %v does not unwrap to ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseExpiry(%q): %v", tt.in, err)
			}
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("ParseExpiry(%q) = %v, want %v in UTC", tt.in, got, tt.want)
			}
		})
	}
}

// Durations count from now in any zone, and the result comes back in UTC.
func TestParseExpiryNowInOtherZone(t *testing.T) {
	t.Parallel()
	stockholm := time.FixedZone("CEST", 2*60*60)
	now := time.Date(2026, 5, 14, 23, 30, 0, 0, stockholm)
	got, err := ParseExpiry("1d", now)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 5, 15, 21, 30, 0, 0, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("got %v, want %v", got, want)
	}
	// A date is a UTC day: 2026-05-14 ends at 23:59:59 UTC, still ahead of 21:30 UTC.
	if _, err := ParseExpiry("2026-05-14", now); err != nil {
		t.Errorf("today (UTC) rejected: %v", err)
	}
}
