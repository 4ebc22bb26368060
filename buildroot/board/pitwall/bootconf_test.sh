#!/usr/bin/env bash
# Tests rootfs-overlay/usr/libexec/pitwall/{bootconf,role-is} on scratch trees
# (PITWALL_ROOT), with BusyBox's sh and applets when busybox is installed (as
# on the image), else with the host's sh. When mosquitto is installed and this
# runs as root, also starts Mosquitto on the generated broker config. Needs go
# (to build the trackside binary that generates the broker files) and openssl.
#
#   buildroot/board/pitwall/bootconf_test.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
overlay=$here/rootfs-overlay
repo=$(cd "$here/../../.." && pwd)
tmp=$(mktemp -d)
broker=""
cleanup() {
	if [ -n "$broker" ]; then kill "$broker" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
chmod 0755 "$tmp"

# The users the script hands files to: the image's when they exist here.
if [ "$(id -u)" = 0 ] && getent group pitwall >/dev/null; then group=pitwall; else group=$(id -gn); fi
if [ "$(id -u)" = 0 ] && getent passwd mosquitto >/dev/null; then mquser=mosquitto; else mquser=$(id -un); fi
owner=root
if [ "$(id -u)" != 0 ]; then owner=$(id -un); fi
mqgroup=$(id -gn "$mquser")
export PITWALL_OWNER=$owner PITWALL_GROUP=$group PITWALL_MOSQUITTO_USER=$mquser PITWALL_MOSQUITTO_GROUP=$mqgroup

# The trackside binary generates the broker's password file and ACL.
(cd "$repo" && go build -o "$tmp/trackside" ./cmd/trackside)
export PITWALL_TRACKSIDE=$tmp/trackside

# derive USER: the password units derive from the test secret (docs/admin.md).
secret=0123456789abcdef0123456789abcdef-bootconf
derive() { printf 'pitwall-mqtt-v1:%s' "$1" | openssl dgst -sha256 -hmac "$secret" -binary | base64 | tr '+/' '-_' | tr -d '='; }

sh="sh"
if command -v busybox >/dev/null 2>&1; then
	# BusyBox applets first in PATH, as on the image.
	mkdir -p "$tmp/bin"
	for a in sh sed tr grep cp chmod chown mv ls cat rm mkdir echo; do
		ln -s "$(command -v busybox)" "$tmp/bin/$a"
	done
	export PATH="$tmp/bin:$PATH"
	sh="busybox sh"
	echo "bootconf_test: with BusyBox $(busybox | head -1 | cut -d' ' -f2)"
fi

passed=0 failed=0
ok() { passed=$((passed + 1)); }
fail() {
	failed=$((failed + 1))
	echo "FAIL: $*"
}
expect_eq() { # WHAT GOT WANT
	if [ "$2" = "$3" ]; then ok; else fail "$1: got '$2', want '$3'"; fi
}
expect_file() { # WHAT FILE MODE OWNER:GROUP
	if [ ! -f "$2" ]; then
		fail "$1: $2 missing"
	else
		expect_eq "$1 mode" "$(stat -c %a "$2")" "$3"
		expect_eq "$1 owner" "$(stat -c %U:%G "$2")" "$4"
	fi
}
expect_absent() { if [ ! -e "$2" ]; then ok; else fail "$1: $2 should not exist"; fi; }
expect_log() { if grep -q -- "$2" "$r/log"; then ok; else fail "$1: log has no '$2':"; sed 's/^/    /' "$r/log"; fi; }

# newroot NAME: a scratch tree with the shared files of the image.
newroot() {
	r=$tmp/$1
	mkdir -p "$r/boot/pitwall" "$r/usr/share/pitwall/mosquitto" "$r/etc" "$r/proc/sys/kernel" \
		"$r/sys/firmware/devicetree/base"
	cp "$repo/packaging/mosquitto/pitwall.conf" "$repo/packaging/mosquitto/mqtt-users.txt" \
		"$r/usr/share/pitwall/mosquitto/"
	echo buildroot >"$r/proc/sys/kernel/hostname"
	printf '10000000c0ffee42\000' >"$r/sys/firmware/devicetree/base/serial-number"
}
bootconf() { PITWALL_ROOT=$r $sh "$overlay/usr/libexec/pitwall/bootconf" 2>"$r/log"; }
role_is() { PITWALL_ROOT=$r $sh "$overlay/usr/libexec/pitwall/role-is" "$@" 2>>"$r/log"; }

# Role file variants: what a laptop's editor may leave.
roletest() { # NAME CONTENT WANT_ROLE (empty: none) LOG [FILES IN pitwall/] [PROBLEM NAMES]
	newroot "$1"
	printf '%b' "$2" >"$r/boot/pitwall-role.txt"
	for f in ${5:-}; do echo '{}' >"$r/boot/pitwall/$f"; done
	if bootconf; then ok; else fail "$1: bootconf failed"; fi
	if [ -n "$3" ]; then
		expect_eq "$1: role" "$(cat "$r/run/pitwall-boot/role" 2>/dev/null)" "$3"
		expect_file "$1: role file" "$r/run/pitwall-boot/role" 644 "$(id -un):$(id -gn)"
		expect_eq "$1: no problem for the screen" "$(cat "$r/run/pitwall-boot/problem")" ""
	else
		expect_absent "$1: role" "$r/run/pitwall-boot/role"
		# The kiosk shows this on the screen: it names the file.
		if grep -q "${6:-pitwall-role.txt}" "$r/run/pitwall-boot/problem"; then ok; else fail "$1: problem file: '$(cat "$r/run/pitwall-boot/problem")'"; fi
	fi
	expect_log "$1" "$4"
}
roletest plain 'kiosk\n' kiosk "role: kiosk"
# The shipped file says auto: the config on the card picks the role.
shipped="$(sed 's/%/%%/g' "$here/boot/pitwall-role.txt")\n"
roletest shipped-kiosk "$shipped" kiosk "role: kiosk" "kiosk.json mqtt-users.txt"
roletest shipped-trackside "$shipped" trackside "role: trackside" "trackside.json officials.txt"
roletest shipped-blank "$shipped" "" "no pitwall/trackside.json or pitwall/kiosk.json" "" "copy pitwall/kiosk.json.example to pitwall/kiosk.json"
roletest auto-both 'auto\n' "" "has both trackside.json and kiosk.json" "trackside.json kiosk.json" "pitwall-role.txt"
roletest windows '\357\273\277# role\r\n\r\n  TrackSide  \r\n' trackside "role: trackside"
roletest comment-after 'trackside # the timing unit\n' trackside "role: trackside"
roletest two-roles 'trackside\nkiosk\n' "" "is not one role"
roletest unknown 'scoreboard\n' "" '"scoreboard" is not one role'
roletest only-comments '# trackside\n\n' "" "names no role"
newroot missing
bootconf || fail "missing: bootconf failed"
expect_absent "missing: role" "$r/run/pitwall-boot/role"
expect_log "missing" "no /boot/pitwall-role.txt"
expect_eq "missing: problem for the screen" "$(cat "$r/run/pitwall-boot/problem")" "no /boot/pitwall-role.txt: write trackside, kiosk or auto into it"

# role-is, as ExecCondition: 0 runs the unit, 1 skips it.
newroot roleis
echo trackside >"$r/boot/pitwall-role.txt"
bootconf
if role_is trackside; then ok; else fail "role-is trackside: want 0"; fi
set +e
role_is kiosk
expect_eq "role-is kiosk on a trackside" "$?" 1
role_is
expect_eq "role-is without argument" "$?" 2
role_is kiosk-or-unset
expect_eq "role-is kiosk-or-unset on a trackside" "$?" 1
rm "$r/run/pitwall-boot/role"
role_is trackside
expect_eq "role-is with no role" "$?" 1
role_is kiosk-or-unset
expect_eq "role-is kiosk-or-unset with no role (the kiosk shows why)" "$?" 0
echo kiosk >"$r/run/pitwall-boot/role"
role_is kiosk-or-unset
expect_eq "role-is kiosk-or-unset on a kiosk" "$?" 0
set -e
expect_log "role-is" "not set (see journalctl -u pitwall-bootconf)"

# Configs and the broker: defaults, then everything from /boot, then removed again.
newroot configs
echo trackside >"$r/boot/pitwall-role.txt"
bootconf
mq=$r/run/pitwall-boot/mosquitto
conf=$mq/conf.d/pitwall.conf
expect_log "no trackside.json" "copy /boot/pitwall/trackside.json.example"
expect_absent "no trackside.json" "$r/run/pitwall-boot/etc/trackside.json"
expect_log "no secret" "no /boot/pitwall/event.secret: every client is refused"
expect_file "broker conf" "$conf" 640 "$mquser:$mqgroup"
expect_eq "anonymous refused" "$(grep '^allow_anonymous' "$conf")" "allow_anonymous false"
expect_eq "broker acl_file" "$(grep '^acl_file' "$conf")" "acl_file $mq/pitwall.acl"
expect_eq "broker password_file" "$(grep '^password_file' "$conf")" "password_file $mq/pitwall.passwd"
# The image's mosquitto.conf includes this generated file only: Nagle off
# (admin round trips 1.6 ms instead of 44 ms) must come with it.
expect_eq "TCP_NODELAY on the image's broker" "$(grep '^set_tcp_nodelay' "$conf")" "set_tcp_nodelay true"
expect_eq "no TLS listener without a certificate" "$(grep -c '^listener 8883' "$conf" || true)" 0
expect_file "empty passwd without a secret" "$mq/pitwall.passwd" 600 "$mquser:$mqgroup"
expect_eq "passwd empty without a secret" "$(wc -c <"$mq/pitwall.passwd")" 0
expect_eq "acl empty without a secret" "$(wc -c <"$mq/pitwall.acl")" 0
expect_eq "default host name" "$(cat "$r/run/pitwall-boot/hostname")" pitwall-trackside-ffee42
echo '{"track":"1"}' >"$r/boot/pitwall/trackside.json"
echo "$secret" >"$r/boot/pitwall/event.secret"
echo Track-1 >"$r/boot/pitwall/hostname"
bootconf
expect_file "trackside.json" "$r/run/pitwall-boot/etc/trackside.json" 640 "$owner:$group"
expect_file "event.secret for the units" "$r/run/pitwall-boot/etc/event.secret" 640 "$owner:$group"
expect_eq "etc dir" "$(stat -c %a:%G "$r/run/pitwall-boot/etc")" "750:$group"
expect_file "generated passwd" "$mq/pitwall.passwd" 600 "$mquser:$mqgroup"
expect_file "generated acl" "$mq/pitwall.acl" 600 "$mquser:$mqgroup"
expect_eq "default users" "$(cut -d: -f1 "$mq/pitwall.passwd" | tr '\n' ' ')" "admin trackside-1 trackside-2 trackside-3 trackside-4 kiosk-1 kiosk-2 kiosk-3 kiosk-4 kiosk-5 kiosk-6 kiosk-7 kiosk-8 "
# shellcheck disable=SC2016 # a literal $7$ in the pattern
expect_eq "passwd hashes are \$7\$" "$(grep -vc ':\$7\$101\$' "$mq/pitwall.passwd" || true)" 0
expect_eq "acl section of trackside-1" "$(grep -A1 '^user trackside-1$' "$mq/pitwall.acl" | tail -1)" "topic readwrite pitwall/v1/track/1/#"
expect_log "users from the image" "broker: users from /usr/share/pitwall/mosquitto/mqtt-users.txt"
expect_eq "host name from /boot" "$(cat "$r/run/pitwall-boot/hostname")" Track-1
printf 'admin\r\ntrackside-7\r\nkiosk-hall-a-1\r\n' >"$r/boot/pitwall/mqtt-users.txt"
echo 'user admin' >"$r/boot/pitwall/mosquitto.acl"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
	-keyout "$r/boot/pitwall/mosquitto.key" -out "$r/boot/pitwall/mosquitto.crt" 2>/dev/null
bootconf
expect_eq "users from /boot" "$(cut -d: -f1 "$mq/pitwall.passwd" | tr '\n' ' ')" "admin trackside-7 kiosk-hall-a-1 "
expect_log "old acl override ignored" "/boot/pitwall/mosquitto.acl is ignored"
expect_eq "generated acl, not the one on /boot" "$(grep -c '^user ' "$mq/pitwall.acl")" 3
expect_eq "TLS listener" "$(grep '^listener 8883' "$conf")" "listener 8883"
expect_eq "TLS certfile" "$(grep '^certfile' "$conf")" "certfile $mq/tls/server.crt"
expect_file "TLS key" "$mq/tls/server.key" 600 "$mquser:$mqgroup"
expect_absent "broker files stay out of /etc/pitwall" "$r/run/pitwall-boot/etc/mosquitto.key"
expect_absent "no leftovers" "$r/run/pitwall-boot/etc.new"
printf 'admin\nnobody\n' >"$r/boot/pitwall/mqtt-users.txt"
bootconf
expect_log "bad users list" 'every client is refused: .*line 2'
expect_eq "bad users list: passwd empty" "$(wc -c <"$mq/pitwall.passwd")" 0
rm "$r/boot/pitwall/trackside.json" "$r/boot/pitwall/event.secret" "$r/boot/pitwall/mqtt-users.txt" \
	"$r/boot/pitwall/mosquitto.acl" "$r/boot/pitwall/mosquitto.crt"
echo 'bad_name!' >"$r/boot/pitwall/hostname"
bootconf
expect_absent "trackside.json removed from /boot" "$r/run/pitwall-boot/etc/trackside.json"
expect_eq "secret removed from /boot: passwd empty" "$(wc -c <"$mq/pitwall.passwd")" 0
expect_eq "no TLS without the certificate" "$(grep -c '^listener 8883' "$conf" || true)" 0
expect_absent "TLS files removed" "$mq/tls"
expect_log "bad host name" 'host name "bad_name!" is not letters'
expect_eq "bad host name not written" "$(cat "$r/run/pitwall-boot/hostname")" Track-1
newroot kiosk-secret
echo kiosk >"$r/boot/pitwall-role.txt"
echo "$secret" >"$r/boot/pitwall/event.secret"
bootconf
expect_eq "a kiosk generates no broker users" "$(wc -c <"$r/run/pitwall-boot/mosquitto/pitwall.passwd")" 0
expect_file "kiosk gets the secret" "$r/run/pitwall-boot/etc/event.secret" 640 "$owner:$group"

# network.txt: a static address for systemd-networkd, or nothing when bad.
nettest() { # NAME CONTENT WANT (empty: no file) LOG
	newroot "$1"
	echo kiosk >"$r/boot/pitwall-role.txt"
	printf '%b' "$2" >"$r/boot/pitwall/network.txt"
	if bootconf; then ok; else fail "$1: bootconf failed"; fi
	f=$r/run/systemd/network/10-pitwall-static.network
	if [ -n "$3" ]; then
		expect_eq "$1: .network" "$(grep -v '^#' "$f" 2>/dev/null | tr '\n' ' ')" "$3"
	else
		expect_absent "$1: .network" "$f"
	fi
	expect_log "$1" "$4"
}
nettest net-full '# static\r\naddress = 10.42.0.2/24\r\ngateway=10.42.0.1\ndns=10.42.0.1\n' \
	"[Match] Type=ether  [Network] Address=10.42.0.2/24 Gateway=10.42.0.1 DNS=10.42.0.1 LinkLocalAddressing=yes MulticastDNS=yes " "static address"
nettest net-address 'address=192.168.1.20/24\n' \
	"[Match] Type=ether  [Network] Address=192.168.1.20/24 LinkLocalAddressing=yes MulticastDNS=yes " "static address"
nettest net-no-prefix 'address=192.168.1.20\n' "" 'is not A.B.C.D/N'
nettest net-bad-octet 'address=192.168.1.300/24\n' "" 'is not A.B.C.D/N'
nettest net-bad-key 'adress=192.168.1.2/24\n' "" 'unknown key "adress"'
nettest net-bad-gateway 'address=10.0.0.2/8\ngateway=router\n' "" '"router" is not an IPv4 address'

# The uplink bridge: the shipped example with its certificates is enabled on
# a trackside, with the certificate paths moved; anything that could open
# the venue broker or bring messages in is refused.
newroot bridge
echo trackside >"$r/boot/pitwall-role.txt"
cp "$repo/packaging/mosquitto/bridge.conf.example" "$r/boot/pitwall/bridge.conf"
bootconf
mq=$r/run/pitwall-boot/mosquitto
expect_log "bridge without certificates" "bridge.conf ignored: it needs bridge-ca.crt"
expect_absent "bridge without certificates" "$mq/conf.d/bridge.conf"
for f in bridge-ca.crt bridge.crt bridge.key; do echo "$f" >"$r/boot/pitwall/$f"; done
bootconf
expect_file "bridge conf" "$mq/conf.d/bridge.conf" 640 "$mquser:$mqgroup"
expect_eq "bridge CA path" "$(grep '^bridge_cafile' "$mq/conf.d/bridge.conf")" "bridge_cafile $mq/bridge/ca.crt"
expect_eq "bridge key path" "$(grep '^bridge_keyfile' "$mq/conf.d/bridge.conf")" "bridge_keyfile $mq/bridge/client.key"
expect_file "bridge client key" "$mq/bridge/client.key" 600 "$mquser:$mqgroup"
expect_eq "bridge client cert content" "$(cat "$mq/bridge/client.crt")" bridge.crt
expect_absent "bridge key stays out of /etc/pitwall" "$r/run/pitwall-boot/etc/bridge.key"
expect_absent "bridge conf stays out of /etc/pitwall" "$r/run/pitwall-boot/etc/bridge.conf"
expect_log "bridge enabled" "uplink: bridge to cloud.example.com:8883"
bridgebad() { # NAME LINE LOG
	cp "$repo/packaging/mosquitto/bridge.conf.example" "$r/boot/pitwall/bridge.conf"
	printf '%s\r\n' "$2" >>"$r/boot/pitwall/bridge.conf"
	bootconf
	expect_absent "$1: bridge not enabled" "$mq/conf.d/bridge.conf"
	expect_absent "$1: bridge certificates removed" "$mq/bridge"
	expect_log "$1" "$3"
}
bridgebad bridge-in "topic pitwall/v1/track/+/admin/req in 1" 'only "out" topics'
bridgebad bridge-both "topic pitwall/v1/track/+/standings both 1" 'only "out" topics'
bridgebad bridge-admin "topic pitwall/v1/track/+/admin/resp out 1" "only pitwall/v1/track/<track or +>/status"
bridgebad bridge-all "topic pitwall/v1/# out 1" "only pitwall/v1/track/<track or +>/status"
bridgebad bridge-kiosk "topic pitwall/v1/kiosk/+/status out 1" "only pitwall/v1/track/<track or +>/status"
bridgebad bridge-listener "listener 1884" '"listener" is not a bridge setting'
bridgebad bridge-anonymous "allow_anonymous true" '"allow_anonymous" is not a bridge setting'
bridgebad bridge-two "connection second" 'exactly one "connection" line, found 2'
cp "$repo/packaging/mosquitto/bridge.conf.example" "$r/boot/pitwall/bridge.conf"
echo "topic pitwall/v1/track/2/laps out 1" >>"$r/boot/pitwall/bridge.conf"
bootconf
expect_eq "one track's topic may go out" "$(grep -c '^topic pitwall/v1/track/2/laps out 1' "$mq/conf.d/bridge.conf")" 1
echo kiosk >"$r/boot/pitwall-role.txt"
bootconf
expect_absent "no bridge on a kiosk" "$mq/conf.d/bridge.conf"

# Journal directories: this boot's and the newest other one stay.
newroot journal
echo kiosk >"$r/boot/pitwall-role.txt"
echo cccc >"$r/etc/machine-id"
for d in aaaa bbbb dddd cccc; do
	mkdir -p "$r/var/log/journal/$d"
	sleep 0.01
done
touch -d '2 hours ago' "$r/var/log/journal/cccc"
touch -d '1 hour ago' "$r/var/log/journal/bbbb"
touch -d '3 hours ago' "$r/var/log/journal/aaaa"
touch -d '10 minutes ago' "$r/var/log/journal/dddd"
bootconf
expect_eq "journal dirs kept" "$(cd "$r/var/log/journal" && echo *)" "cccc dddd"

# The generated broker config, started for real.
if [ "$(id -u)" = 0 ] && [ "$mquser" = mosquitto ] && command -v mosquitto_pub >/dev/null 2>&1; then
	newroot broker
	echo trackside >"$r/boot/pitwall-role.txt"
	echo "$secret" >"$r/boot/pitwall/event.secret"
	bootconf
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	sed -i "s/^listener 1883\$/listener $port 127.0.0.1/" "$r/run/pitwall-boot/mosquitto/conf.d/pitwall.conf"
	mkdir -p "$r/var/lib/mosquitto"
	chown mosquitto "$r/var/lib/mosquitto"
	sed -e "s#/var/lib/mosquitto/#$r/var/lib/mosquitto/#" -e "s#/run/pitwall-boot/#$r/run/pitwall-boot/#" \
		"$overlay/etc/mosquitto/mosquitto.conf" >"$r/mosquitto.conf"
	/usr/sbin/mosquitto -c "$r/mosquitto.conf" >"$r/broker.log" 2>&1 &
	broker=$!
	for _ in $(seq 50); do
		grep -q running "$r/broker.log" && break
		sleep 0.1
	done
	if grep -q running "$r/broker.log"; then ok; else fail "mosquitto did not start:"; sed 's/^/    /' "$r/broker.log"; fi
	pub() { mosquitto_pub -h 127.0.0.1 -p "$port" -q 1 -t pitwall/v1/track/1/status -m x "$@" 2>&1; }
	if pub -u trackside-1 -P "$(derive trackside-1)" >/dev/null; then ok; else fail "trackside-1 with its derived password refused"; fi
	if pub -u trackside-1 -P "$(derive trackside-2)" >/dev/null; then fail "another user's password accepted"; else ok; fi
	if pub -u trackside-1 >/dev/null; then fail "a name without its password accepted"; else ok; fi
	if pub >/dev/null; then fail "anonymous connection accepted"; else ok; fi
else
	echo "bootconf_test: not root or no mosquitto: generated broker config not started"
fi

echo "bootconf_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
