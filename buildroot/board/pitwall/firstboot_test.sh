#!/usr/bin/env bash
# Tests rootfs-overlay/usr/libexec/pitwall/{growdata,machine-id}:
#  - growdata on a real loop device laid out like the SD image (boot, root,
#    a small data partition): the data partition grows to the end of the
#    "card", the others stay, and a second run changes nothing. Needs root,
#    losetup, sfdisk and partx; skips loudly otherwise.
#  - machine-id on a scratch tree: the first boot's ID is kept, later boots
#    get it back.
#
#   buildroot/board/pitwall/firstboot_test.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
libexec=$here/rootfs-overlay/usr/libexec/pitwall
tmp=$(mktemp -d)
loop=""
cleanup() {
	if [ -n "$loop" ]; then losetup -d "$loop" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

passed=0 failed=0
ok() { passed=$((passed + 1)); }
fail() {
	failed=$((failed + 1))
	echo "FAIL: $*"
}
expect_eq() { if [ "$2" = "$3" ]; then ok; else fail "$1: got '$2', want '$3'"; fi; }

# --- growdata on a loop device ---
if [ "$(id -u)" != 0 ] || ! command -v sfdisk >/dev/null || ! command -v partx >/dev/null || ! command -v losetup >/dev/null; then
	echo "firstboot_test: SKIPPED growdata: needs root, losetup, sfdisk and partx (apt-get install fdisk)"
else
	img=$tmp/card.img
	truncate -s 256M "$img"
	# The image's layout, in small: boot (FAT), root, data (last).
	printf 'label: dos\nlabel-id: 0x70697477\nstart=8192, size=16384, type=c\nsize=32768, type=83\nsize=16384, type=83\n' | sfdisk -q "$img"
	loop=$(losetup -f --show "$img")
	partx -a "$loop" 2>/dev/null || partx -u "$loop"
	name=${loop##*/}
	r=$tmp/root
	mkdir -p "$r/dev/disk/by-label"
	ln -s /sys "$r/sys"
	ln -s "${loop}p3" "$r/dev/disk/by-label/pitwall-data"
	p1=$(cat "/sys/class/block/${name}p1/size") p2=$(cat "/sys/class/block/${name}p2/size")
	PITWALL_ROOT=$r sh "$libexec/growdata" 2>"$tmp/log" || fail "growdata exit $?"
	start=$(cat "/sys/class/block/${name}p3/start") size=$(cat "/sys/class/block/${name}p3/size")
	disk=$(cat "/sys/class/block/$name/size")
	expect_eq "data partition ends at the card's end (kernel)" "$((start + size))" "$disk"
	expect_eq "data partition start" "$start" $((8192 + 16384 + 32768))
	expect_eq "boot partition unchanged" "$(cat "/sys/class/block/${name}p1/size")" "$p1"
	expect_eq "root partition unchanged" "$(cat "/sys/class/block/${name}p2/size")" "$p2"
	table=$(sfdisk -d "$loop")
	expect_eq "partition table on the card" "$(echo "$table" | grep -c "size= *$size,")" 1
	expect_eq "disk signature kept" "$(echo "$table" | sed -n 's/^label-id: //p')" 0x70697477
	if grep -q "growing partition 3" "$tmp/log"; then ok; else fail "log: $(cat "$tmp/log")"; fi
	before=$(sfdisk -d "$loop")
	PITWALL_ROOT=$r sh "$libexec/growdata" 2>"$tmp/log2" || fail "second growdata exit $?"
	expect_eq "second run changes nothing" "$(sfdisk -d "$loop")" "$before"
	expect_eq "second run says nothing" "$(cat "$tmp/log2")" ""
	# No data partition: nothing done, no failure.
	rm "$r/dev/disk/by-label/pitwall-data"
	if PITWALL_ROOT=$r sh "$libexec/growdata" 2>"$tmp/log3"; then ok; else fail "growdata without a data partition failed"; fi
fi

# --- machine-id ---
m=$tmp/mid
mkdir -p "$m/etc" "$m/var"
first=0123456789abcdef0123456789abcdef
echo "$first" >"$m/etc/machine-id"
PITWALL_ROOT=$m PITWALL_NO_SYSTEMD=1 sh "$libexec/machine-id" 2>"$tmp/mlog"
expect_eq "first boot keeps its ID" "$(cat "$m/var/lib/pitwall/machine-id" 2>/dev/null)" "$first"
# The next boot: systemd made a new transient ID; the kept one is used.
echo fedcba9876543210fedcba9876543210 >"$m/etc/machine-id"
PITWALL_ROOT=$m PITWALL_NO_SYSTEMD=1 sh "$libexec/machine-id" 2>"$tmp/mlog"
expect_eq "later boot: kept ID unchanged" "$(cat "$m/var/lib/pitwall/machine-id")" "$first"
if grep -q "machine ID $first from /var/lib/pitwall/machine-id" "$tmp/mlog"; then ok; else fail "log: $(cat "$tmp/mlog")"; fi
# A damaged kept file is replaced by the current ID rather than used.
echo garbage >"$m/var/lib/pitwall/machine-id"
PITWALL_ROOT=$m PITWALL_NO_SYSTEMD=1 sh "$libexec/machine-id" 2>"$tmp/mlog"
expect_eq "damaged kept ID replaced" "$(cat "$m/var/lib/pitwall/machine-id")" fedcba9876543210fedcba9876543210

echo "firstboot_test: $passed passed, $failed failed"
[ "$failed" = 0 ]
