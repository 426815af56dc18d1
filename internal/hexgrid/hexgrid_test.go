package hexgrid

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/uber/h3-go/v4"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// stockholm is Stockholm's Polisen feed point (Sergels torg area), 59.3293 N 18.0686 E.
const stockholmLat, stockholmLon = 59.3293, 18.0686

// Stockholm's cells were computed once with h3-go v4.1.0 (H3 4.1); they pin the library version
// because a changed cell id would orphan every stored aggregate. The San Francisco cell is the
// example of the H3 documentation (h3geo.org, "Indexing"), an independent check.
const (
	stockholmRes9 = 0x89088661887ffff
	stockholmRes5 = 0x85088663fffffff
)

func TestCellKnown(t *testing.T) {
	tests := []struct {
		name     string
		lat, lon float64
		res      int
		want     uint64
	}{
		{"stockholm res 9", stockholmLat, stockholmLon, 9, stockholmRes9},
		{"stockholm res 5", stockholmLat, stockholmLon, 5, stockholmRes5},
		{"h3 docs san francisco", 37.775938728915946, -122.41795063018799, 9, 0x8928308280fffff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Cell(tt.lat, tt.lon, tt.res)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Cell = %#x, want %#x", got, tt.want)
			}
			if r, err := Resolution(got); err != nil || r != tt.res {
				t.Errorf("Resolution = %d, %v; want %d", r, err, tt.res)
			}
		})
	}
}

func TestCellContainsPoint(t *testing.T) {
	pts := []struct {
		name     string
		lat, lon float64
	}{
		{"stockholm", stockholmLat, stockholmLon},
		{"kiruna", 67.8558, 20.2253},
		{"malmö", 55.6050, 13.0038},
		{"göteborg", 57.7089, 11.9746},
		{"visby", 57.6348, 18.2948},
	}
	for _, p := range pts {
		t.Run(p.name, func(t *testing.T) {
			pt := orb.Point{p.lon, p.lat}
			c9, err := Cell(p.lat, p.lon, BaseRes)
			if err != nil {
				t.Fatal(err)
			}
			if !planar.PolygonContains(Boundary(c9), pt) {
				t.Errorf("res 9 boundary %v does not contain %v", Boundary(c9), pt)
			}
			for res := BaseRes - 1; res >= 5; res-- {
				parent, err := Parent(c9, res)
				if err != nil {
					t.Fatal(err)
				}
				direct, _ := Cell(p.lat, p.lon, res)
				if parent != direct {
					// H3 children do not tile their parent exactly, so a point near a parent's edge
					// may index to a neighbour; it must then be one of the parent's neighbours.
					ring, _ := Ring1(parent)
					if !containsCell(ring, direct) {
						t.Errorf("res %d: parent %#x and direct cell %#x are not neighbours", res, parent, direct)
					}
				}
			}
		})
	}
}

func TestParentStockholm(t *testing.T) {
	got, err := Parent(stockholmRes9, 5)
	if err != nil {
		t.Fatal(err)
	}
	if got != stockholmRes5 {
		t.Errorf("Parent = %#x, want %#x", got, stockholmRes5)
	}
	if same, _ := Parent(stockholmRes9, 9); same != stockholmRes9 {
		t.Errorf("Parent at own resolution = %#x, want the cell", same)
	}
}

