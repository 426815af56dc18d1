package export

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/pmtiles"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// Tiles renders tiles exactly as the API serves them.
type Tiles interface {
	Get(ctx context.Context, req tiles.Request, scope string) (tiles.Tile, error)
	DataVersion(ctx context.Context) (int64, error)
}

// renderWorkers is how many tiles are rendered at once.
const renderWorkers = 4

// TileXY is one tile of a pyramid (XYZ, y from the north).
type TileXY struct {
	Z    uint8
	X, Y uint32
}

// Pyramid lists the tiles of zooms minZoom..maxZoom that cover box, in PMTiles tile id order.
// More than maxTiles is an error naming the count.
func Pyramid(box lagesbild.BBox, minZoom, maxZoom, maxTiles int) ([]TileXY, error) {
	if minZoom < 0 || maxZoom > 16 || minZoom > maxZoom {
		return nil, lagesbild.Invalid("zoom", "%d-%d is not a range within 0-16", minZoom, maxZoom)
	}
	var out []TileXY
	n := 0
	for z := minZoom; z <= maxZoom; z++ {
		x0, y0 := lonLatTile(box.MinLon, box.MaxLat, z)
		x1, y1 := lonLatTile(box.MaxLon, box.MinLat, z)
		n += (x1 - x0 + 1) * (y1 - y0 + 1)
		if n > maxTiles {
			continue // count the rest for the message
		}
		for x := x0; x <= x1; x++ {
			for y := y0; y <= y1; y++ {
				out = append(out, TileXY{uint8(z), uint32(x), uint32(y)})
			}
		}
	}
	if n > maxTiles {
		return nil, lagesbild.Invalid("zoom", "zooms %d-%d over this scope are %d tiles, more than %d: lower the highest zoom or raise --max-tiles", minZoom, maxZoom, n, maxTiles)
	}
	slices.SortFunc(out, func(a, b TileXY) int {
		ia, ib := pmtiles.TileID(a.Z, a.X, a.Y), pmtiles.TileID(b.Z, b.X, b.Y)
		if ia < ib {
			return -1
		}
		return 1
	})
	return out, nil
}

