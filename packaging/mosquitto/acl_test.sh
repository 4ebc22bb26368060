#!/usr/bin/env bash
# Checks pitwall.conf + pitwall.acl against a real Mosquitto: starts one on a
# free local port with these two files, publishes as each role and looks at
# what a reader with full access (admin) and an anonymous reader receive.
# Needs mosquitto, mosquitto_pub and mosquitto_sub (scripts/setup.sh installs them).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$mosquitto" ] || { echo "acl_test: mosquitto is not installed" >&2; exit 1; }

tmp=$(mktemp -d)
pid=""
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The shipped files with only the port, bind address and paths changed.
sed -e "s/^listener 1883\$/listener $port 127.0.0.1/" \
	-e "s#^acl_file /etc/mosquitto/pitwall.acl\$#acl_file $tmp/pitwall.acl#" \
	"$here/pitwall.conf" >"$tmp/mosquitto.conf"
grep -q "^listener $port " "$tmp/mosquitto.conf" || { echo "acl_test: no 'listener 1883' line in pitwall.conf" >&2; exit 1; }
grep -q "^acl_file $tmp/" "$tmp/mosquitto.conf" || { echo "acl_test: no acl_file line in pitwall.conf" >&2; exit 1; }
printf 'persistence true\npersistence_location %s/\n' "$tmp" >>"$tmp/mosquitto.conf"
cp "$here/pitwall.acl" "$tmp/pitwall.acl"
# Mosquitto started as root reads the ACL after dropping to user "mosquitto".
chmod 0755 "$tmp"

"$mosquitto" -c "$tmp/mosquitto.conf" >"$tmp/broker.log" 2>&1 &
pid=$!
for _ in $(seq 50); do
	grep -q "running" "$tmp/broker.log" && break
	kill -0 "$pid" 2>/dev/null || { cat "$tmp/broker.log" >&2; exit 1; }
	sleep 0.1
done

conn=(-h 127.0.0.1 -p "$port")
mosquitto_sub "${conn[@]}" -i acl-admin -u admin -t 'pitwall/v1/#' -v -W 4 >"$tmp/admin.out" 2>/dev/null &
admin=$!
mosquitto_sub "${conn[@]}" -i acl-anon -t 'pitwall/v1/#' -v -W 4 >"$tmp/anon.out" 2>/dev/null &
anon=$!
mosquitto_sub "${conn[@]}" -i acl-kiosk -u kiosk -t 'pitwall/v1/#' -v -W 4 >"$tmp/kiosk.out" 2>/dev/null &
kiosk=$!
sleep 1

pub() { mosquitto_pub "${conn[@]}" -q 1 "$@"; }
pub -t pitwall/v1/track/1/standings -m anon-forges-standings
pub -u trackside-1 -t pitwall/v1/track/1/standings -m trackside1-standings
pub -u trackside-1 -t pitwall/v1/track/2/standings -m trackside1-forges-track2
pub -u trackside-1 -t pitwall/v1/track/1/admin/resp -m trackside1-admin-resp
pub -t pitwall/v1/kiosk/k1/status -m kiosk-status
pub -u kiosk -t pitwall/v1/kiosk/k2/status -m kiosk-user-status
pub -u kiosk -t pitwall/v1/track/1/race -m kiosk-forges-race
pub -t pitwall/v1/track/1/admin/req -m anon-forges-admin-req
pub -u admin -t pitwall/v1/track/1/admin/req -m admin-req
wait "$admin" "$anon" "$kiosk" || true

passed=0 failed=0
expect() { # FILE yes|no MESSAGE WHY
	if grep -q " $3\$" "$1"; then got=yes; else got=no; fi
	if [ "$got" = "$2" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $4 (${1##*/}: '$3' received=$got, want $2)"
	fi
}
expect "$tmp/admin.out" yes trackside1-standings "trackside-1 writes its own track"
expect "$tmp/admin.out" no anon-forges-standings "anonymous clients cannot write track state"
expect "$tmp/admin.out" no trackside1-forges-track2 "trackside-1 cannot write another track"
expect "$tmp/admin.out" yes kiosk-status "anonymous kiosks publish their status"
expect "$tmp/admin.out" no anon-forges-admin-req "anonymous clients cannot send admin commands"
expect "$tmp/admin.out" yes admin-req "admin sends commands"
expect "$tmp/anon.out" yes trackside1-standings "anonymous clients read standings"
expect "$tmp/anon.out" no trackside1-admin-resp "anonymous clients cannot read admin replies"
expect "$tmp/anon.out" no admin-req "anonymous clients cannot read admin requests"
expect "$tmp/kiosk.out" yes trackside1-standings "user kiosk reads standings"
expect "$tmp/kiosk.out" no trackside1-admin-resp "user kiosk cannot read admin replies"
expect "$tmp/admin.out" yes kiosk-user-status "user kiosk publishes its status"
expect "$tmp/admin.out" no kiosk-forges-race "user kiosk cannot write track state"
echo "acl: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
