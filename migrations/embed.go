// Package migrations holds the numbered SQL migrations, applied in order by goose.
package migrations

import "embed"

// FS contains every migration file; the runner in internal/postgis reads it.
//
//go:embed *.sql
var FS embed.FS
