package risk

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Components of the prioritisation score. Each is an indicator computed per area for the whole
// list and then normalised across it; a higher value always means more reason to prioritise.
const (
	// ComponentViolentRate is the empirical Bayes smoothed rate (EmpiricalBayes) of the violent
	// groups (skjutning, sprangning, grovt_vald, misshandel_hot, ran) per 1,000 residents.
	ComponentViolentRate = "violent_rate"
	// ComponentHotSpots is the share of the area's cells that are hot spots at 95 % or more
	// (GiStar over the kommun grid).
	ComponentHotSpots = "hotspot_share"
	// ComponentTrend is the Mann-Kendall Z of the violent groups' monthly counts (MannKendall).
	ComponentTrend = "trend"
	// ComponentChange is the change against the previous period, as Change.LogRatio.
	ComponentChange = "change"
	// ComponentPresenceGap is the agency presence hours per 1,000 residents, negated: less
	// presence, higher value. Negating rather than inverting keeps areas with no recorded
	// presence finite and gives the same percentile ranks as 1/hours.
	ComponentPresenceGap = "presence_gap"
)

// DefaultWeights returns the weights of the joint prioritisation model (a new map each call, so
// callers may change it). They sum to 1:
//
//   - violent_rate 0.35: serious violence is the core of the police's definition of an utsatt
//     område and, smoothed, the most reliable of the signals;
//   - presence_gap 0.20: residents have the right to the same agency presence as elsewhere,
//     which is what the joint work is to follow up;
//   - hotspot_share 0.20: concentration in a few streets calls for other measures than a
//     diffuse level;
//   - trend 0.15: the direction over the months, robust to single events;
//   - change 0.10: the latest period against the one before, noisy for small counts and
//     partly repeated by the trend, so it weighs least.
func DefaultWeights() map[string]float64 {
	return map[string]float64{
		ComponentViolentRate: 0.35,
		ComponentPresenceGap: 0.20,
		ComponentHotSpots:    0.20,
		ComponentTrend:       0.15,
		ComponentChange:      0.10,
	}
}

// Normalization is how Normalize puts indicators on one scale.
type Normalization int

const (
	// PercentRank maps each value to its rank among the areas, scaled to 0 (lowest) – 1
	// (highest), with ties sharing their average rank. It is the default: bounded, so one
	// extreme area cannot dominate the score, and readable ("higher than 80 % of the list").
	PercentRank Normalization = iota
	// ZScore maps each value to (x − mean)/sd, the population standard deviation of the list.
	// It keeps the distances between areas, extreme ones included.
	ZScore
)

// Normalize puts one indicator's values for the areas of a list on a common scale. NaN marks a
// missing value: it stays NaN and is left out of the ranks, mean and standard deviation. With a
// single value, PercentRank gives 0.5; with no spread, ZScore gives 0.
func Normalize(values []float64, method Normalization) ([]float64, error) {
	const op = "normalize"
	if method != PercentRank && method != ZScore {
		return nil, invalid(op, "method", "unknown normalization %d", method)
	}
	out := make([]float64, len(values))
	var present []int
	for i, v := range values {
		if math.IsInf(v, 0) {
			return nil, invalid(op, "values", "value %d is infinite", i)
		}
		out[i] = math.NaN()
		if !math.IsNaN(v) {
			present = append(present, i)
		}
	}
	k := len(present)
	if k == 0 {
		return out, nil
	}
	switch method {
	case PercentRank:
		if k == 1 {
			out[present[0]] = 0.5
			return out, nil
		}
		slices.SortStableFunc(present, func(a, b int) int { return cmp.Compare(values[a], values[b]) })
		for i := 0; i < k; {
			j := i + 1
			for j < k && values[present[j]] == values[present[i]] {
				j++
			}
			// Ranks i..j−1 (0-based) are tied; their average is (i+j−1)/2.
			r := float64(i+j-1) / 2 / float64(k-1)
			for _, idx := range present[i:j] {
				out[idx] = r
			}
			i = j
		}
	case ZScore:
		var sum float64
		for _, i := range present {
			sum += values[i]
		}
		mean := sum / float64(k)
		var ss float64
		for _, i := range present {
			d := values[i] - mean
			ss += d * d
		}
		sd := math.Sqrt(ss / float64(k))
		for _, i := range present {
			out[i] = 0
			if sd > 0 {
				out[i] = (values[i] - mean) / sd
			}
		}
	}
	return out, nil
}

