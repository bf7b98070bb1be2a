#!/usr/bin/env bash
# bench/api.sh - the docker CLI through hako's API service vs through dockerd
# (the same client, the same busybox image):
#   docker run --rm busybox true          (N runs after a warm-up)
#   docker ps -a with 100 stopped containers
#   the idle service's memory (VmRSS)
# dockerd is measured when one answers on /var/run/docker.sock with an image
# named $IMAGE_DOCKER (/work/shared/bench/peers-setup.sh sets that up).
#
#   bench/api.sh [N]     (default 20)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
HAKO=${HAKO:-$TOP/build/hako}
DOCKER=${DOCKER:-$(command -v docker || true)}
IMAGE_DOCKER=${IMAGE_DOCKER:-bb}
N=${1:-20}
[ -n "$DOCKER" ] || { echo "bench/api.sh: no docker client" >&2; exit 1; }
TMP=$(mktemp -d /tmp/hako-apibench-XXXXXX)
H=("$HAKO" --root "$TMP/root" --runroot "$TMP/run")
SOCK=$TMP/docker.sock
SVC=
cleanup() {
	[ -n "$SVC" ] && kill "$SVC" 2>/dev/null && wait "$SVC" 2>/dev/null
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
line() { printf '%-52s %8s %s\n' "$1" "$2" "${3:-}"; }

"${H[@]}" image build-default >/dev/null
HAKO_DEFAULT_NETWORK=${HAKO_DEFAULT_NETWORK:-none} "${H[@]}" system service --listen "unix://$SOCK" 2>/dev/null &
SVC=$!
for ((i = 0; i < 500; i++)); do [ -S "$SOCK" ] && break; sleep 0.01; done
sleep 0.5
rss=$(awk '/VmRSS/ {print $2}' "/proc/$SVC/status")
line "idle service RSS" "$((rss / 1024)).$(((rss % 1024) * 10 / 1024)) MiB"

hrun=$(time_mean env DOCKER_HOST="unix://$SOCK" "$DOCKER" run --rm --network none busybox true)
line "docker run --rm busybox true (hako)" "$hrun ms"
for ((i = 0; i < 100; i++)); do "${H[@]}" create --network none busybox true >/dev/null; done
hps=$(time_mean env DOCKER_HOST="unix://$SOCK" "$DOCKER" ps -a)
line "docker ps -a, 100 stopped containers (hako)" "$hps ms"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$SVC/status")
line "service RSS after the runs" "$((rss / 1024)).$(((rss % 1024) * 10 / 1024)) MiB"

if DOCKER_HOST=unix:///var/run/docker.sock "$DOCKER" image inspect "$IMAGE_DOCKER" >/dev/null 2>&1; then
	D=(env DOCKER_HOST=unix:///var/run/docker.sock "$DOCKER")
	drun=$(time_mean "${D[@]}" run --rm --network none "$IMAGE_DOCKER" true)
	line "docker run --rm $IMAGE_DOCKER true (dockerd)" "$drun ms" "hako is $(echo "scale=2; $drun / $hrun" | bc)x faster"
	ids=()
	for ((i = 0; i < 100; i++)); do ids+=("$("${D[@]}" create --network none "$IMAGE_DOCKER" true)"); done
	dps=$(time_mean "${D[@]}" ps -a)
	line "docker ps -a, 100 more stopped containers (dockerd)" "$dps ms" "hako is $(echo "scale=2; $dps / $hps" | bc)x faster"
	"${D[@]}" rm "${ids[@]}" >/dev/null
else
	echo "dockerd: not running with image $IMAGE_DOCKER (see /work/shared/bench/peers-setup.sh)"
fi
