#!/bin/sh
# Prints the version every pitwall binary is stamped with, the one source
# of it for every build path (Makefile, scripts/deb.sh, Buildroot's
# buildroot/package/pitwall/pitwall.mk):
#
#   1. in a git checkout of this tree: git describe --always --dirty
#      (v1.2.0, v1.2.0-3-gabc1234, abc1234-dirty, ...);
#   2. else the first line of the VERSION file at the top of the tree, which
#      a release tarball carries (make tarball writes it) because it has no
#      .git (Buildroot's rsync of a local tree also leaves .git out);
#   3. else "dev".
#
# The binaries take it with -ldflags "-X pitwall/internal/version.Version=…".
# A version is letters, digits and . + ~ _ - only (it goes into a linker
# flag and a Debian version); anything else is an error.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd -P)

version=""
# Only this tree's own repository: a tarball unpacked inside some other
# git checkout must not take that checkout's describe.
if top=$(git -C "$root" rev-parse --show-toplevel 2>/dev/null) &&
	[ "$(cd "$top" && pwd -P)" = "$root" ]; then
	version=$(git -C "$root" describe --always --dirty 2>/dev/null || true)
fi
if [ -z "$version" ] && [ -f "$root/VERSION" ]; then
	version=$(head -n 1 "$root/VERSION" | tr -d ' \t\r')
	[ -n "$version" ] || {
		echo "version.sh: $root/VERSION is empty" >&2
		exit 1
	}
fi
[ -n "$version" ] || version=dev

case $version in
*[!A-Za-z0-9.+~_-]*)
	echo "version.sh: version '$version' has characters other than letters, digits and . + ~ _ -" >&2
	exit 1
	;;
esac
echo "$version"
