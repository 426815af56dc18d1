package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestStyleFacts checks what the web page takes from the style instead of keeping its own copy:
// the class palette, the legends' facts, local fonts and no glyph server.
func TestStyleFacts(t *testing.T) {
	s := &Server{}
	st := s.lagesbildStyle(httptest.NewRequest("GET", "http://example.test/styles/lagesbild.json", nil))
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Glyphs    *string           `json:"glyphs"`
		FontFaces map[string]string `json:"font-faces"`
		Metadata  struct {
			Classes []ClassColour `json:"lagesbild:classes"`
			Basemap string        `json:"lagesbild:basemap"`
		} `json:"metadata"`
		Sources map[string]map[string]any `json:"sources"`
		Layers  []struct {
			ID     string         `json:"id"`
			Type   string         `json:"type"`
			Layout map[string]any `json:"layout"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Glyphs != nil {
		t.Errorf("glyphs = %q: the style must need no glyph server", *got.Glyphs)
	}
	if len(got.Metadata.Classes) != 3 || got.Metadata.Classes[0].Class != "sarskilt_utsatt" || got.Metadata.Classes[0].Fill == "" {
		t.Errorf("palette = %+v", got.Metadata.Classes)
	}
	if got.Metadata.Basemap != "offline" || got.Sources["land"]["data"] != "http://example.test/basemap/countries.geojson" {
		t.Errorf("basemap %q, land source %v", got.Metadata.Basemap, got.Sources["land"])
	}
	for _, l := range got.Layers {
		if l.Type != "symbol" {
			continue
		}
		fonts, _ := l.Layout["text-font"].([]any)
		for _, f := range fonts {
			if !strings.HasPrefix(got.FontFaces[f.(string)], "http://example.test/fonts/") {
				t.Errorf("layer %s uses font %q without a local font face", l.ID, f)
			}
		}
	}
	if !strings.Contains(string(b), `"omraden-fill"`) || !strings.Contains(string(b), ClassPalette[0].Fill) {
		t.Error("omraden-fill does not draw the palette")
	}
}

// TestBasemapStyle checks LAGESBILD_BASEMAP_STYLE: the operator's layers first, ours over them,
// its origins allowed by the CSP, bad styles refused with a reason.
func TestBasemapStyle(t *testing.T) {
	bm, err := ParseBasemap([]byte(`{"version":8,"glyphs":"https://maps.example.se/fonts/{fontstack}/{range}.pbf",
		"sources":{"topo":{"type":"vector","tiles":["https://tiles.example.se/{z}/{x}/{y}.pbf"]}},
		"layers":[{"id":"bg","type":"background"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(bm.Origins, " ") != "https://maps.example.se https://tiles.example.se" {
		t.Errorf("origins = %v", bm.Origins)
	}
	s := &Server{Basemap: bm}
	st := s.lagesbildStyle(httptest.NewRequest("GET", "http://example.test/styles/lagesbild.json", nil))
	layers := st["layers"].([]any)
	if layers[0].(map[string]any)["id"] != "bg" {
		t.Errorf("first layer %v, want the basemap's", layers[0])
	}
	if _, ok := st["sources"].(map[string]any)["land"]; ok {
		t.Error("the offline land layer is still there under an operator's basemap")
	}
	if st["glyphs"] != "https://maps.example.se/fonts/{fontstack}/{range}.pbf" {
		t.Errorf("glyphs = %v", st["glyphs"])
	}
	rec := httptest.NewRecorder()
	s.securityHeaders(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' https://maps.example.se https://tiles.example.se") {
		t.Errorf("CSP = %s", csp)
	}
	for _, bad := range []string{`[]`, `{"version":7,"sources":{},"layers":[]}`, `{"version":8,"layers":[]}`, `{"version":8,"sources":{}}`} {
		if _, err := ParseBasemap([]byte(bad)); err == nil {
			t.Errorf("ParseBasemap(%s) accepted", bad)
		}
	}
}
