#!/usr/bin/env bash
# Builds the amd64 packages with scripts/deb.sh into a scratch directory and
# checks them: control fields, file list, conffiles, maintainer scripts, the
# binary (static, runs, accepts its packaged config), the unit files
# (systemd-analyze verify, when present) and the Mosquitto ACL
# (packaging/mosquitto/acl_test.sh, when mosquitto is installed).
#
#   scripts/deb_test.sh                       inspect only
#   DEB_TEST_INSTALL=1 scripts/deb_test.sh    also dpkg -i / -r / -P pitwall-trackside
#                                             (root; changes this machine: leaves the
#                                             system user "pitwall" and group "gpio")
set -euo pipefail

cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

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

DIST=$tmp/dist scripts/deb.sh amd64

has() { # DEB PATH: the package holds PATH
	dpkg-deb -c "$1" | awk '{print $6}' | grep -qx "./$2"
}
field() { dpkg-deb -f "$1" "$2"; }
static_binary() { file -L "$1" | grep -q 'statically linked'; }
mode_is() { [ "$(stat -c %a "$1")" = "$2" ]; }
syntax_ok() { sh -n "$1"; }
contains() { grep -q -- "$2" "$1"; }

# verify_unit UNIT BINARY: systemd-analyze verify with ExecStart pointing at
# the extracted binary (verify checks that the command exists).
verify_unit() {
	local unit=$1 bin=$2 dir=$tmp/units
	mkdir -p "$dir"
	sed "s#^ExecStart=/usr/bin/[a-z]*#ExecStart=$bin#" "$unit" >"$dir/${unit##*/}"
	systemd-analyze verify "$dir/${unit##*/}"
	# verify prints warnings (unknown keys, bad values) without failing.
	! systemd-analyze verify "$dir/${unit##*/}" 2>&1 | grep -q .
}

deb=$(ls "$tmp"/dist/pitwall-trackside_*_amd64.deb)
x=$tmp/trackside
dpkg-deb -x "$deb" "$x"
dpkg-deb -e "$deb" "$x/DEBIAN"

check "Package field" [ "$(field "$deb" Package)" = pitwall-trackside ]
check "Architecture field" [ "$(field "$deb" Architecture)" = amd64 ]
check "Version is a Debian version" dpkg --compare-versions "$(field "$deb" Version)" gt 0~
check "Recommends mosquitto" [ "$(field "$deb" Recommends)" = mosquitto ]
check "Installed-Size is filled in" test "$(field "$deb" Installed-Size)" -gt 1000
for p in usr/bin/trackside usr/lib/systemd/system/pitwall-trackside.service \
	usr/lib/udev/rules.d/60-pitwall-gpio.rules etc/pitwall/trackside.json \
	usr/share/doc/pitwall-trackside/copyright usr/share/doc/pitwall-trackside/licenses/go/LICENSE \
	usr/share/doc/pitwall-trackside/licenses/go.etcd.io/bbolt/LICENSE \
	usr/share/doc/pitwall-trackside/examples/mosquitto/pitwall.acl; do
	check "package holds /$p" has "$deb" "$p"
done
check "files are owned by root" bash -c "! dpkg-deb -c '$deb' | awk '{print \$2}' | grep -v '^root/root\$'"
check "config is a conffile" [ "$(cat "$x/DEBIAN/conffiles")" = /etc/pitwall/trackside.json ]
for s in postinst prerm postrm; do
	check "$s is executable" mode_is "$x/DEBIAN/$s" 755
	check "$s parses" syntax_ok "$x/DEBIAN/$s"
	check "$s names the service" contains "$x/DEBIAN/$s" "SERVICE=pitwall-trackside.service"
done
check "postinst has no unfilled placeholder" bash -c "! grep -n '@[A-Z]*@' '$x/DEBIAN/postinst' '$x/DEBIAN/postrm' '$x/DEBIAN/control'"
check "binary is static" static_binary "$x/usr/bin/trackside"
check "binary accepts the packaged config" "$x/usr/bin/trackside" -config "$x/etc/pitwall/trackside.json" -check
# The same version as every other build path (scripts/version_test.sh).
want_version=$(scripts/version.sh)
check "trackside -version is scripts/version.sh's" [ "$("$x/usr/bin/trackside" -version)" = "$want_version" ]
check "copyright names the Apache-2.0 licence" grep -qx 'License: Apache-2.0' "$x/usr/share/doc/pitwall-trackside/copyright"
check "package holds the licence text" cmp "$x/usr/share/doc/pitwall-trackside/LICENSE" LICENSE

