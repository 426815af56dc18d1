package risk

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

func TestSuppressCount(t *testing.T) {
	cases := []struct {
		n          int
		shown      int
		suppressed bool
	}{
		{-1, 0, true}, // not a count: hidden rather than shown
		{0, 0, false},
		{1, 0, true},
		{4, 0, true},
		{5, 5, false},
		{1234, 1234, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.n), func(t *testing.T) {
			shown, suppressed := SuppressCount(c.n)
			if suppressed != c.suppressed {
				t.Fatalf("suppressed %v, want %v", suppressed, c.suppressed)
			}
			if suppressed && shown != nil {
				t.Errorf("shown %d for a suppressed count", *shown)
			}
			if !suppressed && (shown == nil || *shown != c.shown) {
				t.Errorf("shown %v, want %d", shown, c.shown)
			}
		})
	}
}

func TestRoundPopulation(t *testing.T) {
	cases := []struct{ p, want int }{
		{0, 0}, {4, 0}, {5, 10}, {14, 10}, {15, 20}, {1234, 1230}, {1235, 1240}, {99995, 100000},
		{-4, 0}, {-5, -10}, {-15, -20},
		// At the ends of int the nearest multiple of 10 may not exist; no overflow, no panic.
		{math.MaxInt, math.MaxInt - 7}, {math.MinInt, math.MinInt + 8},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.p), func(t *testing.T) {
			if got := RoundPopulation(c.p); got != c.want {
				t.Errorf("got %d, want %d", got, c.want)
			}
		})
	}
}

func TestWithhold(t *testing.T) {
	cases := []struct {
		n, pop   int
		reason   string
		withheld bool
	}{
		{10, 1000, "", false},
		{9, 5000, "färre än 10 händelser", true},
		{250, 999, "färre än 1 000 invånare", true},
		{3, 200, "färre än 10 händelser; färre än 1 000 invånare", true},
		{0, 0, "färre än 10 händelser; färre än 1 000 invånare", true},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d of %d", c.n, c.pop), func(t *testing.T) {
			reason, withheld := Withhold(c.n, c.pop)
			if reason != c.reason || withheld != c.withheld {
				t.Errorf("got %q %v, want %q %v", reason, withheld, c.reason, c.withheld)
			}
		})
	}
}

func TestSuppressTable(t *testing.T) {
	cases := []struct {
		name  string
		total int
		parts []int
		want  Suppression
	}{
		{
			// 3 is suppressed; 40 − 20 − 10 − 7 would reveal it, so the smallest other
			// part, 7, goes too.
			name: "one small part", total: 40, parts: []int{3, 20, 10, 7},
			want: Suppression{Parts: []bool{true, false, false, true}},
		},
		{
			// Two parts suppressed: only their sum, 5, can be derived.
			name: "two small parts", total: 40, parts: []int{3, 2, 35},
			want: Suppression{Parts: []bool{true, true, false}},
		},
		{
			// Zeros are shown and are no cover: the smallest non-zero other part is taken.
			name: "skips zeros", total: 33, parts: []int{3, 0, 0, 30},
			want: Suppression{Parts: []bool{true, false, false, true}},
		},
		{
			name: "ties take the first", total: 25, parts: []int{2, 6, 6, 11},
			want: Suppression{Parts: []bool{true, true, false, false}},
		},
		{
			// The total itself is 1–4: suppressed by the primary rule.
			name: "small total", total: 3, parts: []int{3, 0, 0},
			want: Suppression{Total: true, Parts: []bool{true, false, false}},
		},
		{
			name: "nothing small", total: 30, parts: []int{10, 20, 0},
			want: Suppression{Parts: []bool{false, false, false}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := SuppressTable(c.total, c.parts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestSecondarySuppress(t *testing.T) {
	t.Run("caller's primary flag", func(t *testing.T) {
		// A sensitive group of 6 is hidden by the caller although 6 may be shown; the zero
		// part is no cover, so 12 is suppressed as well. The input flags stay as they were.
		flags := []bool{true, false, false}
		got, err := SecondarySuppress(18, []int{6, 0, 12}, flags)
		if err != nil {
			t.Fatal(err)
		}
		if want := (Suppression{Parts: []bool{true, false, true}}); !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
		if !reflect.DeepEqual(flags, []bool{true, false, false}) {
			t.Errorf("input flags changed to %v", flags)
		}
	})
	t.Run("only zeros left", func(t *testing.T) {
		// 5 = total − 0 − 0: nothing can be paired with it, so the total is hidden.
		got, err := SecondarySuppress(5, []int{5, 0, 0}, []bool{true, false, false})
		if err != nil {
			t.Fatal(err)
		}
		if want := (Suppression{Total: true, Parts: []bool{true, false, false}}); !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
	for _, c := range []struct {
		name  string
		total int
		parts []int
		flags []bool
	}{
		{"mismatched lengths", 10, []int{5, 5}, []bool{true}},
		{"parts do not add up", 11, []int{5, 5}, []bool{true, false}},
		{"negative part", 0, []int{5, -5}, []bool{true, false}},
		{"negative total", -1, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := SecondarySuppress(c.total, c.parts, c.flags); !errors.Is(err, lagesbild.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}
