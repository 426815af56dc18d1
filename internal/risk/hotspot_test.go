package risk

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// chain returns path-graph neighbours: cell i touches i−1 and i+1.
func chain(n int) [][]int {
	nb := make([][]int, n)
	for i := range n {
		if i > 0 {
			nb[i] = append(nb[i], i-1)
		}
		if i < n-1 {
			nb[i] = append(nb[i], i+1)
		}
	}
	return nb
}

// queenGrid returns the neighbours of a rows×cols lattice where a cell touches the up to
// eight cells around it, the square-grid analogue of an H3 ring 1. Cell (r, c) is r·cols+c.
func queenGrid(rows, cols int) [][]int {
	nb := make([][]int, rows*cols)
	for r := range rows {
		for c := range cols {
			for dr := -1; dr <= 1; dr++ {
				for dc := -1; dc <= 1; dc++ {
					rr, cc := r+dr, c+dc
					if (dr != 0 || dc != 0) && rr >= 0 && rr < rows && cc >= 0 && cc < cols {
						nb[r*cols+c] = append(nb[r*cols+c], rr*cols+cc)
					}
				}
			}
		}
	}
	return nb
}

func TestGiStarChain(t *testing.T) {
	// Five cells in a row, x = 1 1 1 4 3, by hand:
	//   n = 5, X̄ = 10/5 = 2, S² = Σx²/n − X̄² = 28/5 − 4 = 1.6
	//   an end cell has W = 2, a middle cell W = 3; either way W(n−W)/(n−1) = 6/4 = 1.5,
	//   so every denominator is √1.6·√1.5 = √2.4 = 1.549193
	//   cell 0: {0,1}   Σwx = 2, 2 − 2·2 = −2 → z = −2/√2.4 = −1.290994
	//   cell 1: {0,1,2} Σwx = 3, 3 − 2·3 = −3 → z = −3/√2.4 = −1.936492
	//   cell 2: {1,2,3} Σwx = 6, 6 − 2·3 =  0 → z = 0
	//   cell 3: {2,3,4} Σwx = 8, 8 − 2·3 =  2 → z =  2/√2.4 =  1.290994
	//   cell 4: {3,4}   Σwx = 7, 7 − 2·2 =  3 → z =  3/√2.4 =  1.936492
	// p = erfc(|z|/√2): 0.196706, 0.052808, 1, 0.196706, 0.052808.
	// BH (m = 5): the two 0.052808 get 0.052808·5/2 = 0.13202, the two 0.196706 get
	// 0.196706·5/4 = 0.245882, and p = 1 stays 1: nothing is significant even at 90 %.
	// Tolerance 1e-12 on z, 1e-9 relative on p.
	got, err := GiStar([]float64{1, 1, 1, 4, 3}, chain(5))
	if err != nil {
		t.Fatal(err)
	}
	r := math.Sqrt(2.4)
	wantZ := []float64{-2 / r, -3 / r, 0, 2 / r, 3 / r}
	wantP := []float64{0.19670560245894686, 0.05280751141611362, 1, 0.19670560245894686, 0.05280751141611362}
	wantAdj := []float64{0.19670560245894686 * 5 / 4, 0.05280751141611362 * 5 / 2, 1, 0.19670560245894686 * 5 / 4, 0.05280751141611362 * 5 / 2}
	for i, h := range got {
		if math.Abs(h.Z-wantZ[i]) > 1e-12 || !near(h.P, wantP[i], 1e-9) || !near(h.PAdjusted, wantAdj[i], 1e-9) {
			t.Errorf("cell %d: z %.9g p %.9g adj %.9g, want %.9g %.9g %.9g", i, h.Z, h.P, h.PAdjusted, wantZ[i], wantP[i], wantAdj[i])
		}
		if h.Confidence != 0 || h.Hot || h.Cold {
			t.Errorf("cell %d: %+v, want not significant", i, h)
		}
	}
}

