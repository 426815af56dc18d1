// Package web holds the browser front end of Lägesbild: the map page served
// at "/" (index.html, app.js, style.css) and the vendored MapLibre GL JS it
// loads, embedded into the binary so that the service works fully offline.
//
// Only the files listed in the go:embed directive below are compiled in; the
// Node tooling (package.json, node_modules/, test/) is for development only.
package web

import (
	"embed"
	"io/fs"
)

//go:embed index.html app.js style.css favicon.svg icons vendor
var static embed.FS

// FS returns the static front-end files as a read-only file system rooted so
// that "index.html" is at its root, suitable for http.FileServerFS:
//
//	mux.Handle("GET /", http.FileServerFS(web.FS()))
func FS() fs.FS {
	return static
}
