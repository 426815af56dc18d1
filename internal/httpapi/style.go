package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// ClassColour is how one class of the police lists is drawn: the one palette of the style
// endpoint, the web page (it reads the style's metadata) and the area report.
type ClassColour struct {
	Class lagesbild.AreaClass `json:"class"`
	Label string              `json:"label"`
	Fill  string              `json:"fill"`
	Line  string              `json:"line"`
	Rank  int                 `json:"rank"` // drawing order: the most severe class on top
}

// ClassPalette lists the classes from the most to the least severe.
var ClassPalette = []ClassColour{
	{lagesbild.ClassSarskiltUtsatt, lagesbild.ClassSarskiltUtsatt.Label(), "#c8102e", "#7f0a1d", 3},
	{lagesbild.ClassRisk, lagesbild.ClassRisk.Label(), "#f07d00", "#9a5000", 2},
	{lagesbild.ClassUtsatt, lagesbild.ClassUtsatt.Label(), "#f2c500", "#8c7200", 1},
}

// unknownClass is the colour of a class the palette does not know.
var unknownClass = ClassColour{Fill: "#777777", Line: "#444444"}

// h3Steps colour the incident cells by count (a sequential, colour-blind safe ramp). A cell with
// a group of 1–4 incidents has no total (secondary suppression); it is coloured by its total_min
// (the groups shown plus one: a lower bound that reveals nothing the groups do not) with a
// dashed outline, and grey when no group is shown.
var h3Steps = []struct {
	Min    int    `json:"min"`
	Colour string `json:"colour"`
}{{5, "#eff3ff"}, {20, "#bdd7e7"}, {50, "#6baed6"}, {150, "#3182bd"}, {500, "#08519c"}, {2000, "#08306b"}}

// EmergingColour is how one category of the emerging hot-spot layer (tiles "emerging", issue 12)
// is drawn, with its Swedish label: the one palette of the style and the page's legend. Hot
// spots in reds (the strongest patterns darkest), cold spots in a blue-green ramp that the
// incident cells' blues do not share.
type EmergingColour struct {
	Category string `json:"category"`
	Label    string `json:"label"`
	Colour   string `json:"colour"`
}

// EmergingPalette lists the hot-spot categories, then the cold-spot ones (ArcGIS's order).
var EmergingPalette = []EmergingColour{
	{"new_hot_spot", "Ny brännpunkt", "#67000d"},
	{"consecutive_hot_spot", "Brännpunkt i följd", "#a50f15"},
	{"intensifying_hot_spot", "Förstärkt brännpunkt", "#d7301f"},
	{"persistent_hot_spot", "Ihållande brännpunkt", "#ef6548"},
	{"diminishing_hot_spot", "Avtagande brännpunkt", "#fc8d59"},
	{"sporadic_hot_spot", "Sporadisk brännpunkt", "#fdbb84"},
	{"oscillating_hot_spot", "Växlande brännpunkt", "#e7298a"},
	{"historical_hot_spot", "Historisk brännpunkt", "#c994c7"},
	{"new_cold_spot", "Ny kallpunkt", "#014636"},
	{"consecutive_cold_spot", "Kallpunkt i följd", "#016c59"},
	{"intensifying_cold_spot", "Förstärkt kallpunkt", "#02818a"},
	{"persistent_cold_spot", "Ihållande kallpunkt", "#3690c0"},
	{"diminishing_cold_spot", "Avtagande kallpunkt", "#67a9cf"},
	{"sporadic_cold_spot", "Sporadisk kallpunkt", "#a6bddb"},
	{"oscillating_cold_spot", "Växlande kallpunkt", "#8c96c6"},
	{"historical_cold_spot", "Historisk kallpunkt", "#d0d1e6"},
}

// waterColour is the sea and the lakes of the offline basemap.
const waterColour = "#c6d8e4"

// h3Suppressed is the colour of cells with 1–4 incidents (no number shown).
const h3Suppressed = "#dcdfe3"

// agencyColours draw the agencies' offices.
var agencyColours = map[string]string{}

func init() {
	palette := []string{"#1b4f72", "#117864", "#6c3483", "#935116", "#1f618d", "#7b241c", "#196f3d", "#5d6d7e"}
	for i, a := range lagesbild.Agencies {
		agencyColours[a.Code] = palette[i%len(palette)]
	}
}

