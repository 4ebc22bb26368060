#!/usr/bin/env bash
# Checks the shipped venue broker against a real Mosquitto: pitwall.conf with
# the password file and ACL that "trackside -broker-files" generates from an
# event secret and the shipped mqtt-users.txt, on a free local port. Each
# role publishes; readers with the rights to see it (admin, a kiosk, another
# trackside) show what was delivered. Passwords are derived here with openssl
# as docs/admin.md describes, so this also checks that formula.
#
#   packaging/mosquitto/acl_test.sh       TRACKSIDE=path/to/trackside (default: go build)
#
# Needs mosquitto, mosquitto_pub, mosquitto_sub (scripts/setup.sh installs them), openssl.
# The Go tests (mqtt/broker, TestRoleMatrix) hold the full role matrix.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$mosquitto" ] || { echo "acl_test: mosquitto is not installed" >&2; exit 1; }

tmp=$(mktemp -d)
pid=""
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

trackside=${TRACKSIDE:-}
if [ -z "$trackside" ]; then
	(cd "$repo" && go build -o "$tmp/trackside" ./cmd/trackside)
	trackside=$tmp/trackside
fi
"$trackside" -new-secret "$tmp/event.secret" >/dev/null
secret=$(cat "$tmp/event.secret")
"$trackside" -broker-files "$tmp/broker" -secret "$tmp/event.secret" -users "$here/mqtt-users.txt" >/dev/null
derive() { printf 'pitwall-mqtt-v1:%s' "$1" | openssl dgst -sha256 -hmac "$secret" -binary | base64 | tr '+/' '-_' | tr -d '='; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The shipped file with only the port, bind address and paths changed.
sed -e "s/^listener 1883\$/listener $port 127.0.0.1/" -e "s#/etc/mosquitto/pitwall/#$tmp/broker/#" \
	"$here/pitwall.conf" >"$tmp/mosquitto.conf"
for line in "listener $port 127.0.0.1" "allow_anonymous false" "password_file $tmp/broker/pitwall.passwd" "acl_file $tmp/broker/pitwall.acl"; do
	grep -qx "$line" "$tmp/mosquitto.conf" || { echo "acl_test: pitwall.conf lacks '$line'" >&2; exit 1; }
done
printf 'persistence true\npersistence_location %s/\n' "$tmp" >>"$tmp/mosquitto.conf"
if [ "$(id -u)" = 0 ]; then echo "user root" >>"$tmp/mosquitto.conf"; fi

"$mosquitto" -c "$tmp/mosquitto.conf" >"$tmp/broker.log" 2>&1 &
pid=$!
for _ in $(seq 50); do
	grep -q "running" "$tmp/broker.log" && break
	kill -0 "$pid" 2>/dev/null || { cat "$tmp/broker.log" >&2; exit 1; }
	sleep 0.1
done

conn=(-h 127.0.0.1 -p "$port")
as() { echo -u "$1" -P "$(derive "$1")"; }
# shellcheck disable=SC2046
mosquitto_sub "${conn[@]}" -i acl-admin $(as admin) -t 'pitwall/v1/#' -v -W 4 >"$tmp/admin.out" 2>/dev/null &
admin=$!
# shellcheck disable=SC2046
mosquitto_sub "${conn[@]}" -i acl-kiosk $(as kiosk-1) -t 'pitwall/v1/track/+/standings' -t 'pitwall/v1/track/+/admin/resp' -v -W 4 >"$tmp/kiosk.out" 2>/dev/null &
kiosk=$!
# shellcheck disable=SC2046
mosquitto_sub "${conn[@]}" -i acl-track2 $(as trackside-2) -t 'pitwall/v1/track/+/standings' -t 'pitwall/v1/track/1/admin/req' -t 'pitwall/v1/event/admin/req' -v -W 4 >"$tmp/track2.out" 2>/dev/null &
track2=$!
sleep 1

refused=0
pub() { mosquitto_pub "${conn[@]}" -q 1 "$@" 2>/dev/null || refused=$((refused + 1)); }
# shellcheck disable=SC2046
{
	pub -t pitwall/v1/track/1/standings -m anon-forges-standings
	pub -u trackside-1 -t pitwall/v1/track/1/standings -m name-without-password
	pub -u trackside-1 -P "$(derive trackside-2)" -t pitwall/v1/track/1/standings -m another-users-password
	pub $(as trackside-1) -t pitwall/v1/track/1/standings -m trackside1-standings
	pub $(as trackside-1) -t pitwall/v1/track/2/standings -m trackside1-forges-track2
	pub $(as trackside-1) -t pitwall/v1/track/1/admin/resp -m trackside1-admin-resp
	pub $(as kiosk-1) -t pitwall/v1/kiosk/1/status -m kiosk1-status
	pub $(as kiosk-1) -t pitwall/v1/kiosk/2/status -m kiosk1-forges-kiosk2
	pub $(as kiosk-1) -t pitwall/v1/track/1/race -m kiosk-forges-race
	pub $(as kiosk-1) -t pitwall/v1/track/1/admin/req -m kiosk-forges-admin-req
	pub $(as admin) -t pitwall/v1/track/1/admin/req -m admin-req
	pub $(as admin) -t pitwall/v1/event/admin/req -m admin-event-req
	pub $(as admin) -t pitwall/v1/track/1/standings -m admin-forges-standings
}
wait "$admin" "$kiosk" "$track2" || true

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
if [ "$refused" = 3 ]; then passed=$((passed + 1)); else
	failed=$((failed + 1))
	echo "FAIL: anonymous, a name without password, another's password: $refused of 3 refused"
fi
expect "$tmp/admin.out" no anon-forges-standings "anonymous clients are refused"
expect "$tmp/admin.out" no name-without-password "a name without its password is refused"
expect "$tmp/admin.out" no another-users-password "another user's password is refused"
expect "$tmp/admin.out" yes trackside1-standings "trackside-1 writes its own track"
expect "$tmp/admin.out" no trackside1-forges-track2 "trackside-1 cannot write another track"
expect "$tmp/admin.out" yes trackside1-admin-resp "the admin reads admin replies"
expect "$tmp/admin.out" yes kiosk1-status "a kiosk writes its own status"
expect "$tmp/admin.out" no kiosk1-forges-kiosk2 "a kiosk cannot write another kiosk's status"
expect "$tmp/admin.out" no kiosk-forges-race "a kiosk cannot write track state"
expect "$tmp/admin.out" no kiosk-forges-admin-req "a kiosk cannot send admin requests"
expect "$tmp/admin.out" yes admin-req "the admin sends admin requests"
expect "$tmp/admin.out" no admin-forges-standings "the admin cannot write track state"
expect "$tmp/kiosk.out" yes trackside1-standings "a kiosk reads standings"
expect "$tmp/kiosk.out" no trackside1-admin-resp "a kiosk cannot read admin replies"
expect "$tmp/track2.out" yes trackside1-standings "trackside-2 reads track 1's standings"
expect "$tmp/track2.out" no admin-req "trackside-2 cannot read track 1's admin requests"
expect "$tmp/track2.out" yes admin-event-req "trackside-2 reads event admin requests"
echo "acl: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
