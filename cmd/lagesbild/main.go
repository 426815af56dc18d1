// Command lagesbild is the Lägesbild service and its tools: serve, migrate, import, db.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "lagesbild:", err)
		}
		stop()
		os.Exit(exitCode(err))
	}
}

var errUsage = errors.New("usage")

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

const usage = `Usage: lagesbild <command> [arguments]

Commands:
  serve              migrate, load the bundled geodata into an empty database, and serve the web map and API
  migrate            apply pending database migrations
  import geodata     load the bundled geodata (idempotent: unchanged data is left alone)
  import incidents --format polisen|csv|geojson FILE...
  import presence FILE... | import population FILE... | import deso FILE
                     import files (one transaction per file; see lagesbild import)
  demo [--scale F] [--if-empty] | demo export --dir DIR
                     generate the synthetic demo data (labelled synthetic everywhere)
  db start|stop|status
                     manage the project-managed local PostGIS cluster (used when DATABASE_URL is unset)
  user add NAME --role R [--scope S] [--name N] | user list | user disable NAME | user password NAME
                     local accounts (password from LAGESBILD_PASSWORD, the terminal or stdin)
  token create --role R --scope S [--layers L] [--max-res N] [--expires D] [--name N]
                     an API token (printed once on stdout; details on stderr)
  token list | token revoke ID
  version            the version of this binary, its Go version and the migration level it brings
  export --format pmtiles|gpkg --output FILE (--role R --scope S | LAGESBILD_TOKEN) [--from D] [--to D]
         [--set Y] [--zoom 5-12] [--recipient WHO]
                     the caller's scope as a PMTiles archive or a GeoPackage (EPSG:3006); audited as a disclosure
  tiles seed --zoom 5-12 (--role R --scope S | LAGESBILD_TOKEN) [--url URL] [--layers L]
                     warm a running server's tile cache for a scope (the tiles the map asks for)
  audit [--since T] [--user U] [--action A] [--resource P] [--limit N] [--json]
                     read the audit log (who read or changed what)
  decision add|update ID --name N --purpose P --agencies a,b --scope S|--areas A --from D --until D --decided-by B --decided-at D
  decision list | decision show ID | decision revoke ID
                     collaboration decisions (samverkansbeslut) under which agencies share observations
  disclosures [--agency A] [--since T] [--json]
                     the disclosure log: what of an agency's data was read by whom, when, under which decision

Roles: nationell (all), regional (--scope REGIONKOD or name, e.g. 5400 or "Öst"), lokal (--scope
OMRADESKOD or name, e.g. 540210 or Linköping), gis (token: named layers, coarse H3 cells, no
points), admin (users, tokens, imports, audit log; no incident data), myndighet (an agency's analyst,
--agency skv|fk|mv|kfm|...: its agency's observations and those shared under a samverkansbeslut).

Environment:
  DATABASE_URL         PostgreSQL/PostGIS to use; when unset, a local cluster under LAGESBILD_DATA_DIR is started
  LAGESBILD_READER_DATABASE_URL
                       with DATABASE_URL: a login role in lagesbild_reader for the service's reads
                       (row-level security); without it reads switch to that role by SET ROLE
  LAGESBILD_READ_DATABASE_URL
                       streaming replicas of DATABASE_URL, comma-separated: tile, summary and OGC reads
                       go there while they are up and not behind (see docs/scaling.md)
  LAGESBILD_ADDR       listen address (default 127.0.0.1:8080)
  LAGESBILD_ADMIN_ADDR address of the admin server with Prometheus /metrics (default: off; for example
                       127.0.0.1:9090; never the public address)
  LAGESBILD_DATA_DIR   directory of the managed cluster (default ./var)
  LAGESBILD_DB_NAME    database name inside the managed cluster (default lagesbild)
  LAGESBILD_LOG_LEVEL  debug, info, warn or error (default info)
  LAGESBILD_PUBLIC_URL base of absolute links (TileJSON, OGC); default: the request's host
  LAGESBILD_TILE_CACHE_MB
                       bound of the in-process tile cache (default 256)
  LAGESBILD_MEMORY_LIMIT
                       soft memory limit of serve for the Go runtime (such as 250MiB; 0 or off: none;
                       default 250MiB, or the tile cache bound plus 128MiB if larger); GOMEMLIMIT wins
  LAGESBILD_DEMO_SCALE volume of the demo data, (0, 20] (default 1: about 400 000 incidents)
  LAGESBILD_DB_CONNS   connections of the owner pool and of the reader pool, each (default: the URL's
                       pool_max_conns, else 4 or the number of CPUs if more); replicas get as many
  LAGESBILD_DB_AUDIT_CONNS
                       connections of the pool that only writes audit rows (default 2)
  LAGESBILD_DB_EXPENSIVE_READS
                       tile renders, summaries and OGC feature reads at once, together; below
                       LAGESBILD_DB_CONNS (default LAGESBILD_DB_CONNS-1); past it 503 with Retry-After
  LAGESBILD_AUDIT_SPOOL_MB
                       bound of the local audit spool under LAGESBILD_DATA_DIR/audit-spool, where
                       audit rows wait while the database is down (default 256)
  LAGESBILD_BASEMAP_STYLE
                       a MapLibre style (file or http(s) URL) to draw the map over instead of
                       the bundled offline basemap, e.g. an internal or Lantmäteriet service
  LAGESBILD_JWT_ISSUER, LAGESBILD_JWT_AUDIENCE, LAGESBILD_JWT_JWKS_URL
                       accept bearer JWTs of an agency identity provider (claims lagesbild_role,
                       lagesbild_scope, lagesbild_layers; see README)
`

// run is the whole program; main only supplies the process's environment, so tests can run
// the service in-process (on port 0) exactly as the binary does.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	if args[0] == "version" { // needs no configuration
		return cmdVersion(args[1:], stdout)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(stderr, cfg.LogLevel)
	switch args[0] {
	case "serve":
		return cmdServe(ctx, cfg, logger, args[1:], stdout)
	case "migrate":
		return cmdMigrate(ctx, cfg, logger, args[1:], stdout)
	case "import":
		return cmdImport(ctx, cfg, logger, args[1:], stdout, stderr)
	case "demo":
		return cmdDemo(ctx, cfg, logger, args[1:], stdout, stderr)
	case "db":
		return cmdDB(ctx, cfg, logger, args[1:], stdout)
	case "user":
		return cmdUser(ctx, cfg, logger, args[1:], getenv, stdout, stderr)
	case "token":
		return cmdToken(ctx, cfg, logger, args[1:], stdout, stderr)
	case "audit":
		return cmdAudit(ctx, cfg, logger, args[1:], stdout)
	case "decision":
		return cmdDecision(ctx, cfg, logger, args[1:], stdout, stderr)
	case "disclosures":
		return cmdDisclosures(ctx, cfg, logger, args[1:], stdout)
	case "export":
		return cmdExport(ctx, cfg, logger, args[1:], getenv, stdout, stderr)
	case "tiles":
		return cmdTiles(ctx, cfg, logger, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "lagesbild: unknown command %q\n\n%s", args[0], usage)
	return errUsage
}
