// Package tiles serves Mapbox Vector Tiles: the layer registry, validation of z/x/y and filter
// parameters, and a cache of gzipped tiles keyed by layer, tile, filters, scope and data version,
// with one query per missing tile however many clients ask for it at once. It depends on a
// Source that renders tiles (internal/postgis), not on the database.
package tiles

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Extent and Buffer are the MVT tile extent and the buffer around it, in tile units.
const (
	Extent  = 4096
	Buffer  = 64
	MaxZoom = 22
)

// Field is one property of a layer's features, as TileJSON's vector_layers lists it.
type Field struct {
	Name, Type, Description string
}

// Layer describes one vector tile layer.
type Layer struct {
	Name        string
	Description string
	MinZoom     int
	MaxZoom     int
	Fields      []Field
	// Filtered layers take from, to, category and agency.
	Filtered bool
	// UsesSet layers take set (a police list year).
	UsesSet     bool
	Attribution string
}

func groupFields() []Field {
	out := []Field{{"total", "Number", "incidents in the cell; null when 1–4 (suppressed)"},
		{"total_min", "Number", "a lower bound of the incidents: total, or with a group suppressed the groups shown plus 1 (null when none is shown)"},
		{"suppressed", "Boolean", "some count in the cell is 1–4 and is not shown"}}
	for _, g := range lagesbild.CategoryGroups {
		out = append(out, Field{string(g.Group), "Number", g.Label + "; null when 1–4"})
	}
	return out
}

// Layers is the registry, in the order of the index.
var Layers = []Layer{
	{Name: "omraden", Description: "Utsatta områden of one police list (set, default the newest)", MinZoom: 0, MaxZoom: 16, UsesSet: true,
		Attribution: "Källa: Polismyndigheten",
		Fields: []Field{{"id", "String", "area id, e.g. 2025-SO9"}, {"area_key", "String", "cross-year identity"}, {"name", "String", ""},
			{"class", "String", "utsatt, risk or sarskilt_utsatt"}, {"kommun_kod", "String", ""}, {"kommun_namn", "String", ""},
			{"lpo_kod", "String", "lokalpolisområde"}, {"lpo_namn", "String", ""}, {"region_kod", "String", ""},
			{"set", "Number", "list year"}, {"approximated", "Boolean", "geometry approximated from a later list"}}},
	{Name: "kommuner", Description: "Kommun boundaries (SCB, generalised)", MinZoom: 0, MaxZoom: 16, Attribution: "Källa: SCB",
		Fields: []Field{{"kod", "String", ""}, {"namn", "String", ""}, {"lan_kod", "String", ""}}},
	{Name: "lan", Description: "Län boundaries (SCB)", MinZoom: 0, MaxZoom: 16, Attribution: "Källa: SCB",
		Fields: []Field{{"kod", "String", ""}, {"namn", "String", ""}, {"region_kod", "String", ""}}},
	{Name: "polisregioner", Description: "The seven police regions", MinZoom: 0, MaxZoom: 16, Attribution: "Källa: SCB, Polismyndigheten",
		Fields: []Field{{"kod", "String", "REGIONKOD"}, {"namn", "String", ""}}},
	{Name: "h3", Description: "Exact incidents per H3 cell (resolution follows the zoom); counts 1–4 suppressed", MinZoom: 0, MaxZoom: 16,
		Filtered: true, Attribution: "Händelsedata: deltagande myndigheter (demo: syntetisk)", Fields: append([]Field{{"cell", "String", "H3 index"}, {"res", "Number", "H3 resolution"}}, groupFields()...)},
	{Name: "narvaro", Description: "Agency presence: offices (points) and joint operations (polygons)", MinZoom: 0, MaxZoom: 16, Filtered: true,
		Attribution: "Myndigheternas närvarodata (demo: syntetisk)",
		Fields: []Field{{"kind", "String", "office or operation"}, {"name", "String", ""}, {"agency", "String", "office: agency code"},
			{"agencies", "String", "operation: agency codes, comma separated"}, {"staffed_hours_per_week", "Number", ""},
			{"starts", "Number", "operation start, Unix seconds"}, {"ends", "Number", "operation end, Unix seconds"},
			{"person_hours", "Number", ""}, {"area_id", "String", ""}, {"synthetic", "Boolean", "generated demo data"}}},
	{Name: "emerging", Description: "Emerging hot spots: res-8 H3 cells with a pattern (Gi* per month over each kommun's grid, the last 24 whole months, " +
		"all groups together; Mann-Kendall on the z-scores; ArcGIS's categories) of the police regions in the caller's scope; no counts", MinZoom: 5, MaxZoom: 16,
		Attribution: "Händelsedata: deltagande myndigheter (demo: syntetisk)",
		Fields: []Field{{"cell", "String", "H3 index (resolution 8)"}, {"kommun_code", "String", "the kommun whose grid the cell belongs to"},
			{"category", "String", "new_hot_spot, consecutive_hot_spot, intensifying_hot_spot, persistent_hot_spot, diminishing_hot_spot, " +
				"sporadic_hot_spot, oscillating_hot_spot, historical_hot_spot or the same _cold_spot"},
			{"hot_months", "Number", "months significant as a hot spot (90 %, FDR)"}, {"cold_months", "Number", "months significant as a cold spot"},
			{"trend_z", "Number", "Mann-Kendall Z of the cell's Gi* z-scores per month"}, {"trend_p", "Number", "the trend's p-value (two-sided)"},
			{"final_z", "Number", "the Gi* z-score of the last month"}, {"first_month", "String", "first month of the series (YYYY-MM)"},
			{"last_month", "String", "last whole month of the series (YYYY-MM)"}}},
	{Name: "handelser", Description: "Exact incident points (only from zoom 14)", MinZoom: 14, MaxZoom: 16, Filtered: true,
		Attribution: "Händelsedata: deltagande myndigheter (demo: syntetisk)",
		Fields: []Field{{"category", "String", ""}, {"category_group", "String", ""}, {"agency", "String", ""},
			{"occurred_at", "Number", "Unix seconds"}, {"synthetic", "Boolean", "generated demo data"}}},
}