// Score combines normalised components into one score: the weighted mean of the components
// that are present, Σ wₖcₖ / Σ wₖ over them. contributions[k] = wₖcₖ / Σ wₖ, so the
// contributions add up to the total and show exactly why an area scores as it does.
//
// Components without a positive, finite weight, and NaN components (missing data), are left
// out and the remaining weights rescaled, so an area lacking one indicator is scored on the
// others rather than as if it were the lowest; its contributions show which were used. With
// nothing left the total is NaN: such an area has no score, and Rank puts it last.
//
// Only the ratios of the weights matter, so they are first divided by the largest: weights of
// 1e308 would otherwise sum to +Inf and every total would be 0, and tiny ones would underflow.
func Score(components map[string]float64, weights map[string]float64) (total float64, contributions map[string]float64) {
	contributions = make(map[string]float64)
	usable := func(k string, w float64) (float64, bool) {
		c, ok := components[k]
		return c, ok && !math.IsNaN(c) && !math.IsInf(c, 0) && w > 0 && !math.IsInf(w, 0)
	}
	var maxW float64
	for k, w := range weights {
		if _, ok := usable(k, w); ok {
			maxW = max(maxW, w)
		}
	}
	var sumW float64
	for k, w := range weights {
		c, ok := usable(k, w)
		if !ok {
			continue
		}
		w /= maxW // in (0, 1], so the sum stays finite
		sumW += w
		contributions[k] = w * c
	}
	if sumW == 0 {
		return math.NaN(), contributions
	}
	// Sum in key order so the total does not depend on map iteration order.
	keys := make([]string, 0, len(contributions))
	for k := range contributions {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		contributions[k] /= sumW
		total += contributions[k]
	}
	return total, contributions
}

// AreaScore is one area's place in the prioritisation.
type AreaScore struct {
	ID            string             // area id, e.g. SPECIALOMRADES_ID
	Components    map[string]float64 // normalised components
	Total         float64            // Score's total; NaN when the area has no components
	Contributions map[string]float64 // Score's contributions
	// Rank is 1 for the highest total; equal totals share a rank (1, 2, 2, 4) and an area
	// without a score has rank 0.
	Rank int
}

// Rank returns the areas sorted by total, highest first, with equal totals in order of ID so
// the list is the same on every run, and sets their Rank. Areas with a NaN total come last.
// The input slice is not reordered; the maps are shared with it.
func Rank(areas []AreaScore) []AreaScore {
	out := slices.Clone(areas)
	slices.SortStableFunc(out, func(a, b AreaScore) int {
		an, bn := math.IsNaN(a.Total), math.IsNaN(b.Total)
		switch {
		case an && !bn:
			return 1
		case bn && !an:
			return -1
		case !an && a.Total != b.Total:
			return cmp.Compare(b.Total, a.Total)
		}
		return strings.Compare(a.ID, b.ID)
	})
	for i := range out {
		switch {
		case math.IsNaN(out[i].Total):
			out[i].Rank = 0
		case i > 0 && out[i].Total == out[i-1].Total:
			out[i].Rank = out[i-1].Rank
		default:
			out[i].Rank = i + 1
		}
	}
	return out
}

// Prioritise runs the whole model on one list of areas: it normalises each indicator across
// the areas with method, scores every area with weights and ranks them. indicators maps a
// component key to the raw values, one per area in the order of ids (NaN for missing).
// Rankings are analyst tools for choosing where to focus; they are not to be published.
func Prioritise(ids []string, indicators map[string][]float64, weights map[string]float64, method Normalization) ([]AreaScore, error) {
	const op = "prioritise"
	areas := make([]AreaScore, len(ids))
	for i, id := range ids {
		areas[i] = AreaScore{ID: id, Components: make(map[string]float64, len(indicators))}
	}
	for key, values := range indicators {
		if len(values) != len(ids) {
			return nil, invalid(op, "indicators["+key+"]", "%d values for %d areas", len(values), len(ids))
		}
		norm, err := Normalize(values, method)
		if err != nil {
			return nil, err
		}
		for i, v := range norm {
			areas[i].Components[key] = v
		}
	}
	for i := range areas {
		areas[i].Total, areas[i].Contributions = Score(areas[i].Components, weights)
	}
	return Rank(areas), nil
}
