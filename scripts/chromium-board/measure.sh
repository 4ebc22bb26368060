#!/usr/bin/env bash
# measure.sh: how much memory headless Chromium needs to show the leaderboard
# that pitwall's kiosk paints in pure Go (board.html beside this script is
# the same board, data and 1920x1080 geometry as display/testdata's golden).
#
# It starts Debian's chromium headless on board.html with the flags of the
# probe, lets the running lap clock tick for a while, then sums the memory of
# every process of that Chromium: browser, zygotes, renderers, GPU and
# utility processes and the crashpad handlers (which double-fork away from
# the browser, so they are found by a marker in their environment; the rest
# as descendants of marked processes). RSS counts shared pages once per
# process and so over-counts; PSS (/proc/PID/smaps_rollup) splits each shared
# page among its users and is the fair total; USS (private pages) is what
# would be freed if it exited.
#
# Usage: measure.sh [-s SECONDS] [-n RUNS] [-o SCREENSHOT.png] [-N]
#   -s  how long the board runs before memory is read (default 10)
#   -n  measured runs, each with a fresh profile (default 1)
#   -o  also take a screenshot in a separate run and write it there
#   -N  do not install chromium/fonts-go when missing
#
# Everything stays offline: the page is a local file with no external
# resources, and the flags stop Chromium's background networking; the script
# reports any socket of the measured processes that is not on loopback.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
page="file://$here/board.html"
seconds=10
runs=1
shot=""
install=1

while getopts ":s:n:o:N" opt; do
	case $opt in
	s) seconds=$OPTARG ;;
	n) runs=$OPTARG ;;
	o) shot=$OPTARG ;;
	N) install=0 ;;
	*)
		sed -n '/^# Usage:/,/^#   -N/p' "$0" | sed 's/^# \{0,1\}//' >&2
		exit 2
		;;
	esac
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "measure.sh: -s wants whole seconds > 0, got '$seconds'" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "measure.sh: -n wants a run count > 0, got '$runs'" >&2; exit 2; }
[[ $(uname -s) == Linux ]] || { echo "measure.sh: needs Linux /proc (smaps_rollup)" >&2; exit 1; }

# The probe's flags. --headless is the new headless mode in current Chromium:
# it keeps the page open (and its timers running) until it is stopped.
# shellcheck disable=SC2054 # the comma is in --window-size=1920,1080
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
	--disable-background-networking --disable-component-update --disable-sync
	--window-size=1920,1080)

