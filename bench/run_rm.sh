#!/usr/bin/env bash
# bench/run_rm.sh - the start-to-exit cost of a container, as podman measures
# it: `run --rm IMAGE true` repeated after a warm-up.  In one run:
#   hako run --rm busybox true, with --network none and with the default
#   (bridge) network; hako-runtime run alone (the bare runtime) on the same
#   rootfs, with the runtime's default spec and with the very config.json hako
#   generated (seccomp profile, masked paths...); podman run --rm
#   --network=none and docker run --rm when present
#   (/work/shared/bench/peers-setup.sh sets them up); the ratios; then the
#   memory of an idle container monitor.
#
#   bench/run_rm.sh [N]     N timed runs after a warm-up (default 20)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
HAKO=${HAKO:-$TOP/build/hako}
RUNTIME=$(dirname "$HAKO")/hako-runtime
N=${1:-20}
TMP=$(mktemp -d /tmp/hako-bench-XXXXXX)
H=("$HAKO" --root "$TMP/root" --runroot "$TMP/run")
cleanup() {
	for id in $("${H[@]}" ps -aq --no-trunc 2>/dev/null); do "${H[@]}" rm -f "$id" >/dev/null 2>&1 || true; done
	rm -rf "$TMP" 2>/dev/null || true
}
trap cleanup EXIT

# mean milliseconds of N runs of "$@" (after 2 warm-up runs)
time_mean() {
	local i s e total=0
	"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }
	"$@" >/dev/null 2>&1
	for ((i = 0; i < N; i++)); do
		s=$(date +%s%N)
		"$@" >/dev/null 2>&1
		e=$(date +%s%N)
		total=$((total + e - s))
	done
	echo "scale=1; $total / $N / 1000000" | bc
}
ratio() { echo "scale=2; $1 / $2" | bc; }
line() { printf '%-50s %8s ms   %s\n' "$1" "$2" "${3:-}"; }

"${H[@]}" image build-default >/dev/null

# the same rootfs for hako-runtime: a container's mounted rootfs
id=$("${H[@]}" create --name bench-rootfs --network none busybox true)
rootfs=$("${H[@]}" inspect -f '{{.GraphDriver.Data.MergedDir}}' "$id")
mkdir -p "$TMP/bundle" "$TMP/bundle2"
(cd "$TMP/bundle" && "$RUNTIME" spec)
jq --arg r "$rootfs" '.root.path = $r | .process.terminal = false | .process.args = ["true"]' \
	"$TMP/bundle/config.json" >"$TMP/bundle/c.json" && mv "$TMP/bundle/c.json" "$TMP/bundle/config.json"
jq '.process.terminal = false | .process.args = ["true"]' \
	"$TMP/root/containers/$id/config.json" >"$TMP/bundle2/config.json"
rt_run() { "$RUNTIME" --root "$TMP/rt" run --bundle "$1" "bench-$RANDOM$RANDOM"; }

echo "$N runs each after a warm-up, mean wall time"
none=$(time_mean "${H[@]}" run --rm --network none busybox true)
bridge=$(time_mean "${H[@]}" run --rm busybox true)
rt=$(time_mean rt_run "$TMP/bundle")
rt2=$(time_mean rt_run "$TMP/bundle2")
line "hako run --rm --network none busybox true" "$none"
line "hako run --rm busybox true (bridge network)" "$bridge"
line "hako-runtime run (runtime's default spec)" "$rt" "hako none / runtime: $(ratio "$none" "$rt")x"
line "hako-runtime run (hako's config.json)" "$rt2" "hako none / runtime: $(ratio "$none" "$rt2")x"
if command -v podman >/dev/null && podman image exists localhost/bb 2>/dev/null; then
	p=$(time_mean podman run --rm --network=none localhost/bb true)
	line "podman run --rm --network=none" "$p" \
		"podman / hako none: $(ratio "$p" "$none")x, podman / hako bridge: $(ratio "$p" "$bridge")x"
else
	echo "podman: not set up (run /work/shared/bench/peers-setup.sh)"
fi
DOCKER=/usr/bin/docker
[ -x $DOCKER ] || DOCKER=docker
if $DOCKER image inspect bb >/dev/null 2>&1; then
	d=$(time_mean $DOCKER run --rm bb true)
	line "docker run --rm" "$d" "docker / hako bridge: $(ratio "$d" "$bridge")x"
else
	echo "docker: not set up (run /work/shared/bench/peers-setup.sh)"
fi

# memory of an idle monitor
"${H[@]}" run -d --name bench-idle --network none busybox sleep 600 >/dev/null
sleep 1
mon=$("${H[@]}" inspect -f '{{.State.MonitorPid}}' bench-idle)
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$mon/status")
rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$mon/status")
pss=$(awk '/^Pss:/ {print $2}' "/proc/$mon/smaps_rollup")
priv=$(awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s}' "/proc/$mon/smaps_rollup")
echo "idle monitor (pid $mon, $(readlink "/proc/$mon/exe")):"
echo "  peak RSS (VmHWM) ${hwm} KiB, RSS ${rss} KiB, PSS ${pss} KiB, private ${priv} KiB"
