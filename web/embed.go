// Package web holds the browser front end of Lägesbild: the map page served
// at "/" (index.html, the ES modules under js/, the style sheets), the
// vendored MapLibre GL JS and uPlot, the Noto Sans fonts the map writes its
// labels with and the offline basemap (Natural Earth land), embedded into the
// binary so that the service works fully offline.
//
// Only the files listed in the go:embed directive below are compiled in; the
// Node tooling (package.json, node_modules/, scripts/, test/) is for
// development only.
package web

import (
	"embed"
	"io/fs"
)

//go:embed index.html *.css favicon.svg icons js vendor fonts basemap
var static embed.FS

// FS returns the static front-end files as a read-only file system rooted so
// that "index.html" is at its root, suitable for http.FileServerFS:
//
//	mux.Handle("GET /", http.FileServerFS(web.FS()))
func FS() fs.FS {
	return static
}