// LayerByName finds a layer.
func LayerByName(name string) (Layer, bool) {
	for _, l := range Layers {
		if l.Name == name {
			return l, true
		}
	}
	return Layer{}, false
}

// Filters narrow the incident-derived layers and pick properties. The zero value is no filter.
type Filters struct {
	Set      int       // police list year for omraden; 0 = newest
	From, To time.Time // inclusive days in Europe/Stockholm; zero = open
	Groups   []string  // category groups
	Agencies []string  // agency codes
	Fields   []string  // properties to include; empty = all
	// MaxRes caps the H3 resolution (gis tokens get coarse cells only); 0 = the zoom decides.
	// It comes from the caller's identity, never from the query.
	MaxRes int
}

// Key is the canonical form of the filters, part of the cache key and the ETag.
func (f Filters) Key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "set=%d", f.Set)
	if f.MaxRes > 0 {
		fmt.Fprintf(&b, "&maxres=%d", f.MaxRes)
	}
	if !f.From.IsZero() {
		b.WriteString("&from=" + f.From.Format(time.DateOnly))
	}
	if !f.To.IsZero() {
		b.WriteString("&to=" + f.To.Format(time.DateOnly))
	}
	for _, kv := range []struct {
		k string
		v []string
	}{{"category", f.Groups}, {"agency", f.Agencies}, {"fields", f.Fields}} {
		if len(kv.v) > 0 {
			b.WriteString("&" + kv.k + "=" + strings.Join(kv.v, ","))
		}
	}
	return b.String()
}

// Request is one validated tile request.
type Request struct {
	Layers  []Layer
	Z, X, Y int
	Filters Filters
	// Grid is the ID of the Grid (Sweref99TM) when the tile is not of WebMercatorQuad; then Z
	// is its tile matrix, X the column and Y the row (ParseGridRequest).
	Grid string
}

// Key identifies the tile in the cache (without scope and data version).
func (r Request) Key() string {
	names := make([]string, len(r.Layers))
	for i, l := range r.Layers {
		names[i] = l.Name
	}
	key := fmt.Sprintf("%s/%d/%d/%d?%s", strings.Join(names, ","), r.Z, r.X, r.Y, r.Filters.Key())
	if r.Grid != "" {
		key = r.Grid + ":" + key
	}
	return key
}

// listItem matches ^[a-z0-9_]{1,40}$ (a layer or list item name), without a regular
// expression: every tile request checks its layers.
var listItem = nameMatcher{}

type nameMatcher struct{}

