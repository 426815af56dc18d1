package risk

import "math"

// EmergingCategory is the pattern Emerging Hot Spot Analysis gives a location.
type EmergingCategory string

// The categories of ArcGIS's Emerging Hot Spot Analysis, with their cold-spot counterparts.
const (
	NoPattern        EmergingCategory = "no_pattern"
	NewHotSpot       EmergingCategory = "new_hot_spot"
	ConsecutiveHot   EmergingCategory = "consecutive_hot_spot"
	IntensifyingHot  EmergingCategory = "intensifying_hot_spot"
	PersistentHot    EmergingCategory = "persistent_hot_spot"
	DiminishingHot   EmergingCategory = "diminishing_hot_spot"
	SporadicHot      EmergingCategory = "sporadic_hot_spot"
	OscillatingHot   EmergingCategory = "oscillating_hot_spot"
	HistoricalHot    EmergingCategory = "historical_hot_spot"
	NewColdSpot      EmergingCategory = "new_cold_spot"
	ConsecutiveCold  EmergingCategory = "consecutive_cold_spot"
	IntensifyingCold EmergingCategory = "intensifying_cold_spot"
	PersistentCold   EmergingCategory = "persistent_cold_spot"
	DiminishingCold  EmergingCategory = "diminishing_cold_spot"
	SporadicCold     EmergingCategory = "sporadic_cold_spot"
	OscillatingCold  EmergingCategory = "oscillating_cold_spot"
	HistoricalCold   EmergingCategory = "historical_cold_spot"
)

// EmergingCategories lists every category, no pattern first, then the hot and the cold ones in
// ArcGIS's order.
var EmergingCategories = []EmergingCategory{NoPattern,
	NewHotSpot, ConsecutiveHot, IntensifyingHot, PersistentHot, DiminishingHot, SporadicHot, OscillatingHot, HistoricalHot,
	NewColdSpot, ConsecutiveCold, IntensifyingCold, PersistentCold, DiminishingCold, SporadicCold, OscillatingCold, HistoricalCold}

// Hot reports whether c is one of the hot-spot categories.
func (c EmergingCategory) Hot() bool {
	switch c {
	case NewHotSpot, ConsecutiveHot, IntensifyingHot, PersistentHot, DiminishingHot, SporadicHot, OscillatingHot, HistoricalHot:
		return true
	}
	return false
}

// EmergingTrendP is the significance level of the Mann-Kendall test on a location's z-scores
// that separates intensifying and diminishing from persistent spots.
const EmergingTrendP = 0.05

// emergingShare is ArcGIS's "90 percent of the time-step intervals".
const emergingShare = 0.9

// Emerging is the emerging hot-spot result of one location.
type Emerging struct {
	Category EmergingCategory
	// HotSteps and ColdSteps count the time steps in which the location was a significant hot
	// or cold spot (Gi* with Benjamini–Hochberg at 90 %, HotSpot.Hot and HotSpot.Cold).
	HotSteps, ColdSteps int
	// Trend is the Mann-Kendall test on the location's series of Gi* z-scores.
	Trend Trend
	// FinalZ is the Gi* z-score of the last time step.
	FinalZ float64
}

// ClassifyEmerging gives one location's category from its Gi* results per time step (oldest
// first) and the Mann-Kendall test of its z-scores, after the definitions of ArcGIS Pro's
// "How Emerging Hot Spot Analysis works". With n steps, h of them significant hot spots
// (confidence ≥ 90 %):
//
//   - new: the last step is hot and no earlier step was significant (hot or cold);
//   - consecutive: the last steps form one uninterrupted run of at least two hot steps, no step
//     before the run was significant, and h < 90 % of n;
//   - intensifying: h ≥ 90 % of n, the last step is hot, and the z-scores increase
//     significantly (Mann-Kendall p < EmergingTrendP, Z > 0);
//   - persistent: h ≥ 90 % of n, the last step is hot, and no significant trend;
//   - diminishing: h ≥ 90 % of n, the last step is hot, and the z-scores decrease
//     significantly;
//   - sporadic: the last step is hot, h < 90 % of n, some earlier step was hot too (on and
//     off), and no step was a significant cold spot;
//   - oscillating: the last step is hot, h < 90 % of n, and some earlier step was a
//     significant cold spot;
//   - historical: the last step is not hot, but h ≥ 90 % of n;
//
// and the same with hot and cold exchanged (for cold spots a decreasing z — ever colder — is
// intensifying). A location matching none of these has no pattern. ArcGIS's text leaves open
// whether persistent requires the last step to be hot; since "historical" is defined as "at
// least 90 % hot but the most recent step not", persistent (like intensifying and diminishing)
// is taken to require it, which makes the categories disjoint. Likewise a location that was a
// cold spot and is now a hot spot for the first time fits both "new" and "oscillating"; as in
// sfdep's classify_hotspot (a reimplementation of ArcGIS's rules), new and consecutive require
// no earlier significant step of either sign, so it is oscillating. The tests are checked in
// the order listed, so the first that matches wins.
//
// bins and trend come from the caller (EmergingHotSpots computes both); bins must not be empty.
func ClassifyEmerging(bins []HotSpot, trend Trend) (Emerging, error) {
	n := len(bins)
	if n == 0 {
		return Emerging{}, invalid("emerging hot spots", "bins", "need at least one time step")
	}
	e := Emerging{Trend: trend, FinalZ: bins[n-1].Z, Category: NoPattern}
	for _, b := range bins {
		if b.Hot {
			e.HotSteps++
		}
		if b.Cold {
			e.ColdSteps++
		}
	}
	hot := func(b HotSpot) bool { return b.Hot }
	cold := func(b HotSpot) bool { return b.Cold }
	if c := classifySide(bins, trend, hot, cold, e.HotSteps, 1); c != "" {
		e.Category = hotCategory[c]
	} else if c := classifySide(bins, trend, cold, hot, e.ColdSteps, -1); c != "" {
		e.Category = coldCategory[c]
	}
	return e, nil
}

