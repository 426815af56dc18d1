package risk

import (
	"math/rand/v2"
	"testing"
)

// hexLattice returns the neighbours of a rows×cols lattice of hexagons in "odd-r" offset
// layout: every inner cell has six neighbours, as in an H3 ring 1.
func hexLattice(rows, cols int) [][]int {
	even := [][2]int{{-1, -1}, {-1, 0}, {0, -1}, {0, 1}, {1, -1}, {1, 0}}
	odd := [][2]int{{-1, 0}, {-1, 1}, {0, -1}, {0, 1}, {1, 0}, {1, 1}}
	nb := make([][]int, rows*cols)
	for r := range rows {
		offsets := even
		if r%2 == 1 {
			offsets = odd
		}
		for c := range cols {
			for _, o := range offsets {
				rr, cc := r+o[0], c+o[1]
				if rr >= 0 && rr < rows && cc >= 0 && cc < cols {
					nb[r*cols+c] = append(nb[r*cols+c], rr*cols+cc)
				}
			}
		}
	}
	return nb
}

// BenchmarkGiStar runs Gi* with FDR on 5,040 cells, about the H3 resolution-9 grid of a large
// kommun, with Poisson-like counts from a fixed seed.
func BenchmarkGiStar(b *testing.B) {
	const rows, cols = 70, 72
	nb := hexLattice(rows, cols)
	rng := rand.New(rand.NewPCG(1, 2))
	values := make([]float64, rows*cols)
	for i := range values {
		values[i] = float64(rng.IntN(4) * rng.IntN(4))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := GiStar(values, nb); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRate is one rate with its exact interval, the per-area cost of a map layer.
func BenchmarkRate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Rate(137, 8450, 1000); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMannKendall is a ten-year monthly series, trend and Sen's slope.
func BenchmarkMannKendall(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	series := make([]float64, 120)
	for i := range series {
		series[i] = float64(i/12 + rng.IntN(6))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MannKendall(series); err != nil {
			b.Fatal(err)
		}
	}
}
