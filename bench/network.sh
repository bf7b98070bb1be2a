#!/usr/bin/env bash
# Network benchmarks, all inside a network namespace made for the run (the
# host's interfaces and nft rules are never touched):
#   1. hako run --rm --network bridge busybox true  vs  --network none
#      (what a veth pair, an address, the bridge and the nft table cost)
#   2. a 300 MB TCP transfer from a container to the "host": through a port
#      published on 127.0.0.1 (DNAT, route_localnet, masquerade) versus
#      straight to the container's address over the bridge and veth.
# Usage: bench/network.sh [RUNS]   (default 10)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
HAKO=${HAKO_BIN:-$TOP/build/hako}
RUNS=${1:-10}
BB=$(command -v busybox)
for c in hyperfine nsenter ip; do
	command -v "$c" >/dev/null || { echo "bench/network.sh: $c is not installed" >&2; exit 1; }
done
[ -x "$HAKO" ] || { echo "bench/network.sh: build hako first (make)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench/network.sh: needs root" >&2; exit 1; }

NS=hk-bench-$$
WORK=$(mktemp -d /var/tmp/hako-bench-net-XXXXXX)
cleanup() {
	h rm -f srv >/dev/null 2>&1 || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
h() { nsenter --net="/run/netns/$NS" "$HAKO" --root "$WORK/root" --runroot "$WORK/run" "$@"; }
h image build-default >/dev/null
# warm up: the default network's record, the image's layers in the cache
h run --rm --network bridge busybox true
h run --rm --network none busybox true

echo "== hako run --rm busybox true: --network bridge vs none ($RUNS runs each)"
hyperfine -N -w 1 -r "$RUNS" --export-json "$WORK/run.json" \
	-n none "nsenter --net=/run/netns/$NS $HAKO --root $WORK/root --runroot $WORK/run run --rm --network none busybox true" \
	-n bridge "nsenter --net=/run/netns/$NS $HAKO --root $WORK/root --runroot $WORK/run run --rm --network bridge busybox true" |
	grep -E "Time|±|faster|none|bridge" || true
none=$(jq '.results[] | select(.command == "none") | .mean * 1000' "$WORK/run.json")
bridge=$(jq '.results[] | select(.command == "bridge") | .mean * 1000' "$WORK/run.json")
printf 'none %.1f ms, bridge %.1f ms: the bridge adds %.1f ms\n' "$none" "$bridge" \
	"$(echo "$bridge - $none" | bc -l)"

echo "== 300 MB over TCP from a container: published port vs direct (best of 3)"
h run -d --name srv -p 127.0.0.1:18500:80 busybox \
	sh -c 'while true; do head -c 300000000 /dev/zero | nc -l -p 80; done' >/dev/null
ip=$(h network inspect bridge | jq -r '.[0].Containers[].IPv4Address')
sleep 2 # the container starts its listener
wait_listen() { # the container's listener, seen from its namespace
	local pid i
	pid=$(h inspect srv | jq -r '.[0].State.Pid')
	for i in $(seq 100); do
		nsenter --net="/proc/$pid/ns/net" ss -ltn 2>/dev/null | grep -q ':80 ' && return 0
		sleep 0.1
	done
}
# busybox nc may close before the last bytes of its buffer leave: measure
# what arrived, not what was sent.
xfer() { # HOST PORT -> best MB/s
	local best=0 t0 t1 r
	for _ in 1 2 3; do
		# the server loop needs a moment to listen again
		wait_listen "$1" "$2"
		t0=$(date +%s%N)
		nsenter --net="/run/netns/$NS" bash -c "cat </dev/tcp/$1/$2" | wc -c >"$WORK/bytes"
		t1=$(date +%s%N)
		r=$(echo "$(cat "$WORK/bytes") / 1000000 / (($t1 - $t0) / 1000000000)" | bc -l)
		(($(cat "$WORK/bytes") > 100000000)) || { echo "short transfer: $(cat "$WORK/bytes") bytes" >&2; exit 1; }
		best=$(echo "if ($r > $best) $r else $best" | bc -l)
	done
	echo "$best"
}
direct=$(xfer "$ip" 80)
published=$(xfer 127.0.0.1 18500)
printf 'direct %s:80        %.0f MB/s\n' "$ip" "$direct"
printf 'published 127.0.0.1:18500 %.0f MB/s (%.1f%% of direct)\n' "$published" \
	"$(echo "100 * $published / $direct" | bc -l)"
