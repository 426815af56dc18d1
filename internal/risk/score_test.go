package risk

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

func TestDefaultWeights(t *testing.T) {
	w := DefaultWeights()
	var sum float64
	for _, v := range w {
		sum += v
	}
	if math.Abs(sum-1) > 1e-12 || len(w) != 5 {
		t.Errorf("weights %v sum to %g, want 5 weights summing to 1", w, sum)
	}
	w[ComponentTrend] = 9
	if DefaultWeights()[ComponentTrend] != 0.15 {
		t.Error("DefaultWeights shares its map between calls")
	}
}

func TestScore(t *testing.T) {
	// Default weights, by hand (tolerance 1e-12):
	//   all present: 0.35·0.9 + 0.20·0.5 + 0.20·1 + 0.15·0.25 + 0.10·0
	//              = 0.315 + 0.1 + 0.2 + 0.0375 + 0 = 0.6525
	//   hot spots missing: the other weights sum to 0.8, so
	//              (0.315 + 0.1 + 0.0375 + 0)/0.8 = 0.4525/0.8 = 0.565625
	full := map[string]float64{
		ComponentViolentRate: 0.9, ComponentPresenceGap: 0.5, ComponentHotSpots: 1,
		ComponentTrend: 0.25, ComponentChange: 0,
		"unweighted": 5, // not in the weights: ignored
	}
	missing := map[string]float64{
		ComponentViolentRate: 0.9, ComponentPresenceGap: 0.5, ComponentHotSpots: math.NaN(),
		ComponentTrend: 0.25, ComponentChange: 0,
	}
	cases := []struct {
		name       string
		components map[string]float64
		weights    map[string]float64
		total      float64
		contrib    map[string]float64
	}{
		{"all present", full, DefaultWeights(), 0.6525, map[string]float64{
			ComponentViolentRate: 0.315, ComponentPresenceGap: 0.1, ComponentHotSpots: 0.2,
			ComponentTrend: 0.0375, ComponentChange: 0,
		}},
		{"one missing", missing, DefaultWeights(), 0.565625, map[string]float64{
			ComponentViolentRate: 0.315 / 0.8, ComponentPresenceGap: 0.1 / 0.8,
			ComponentTrend: 0.0375 / 0.8, ComponentChange: 0,
		}},
		{"bad weights ignored", map[string]float64{"a": 1, "b": 0.5, "c": 0.2},
			map[string]float64{"a": 1, "b": -1, "c": math.NaN()}, 1, map[string]float64{"a": 1}},
		{"nothing to score", map[string]float64{}, DefaultWeights(), math.NaN(), map[string]float64{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			total, contrib := Score(c.components, c.weights)
			if !near(total, c.total, 1e-12) {
				t.Errorf("total %.15g, want %.15g", total, c.total)
			}
			if len(contrib) != len(c.contrib) {
				t.Fatalf("contributions %v, want %v", contrib, c.contrib)
			}
			for k, v := range c.contrib {
				if !near(contrib[k], v, 1e-12) {
					t.Errorf("%s: %.15g, want %.15g", k, contrib[k], v)
				}
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name   string
		values []float64
		method Normalization
		want   []float64
	}{
		{
			// Five values present: ranks 0..4 with the two 20s sharing (1+2)/2 = 1.5, over 4.
			name: "percent rank with tie and gap", method: PercentRank,
			values: []float64{10, 30, 20, 20, nan, 40},
			want:   []float64{0, 0.75, 0.375, 0.375, nan, 1},
		},
		{name: "percent rank of one", method: PercentRank, values: []float64{nan, 7}, want: []float64{nan, 0.5}},
		{
			// Mean 5, population sd √((9+1+1+1+0+0+4+16)/8) = √4 = 2.
			name: "z-score", method: ZScore,
			values: []float64{2, 4, 4, 4, 5, 5, 7, 9},
			want:   []float64{-1.5, -0.5, -0.5, -0.5, 0, 0, 1, 2},
		},
		{name: "z-score without spread", method: ZScore, values: []float64{3, 3, nan}, want: []float64{0, 0, nan}},
		{name: "empty", method: ZScore, values: nil, want: []float64{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Normalize(c.values, c.method)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i := range got {
				if !near(got[i], c.want[i], 1e-12) {
					t.Errorf("got %v, want %v", got, c.want)
					break
				}
			}
		})
	}
	for _, c := range []struct {
		name   string
		values []float64
		method Normalization
	}{
		{"infinite", []float64{1, math.Inf(1)}, PercentRank},
		{"unknown method", []float64{1, 2}, Normalization(7)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Normalize(c.values, c.method); !errors.Is(err, lagesbild.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestRank(t *testing.T) {
	in := []AreaScore{
		{ID: "b", Total: 0.5},
		{ID: "a", Total: 0.7},
		{ID: "a2", Total: 0.5},
		{ID: "z", Total: math.NaN()},
		{ID: "c", Total: 0.7},
	}
	got := Rank(in)
	type row struct {
		id   string
		rank int
	}
	var rows []row
	for _, a := range got {
		rows = append(rows, row{a.ID, a.Rank})
	}
	want := []row{{"a", 1}, {"c", 1}, {"a2", 3}, {"b", 3}, {"z", 0}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("got %v, want %v", rows, want)
	}
	if in[0].ID != "b" || in[0].Rank != 0 {
		t.Errorf("input changed: %+v", in[0])
	}
}

func TestPrioritise(t *testing.T) {
	// Percent ranks across three areas:
	//   violent_rate 1, 3, 2            → A 0,   B 1, C 0.5
	//   presence_gap −10, −30, −5 hours → A 0.5, B 0, C 1   (B has the most presence)
	// Equal weights: A 0.25, B 0.5, C 0.75, so C, B, A.
	got, err := Prioritise([]string{"A", "B", "C"},
		map[string][]float64{
			ComponentViolentRate: {1, 3, 2},
			ComponentPresenceGap: {-10, -30, -5},
		},
		map[string]float64{ComponentViolentRate: 0.5, ComponentPresenceGap: 0.5}, PercentRank)
	if err != nil {
		t.Fatal(err)
	}
	wantID := []string{"C", "B", "A"}
	wantTotal := []float64{0.75, 0.5, 0.25}
	for i, a := range got {
		if a.ID != wantID[i] || a.Rank != i+1 || !near(a.Total, wantTotal[i], 1e-12) {
			t.Errorf("%d: %s rank %d total %g, want %s %d %g", i, a.ID, a.Rank, a.Total, wantID[i], i+1, wantTotal[i])
		}
	}
	if _, err := Prioritise([]string{"A", "B"}, map[string][]float64{"x": {1}}, DefaultWeights(), PercentRank); !errors.Is(err, lagesbild.ErrInvalid) {
		t.Errorf("mismatched indicator: err = %v, want ErrInvalid", err)
	}
}

// TestScoreExtremeWeights: only the ratios of the weights count, so weights at the ends of the
// float64 range rank as their ratios do. Regression: weights of 1e308 summed to +Inf and gave
// every area a score of 0 and rank 1.
func TestScoreExtremeWeights(t *testing.T) {
	ids := []string{"a", "b", "c"}
	ind := map[string][]float64{"violent_rate": {1, 5, 9}, "trend": {3, 2, 1}}
	ref, err := Prioritise(ids, ind, map[string]float64{"violent_rate": 2, "trend": 1}, PercentRank)
	if err != nil {
		t.Fatal(err)
	}
	for _, scale := range []float64{5e307, math.MaxFloat64 / 2, 5e-301, 5e-324} {
		w := map[string]float64{"violent_rate": 2 * scale, "trend": scale}
		got, err := Prioritise(ids, ind, w, PercentRank)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ref {
			if got[i].ID != ref[i].ID || got[i].Rank != ref[i].Rank || math.Abs(got[i].Total-ref[i].Total) > 1e-12 {
				t.Errorf("weights %v: %s rank %d total %g, want %s rank %d total %g", w, got[i].ID, got[i].Rank, got[i].Total,
					ref[i].ID, ref[i].Rank, ref[i].Total)
			}
		}
	}
	if ref[0].Rank == ref[len(ref)-1].Rank {
		t.Fatalf("the reference ranking ties: %+v", ref)
	}
	// A negligible weight next to a huge one counts for nothing, and breaks nothing.
	total, contrib := Score(map[string]float64{"violent_rate": 0.5, "trend": 1}, map[string]float64{"violent_rate": 1e308, "trend": 1e-308})
	if math.Abs(total-0.5) > 1e-12 || math.IsNaN(contrib["trend"]) {
		t.Errorf("1e308 and 1e-308: total %g, contributions %v", total, contrib)
	}
}
