package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/export"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// seedLayers are the tile sources the web map requests one by one: the boundaries unfiltered,
// h3 and narvaro with the period.
var seedLayers = []string{"kommuner", "lan", "polisregioner", "h3", "narvaro"}

func cmdTiles(ctx context.Context, cfg config, logger *slog.Logger, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "seed" {
		fmt.Fprintln(stderr, "usage: lagesbild tiles seed --zoom 5-12 (--role R --scope S | LAGESBILD_TOKEN) [--url URL] [--layers L] [--from D --to D]")
		return errUsage
	}
	return cmdTilesSeed(ctx, cfg, logger, args[1:], getenv, stdout, stderr)
}

// cmdTilesSeed warms a running server's tile cache for one scope: it requests, as that caller,
// every tile the web map would request over the scope's extent at the given zooms, with the
// default period the map starts with. The cache is the server's own (in its process), so the
// tiles go through its HTTP API like any client's; with --role and --scope a token of that role
// and scope is created for the run (an hour at most) and revoked at its end.
func cmdTilesSeed(ctx context.Context, cfg config, logger *slog.Logger, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flags("tiles seed", stderr)
	caller := addCallerFlags(fs)
	zoom := fs.String("zoom", "5-12", "zoom levels")
	base := fs.String("url", "http://"+cfg.Addr+"/", "the running service")
	layerList := fs.String("layers", strings.Join(seedLayers, ","), "tile layers, each requested on its own as the map does")
	from := fs.String("from", "", "period of h3 and narvaro (default: the service's default period, as the map uses)")
	to := fs.String("to", "", "last day of the period")
	workers := fs.Int("concurrency", 4, "requests at once (1-16)")
	maxTiles := fs.Int("max-tiles", 100000, "refuse more tiles per layer")
	if err := parse(fs, args); err != nil {
		return err
	}
	lo, hi, err := parseZoom(*zoom)
	if err != nil {
		return err
	}
	if *workers < 1 || *workers > 16 {
		return fmt.Errorf("tiles seed: --concurrency %d is outside 1-16: %w", *workers, errUsage)
	}
	var layers []string
	for _, l := range strings.Split(*layerList, ",") {
		l = strings.TrimSpace(l)
		if _, ok := tiles.LayerByName(l); !ok || l == "handelser" || l == "omraden" {
			return fmt.Errorf("tiles seed: --layers: %q is not one of %s: %w", l, strings.Join(seedLayers, ", "), errUsage)
		}
		layers = append(layers, l)
	}
	u, err := url.Parse(*base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("tiles seed: --url %q is not an http(s) URL: %w", *base, errUsage)
	}
	db, err := openDatabase(ctx, cfg, logger, false)
	if err != nil {
		return err
	}
	defer db.close(ctx, false, logger)
	svc := auth.NewService(db, false)
	id, err := caller.identity(ctx, svc, getenv)
	if err != nil {
		return err
	}
	token := strings.TrimSpace(getenv("LAGESBILD_TOKEN"))
	if *caller.role != "" {
		// A token of exactly this role and scope, so the server caches the tiles under the key
		// its users of that role and scope have.
		plain, t, err := svc.CreateToken(ctx, auth.TokenRequest{Name: "tiles seed", Role: id.Role, Scope: id.Scope.String(), Expires: "1h", CreatedBy: cliIdentity()})
		if err != nil {
			return fmt.Errorf("tiles seed: %w", err)
		}
		if err := auditCLI(ctx, db, "admin", fmt.Sprintf("token/%d", t.ID), map[string]any{"op": "create", "for": "tiles seed", "role": string(t.Role), "scope": t.Scope.String()}); err != nil {
			return err
		}
		defer func() {
			if err := svc.RevokeToken(context.WithoutCancel(ctx), t.ID); err != nil {
				logger.Error("tiles seed: revoking the seed token", "token", t.ID, "err", err)
				return
			}
			_ = auditCLI(context.WithoutCancel(ctx), db, "admin", fmt.Sprintf("token/%d", t.ID), map[string]any{"op": "revoke", "for": "tiles seed"})
		}()
		token = plain
	}
	box, _, err := db.ScopeExtent(auth.WithIdentity(ctx, id))
	if err != nil {
		return fmt.Errorf("tiles seed: %w", err)
	}
	pyramid, err := export.Pyramid(box, lo, hi, *maxTiles)
	if err != nil {
		return fmt.Errorf("tiles seed: %w", err)
	}
	client := &http.Client{Timeout: 60 * time.Second}
	q := url.Values{}
	if *from != "" || *to != "" {
		if _, err := parseDay("from", *from); err != nil {
			return err
		}
		if _, err := parseDay("to", *to); err != nil {
			return err
		}
		q.Set("from", *from)
		q.Set("to", *to)
	} else {
		var p struct{ From, To string }
		if err := getSeedJSON(ctx, client, u.JoinPath("api/v1/period").String(), token, &p); err != nil {
			return fmt.Errorf("tiles seed: the default period: %w", err)
		}
		q.Set("from", p.From)
		q.Set("to", p.To)
	}
	total := len(pyramid) * len(layers)
	fmt.Fprintf(stderr, "tiles seed: %d tiles (%d layers × %d tiles at zoom %d-%d) for %s %s at %s\n", total, len(layers), len(pyramid), lo, hi, id.Role, id.Scope, u)
	var done, withData, empty, failed atomic.Int64
	jobs := make(chan string)
	var wg sync.WaitGroup
	var firstErr error
	var errMu sync.Mutex
	seedCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range *workers {
		wg.Go(func() {
			for path := range jobs {
				code, err := getTile(seedCtx, client, path, token)
				switch {
				case err == nil && code == http.StatusOK:
					withData.Add(1)
				case err == nil && code == http.StatusNoContent:
					empty.Add(1)
				default:
					if err == nil {
						err = fmt.Errorf("%s: HTTP %d", path, code)
					}
					errMu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					errMu.Unlock()
					if failed.Add(1) >= 20 {
						cancel() // the server is not well: stop rather than hammer it
					}
				}
				done.Add(1)
			}
		})
	}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	report := func() {
		fmt.Fprintf(stderr, "tiles seed: %d/%d (with data %d, empty %d, failed %d)\n", done.Load(), total, withData.Load(), empty.Load(), failed.Load())
	}
feed:
	for _, l := range layers {
		filtered := l == "h3" || l == "narvaro"
		for _, t := range pyramid {
			p := u.JoinPath("tiles", l, fmt.Sprint(t.Z), fmt.Sprint(t.X), fmt.Sprintf("%d.mvt", t.Y)).String()
			if filtered {
				p += "?" + q.Encode()
			}
			select {
			case jobs <- p:
			case <-seedCtx.Done():
				break feed
			case <-tick.C:
				report()
				jobs <- p
			}
		}
	}
	close(jobs)
	wg.Wait()
	report()
	fmt.Fprintf(stdout, "seeded %d tiles: %d with data, %d empty, %d failed\n", done.Load(), withData.Load(), empty.Load(), failed.Load())
	if failed.Load() > 0 {
		return fmt.Errorf("tiles seed: %d requests failed, the first: %w", failed.Load(), firstErr)
	}
	return ctx.Err()
}

func getTile(ctx context.Context, c *http.Client, u, token string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept-Encoding", "gzip") // as browsers ask; the cache holds gzipped tiles
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

func getSeedJSON(ctx context.Context, c *http.Client, u, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", u, resp.StatusCode)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}
