package auth

import (
	"errors"
	"fmt"
	"runtime"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Password length limits that ValidatePassword enforces.
const (
	// MinPasswordChars is the shortest password accepted, in characters (not bytes), so
	// that a passphrase in Swedish is not penalised for its å, ä and ö.
	MinPasswordChars = 12
	// MaxPasswordBytes is the longest password accepted, in bytes: long enough for any
	// passphrase or password manager, short enough that a login form cannot be used to
	// push megabytes through the hash.
	MaxPasswordBytes = 256
)

// passwordParams are the argon2id parameters of new hashes.
//
// RFC 9106 section 4 recommends t=1, p=4, m=2 GiB first and, where that much memory is not
// available, t=3, p=4, m=64 MiB second. The service runs on two-core machines that also hold
// the database, and every login (and every DummyCheck) pays the full cost, so we keep the
// second option's 64 MiB — memory is what makes GPU and ASIC guessing expensive — but make a
// single pass (t=1) on two lanes (p=2, one per core). That is about 50 ms per check on the
// target machine, still above OWASP's argon2id minimum (m=46 MiB, t=1, p=1), and keeps the
// test suite fast. The parameters are stored in every hash, so raising them later leaves old
// hashes checkable; note that p is part of the result, not only a speed setting.
var passwordParams = &argon2id.Params{
	Memory:      64 * 1024, // KiB
	Iterations:  1,
	Parallelism: 2,
	SaltLength:  16, // bytes
	KeyLength:   32, // bytes
}

// Limits on the parameters read back from a stored hash. The library trusts them as they
// stand, so a corrupted or hostile row could otherwise ask for gigabytes of memory, or for
// zero passes, which makes golang.org/x/crypto/argon2 panic.
const (
	maxHashMemoryKiB  = 1 << 20 // 1 GiB
	maxHashIterations = 16
	maxHashLanes      = 16
	minHashKeyBytes   = 16
	maxHashKeyBytes   = 64
	minHashSaltBytes  = 8
)

// hashSlots bounds how many argon2id computations run at once. Each holds 64 MiB for its
// whole run, and a burst of logins (or of login attempts for unknown users) would otherwise
// allocate that much per request while the CPU, the real limit, serves only a few of them.
// One computation already runs passwordParams.Parallelism lanes on as many cores, so there is
// one slot per that many cores: on the two-core machine one, which keeps a login's 64 MiB
// from doubling the server's peak memory (the load test's RSS rose to 301–304 MB when two
// logins overlapped, against the 300 MB of issue 13) without serving fewer logins per second.
var hashSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/int(passwordParams.Parallelism)))

// dummyHash is a hash made once with passwordParams from a password no user has; DummyCheck
// checks against it. A test keeps its parameters equal to passwordParams.
const dummyHash = "$argon2id$v=19$m=65536,t=1,p=2$4kJ+tWHt9TFAmVocg1PYUQ$WUKncsnBhmsDhngKAr8vSBbLqsLIcNLDdxhVmC861xo"

// HashPassword returns the argon2id hash of pw in the PHC string form
// ("$argon2id$v=19$m=65536,t=1,p=2$salt$key"), with a fresh random salt. It does not apply
// the password policy: call ValidatePassword first where a person chooses the password.
func HashPassword(pw string) (string, error) {
	if pw == "" {
		return "", lagesbild.Invalid("password", "is empty")
	}
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	h, err := argon2id.CreateHash(pw, passwordParams)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return h, nil
}

// CheckPassword reports whether pw matches hash, comparing in constant time. The error is
// for a hash that cannot be used (malformed, another argon2 variant or version, parameters
// out of range), never for a wrong password.
func CheckPassword(hash, pw string) (bool, error) {
	p, _, _, err := argon2id.DecodeHash(hash)
	if err != nil {
		return false, fmt.Errorf("auth: password hash: %w", err)
	}
	if err := checkHashParams(p); err != nil {
		return false, err
	}
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	ok, err := argon2id.ComparePasswordAndHash(pw, hash)
	if err != nil {
		return false, fmt.Errorf("auth: password hash: %w", err)
	}
	return ok, nil
}

func checkHashParams(p *argon2id.Params) error {
	switch {
	case p.Memory == 0 || p.Memory > maxHashMemoryKiB,
		p.Iterations == 0 || p.Iterations > maxHashIterations,
		p.Parallelism == 0 || p.Parallelism > maxHashLanes:
		return fmt.Errorf("auth: password hash: parameters out of range (m=%d KiB, t=%d, p=%d)",
			p.Memory, p.Iterations, p.Parallelism)
	case p.KeyLength < minHashKeyBytes || p.KeyLength > maxHashKeyBytes:
		return fmt.Errorf("auth: password hash: key of %d bytes (want %d to %d)",
			p.KeyLength, minHashKeyBytes, maxHashKeyBytes)
	case p.SaltLength < minHashSaltBytes:
		return fmt.Errorf("auth: password hash: salt of %d bytes (want at least %d)",
			p.SaltLength, minHashSaltBytes)
	}
	return nil
}

// errDummyMatched cannot happen unless dummyHash is replaced by the hash of dummyPassword.
var errDummyMatched = errors.New("auth: dummy password matched the dummy hash")

// dummyPassword differs from the password dummyHash was made from.
const dummyPassword = "not the dummy password"

// DummyCheck costs what a CheckPassword of a real user costs, and does nothing else. Call it
// when a login names a user that does not exist (or has no password), so that the response
// takes as long as for a wrong password and timing does not tell which user names exist.
func DummyCheck() {
	// The result is meaningless by design; the error cannot occur with the fixed hash, and a
	// test asserts as much.
	_ = dummyCheck()
}

func dummyCheck() error {
	ok, err := CheckPassword(dummyHash, dummyPassword)
	if err != nil {
		return err
	}
	if ok {
		return errDummyMatched
	}
	return nil
}

// ValidatePassword applies the password policy to a password a person has chosen: at least
// MinPasswordChars characters and at most MaxPasswordBytes bytes. The error names the
// problem and unwraps to lagesbild.ErrInvalid; it never contains the password.
func ValidatePassword(pw string) error {
	if len(pw) > MaxPasswordBytes {
		return lagesbild.Invalid("password", "is %d bytes long; at most %d bytes are allowed",
			len(pw), MaxPasswordBytes)
	}
	if n := utf8.RuneCountInString(pw); n < MinPasswordChars {
		return lagesbild.Invalid("password", "is %d characters long; use at least %d",
			n, MinPasswordChars)
	}
	return nil
}