ensure_chromium() {
	local want=()
	command -v chromium >/dev/null || want+=(chromium)
	# The kiosk draws with the Go fonts; fonts-go gives Chromium the same
	# ones through fontconfig (the page falls back to sans-serif without).
	[[ -e /usr/share/fonts/fonts-go/Go-Regular.ttf ]] || want+=(fonts-go)
	((${#want[@]})) || return 0
	if ((!install)); then
		echo "measure.sh: missing ${want[*]} and -N given" >&2
		command -v chromium >/dev/null || exit 1
		return 0
	fi
	local sudo=()
	((EUID == 0)) || sudo=(sudo)
	echo "measure.sh: installing ${want[*]} (Debian packages)" >&2
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
}

# pids_of TOKEN: every live process of one Chromium. The browser and the
# crashpad handlers it double-forks carry our marker in their environment;
# the zygotes and what they fork get a scrubbed environment, so they are
# found as descendants of the marked processes.
pids_of() {
	local token=$1 p ppid
	local -A marked=() parent=()
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		# environ is NUL-separated: -z makes each variable one "line".
		grep -qzx "PITWALL_CHROMIUM_RUN=$token" "/proc/$p/environ" 2>/dev/null && marked[$p]=1
		ppid=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f2) || continue
		[[ -n $ppid ]] && parent[$p]=$ppid
	done
	local grew=1
	while ((grew)); do
		grew=0
		for p in "${!parent[@]}"; do
			if [[ -z ${marked[$p]:-} && -n ${marked[${parent[$p]}]:-} ]]; then
				marked[$p]=1
				grew=1
			fi
		done
	done
	((${#marked[@]})) && printf '%s\n' "${!marked[@]}" | sort -n
	return 0
}

# kind PID: the Chromium process type, from its command line.
kind() {
	local args type sub
	args=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || { echo gone; return; }
	case $args in
	*chrome_crashpad_handler*) echo crashpad-handler; return ;;
	esac
	type=$(grep -o -- '--type=[^ ]*' <<<"$args" | head -1 | cut -d= -f2) || true
	sub=$(grep -o -- '--utility-sub-type=[^ ]*' <<<"$args" | head -1 | cut -d= -f2) || true
	[[ $args == *--top-chrome-webui* ]] && type="$type(webui)"
	[[ $args == *--no-zygote-sandbox* && $type == zygote ]] && type="zygote(unsandboxed)"
	[[ -n $sub ]] && type="$type:${sub%%.mojom*}"
	echo "${type:-browser}"
}

# cpu_ticks PID: utime+stime of the process in clock ticks (0 if gone).
cpu_ticks() {
	local f
	# After the ")" closing the command name, utime and stime are the 12th
	# and 13th fields (stat fields 14 and 15).
	read -r -a f < <(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || true
	if ((${#f[@]} > 12)); then echo $((f[11] + f[12])); else echo 0; fi
}

# off_loopback PID...: sockets of the processes whose peer is not loopback.
off_loopback() {
	command -v ss >/dev/null || { echo "(ss missing: socket check skipped)"; return; }
	local re
	re=$(printf 'pid=%s,|' "$@")
	ss -tunapH 2>/dev/null | grep -E "${re%|}" |
		awk '{print $6}' | grep -vE '^(127\.|\[::1\]|\[::ffff:127\.|\[::\]|\*|0\.0\.0\.0)' || true
}

stop() {
	local p alive
	for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		alive=0
		for p in "$@"; do [[ -d /proc/$p ]] && alive=1; done
		((alive)) || return 0
		sleep 0.5
	done
	for p in "$@"; do kill -KILL "$p" 2>/dev/null || true; done
}

profiles=()
cleanup() {
	local d
	for d in "${profiles[@]}"; do rm -rf -- "$d"; done
}
trap cleanup EXIT

screenshot() {
	local out=$1 profile
	mkdir -p -- "$(dirname -- "$out")"
	profile=$(mktemp -d)
	profiles+=("$profile")
	timeout 120 chromium "${flags[@]}" --user-data-dir="$profile" \
		--screenshot="$out" "$page" >/dev/null 2>&1 ||
		{ echo "measure.sh: screenshot run failed" >&2; return 1; }
	[[ -s $out ]] || { echo "measure.sh: no screenshot written to $out" >&2; return 1; }
	echo "screenshot: $out"
}

measure() {
	local run=$1 profile token pid pids t_mid t_end hz
	local -A c_mid=()
	profile=$(mktemp -d)
	profiles+=("$profile")
	token="$$-$run-$RANDOM$RANDOM"
	PITWALL_CHROMIUM_RUN=$token setsid chromium "${flags[@]}" --user-data-dir="$profile" "$page" \
		>"$profile.log" 2>&1 </dev/null &
	pid=$!
	profiles+=("$profile.log")

	# CPU over the second half of the window: the steady state of a board
	# whose lap clock ticks at 10 Hz, not the start-up.
	sleep $((seconds / 2))
	mapfile -t pids < <(pids_of "$token")
	((${#pids[@]})) || { echo "measure.sh: chromium did not start; log:" >&2; tail -20 "$profile.log" >&2; return 1; }
	local p
	for p in "${pids[@]}"; do c_mid[$p]=$(cpu_ticks "$p"); done
	t_mid=$(date +%s.%N)
	sleep $((seconds - seconds / 2))
	mapfile -t pids < <(pids_of "$token")
	t_end=$(date +%s.%N)
	hz=$(getconf CLK_TCK)

	echo "run $run: ${#pids[@]} processes after ${seconds}s (launcher pid $pid)"
	printf '  %-8s %-26s %10s %10s %10s %6s\n' PID TYPE RSS_KiB PSS_KiB USS_KiB CPU%
	local rss pss uss t cpu rows=""
	for p in "${pids[@]}"; do
		rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) || continue
		read -r pss uss < <(awk '/^Pss:/ {pss=$2} /^Private_(Clean|Dirty):/ {uss+=$2} END {print pss+0, uss+0}' \
			"/proc/$p/smaps_rollup" 2>/dev/null) || continue
		t=$(kind "$p")
		# CPU over the second half of the window, in % of one core.
		cpu=$(awk -v d=$(($(cpu_ticks "$p") - ${c_mid[$p]:-0})) -v hz="$hz" -v t0="$t_mid" -v t1="$t_end" \
			'BEGIN {printf "%.1f", 100 * d / hz / (t1 - t0)}')
		printf '  %-8s %-26s %10s %10s %10s %6s\n' "$p" "$t" "$rss" "$pss" "$uss" "$cpu"
		rows+="$rss $pss $uss $cpu"$'\n'
	done
	awk -v run="$run" -v n="${#pids[@]}" -v secs="$seconds" '
		NF == 4 { r += $1; p += $2; u += $3; c += $4 }
		END {
			printf "  %-8s %-26s %10d %10d %10d %6.1f\n", "TOTAL", "", r, p, u, c
			printf "run %s: RSS sum %.1f MiB, PSS sum %.1f MiB, USS sum %.1f MiB, %d processes after %ss, CPU %.1f%% of one core\n",
				run, r / 1024, p / 1024, u / 1024, n, secs, c
		}' <<<"$rows"

	local leaks
	leaks=$(off_loopback "${pids[@]}")
	if [[ -n $leaks ]]; then
		echo "  WARNING: sockets off loopback: $leaks"
	else
		echo "  network: no socket off loopback"
	fi
	stop "${pids[@]}"
	wait "$pid" 2>/dev/null || true
}

ensure_chromium
echo "$(chromium --version 2>/dev/null); page $page; kernel $(uname -r); $(nproc) cores"
echo "flags: ${flags[*]} --user-data-dir=<fresh mktemp -d>"
[[ -n $shot ]] && screenshot "$shot"
for ((i = 1; i <= runs; i++)); do
	measure "$i"
done