func TestGiStarCluster(t *testing.T) {
	// A 9×9 queen lattice of 1s with a 3×3 block of 10s in the middle (rows and columns 3–5):
	//   n = 81, Σx = 9·10 + 72·1 = 162, X̄ = 2, Σx² = 900 + 72 = 972, S² = 972/81 − 4 = 8
	//   centre (4,4): W = 9, Σwx = 90, 90 − 2·9 = 72,
	//     denominator √8·√((81·9 − 81)/80) = √(8·8.1) = √64.8, z = 72/√64.8 = 8.944272 (4√5)
	//   corner (0,0): W = 4, Σwx = 4, 4 − 2·4 = −4,
	//     denominator √8·√((81·4 − 16)/80) = √(8·3.85) = √30.8, z = −4/√30.8 = −0.720750
	//   edge of the block (3,4): W = 9, Σwx = 6·10 + 3·1 = 63, 63 − 18 = 45, z = 45/√64.8 = 5.590170
	//   next to the block (2,4): W = 9, Σwx = 3·10 + 6 = 36, 36 − 18 = 18, z = 18/√64.8 = 2.236068
	// The centre's p (about 4·10⁻¹⁹) survives BH at 99 %: hot. With the values negated every
	// z changes sign and the block becomes a cold spot. Tolerance 1e-12 on z.
	const rows, cols = 9, 9
	values := make([]float64, rows*cols)
	for i := range values {
		values[i] = 1
	}
	for r := 3; r <= 5; r++ {
		for c := 3; c <= 5; c++ {
			values[r*cols+c] = 10
		}
	}
	nb := queenGrid(rows, cols)
	cases := []struct {
		name string
		cell int
		z    float64
	}{
		{"centre", 4*cols + 4, 72 / math.Sqrt(64.8)},
		{"corner", 0, -4 / math.Sqrt(30.8)},
		{"block edge", 3*cols + 4, 45 / math.Sqrt(64.8)},
		{"next to block", 2*cols + 4, 18 / math.Sqrt(64.8)},
	}
	for _, sign := range []float64{1, -1} {
		v := make([]float64, len(values))
		for i := range values {
			v[i] = sign * values[i]
		}
		got, err := GiStar(v, nb)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s sign %+g", c.name, sign), func(t *testing.T) {
				if h := got[c.cell]; math.Abs(h.Z-sign*c.z) > 1e-12 {
					t.Errorf("z = %.12g, want %.12g", h.Z, sign*c.z)
				}
			})
		}
		centre := got[4*cols+4]
		if centre.Confidence != 99 || centre.Hot != (sign > 0) || centre.Cold != (sign < 0) {
			t.Errorf("sign %+g: centre %+v, want 99 %% %s", sign, centre, map[bool]string{true: "hot", false: "cold"}[sign > 0])
		}
		if corner := got[0]; corner.Confidence != 0 || corner.Hot || corner.Cold {
			t.Errorf("sign %+g: corner %+v, want not significant", sign, corner)
		}
	}
}

