#!/usr/bin/env bash
# Installs what pitwall's demo and tests need on a fresh Debian/Ubuntu/Raspberry Pi OS
# machine: Go (checked, not installed) and Mosquitto + its clients, openssl and the kiosk's
# fallback fonts for CJK, Arabic and emoji names (installed with apt-get).
set -euo pipefail

need_go="1.26"
if ! command -v go >/dev/null 2>&1; then
  echo "setup: Go $need_go or newer is needed (https://go.dev/dl/); PATH has no 'go'" >&2
  exit 1
fi

missing=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
command -v mosquitto_sub >/dev/null 2>&1 || missing+=(mosquitto-clients)
# The broker role tests derive passwords in shell as docs/admin.md shows.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# The kiosk's fallback fonts (docs/kiosk.md, "Fonts"); display's script goldens draw with them.
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
[ -e /usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf ] || missing+=(fonts-symbola)
# The public web's tests drive a real headless Chromium (kiosk/web); about a
# minute to install (~100 MB of packages), and the tests skip without it.
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "setup: please install ${missing[*]} (apt-get install ${missing[*]})" >&2; exit 1
    fi
  fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # The tests start their own brokers on free ports; the packaged service is not needed.
fi
go mod download
