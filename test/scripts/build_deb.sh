#!/usr/bin/env bash
# make deb: the Debian package postgresql-15-person-pivots_<version>_<arch>.deb,
# built by dpkg-buildpackage (debian/: postgresql-common's pgxs sequence)
# from a copy of the tracked files in a temporary directory, so the checkout
# stays clean; the .deb is copied to <outdir> (default: the top directory).
# Usage: build_deb.sh [outdir]. Uncommitted edits of
# tracked files are in the copy: it is the working tree, not HEAD.
# The build runs the regression tests and isolation specs against the
# staged package (dh_pgxs_test); DEB_BUILD_OPTIONS=nocheck skips them
# (t_package.sh does: it runs them against the installed package instead).
set -euo pipefail
cd "$(dirname "$0")/../.."

git rev-parse --git-dir >/dev/null 2>&1 ||
	{ echo "make deb: needs a git checkout (it packages the tracked files)" >&2; exit 1; }
outdir=$(realpath "${1:-.}")
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" person_pivots.control)
tmp=$(mktemp -d /tmp/pp_deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# the build-time test cluster runs as postgres and reads the staged package
chmod 755 "$tmp"
src="$tmp/person-pivots-$version"
mkdir "$src"
git ls-files -z | tar --null --ignore-failed-read -T - -cf - | tar -xf - -C "$src"

echo "person_pivots: building the Debian package $version (log: dpkg-buildpackage, last lines on failure)"
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
	tail -n 80 "$tmp/build.log"
	echo "make deb: dpkg-buildpackage failed" >&2
	exit 1
fi
grep -E "^(### |test |ok |not ok |.* tests passed|.* tests failed)" "$tmp/build.log" || true
deb=$(cd "$tmp" && ls postgresql-*-person-pivots_"${version}"_*.deb)
cp "$tmp/$deb" "$outdir/"
echo "built $outdir/$deb"
