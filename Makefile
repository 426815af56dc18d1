# Lägesbild. `make run` and `make test` install what is missing (Debian packages, npm tooling for
# the browser test), start the project-managed PostGIS under ./var when DATABASE_URL is unset,
# and then serve or test.
SHELL := /bin/bash
export CGO_ENABLED := 1
GO ?= go
BIN := bin/lagesbild
PKGS := ./...
FUZZTIME ?= 30s

.PHONY: run test build deps deps-test web-deps bench bench-import bench-tiles-audited fuzz fuzz-short lint vet staticcheck tidy-check fmt-check fmt load load-saturation db-start db-stop db-status clean

run: deps build
	$(BIN) serve --demo

# The version `lagesbild version` prints and /metrics labels lagesbild_build_info with.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/lagesbild

deps:
	@scripts/install-deps.sh postgis

deps-test:
	@scripts/install-deps.sh postgis gdal chromium node

# The browser test drives Debian's Chromium with playwright-core from npm.
web-deps:
	@if [ ! -d web/node_modules/playwright-core ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then \
		cd web && npm ci --no-audit --no-fund --loglevel=error; \
	fi

test: deps-test web-deps tidy-check lint
	$(GO) test -race -count=1 -timeout 30m $(PKGS)
	$(MAKE) --no-print-directory fuzz-short

# A short run of every fuzz target; `make fuzz` runs each for FUZZTIME.
fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=5s

fuzz:
	@FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz.sh

# Go benchmarks of every package (binning, parsing, the import store path, tiles).
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -count 3 $(PKGS)

# End-to-end import of a 1 M-row CSV of synthetic incidents into a scratch database, with peak
# RSS from /usr/bin/time -v (Debian package time). See docs/benchmarks.md.
BENCH_DIR ?= var/bench
bench-import: deps build
	@command -v /usr/bin/time >/dev/null || apt-get install -y -q time
	$(BIN) demo export --dir $(BENCH_DIR) --scale 2.6 --rows 1000000
	LAGESBILD_DB_NAME=bench_import LAGESBILD_LOG_LEVEL=warn /usr/bin/time -v $(BIN) import incidents --format csv --source bench $(BENCH_DIR)/incidents.csv

# Cached tile hits with a token and a durable audit row (issue 13), with wrk (Debian package,
# installed by the script) against serve --demo on 127.0.0.1, 32 and 4 connections, BENCH_DURATION
# each; the binaries in BENCH_BINS are measured in turn, BENCH_ROUNDS times, for paired runs.
# See docs/benchmarks.md.
BENCH_BINS ?= $(BIN)
bench-tiles-audited: deps build
	scripts/bench-tiles-audited.sh $(BENCH_BINS)

# Load test (not part of make test): starts serve --demo on 127.0.0.1 with a database of
# LOAD_SCALE demo data (2.5: about 1 M incidents; built on first use, which takes a while), then
# LOAD_CLIENTS clients replay a mix of map journeys, lists, summaries, OGC items and logins for
# LOAD_DURATION and the report gives throughput, p50/p99 per endpoint, errors and the server's RSS.
# Each client is an analyst's browser session: a journey's tiles 6 at a time, then a pause of
# LOAD_THINK on average (exponential). `make load-saturation` is the same with no pause
# (LOAD_THINK=0): a closed loop that measures the capacity of the machine.
# LOAD_SERVE picks the server binary (e.g. bin/lagesbild-base for a paired run).
# Results: docs/benchmarks.md. Traffic goes to loopback only.
LOAD_SCALE ?= 2.5
LOAD_CLIENTS ?= 200
LOAD_DURATION ?= 60s
LOAD_DB ?= load
LOAD_THINK ?= 2s
LOAD_SERVE ?= $(BIN)
# The server's soft memory limit in the run (its default is 250MiB or, with the default tile
# cache of 256 MB, 384MiB): the RSS target of issue 13 is 300 MB.
LOAD_MEMORY_LIMIT ?= 250MiB
load: deps build
	$(GO) build -o bin/lagesbild-load ./cmd/lagesbild-load
	@mkdir -p var
	LAGESBILD_MEMORY_LIMIT=$(LOAD_MEMORY_LIMIT) bin/lagesbild-load --serve $(LOAD_SERVE) --db $(LOAD_DB) --scale $(LOAD_SCALE) --clients $(LOAD_CLIENTS) --duration $(LOAD_DURATION) --think $(LOAD_THINK)
load-saturation:
	$(MAKE) load LOAD_THINK=0

vet:
	$(GO) vet $(PKGS)

# staticcheck is pinned and installed from the module proxy into bin/tools (once per version).
STATICCHECK_VERSION := v0.8.2
STATICCHECK := bin/tools/staticcheck-$(STATICCHECK_VERSION)

$(STATICCHECK):
	@mkdir -p bin/tools
	GOBIN=$(CURDIR)/bin/tools $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv bin/tools/staticcheck $@

staticcheck: $(STATICCHECK)
	$(STATICCHECK) $(PKGS)

lint: vet staticcheck
	@if command -v golangci-lint >/dev/null; then golangci-lint run; fi

# Fails, showing the diff, when `go mod tidy` or gofmt would change anything.
tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }
	@$(MAKE) --no-print-directory fmt-check

fmt-check:
	@out=$$(gofmt -d cmd internal geodata migrations web); if [ -n "$$out" ]; then echo "$$out"; echo "gofmt needed: run make fmt"; exit 1; fi

fmt:
	gofmt -w cmd internal geodata migrations web

db-start: deps build
	$(BIN) db start

db-stop: build
	$(BIN) db stop

db-status: build
	$(BIN) db status

clean:
	-$(BIN) db stop
	rm -rf bin
