#!/usr/bin/env bash
# install-deps.sh — make sure the system packages Lägesbild needs are present.
#
# Usage: scripts/install-deps.sh [postgis] [gdal] [chromium] [node]
#        (default: postgis)
#
# Idempotent: every component is checked first and apt is only touched when
# something is actually missing, so `make run` / `make test` can call this on
# every invocation. Prints a single "deps: ... ok" line when there is nothing
# to do.
#
# postgis  PostgreSQL server (any installed major, else the distribution
#          default) + PostGIS 3 for that major + acl (setfacl, which
#          internal/pgmanaged uses to let the unprivileged cluster user reach a
#          data dir below a 0700 directory when running as root).
# gdal     gdal-bin (ogrinfo/ogr2ogr) and python3-owslib (OWSLib, an OGC API client
#          the tests drive with /usr/bin/python3)
# chromium chromium (/usr/bin/chromium)
# node     nodejs + npm
#
# Note: installing PostGIS may upgrade the PostgreSQL server package under a
# running project cluster; internal/pgmanaged notices the replaced binary and
# restarts the cluster on the next start.
set -euo pipefail

components=("$@")
if [ "${#components[@]}" -eq 0 ]; then
	components=(postgis)
fi
for c in "${components[@]}"; do
	case "$c" in
	postgis | gdal | chromium | node) ;;
	*)
		echo "deps: unknown component '$c' (want: postgis gdal chromium node)" >&2
		exit 2
		;;
	esac
done

# --- helpers -----------------------------------------------------------------

is_debian() {
	command -v apt-get >/dev/null 2>&1 || return 1
	[ -r /etc/os-release ] || return 1
	local id id_like
	id="$(. /etc/os-release && echo "${ID:-}")"
	id_like="$(. /etc/os-release && echo "${ID_LIKE:-}")"
	case " $id $id_like " in
	*" debian "* | *" ubuntu "*) return 0 ;;
	esac
	return 1
}

