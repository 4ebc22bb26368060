#!/usr/bin/env bash
# Checks that every build path stamps the same version into every binary:
# the Makefile (make build), Buildroot's buildroot/package/pitwall/pitwall.mk
# (its PITWALL_LDFLAGS, evaluated outside Buildroot) and, for a tree without
# .git, the VERSION file that make tarball writes. scripts/deb_test.sh checks
# the .deb binaries the same way. Each binary's -version must print what
# scripts/version.sh prints. Run by make deb-test.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GO=${GO:-go}
CMDS="trackside kiosk pitwall"

passed=0 failed=0
check() { # MESSAGE COMMAND...
	local msg=$1
	shift
	if "$@" >"$tmp/check.out" 2>&1; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $msg"
		sed 's/^/    /' "$tmp/check.out"
	fi
}
reports() { # BINARY WANT: BINARY -version prints WANT
	local got
	got=$("$1" -version)
	[ "$got" = "$2" ] || { echo "$1 -version: '$got', want '$2'"; return 1; }
}
# mk_ldflags TREE: PITWALL_LDFLAGS as pitwall.mk computes them for TREE.
mk_ldflags() {
	printf 'BR2_EXTERNAL_PITWALL_PATH := %s/buildroot\ninclude %s/buildroot/package/pitwall/pitwall.mk\nprint:\n\t@echo '\''$(PITWALL_LDFLAGS)'\''\n' "$1" "$1" |
		make -s --no-print-directory -f - print
}
# build_all TREE LDFLAGS OUTDIR: every command of TREE with LDFLAGS.
build_all() {
	local c
	for c in $CMDS; do
		(cd "$1" && CGO_ENABLED=0 "$GO" build -trimpath -ldflags "$2" -o "$3/$c" "./cmd/$c") || return 1
	done
}

want=$(scripts/version.sh)
check "scripts/version.sh prints a version" test -n "$want"

# 1. The Makefile.
make -s --no-print-directory build BINDIR="$tmp/make" >/dev/null
for c in $CMDS; do
	check "make build: $c -version" reports "$tmp/make/$c" "$want"
done

# 2. Buildroot's pitwall.mk.
ldflags=$(mk_ldflags "$root")
build_all "$root" "$ldflags" "$tmp/br"
for c in $CMDS; do
	check "pitwall.mk: $c -version" reports "$tmp/br/$c" "$want"
done

# 3. A tree without .git (release tarball, Buildroot's copy) takes the
# VERSION file, even inside another git checkout, with the Makefile and
# with pitwall.mk.
tree=$tmp/outer/pitwall-tree
mkdir -p "$tree"
git init -q "$tmp/outer"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
	if [ -e "$f" ]; then printf '%s\0' "$f"; fi
done | tar --null -T - -cf - | tar -xf - -C "$tree"
echo "9.8.7-test" >"$tree/VERSION"
check "version.sh reads VERSION" test "$("$tree/scripts/version.sh")" = 9.8.7-test
make -s --no-print-directory -C "$tree" build BINDIR="$tmp/tarball-make" >/dev/null
build_all "$tree" "$(mk_ldflags "$tree")" "$tmp/tarball-br"
for c in $CMDS; do
	check "tree with VERSION, make build: $c -version" reports "$tmp/tarball-make/$c" 9.8.7-test
	check "tree with VERSION, pitwall.mk: $c -version" reports "$tmp/tarball-br/$c" 9.8.7-test
done
echo 'v1 $(rm -rf /)' >"$tree/VERSION"
check "version.sh refuses a VERSION with other characters" bash -c "! '$tree/scripts/version.sh'"
: >"$tree/VERSION"
check "version.sh refuses an empty VERSION" bash -c "! '$tree/scripts/version.sh'"
rm "$tree/VERSION"
check "version.sh without git or VERSION says dev" test "$("$tree/scripts/version.sh")" = dev

# 4. make tarball carries the VERSION file.
if git rev-parse --verify -q HEAD >/dev/null; then
	make -s --no-print-directory tarball VERSION=9.8.7-tarball >/dev/null
	check "make tarball writes VERSION" test "$(tar -xzOf dist/pitwall-9.8.7-tarball.tar.gz pitwall-9.8.7-tarball/VERSION)" = 9.8.7-tarball
	rm -f dist/pitwall-9.8.7-tarball.tar.gz
fi

echo "version_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
