package auth

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

const (
	// limiterSweepKeys is the map size at which Allow first looks for keys to forget.
	limiterSweepKeys = 10_000
	// limiterIdle is how long a key may go unused before it may be forgotten.
	limiterIdle = 10 * time.Minute
	// limiterMaxKeys caps the map when even a sweep finds nothing to forget, i.e. when more
	// than that many keys were active in the last limiterIdle (an attack from many
	// addresses). Past it, arbitrary keys are forgotten: they get a fresh burst, which is
	// the lesser evil next to unbounded memory or refusing every new key.
	limiterMaxKeys = 100_000
)

// Limiter limits login attempts per key (the login form uses "ip|username", and "ip" for the
// failures of one address across names): a token bucket
// per key, refilled at perMinute and holding up to burst attempts. It is safe for
// concurrent use, and its memory is bounded: keys not seen for ten minutes, or whose
// bucket has refilled completely, are forgotten once it tracks more than 10 000 keys.
type Limiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	keys    map[string]*limiterEntry
	sweepAt int // len(keys) at which the next sweep runs
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time // latest now passed to Allow for this key
}

// NewLimiter returns a limiter allowing perMinute attempts a minute per key, after an
// initial burst of burst attempts. Values below 1 are taken as 1, so a misconfiguration
// cannot lock every user out for good.
func NewLimiter(perMinute int, burst int) *Limiter {
	return &Limiter{
		limit:   rate.Limit(float64(max(perMinute, 1)) / 60),
		burst:   max(burst, 1),
		keys:    make(map[string]*limiterEntry),
		sweepAt: limiterSweepKeys,
	}
}

// Allow reports whether one more attempt for key may go ahead at now, and counts it if so.
// A denied attempt is not counted, so a client that keeps trying at the limit gets through
// at the refill rate, no faster.
func (l *Limiter) Allow(key string, now time.Time) bool {
	return l.entry(key, now).AllowN(now, 1)
}

// Take counts one attempt for key at now when one is allowed, like Allow, and returns a func
// that gives the attempt back: the per-address login limit counts only failed attempts, and
// whether one fails is known only after the password check it must come before.
func (l *Limiter) Take(key string, now time.Time) (giveBack func(), ok bool) {
	r := l.entry(key, now).ReserveN(now, 1)
	if !r.OK() || r.DelayFrom(now) > 0 {
		r.CancelAt(now)
		return nil, false
	}
	return func() { r.CancelAt(now) }, true
}

// entry returns the bucket of key, creating it (and sweeping when the map is large).
func (l *Limiter) entry(key string, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.keys[key]
	if !ok {
		if len(l.keys) >= l.sweepAt {
			l.sweep(now)
		}
		e = &limiterEntry{lim: rate.NewLimiter(l.limit, l.burst)}
		l.keys[key] = e
	}
	if now.After(e.seen) {
		e.seen = now
	}
	return e.lim
}

// sweep forgets idle keys and keys whose bucket is full (a fresh bucket is the same), then
// moves the next sweep to twice the remaining size, so that the cost of sweeping stays
// constant per call even when little can be forgotten. l.mu must be held.
func (l *Limiter) sweep(now time.Time) {
	for k, e := range l.keys {
		if now.Sub(e.seen) > limiterIdle || e.lim.TokensAt(now) >= float64(l.burst) {
			delete(l.keys, k)
		}
	}
	if len(l.keys) >= limiterMaxKeys {
		// Map iteration order is unspecified, so this forgets arbitrary keys.
		for k := range l.keys {
			if len(l.keys) < limiterMaxKeys/2 {
				break
			}
			delete(l.keys, k)
		}
	}
	l.sweepAt = min(max(limiterSweepKeys, 2*len(l.keys)), limiterMaxKeys)
}
