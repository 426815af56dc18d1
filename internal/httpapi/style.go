package httpapi

import "net/http"

// handleStyle serves a MapLibre style (version 8) over the service's own vector tiles: incident
// cells, län and kommun borders and the utsatta områden coloured by class. It has no text layers,
// so it needs no glyph server; QGIS and MapLibre apps can load it by URL.
func (s *Server) handleStyle(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r.URL.Query()); err != nil {
		s.writeError(w, r, err)
		return
	}
	base := s.baseURL(r)
	src := func(layer string) map[string]any {
		return map[string]any{"type": "vector", "url": base + "/tiles/" + layer + ".json"}
	}
	classColour := []any{"match", []any{"get", "class"},
		"sarskilt_utsatt", "#b2182b", "risk", "#f4a582", "utsatt", "#f1c40f", "#888888"}
	style := map[string]any{
		"version": 8,
		"name":    "Lägesbild",
		"metadata": map[string]any{
			"lagesbild:note": "Incident data in the demo is synthetic. Counts 1–4 are suppressed (shown as no number).",
		},
		"center": []float64{15.0, 59.0},
		"zoom":   4,
		"sources": map[string]any{
			"omraden": src("omraden"), "kommuner": src("kommuner"), "lan": src("lan"), "h3": src("h3"),
		},
		"layers": []any{
			map[string]any{"id": "background", "type": "background", "paint": map[string]any{"background-color": "#dde6ee"}},
			map[string]any{"id": "lan-fill", "type": "fill", "source": "lan", "source-layer": "lan",
				"paint": map[string]any{"fill-color": "#fbfaf7"}},
			map[string]any{"id": "h3-fill", "type": "fill", "source": "h3", "source-layer": "h3",
				"filter": []any{"has", "total"},
				"paint": map[string]any{"fill-opacity": 0.6, "fill-color": []any{"interpolate", []any{"linear"}, []any{"get", "total"},
					5, "#fee8c8", 50, "#fdbb84", 500, "#e34a33", 5000, "#7f0000"}}},
			map[string]any{"id": "kommun-line", "type": "line", "source": "kommuner", "source-layer": "kommuner",
				"paint": map[string]any{"line-color": "#8a96a3", "line-width": 0.5}},
			map[string]any{"id": "lan-line", "type": "line", "source": "lan", "source-layer": "lan",
				"paint": map[string]any{"line-color": "#3d4a57", "line-width": 1.2}},
			map[string]any{"id": "omraden-fill", "type": "fill", "source": "omraden", "source-layer": "omraden",
				"paint": map[string]any{"fill-color": classColour, "fill-opacity": 0.55}},
			map[string]any{"id": "omraden-line", "type": "line", "source": "omraden", "source-layer": "omraden",
				"paint": map[string]any{"line-color": classColour, "line-width": 1.5}},
		},
	}
	writeJSON(w, http.StatusOK, "application/json", style)
}