// Basemap is an operator's MapLibre style (LAGESBILD_BASEMAP_STYLE) that the service's layers are
// drawn over instead of its own offline land layer. Origins are the other origins its sources,
// glyphs and sprite load from, which the page's Content-Security-Policy then allows.
type Basemap struct {
	Style   map[string]any
	Origins []string
}

// ParseBasemap reads a MapLibre style (version 8) to draw the service's layers over.
func ParseBasemap(data []byte) (*Basemap, error) {
	var st map[string]any
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("basemap style: not JSON: %w", err)
	}
	if v, _ := st["version"].(float64); v != 8 {
		return nil, fmt.Errorf("basemap style: version %v, want 8", st["version"])
	}
	if _, ok := st["layers"].([]any); !ok {
		return nil, fmt.Errorf("basemap style: no layers array")
	}
	if _, ok := st["sources"].(map[string]any); !ok {
		return nil, fmt.Errorf("basemap style: no sources object")
	}
	b := &Basemap{Style: st}
	add := func(raw any) {
		s, _ := raw.(string)
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return
		}
		o := u.Scheme + "://" + u.Host
		if !slices.Contains(b.Origins, o) {
			b.Origins = append(b.Origins, o)
		}
	}
	add(st["glyphs"])
	add(st["sprite"])
	for _, src := range st["sources"].(map[string]any) {
		m, _ := src.(map[string]any)
		add(m["url"])
		add(m["data"])
		if ts, ok := m["tiles"].([]any); ok {
			for _, t := range ts {
				add(t)
			}
		}
	}
	return b, nil
}

func classExpr(key string) []any {
	expr := []any{"match", []any{"get", "class"}}
	for _, c := range ClassPalette {
		switch key {
		case "fill":
			expr = append(expr, string(c.Class), c.Fill)
		case "line":
			expr = append(expr, string(c.Class), c.Line)
		default:
			expr = append(expr, string(c.Class), c.Rank)
		}
	}
	switch key {
	case "fill":
		return append(expr, unknownClass.Fill)
	case "line":
		return append(expr, unknownClass.Line)
	}
	return append(expr, 0)
}

// Fonts are served from web/fonts (Noto Sans from npm @fontsource/noto-sans, OFL); MapLibre
// renders the labels' glyphs locally from them (the style's font-faces), so no glyph server.
const (
	fontRegular  = "Noto Sans Regular"
	fontSemiBold = "Noto Sans SemiBold"
	fontBold     = "Noto Sans Bold"
)

func fontFaces(base string) map[string]any {
	return map[string]any{
		fontRegular:  base + "/fonts/noto-sans-latin-400-normal.woff2",
		fontSemiBold: base + "/fonts/noto-sans-latin-600-normal.woff2",
		fontBold:     base + "/fonts/noto-sans-latin-700-normal.woff2",
	}
}

type obj = map[string]any

func zoomInterp(stops ...any) []any {
	return append([]any{"interpolate", []any{"linear"}, []any{"zoom"}}, stops...)
}