func TestInvalid(t *testing.T) {
	cellTests := []struct {
		name     string
		lat, lon float64
		res      int
	}{
		{"nan lat", math.NaN(), 18, 9},
		{"nan lon", 59, math.NaN(), 9},
		{"inf", math.Inf(1), 18, 9},
		{"lat out of range", 91, 18, 9},
		{"lon out of range", 59, 181, 9},
		{"negative res", 59, 18, -1},
		{"res too fine", 59, 18, 16},
	}
	for _, tt := range cellTests {
		t.Run("Cell/"+tt.name, func(t *testing.T) {
			if _, err := Cell(tt.lat, tt.lon, tt.res); !errors.Is(err, lagesbild.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
	for _, cell := range []uint64{0, 1, math.MaxUint64, stockholmRes9 + 1<<60} {
		if _, err := Parent(cell, 5); !errors.Is(err, lagesbild.ErrInvalid) {
			t.Errorf("Parent(%#x): err = %v, want ErrInvalid", cell, err)
		}
		if _, err := Ring1(cell); !errors.Is(err, lagesbild.ErrInvalid) {
			t.Errorf("Ring1(%#x): err = %v, want ErrInvalid", cell, err)
		}
		if b := Boundary(cell); b != nil {
			t.Errorf("Boundary(%#x) = %v, want nil", cell, b)
		}
	}
	if _, err := Parent(stockholmRes5, 9); !errors.Is(err, lagesbild.ErrInvalid) {
		t.Errorf("Parent to a finer resolution: err = %v, want ErrInvalid", err)
	}
}

// randomCells returns valid cells of every resolution, plus each with one random bit flipped
// (mostly invalid: the cases a validity check must get right).
func randomCells(n int, seed uint64) []uint64 {
	r := rand.New(rand.NewPCG(seed, seed))
	var out []uint64
	for range n {
		c, _ := Cell(r.Float64()*180-90, r.Float64()*360-180, r.IntN(MaxRes+1))
		out = append(out, c, c^1<<r.IntN(64))
	}
	// Every pentagon's descendants along each axis exercise the deleted K-axis rule.
	for _, p := range h3.Pentagons(0) {
		for res := 1; res <= 3; res++ {
			for d := range uint64(8) {
				c := uint64(p)&^(0xf<<resShift) | uint64(res)<<resShift | (1<<(3*(MaxRes-res)) - 1)
				c &^= 7 << (3 * (MaxRes - 1))
				out = append(out, c|d<<(3*(MaxRes-1)))
			}
		}
	}
	return out
}

func TestIsValidMatchesH3(t *testing.T) {
	for _, c := range append(randomCells(20_000, 5), 0, 1, math.MaxUint64, 1<<63, stockholmRes9) {
		if got, want := isValid(c), h3.Cell(c).IsValid(); got != want {
			t.Errorf("isValid(%#x) = %v, H3 says %v", c, got, want)
		}
	}
}

func FuzzIsValid(f *testing.F) {
	for _, c := range randomCells(20, 6) {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c uint64) {
		if got, want := isValid(c), h3.Cell(c).IsValid(); got != want {
			t.Errorf("isValid(%#x) = %v, H3 says %v", c, got, want)
		}
	})
}

func TestParentMatchesH3(t *testing.T) {
	for _, c := range randomCells(5_000, 7) {
		if !h3.Cell(c).IsValid() {
			continue
		}
		res := h3.Cell(c).Resolution()
		for p := 0; p <= res; p++ {
			got, err := Parent(c, p)
			if want := uint64(h3.Cell(c).Parent(p)); err != nil || got != want {
				t.Fatalf("Parent(%#x, %d) = %#x, %v; H3 says %#x", c, p, got, err, want)
			}
		}
	}
}

func TestZoomToRes(t *testing.T) {
	want := map[int]int{-1: 5, 0: 5, 5: 5, 6: 6, 7: 6, 8: 7, 9: 7, 10: 8, 11: 8, 12: 9, 16: 9, 22: 9}
	for z, res := range want {
		if got := ZoomToRes(z); got != res {
			t.Errorf("ZoomToRes(%d) = %d, want %d", z, got, res)
		}
	}
}

func TestBoundaryClosed(t *testing.T) {
	b := Boundary(stockholmRes9)
	if len(b) != 1 || len(b[0]) != 7 {
		t.Fatalf("Boundary = %v, want one ring of 6 vertices plus the closing one", b)
	}
	if !b[0].Closed() {
		t.Error("ring is not closed")
	}
	if o := b[0].Orientation(); o != orb.CCW {
		t.Errorf("ring orientation %v, want counter-clockwise (GeoJSON's rule for outer rings)", o)
	}
}

func TestRing1(t *testing.T) {
	ring, err := Ring1(stockholmRes9)
	if err != nil {
		t.Fatal(err)
	}
	if len(ring) != 7 || !containsCell(ring, stockholmRes9) {
		t.Fatalf("Ring1 = %x, want 7 cells including the origin", ring)
	}
	seen := map[uint64]bool{}
	for _, c := range ring {
		if seen[c] {
			t.Errorf("duplicate %#x", c)
		}
		seen[c] = true
		if r, _ := Resolution(c); r != 9 {
			t.Errorf("%#x has resolution %d", c, r)
		}
	}
	// A pentagon has only five neighbours.
	const pentagonRes9 = 0x89080000003ffff
	if ring, err := Ring1(pentagonRes9); err != nil || len(ring) != 6 {
		t.Errorf("pentagon Ring1 = %x, %v; want 6 cells", ring, err)
	}
}

func TestBinMatchesCell(t *testing.T) {
	pts := swedishPoints(50_000, 1)
	for _, workers := range []int{0, 1, 2, 7} {
		out := make([]uint64, len(pts))
		if err := Bin(pts, BaseRes, out, workers); err != nil {
			t.Fatal(err)
		}
		for i, p := range pts {
			want, _ := Cell(p[1], p[0], BaseRes)
			if out[i] != want {
				t.Fatalf("workers %d: point %d: Bin %#x, Cell %#x", workers, i, out[i], want)
			}
		}
	}
}

func TestBinInvalid(t *testing.T) {
	pts := swedishPoints(20_000, 2)
	pts[15_000] = orb.Point{math.NaN(), 59}
	pts[17_000] = orb.Point{200, 59}
	out := make([]uint64, len(pts))
	err := Bin(pts, BaseRes, out, 2)
	var ve *lagesbild.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a ValidationError", err)
	}
	if want := "point 15000"; !contains(ve.Reason, want) {
		t.Errorf("err = %v, want it to name %s", err, want)
	}
	if out[15_000] != 0 || out[17_000] != 0 || out[16_000] == 0 {
		t.Errorf("bad points must get 0 and good ones a cell: %x %x %x", out[15_000], out[17_000], out[16_000])
	}
	if err := Bin(pts, BaseRes, out[:10], 2); !errors.Is(err, lagesbild.ErrInvalid) {
		t.Errorf("short out: err = %v, want ErrInvalid", err)
	}
	if err := Bin(nil, BaseRes, nil, 0); err != nil {
		t.Errorf("empty: %v", err)
	}
}

func BenchmarkCell(b *testing.B) {
	pts := swedishPoints(1<<16, 3)
	var sink uint64
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		p := pts[i&(len(pts)-1)]
		c, err := Cell(p[1], p[0], BaseRes)
		if err != nil {
			b.Fatal(err)
		}
		sink ^= c
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
	_ = sink
}

func BenchmarkParent(b *testing.B) {
	cells := make([]uint64, 1<<12)
	for i, p := range swedishPoints(len(cells), 5) {
		cells[i], _ = Cell(p[1], p[0], BaseRes)
	}
	var sink uint64
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		c, err := Parent(cells[i&(len(cells)-1)], 5+i&3)
		if err != nil {
			b.Fatal(err)
		}
		sink ^= c
		i++
	}
	_ = sink
}

func BenchmarkBin(b *testing.B) {
	const n = 1_000_000
	pts := swedishPoints(n, 4)
	out := make([]uint64, n)
	workers := runtime.GOMAXPROCS(0)
	b.ReportAllocs()
	for b.Loop() {
		if err := Bin(pts, BaseRes, out, workers); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "points/s")
}

// swedishPoints returns n points clustered around Swedish towns, like real incidents.
func swedishPoints(n int, seed uint64) []orb.Point {
	towns := []orb.Point{{18.0686, 59.3293}, {11.9746, 57.7089}, {13.0038, 55.6050}, {17.6389, 59.8586},
		{16.5448, 59.6099}, {15.6214, 58.4108}, {20.2630, 63.8258}, {22.1465, 65.5848}, {14.6357, 63.1792}}
	r := rand.New(rand.NewPCG(seed, seed))
	pts := make([]orb.Point, n)
	for i := range pts {
		t := towns[r.IntN(len(towns))]
		pts[i] = orb.Point{t[0] + r.NormFloat64()*0.1, t[1] + r.NormFloat64()*0.05}
	}
	return pts
}

func containsCell(cells []uint64, c uint64) bool {
	for _, x := range cells {
		if x == c {
			return true
		}
	}
	return false
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
