// Package pmtiles writes and reads PMTiles version 3 archives
// (https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md): one file holding a tile
// pyramid, a Hilbert-ordered directory and JSON metadata, which MapLibre reads through the npm
// pmtiles package without a tile server, from a web server or from a file on a USB stick.
//
// It is written here rather than imported: protomaps/go-pmtiles, the reference implementation,
// keeps its format code in one package with its cloud bucket and server code, so importing it
// pulls in the AWS, Azure and Google Cloud SDKs and Caddy (about 300 more modules; +34 MB of binary,
// see docs/benchmarks.md). The format itself is small; this package is tested against the
// specification's tile ids and by the npm reader in the browser test.
package pmtiles

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
)

// HeaderLen is the length of the fixed header at the start of every archive.
const HeaderLen = 127

// rootBudget is the most bytes header and root directory may take: a reader fetches the first
// 16 KiB and must find the whole root there.
const rootBudget = 16384

// Compression values of the header.
const (
	CompressionUnknown = 0
	CompressionNone    = 1
	CompressionGzip    = 2
)

// TileTypeMVT is the header's tile type of Mapbox Vector Tiles.
const TileTypeMVT = 1

// Header is the fixed header of an archive (spec section 3).
type Header struct {
	RootOffset, RootLength         uint64
	MetadataOffset, MetadataLength uint64
	LeafOffset, LeafLength         uint64
	DataOffset, DataLength         uint64
	AddressedTiles, TileEntries    uint64
	TileContents                   uint64
	Clustered                      bool
	InternalCompression            uint8
	TileCompression                uint8
	TileType                       uint8
	MinZoom, MaxZoom               uint8
	// MinLon, MinLat, MaxLon, MaxLat bound the tiles in WGS84 degrees.
	MinLon, MinLat, MaxLon, MaxLat float64
	CenterZoom                     uint8
	CenterLon, CenterLat           float64
}

func e7(v float64) uint32 { return uint32(int32(math.Round(v * 1e7))) }

func fromE7(b []byte) float64 { return float64(int32(binary.LittleEndian.Uint32(b))) / 1e7 }

// Bytes serialises the header.
func (h Header) Bytes() []byte {
	b := make([]byte, HeaderLen)
	copy(b, "PMTiles")
	b[7] = 3
	le := binary.LittleEndian
	for i, v := range []uint64{h.RootOffset, h.RootLength, h.MetadataOffset, h.MetadataLength, h.LeafOffset, h.LeafLength,
		h.DataOffset, h.DataLength, h.AddressedTiles, h.TileEntries, h.TileContents} {
		le.PutUint64(b[8+8*i:], v)
	}
	if h.Clustered {
		b[96] = 1
	}
	b[97], b[98], b[99], b[100], b[101] = h.InternalCompression, h.TileCompression, h.TileType, h.MinZoom, h.MaxZoom
	le.PutUint32(b[102:], e7(h.MinLon))
	le.PutUint32(b[106:], e7(h.MinLat))
	le.PutUint32(b[110:], e7(h.MaxLon))
	le.PutUint32(b[114:], e7(h.MaxLat))
	b[118] = h.CenterZoom
	le.PutUint32(b[119:], e7(h.CenterLon))
	le.PutUint32(b[123:], e7(h.CenterLat))
	return b
}

// ParseHeader reads a header; it refuses anything but a version 3 archive.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen || string(b[:7]) != "PMTiles" {
		return Header{}, errors.New("pmtiles: not a PMTiles archive")
	}
	if b[7] != 3 {
		return Header{}, fmt.Errorf("pmtiles: version %d, want 3", b[7])
	}
	le := binary.LittleEndian
	var v [11]uint64
	for i := range v {
		v[i] = le.Uint64(b[8+8*i:])
	}
	return Header{RootOffset: v[0], RootLength: v[1], MetadataOffset: v[2], MetadataLength: v[3], LeafOffset: v[4], LeafLength: v[5],
		DataOffset: v[6], DataLength: v[7], AddressedTiles: v[8], TileEntries: v[9], TileContents: v[10],
		Clustered: b[96] == 1, InternalCompression: b[97], TileCompression: b[98], TileType: b[99], MinZoom: b[100], MaxZoom: b[101],
		MinLon: fromE7(b[102:]), MinLat: fromE7(b[106:]), MaxLon: fromE7(b[110:]), MaxLat: fromE7(b[114:]),
		CenterZoom: b[118], CenterLon: fromE7(b[119:]), CenterLat: fromE7(b[123:])}, nil
}

