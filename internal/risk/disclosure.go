package risk

import (
	"math"
	"strings"
)

// Disclosure thresholds. They follow the domain's rule that small counts (1–4) are never
// shown, and the common practice of Swedish official statistics of not publishing rates for
// very small denominators or numerators, where one event more or less moves the rate a lot
// and could point to a person.
const (
	// MinShownCount is the smallest positive count that may be shown.
	MinShownCount = 5
	// MinRateCount is the fewest events a rate, trend or ranking may be based on.
	MinRateCount = 10
	// MinRatePopulation is the fewest residents a rate may be based on.
	MinRatePopulation = 1000
)

// Reasons Withhold gives, in Swedish because they are shown to users as they are.
const (
	ReasonFewEvents    = "färre än 10 händelser"
	ReasonFewResidents = "färre än 1 000 invånare"
)

// SuppressCount applies the primary small-count rule: counts 1–4 are suppressed (shown is nil),
// 0 and counts of 5 or more are shown as they are. Zero is shown because "nothing happened"
// identifies no one and hiding it would make every empty cell look secret. A negative count is
// not a count; it is suppressed rather than shown, since this function has no way to fail.
func SuppressCount(n int) (shown *int, suppressed bool) {
	if n < 0 || (n > 0 && n < MinShownCount) {
		return nil, true
	}
	v := n
	return &v, false
}

// RoundPopulation rounds a population to the nearest 10, halves away from zero, as SCB's
// small-area tables are published; exact small populations together with counts can identify
// households.
func RoundPopulation(p int) int {
	r := p % 10 // in (−10, 10), with the sign of p
	down := p - r
	switch {
	case r >= 5 && down <= math.MaxInt-10:
		return down + 10
	case r <= -5 && down >= math.MinInt+10:
		return down - 10
	}
	return down
}

// Withhold reports whether a rate (or anything derived from it: a trend, a rank) must be
// withheld, with the reason to show in its place: fewer than 10 events or fewer than 1,000
// residents. When both apply, both reasons are given, separated by "; ".
func Withhold(n int, pop int) (reason string, withheld bool) {
	var reasons []string
	if n < MinRateCount {
		reasons = append(reasons, ReasonFewEvents)
	}
	if pop < MinRatePopulation {
		reasons = append(reasons, ReasonFewResidents)
	}
	return strings.Join(reasons, "; "), len(reasons) > 0
}

// Suppression says which cells of a table row (a total and its parts) to hide.
type Suppression struct {
	Total bool
	Parts []bool
}

// SuppressTable applies the primary rule (SuppressCount) to a total and its parts and then the
// secondary rule of SecondarySuppress.
func SuppressTable(total int, parts []int) (Suppression, error) {
	primary := make([]bool, len(parts))
	for i, n := range parts {
		_, primary[i] = SuppressCount(n)
	}
	sup, err := SecondarySuppress(total, parts, primary)
	if err != nil {
		return Suppression{}, err
	}
	_, totalSuppressed := SuppressCount(total)
	sup.Total = sup.Total || totalSuppressed
	return sup, nil
}

// SecondarySuppress protects suppressed parts from being recovered by subtraction. The parts
// must add up to the total, which is shown. If exactly one part is suppressed, anyone can
// compute it as the total minus the others, so the smallest other part that is not 0 is
// suppressed too (ties: the first); smallest, because it hides the least information. If
// every other part is 0 there is nothing to pair with and the total is suppressed instead.
// With two or more parts suppressed only their sum can be derived, which is accepted.
//
// suppressed holds the primary decisions (SuppressCount's, or the caller's own, e.g. for a
// sensitive group shown only in totals) and is not modified.
func SecondarySuppress(total int, parts []int, suppressed []bool) (Suppression, error) {
	const op = "secondary suppression"
	if len(parts) != len(suppressed) {
		return Suppression{}, invalid(op, "suppressed", "%d flags for %d parts", len(suppressed), len(parts))
	}
	if err := checkCount(op, "total", total); err != nil {
		return Suppression{}, err
	}
	sum := 0
	for _, n := range parts {
		if err := checkCount(op, "parts", n); err != nil {
			return Suppression{}, err
		}
		sum += n
	}
	if sum != total {
		return Suppression{}, invalid(op, "parts", "add up to %d, not to the total %d", sum, total)
	}

	out := Suppression{Parts: append([]bool(nil), suppressed...)}
	count := 0
	for _, s := range suppressed {
		if s {
			count++
		}
	}
	if count != 1 {
		return out, nil
	}
	pick := -1
	for i, n := range parts {
		if suppressed[i] || n == 0 {
			continue
		}
		if pick < 0 || n < parts[pick] {
			pick = i
		}
	}
	if pick < 0 {
		out.Total = true
		return out, nil
	}
	out.Parts[pick] = true
	return out, nil
}
