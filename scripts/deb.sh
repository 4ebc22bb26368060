#!/usr/bin/env bash
# Builds pitwall's Debian packages with plain dpkg-deb (no debhelper):
#
#   scripts/deb.sh ARCH...        ARCH: amd64 | arm64 | armhf (GOARM=7)
#
# For each ARCH: dist/pitwall-trackside_<version>_<arch>.deb,
# pitwall-kiosk_… and pitwall-racectl_… . A command whose cmd/<name> has no
# Go files yet is skipped with a message; one that fails to build is an error.
# The packages' layout and maintainer scripts are in packaging/ (README.md).
#
# Environment:
#   GO              go command (default: go)
#   VERSION         version string linked into the binaries
#                   (default: scripts/version.sh, as in the Makefile)
#   DEB_VERSION     package version (default: derived from VERSION, see below)
#   DEB_MAINTAINER  Maintainer field (default: pitwall developers <pitwall@localhost>)
#   DIST            output directory (default: dist)
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD

die() {
	echo "deb: $*" >&2
	exit 1
}

usage() {
	echo "usage: scripts/deb.sh ARCH...   (ARCH: amd64, arm64, armhf)" >&2
	exit 2
}

[ $# -gt 0 ] || usage

GO=${GO:-go}
DIST=${DIST:-$root/dist}
DEB_MAINTAINER=${DEB_MAINTAINER:-pitwall developers <pitwall@localhost>}
command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb is needed (Debian package dpkg)"
command -v "$GO" >/dev/null 2>&1 || die "no '$GO' in PATH (Go 1.26 or newer is needed)"

VERSION=${VERSION:-$(scripts/version.sh)}

# deb_version turns a git-describe string into a Debian version:
#   v1.2.0 -> 1.2.0, v1.2.0-3-gabc1234-dirty -> 1.2.0+3.gabc1234.dirty,
#   v2.0.0-rc1 -> 2.0.0~rc1 (sorts before 2.0.0),
#   untagged abc1234-dirty -> 0.0~git<commit date>.abc1234.dirty (before any
#   release, by date among snapshots).
# A release has a dot in its first part (1.2); a bare hash never does, even
# one made of digits only.
deb_version() {
	local v=${1#v} extra=""
	if [[ $v =~ ^(.+)-([0-9]+)-g([0-9a-f]+)(-dirty)?$ ]]; then
		v=${BASH_REMATCH[1]}
		extra="+${BASH_REMATCH[2]}.g${BASH_REMATCH[3]}${BASH_REMATCH[4]:+.dirty}"
	elif [[ $v == *-dirty ]]; then
		v=${v%-dirty}
		extra="+dirty"
	fi
	if [[ $v =~ ^[0-9]+\.[0-9] ]]; then
		v=${v/-rc/\~rc}
		v=${v/-alpha/\~alpha}
		v=${v/-beta/\~beta}
		echo "${v//-/.}$extra"
	else
		local date
		date=$(git log -1 --format=%cd --date=format:%Y%m%d 2>/dev/null || date -u +%Y%m%d)
		v=${1#v}
		echo "0.0~git$date.${v//-/.}"
	fi
}

DEB_VERSION=${DEB_VERSION:-$(deb_version "$VERSION")}
[[ $DEB_VERSION =~ ^[0-9][A-Za-z0-9.+~]*$ ]] ||
	die "DEB_VERSION '$DEB_VERSION' is not a Debian version (digits first, then [A-Za-z0-9.+~])"

# Reproducible packages: file dates from the last commit.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH

# has_main tells whether cmd/NAME exists yet (it may still be being written).
has_main() {
	find "cmd/$1" -maxdepth 1 -name '*.go' ! -name '*_test.go' 2>/dev/null | grep -q .
}

# example_of NAME prints the example config of cmd/NAME, if there is one.
example_of() {
	local f
	for f in "docs/$1.example.json" "cmd/$1/$1.example.json"; do
		if [ -f "$f" ]; then
			echo "$f"
			return
		fi
	done
}

# go_env ARCH prints the GOARCH and GOARM for a Debian architecture.
go_env() {
	case $1 in
	amd64) echo "amd64 " ;;
	arm64) echo "arm64 " ;;
	armhf) echo "arm 7" ;;
	*) die "unknown architecture '$1' (amd64, arm64 or armhf)" ;;
	esac
}