// TileID is the position of z/x/y (XYZ, y from the north) on the archive's Hilbert curve: the
// tiles of all lower zooms first, then the Hilbert index of x, y within zoom z.
func TileID(z uint8, x, y uint32) uint64 {
	id := (uint64(1)<<(2*uint(z)) - 1) / 3
	n := uint32(1) << z
	for s := n / 2; s > 0; s /= 2 {
		var rx, ry uint32
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		id += uint64(s) * uint64(s) * uint64((3*rx)^ry)
		x, y = rotate(n, x, y, rx, ry)
	}
	return id
}

// rotate turns a quadrant so the curve's sub-squares connect (the classic Hilbert rotation).
func rotate(n, x, y, rx, ry uint32) (uint32, uint32) {
	if ry == 0 {
		if rx == 1 {
			x, y = n-1-x, n-1-y
		}
		return y, x
	}
	return x, y
}

// ZXY is the inverse of TileID.
func ZXY(id uint64) (z uint8, x, y uint32) {
	z = uint8((bits.Len64(3*id+1) - 1) / 2)
	t := id - (uint64(1)<<(2*uint(z))-1)/3
	n := uint32(1) << z
	for s := uint32(1); s < n; s *= 2 {
		rx := uint32(1 & (t / 2))
		ry := uint32(1 & (t ^ uint64(rx)))
		x, y = rotate(s, x, y, rx, ry)
		x += s * rx
		y += s * ry
		t /= 4
	}
	return z, x, y
}

// Entry is one directory entry: RunLength consecutive tile ids from TileID share the bytes at
// Offset (within the tile data), or, with RunLength 0, a leaf directory at Offset (within the
// leaf directories).
type Entry struct {
	TileID    uint64
	Offset    uint64
	Length    uint32
	RunLength uint32
}

// encodeDirectory serialises entries (sorted by TileID) as the spec's columns of varints,
// gzipped.
func encodeDirectory(entries []Entry) []byte {
	var raw []byte
	raw = binary.AppendUvarint(raw, uint64(len(entries)))
	last := uint64(0)
	for _, e := range entries {
		raw = binary.AppendUvarint(raw, e.TileID-last)
		last = e.TileID
	}
	for _, e := range entries {
		raw = binary.AppendUvarint(raw, uint64(e.RunLength))
	}
	for _, e := range entries {
		raw = binary.AppendUvarint(raw, uint64(e.Length))
	}
	for i, e := range entries {
		if i > 0 && e.Offset == entries[i-1].Offset+uint64(entries[i-1].Length) {
			raw = binary.AppendUvarint(raw, 0) // contiguous with the previous entry
		} else {
			raw = binary.AppendUvarint(raw, e.Offset+1)
		}
	}
	return gzipBytes(raw)
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(zr, 256<<20))
}

// decodeDirectory is the inverse of encodeDirectory.
func decodeDirectory(b []byte) ([]Entry, error) {
	raw, err := gunzip(b)
	if err != nil {
		return nil, fmt.Errorf("pmtiles: directory: %w", err)
	}
	r := bytes.NewReader(raw)
	n, err := binary.ReadUvarint(r)
	if err != nil || n > uint64(len(raw)) {
		return nil, errors.New("pmtiles: directory: bad entry count")
	}
	entries := make([]Entry, n)
	var last uint64
	for i := range entries {
		d, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, errors.New("pmtiles: directory: truncated tile ids")
		}
		last += d
		entries[i].TileID = last
	}
	for _, col := range []func(*Entry, uint64){
		func(e *Entry, v uint64) { e.RunLength = uint32(v) },
		func(e *Entry, v uint64) { e.Length = uint32(v) },
	} {
		for i := range entries {
			v, err := binary.ReadUvarint(r)
			if err != nil || v > math.MaxUint32 {
				return nil, errors.New("pmtiles: directory: truncated")
			}
			col(&entries[i], v)
		}
	}
	for i := range entries {
		v, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, errors.New("pmtiles: directory: truncated offsets")
		}
		if v == 0 && i > 0 {
			entries[i].Offset = entries[i-1].Offset + uint64(entries[i-1].Length)
		} else if v == 0 {
			return nil, errors.New("pmtiles: directory: first offset is relative")
		} else {
			entries[i].Offset = v - 1
		}
	}
	return entries, nil
}
