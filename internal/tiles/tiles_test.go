package tiles_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

func TestParseRequest(t *testing.T) {
	cases := []struct {
		name, layers, z, x, y, query string
		field                        string // "" = valid
		notFound                     bool
	}{
		{"valid", "omraden", "12", "2251", "1203", "", "", false},
		{"two layers", "omraden,h3", "5", "17", "9", "set=2023&from=2025-01-01&to=2025-12-31&category=ran,skjutning", "", false},
		{"z too big", "h3", "23", "0", "0", "", "z", false},
		{"x out of range", "h3", "2", "4", "0", "", "x", false},
		{"y negative", "h3", "2", "0", "-1", "", "y", false},
		{"leading zero", "h3", "05", "0", "0", "", "z", false},
		{"not a number", "h3", "z", "0", "0", "", "z", false},
		{"unknown layer", "nope", "1", "0", "0", "", "", true},
		{"layer twice", "h3,h3", "1", "0", "0", "", "layers", false},
		{"bad date", "h3", "1", "0", "0", "from=2025-02-30", "from", false},
		{"to before from", "h3", "1", "0", "0", "from=2025-02-03&to=2025-02-01", "to", false},
		{"unknown category", "h3", "1", "0", "0", "category=ran,nope", "category", false},
		{"unknown agency", "h3", "1", "0", "0", "agency=fbi", "agency", false},
		{"filter on boundary layer", "kommuner", "1", "0", "0", "from=2025-01-01", "from", false},
		{"set on h3", "h3", "1", "0", "0", "set=2025", "set", false},
		{"unknown field", "omraden", "1", "0", "0", "fields=name,secret", "fields", false},
		{"injection", "h3", "1", "0", "0", "category=ran%27%3B%20DROP%20TABLE%20incident", "category", false},
		{"repeated", "h3", "1", "0", "0", "from=2025-01-01&from=2025-01-02", "from", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.query)
			_, err := tiles.ParseRequest(tc.layers, tc.z, tc.x, tc.y, q)
			var ve *lagesbild.ValidationError
			switch {
			case tc.notFound:
				if !errors.Is(err, lagesbild.ErrNotFound) {
					t.Fatalf("err = %v, want not found", err)
				}
			case tc.field == "":
				if err != nil {
					t.Fatal(err)
				}
			case !errors.As(err, &ve) || ve.Field != tc.field:
				t.Fatalf("err = %v, want a validation error on %s", err, tc.field)
			}
		})
	}
}

func TestFiltersKeyIsCanonical(t *testing.T) {
	l, _ := tiles.LayerByName("h3")
	a, _ := url.ParseQuery("category=skjutning,ran&agency=pm")
	b, _ := url.ParseQuery("agency=pm&category=ran,skjutning,ran")
	fa, err1 := tiles.ParseFilters(a, []tiles.Layer{l})
	fb, err2 := tiles.ParseFilters(b, []tiles.Layer{l})
	if err1 != nil || err2 != nil || fa.Key() != fb.Key() {
		t.Fatalf("%q != %q (%v %v)", fa.Key(), fb.Key(), err1, err2)
	}
}

func TestCacheBoundedInBytes(t *testing.T) {
	c := tiles.NewCache(10_000)
	for i := range 100 {
		c.Add(fmt.Sprint(i), tiles.Tile{Gzip: make([]byte, 1000)})
	}
	if c.Bytes() > 10_000 || c.Len() == 0 {
		t.Fatalf("cache holds %d bytes in %d tiles", c.Bytes(), c.Len())
	}
	if _, ok := c.Get("99"); !ok {
		t.Error("the newest tile was evicted")
	}
	if _, ok := c.Get("0"); ok {
		t.Error("the oldest tile survived")
	}
}

type countingSource struct {
	calls atomic.Int64
	gate  chan struct{}
}

func (s *countingSource) Tile(ctx context.Context, layer string, z, x, y int, f tiles.Filters) ([]byte, error) {
	s.calls.Add(1)
	<-s.gate
	return []byte{0x1a, 0x00}, nil
}

type version struct{ v atomic.Int64 }

func (v *version) DataVersion(context.Context) (int64, error) { return v.v.Load(), nil }

