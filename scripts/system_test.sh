#!/usr/bin/env bash
# The whole-system test (make system-test): pitwall's .debs on a Debian
# amd64 system, booted as three QEMU guests on a private network carried
# over loopback — one trackside fed by a decoder emulator on its serial
# port, two kiosks with a framebuffer — each configured only by its own
# boot partition, as an SD card would be. docs/system-test.md describes
# what it asserts and what it measured.
#
#   scripts/system_test.sh [go test flags, e.g. -run TestSystem/kiosk]
#
# Steps: the Debian base system (scripts/systest_rootfs.sh, cached under
# ~/.cache/pitwall-systest), `make deb DEB_ARCHS=amd64`, a root image with
# the .debs installed and the SD image's boot-partition handling
# (buildroot/board/pitwall/rootfs-overlay), then `go test -tags systest
# ./systest`, which boots the guests. Needs root (chroot, mmdebstrap),
# qemu-system-x86, qemu-utils, mmdebstrap, dosfstools, mtools, e2fsprogs;
# SYSTEST_INSTALL=1 installs whichever are missing with apt-get.
#
# Environment:
#   PITWALL_SYSTEST_CACHE  cache of base systems (default ~/.cache/pitwall-systest)
#   PITWALL_SYSTEST_OUT    logs, screendumps and figures (default: a new
#                          directory under /var/tmp, printed; kept)
set -euo pipefail

cd "$(dirname "$0")/.."

die() {
	echo "system_test: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap, chroot into the guest's root file system)"

# command -> Debian package
declare -A need=(
	[qemu-system-x86_64]=qemu-system-x86 [qemu-img]=qemu-utils [mmdebstrap]=mmdebstrap
	[mkfs.vfat]=dosfstools [mcopy]=mtools [mkfs.ext4]=e2fsprogs
)
missing=()
for c in "${!need[@]}"; do
	command -v "$c" >/dev/null 2>&1 || missing+=("${need[$c]}")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "${SYSTEST_INSTALL:-}" = 1 ]; then
		apt-get update -q
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
	else
		die "missing Debian packages: ${missing[*]} (apt-get install them, or run with SYSTEST_INSTALL=1)"
	fi
fi

