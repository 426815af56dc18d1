package auth

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestLimiterAllow(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	type attempt struct {
		key  string
		at   time.Duration // after t0
		want bool
	}
	tests := []struct {
		name      string
		perMinute int
		burst     int
		attempts  []attempt
	}{
		{
			name: "burst then refill", perMinute: 6, burst: 3,
			attempts: []attempt{
				{"ip|anna", 0, true}, {"ip|anna", 0, true}, {"ip|anna", 0, true},
				{"ip|anna", 0, false},
				{"ip|anna", 9 * time.Second, false},  // 6 a minute: one every 10 s
				{"ip|anna", 10 * time.Second, true},  // refilled one
				{"ip|anna", 11 * time.Second, false}, // and spent it
				{"ip|anna", 30 * time.Second, true},  // two more refilled by now
				{"ip|anna", 30 * time.Second, true},
				{"ip|anna", 30 * time.Second, false},
			},
		},
		{
			name: "keys are independent", perMinute: 1, burst: 1,
			attempts: []attempt{
				{"10.0.0.1|anna", 0, true},
				{"10.0.0.1|anna", 0, false},
				{"10.0.0.1|bertil", 0, true},
				{"10.0.0.2|anna", 0, true},
				{"10.0.0.1|anna", 59 * time.Second, false},
				{"10.0.0.1|anna", 60 * time.Second, true},
			},
		},
		{
			name: "denied attempts are not counted", perMinute: 60, burst: 1,
			attempts: []attempt{
				{"k", 0, true},
				{"k", 500 * time.Millisecond, false},
				{"k", 900 * time.Millisecond, false},
				{"k", time.Second, true},
			},
		},
		{
			name: "zero rate and burst taken as one", perMinute: 0, burst: 0,
			attempts: []attempt{
				{"k", 0, true},
				{"k", 0, false},
				{"k", time.Minute, true},
			},
		},
		{
			name: "clock going backwards gives nothing back", perMinute: 1, burst: 1,
			attempts: []attempt{
				{"k", time.Hour, true},
				{"k", 0, false},
				{"k", time.Hour, false},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := NewLimiter(tt.perMinute, tt.burst)
			for i, a := range tt.attempts {
				if got := l.Allow(a.key, t0.Add(a.at)); got != a.want {
					t.Errorf("attempt %d (%s at +%v) = %v, want %v", i, a.key, a.at, got, a.want)
				}
			}
		})
	}
}

func TestLimiterSweep(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)

	t.Run("idle and refilled keys are forgotten", func(t *testing.T) {
		t.Parallel()
		// One attempt a minute, bursts of 20, and every key spends 12 attempts: its bucket
		// is not full again 11 minutes later, so only idleness frees the old keys here.
		l := NewLimiter(1, 20)
		spend := func(key string, at time.Time) {
			for range 12 {
				l.Allow(key, at)
			}
		}
		for i := range limiterSweepKeys - 1 {
			spend(fmt.Sprintf("old|%d", i), t0)
		}
		spend("recent", t0.Add(5*time.Minute))
		if n := len(l.keys); n != limiterSweepKeys {
			t.Fatalf("%d keys before the sweep, want %d", n, limiterSweepKeys)
		}
		// Eleven minutes on, the old keys are idle and the next new key sweeps them.
		later := t0.Add(11 * time.Minute)
		if !l.Allow("new", later) {
			t.Fatal("new key denied")
		}
		if n := len(l.keys); n != 2 {
			t.Errorf("%d keys after the sweep, want 2 (recent, new)", n)
		}
		if _, ok := l.keys["recent"]; !ok {
			t.Error("a key seen 6 minutes ago with a partly spent bucket was forgotten")
		}
	})

	t.Run("keys with a full bucket are forgotten early", func(t *testing.T) {
		t.Parallel()
		// 60 a minute, bursts of 2: a spent token is back within a second, so a
		// forgotten key loses nothing.
		l := NewLimiter(60, 2)
		for i := range limiterSweepKeys {
			l.Allow(fmt.Sprintf("k|%d", i), t0)
		}
		l.Allow("new", t0.Add(2*time.Second))
		if n := len(l.keys); n != 1 {
			t.Errorf("%d keys after the sweep, want 1", n)
		}
	})

	t.Run("active keys are kept and sweeps are spaced out", func(t *testing.T) {
		t.Parallel()
		l := NewLimiter(1, 5)
		for i := range limiterSweepKeys + 1 {
			l.Allow(fmt.Sprintf("k|%d", i), t0)
		}
		if n := len(l.keys); n != limiterSweepKeys+1 {
			t.Fatalf("%d keys, want %d: active keys must not be forgotten", n, limiterSweepKeys+1)
		}
		if l.sweepAt != 2*limiterSweepKeys {
			t.Errorf("next sweep at %d keys, want %d", l.sweepAt, 2*limiterSweepKeys)
		}
		// A key that was denied stays denied: it was not forgotten.
		for range 4 {
			l.Allow("k|0", t0)
		}
		if l.Allow("k|0", t0) {
			t.Error("k|0 allowed a sixth attempt")
		}
	})

	t.Run("hard cap", func(t *testing.T) {
		t.Parallel()
		if testing.Short() {
			t.Skip("fills the limiter with 100 000 keys")
		}
		l := NewLimiter(1, 5)
		for i := range limiterMaxKeys + 10 {
			l.Allow(fmt.Sprintf("k|%d", i), t0)
			if n := len(l.keys); n > limiterMaxKeys {
				t.Fatalf("%d keys after %d attempts, cap is %d", n, i+1, limiterMaxKeys)
			}
		}
		if n := len(l.keys); n > limiterMaxKeys/2+11 {
			t.Errorf("%d keys after the capped sweep, want about %d", n, limiterMaxKeys/2)
		}
	})
}

func TestLimiterConcurrent(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	l := NewLimiter(1, 10)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
	)
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				ok := l.Allow("shared", t0)
				l.Allow(fmt.Sprintf("own|%d|%d", g, i), t0)
				if ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if allowed != 10 {
		t.Errorf("%d attempts allowed on the shared key, want the burst of 10", allowed)
	}
}

func BenchmarkLimiterAllow(b *testing.B) {
	l := NewLimiter(5, 10)
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("192.0.2.%d|user%d", i%256, i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l.Allow(keys[i%len(keys)], now)
		i++
	}
}

// TestLimiterTake: Take counts like Allow, and a given-back attempt does not count (the
// per-address login limit counts failed logins only).
func TestLimiterTake(t *testing.T) {
	l := NewLimiter(1, 3)
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		if _, ok := l.Take("10.0.0.1", now); !ok {
			t.Fatalf("attempt %d within the burst refused", i+1)
		}
	}
	if _, ok := l.Take("10.0.0.1", now); ok {
		t.Fatal("a fourth attempt in the same instant was allowed")
	}
	if _, ok := l.Take("10.0.0.2", now); !ok {
		t.Fatal("another address was refused")
	}
	// Successes given back: any number of them pass.
	for i := range 10 {
		back, ok := l.Take("10.0.0.3", now)
		if !ok {
			t.Fatalf("given-back attempt %d refused", i+1)
		}
		back()
	}
}