# pg_majors prints the installed PostgreSQL server majors (Debian layout),
# highest first.
pg_majors() {
	local p m
	for p in /usr/lib/postgresql/*/bin/postgres; do
		[ -x "$p" ] || continue
		m="${p#/usr/lib/postgresql/}"
		m="${m%%/*}"
		echo "$m"
	done | sort -rn
}

has_postgis() {
	[ -f "/usr/share/postgresql/$1/extension/postgis.control" ]
}

# default_pg_major asks apt which server major the `postgresql` metapackage
# pulls in (needs package lists; prints nothing if unknown).
default_pg_major() {
	apt-cache depends postgresql 2>/dev/null |
		sed -n 's/^ *Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n1
}

non_debian_help() {
	cat >&2 <<'EOF'
deps: this script only knows how to install packages on Debian/Ubuntu (apt-get).
Please install these yourself with your system's package manager:
  - PostgreSQL 15 or newer, the server (initdb, pg_ctl, postgres, pg_isready, psql)
  - PostGIS 3 built for that same PostgreSQL major (the postgis extension)
  - acl (setfacl), only needed when running as root with the repo below a 0700 directory
  - gdal-bin (ogrinfo, ogr2ogr)          — for the 'gdal' component
  - python3-owslib (OWSLib)              — for the 'gdal' component
  - chromium (/usr/bin/chromium)         — for the 'chromium' component
  - nodejs and npm                       — for the 'node' component
Or point DATABASE_URL at an existing PostgreSQL with PostGIS 3.
EOF
}

# How to run privileged commands: directly as root, through sudo, or not at all
# (then we print what the user has to run).
SUDO=()
CAN_INSTALL=1
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=(sudo)
	else
		CAN_INSTALL=0
	fi
fi

APT_OPTS=(-y --no-install-recommends -o DPkg::Lock::Timeout=600)
updated=0

apt_update() {
	if [ "$updated" -eq 0 ]; then
		echo "deps: apt-get update" >&2
		"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
		updated=1
	fi
}

apt_install() {
	echo "deps: installing $*" >&2
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -qq "${APT_OPTS[@]}" "$@"
}

print_manual() {
	echo "deps: missing packages and no root/sudo available; please run as root:" >&2
	echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $*" >&2
	if [ "${need_rerun:-0}" -eq 1 ]; then
		echo "  then run $0 ${components[*]} again (PostGIS for the installed server major)" >&2
	fi
}

# --- collect what is missing --------------------------------------------------

want() {
	local c
	for c in "${components[@]}"; do
		[ "$c" = "$1" ] && return 0
	done
	return 1
}

missing=()
need_server=0
need_rerun=0

if want postgis; then
	mapfile -t majors < <(pg_majors)
	if [ "${#majors[@]}" -eq 0 ]; then
		need_server=1
	else
		# Any installed major with PostGIS is enough: pgmanaged picks the
		# highest major that has it. Otherwise add PostGIS for the highest.
		have=0
		for m in "${majors[@]}"; do
			if has_postgis "$m"; then
				have=1
				break
			fi
		done
		if [ "$have" -eq 0 ]; then
			missing+=("postgresql-${majors[0]}-postgis-3")
		fi
		# An existing project cluster can only run with the major that
		# created it, so that one needs PostGIS too. (PGDATA is private to
		# the cluster user; if we cannot read it, pgmanaged will say.)
		pgver="${LAGESBILD_DATA_DIR:-var}/pg/PG_VERSION"
		if [ -r "$pgver" ]; then
			m="$(tr -dc '0-9' <"$pgver")"
			if [ -n "$m" ] && [ -x "/usr/lib/postgresql/$m/bin/postgres" ] && ! has_postgis "$m" &&
				[[ " ${missing[*]} " != *" postgresql-$m-postgis-3 "* ]]; then
				missing+=("postgresql-$m-postgis-3")
			fi
		fi
	fi
	if ! command -v setfacl >/dev/null 2>&1; then
		missing+=(acl)
	fi
fi
if want gdal && ! command -v ogrinfo >/dev/null 2>&1; then
	missing+=(gdal-bin)
fi
if want gdal && ! /usr/bin/python3 -c 'import owslib' >/dev/null 2>&1; then
	missing+=(python3-owslib)
fi
if want chromium && [ ! -x /usr/bin/chromium ]; then
	missing+=(chromium)
fi
if want node && ! command -v node >/dev/null 2>&1; then
	missing+=(nodejs npm)
fi

if [ "$need_server" -eq 0 ] && [ "${#missing[@]}" -eq 0 ]; then
	line=""
	for c in "${components[@]}"; do
		line+="${line:+, }$c ok"
	done
	echo "deps: $line"
	exit 0
fi

if ! is_debian; then
	echo "deps: missing: $([ "$need_server" -eq 1 ] && echo 'PostgreSQL server ')${missing[*]}" >&2
	non_debian_help
	exit 1
fi

# --- install ------------------------------------------------------------------

if [ "$CAN_INSTALL" -eq 0 ]; then
	if [ "$need_server" -eq 1 ]; then
		m="$(default_pg_major)"
		if [ -n "$m" ]; then
			missing=(postgresql "postgresql-$m-postgis-3" "${missing[@]}")
		else
			missing=(postgresql "${missing[@]}")
			need_rerun=1
		fi
	fi
	print_manual "${missing[@]}"
	exit 1
fi

apt_update

if [ "$need_server" -eq 1 ]; then
	# The server major decides the PostGIS package name, so install the
	# server first and look at what we got.
	apt_install postgresql
	mapfile -t majors < <(pg_majors)
	if [ "${#majors[@]}" -eq 0 ]; then
		echo "deps: installed 'postgresql' but found no server under /usr/lib/postgresql/*/bin/postgres" >&2
		exit 1
	fi
	if ! has_postgis "${majors[0]}"; then
		missing=("postgresql-${majors[0]}-postgis-3" "${missing[@]}")
	fi
fi

if [ "${#missing[@]}" -gt 0 ]; then
	apt_install "${missing[@]}"
fi

echo "deps: ${components[*]} ok (installed: $([ "$need_server" -eq 1 ] && echo 'postgresql ')${missing[*]})"
