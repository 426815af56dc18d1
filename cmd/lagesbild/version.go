package main

import (
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	"github.com/lagesbild/lagesbild/migrations"
)

// version is the release, set at build time: go build -ldflags "-X main.version=v1.2.3" (the
// Makefile sets it from git describe). Without it the module version or the VCS revision in the
// build information stands in.
var version string

// buildVersion returns the version of this binary.
func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel-" + rev
}

// migrationLevel returns the number of the newest migration built into the binary, which is
// the schema version (goose_db_version) a database has once this binary has migrated it, and the
// number of migrations.
func migrationLevel() (level int64, n int, err error) {
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return 0, 0, err
	}
	sort.Strings(files)
	for _, f := range files {
		num, _, ok := strings.Cut(f, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil {
			return 0, 0, fmt.Errorf("migration %s: the name does not start with a number and _", f)
		}
		level = max(level, v)
	}
	return level, len(files), nil
}

func cmdVersion(args []string, stdout io.Writer) error {
	if err := parse(flags("version", stdout), args); err != nil {
		return err
	}
	level, n, err := migrationLevel()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "lagesbild %s\n%s %s/%s\nmigrations: level %d (%d files)\n",
		buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH, level, n)
	return nil
}
