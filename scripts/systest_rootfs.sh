#!/usr/bin/env bash
# Builds (once) the Debian amd64 base system the whole-system test boots:
# a root file system with systemd, a kernel and Mosquitto, made by
# mmdebstrap from Debian's archive, without pitwall. Cached under
# $PITWALL_SYSTEST_CACHE (default ~/.cache/pitwall-systest) in a directory
# named by a hash of everything that shapes it (suite, mirror, package list,
# this script), so reruns reuse it and any change builds a new one.
#
#   scripts/systest_rootfs.sh        prints the cache directory, which holds
#                                    base.tar (the root file system),
#                                    vmlinuz and initrd.img
#
# Needs root (mmdebstrap's root mode) and mmdebstrap. Takes about 3 minutes
# on 2 cores with a nearby mirror.
set -euo pipefail

SUITE=${SYSTEST_SUITE:-bookworm}
MIRROR=${SYSTEST_MIRROR:-http://deb.debian.org/debian}
CACHE=${PITWALL_SYSTEST_CACHE:-$HOME/.cache/pitwall-systest}

# What a pitwall unit runs on: systemd, a kernel with virtio and the bochs
# framebuffer, Mosquitto (the venue broker of a trackside), networkd and
# resolved (link-local addresses, mDNS names), fsck for ext4 and FAT.
PACKAGES=(
	systemd-sysv systemd-resolved systemd-timesyncd udev kmod
	linux-image-amd64 initramfs-tools
	mosquitto e2fsprogs dosfstools iproute2 procps passwd
)

die() {
	echo "systest_rootfs: $*" >&2
	exit 1
}
command -v mmdebstrap >/dev/null 2>&1 || die "mmdebstrap is needed (apt-get install mmdebstrap)"
[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap builds the tree as root)"

# The hooks run inside mmdebstrap with the tree as $1 (single quotes on
# purpose). A small initramfs is not needed (MODULES=most has virtio); fstab
# is written before the kernel's initramfs so fsck is included.
# shellcheck disable=SC2016
HOOK_ESSENTIAL='mkdir -p "$1/etc/initramfs-tools/conf.d"; echo "MODULES=most" >"$1/etc/initramfs-tools/conf.d/pitwall"'
# shellcheck disable=SC2016
HOOK_FSTAB='printf "/dev/vda / ext4 rw,errors=remount-ro 0 1\n" >"$1/etc/fstab"'
# shellcheck disable=SC2016
HOOK_KERNEL='cp -L "$1/vmlinuz" "$OUT/vmlinuz"; cp -L "$1/initrd.img" "$OUT/initrd.img"'

# The cache key: everything that decides the tree's contents.
key=$( {
	echo "$SUITE $MIRROR"
	printf '%s\n' "${PACKAGES[@]}"
	printf '%s\n' "$HOOK_ESSENTIAL" "$HOOK_FSTAB" "$HOOK_KERNEL"
} | sha256sum | cut -c1-16)
dir=$CACHE/rootfs-$key
if [ -f "$dir/done" ]; then
	echo "$dir"
	exit 0
fi
mkdir -p "$CACHE"
tmp=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "systest_rootfs: building $SUITE amd64 rootfs in $dir (about 3 minutes)" >&2
start=$(date +%s)
pkgs=$(
	IFS=,
	echo "${PACKAGES[*]}"
)
# The kernel and initramfs are copied out for QEMU's -kernel/-initrd.
OUT=$tmp mmdebstrap --variant=minbase --arch=amd64 --include="$pkgs" \
	--essential-hook="$HOOK_ESSENTIAL" --customize-hook="$HOOK_FSTAB" --customize-hook="$HOOK_KERNEL" \
	"$SUITE" "$tmp/base.tar" "$MIRROR" >&2
date -u +%FT%TZ >"$tmp/done"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "systest_rootfs: built in $(($(date +%s) - start)) s" >&2
echo "$dir"
