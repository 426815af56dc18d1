#!/usr/bin/env bash
# Builds web/basemap/lakes.geojson, the offline lakes over the land layer: the lakes of GSHHG
# (Global Self-consistent Hierarchical High-resolution Geography, Wessel & Smith, LGPL 3) at its
# high resolution, as Debian's gmt-gshhg-high ships them, from 4 km² up, over Sweden and its
# borders. GMT dumps the lake shorelines (level 2) cut at its data bins; GDAL's SQLite dialect
# (SpatiaLite Polygonize) joins them into polygons again, simplified to about 100 m.
#
#   apt-get install gmt gmt-gshhg-high gdal-bin python3 && web/scripts/build-lakes.sh
#
# The output is committed (the service embeds it); run this only to update it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../basemap/lakes.geojson"
for tool in gmt ogr2ogr python3; do
	command -v "$tool" >/dev/null || { echo "build-lakes: $tool is missing (apt-get install gmt gmt-gshhg-high gdal-bin python3)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# -A4/2/2: polygons of at least 4 km², levels 2 to 2 (lakes; 1 is land, 3 islands in lakes).
(cd "$tmp" && gmt coast -R10/24.5/55/69.5 -Dh -M -W2/0.1 -A4/2/2 >"$tmp/lakes.txt") # in $tmp: gmt writes gmt.history where it runs
python3 - "$tmp/lakes.txt" "$tmp/lines.geojson" <<'PY'
import json, sys
segs, cur = [], None
for line in open(sys.argv[1]):
    if line.startswith('>'):
        if cur and len(cur) > 1:
            segs.append(cur)
        cur = []
    elif line.strip():
        x, y = map(float, line.split()[:2])
        cur.append([round(x, 6), round(y, 6)])
if cur and len(cur) > 1:
    segs.append(cur)
fs = [{"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": c}} for c in segs]
json.dump({"type": "FeatureCollection", "features": fs}, open(sys.argv[2], "w"))
PY
ogr2ogr -f GeoJSON "$tmp/poly.geojson" "$tmp/lines.geojson" -dialect SQLite -sql "SELECT Polygonize(geometry) AS geometry FROM lines"
ogr2ogr -f GeoJSON "$tmp/lakes.geojson" "$tmp/poly.geojson" -explodecollections -simplify 0.001 \
	-lco COORDINATE_PRECISION=4 -lco RFC7946=YES -nln lakes
python3 - "$tmp/lakes.geojson" "$out" <<'PY'
import json, sys
fc = json.load(open(sys.argv[1]))
for f in fc["features"]:
    f["properties"] = {}
fc = {"type": "FeatureCollection", "name": "lakes",
      "attribution": "GSHHG 2.3.7 (Wessel & Smith, LGPL 3), via Debian gmt-gshhg-high",
      "features": fc["features"]}
json.dump(fc, open(sys.argv[2], "w"), separators=(",", ":"))
print(f"{len(fc['features'])} lakes -> basemap/lakes.geojson")
PY