out=${PITWALL_SYSTEST_OUT:-$(mktemp -d /var/tmp/pitwall-systest.XXXXXX)}
mkdir -p "$out"
work=$(mktemp -d /var/tmp/pitwall-systest-work.XXXXXX)
# Guests the test could not stop (it was killed) are stopped by their pid
# files, if that pid is still a QEMU.
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local p pid
	for p in "$out"/*/qemu.pid; do
		[ -f "$p" ] || continue
		pid=$(cat "$p")
		if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = qemu-system-x86 ]; then kill "$pid" || true; fi
	done
	rm -rf "$work"
}
trap cleanup EXIT
echo "system_test: output in $out"

t0=$(date +%s)
base=$(scripts/systest_rootfs.sh)
t_base=$(($(date +%s) - t0))

t0=$(date +%s)
DIST=$work/dist make --no-print-directory deb DEB_ARCHS=amd64 >"$out/deb.log" 2>&1 ||
	{ cat "$out/deb.log"; die "make deb failed"; }

# The guest's root file system: the base system, the .debs installed as an
# admin would (dpkg -i, maintainer scripts run), and the SD image's
# boot-partition handling, so /etc/pitwall is the boot partition's pitwall/
# folder and the role file picks the services.
root=$work/root
mkdir -p "$root"
tar -C "$root" -xf "$base/base.tar"
cp "$work"/dist/pitwall-{trackside,kiosk,racectl}_*_amd64.deb "$root/tmp/"
chroot "$root" sh -c 'dpkg -i /tmp/pitwall-*.deb' >"$out/dpkg.log" 2>&1 ||
	{ cat "$out/dpkg.log"; die "dpkg -i in the guest root failed"; }
rm -f "$root"/tmp/pitwall-*.deb
overlay=buildroot/board/pitwall/rootfs-overlay
for f in usr/libexec/pitwall/bootconf usr/libexec/pitwall/role-is \
	usr/lib/systemd/system/pitwall-bootconf.service \
	usr/lib/systemd/system/pitwall-trackside.service.d/pitwall-role.conf \
	usr/lib/systemd/system/pitwall-kiosk.service.d/pitwall-role.conf \
	usr/lib/systemd/system/mosquitto.service.d/pitwall-role.conf \
	usr/lib/systemd/journald.conf.d/pitwall.conf usr/lib/systemd/resolved.conf.d/pitwall.conf \
	usr/lib/tmpfiles.d/pitwall.conf etc/mosquitto/mosquitto.conf etc/e2fsck.conf \
	etc/systemd/network/20-wired.network; do
	install -D -m "$(stat -c %a "$overlay/$f")" "$overlay/$f" "$root/$f"
done
# The image keeps the default users list beside the broker config
# (buildroot/package/pitwall/pitwall.mk); the .deb has it in /etc/pitwall,
# which the boot partition replaces here.
install -D -m 0644 "$root/etc/pitwall/mqtt-users.txt" "$root/usr/share/pitwall/mosquitto/mqtt-users.txt"
rm -rf "$root/etc/pitwall"
ln -s /run/pitwall-boot/etc "$root/etc/pitwall"
mkdir -p "$root/boot"
# Root stays writable here (the SD image's is read-only with /var on its own
# partition); the boot partition is the SD card's FAT one, mounted as the
# image's fstab does but for the device timeout: three emulated guests on
# two shared cores take over a minute to get through udev's coldplug, and
# the image's 20 s would fail every pitwall unit.
cat >"$root/etc/fstab" <<'FSTAB'
/dev/vda             /      ext4  rw,errors=remount-ro                                                    0 1
LABEL=PITWALLBOOT    /boot  vfat  ro,nofail,nodev,nosuid,noexec,umask=0077,x-systemd.device-timeout=10min 0 0
FSTAB
chroot "$root" systemctl enable pitwall-bootconf.service systemd-networkd.service systemd-resolved.service >>"$out/dpkg.log" 2>&1
# No login prompt on the serial console: it would hang up the console the
# test reads the journal from.
chroot "$root" systemctl mask serial-getty@ttyS0.service getty@tty1.service >>"$out/dpkg.log" 2>&1
# Debug access for a person at the QEMU window: root without password
# exists only in the test image.
chroot "$root" passwd -d root >/dev/null
# The test's way in (systest/agent): a root command server on the virtio
# serial port pitwall.agent, which QEMU puts on <guest dir>/agent.sock.
# Only in the test image: neither the .debs nor the SD image have it.
CGO_ENABLED=0 go build -trimpath -tags systest -o "$root/usr/local/sbin/pitwall-systest-agent" ./systest/agent
cat >"$root/etc/systemd/system/pitwall-systest-agent.service" <<'UNIT'
[Unit]
Description=pitwall system test agent (test image only)

[Service]
ExecStart=/usr/local/sbin/pitwall-systest-agent /dev/virtio-ports/pitwall.agent
Restart=always
RestartSec=1s

[Install]
WantedBy=multi-user.target
UNIT
# udev loads virtio_console by the port's modalias (the test checks lsmod).
chroot "$root" systemctl enable pitwall-systest-agent.service >>"$out/dpkg.log" 2>&1
# No host name in the image: each unit's comes from its boot partition
# (pitwall-bootconf), and a shared one would collide on mDNS.
rm -f "$root/etc/hostname"
cp "$work"/dist/pitwall-*_amd64.deb "$out/" 2>/dev/null || true
mkdir -p "$work/img"
mkfs.ext4 -q -F -L pitwall-root -d "$root" "$work/img/root.img" 2G
cp -L "$base/vmlinuz" "$base/initrd.img" "$work/img/"
# The host-side tools of the test (kiosk reference render, racectl) are the
# packaged ones.
mkdir -p "$work/host"
for p in kiosk racectl trackside; do
	dpkg-deb -x "$(ls "$work"/dist/pitwall-"$p"_*_amd64.deb)" "$work/host"
done
rm -rf "$root"
t_image=$(($(date +%s) - t0))
echo "system_test: base system $t_base s (cached when 0-few s), debs and root image $t_image s"

PITWALL_SYSTEST_IMAGES=$work/img PITWALL_SYSTEST_BIN=$work/host/usr/bin PITWALL_SYSTEST_OUT=$out \
	go test -tags systest -count=1 -v -timeout 60m ./systest/ "$@" 2>&1 | tee "$out/test.log"
rc=${PIPESTATUS[0]}
echo "system_test: log, screendumps and figures in $out"
exit "$rc"
