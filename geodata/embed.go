// Package geodata embeds the bundled real geodata (see NOTICE) so the binary can load it anywhere.
package geodata

import "embed"

// FS holds the bundled files, laid out as in this folder.
//
//go:embed NOTICE area_sets.csv */*.csv */*.geojson
var FS embed.FS
