package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestFSContents checks that the page and the vendored MapLibre files are
// embedded at the expected paths, and that no development files leak in.
func TestFSContents(t *testing.T) {
	fsys := FS()
	for _, name := range []string{
		"index.html",
		"js/main.js",
		"js/api.js",
		"js/map.js",
		"style.css",
		"fonts/noto-sans-latin-400-normal.woff2",
		"basemap/countries.geojson",
		"favicon.svg",
		"icons/zoom-in.svg",
		"icons/zoom-out.svg",
		"vendor/README.md",
		"vendor/maplibre-gl/maplibre-gl.mjs",
		"vendor/maplibre-gl/maplibre-gl-worker.mjs",
		"vendor/maplibre-gl/maplibre-gl.css",
		"vendor/maplibre-gl/LICENSE.txt",
	} {
		info, err := fs.Stat(fsys, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if info.Size() == 0 {
			t.Errorf("%s: empty", name)
		}
	}
	for _, name := range []string{"package.json", "node_modules", "test", "scripts", "embed.go"} {
		if _, err := fs.Stat(fsys, name); err == nil {
			t.Errorf("%s must not be embedded", name)
		}
	}
}

// TestIndexNoInlineScript guards the strict CSP (script-src 'self'): the page
// may only load scripts from files. That includes import maps, which CSP
// treats as inline script.
func TestIndexNoInlineScript(t *testing.T) {
	b, err := fs.ReadFile(FS(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, bad := range []string{" onclick=", " onload=", " onchange=", " onerror=", "javascript:"} {
		if strings.Contains(html, bad) {
			t.Errorf("index.html contains inline handler %q", bad)
		}
	}
	rest := html
	for {
		i := strings.Index(rest, "<script")
		if i < 0 {
			break
		}
		end := strings.Index(rest[i:], ">")
		if end < 0 {
			t.Fatal("unterminated <script> tag")
		}
		tag := rest[i : i+end+1]
		if !strings.Contains(tag, " src=") {
			t.Errorf("inline script not allowed: %s", tag)
		}
		rest = rest[i+end+1:]
	}
}

// TestFileServer checks that http.FileServerFS serves the page at "/" and the
// ES modules with a JavaScript MIME type (module scripts require one).
func TestFileServer(t *testing.T) {
	srv := httptest.NewServer(http.FileServerFS(FS()))
	defer srv.Close()
	for path, wantType := range map[string]string{
		"/":                                   "text/html",
		"/js/main.js":                         "javascript",
		"/basemap/countries.geojson":          "json",
		"/style.css":                          "text/css",
		"/favicon.svg":                        "image/svg+xml",
		"/vendor/maplibre-gl/maplibre-gl.mjs": "javascript",
		"/vendor/maplibre-gl/maplibre-gl.css": "text/css",
		"/vendor/maplibre-gl/maplibre-gl-worker.mjs": "javascript",
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", path, resp.StatusCode)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, wantType) {
			t.Errorf("GET %s: Content-Type %q, want %q", path, ct, wantType)
		}
	}
}