// lagesbildStyle is the service's MapLibre style: an offline basemap (Natural Earth land under
// the SCB borders, or the operator's basemap), the incident cells, agency presence, the police
// areas by class and labels for regions, län and kommuner.
func (s *Server) lagesbildStyle(r *http.Request) map[string]any {
	base := s.baseURL(r)
	src := func(layer string) obj {
		return obj{"type": "vector", "url": base + "/tiles/" + layer + ".json"}
	}
	h3Value := []any{"coalesce", []any{"get", "total"}, []any{"get", "total_min"}, 0}
	h3Colour := []any{"step", h3Value, h3Suppressed, h3Steps[0].Min, h3Steps[0].Colour}
	for _, st := range h3Steps[1:] {
		h3Colour = append(h3Colour, st.Min, st.Colour)
	}
	agencyColour := []any{"match", []any{"get", "agency"}}
	for _, a := range lagesbild.Agencies {
		agencyColour = append(agencyColour, a.Code, agencyColours[a.Code])
	}
	agencyColour = append(agencyColour, "#34495e")
	agencies := make([]obj, len(lagesbild.Agencies))
	for i, a := range lagesbild.Agencies {
		agencies[i] = obj{"code": a.Code, "name": a.Name, "colour": agencyColours[a.Code]}
	}
	groups := make([]obj, len(lagesbild.CategoryGroups))
	for i, g := range lagesbild.CategoryGroups {
		groups[i] = obj{"group": string(g.Group), "label": g.Label}
	}
	emergingColour := []any{"match", []any{"get", "category"}}
	for _, e := range EmergingPalette {
		emergingColour = append(emergingColour, e.Category, e.Colour)
	}
	emergingColour = append(emergingColour, unknownClass.Fill)
	labelPaint := obj{"text-color": "#27313b", "text-halo-color": "rgba(255,255,255,0.92)", "text-halo-width": 1.4}

	sources := obj{
		"omraden": src("omraden"), "kommuner": src("kommuner"), "lan": src("lan"), "polisregioner": src("polisregioner"),
		"h3": src("h3"), "narvaro": src("narvaro"), "emerging": src("emerging"),
		"labels": obj{"type": "geojson", "data": base + "/styles/labels.geojson"},
	}
	var layers []any
	if s.Basemap == nil {
		sources["land"] = obj{"type": "geojson", "data": base + "/basemap/countries.geojson",
			"attribution": "Natural Earth"}
		// Lakes (GSHHG) and place names (GeoNames): web/scripts/build-lakes.sh, build-places.mjs.
		sources["lakes"] = obj{"type": "geojson", "data": base + "/basemap/lakes.geojson", "attribution": "GSHHG"}
		sources["places"] = obj{"type": "geojson", "data": base + "/basemap/places.geojson", "attribution": "GeoNames (CC BY 4.0)"}
		layers = append(layers,
			obj{"id": "background", "type": "background", "metadata": obj{"lagesbild:group": "basemap"},
				"paint": obj{"background-color": waterColour}},
			obj{"id": "land", "type": "fill", "source": "land", "metadata": obj{"lagesbild:group": "basemap"},
				"paint": obj{"fill-color": "#e7e6df", "fill-antialias": false}},
			obj{"id": "lan-fill", "type": "fill", "source": "lan", "source-layer": "lan", "metadata": obj{"lagesbild:group": "basemap"},
				"paint": obj{"fill-color": "#fbfaf6"}},
			obj{"id": "lakes", "type": "fill", "source": "lakes", "metadata": obj{"lagesbild:group": "basemap"},
				"paint": obj{"fill-color": waterColour, "fill-outline-color": "#a9c2d3"}},
		)
	}
	layers = append(layers,
		// Cells with a suppressed group have no total: coloured by their lower bound (total_min)
		// with a dashed outline ("at least"), grey without one; never a number below 5.
		obj{"id": "h3-fill", "type": "fill", "source": "h3", "source-layer": "h3",
			"filter":   []any{"any", []any{"has", "total"}, []any{"==", []any{"get", "suppressed"}, true}},
			"metadata": obj{"lagesbild:group": "h3"},
			"paint":    obj{"fill-color": h3Colour, "fill-opacity": zoomInterp(5, 0.75, 12, 0.6), "fill-outline-color": "rgba(255,255,255,0.35)"}},
		obj{"id": "h3-atleast", "type": "line", "source": "h3", "source-layer": "h3", "minzoom": 8,
			"filter":   []any{"all", []any{"==", []any{"get", "suppressed"}, true}, []any{"has", "total_min"}},
			"metadata": obj{"lagesbild:group": "h3"},
			"paint":    obj{"line-color": "rgba(39,49,59,0.55)", "line-width": zoomInterp(8, 0.6, 13, 1.2), "line-dasharray": []any{2, 2}}},
		// Emerging hot spots (off by default): res-8 cells coloured by their category.
		obj{"id": "emerging-fill", "type": "fill", "source": "emerging", "source-layer": "emerging", "minzoom": 5,
			"metadata": obj{"lagesbild:group": "emerging"}, "layout": obj{"visibility": "none"},
			"paint": obj{"fill-color": emergingColour, "fill-opacity": 0.7, "fill-outline-color": "rgba(255,255,255,0.5)"}},
		obj{"id": "kommun-line", "type": "line", "source": "kommuner", "source-layer": "kommuner",
			"metadata": obj{"lagesbild:group": "kommuner"},
			"paint":    obj{"line-color": "#98a2ad", "line-width": zoomInterp(4, 0.3, 8, 0.8, 12, 1.2)}},
		obj{"id": "lan-line", "type": "line", "source": "lan", "source-layer": "lan", "metadata": obj{"lagesbild:group": "lan"},
			"layout": obj{"line-join": "round"},
			"paint":  obj{"line-color": "#46505a", "line-width": zoomInterp(4, 0.9, 8, 1.6, 12, 2.5)}},
		obj{"id": "region-line", "type": "line", "source": "polisregioner", "source-layer": "polisregioner",
			"metadata": obj{"lagesbild:group": "polisregioner"}, "layout": obj{"line-join": "round", "visibility": "none"},
			"paint": obj{"line-color": "#1d3557", "line-width": zoomInterp(4, 1.6, 10, 3), "line-dasharray": []any{3, 1.5}}},
		obj{"id": "narvaro-operation", "type": "fill", "source": "narvaro", "source-layer": "narvaro",
			"filter": []any{"==", []any{"get", "kind"}, "operation"}, "metadata": obj{"lagesbild:group": "narvaro"},
			"paint": obj{"fill-color": "#5b2c6f", "fill-opacity": 0.12, "fill-outline-color": "#5b2c6f"}},
		obj{"id": "omraden-fill", "type": "fill", "source": "omraden", "source-layer": "omraden", "metadata": obj{"lagesbild:group": "omraden"},
			"layout": obj{"fill-sort-key": classExpr("rank")},
			"paint":  obj{"fill-color": classExpr("fill"), "fill-opacity": 0.55}},
		obj{"id": "omraden-line", "type": "line", "source": "omraden", "source-layer": "omraden", "metadata": obj{"lagesbild:group": "omraden"},
			"layout": obj{"line-join": "round"},
			"paint":  obj{"line-color": classExpr("line"), "line-width": zoomInterp(6, 0.6, 12, 2)}},
		obj{"id": "narvaro-office", "type": "circle", "source": "narvaro", "source-layer": "narvaro",
			"filter": []any{"==", []any{"get", "kind"}, "office"}, "metadata": obj{"lagesbild:group": "narvaro"},
			"paint": obj{"circle-color": agencyColour, "circle-radius": zoomInterp(6, 3, 12, 6), "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.2}},
		obj{"id": "label-region", "type": "symbol", "source": "labels", "maxzoom": 6,
			"filter": []any{"==", []any{"get", "kind"}, "region"}, "metadata": obj{"lagesbild:group": "labels"},
			"layout": obj{"visibility": "none", "text-field": []any{"concat", "Polisregion ", []any{"get", "namn"}}, "text-font": []any{fontSemiBold},
				"text-size": 12, "text-transform": "uppercase", "text-letter-spacing": 0.08, "text-max-width": 8},
			"paint": obj{"text-color": "#1d3557", "text-halo-color": "rgba(255,255,255,0.9)", "text-halo-width": 1.5}},
		obj{"id": "label-lan", "type": "symbol", "source": "labels", "minzoom": 6, "maxzoom": 8,
			"filter": []any{"==", []any{"get", "kind"}, "lan"}, "metadata": obj{"lagesbild:group": "labels"},
			"layout": obj{"text-field": []any{"get", "namn"}, "text-font": []any{fontSemiBold}, "text-size": 13, "text-max-width": 8},
			"paint":  labelPaint},
		obj{"id": "label-kommun", "type": "symbol", "source": "labels", "minzoom": 7, "maxzoom": 10,
			"filter": []any{"==", []any{"get", "kind"}, "kommun"}, "metadata": obj{"lagesbild:group": "labels"},
			"layout": obj{"text-field": []any{"get", "namn"}, "text-font": []any{fontRegular},
				"text-size":       zoomInterp(7, 11, 12, 15),
				"symbol-sort-key": []any{"-", 0, []any{"get", "befolkning"}}, "text-max-width": 8},
			"paint": labelPaint},
	)
	if s.Basemap == nil {
		// Towns and city districts (GeoNames): the larger first, smaller ones as the map zooms
		// in, so that an area zoomed into has its surroundings named.
		for _, pl := range []struct {
			rank    int
			minZoom float64
			size    []any
		}{{1, 6.5, zoomInterp(6.5, 11, 12, 15)}, {2, 8.5, zoomInterp(8.5, 11, 13, 14)}, {3, 10.5, zoomInterp(10.5, 10.5, 14, 13)}} {
			layers = append(layers, obj{"id": fmt.Sprintf("label-place-%d", pl.rank), "type": "symbol", "source": "places", "minzoom": pl.minZoom,
				"filter": []any{"==", []any{"get", "rank"}, pl.rank}, "metadata": obj{"lagesbild:group": "places"},
				"layout": obj{"text-field": []any{"get", "name"}, "text-font": []any{map[bool]string{true: fontSemiBold, false: fontRegular}[pl.rank == 1]},
					"text-size": pl.size, "symbol-sort-key": []any{"-", 0, []any{"get", "population"}}, "text-max-width": 8, "text-padding": 3},
				"paint": obj{"text-color": map[bool]string{true: "#2f3a44", false: "#55606b"}[pl.rank < 3], "text-halo-color": "rgba(255,255,255,0.9)", "text-halo-width": 1.3}})
		}
	}
	// A caller sees in the style only the tile layers it may read (an agency analyst: the public
	// geography), so that a map from it asks for no tile it would be refused.
	id := identity(r)
	for name, src := range sources {
		if !id.CanReadData() && src.(obj)["type"] == "vector" && layerAccess(id, []string{name}) != nil {
			delete(sources, name)
		}
	}
	layers = slices.DeleteFunc(layers, func(l any) bool {
		name, ok := l.(obj)["source"].(string)
		_, kept := sources[name]
		return ok && !kept
	})
	style := obj{
		"version": 8,
		"name":    "Lägesbild",
		"metadata": obj{
			"lagesbild:note":            "Incident data in the demo is synthetic. Counts 1–4 are suppressed (shown as no number); a cell with a suppressed group is coloured by total_min, a lower bound (the groups shown plus one).",
			"lagesbild:classes":         ClassPalette,
			"lagesbild:h3_steps":        h3Steps,
			"lagesbild:h3_suppressed":   h3Suppressed,
			"lagesbild:agencies":        agencies,
			"lagesbild:emerging":        EmergingPalette,
			"lagesbild:category_groups": groups,
			"lagesbild:basemap":         map[bool]string{true: "operator", false: "offline"}[s.Basemap != nil],
		},
		"center":     []float64{15.0, 62.0},
		"zoom":       4,
		"font-faces": fontFaces(base),
		"sources":    sources,
		"layers":     layers,
	}
	if s.Basemap != nil {
		// The operator's basemap first, then the service's layers over it.
		bm := s.Basemap.Style
		for k, v := range bm["sources"].(map[string]any) {
			if _, clash := sources[k]; !clash {
				sources[k] = v
			}
		}
		style["layers"] = append(slices.Clone(bm["layers"].([]any)), layers...)
		for _, k := range []string{"glyphs", "sprite"} {
			if v, ok := bm[k]; ok {
				style[k] = v
			}
		}
	}
	return style
}

// handleStyle serves the service's MapLibre style (version 8); QGIS and MapLibre apps can load it
// by URL, and the web page builds its map from it.
func (s *Server) handleStyle(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", s.lagesbildStyle(r))
	return nil
}

// handleLabels serves the label points of the police regions, län and kommuner (GeoJSON points,
// kind region, lan or kommun) that the style writes names at.
func (s *Server) handleLabels(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query()); err != nil {
		return err
	}
	fc := featureCollection{Type: "FeatureCollection", Name: "labels", Features: []feature{},
		Attribution: "Källa: SCB, Polismyndigheten"}
	for _, l := range []boundaryLayer{boundaryRegion, boundaryLan, boundaryKommun} {
		bs, err := s.Areas.Boundaries(r.Context(), l.kind, 5000)
		if err != nil {
			return err
		}
		for _, b := range bs {
			g, _ := json.Marshal(obj{"type": "Point", "coordinates": b.LabelPoint})
			fc.Features = append(fc.Features, feature{Type: "Feature", ID: string(l.kind) + "-" + b.Code, Geometry: g,
				Properties: obj{"kind": string(l.kind), "kod": b.Code, "namn": b.Name, "befolkning": b.Population}})
		}
	}
	writeJSON(w, http.StatusOK, geoJSON, fc)
	return nil
}

// cspOrigins are the extra origins the page may load from: the operator's basemap.
func (s *Server) cspOrigins() string {
	if s.Basemap == nil || len(s.Basemap.Origins) == 0 {
		return ""
	}
	return " " + strings.Join(s.Basemap.Origins, " ")
}
