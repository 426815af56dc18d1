// Package load is a bounded load generator for a Lägesbild server on this machine: a fixed number
// of clients replay a mix of what analysts and GIS tools do — map journeys over vector tiles, the
// list of areas, area summaries, OGC API items, logins — for a fixed time, and the report gives
// throughput, latency percentiles and errors per endpoint. It sends traffic only to loopback
// addresses and stops by itself.
//
// Two user models: with Config.Think > 0 each client is an analyst's browser session, which
// fetches a journey's tiles a few at a time on connections of its own (as a browser does over
// HTTP/1.1) and pauses after every step for a think time drawn from an exponential distribution
// with that mean; with Think = 0 the clients form a closed loop without pauses, which measures the
// capacity of the machine (every latency is then mostly queueing).
package load

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// Account is a user the clients log in as.
type Account struct {
	Username, Password string
}

// Config sets up a run.
type Config struct {
	// Base is the server's address (http://127.0.0.1:PORT/); only loopback is accepted.
	Base string
	// Accounts are the identities the clients share: each client keeps the session of one,
	// and the login client logs in as each in turn.
	Accounts []Account
	Clients  int
	Duration time.Duration
	// Tiles are z/x/y lines, walked in order as map journeys.
	Tiles []string
	// TileLayers is the layer list of the tile URLs (default h3,handelser).
	TileLayers string
	// LoginEvery is the interval between two logins of the login client; the server limits
	// logins per client address and user (10 a minute), so it stays below that.
	LoginEvery time.Duration
	// Warm requests every tile once per account before the run, so the run measures cached
	// tiles, and first the list of summaries once per account, as an analyst who opened the
	// side table before (the warm-up pass is reported on its own).
	Warm bool
	// Collections are the OGC API collections whose items the clients read (default
	// omraden-2025 and h3-r7, half each).
	Collections []string
	// Think is the mean of a client's pause after each step (exponentially distributed, and
	// before its first step, so that the sessions do not start in step); 0: no pause, a closed
	// loop that saturates the server.
	Think time.Duration
	// Parallel is how many tiles of a journey a client fetches at a time, each client on
	// keep-alive connections of its own; 0: 6 (a browser's connections per host over HTTP/1.1)
	// with think time, 1 without (the clients then share one connection pool, as before the
	// think time existed, so saturation runs compare with the earlier ones).
	Parallel int
	// Sample, when set, is called every second during the run (for the server's RSS).
	Sample func()
	Logf   func(format string, args ...any)
}

// Endpoint is what one kind of request measured.
type Endpoint struct {
	Name      string
	Latencies []time.Duration
	Errors    int // responses other than 2xx/304, and transport errors
	Status5xx int
	Transport int // transport errors (no response)
	Bytes     int64
}

// Report is the outcome of a run.
type Report struct {
	Warmup        *Endpoint
	WarmupLists   *Endpoint // the lists of summaries of the warm-up
	WarmupElapsed time.Duration
	Endpoints     []*Endpoint
	Elapsed       time.Duration
	Clients       int
	Think         time.Duration
	Parallel      int
	// Offered is the request rate the clients would send if every response came at once (their
	// think time alone paces them); 0 without think time, when the clients send as fast as
	// they are answered.
	Offered float64
}

// requestsPerStep is the mean number of requests of one step of the mix.
func requestsPerStep() float64 {
	n := 0.0
	for _, m := range mix {
		k := 1.0
		if m.name == "journey" {
			k = journeyTiles
		}
		n += float64(m.weight) / 100 * k
	}
	return n
}

// mix is the share of each scenario in a client's loop (per cent).
var mix = []struct {
	name   string
	weight int
}{
	{"journey", 55}, // 8 tiles of a pan/zoom over Stockholm
	{"areas", 10},   // the list of areas of the newest set, or the sets
	{"summaries", 8},
	{"area-summary", 7},
	{"ogc-items", 20},
}

type recorder struct {
	mu  sync.Mutex
	eps map[string]*Endpoint
}

func (r *recorder) add(name string, d time.Duration, status int, n int64, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.eps[name]
	if e == nil {
		e = &Endpoint{Name: name}
		r.eps[name] = e
	}
	e.Latencies = append(e.Latencies, d)
	e.Bytes += n
	switch {
	case err != nil:
		e.Errors++
		e.Transport++
	case status >= 500:
		e.Errors++
		e.Status5xx++
	case status >= 400:
		e.Errors++
	}
}

// client is one simulated user: a cookie jar with one account's session.
type client struct {
	http     *http.Client
	parallel int // tiles of a journey at a time
	base     string
	rec      *recorder
	rng      *rand.Rand
	areaIDs  []string
	account  Account
}