var hotCategory = map[string]EmergingCategory{"new": NewHotSpot, "consecutive": ConsecutiveHot,
	"intensifying": IntensifyingHot, "persistent": PersistentHot, "diminishing": DiminishingHot,
	"sporadic": SporadicHot, "oscillating": OscillatingHot, "historical": HistoricalHot}

var coldCategory = map[string]EmergingCategory{"new": NewColdSpot, "consecutive": ConsecutiveCold,
	"intensifying": IntensifyingCold, "persistent": PersistentCold, "diminishing": DiminishingCold,
	"sporadic": SporadicCold, "oscillating": OscillatingCold, "historical": HistoricalCold}

// classifySide applies the definitions for one side: sig marks the side's significant steps
// (hot for hot spots), opposite the other side's; count is the number of sig steps; sign is +1
// for hot spots (intensifying = increasing z) and −1 for cold ones. It returns "" for none.
func classifySide(bins []HotSpot, trend Trend, sig, opposite func(HotSpot) bool, count int, sign float64) string {
	n := len(bins)
	last := sig(bins[n-1])
	mostly := float64(count) >= emergingShare*float64(n)
	significant := trend.P < EmergingTrendP
	if !last {
		if mostly {
			return "historical"
		}
		return ""
	}
	run := 0
	for i := n - 1; i >= 0 && sig(bins[i]); i-- {
		run++
	}
	before := count - run // significant steps before the final run
	oppositeBefore := false
	for _, b := range bins[:n-1] {
		oppositeBefore = oppositeBefore || opposite(b)
	}
	switch {
	case count == 1 && !oppositeBefore:
		return "new"
	case run >= 2 && before == 0 && !oppositeBefore && !mostly:
		return "consecutive"
	case mostly && significant && sign*trend.Z > 0:
		return "intensifying"
	case mostly && !significant:
		return "persistent"
	case mostly && significant && sign*trend.Z < 0:
		return "diminishing"
	case mostly:
		return "persistent" // a significant trend with Z = 0 cannot occur; kept total
	}
	if oppositeBefore {
		return "oscillating"
	}
	return "sporadic"
}

// EmergingHotSpots runs Emerging Hot Spot Analysis on a grid over time: values[t][i] is the
// count of cell i in time step t (oldest first; every step has the same cells), neighbours[i]
// cell i's neighbours as for GiStar. Gi* is computed for every step on the whole grid (with
// Benjamini–Hochberg over the cells of that step), then each cell's series of z-scores is
// tested with Mann-Kendall and classified by ClassifyEmerging.
//
// The neighbourhood is spatial only: each step's Gi* uses that step's counts, where ArcGIS
// by default also adds the previous step of the neighbours (a "neighbourhood time step" of 1).
// The series needs MinTrendPoints to MaxTrendPoints steps (ArcGIS asks for at least 10).
func EmergingHotSpots(values [][]float64, neighbours [][]int) ([]Emerging, error) {
	const op = "emerging hot spots"
	steps := len(values)
	if steps < MinTrendPoints || steps > MaxTrendPoints {
		return nil, invalid(op, "values", "has %d time steps, want %d to %d", steps, MinTrendPoints, MaxTrendPoints)
	}
	n := len(neighbours)
	bins := make([][]HotSpot, steps)
	for t, xs := range values {
		if len(xs) != n {
			return nil, invalid(op, "values", "time step %d has %d cells, want %d", t, len(xs), n)
		}
		hs, err := GiStar(xs, neighbours)
		if err != nil {
			return nil, err
		}
		bins[t] = hs
	}
	out := make([]Emerging, n)
	series := make([]float64, steps)
	cell := make([]HotSpot, steps)
	for i := range n {
		for t := range steps {
			cell[t] = bins[t][i]
			series[t] = bins[t][i].Z
		}
		tr, err := MannKendall(series)
		if err != nil {
			return nil, err
		}
		if math.IsNaN(tr.Z) {
			tr.Z, tr.P = 0, 1
		}
		if out[i], err = ClassifyEmerging(cell, tr); err != nil {
			return nil, err
		}
	}
	return out, nil
}
