package tiles

import (
	"math"
	"net/url"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Grid is a tile matrix set the renderer draws in besides WebMercatorQuad (the grid of
// ParseRequest and of every short /tiles path): a top-left origin, the width of a tile of
// matrix 0 in the CRS's units, and each further matrix halving it.
type Grid struct {
	ID    string // the tile matrix set's id in the OGC paths
	Title string
	SRID  int // EPSG code of the grid's CRS
	// OriginE, OriginN are the easting and northing of the top-left corner of tile 0/0/0.
	OriginE, OriginN float64
	// Tile0 is the width (and height) of a tile of matrix 0 in metres.
	Tile0 float64
	// Span0 is the width and height of the grid's extent in tiles of matrix 0; a matrix z has
	// ceil(Span0·2^z) rows and columns.
	Span0 float64
	// MaxMatrix is the last tile matrix.
	MaxMatrix int
	// ZoomOffset maps a tile matrix to the WebMercatorQuad zoom of about the same scale in
	// Sweden (z + ZoomOffset), which picks the H3 resolution and the layers' zoom range.
	ZoomOffset int
}

// Sweref99TM is a tile matrix set in SWEREF 99 TM (EPSG:3006) with the origin and resolutions
// of Lantmäteriet's SWEREF 99 TM tile services: top-left corner E −1 200 000, N 8 500 000,
// 4096 m per pixel at matrix 0 halving down to 0.5 m at matrix 13, 256-pixel tiles; the extent
// is 5.25 tiles of matrix 0 each way (E −1 200 000 to 4 305 024, N 2 994 976 to 8 500 000),
// about Lantmäteriet's bounds, so matrix z has ceil(5.25·2^z) rows and columns.
// Matrix 0 (4096 m per pixel) is a little finer than WebMercatorQuad's zoom 4 at 60° N
// (4892 m), so matrix z draws like Web Mercator zoom z + 4.
var Sweref99TM = Grid{
	ID: "SWEREF99TM", Title: "SWEREF 99 TM (EPSG:3006), Lantmäteriets upplösningar", SRID: 3006,
	OriginE: -1200000, OriginN: 8500000, Tile0: 4096 * 256, Span0: 5.25, MaxMatrix: 13, ZoomOffset: 4,
}

// MatrixSize is the number of rows and of columns of tile matrix z.
func (g Grid) MatrixSize(z int) int {
	return int(math.Ceil(g.Span0 * float64(int64(1)<<z)))
}

// TileSize is the width of a tile of matrix z in metres.
func (g Grid) TileSize(z int) float64 { return g.Tile0 / float64(int64(1)<<z) }

// CellSize is the width of a pixel of a 256-pixel tile of matrix z in metres.
func (g Grid) CellSize(z int) float64 { return g.TileSize(z) / 256 }

// Envelope is the extent of tile z/row/col: west, south, east, north in the grid's CRS.
func (g Grid) Envelope(z, row, col int) [4]float64 {
	s := g.TileSize(z)
	return [4]float64{g.OriginE + float64(col)*s, g.OriginN - float64(row+1)*s, g.OriginE + float64(col+1)*s, g.OriginN - float64(row)*s}
}

// TileAt is the tile of matrix z holding easting e, northing n, clamped to the matrix.
func (g Grid) TileAt(z int, e, n float64) (row, col int) {
	s, last := g.TileSize(z), g.MatrixSize(z)-1
	clamp := func(v float64) int { return int(math.Max(0, math.Min(float64(last), math.Floor(v)))) }
	return clamp((g.OriginN - n) / s), clamp((e - g.OriginE) / s)
}

// WebZoom is the WebMercatorQuad zoom whose rules (H3 resolution, layer zoom range) apply to
// tile matrix z.
func (g Grid) WebZoom(z int) int { return z + g.ZoomOffset }

// MatrixRange is the range of tile matrices in which layer l is drawn in the grid.
func (g Grid) MatrixRange(l Layer) (lo, hi int) {
	return max(0, l.MinZoom-g.ZoomOffset), min(g.MaxMatrix, l.MaxZoom-g.ZoomOffset)
}

// ParseGridRequest is ParseRequest for a tile of grid g: z is its tile matrix, x its column and
// y its row (from the north); the layers must be drawn at that matrix (MatrixRange).
func ParseGridRequest(g Grid, layers string, z, row, col int, q url.Values) (Request, error) {
	r, err := ParseRequest(layers, "0", "0", "0", q)
	if err != nil {
		return r, err
	}
	if z < 0 || z > g.MaxMatrix {
		return r, lagesbild.Invalid("tileMatrix", "%d is not a tile matrix of %s (0 to %d)", z, g.ID, g.MaxMatrix)
	}
	if n := g.MatrixSize(z); row < 0 || col < 0 || row >= n || col >= n {
		return r, lagesbild.Invalid("tileRow", "tile %d/%d/%d is outside tile matrix %d of %s (rows and columns 0 to %d)", z, row, col, z, g.ID, n-1)
	}
	r.Grid, r.Z, r.X, r.Y = g.ID, z, col, row
	return r, nil
}

// ToSweref99TM projects WGS84 longitude and latitude (degrees; GRS 80 and SWEREF 99 coincide
// at map accuracy) to SWEREF 99 TM easting and northing in metres with Krüger's formulas
// (Lantmäteriet, "Gauss Conformal Projection (Transverse Mercator)"): central meridian 15° E,
// scale 0.9996, false easting 500 000 m. Accurate to well under a millimetre in Sweden.
func ToSweref99TM(lon, lat float64) (e, n float64) {
	const (
		a      = 6378137.0
		f      = 1 / 298.257222101
		k0     = 0.9996
		lon0   = 15.0
		fe     = 500000.0
		radDeg = math.Pi / 180
	)
	e2 := f * (2 - f)
	nn := f / (2 - f)
	aRoof := a / (1 + nn) * (1 + nn*nn/4 + nn*nn*nn*nn/64)
	A := e2
	B := (5*e2*e2 - e2*e2*e2) / 6
	C := (104*e2*e2*e2 - 45*e2*e2*e2*e2) / 120
	D := 1237 * e2 * e2 * e2 * e2 / 1260
	beta := [4]float64{
		nn/2 - 2*nn*nn/3 + 5*nn*nn*nn/16 + 41*nn*nn*nn*nn/180,
		13*nn*nn/48 - 3*nn*nn*nn/5 + 557*nn*nn*nn*nn/1440,
		61*nn*nn*nn/240 - 103*nn*nn*nn*nn/140,
		49561 * nn * nn * nn * nn / 161280,
	}
	phi, dl := lat*radDeg, (lon-lon0)*radDeg
	s := math.Sin(phi)
	s2 := s * s
	phiStar := phi - s*math.Cos(phi)*(A+B*s2+C*s2*s2+D*s2*s2*s2)
	xi := math.Atan(math.Tan(phiStar) / math.Cos(dl))
	eta := math.Atanh(math.Cos(phiStar) * math.Sin(dl))
	x, y := xi, eta
	for i, b := range beta {
		k := float64(2 * (i + 1))
		x += b * math.Sin(k*xi) * math.Cosh(k*eta)
		y += b * math.Cos(k*xi) * math.Sinh(k*eta)
	}
	return k0*aRoof*y + fe, k0 * aRoof * x
}