func (nameMatcher) MatchString(s string) bool {
	if len(s) == 0 || len(s) > 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// ParseRequest validates a tile request: layer names, z/x/y (XYZ, y from the north) and the
// query parameters. Errors name the parameter and wrap lagesbild.ErrInvalid; an unknown layer
// is a lagesbild.PublicError of kind ErrNotFound whose message the client reads as written.
func ParseRequest(layers, z, x, y string, q url.Values) (Request, error) {
	var r Request
	seen := map[string]bool{}
	for _, name := range strings.Split(layers, ",") {
		if !listItem.MatchString(name) {
			// Not a name at all (quotes, dots, slashes): a malformed request, not a missing layer.
			return r, lagesbild.Invalid("layers", "%q is not a layer name (a–z, 0–9, _)", truncate(name))
		}
		l, ok := LayerByName(name)
		if !ok {
			return r, fmt.Errorf("tiles: %w", lagesbild.Public(lagesbild.ErrNotFound, "no layer %q (layers: %s)", truncate(name), names()))
		}
		if seen[name] {
			return r, lagesbild.Invalid("layers", "%q is named twice", name)
		}
		seen[name] = true
		r.Layers = append(r.Layers, l)
	}
	var err error
	if r.Z, err = coord("z", z, 0, MaxZoom); err != nil {
		return r, err
	}
	n := 1<<r.Z - 1
	if r.X, err = coord("x", x, 0, n); err != nil {
		return r, err
	}
	if r.Y, err = coord("y", y, 0, n); err != nil {
		return r, err
	}
	r.Filters, err = ParseFilters(q, r.Layers)
	return r, err
}

func coord(name, s string, lo, hi int) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil || len(s) > 8 || v < lo || v > hi || (len(s) > 1 && s[0] == '0') {
		return 0, lagesbild.Invalid(name, "%q is not a whole number from %d to %d", truncate(s), lo, hi)
	}
	return v, nil
}

func names() string {
	out := make([]string, len(Layers))
	for i, l := range Layers {
		out[i] = l.Name
	}
	return strings.Join(out, ", ")
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// ParseFilters validates the filter parameters for the given layers; parameters a layer does
// not take are errors, so a typo never silently returns unfiltered data.
func ParseFilters(q url.Values, layers []Layer) (Filters, error) {
	var f Filters
	filtered, usesSet := false, false
	fields := map[string]bool{}
	for _, l := range layers {
		filtered = filtered || l.Filtered
		usesSet = usesSet || l.UsesSet
		for _, fl := range l.Fields {
			fields[fl.Name] = true
		}
	}
	allowed := []string{"fields"}
	if filtered {
		allowed = append(allowed, "from", "to", "category", "agency")
	}
	if usesSet {
		allowed = append(allowed, "set")
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			return f, lagesbild.Invalid(k, "not a parameter of these layers (they take: %s)", strings.Join(allowed, ", "))
		}
		if len(q[k]) > 1 {
			return f, lagesbild.Invalid(k, "given %d times; give it once", len(q[k]))
		}
	}
	if s := q.Get("set"); s != "" {
		y, err := strconv.Atoi(s)
		if err != nil || len(s) != 4 || y < 2000 || y > 2100 {
			return f, lagesbild.Invalid("set", "%q is not a list year such as 2025", truncate(s))
		}
		f.Set = y
	}
	for _, d := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if s := q.Get(d.name); s != "" {
			t, err := time.Parse(time.DateOnly, s)
			if err != nil {
				return f, lagesbild.Invalid(d.name, "%q is not a date (YYYY-MM-DD)", truncate(s))
			}
			*d.dst = t
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return f, lagesbild.Invalid("to", "%s is before from %s", f.To.Format(time.DateOnly), f.From.Format(time.DateOnly))
	}
	var err error
	if f.Groups, err = valueList(q, "category", func(s string) bool {
		for _, g := range lagesbild.CategoryGroups {
			if string(g.Group) == s {
				return true
			}
		}
		return false
	}); err != nil {
		return f, err
	}
	if f.Agencies, err = valueList(q, "agency", func(s string) bool {
		for _, a := range lagesbild.Agencies {
			if a.Code == s {
				return true
			}
		}
		return false
	}); err != nil {
		return f, err
	}
	if f.Fields, err = valueList(q, "fields", func(s string) bool { return fields[s] }); err != nil {
		return f, err
	}
	return f, nil
}

func valueList(q url.Values, name string, known func(string) bool) ([]string, error) {
	s := q.Get(name)
	if s == "" {
		return nil, nil
	}
	var out []string
	for _, item := range strings.Split(s, ",") {
		if !listItem.MatchString(item) || !known(item) {
			return nil, lagesbild.Invalid(name, "%q is not one of the known values", truncate(item))
		}
		if !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Source renders one layer of one tile as uncompressed MVT; an empty slice for no features.
type Source interface {
	Tile(ctx context.Context, layer string, z, x, y int, f Filters) ([]byte, error)
}

// GridSource is a Source that also renders tiles of a Grid (Sweref99TM): z is the tile
// matrix, x the column and y the row of grid, a Grid's ID.
type GridSource interface {
	GridTile(ctx context.Context, grid, layer string, z, x, y int, f Filters) ([]byte, error)
}
