#!/usr/bin/env bash
# Runs pitwall's benchmarks; docs/benchmarks.md records the figures.
#   scripts/bench.sh            everything
#   scripts/bench.sh go         only `go test -bench`
#   scripts/bench.sh rss        only the trackside RSS after 100k laps
#   scripts/bench.sh web        only the kiosk web load test (2,000 SSE clients)
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"

if [ "$what" = all ] || [ "$what" = go ]; then
  go test -run='^$' -bench=. -benchmem -benchtime="${BENCHTIME:-1s}" ./...
fi

if [ "$what" = all ] || [ "$what" = rss ]; then
  # A private Mosquitto on a free port, so the outbox is drained for real.
  tmp=$(mktemp -d)
  trap 'kill "$mpid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" >"$tmp/m.conf"
  mosq=$(command -v mosquitto || echo /usr/sbin/mosquitto)
  "$mosq" -c "$tmp/m.conf" >"$tmp/m.log" 2>&1 &
  mpid=$!
  sleep 0.5
  go build -o "$tmp/pitwall" ./cmd/pitwall
  "$tmp/pitwall" bench-rss -laps 100000 -broker "tcp://127.0.0.1:$port"
fi

if [ "$what" = all ] || [ "$what" = web ]; then
  wtmp=$(mktemp -d)
  go build -o "$wtmp/pitwall" ./cmd/pitwall
  # The kiosk side runs on one core (GOMAXPROCS=1); the load comes from
  # this process on the others.
  "$wtmp/pitwall" bench-web -clients 2000 -duration 20s
  "$wtmp/pitwall" bench-web -clients 2000 -duration 20s -refetch
  rm -rf "$wtmp"
fi
