#!/bin/sh
# pitwall SD image, post-build: wiring that belongs to the image, not to the
# pitwall package (which the .deb packages share).
set -eu

TARGET_DIR=$1

# The root file system is read-only: /etc/pitwall is the copy of the boot
# partition's pitwall/ folder that pitwall-bootconf makes at every boot
# (configs, password files, and the examples post-image.sh puts there).
rm -rf "${TARGET_DIR}/etc/pitwall"
ln -s /run/pitwall-boot/etc "${TARGET_DIR}/etc/pitwall"
mkdir -p "${TARGET_DIR}/boot"
