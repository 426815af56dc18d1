// Package hexgrid maps points to H3 cells and back. It is the only package that imports h3-go (and
// so cgo): everything else passes cells around as plain uint64 values.
package hexgrid

import (
	"fmt"
	"math/bits"
	"runtime"
	"sync"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// BaseRes is the resolution every exact incident is indexed at (cells of about 0.1 km², a few
// blocks): fine enough for hot spots inside an utsatt område, coarse enough that a cell rarely
// identifies a single address. Coarser resolutions are derived from it with Parent.
const BaseRes = 9

// PlaceRes is the resolution of the cell the store classifies against kommun and area polygons
// (see lagesbild.Incident.PlaceCell): cells of about 5 km², most of them inside one kommun and
// clear of every utsatt område.
const PlaceRes = 7

// MaxRes is the finest resolution H3 has.
const MaxRes = 15

// Cell returns the H3 cell of resolution res that contains the WGS84 point (lat, lon) in degrees.
// Non-finite or out-of-range coordinates and resolutions are rejected instead of being handed to
// H3, which would silently wrap them or return the null index.
func Cell(lat, lon float64, res int) (uint64, error) {
	if err := checkPoint(lat, lon); err != nil {
		return 0, err
	}
	if err := checkRes(res); err != nil {
		return 0, err
	}
	c := h3.LatLngToCell(h3.LatLng{Lat: lat, Lng: lon}, res)
	if c == 0 {
		return 0, fmt.Errorf("hexgrid: (%g, %g) at resolution %d: %w", lat, lon, res, lagesbild.ErrInvalid)
	}
	return uint64(c), nil
}

// Parent returns the ancestor of cell at the coarser (or equal) resolution res. It is computed
// in Go from the index bits, as H3's cellToParent does, because the import derives four parents
// of every point and a cgo call with h3-go's allocation costs far more than the bit operations.
func Parent(cell uint64, res int) (uint64, error) {
	r, err := Resolution(cell)
	if err != nil {
		return 0, err
	}
	if res < 0 || res > r {
		return 0, lagesbild.Invalid("res", "hexgrid: parent resolution %d of a resolution %d cell must be between 0 and %d", res, r, r)
	}
	// Set the resolution, then mark every digit finer than it unused (7).
	return cell&^(0xf<<resShift) | uint64(res)<<resShift | (1<<(3*(MaxRes-res)) - 1), nil
}

// Resolution returns the resolution of cell, or an error when it is not a valid cell.
func Resolution(cell uint64) (int, error) {
	if !isValid(cell) {
		return 0, lagesbild.Invalid("cell", "hexgrid: %x is not a valid H3 cell", cell)
	}
	return int(cell >> resShift & 0xf), nil
}

// The H3 index layout (H3 4.x, h3Index.h): bit 63 zero, bits 59–62 the mode (1 for a cell),
// bits 56–58 reserved (zero for a cell), bits 52–55 the resolution, bits 45–51 the base cell
// (0–121), then 15 digits of 3 bits, resolution r's at bit 3·(15−r); digits finer than the
// resolution are 7.
const (
	resShift      = 52
	baseCellShift = 45
	numBaseCells  = 122
)

// pentagonBase marks the 12 base cells that are pentagons, taken from H3 itself once.
var pentagonBase = func() (b [numBaseCells]bool) {
	for _, p := range h3.Pentagons(0) {
		b[uint64(p)>>baseCellShift&0x7f] = true
	}
	return b
}()

// isValid is H3's isValidCell in Go, on whole words instead of a loop over the digits (it runs
// for every Parent call): mode, reserved bits, base cell, digits 0–6 up to the resolution and 7
// after it, and no deleted K-axis subsequence on a pentagon. TestIsValidMatchesH3 and
// FuzzIsValid hold it to the C function.
func isValid(h uint64) bool {
	// The top byte of a cell is 0000 1000: high bit 0, mode 1, reserved bits 0.
	if h>>56 != 0x08 {
		return false
	}
	base := h >> baseCellShift & 0x7f
	if base >= numBaseCells {
		return false
	}
	res := h >> resShift & 0xf
	unused := uint64(1)<<(3*(MaxRes-res)) - 1
	if h&unused != unused {
		return false
	}
	digits := h & (1<<baseCellShift - 1) &^ unused
	// A used digit may not be 7: the three bits of a digit ANDed together land on its lowest bit.
	const lowBits = 0o111111111111111
	if digits&(digits>>1)&(digits>>2)&lowBits != 0 {
		return false
	}
	if pentagonBase[base] && digits != 0 {
		// The first non-zero digit, counted from resolution 1 (the highest bits), may not be
		// 1 (the K axis): that subsequence is deleted on a pentagon.
		top := (63 - bits.LeadingZeros64(digits)) / 3 * 3
		if digits>>top&7 == 1 {
			return false
		}
	}
	return true
}

// ZoomToRes returns the H3 resolution drawn at web map zoom z, so that a hexagon covers a few
// dozen pixels on screen and a tile holds at most a few thousand cells:
//
//	z ≤ 5 → 5, z 6–7 → 6, z 8–9 → 7, z 10–11 → 8, z ≥ 12 → 9 (BaseRes).
//
// Zooms beyond 12 keep BaseRes because incidents are stored no finer than that.
func ZoomToRes(z int) int {
	switch {
	case z <= 5:
		return 5
	case z >= 12:
		return BaseRes
	default:
		return 6 + (z-6)/2
	}
}

// Boundary returns the outline of cell as a closed WGS84 ring (lon/lat, first vertex repeated at
// the end, counter-clockwise as H3 returns it). It returns nil for an invalid cell: callers get
// cells from Cell or the database, so an invalid one is a programming error that should draw
// nothing rather than stop a tile.
func Boundary(cell uint64) orb.Polygon {
	c, err := valid(cell)
	if err != nil {
		return nil
	}
	b := c.Boundary()
	ring := make(orb.Ring, 0, len(b)+1)
	for _, v := range b {
		ring = append(ring, orb.Point{v.Lng, v.Lat})
	}
	if len(ring) > 0 {
		ring = append(ring, ring[0])
	}
	return orb.Polygon{ring}
}

// Ring1 returns cell and its immediate neighbours (the grid disk with k = 1): 7 cells, or 6 next to
// a pentagon. Gi* hot spot statistics use it as the neighbourhood of a cell.
func Ring1(cell uint64) ([]uint64, error) {
	c, err := valid(cell)
	if err != nil {
		return nil, err
	}
	disk := c.GridDisk(1)
	out := make([]uint64, 0, len(disk))
	for _, d := range disk {
		if d != 0 {
			out = append(out, uint64(d))
		}
	}
	return out, nil
}

// Bin writes the resolution res cell of points[i] (WGS84 lon/lat) to out[i]. The points are split
// into contiguous chunks across workers goroutines (0 means runtime.GOMAXPROCS(0)), because H3
// indexing is CPU-bound and an import of a few million points should use every core. A point that
// Cell rejects gets cell 0, and the error names the first such point; the other cells are still
// filled in so a caller can report every bad row at once.
func Bin(points []orb.Point, res int, out []uint64, workers int) error {
	if len(out) < len(points) {
		return lagesbild.Invalid("out", "hexgrid: out holds %d cells for %d points", len(out), len(points))
	}
	if err := checkRes(res); err != nil {
		return err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Chunks smaller than this cost more in goroutine start-up than they save.
	const minChunk = 4096
	if maxWorkers := (len(points) + minChunk - 1) / minChunk; workers > maxWorkers {
		workers = max(maxWorkers, 1)
	}
	if workers == 1 {
		return binChunk(points, res, out, 0)
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	chunk := (len(points) + workers - 1) / workers
	for w := range workers {
		lo := w * chunk
		hi := min(lo+chunk, len(points))
		if lo >= hi {
			break
		}
		wg.Go(func() { errs[w] = binChunk(points[lo:hi], res, out[lo:hi], lo) })
	}
	wg.Wait()
	// Chunks are in point order, so the first error is the one for the lowest index.
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func binChunk(points []orb.Point, res int, out []uint64, offset int) error {
	binC(points, res, out)
	// H3 wraps longitudes and accepts any finite latitude, so range errors are caught here.
	var first error
	for i, p := range points {
		if checkPoint(p[1], p[0]) != nil {
			out[i] = 0
			if first == nil {
				first = lagesbild.Invalid("points", "hexgrid: point %d (%g, %g) is not a WGS84 lon/lat", offset+i, p[0], p[1])
			}
		}
	}
	return first
}

func checkPoint(lat, lon float64) error {
	if !(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180) {
		// The negated comparisons are also true for NaN.
		return lagesbild.Invalid("point", "hexgrid: (lat %g, lon %g) is outside -90..90, -180..180", lat, lon)
	}
	return nil
}

func checkRes(res int) error {
	if res < 0 || res > MaxRes {
		return lagesbild.Invalid("res", "hexgrid: resolution %d is outside 0..%d", res, MaxRes)
	}
	return nil
}

func valid(cell uint64) (h3.Cell, error) {
	if !isValid(cell) {
		return 0, lagesbild.Invalid("cell", "hexgrid: %x is not a valid H3 cell", cell)
	}
	return h3.Cell(cell), nil
}