func (c *client) do(ctx context.Context, name, method, path string, body []byte) (int, []byte) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+strings.TrimPrefix(path, "/"), rd)
	if err != nil {
		c.rec.add(name, 0, 0, 0, err)
		return 0, nil
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept-Encoding", "gzip")
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() == nil { // a request cut by the end of the run is not an error
			c.rec.add(name, time.Since(start), 0, 0, err)
		}
		return 0, nil
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ctx.Err() != nil {
		return 0, nil
	}
	c.rec.add(name, time.Since(start), resp.StatusCode, int64(len(b)), err)
	if err == nil && resp.Header.Get("Content-Encoding") == "gzip" {
		// The transport does not decompress (the load asks for gzip itself, as browsers do, and
		// counts the bytes on the wire); the callers that read the body get it decompressed.
		b, err = gunzip(b)
		if err != nil {
			return 0, nil
		}
	}
	return resp.StatusCode, b
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

func (c *client) login(ctx context.Context, name string) error {
	body, _ := json.Marshal(map[string]string{"username": c.account.Username, "password": c.account.Password})
	code, b := c.do(ctx, name, http.MethodPost, "api/v1/session", body)
	if code != http.StatusOK {
		return fmt.Errorf("load: login as %s: status %d: %.200s", c.account.Username, code, b)
	}
	return nil
}

// areas reads the ids of the areas of the newest list this client may see.
func (c *client) areas(ctx context.Context) error {
	code, b := c.do(ctx, "areas", http.MethodGet, "api/v1/areas?set=2025", nil)
	if code != http.StatusOK {
		return fmt.Errorf("load: areas as %s: status %d", c.account.Username, code)
	}
	var fc struct {
		Features []struct {
			ID         any `json:"id"`
			Properties struct {
				ID string `json:"id"`
			} `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return fmt.Errorf("load: areas: %w", err)
	}
	for _, f := range fc.Features {
		id := f.Properties.ID
		if id == "" {
			id = fmt.Sprint(f.ID)
		}
		c.areaIDs = append(c.areaIDs, id)
	}
	if len(c.areaIDs) == 0 {
		return fmt.Errorf("load: %s sees no area of the 2025 list", c.account.Username)
	}
	return nil
}

// journeyTiles is the number of tiles of one map journey (a pan or zoom over Stockholm).
const journeyTiles = 8

// think pauses for an exponentially distributed time of mean d (at most ten times d), or until
// ctx is done.
func think(ctx context.Context, rng *rand.Rand, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(min(time.Duration(rng.ExpFloat64()*float64(d)), 10*d))
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// bboxes are OGC item windows: the Stockholm, Göteborg and Malmö regions and the whole country.
var bboxes = []string{"17.6,59.2,18.3,59.5", "11.8,57.6,12.2,57.8", "12.9,55.5,13.1,55.65", "10.9,55.3,24.2,69.1"}

func (c *client) step(ctx context.Context, tiles []string, layers string, collections []string) {
	n := c.rng.IntN(100)
	scenario := mix[len(mix)-1].name
	for _, m := range mix {
		if n < m.weight {
			scenario = m.name
			break
		}
		n -= m.weight
	}
	switch scenario {
	case "journey":
		start := c.rng.IntN(len(tiles))
		if c.parallel <= 1 {
			for i := range journeyTiles {
				if ctx.Err() != nil {
					return
				}
				c.do(ctx, "tile", http.MethodGet, "tiles/"+layers+"/"+tiles[(start+i)%len(tiles)]+".mvt", nil)
			}
			return
		}
		// A browser asks for the tiles of the new view at once and its connection limit per
		// host lets parallel of them out at a time.
		sem := make(chan struct{}, c.parallel)
		var wg sync.WaitGroup
		for i := range journeyTiles {
			sem <- struct{}{}
			if ctx.Err() != nil {
				<-sem
				break
			}
			path := "tiles/" + layers + "/" + tiles[(start+i)%len(tiles)] + ".mvt"
			wg.Go(func() {
				defer func() { <-sem }()
				c.do(ctx, "tile", http.MethodGet, path, nil)
			})
		}
		wg.Wait()
	case "areas":
		if c.rng.IntN(2) == 0 {
			c.do(ctx, "areas", http.MethodGet, "api/v1/areas?set=2025", nil)
		} else {
			c.do(ctx, "area-sets", http.MethodGet, "api/v1/area-sets", nil)
		}
	case "summaries":
		c.do(ctx, "summaries", http.MethodGet, "api/v1/summaries?set=2025", nil)
	case "area-summary":
		c.do(ctx, "area-summary", http.MethodGet, "api/v1/areas/"+url.PathEscape(c.areaIDs[c.rng.IntN(len(c.areaIDs))])+"/summary", nil)
	case "ogc-items":
		bbox := bboxes[c.rng.IntN(len(bboxes))]
		coll := collections[c.rng.IntN(len(collections))]
		c.do(ctx, "ogc-items", http.MethodGet, "ogc/collections/"+coll+"/items?limit=100&bbox="+bbox, nil)
	}
}

// CheckLoopback refuses any base URL whose host is not a loopback address.
func CheckLoopback(base string) error {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("load: %q is not an http:// URL", base)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("load: %s is not a loopback address: load is sent to this machine only", host)
	}
	return nil
}

// Run runs the load and returns what it measured.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := CheckLoopback(cfg.Base); err != nil {
		return nil, err
	}
	if !strings.HasSuffix(cfg.Base, "/") {
		cfg.Base += "/"
	}
	if cfg.Clients <= 0 || cfg.Duration <= 0 || cfg.Duration > 10*time.Minute || len(cfg.Accounts) == 0 || len(cfg.Tiles) == 0 {
		return nil, errors.New("load: need clients, a duration up to 10 minutes, accounts and tiles")
	}
	if cfg.TileLayers == "" {
		cfg.TileLayers = "h3,handelser"
	}
	if len(cfg.Collections) == 0 {
		cfg.Collections = []string{"omraden-2025", "h3-r7"}
	}
	if cfg.LoginEvery == 0 {
		cfg.LoginEvery = 2500 * time.Millisecond
	}
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	transport := &http.Transport{MaxIdleConnsPerHost: cfg.Clients + 1, MaxConnsPerHost: cfg.Clients + 1,
		IdleConnTimeout: 30 * time.Second, DisableCompression: true, Proxy: nil}
	defer transport.CloseIdleConnections()
	newClient := func(rec *recorder, a Account, seed uint64) *client {
		jar, _ := cookiejar.New(nil)
		return &client{http: &http.Client{Transport: transport, Jar: jar, Timeout: 30 * time.Second},
			base: cfg.Base, rec: rec, account: a, rng: rand.New(rand.NewPCG(seed, 7))}
	}

	// One session per account, shared by that account's clients (tabs of one analyst).
	setup := &recorder{eps: map[string]*Endpoint{}}
	sessions := make([]*client, len(cfg.Accounts))
	for i, a := range cfg.Accounts {
		c := newClient(setup, a, uint64(i))
		if err := c.login(ctx, "setup"); err != nil {
			return nil, err
		}
		if err := c.areas(ctx); err != nil {
			return nil, err
		}
		sessions[i] = c
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 1
		if cfg.Think > 0 {
			cfg.Parallel = 6
		}
	}
	rep := &Report{Clients: cfg.Clients, Think: cfg.Think, Parallel: cfg.Parallel}
	if cfg.Think > 0 {
		rep.Offered = float64(cfg.Clients-1)*requestsPerStep()/cfg.Think.Seconds() + 2/cfg.LoginEvery.Seconds()
	}
	if cfg.Warm {
		warm := &recorder{eps: map[string]*Endpoint{}}
		logf("warm-up: the list of summaries, then %d tiles × %d accounts, 4 at a time", len(cfg.Tiles), len(sessions))
		warmStart := time.Now()
		var lists sync.WaitGroup
		for _, s := range sessions {
			c := &client{http: s.http, base: s.base, rec: warm, account: s.account}
			lists.Go(func() { c.do(ctx, "summaries (cold, warm-up)", http.MethodGet, "api/v1/summaries?set=2025", nil) })
		}
		lists.Wait()
		var wg sync.WaitGroup
		work := make(chan [2]int)
		for range 4 {
			wg.Go(func() {
				for w := range work {
					s := sessions[w[0]]
					c := &client{http: s.http, base: s.base, rec: warm, account: s.account}
					c.do(ctx, "tile (cold, warm-up)", http.MethodGet, "tiles/"+cfg.TileLayers+"/"+cfg.Tiles[w[1]]+".mvt", nil)
				}
			})
		}
		for a := range sessions {
			for i := range cfg.Tiles {
				if ctx.Err() == nil {
					work <- [2]int{a, i}
				}
			}
		}
		close(work)
		wg.Wait()
		rep.Warmup, rep.WarmupElapsed = warm.eps["tile (cold, warm-up)"], time.Since(warmStart)
		rep.WarmupLists = warm.eps["summaries (cold, warm-up)"]
	}
	logf("run: %d clients for %s after a warm-up of %.1f s", cfg.Clients, cfg.Duration, rep.WarmupElapsed.Seconds())

	rec := &recorder{eps: map[string]*Endpoint{}}
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	var loginFailures atomic.Int64
	for i := range cfg.Clients {
		if i == 0 {
			// The login client: a fresh login (and /me, as the page does) every LoginEvery.
			wg.Go(func() {
				for n := 0; runCtx.Err() == nil; n++ {
					c := newClient(rec, cfg.Accounts[n%len(cfg.Accounts)], 1000)
					if c.login(runCtx, "login") != nil && runCtx.Err() == nil {
						loginFailures.Add(1)
					}
					c.do(runCtx, "me", http.MethodGet, "api/v1/me", nil)
					select {
					case <-runCtx.Done():
					case <-time.After(cfg.LoginEvery):
					}
				}
			})
			continue
		}
		s := sessions[i%len(sessions)]
		c := &client{http: s.http, base: s.base, rec: rec, account: s.account, areaIDs: s.areaIDs,
			rng: rand.New(rand.NewPCG(uint64(i), 11)), parallel: cfg.Parallel}
		if cfg.Think > 0 {
			// A browser of its own: its own keep-alive connections (at most Parallel), the
			// account's session cookie.
			t := &http.Transport{MaxIdleConnsPerHost: cfg.Parallel, MaxConnsPerHost: cfg.Parallel,
				IdleConnTimeout: 30 * time.Second, DisableCompression: true, Proxy: nil}
			defer t.CloseIdleConnections()
			c.http = &http.Client{Transport: t, Jar: s.http.Jar, Timeout: 30 * time.Second}
		}
		wg.Go(func() {
			think(runCtx, c.rng, cfg.Think) // sessions start spread out, not all at once
			for runCtx.Err() == nil {
				c.step(runCtx, cfg.Tiles, cfg.TileLayers, cfg.Collections)
				think(runCtx, c.rng, cfg.Think)
			}
		})
	}
	if cfg.Sample != nil {
		wg.Go(func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				cfg.Sample()
				select {
				case <-runCtx.Done():
					return
				case <-t.C:
				}
			}
		})
	}
	wg.Wait()
	rep.Elapsed = time.Since(start)
	for _, e := range rec.eps {
		rep.Endpoints = append(rep.Endpoints, e)
	}
	sort.Slice(rep.Endpoints, func(i, j int) bool { return rep.Endpoints[i].Name < rep.Endpoints[j].Name })
	if n := loginFailures.Load(); n > 0 {
		logf("%d logins failed", n)
	}
	return rep, nil
}

// Percentile returns the q-quantile (0..1) of sorted durations (nearest rank).
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Write prints the report as a table.
func (r *Report) Write(w io.Writer) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "endpoint\trequests\treq/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\terrors\t5xx\t\n")
	row := func(e *Endpoint, secs float64) {
		l := slices.Clone(e.Latencies)
		slices.Sort(l)
		ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%d\t%d\t\n", e.Name, len(l), float64(len(l))/secs,
			ms(Percentile(l, .5)), ms(Percentile(l, .9)), ms(Percentile(l, .99)), ms(Percentile(l, 1)), e.Errors, e.Status5xx)
	}
	total := &Endpoint{Name: "all"}
	secs := r.Elapsed.Seconds()
	for _, e := range r.Endpoints {
		row(e, secs)
		total.Latencies = append(total.Latencies, e.Latencies...)
		total.Errors += e.Errors
		total.Status5xx += e.Status5xx
	}
	row(total, secs)
	if r.WarmupLists != nil {
		row(r.WarmupLists, r.WarmupElapsed.Seconds())
	}
	if r.Warmup != nil {
		row(r.Warmup, r.WarmupElapsed.Seconds())
	}
	tw.Flush()
	fmt.Fprintf(w, "%d clients for %.1f s\n", r.Clients, secs)
	achieved := float64(len(total.Latencies)) / secs
	if r.Think > 0 {
		fmt.Fprintf(w, "think time: exponential, mean %s; %d tiles at a time per client\n", r.Think, r.Parallel)
		fmt.Fprintf(w, "throughput: offered %.0f req/s (if every answer came at once), achieved %.0f req/s (%.0f %%)\n",
			r.Offered, achieved, 100*achieved/r.Offered)
	} else {
		fmt.Fprintf(w, "think time: none (closed loop, saturation); throughput: achieved %.0f req/s, offered: as fast as answered\n", achieved)
	}
}

// ReadTiles reads a tile list: one z/x/y a line, # comments and blank lines skipped.
func ReadTiles(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var z, x, y int
		if _, err := fmt.Sscanf(line, "%d/%d/%d", &z, &x, &y); err != nil {
			return nil, fmt.Errorf("%s:%d: %q is not z/x/y", path, n, line)
		}
		out = append(out, fmt.Sprintf("%d/%d/%d", z, x, y))
	}
	return out, sc.Err()
}
