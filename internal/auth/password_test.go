package auth

import (
	"errors"
	"strings"
	"testing"

	"github.com/alexedwards/argon2id"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

func TestHashPasswordRoundTrip(t *testing.T) {
	t.Parallel()
	const pw = "korrekt häst batteri häftklammer"
	h1, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if h1 == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=65536,t=1,p=2$") {
		t.Errorf("hash %q does not carry the expected parameters", h1)
	}
	if strings.Contains(h1, pw) {
		t.Error("hash contains the password")
	}

	tests := []struct {
		name string
		pw   string
		want bool
	}{
		{"same password", pw, true},
		{"other password", "korrekt häst batteri häftklamrar", false},
		{"prefix of the password", pw[:len(pw)-1], false},
		{"password with trailing space", pw + " ", false},
		{"empty password", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckPassword(h1, tt.pw)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("CheckPassword = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHashPasswordRejectsEmpty(t *testing.T) {
	t.Parallel()
	if _, err := HashPassword(""); !errors.Is(err, lagesbild.ErrInvalid) {
		t.Errorf("HashPassword(\"\") error = %v, want ErrInvalid", err)
	}
}

func TestCheckPasswordBadHash(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		hash string
		want string // part of the error
	}{
		{"empty", "", "not in the correct format"},
		{"bcrypt hash", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", "not in the correct format"},
		{"argon2i variant", "$argon2i$v=19$m=65536,t=1,p=2$4kJ+tWHt9TFAmVocg1PYUQ$WUKncsnBhmsDhngKAr8vSBbLqsLIcNLDdxhVmC861xo", "incompatible variant"},
		{"old version", "$argon2id$v=16$m=65536,t=1,p=2$4kJ+tWHt9TFAmVocg1PYUQ$WUKncsnBhmsDhngKAr8vSBbLqsLIcNLDdxhVmC861xo", "incompatible version"},
		{"bad salt encoding", "$argon2id$v=19$m=65536,t=1,p=2$!!!$WUKncsnBhmsDhngKAr8vSBbLqsLIcNLDdxhVmC861xo", "illegal base64"},
		// Regression guards: these parameters would make x/crypto/argon2 panic or
		// allocate far too much if passed through.
		{"zero passes", "$argon2id$v=19$m=65536,t=0,p=2$4kJ+tWHt9TFAmVocg1PYUQ$WUKncsnBhmsDhngKAr8vSBbLqsLIcNLDdxhVmC861xo", "out of range"},
		{"zero lanes", "$argon2id$v=19$m=65536,t=1,p=0$4kJ+tWHt9TFAmVocg1PYUQ$WUKncsnBhmsDhngKAr8vSBbLqsLIcNLDdxhVmC861xo", "out of range"},
		{"4 GiB of memory", "$argon2id$v=19$m=4194304,t=1,p=2$4kJ+tWHt9TFAmVocg1PYUQ$WUKncsnBhmsDhngKAr8vSBbLqsLIcNLDdxhVmC861xo", "out of range"},
		{"many passes", "$argon2id$v=19$m=65536,t=1000,p=2$4kJ+tWHt9TFAmVocg1PYUQ$WUKncsnBhmsDhngKAr8vSBbLqsLIcNLDdxhVmC861xo", "out of range"},
		{"short key", "$argon2id$v=19$m=65536,t=1,p=2$4kJ+tWHt9TFAmVocg1PYUQ$WUKncsnBhmsDhng", "key of 11 bytes"},
		{"short salt", "$argon2id$v=19$m=65536,t=1,p=2$4kJ+tQ$WUKncsnBhmsDhngKAr8vSBbLqsLIcNLDdxhVmC861xo", "salt of 4 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, err := CheckPassword(tt.hash, "whatever password")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CheckPassword error = %v, want one containing %q", err, tt.want)
			}
			if ok {
				t.Error("CheckPassword matched a bad hash")
			}
		})
	}
}

// The dummy hash must cost what a real hash costs, so its parameters must follow
// passwordParams whenever those change.
func TestDummyHashMatchesParams(t *testing.T) {
	t.Parallel()
	p, _, _, err := argon2id.DecodeHash(dummyHash)
	if err != nil {
		t.Fatal(err)
	}
	if *p != *passwordParams {
		t.Errorf("dummyHash parameters %+v, want passwordParams %+v: regenerate dummyHash", *p, *passwordParams)
	}
	if err := dummyCheck(); err != nil {
		t.Errorf("dummyCheck: %v", err)
	}
	DummyCheck() // must not panic
}

func TestValidatePassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		pw   string
		want string // part of the error; "" for none
	}{
		{"empty", "", "0 characters"},
		{"eleven characters", "abcdefghijk", "11 characters long; use at least 12"},
		{"twelve characters", "abcdefghijkl", ""},
		// Twelve characters in 24 bytes: the minimum counts characters, not bytes.
		{"twelve non-ASCII characters", "åäöåäöåäöåäö", ""},
		{"eleven non-ASCII characters in 22 bytes", "åäöåäöåäöåä", "11 characters"},
		{"256 bytes", strings.Repeat("x", 256), ""},
		{"257 bytes", strings.Repeat("x", 257), "257 bytes long; at most 256"},
		{"256 bytes of 128 characters", strings.Repeat("ö", 128), ""},
		{"258 bytes of 129 characters", strings.Repeat("ö", 129), "258 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := ValidatePassword(tt.pw)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ValidatePassword: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ValidatePassword error = %v, want one containing %q", err, tt.want)
			}
			if !errors.Is(err, lagesbild.ErrInvalid) {
				t.Errorf("error %v does not unwrap to ErrInvalid", err)
			}
			if tt.pw != "" && strings.Contains(err.Error(), tt.pw) {
				t.Error("error contains the password")
			}
		})
	}
}

func BenchmarkCheckPassword(b *testing.B) {
	h, err := HashPassword("korrekt häst batteri häftklammer")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CheckPassword(h, "fel lösenord, helt fel"); err != nil {
			b.Fatal(err)
		}
	}
}