# build_bin NAME ARCH OUT: a static binary of ./cmd/NAME.
build_bin() {
	local goarch goarm
	read -r goarch goarm <<<"$(go_env "$2")"
	echo "deb: build $1 for $2"
	CGO_ENABLED=0 GOOS=linux GOARCH=$goarch GOARM=$goarm "$GO" build -trimpath \
		-ldflags "-s -w -X pitwall/internal/version.Version=$VERSION" -o "$3" "./cmd/$1"
}

# copy_licenses NAME ARCH DOCDIR: the licence files of Go and of every module
# linked into ./cmd/NAME (the binary is static, so they ship with it).
copy_licenses() {
	local goarch goarm path dir f
	read -r goarch goarm <<<"$(go_env "$2")"
	mkdir -p "$3/licenses/go"
	install -m 0644 "$("$GO" env GOROOT)/LICENSE" "$3/licenses/go/LICENSE"
	CGO_ENABLED=0 GOOS=linux GOARCH=$goarch GOARM=$goarm "$GO" list -deps \
		-f '{{with .Module}}{{if not .Main}}{{.Path}} {{.Dir}}{{end}}{{end}}' "./cmd/$1" |
		sort -u | while read -r path dir; do
		[ -n "$dir" ] || die "module $path is not in the module cache (run: go mod download)"
		mkdir -p "$3/licenses/$path"
		for f in "$dir"/LICENSE* "$dir"/LICENCE* "$dir"/COPYING* "$dir"/NOTICE* "$dir"/epl-v* "$dir"/edl-v*; do
			if [ -f "$f" ]; then install -m 0644 "$f" "$3/licenses/$path/"; fi
		done
		[ -n "$(ls -A "$3/licenses/$path")" ] || die "module $path has no licence file in $dir"
	done
}

# subst FILE: fills the @…@ placeholders of the control and maintainer templates.
subst() {
	sed -e "s|@PACKAGE@|$pkg|g" -e "s|@VERSION@|$DEB_VERSION|g" -e "s|@ARCH@|$arch|g" \
		-e "s|@MAINTAINER@|$DEB_MAINTAINER|g" -e "s|@SIZE@|${size:-0}|g" \
		-e "s|@SERVICE@|${service:-}|g" -e "s|@GROUPS@|${groups:-}|g" \
		-e "s|@CONFIG@|${config:-}|g" "$1"
}

# stage_common NAME: binary, docs and licences of package $pkg in $stage.
stage_common() {
	local doc=$stage/usr/share/doc/$pkg
	mkdir -p "$stage/usr/bin" "$doc" "$stage/DEBIAN"
	build_bin "$1" "$arch" "$stage/usr/bin/$1"
	install -m 0644 packaging/README.md "$doc/README.md"
	install -m 0644 LICENSE "$doc/LICENSE"
	copy_licenses "$1" "$arch" "$doc"
	cat >"$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: pitwall
Comment: $1 is a static Go binary. The licences of Go and of every Go
 module linked into it are in /usr/share/doc/$pkg/licenses/.

Files: *
Copyright: pitwall developers
License: Apache-2.0
 On Debian systems the full text of the Apache License, Version 2.0 is in
 /usr/share/common-licenses/Apache-2.0; it is also in
 /usr/share/doc/$pkg/LICENSE.
EOF
}

# stage_service: unit file and maintainer scripts of service $service.
stage_service() {
	install -D -m 0644 "packaging/systemd/$service" "$stage/usr/lib/systemd/system/$service"
	local s
	for s in postinst prerm postrm; do
		subst "packaging/deb/maint/$s.in" >"$stage/DEBIAN/$s"
		chmod 0755 "$stage/DEBIAN/$s"
	done
}

# pack: control file, file dates and modes, then dpkg-deb.
pack() {
	find "$stage" -type d -exec chmod 0755 {} +
	size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
	subst "packaging/deb/control/$pkg" >"$stage/DEBIAN/control"
	find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	local out=$DIST/${pkg}_${DEB_VERSION}_${arch}.deb
	dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
	echo "deb: wrote ${out#"$root"/}"
}

