#!/usr/bin/env bash
# Copies the browser libraries the page loads at run time from web/node_modules (installed by
# `cd web && npm ci` at the exact versions of web/package-lock.json) into web/vendor/, so that
# the vendored copies are reproducible. The page has no build step: these files are served as
# they are. Run from anywhere; then check `git diff --stat web/vendor` and update
# web/vendor/README.md (version, sizes) if anything changed.
#
# MapLibre is still copied by the steps in web/vendor/README.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
nm="$root/web/node_modules"
if [ ! -f "$nm/uplot/package.json" ]; then
	echo "vendor-web: $nm/uplot is missing; run (cd web && npm ci) first" >&2
	exit 1
fi

# uPlot: the ES module build, its stylesheet and licence, unchanged.
out="$root/web/vendor/uplot"
mkdir -p "$out"
cp "$nm/uplot/dist/uPlot.esm.js" "$out/uPlot.esm.js"
cp "$nm/uplot/dist/uPlot.min.css" "$out/uPlot.min.css"
cp "$nm/uplot/LICENSE" "$out/LICENSE"
version=$(node -p "require('$nm/uplot/package.json').version")
echo "vendor-web: uplot $version -> web/vendor/uplot/"

# The offline page (web/offline) opens from file://, where browsers refuse ES modules and module
# workers: it takes MapLibre 5's classic (UMD) build, whose worker starts from a blob: URL, and
# the pmtiles reader's classic build. Both are installed under their npm names (maplibre-gl 5 as
# the alias maplibre-gl-umd) and copied unchanged but for the source-map comment.
off="$root/web/offline/vendor"
mkdir -p "$off"
sed '/^\/\/# sourceMappingURL=/d' "$nm/maplibre-gl-umd/dist/maplibre-gl.js" > "$off/maplibre-gl.js"
cp "$nm/maplibre-gl-umd/dist/maplibre-gl.css" "$off/maplibre-gl.css"
cp "$nm/maplibre-gl-umd/LICENSE.txt" "$off/LICENSE-maplibre-gl.txt"
sed '/^\/\/# sourceMappingURL=/d' "$nm/pmtiles/dist/pmtiles.js" > "$off/pmtiles.js"
# pmtiles ships no licence file; its package.json says BSD-3-Clause (web/offline/README.md).
echo "vendor-web: maplibre-gl $(node -p "require('$nm/maplibre-gl-umd/package.json').version"), pmtiles $(node -p "require('$nm/pmtiles/package.json').version") -> web/offline/vendor/"
