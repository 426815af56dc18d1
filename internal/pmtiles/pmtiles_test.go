package pmtiles

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// The ids the specification and the reference implementation's tests give.
func TestTileIDSpecVectors(t *testing.T) {
	for _, c := range []struct {
		z    uint8
		x, y uint32
		id   uint64
	}{{0, 0, 0, 0}, {1, 0, 0, 1}, {1, 0, 1, 2}, {1, 1, 1, 3}, {1, 1, 0, 4}, {2, 0, 0, 5}, {12, 3423, 1763, 19078479}} {
		if got := TileID(c.z, c.x, c.y); got != c.id {
			t.Errorf("TileID(%d,%d,%d) = %d, want %d", c.z, c.x, c.y, got, c.id)
		}
		if z, x, y := ZXY(c.id); z != c.z || x != c.x || y != c.y {
			t.Errorf("ZXY(%d) = %d/%d/%d, want %d/%d/%d", c.id, z, x, y, c.z, c.x, c.y)
		}
	}
	for z := uint8(0); z <= 6; z++ {
		seen := map[uint64]bool{}
		for x := uint32(0); x < 1<<z; x++ {
			for y := uint32(0); y < 1<<z; y++ {
				id := TileID(z, x, y)
				if rz, rx, ry := ZXY(id); rz != z || rx != x || ry != y || seen[id] {
					t.Fatalf("%d/%d/%d: id %d round-trips to %d/%d/%d (seen %v)", z, x, y, id, rz, rx, ry, seen[id])
				}
				seen[id] = true
			}
		}
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	h := Header{RootOffset: 127, RootLength: 9, MetadataOffset: 136, MetadataLength: 20, DataOffset: 156, DataLength: 3,
		AddressedTiles: 3, TileEntries: 2, TileContents: 1, Clustered: true, InternalCompression: CompressionGzip,
		TileCompression: CompressionGzip, TileType: TileTypeMVT, MinZoom: 5, MaxZoom: 12,
		MinLon: 15.5, MinLat: 58.3, MaxLon: -16.25, MaxLat: 58.5, CenterZoom: 8, CenterLon: 15.6, CenterLat: 58.4}
	got, err := ParseHeader(h.Bytes())
	if err != nil || got != h {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, h)
	}
	if _, err := ParseHeader([]byte("PMTiles\x02" + string(make([]byte, 119)))); err == nil {
		t.Error("a version 2 header was accepted")
	}
}

type tile struct {
	z    uint8
	x, y uint32
	data []byte
}

func archive(t *testing.T, tiles []tile, meta any) []byte {
	t.Helper()
	w, err := NewWriter(t.TempDir(), Options{TileType: TileTypeMVT, TileCompression: CompressionGzip, MinZoom: 0, MaxZoom: 14})
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range tiles {
		if err := w.Add(tl.z, tl.x, tl.y, tl.data); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := w.Finish(&buf, meta); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sortedTiles lists the tiles of zoom z in tile id order, with contents from content.
func sortedTiles(z uint8, content func(i int) []byte) []tile {
	var out []tile
	base := (uint64(1)<<(2*uint(z)) - 1) / 3
	for i := 0; i < 1<<(2*uint(z)); i++ {
		_, x, y := ZXY(base + uint64(i))
		out = append(out, tile{z, x, y, content(i)})
	}
	return out
}

func TestWriteRead(t *testing.T) {
	lengths := rand.New(rand.NewPCG(3, 4)) // lengths that do not compress away
	for _, c := range []struct {
		name    string
		tiles   []tile
		entries int
		leaves  bool
	}{
		{"one tile", []tile{{3, 4, 2, []byte("a")}}, 1, false},
		{"identical neighbours are one run", sortedTiles(2, func(int) []byte { return []byte("same") }), 1, false},
		{"repeated content is stored once", sortedTiles(2, func(i int) []byte { return []byte{byte(i % 2)} }), 16, false},
		// 65 536 distinct tiles do not fit a 16 KiB root: leaf directories.
		{"leaf directories", sortedTiles(8, func(i int) []byte { return fmt.Appendf(nil, "%0*d", 6+lengths.IntN(300), i) }), 65536, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := archive(t, c.tiles, map[string]any{"name": "test", "lagesbild": map[string]string{"scope": "lpo:540210"}})
			rd, err := Open(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if rd.Header.RootOffset+rd.Header.RootLength > rootBudget {
				t.Errorf("root ends at %d, past the first 16 KiB", rd.Header.RootOffset+rd.Header.RootLength)
			}
			if got := rd.Header.LeafLength > 0; got != c.leaves {
				t.Errorf("leaf directories: %v, want %v", got, c.leaves)
			}
			if rd.Header.TileEntries != uint64(c.entries) || rd.Header.AddressedTiles != uint64(len(c.tiles)) {
				t.Errorf("entries %d, addressed %d; want %d, %d", rd.Header.TileEntries, rd.Header.AddressedTiles, c.entries, len(c.tiles))
			}
			var meta struct {
				Name      string
				Lagesbild map[string]string
			}
			if err := rd.Metadata(&meta); err != nil || meta.Name != "test" || meta.Lagesbild["scope"] != "lpo:540210" {
				t.Errorf("metadata %+v, %v", meta, err)
			}
			r := rand.New(rand.NewPCG(1, 2))
			for range 200 {
				tl := c.tiles[r.IntN(len(c.tiles))]
				got, err := rd.Tile(tl.z, tl.x, tl.y)
				if err != nil || !bytes.Equal(got, tl.data) {
					t.Fatalf("tile %d/%d/%d: %q, %v; want %q", tl.z, tl.x, tl.y, got, err, tl.data)
				}
			}
			if got, err := rd.Tile(14, 1, 1); got != nil || err != nil {
				t.Errorf("a tile not in the archive: %q, %v", got, err)
			}
			es, err := rd.Entries()
			if err != nil || len(es) != c.entries {
				t.Errorf("Entries: %d, %v; want %d", len(es), err, c.entries)
			}
		})
	}
}

func TestAddOutOfOrder(t *testing.T) {
	w, err := NewWriter(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(1, 1, 0, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(1, 0, 0, []byte("y")); err == nil {
		t.Error("a tile with a lower id was accepted after a higher one")
	}
}