package_trackside() {
	pkg=pitwall-trackside service=pitwall-trackside.service groups="gpio dialout video"
	config=/etc/pitwall/trackside.json
	stage=$DIST/stage/$arch/$pkg
	rm -rf "$stage"
	stage_common trackside
	stage_service
	# The officials' console on the unit's touchscreen: shipped, not
	# enabled (a unit without a screen does not need it):
	# systemctl enable --now pitwall-console.
	build_bin console "$arch" "$stage/usr/bin/console"
	install -D -m 0644 packaging/systemd/pitwall-console.service \
		"$stage/usr/lib/systemd/system/pitwall-console.service"
	install -D -m 0644 packaging/udev/60-pitwall-gpio.rules \
		"$stage/usr/lib/udev/rules.d/60-pitwall-gpio.rules"
	# The full example is the starting config: edit it, then start the unit.
	local example doc=$stage/usr/share/doc/$pkg
	example=$(example_of trackside)
	[ -n "$example" ] || die "no trackside.example.json in docs/ or cmd/trackside/"
	install -D -m 0644 "$example" "$stage/etc/pitwall/trackside.json"
	install -D -m 0644 "$example" "$doc/examples/trackside.example.json"
	install -D -m 0644 buildroot/board/pitwall/boot/officials.txt.example "$doc/examples/officials.txt.example"
	install -m 0644 docs/trackside.md "$doc/trackside.md"
	if [ -f docs/admin.md ]; then install -m 0644 docs/admin.md "$doc/admin.md"; fi
	# The venue broker (docs/admin.md): the shipped config, enabled with
	#   ln -s /usr/share/pitwall/mosquitto/pitwall.conf /etc/mosquitto/conf.d/
	# and the password file and ACL generated before every Mosquitto start.
	install -D -m 0644 packaging/mosquitto/pitwall.conf "$stage/usr/share/pitwall/mosquitto/pitwall.conf"
	install -D -m 0644 packaging/mosquitto/mqtt-users.txt "$stage/etc/pitwall/mqtt-users.txt"
	# The uplink to a cloud broker (docs/uplink.md), disabled until copied to
	# /etc/mosquitto/conf.d/bridge.conf with its certificates.
	install -D -m 0644 packaging/mosquitto/bridge.conf.example "$stage/usr/share/pitwall/mosquitto/bridge.conf.example"
	install -m 0644 docs/uplink.md "$doc/uplink.md"
	install -D -m 0755 packaging/mosquitto/broker-files "$stage/usr/libexec/pitwall/broker-files"
	install -D -m 0644 packaging/mosquitto/mosquitto-pitwall.conf \
		"$stage/usr/lib/systemd/system/mosquitto.service.d/pitwall.conf"
	printf '%s\n' /etc/pitwall/trackside.json /etc/pitwall/mqtt-users.txt >"$stage/DEBIAN/conffiles"
	install -m 0644 docs/console.md "$doc/console.md"
	pack
}

package_kiosk() {
	pkg=pitwall-kiosk service=pitwall-kiosk.service groups="video tty input"
	config=/etc/pitwall/kiosk.json
	stage=$DIST/stage/$arch/$pkg
	rm -rf "$stage"
	stage_common kiosk
	stage_service
	local example
	example=$(example_of kiosk)
	if [ -n "$example" ]; then
		install -D -m 0644 "$example" "$stage/etc/pitwall/kiosk.json"
		echo /etc/pitwall/kiosk.json >"$stage/DEBIAN/conffiles"
		install -D -m 0644 "$example" "$stage/usr/share/doc/$pkg/examples/kiosk.example.json"
	else
		echo "deb: note: no kiosk.example.json yet, so $pkg ships no /etc/pitwall/kiosk.json"
	fi
	pack
}

package_racectl() {
	pkg=pitwall-racectl service="" groups="" config=""
	stage=$DIST/stage/$arch/$pkg
	rm -rf "$stage"
	stage_common racectl
	install -m 0644 docs/admin.md "$stage/usr/share/doc/$pkg/admin.md"
	pack
}

for arch in "$@"; do
	go_env "$arch" >/dev/null
done
mkdir -p "$DIST"
for arch in "$@"; do
	for name in trackside kiosk racectl; do
		if has_main "$name"; then
			"package_$name"
		else
			echo "deb: skip pitwall-$name for $arch: cmd/$name has no Go files yet"
		fi
	done
done
rm -rf "$DIST/stage"
