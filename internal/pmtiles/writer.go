package pmtiles

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Options describe the tiles of an archive for its header.
type Options struct {
	TileType        uint8 // TileTypeMVT
	TileCompression uint8 // how the tile bytes given to Add are compressed (CompressionGzip)
	MinZoom         uint8
	MaxZoom         uint8
	// MinLon … MaxLat bound the tiles (WGS84); the center is their middle at CenterZoom.
	MinLon, MinLat, MaxLon, MaxLat float64
	CenterZoom                     uint8
}

// Writer builds an archive: tiles are added in ascending tile id (so the archive is clustered
// and identical neighbours share one run), held in a temporary file, and written out with the
// directory and metadata by Finish. Identical tile contents are stored once.
type Writer struct {
	opts    Options
	tmp     *os.File
	buf     *bufio.Writer
	size    uint64
	entries []Entry
	seen    map[[32]byte]Entry // content hash → where it is stored
	lastID  uint64
	added   uint64
}

// NewWriter starts an archive whose tile data waits in a temporary file in dir ("" for the
// system's).
func NewWriter(dir string, opts Options) (*Writer, error) {
	f, err := os.CreateTemp(dir, "pmtiles-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("pmtiles: %w", err)
	}
	_ = os.Remove(f.Name()) // unlinked now: gone with the process, whatever happens
	return &Writer{opts: opts, tmp: f, buf: bufio.NewWriterSize(f, 1<<20), seen: map[[32]byte]Entry{}}, nil
}

// Add stores the tile z/x/y; ids must ascend (TileID order). Empty tiles are not stored.
func (w *Writer) Add(z uint8, x, y uint32, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	id := TileID(z, x, y)
	if len(w.entries) > 0 && id <= w.lastID {
		return fmt.Errorf("pmtiles: tile %d/%d/%d added out of order (id %d after %d)", z, x, y, id, w.lastID)
	}
	w.lastID = id
	w.added++
	h := sha256.Sum256(data)
	if prev, ok := w.seen[h]; ok {
		last := &w.entries[len(w.entries)-1]
		if last.Offset == prev.Offset && last.TileID+uint64(last.RunLength) == id {
			last.RunLength++
			return nil
		}
		w.entries = append(w.entries, Entry{TileID: id, Offset: prev.Offset, Length: prev.Length, RunLength: 1})
		return nil
	}
	e := Entry{TileID: id, Offset: w.size, Length: uint32(len(data)), RunLength: 1}
	if _, err := w.buf.Write(data); err != nil {
		return fmt.Errorf("pmtiles: %w", err)
	}
	w.size += uint64(len(data))
	w.seen[h] = e
	w.entries = append(w.entries, e)
	return nil
}

// Tiles reports the tiles added (not counting empty ones) and the distinct contents stored.
func (w *Writer) Tiles() (addressed, contents int) { return int(w.added), len(w.seen) }

// Finish writes the archive to out, with metadata (any JSON value) gzipped, and releases the
// temporary file. The Writer cannot be used afterwards.
func (w *Writer) Finish(out io.Writer, metadata any) error {
	defer w.tmp.Close()
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("pmtiles: %w", err)
	}
	meta, err := json.Marshal(metadata)
	if err != nil {
		return fmt.Errorf("pmtiles: metadata: %w", err)
	}
	meta = gzipBytes(meta)
	root, leaves := buildDirectories(w.entries)
	o := w.opts
	h := Header{RootOffset: HeaderLen, RootLength: uint64(len(root)),
		InternalCompression: CompressionGzip, TileCompression: o.TileCompression, TileType: o.TileType,
		MinZoom: o.MinZoom, MaxZoom: o.MaxZoom, MinLon: o.MinLon, MinLat: o.MinLat, MaxLon: o.MaxLon, MaxLat: o.MaxLat,
		CenterZoom: o.CenterZoom, CenterLon: (o.MinLon + o.MaxLon) / 2, CenterLat: (o.MinLat + o.MaxLat) / 2,
		AddressedTiles: w.added, TileEntries: uint64(len(w.entries)), TileContents: uint64(len(w.seen)), Clustered: true}
	h.MetadataOffset = h.RootOffset + h.RootLength
	h.MetadataLength = uint64(len(meta))
	h.LeafOffset = h.MetadataOffset + h.MetadataLength
	h.LeafLength = uint64(len(leaves))
	h.DataOffset = h.LeafOffset + h.LeafLength
	h.DataLength = w.size
	for _, b := range [][]byte{h.Bytes(), root, meta, leaves} {
		if _, err := out.Write(b); err != nil {
			return fmt.Errorf("pmtiles: %w", err)
		}
	}
	if _, err := w.tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("pmtiles: %w", err)
	}
	if n, err := io.Copy(out, w.tmp); err != nil || uint64(n) != w.size {
		return fmt.Errorf("pmtiles: tile data: wrote %d of %d bytes: %v", n, w.size, err)
	}
	return nil
}

// buildDirectories returns the root directory and the leaf directories: all entries in the root
// when they fit in the first 16 KiB, otherwise leaves of a size that makes the root of leaf
// pointers fit (the reference writer's approach).
func buildDirectories(entries []Entry) (root, leaves []byte) {
	if root = encodeDirectory(entries); HeaderLen+len(root) <= rootBudget {
		return root, nil
	}
	for leafSize := max(4096, len(entries)/3500); ; leafSize += leafSize / 5 {
		var ptrs []Entry
		leaves = leaves[:0]
		for i := 0; i < len(entries); i += leafSize {
			leaf := encodeDirectory(entries[i:min(i+leafSize, len(entries))])
			ptrs = append(ptrs, Entry{TileID: entries[i].TileID, Offset: uint64(len(leaves)), Length: uint32(len(leaf))})
			leaves = append(leaves, leaf...)
		}
		if root = encodeDirectory(ptrs); HeaderLen+len(root) <= rootBudget {
			return root, leaves
		}
	}
}
