#!/usr/bin/env bash
# pitwall SD image, post-image: the boot partition's pitwall files, then
# sdcard.img with genimage: boot (FAT, firmware + kernel + settings), rootfs
# (ext4, read-only) and data (ext4, /var: results, broker, logs, clock).
set -euo pipefail
shopt -s nullglob

BOARD_DIR=$(dirname "$0")
GENIMAGE_CFG="${BINARIES_DIR}/genimage.cfg"
GENIMAGE_TMP="${BUILD_DIR}/genimage.tmp"

# What an operator edits on the boot partition: the role file next to
# config.txt, and pitwall/ with the example configs.
EXTRA="${BINARIES_DIR}/pitwall-boot"
rm -rf "${EXTRA}"
mkdir -p "${EXTRA}/pitwall"
install -m 0644 "${BOARD_DIR}/boot/pitwall-role.txt" "${EXTRA}/pitwall-role.txt"
install -m 0644 "${BOARD_DIR}/boot/README.txt" "${EXTRA}/pitwall/README.txt"
install -m 0644 "${BOARD_DIR}/boot/officials.txt.example" "${EXTRA}/pitwall/officials.txt.example"
for f in "${TARGET_DIR}"/usr/share/pitwall/examples/*.example; do
	install -m 0644 "${f}" "${EXTRA}/pitwall/"
done
# Who may log in to the venue broker: edited on the trackside's card.
install -m 0644 "${TARGET_DIR}/usr/share/pitwall/mosquitto/mqtt-users.txt" \
	"${EXTRA}/pitwall/mqtt-users.txt"

FILES=()
for i in "${BINARIES_DIR}"/*.dtb "${BINARIES_DIR}"/rpi-firmware/* "${EXTRA}"/*; do
	FILES+=("${i#"${BINARIES_DIR}"/}")
done
KERNEL=$(sed -n 's/^kernel=//p' "${BINARIES_DIR}/rpi-firmware/config.txt")
[ -n "${KERNEL}" ] || { echo "post-image: no kernel= line in rpi-firmware/config.txt" >&2; exit 1; }
FILES+=("${KERNEL}")

BOOT_FILES=$(printf '\\t\\t\\t"%s",\\n' "${FILES[@]}")
sed "s|#BOOT_FILES#|${BOOT_FILES}|" "${BOARD_DIR}/genimage.cfg.in" >"${GENIMAGE_CFG}"

# An empty root path: genimage only assembles images built elsewhere, and
# makes the (empty) data file system from it.
ROOTPATH_TMP=$(mktemp -d)
trap 'rm -rf "${ROOTPATH_TMP}"' EXIT
rm -rf "${GENIMAGE_TMP}"

genimage \
	--rootpath "${ROOTPATH_TMP}" \
	--tmppath "${GENIMAGE_TMP}" \
	--inputpath "${BINARIES_DIR}" \
	--outputpath "${BINARIES_DIR}" \
	--config "${GENIMAGE_CFG}"
