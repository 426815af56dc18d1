package hexgrid

// h3-go's LatLngToCell allocates two small objects per call (its C argument and result escape
// through cgo) and crosses into C once per point: 24 B and ~0.5 µs of a ~2.2 µs call on the
// reference machine. Bin instead calls H3's own C function latLngToCell in a loop inside one cgo
// call per chunk, with no allocation. The function is not declared here but resolved at link time
// from the H3 C sources that h3-go compiles into the binary (h3-go is imported in hexgrid.go), so a
// version of h3-go that renamed or prefixed it fails the build rather than misbehaving.
// TestBinMatchesCell checks the two paths against each other.

/*
#cgo noescape hexgridBin
#cgo nocallback hexgridBin
#include <stdint.h>

// Layouts as in H3 4.x h3api.h: LatLng is {double lat, lng} in radians, H3Error a uint32_t.
typedef struct { double lat; double lng; } hexgridLatLng;
extern uint32_t latLngToCell(const hexgridLatLng *g, int res, uint64_t *out);

// hexgridBin indexes n points given as lon/lat degree pairs (the memory layout of []orb.Point).
// A point H3 rejects gets cell 0.
static void hexgridBin(const double *lonlat, int64_t n, int res, uint64_t *out) {
	const double degToRad = 0.017453292519943295769236907684886127134428718885417;
	for (int64_t i = 0; i < n; i++) {
		hexgridLatLng g = { lonlat[2*i+1] * degToRad, lonlat[2*i] * degToRad };
		if (latLngToCell(&g, res, &out[i]) != 0) {
			out[i] = 0;
		}
	}
}
*/
import "C"

import "github.com/paulmach/orb"

// binC indexes points into out (len(out) ≥ len(points)) with one cgo call. The Go memory passed
// holds no Go pointers and is only used during the call, as cgo's pointer rules require.
func binC(points []orb.Point, res int, out []uint64) {
	if len(points) == 0 {
		return
	}
	C.hexgridBin((*C.double)(&points[0][0]), C.int64_t(len(points)), C.int(res), (*C.uint64_t)(&out[0]))
}