# postinst_groups SHELL POSTINST: the groups postinst's configure creates when
# run by SHELL (/bin/sh is dash on Debian, bash on some systems), with every
# command it calls stubbed to log instead.
postinst_groups() {
	local stub=$tmp/stub-$(basename "$1") c
	rm -rf "$stub"
	mkdir -p "$stub"
	for c in getent groupadd useradd udevadm systemctl; do
		printf '#!%s\necho "%s $*" >>"%s/calls"\n[ %s != getent ] || exit 2\n' "$(command -v "$1")" "$c" "$stub" "$c" >"$stub/$c"
		chmod +x "$stub/$c"
	done
	PATH=$stub "$(command -v "$1")" "$2" configure "" >/dev/null
	grep '^groupadd ' "$stub/calls" | awk '{print $NF}' | tr '\n' ' '
}
for sh in dash bash; do
	if command -v "$sh" >/dev/null 2>&1; then
		check "postinst under $sh creates the groups gpio dialout pitwall" \
			[ "$(postinst_groups "$sh" "$x/DEBIAN/postinst")" = "gpio dialout pitwall " ]
	fi
done
if command -v systemd-analyze >/dev/null 2>&1; then
	check "systemd-analyze verify pitwall-trackside.service" \
		verify_unit "$x/usr/lib/systemd/system/pitwall-trackside.service" "$x/usr/bin/trackside"
	# The kiosk unit is checked even before cmd/kiosk exists (any binary will do).
	check "systemd-analyze verify pitwall-kiosk.service" \
		verify_unit packaging/systemd/pitwall-kiosk.service "$x/usr/bin/trackside"
else
	echo "deb_test: no systemd-analyze, unit files not verified"
fi
# Kiosk and racectl once their commands exist.
if ls "$tmp"/dist/pitwall-kiosk_*_amd64.deb >/dev/null 2>&1; then
	d=$(ls "$tmp"/dist/pitwall-kiosk_*_amd64.deb)
	k=$tmp/kiosk
	dpkg-deb -x "$d" "$k"
	dpkg-deb -e "$d" "$k/DEBIAN"
	for p in usr/bin/kiosk usr/lib/systemd/system/pitwall-kiosk.service etc/pitwall/kiosk.json \
		usr/share/doc/pitwall-kiosk/licenses/go/LICENSE; do
		check "pitwall-kiosk holds /$p" has "$d" "$p"
	done
	check "kiosk config is a conffile" [ "$(cat "$k/DEBIAN/conffiles")" = /etc/pitwall/kiosk.json ]
	check "kiosk postinst names the service" contains "$k/DEBIAN/postinst" "SERVICE=pitwall-kiosk.service"
	check "kiosk binary is static" static_binary "$k/usr/bin/kiosk"
	check "kiosk -version is scripts/version.sh's" [ "$("$k/usr/bin/kiosk" -version)" = "$want_version" ]
	check "kiosk accepts the packaged config" "$k/usr/bin/kiosk" -config "$k/etc/pitwall/kiosk.json" -check
	if command -v systemd-analyze >/dev/null 2>&1; then
		check "systemd-analyze verify pitwall-kiosk.service (packaged)" \
			verify_unit "$k/usr/lib/systemd/system/pitwall-kiosk.service" "$k/usr/bin/kiosk"
	fi
fi
if ls "$tmp"/dist/pitwall-racectl_*_amd64.deb >/dev/null 2>&1; then
	d=$(ls "$tmp"/dist/pitwall-racectl_*_amd64.deb)
	check "pitwall-racectl holds /usr/bin/racectl" has "$d" usr/bin/racectl
fi

if [ "${DEB_TEST_INSTALL:-}" = 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "deb_test: DEB_TEST_INSTALL=1 needs root" >&2; exit 1; }
	check "dpkg -i" dpkg -i "$deb"
	check "unit installed" test -f /usr/lib/systemd/system/pitwall-trackside.service
	check "unit enabled" test -L /etc/systemd/system/multi-user.target.wants/pitwall-trackside.service
	check "user pitwall exists" id pitwall
	check "group gpio exists" getent group gpio
	if command -v systemd-analyze >/dev/null 2>&1; then
		check "systemd-analyze verify (installed)" systemd-analyze verify pitwall-trackside.service
	fi
	check "dpkg -r" dpkg -r pitwall-trackside
	check "binary removed" test ! -e /usr/bin/trackside
	check "conffile kept after remove" test -f /etc/pitwall/trackside.json
	check "dpkg -P" dpkg -P pitwall-trackside
	check "conffile gone after purge" test ! -e /etc/pitwall/trackside.json
	check "enablement gone after purge" test ! -e /etc/systemd/system/multi-user.target.wants/pitwall-trackside.service
fi

if command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]; then
	check "mosquitto ACL (packaging/mosquitto/acl_test.sh)" packaging/mosquitto/acl_test.sh
else
	echo "deb_test: no mosquitto, ACL not checked"
fi

echo "deb_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