// Concurrent requests for one missing tile render it once; a new data version renders again.
func TestSingleflightAndVersion(t *testing.T) {
	src := &countingSource{gate: make(chan struct{})}
	ver := &version{}
	svc := tiles.NewService(src, ver, 1<<20)
	svc.Versions.TTL = 0
	req, err := tiles.ParseRequest("h3", "3", "4", "2", url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	etags := make([]string, 8)
	for i := range 8 {
		wg.Go(func() {
			tile, err := svc.Get(context.Background(), req, "public")
			if err != nil {
				t.Error(err)
			}
			etags[i] = tile.ETag
		})
	}
	for src.calls.Load() == 0 {
		runtime.Gosched() // wait until the first render started, then let it finish
	}
	close(src.gate)
	wg.Wait()
	if n := src.calls.Load(); n != 1 {
		t.Errorf("rendered %d times for 8 concurrent requests", n)
	}
	for _, e := range etags[1:] {
		if e != etags[0] {
			t.Errorf("ETags differ: %v", etags)
		}
	}
	if _, err := svc.Get(context.Background(), req, "public"); err != nil || src.calls.Load() != 1 {
		t.Errorf("cached tile rendered again (%d)", src.calls.Load())
	}
	if _, err := svc.Get(context.Background(), req, "region-5300"); err != nil || src.calls.Load() != 2 {
		t.Errorf("another scope shared the cache entry (%d renders)", src.calls.Load())
	}
	ver.v.Store(2)
	tile, err := svc.Get(context.Background(), req, "public")
	if err != nil || src.calls.Load() != 3 || tile.ETag == etags[0] {
		t.Errorf("a new data version did not render a new tile (%d renders, etag %s)", src.calls.Load(), tile.ETag)
	}
}

// FuzzParseRequest holds ParseRequest to valid tiles or errors of a kind, and renders a sample
// of tiles against PostGIS through the HTTP handler, which must never answer 5xx: each accepted
// request, and one tile drawn from the input (the same input draws the same tile, so a failure
// reproduces), half of them around Sweden and the storage domain's edges, where the SQL runs and
// clips the envelope, half anywhere in the world (issue 17: 500s far from Sweden).
func FuzzParseRequest(f *testing.F) {
	db, _ := pgtest.New(f)
	// The handler's log is dropped: a fuzz target may not log through f, and a failure names
	// the request, which reproduces it.
	h := (&httpapi.Server{Areas: db, Ready: db, Features: db, Logger: slog.New(slog.DiscardHandler), Tiles: tiles.NewService(db, db, 8<<20)}).Handler()
	ctx := pgtest.National(context.Background())
	render := func(t *testing.T, path string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil).WithContext(ctx))
		switch rec.Code {
		case http.StatusOK, http.StatusNoContent, http.StatusNotModified, http.StatusBadRequest:
		default:
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
	}
	f.Add("omraden,h3", "5", "17", "9", "set=2023&from=2025-01-01&category=ran")
	f.Add("handelser", "14", "9006", "4812", "agency=pm,tv&fields=category")
	f.Add("h3", "0", "0", "0", "to=2025-02-01")
	f.Add("kommuner", "1", "1", "0", "")
	f.Add("omraden", "2", "3", "2", "")
	f.Add("lan,narvaro", "4", "12", "7", "from=2025-01-01")
	f.Fuzz(func(t *testing.T, layers, z, x, y, query string) {
		seed := fnv.New64a()
		for _, s := range []string{layers, z, x, y, query} {
			seed.Write([]byte(s))
			seed.Write([]byte{0})
		}
		rng := rand.New(rand.NewPCG(seed.Sum64(), 17))
		render(t, sampleTile(rng))

		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		r, err := tiles.ParseRequest(layers, z, x, y, q)
		if err != nil {
			if !errors.Is(err, lagesbild.ErrInvalid) && !errors.Is(err, lagesbild.ErrNotFound) {
				t.Fatalf("error of no kind: %v", err)
			}
			return
		}
		if r.Z < 0 || r.Z > tiles.MaxZoom || r.X < 0 || r.Y < 0 || r.X >= 1<<r.Z || r.Y >= 1<<r.Z || len(r.Layers) == 0 {
			t.Fatalf("accepted an invalid tile: %+v", r)
		}
		render(t, "/tiles/"+layers+"/"+z+"/"+x+"/"+y+".mvt?"+q.Encode())
	})
}

// sampleTile draws a tile path: a random layer or two, a zoom of 0–16 and a place, half the time
// in lon 0–36, lat 45–78 (Sweden, its neighbours and the storage domain's edges), else anywhere.
func sampleTile(rng *rand.Rand) string {
	l := tiles.Layers[rng.IntN(len(tiles.Layers))].Name
	if other := tiles.Layers[rng.IntN(len(tiles.Layers))].Name; other != l && rng.IntN(3) == 0 {
		l += "," + other
	}
	z := rng.IntN(17)
	n := 1 << z
	var x, y int
	if rng.IntN(2) == 0 {
		lon, lat := rng.Float64()*36, 45+rng.Float64()*33
		x = int((lon + 180) / 360 * float64(n))
		y = int((1 - math.Asinh(math.Tan(lat*math.Pi/180))/math.Pi) / 2 * float64(n))
	} else {
		x, y = rng.IntN(n), rng.IntN(n)
	}
	return fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", l, z, min(x, n-1), min(y, n-1))
}

type blockingSource struct{ cancelled chan struct{} }

func (s *blockingSource) Tile(ctx context.Context, layer string, z, x, y int, f tiles.Filters) ([]byte, error) {
	<-ctx.Done()
	close(s.cancelled)
	return nil, ctx.Err()
}

// A client that goes away cancels the query of a tile nobody else waits for.
func TestDisconnectCancelsRender(t *testing.T) {
	src := &blockingSource{cancelled: make(chan struct{})}
	svc := tiles.NewService(src, &version{}, 1<<20)
	req, _ := tiles.ParseRequest("h3", "3", "4", "2", url.Values{})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := svc.Get(ctx, req, "public"); errc <- err }()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Get after cancel: %v", err)
	}
	select {
	case <-src.cancelled:
	case <-time.After(2 * time.Minute): // a guard against a hang, not a timing assertion
		t.Fatal("the render was not cancelled when its only client left")
	}
}
