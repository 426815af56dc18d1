package lagesbild

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"
)

func TestResolvePeriod(t *testing.T) {
	d := func(s string) *time.Time {
		v, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	newest := func() (time.Time, error) { return *d("2026-10-31"), nil }
	for _, c := range []struct {
		name     string
		from, to *time.Time
		want     string // from/to/days, or "invalid"
	}{
		{"default", nil, nil, "2025-11-01/2026-10-31/365"},
		{"both", d("2025-03-01"), d("2025-03-31"), "2025-03-01/2025-03-31/31"},
		{"from alone", d("2024-03-01"), nil, "2024-03-01/2025-02-28/365"},
		{"to alone", nil, d("2024-02-29"), "2023-03-02/2024-02-29/365"},
		{"reversed", d("2025-03-02"), d("2025-03-01"), "invalid"},
		{"too long", d("2000-01-01"), d("2020-01-01"), "invalid"},
	} {
		p, err := ResolvePeriod(c.from, c.to, newest)
		got := "invalid"
		if err == nil {
			j := p.JSON()
			got = j.From + "/" + j.To + "/" + strconv.Itoa(j.Days)
		} else if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	if prev := (Period{From: *d("2025-03-01"), To: *d("2025-03-31")}).Previous(); prev.From != *d("2025-01-29") || prev.To != *d("2025-02-28") {
		t.Errorf("previous of March 2025: %v", prev)
	}
}

type newestStub struct {
	day time.Time
	ok  bool
	err error
}

func (n newestStub) NewestIncidentDay(context.Context) (time.Time, bool, error) { return n.day, n.ok, n.err }

// TestNewestOrToday: the newest incident day as a date, or today in Sweden without incidents
// (23:30 UTC on 31 December is already New Year's Day in Stockholm), and the store's error.
func TestNewestOrToday(t *testing.T) {
	now := func() time.Time { return time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC) }
	ctx := context.Background()
	if got, err := NewestOrToday(ctx, newestStub{day: time.Date(2025, 6, 3, 14, 0, 0, 0, time.UTC), ok: true}, now); err != nil ||
		!got.Equal(time.Date(2025, 6, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("with incidents: %v, %v", got, err)
	}
	if got, err := NewestOrToday(ctx, newestStub{}, now); err != nil || !got.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("without incidents: %v, %v", got, err)
	}
	boom := errors.New("boom")
	if _, err := NewestOrToday(ctx, newestStub{err: boom}, now); !errors.Is(err, boom) {
		t.Errorf("error: %v", err)
	}
}
