package risk

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// finite reports whether every value is a finite number.
func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// FuzzRate checks that Rate either rejects its input as invalid or returns a finite interval
// around the rate, for any count, population and unit.
func FuzzRate(f *testing.F) {
	f.Add(0, 1000, 1000.0)
	f.Add(1, 1, 1.0)
	f.Add(12, 3400, 1000.0)
	f.Add(MaxCount, 1, 1e12)
	f.Add(-1, 0, math.NaN())
	f.Fuzz(func(t *testing.T, count, pop int, per float64) {
		e, err := Rate(count, pop, per)
		if err != nil {
			if !errors.Is(err, lagesbild.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if !finite(e.Rate, e.Lower, e.Upper) || e.Lower < 0 || e.Lower > e.Rate || e.Rate > e.Upper {
			t.Fatalf("Rate(%d, %d, %g) = %+v", count, pop, per, e)
		}
	})
}

// FuzzMannKendall checks that MannKendall never panics and, for valid series, returns finite
// statistics with a p-value in [0, 1] and Sen's slope inside its interval. The first byte
// chooses how the rest is read: as small counts (many ties, like real monthly counts) or as
// raw float64 bits (extreme values, NaN, infinities).
func FuzzMannKendall(f *testing.F) {
	f.Add([]byte{0, 3, 5, 4, 4, 6, 5, 7, 6, 8, 8, 7, 9})
	f.Add([]byte{0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
	f.Add(append([]byte{1}, make([]byte, 8*12)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		var series []float64
		if data[0]%2 == 0 {
			for _, b := range data[1:] {
				series = append(series, float64(b%16))
			}
		} else {
			for b := data[1:]; len(b) >= 8; b = b[8:] {
				series = append(series, math.Float64frombits(binary.LittleEndian.Uint64(b)))
			}
		}
		tr, err := MannKendall(series)
		if err != nil {
			if !errors.Is(err, lagesbild.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if !finite(tr.VarS, tr.Z, tr.P, tr.Slope, tr.SlopeLower, tr.SlopeUpper) || tr.P < 0 || tr.P > 1 {
			t.Fatalf("MannKendall(%v) = %+v", series, tr)
		}
		if !(tr.SlopeLower <= tr.Slope && tr.Slope <= tr.SlopeUpper) {
			t.Fatalf("slope %g outside [%g, %g] for %v", tr.Slope, tr.SlopeLower, tr.SlopeUpper, series)
		}
		if n := len(series); tr.S > n*(n-1)/2 || tr.S < -n*(n-1)/2 {
			t.Fatalf("S = %d is impossible for %d points", tr.S, n)
		}
	})
}

// FuzzGiStar checks that GiStar never panics and returns finite z-scores, p-values in [0, 1]
// and consistent classes, on a chain of cells with extra neighbour links taken from the input.
func FuzzGiStar(f *testing.F) {
	f.Add([]byte{1, 1, 1, 4, 3}, []byte{0, 4})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 200}, []byte{9, 8, 9, 7})
	f.Fuzz(func(t *testing.T, raw, links []byte) {
		n := len(raw)
		values := make([]float64, n)
		for i, b := range raw {
			values[i] = float64(b)
		}
		nb := chain(n)
		for k := 0; k+1 < len(links) && n > 0; k += 2 {
			i := int(links[k]) % n
			nb[i] = append(nb[i], int(links[k+1])%n)
		}
		got, err := GiStar(values, nb)
		if err != nil {
			if !errors.Is(err, lagesbild.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		for i, h := range got {
			if !finite(h.Z, h.P, h.PAdjusted) || h.P < 0 || h.P > 1 || h.PAdjusted < h.P*(1-1e-15) || h.PAdjusted > 1 {
				t.Fatalf("cell %d: %+v", i, h)
			}
			if (h.Hot || h.Cold) != (h.Confidence > 0) || (h.Hot && h.Cold) {
				t.Fatalf("cell %d: inconsistent class %+v", i, h)
			}
		}
	})
}
