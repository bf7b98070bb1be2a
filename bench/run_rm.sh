#!/usr/bin/env bash
# bench/run_rm.sh - `hako run --rm busybox true` against `hako-runtime run`
# alone on the same rootfs, and against podman and docker when present
# (/work/shared/bench/peers-setup.sh sets them up); then the memory of an
# idle container monitor.
#
#   bench/run_rm.sh [N]     N timed runs after a warm-up (default 20)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
HAKO=${HAKO:-$TOP/build/hako}
N=${1:-20}
TMP=$(mktemp -d /tmp/hako-bench-XXXXXX)
H=("$HAKO" --root "$TMP/root" --runroot "$TMP/run")
cleanup() {
	for id in $("${H[@]}" ps -aq --no-trunc 2>/dev/null); do "${H[@]}" rm -f "$id" >/dev/null 2>&1 || true; done
	rm -rf "$TMP" 2>/dev/null || true
}
trap cleanup EXIT

# mean seconds of N runs of "$@" (after 2 warm-up runs)
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
	echo "scale=4; $total / $N / 1000000000" | bc
}

"${H[@]}" image build-default >/dev/null

# the same rootfs for hako-runtime: a container's mounted rootfs
id=$("${H[@]}" create --name bench-rootfs busybox true)
rootfs=$("${H[@]}" inspect -f '{{.GraphDriver.Data.MergedDir}}' "$id")
mkdir -p "$TMP/bundle"
(cd "$TMP/bundle" && "$TOP/build/hako-runtime" spec)
jq --arg r "$rootfs" '.root.path = $r | .process.terminal = false | .process.args = ["true"]' \
	"$TMP/bundle/config.json" >"$TMP/bundle/c.json" && mv "$TMP/bundle/c.json" "$TMP/bundle/config.json"
rt_run() { "$TOP/build/hako-runtime" --root "$TMP/rt" run --bundle "$TMP/bundle" "bench-$RANDOM$RANDOM"; }

printf '%-45s %s\n' "what ($N runs, mean)" "seconds"
hako_s=$(time_mean "${H[@]}" run --rm busybox true)
printf '%-45s %s\n' "hako run --rm busybox true" "$hako_s"
rt_s=$(time_mean rt_run)
printf '%-45s %s   (hako / runtime: %.2fx)\n' "hako-runtime run (same rootfs)" "$rt_s" "$(echo "$hako_s / $rt_s" | bc -l)"
if command -v podman >/dev/null && podman image exists localhost/bb 2>/dev/null; then
	p_s=$(time_mean podman run --rm --network=none localhost/bb true)
	printf '%-45s %s   (hako / podman: %.2fx)\n' "podman run --rm --network=none" "$p_s" "$(echo "$hako_s / $p_s" | bc -l)"
else
	echo "podman: not set up (run /work/shared/bench/peers-setup.sh)"
fi
DOCKER=/usr/bin/docker
[ -x $DOCKER ] || DOCKER=docker
if $DOCKER image inspect bb >/dev/null 2>&1; then
	d_s=$(time_mean $DOCKER run --rm bb true)
	printf '%-45s %s   (hako / docker: %.2fx)\n' "docker run --rm" "$d_s" "$(echo "$hako_s / $d_s" | bc -l)"
else
	echo "docker: not set up (run /work/shared/bench/peers-setup.sh)"
fi

# memory of an idle monitor
"${H[@]}" run -d --name bench-idle busybox sleep 600 >/dev/null
sleep 1
mon=$("${H[@]}" inspect -f '{{.State.MonitorPid}}' bench-idle)
rss=$(ps -o rss= -p "$mon" | tr -d ' ')
pss=$(awk '/^Pss:/ {print $2}' "/proc/$mon/smaps_rollup")
priv=$(awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s}' "/proc/$mon/smaps_rollup")
echo "idle monitor (pid $mon): RSS ${rss} KiB, PSS ${pss} KiB, private ${priv} KiB"