// lonLatTile is the tile of zoom z holding lon, lat (Web Mercator, clamped to its square).
func lonLatTile(lon, lat float64, z int) (x, y int) {
	n := float64(int(1) << z)
	lat = math.Max(-85.0511, math.Min(85.0511, lat))
	fx := (lon + 180) / 360 * n
	r := lat * math.Pi / 180
	fy := (1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n
	clamp := func(v float64) int { return int(math.Max(0, math.Min(n-1, math.Floor(v)))) }
	return clamp(fx), clamp(fy)
}

// PMTiles writes the caller's tiles of the scope to path as a PMTiles archive: layers omraden
// (list req.Set), kommuner, lan, polisregioner, h3 (counts of the period, small counts
// suppressed, no finer than the caller's limit) and narvaro (offices, and the operations of the
// period), as the caller's tile requests would return them.
func PMTiles(ctx context.Context, ts Tiles, store Store, req Request, path string) (Report, error) {
	tmp, err := tempPath(path)
	if err != nil {
		return Report{}, err
	}
	if req.MaxTiles == 0 {
		req.MaxTiles = 50000
	}
	ctx, m, err := begin(ctx, store, &req, "pmtiles")
	if err != nil {
		return Report{}, err
	}
	m.MinZoom, m.MaxZoom = req.MinZoom, req.MaxZoom
	box := lagesbild.BBox{MinLon: m.BBox[0], MinLat: m.BBox[1], MaxLon: m.BBox[2], MaxLat: m.BBox[3]}
	pyramid, err := Pyramid(box, req.MinZoom, req.MaxZoom, req.MaxTiles)
	if err != nil {
		return Report{}, err
	}
	if m.DataVersion, err = ts.DataVersion(ctx); err != nil {
		return Report{}, fmt.Errorf("export: %w", err)
	}
	var layers []tiles.Layer
	for _, name := range m.Layers {
		l, _ := tiles.LayerByName(name)
		layers = append(layers, l)
	}
	filters := tiles.Filters{Set: req.Set, From: req.From, To: req.To, MaxRes: req.Identity.MaxRes}
	center := max(req.MinZoom, min(req.MaxZoom, 10))
	w, err := pmtiles.NewWriter(filepath.Dir(path), pmtiles.Options{TileType: pmtiles.TileTypeMVT, TileCompression: pmtiles.CompressionGzip,
		MinZoom: uint8(req.MinZoom), MaxZoom: uint8(req.MaxZoom), MinLon: box.MinLon, MinLat: box.MinLat, MaxLon: box.MaxLon, MaxLat: box.MaxLat,
		CenterZoom: uint8(center)})
	if err != nil {
		return Report{}, err
	}
	if err := renderAll(ctx, ts, pyramid, layers, filters, req.Identity.CacheKey(), w); err != nil {
		_ = w.Finish(discard{}, nil)
		return Report{}, err
	}
	f, err := os.Create(tmp)
	if err != nil {
		return Report{}, fmt.Errorf("export: %w", err)
	}
	bw := bufio.NewWriter(f)
	err = w.Finish(bw, tileJSON(m, layers))
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return Report{}, fmt.Errorf("export: %w", err)
	}
	rep := Report{Metadata: m}
	rep.Tiles, rep.TileContents = w.Tiles()
	return rep, publish(ctx, store, req, tmp, path, &rep)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// renderAll renders the pyramid in chunks, several tiles at a time, and adds them in order.
func renderAll(ctx context.Context, ts Tiles, pyramid []TileXY, layers []tiles.Layer, f tiles.Filters, scope string, w *pmtiles.Writer) error {
	const chunk = 64
	for start := 0; start < len(pyramid); start += chunk {
		part := pyramid[start:min(start+chunk, len(pyramid))]
		out := make([][]byte, len(part))
		errs := make([]error, len(part))
		var wg sync.WaitGroup
		next := make(chan int)
		for range renderWorkers {
			wg.Go(func() {
				for i := range next {
					t := part[i]
					tile, err := ts.Get(ctx, tiles.Request{Layers: layers, Z: int(t.Z), X: int(t.X), Y: int(t.Y), Filters: f}, scope)
					out[i], errs[i] = tile.Gzip, err
				}
			})
		}
		for i := range part {
			next <- i
		}
		close(next)
		wg.Wait()
		for i, t := range part {
			if errs[i] != nil {
				return fmt.Errorf("export: tile %d/%d/%d: %w", t.Z, t.X, t.Y, errs[i])
			}
			if err := w.Add(t.Z, t.X, t.Y, out[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// tileJSON is the archive's metadata: TileJSON's members (vector_layers with their fields, so
// a style can be written against it) and the export's own under "lagesbild".
func tileJSON(m Metadata, layers []tiles.Layer) map[string]any {
	var vls []map[string]any
	var attribution []string
	for _, l := range layers {
		fields := map[string]string{}
		for _, f := range l.Fields {
			fields[f.Name] = f.Type
		}
		vls = append(vls, map[string]any{"id": l.Name, "description": l.Description, "minzoom": max(l.MinZoom, m.MinZoom),
			"maxzoom": min(l.MaxZoom, m.MaxZoom), "fields": fields})
		if !slices.Contains(attribution, l.Attribution) {
			attribution = append(attribution, l.Attribution)
		}
	}
	desc := fmt.Sprintf("Lägesbild-export för %s (%s), exporterad %s", m.ScopeLabel, m.Scope, m.ExportedAt.Format("2006-01-02 15:04 MST"))
	if m.Synthetic {
		desc += ". Innehåller syntetiska demodata"
	}
	return map[string]any{"name": "Lägesbild " + m.ScopeLabel, "description": desc, "attribution": strings.Join(attribution, "; "),
		"type": "overlay", "format": "pbf", "vector_layers": vls, "lagesbild": m}
}
