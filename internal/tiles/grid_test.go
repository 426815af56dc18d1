package tiles

import "testing"

func TestSweref99TMGrid(t *testing.T) {
	g := Sweref99TM
	for z, want := range map[int]int{0: 6, 1: 11, 2: 21, 3: 42, 13: 43008} {
		if got := g.MatrixSize(z); got != want {
			t.Errorf("matrix %d: %d rows and columns, want %d", z, got, want)
		}
	}
	if got := g.Envelope(0, 0, 0); got != [4]float64{-1200000, 7451424, -151424, 8500000} {
		t.Errorf("tile 0/0/0: %v", got)
	}
	if got := g.CellSize(13); got != 0.5 {
		t.Errorf("matrix 13: %v m per pixel", got)
	}
	// Stockholm's city hall (E 674 032, N 6 580 822) at matrix 8: 4096 m tiles.
	row, col := g.TileAt(8, 674032, 6580822)
	env := g.Envelope(8, row, col)
	if env[0] > 674032 || env[2] <= 674032 || env[1] > 6580822 || env[3] <= 6580822 || env[2]-env[0] != 4096 {
		t.Errorf("tile %d/%d at matrix 8 %v does not hold the point", row, col, env)
	}
	// Outside the grid clamps to its edge.
	if r, c := g.TileAt(0, -5e6, 9e6); r != 0 || c != 0 {
		t.Errorf("north-west of the grid: %d/%d", r, c)
	}
	for name, want := range map[string][2]int{"handelser": {10, 12}, "h3": {0, 12}, "kommuner": {0, 12}} {
		l, _ := LayerByName(name)
		if lo, hi := g.MatrixRange(l); lo != want[0] || hi != want[1] {
			t.Errorf("%s: matrices %d–%d, want %v", name, lo, hi, want)
		}
	}
	if _, err := ParseGridRequest(g, "kommuner", 0, 6, 0, nil); err == nil {
		t.Error("row 6 of matrix 0 accepted")
	}
	r, err := ParseGridRequest(g, "kommuner,lan", 3, 2, 1, nil)
	if err != nil || r.Grid != g.ID || r.Z != 3 || r.Y != 2 || r.X != 1 || len(r.Layers) != 2 {
		t.Errorf("request %+v, %v", r, err)
	}
	// A grid tile never shares a cache key with the Web Mercator tile of the same numbers.
	wm, err := ParseRequest("kommuner,lan", "3", "1", "2", nil)
	if err != nil || wm.Key() == r.Key() {
		t.Errorf("the same key %q for both grids", r.Key())
	}
}
