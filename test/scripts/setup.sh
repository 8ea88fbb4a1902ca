#!/usr/bin/env bash
# Installs what person_pivots needs to build and test, from Debian's packages.
# Idempotent and silent when everything is present.
set -euo pipefail
cd "$(dirname "$0")/../.."
# Another apt run on the machine holds dpkg's lock: wait for it.
apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }

server_major() {
	ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sed 's|/usr/lib/postgresql/\([0-9]*\)/.*|\1|' | sort -n | tail -1
}

need=()
major=$(server_major || true)
[ -n "$major" ] || need+=(postgresql postgresql-contrib)
for pkg in g++ make cmake libboost-dev libgtest-dev libbenchmark-dev gnuplot-nox python3 git dpkg-dev; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need+=("$pkg")
done
if [ -n "$major" ]; then
	dpkg-query -W -f='${Status}' "postgresql-server-dev-$major" 2>/dev/null | grep -q "ok installed" \
		|| need+=("postgresql-server-dev-$major")
fi

if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "person_pivots: missing packages: ${need[*]} (run make setup as root)" >&2
		exit 1
	fi
	echo "person_pivots: installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt_get update -qq
	apt_get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	# a server installed just now: its headers match its major version
	if [ -z "$major" ]; then
		major=$(server_major)
		apt_get install -y -qq --no-install-recommends "postgresql-server-dev-$major" >/dev/null
	fi
fi
# The Debian package (make deb; make test builds and installs it): the
# Build-Depends of debian/control, installed as Debian does it.
if ! dpkg-checkbuilddeps >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "person_pivots: missing build dependencies of the Debian package: $(dpkg-checkbuilddeps 2>&1 | sed 's/.*Unmet build dependencies: //') (run make setup as root)" >&2
		exit 1
	fi
	echo "person_pivots: installing the Debian package's build dependencies (debian/control)"
	export DEBIAN_FRONTEND=noninteractive
	[ ${#need[@]} -gt 0 ] || apt_get update -qq
	apt_get build-dep -y -qq --no-install-recommends ./ >/dev/null
fi
# Debian starts a cluster when it installs the server; we never use it, and
# never touch a server the user runs: tests start their own on a free port.
