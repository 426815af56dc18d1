package pmtiles

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

// Reader reads an archive: the header, the metadata and tiles by z/x/y.
type Reader struct {
	r      io.ReaderAt
	Header Header
	root   []Entry
}

// Open reads the header and root directory of the archive in r.
func Open(r io.ReaderAt) (*Reader, error) {
	b := make([]byte, HeaderLen)
	if _, err := r.ReadAt(b, 0); err != nil {
		return nil, fmt.Errorf("pmtiles: header: %w", err)
	}
	h, err := ParseHeader(b)
	if err != nil {
		return nil, err
	}
	if h.InternalCompression != CompressionGzip {
		return nil, fmt.Errorf("pmtiles: internal compression %d is not supported (only gzip)", h.InternalCompression)
	}
	rd := &Reader{r: r, Header: h}
	if rd.root, err = rd.directory(h.RootOffset, h.RootLength); err != nil {
		return nil, err
	}
	return rd, nil
}

func (rd *Reader) read(off, n uint64) ([]byte, error) {
	if n > 64<<20 {
		return nil, fmt.Errorf("pmtiles: a section of %d bytes is too large", n)
	}
	b := make([]byte, n)
	if _, err := rd.r.ReadAt(b, int64(off)); err != nil {
		return nil, fmt.Errorf("pmtiles: read %d bytes at %d: %w", n, off, err)
	}
	return b, nil
}

func (rd *Reader) directory(off, n uint64) ([]Entry, error) {
	b, err := rd.read(off, n)
	if err != nil {
		return nil, err
	}
	return decodeDirectory(b)
}

// Metadata decodes the archive's JSON metadata into v.
func (rd *Reader) Metadata(v any) error {
	b, err := rd.read(rd.Header.MetadataOffset, rd.Header.MetadataLength)
	if err != nil {
		return err
	}
	if b, err = gunzip(b); err != nil {
		return fmt.Errorf("pmtiles: metadata: %w", err)
	}
	return json.Unmarshal(b, v)
}

// Tile returns the stored bytes of z/x/y (compressed as the header's TileCompression says), or
// nil when the archive has no such tile.
func (rd *Reader) Tile(z uint8, x, y uint32) ([]byte, error) {
	id := TileID(z, x, y)
	dir := rd.root
	for depth := 0; depth < 4; depth++ {
		i := sort.Search(len(dir), func(i int) bool { return dir[i].TileID > id }) - 1
		if i < 0 {
			return nil, nil
		}
		e := dir[i]
		if e.RunLength == 0 { // a leaf directory
			var err error
			if dir, err = rd.directory(rd.Header.LeafOffset+e.Offset, uint64(e.Length)); err != nil {
				return nil, err
			}
			continue
		}
		if id >= e.TileID+uint64(e.RunLength) {
			return nil, nil
		}
		return rd.read(rd.Header.DataOffset+e.Offset, uint64(e.Length))
	}
	return nil, fmt.Errorf("pmtiles: directories nested too deep")
}

// Entries returns every tile entry, leaf directories resolved, in tile id order.
func (rd *Reader) Entries() ([]Entry, error) {
	var out []Entry
	for _, e := range rd.root {
		if e.RunLength > 0 {
			out = append(out, e)
			continue
		}
		leaf, err := rd.directory(rd.Header.LeafOffset+e.Offset, uint64(e.Length))
		if err != nil {
			return nil, err
		}
		out = append(out, leaf...)
	}
	return out, nil
}
