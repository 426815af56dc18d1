package pgmanaged

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// install is one PostgreSQL server installation: its major version, the
// directory holding initdb/pg_ctl/postgres/pg_isready and the share directory
// where extensions (PostGIS) are installed.
type install struct {
	major    int
	binDir   string
	shareDir string
}

func (in install) bin(name string) string { return filepath.Join(in.binDir, name) }

// hasPostGIS reports whether PostGIS is installed for this major; the control
// file is what CREATE EXTENSION looks for, so it is the authoritative check.
func (in install) hasPostGIS() bool {
	_, err := os.Stat(filepath.Join(in.shareDir, "extension", "postgis.control"))
	return err == nil
}

// debianRoot is where Debian/Ubuntu install one directory per server major.
// It is a variable so that a test can point it at a copied installation and
// "upgrade" that copy under a running server.
var debianRoot = "/usr/lib/postgresql"

var versionRE = regexp.MustCompile(`PostgreSQL\)?\s+(\d+)`)

// findInstalls lists the usable server installations, highest major first.
// Debian installs several majors side by side under /usr/lib/postgresql/N;
// other layouts are found through pg_config, which names one installation.
func findInstalls(ctx context.Context) []install {
	var out []install
	seen := map[string]bool{}
	add := func(in install) {
		if seen[in.binDir] {
			return
		}
		if _, err := os.Stat(in.bin("postgres")); err != nil {
			return
		}
		seen[in.binDir] = true
		out = append(out, in)
	}

	dirs, _ := filepath.Glob(filepath.Join(debianRoot, "*", "bin", "postgres"))
	for _, p := range dirs {
		binDir := filepath.Dir(p)
		major, err := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
		if err != nil {
			continue
		}
		add(install{major: major, binDir: binDir, shareDir: filepath.Join("/usr/share/postgresql", strconv.Itoa(major))})
	}

	if pgConfig, err := exec.LookPath("pg_config"); err == nil {
		binDir, err1 := output(ctx, pgConfig, "--bindir")
		shareDir, err2 := output(ctx, pgConfig, "--sharedir")
		version, err3 := output(ctx, pgConfig, "--version")
		if err1 == nil && err2 == nil && err3 == nil {
			if major, ok := parseMajor(version); ok {
				add(install{major: major, binDir: binDir, shareDir: shareDir})
			}
		}
	}

	slices.SortStableFunc(out, func(a, b install) int { return b.major - a.major })
	return out
}

func output(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = cleanEnv()
	b, err := cmd.Output()
	return strings.TrimSpace(string(b)), err
}

// parseMajor extracts the major from "PostgreSQL 15.18 (Debian ...)" or
// "postgres (PostgreSQL) 16.2".
func parseMajor(version string) (int, bool) {
	m := versionRE.FindStringSubmatch(version)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// errNoServer is wrapped by chooseInstall when no PostgreSQL server exists.
var errNoServer = errors.New("no PostgreSQL server installed")

// chooseInstall picks the installation for a data dir. An initialised data
// dir can only be run by the major that created it (PG_VERSION); a fresh one
// gets the highest major that has PostGIS, because the service cannot work
// without it. needPostGIS is false for stopping, which must work even when
// PostGIS has been removed.
func chooseInstall(ctx context.Context, pgdata string, needPostGIS bool) (install, error) {
	installs := findInstalls(ctx)
	if len(installs) == 0 {
		return install{}, fmt.Errorf("pgmanaged: %w (looked in %s/*/bin and pg_config): run scripts/install-deps.sh postgis, or set DATABASE_URL", errNoServer, debianRoot)
	}

	if major, ok, err := dataDirMajor(pgdata); err != nil {
		return install{}, err
	} else if ok {
		for _, in := range installs {
			if in.major != major {
				continue
			}
			if needPostGIS && !in.hasPostGIS() {
				return install{}, fmt.Errorf("pgmanaged: data dir %s uses PostgreSQL %d, which has no PostGIS: run scripts/install-deps.sh postgis or install postgresql-%d-postgis-3", pgdata, major, major)
			}
			return in, nil
		}
		return install{}, fmt.Errorf("pgmanaged: data dir %s was initialised with PostgreSQL %d, but its binaries are not installed (found %s): install postgresql-%d and postgresql-%d-postgis-3, or remove %s to re-initialise with PostgreSQL %d (this deletes the local database)",
			pgdata, major, majorsList(installs), major, major, pgdata, installs[0].major)
	}

	if !needPostGIS {
		return installs[0], nil
	}
	for _, in := range installs {
		if in.hasPostGIS() {
			return in, nil
		}
	}
	return install{}, fmt.Errorf("pgmanaged: PostGIS is not installed for PostgreSQL %s: run scripts/install-deps.sh postgis (or apt-get install postgresql-%d-postgis-3)",
		majorsList(installs), installs[0].major)
}

func majorsList(installs []install) string {
	s := make([]string, len(installs))
	for i, in := range installs {
		s[i] = strconv.Itoa(in.major)
	}
	return strings.Join(s, ", ")
}

// dataDirMajor reads PGDATA/PG_VERSION; ok is false when the data dir has not
// been initialised.
func dataDirMajor(pgdata string) (major int, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(pgdata, "PG_VERSION"))
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("pgmanaged: read PG_VERSION: %w", err)
	}
	major, err = strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, false, fmt.Errorf("pgmanaged: %s/PG_VERSION: unexpected content %q", pgdata, strings.TrimSpace(string(b)))
	}
	return major, true, nil
}
