#!/usr/bin/env bash
# The Debian package, used the way a DBA uses it: build the .deb (make
# deb's script, without its build-time tests: the same tests run below
# against the installed package), remove the `make install` copy, install
# the .deb with apt, check that every person_pivots file PostgreSQL loads is
# the package's (dpkg -S owns it, dpkg --verify finds it unchanged, nothing
# else of ours sits next to it, and a backend maps the package's library),
# run the package's autopkgtest (debian/tests/installcheck: pg_buildext
# installcheck in a pg_virtualenv cluster), remove the package and check
# that nothing of it is left. On exit, failed or not, the package is purged
# and the checkout's `make install` (and the test module) is back in place
# for the other tests.
#
# Runs as root (apt, dpkg), on a machine where the system's PostgreSQL 15
# extension directory may be changed: make test on CI. Installs and removes
# files there: run it under the harness's lock on a shared machine.
# Needs a running cluster (PGHOST/PGPORT, as make test provides), or starts one.
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/scripts/cluster.sh
source test/scripts/checks.sh
cluster_ensure

[ "$(id -u)" -eq 0 ] || fail "t_package needs root (apt, dpkg)"
pkg=postgresql-15-person-pivots
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" person_pivots.control)
libdir=$(pg_config --pkglibdir)
extdir=$(pg_config --sharedir)/extension
db=pp_package_$$
work=$(mktemp -d /tmp/pp_package.XXXXXX)
chmod 755 "$work"

installed() { dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -qx "install ok installed"; }

# Whatever happens: no package left, the checkout's build installed again.
restore() {
	dropdb --if-exists "$db" >/dev/null 2>&1 || true
	if installed; then
		apt-get -o DPkg::Lock::Timeout=600 purge -y -qq "$pkg" >/dev/null 2>&1 || true
	fi
	make --no-print-directory -s install >/dev/null || echo "FAIL: make install after the package test"
	make --no-print-directory -s -C test/module install >/dev/null || echo "FAIL: make install of test/module"
	rm -rf "$work"
	cluster_stop
}
trap restore EXIT

# our_files: every person_pivots file in the directories PostgreSQL loads from
our_files() { ls -d "$libdir"/person_pivots* "$extdir"/person_pivots* 2>/dev/null || true; }

DEB_BUILD_OPTIONS=nocheck bash test/scripts/build_deb.sh "$work"
deb=$(ls "$work"/${pkg}_"${version}"_*.deb)
echo "-- dpkg -c $(basename "$deb"):"
dpkg-deb -c "$deb" | awk '{print $6}' | grep -v '/$'
check "the package's version is default_version $version" \
	test "$(dpkg-deb -f "$deb" Version)" = "$version"

# A DBA's server has no source install: take ours away (the package would
# overwrite the same paths without a word).
make --no-print-directory -s uninstall >/dev/null
make --no-print-directory -s -C test/module uninstall >/dev/null
check "no person_pivots file left after make uninstall" test -z "$(our_files)"

apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$deb" >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt install $deb"; }
check "apt installed $pkg $version" \
	test "$(dpkg-query -W -f='${Status} ${Version}' "$pkg")" = "install ok installed $version"
dpkg -L "$pkg" | sort >"$work/owned"
for f in $(our_files); do
	check "$f belongs to $pkg (dpkg -S)" test "$(dpkg -S "$f" 2>/dev/null | cut -d: -f1)" = "$pkg"
done
check "the library, control file and every versioned script are installed" \
	test "$(our_files | grep -c -e '\.so$' -e '\.control$' -e 'person_pivots--')" -eq \
	     "$((2 + $(ls sql/extension/person_pivots--*.sql | wc -l)))"
check "dpkg --verify: every installed file is the package's, unchanged" test -z "$(dpkg --verify "$pkg")"
check "the docs are installed" test -f "/usr/share/doc/$pkg/README.md.gz"

# The server uses them: default_version from the package's control file, and
# a backend that ran CREATE EXTENSION maps the package's library (not a
# deleted or other copy).
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f test/fixtures/host_schema.sql >/dev/null
check "the server sees default_version $version" \
	test "$(sql "$db" "SELECT default_version FROM pg_available_extensions WHERE name = 'person_pivots'")" = "$version"
# One session: a function call loads the library, then psql reads the
# backend's memory map while it is alive (\! does not expand psql variables:
# the pid goes through the environment).
mapped=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
SELECT count(*) AS links FROM person_pivots.person_active_media('11111111-0000-0000-0000-000000000001') \gset
SELECT pg_backend_pid() AS pid \gset
\setenv PP_BACKEND :pid
\! grep person_pivots "/proc/$PP_BACKEND/maps" | awk '{print $5, $6}' | sort -u
SQL
)
echo "$mapped" | sed 's/^/       /'
check "a backend maps $libdir/person_pivots.so, the package's file on disk (same inode)" \
	grep -qx "$(stat -c %i "$libdir/person_pivots.so") $libdir/person_pivots.so" <<<"$mapped"

# The package's autopkgtest, in a copy of the source tree (installcheck
# writes results/ and runs make clean there).
mkdir "$work/src"
git ls-files -z | tar --null --ignore-failed-read -T - -cf - | tar -xf - -C "$work/src"
if (cd "$work/src" && debian/tests/installcheck) >"$work/installcheck.log" 2>&1; then
	grep -E "^(test |ok |not ok |.* tests passed|.* tests failed)" "$work/installcheck.log" || true
	check "debian/tests/installcheck (pg_buildext installcheck) against the installed package" true
else
	tail -n 60 "$work/installcheck.log"
	check "debian/tests/installcheck (pg_buildext installcheck) against the installed package" false
fi
dropdb "$db"

apt-get -o DPkg::Lock::Timeout=600 purge -y -qq "$pkg" >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt purge $pkg"; }
check "$pkg is no longer installed" test "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed"
left=$(while read -r f; do [ ! -f "$f" ] || echo "$f"; done <"$work/owned")
check "none of the package's files is left" test -z "$left"
check "no person_pivots file left in $libdir or $extdir" test -z "$(our_files)"
check "the server no longer offers person_pivots" \
	test "$(sql postgres "SELECT count(*) FROM pg_available_extensions WHERE name = 'person_pivots'")" = 0

if [ "$failures" -ne 0 ]; then
	echo "t_package: $failures check(s) failed"
	exit 1
fi
echo "t_package: $pkg $version built, installed, tested (installcheck) and removed cleanly"