func TestGiStarEdgeCases(t *testing.T) {
	t.Run("all equal", func(t *testing.T) {
		got, err := GiStar([]float64{3, 3, 3, 3}, chain(4))
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range got {
			if h.Z != 0 || h.P != 1 || h.Confidence != 0 {
				t.Errorf("cell %d: %+v, want z 0 p 1", i, h)
			}
		}
	})
	t.Run("neighbourhood is everything", func(t *testing.T) {
		got, err := GiStar([]float64{1, 5}, [][]int{{1}, {0}})
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range got {
			if h.Z != 0 || h.P != 1 {
				t.Errorf("cell %d: %+v, want z 0 p 1", i, h)
			}
		}
	})
	t.Run("duplicates and self ignored", func(t *testing.T) {
		values := []float64{1, 1, 1, 4, 3}
		clean, err := GiStar(values, chain(5))
		if err != nil {
			t.Fatal(err)
		}
		messy := chain(5)
		messy[2] = []int{1, 2, 3, 3, 1}
		messy[4] = []int{4, 3}
		got, err := GiStar(values, messy)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, clean) {
			t.Errorf("got %+v, want %+v", got, clean)
		}
	})
	for _, c := range []struct {
		name   string
		values []float64
		nb     [][]int
	}{
		{"mismatched lengths", []float64{1, 2, 3}, chain(2)},
		{"one cell", []float64{1}, [][]int{nil}},
		{"neighbour out of range", []float64{1, 2, 3}, [][]int{{1}, {0, 3}, {1}}},
		{"negative neighbour", []float64{1, 2, 3}, [][]int{{-1}, {0}, {1}}},
		{"NaN value", []float64{1, math.NaN(), 3}, chain(3)},
		{"infinite value", []float64{1, math.Inf(1), 3}, chain(3)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := GiStar(c.values, c.nb); !errors.Is(err, lagesbild.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

// bh1995 are the 15 p-values of Benjamini & Hochberg (1995, §4.1), a study of myocardial
// infarction treatment, in their published order.
var bh1995 = []float64{0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459,
	0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000}

func TestBH(t *testing.T) {
	// At q = 0.05 the thresholds are i·0.05/15 = i/300. p₍₄₎ = 0.0095 ≤ 4/300 = 0.01333,
	// while p₍₅₎..p₍₁₅₎ all exceed theirs (0.0201 > 0.01667, …, 0.0459 > 0.03), so exactly
	// the first four are rejected, as in the paper.
	got := BH(bh1995, 0.05)
	for i, r := range got {
		if r != (i < 4) {
			t.Errorf("p = %g: rejected %v, want %v", bh1995[i], r, i < 4)
		}
	}
	// Nine of them, shuffled: rejections follow the values, not the positions. With m = 9
	// the thresholds are i·0.05/9; sorted, p₍₅₎ = 0.0201 ≤ 0.0278 while p₍₆₎ = 0.0459 >
	// 0.0333, so the five smallest (0.0001, 0.0004, 0.0019, 0.0095, 0.0201) are rejected.
	shuffled := []float64{0.6528, 0.0019, 0.0459, 0.0001, 1.000, 0.0095, 0.3240, 0.0201, 0.0004}
	wantShuffled := []bool{false, true, false, true, false, true, false, true, true}
	if got := BH(shuffled, 0.05); !reflect.DeepEqual(got, wantShuffled) {
		t.Errorf("shuffled: got %v, want %v", got, wantShuffled)
	}
	for _, q := range []float64{0, -0.1, math.NaN()} {
		for i, r := range BH(bh1995, q) {
			if r {
				t.Errorf("q = %g: p %g rejected", q, bh1995[i])
			}
		}
	}
}

func TestAdjustBH(t *testing.T) {
	// By hand, m·p₍ᵢ₎/i for the 1995 example, then the running minimum from the top:
	//   i=1  0.0001·15     = 0.0015        i=9   0.0459·15/9  = 0.0765
	//   i=2  0.0004·15/2   = 0.003         i=10  0.3240·1.5   = 0.486
	//   i=3  0.0019·5      = 0.0095        i=11  0.4262·15/11 = 0.581182
	//   i=4  0.0095·15/4   = 0.035625      i=12  0.5719·1.25  = 0.714875
	//   i=5  0.0201·3      = 0.0603        i=13  0.6528·15/13 = 0.753231
	//   i=6  0.0278·2.5    = 0.0695 → min with i=7: 0.063857
	//   i=7  0.0298·15/7   = 0.063857      i=14  0.7590·15/14 = 0.813214
	//   i=8  0.0344·15/8   = 0.0645        i=15  1
	// Tolerance 1e-12 relative.
	want := []float64{0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.0298 * 15 / 7, 0.0298 * 15 / 7, 0.0645,
		0.0765, 0.486, 0.4262 * 15 / 11, 0.714875, 0.6528 * 15 / 13, 0.759 * 15 / 14, 1}
	got := AdjustBH(bh1995)
	for i := range want {
		if !near(got[i], want[i], 1e-12) {
			t.Errorf("p = %g: adjusted %.9g, want %.9g", bh1995[i], got[i], want[i])
		}
	}
	t.Run("invalid p-values count as 1", func(t *testing.T) {
		got := AdjustBH([]float64{0.01, math.NaN(), -0.5, 2})
		want := []float64{0.04, 1, 1, 1}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	if got := AdjustBH(nil); len(got) != 0 {
		t.Errorf("empty: got %v", got)
	}
}
