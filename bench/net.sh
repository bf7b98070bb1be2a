#!/usr/bin/env bash
# bench/net.sh - what a container network costs, all inside a network
# namespace made for the run (unshare -n): the host's interfaces and nft
# rules are never touched.
#
#   1. start-up: `run --rm busybox true` with --network bridge against
#      --network none, for hako and (when set up) podman; the delta in ms of
#      the medians, and of the paired runs (none and bridge alternate, so load
#      from the rest of the machine hits both alike).
#   2. throughput: BYTES over TCP (hk-testhelper tcp-send/tcp-sink) from the
#      "host" into a container, straight to its address (bridge + veth) and
#      through a published port (DNAT + route_localnet + masquerade), against
#      a bare veth pair between two namespaces; best of ROUNDS (5) each,
#      the three kinds interleaved so load from the machine hits them alike.
#
#   3. scale: `run --rm` on a user network with no peer and with PEERS
#      (default 20) containers running on it: what joining costs as the
#      network fills (hosts files, DNS records, repair), hako and podman.
#
#   bench/net.sh [RUNS] [BYTES]     (default 20 runs, 2000000000 bytes)
# podman: /work/shared/bench/peers-setup.sh installs it and the image localhost/bb.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
HAKO=${HAKO_BIN:-$TOP/build/hako}
HELPER=$TOP/build/hk-testhelper
RUNS=${1:-20}
BYTES=${2:-2000000000}

for c in unshare ip jq bc; do
	command -v "$c" >/dev/null || { echo "bench/net.sh: $c is not installed" >&2; exit 1; }
done
[ -x "$HAKO" ] && [ -x "$HELPER" ] || { echo "bench/net.sh: build hako first (make)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench/net.sh: needs root" >&2; exit 1; }

# Everything below runs in a namespace of its own.
if [ -z "${HK_BENCH_NET_INSIDE:-}" ]; then
	exec env HK_BENCH_NET_INSIDE=1 unshare -n -- "$0" "$@"
fi
ip link set lo up

WORK=$(mktemp -d /var/tmp/hako-bench-net-XXXXXX)
h() { "$HAKO" --root "$WORK/root" --runroot "$WORK/run" "$@"; }
PIDS=()
cleanup() {
	local p id
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for id in $(h ps -aq --no-trunc 2>/dev/null); do h rm -f "$id" >/dev/null 2>&1 || true; done
	h network prune -f >/dev/null 2>&1 || true
	for p in bench-a bench-b; do ip netns del "hk-$p-$$" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT

source "$TOP/bench/lib.sh"

# startup NAME NONE_CMD BRIDGE_CMD: prints "NAME none_ms bridge_ms delta_ms paired_delta_ms"
startup() {
	local name=$1 none=$2 bridge=$3 i a b
	: >"$WORK/$name.none"
	: >"$WORK/$name.bridge"
	: >"$WORK/$name.diff"
	$none >/dev/null 2>&1 || { echo "$name: '$none' fails" >&2; return 1; }
	$bridge >/dev/null 2>&1 || { echo "$name: '$bridge' fails" >&2; return 1; }
	for ((i = 0; i < RUNS; i++)); do
		if ((i % 2)); then
			a=$(ms $none)
			b=$(ms $bridge)
		else
			b=$(ms $bridge)
			a=$(ms $none)
		fi
		echo "$a" >>"$WORK/$name.none"
		echo "$b" >>"$WORK/$name.bridge"
		echo "$b - $a" | bc >>"$WORK/$name.diff"
	done
	a=$(median <"$WORK/$name.none")
	b=$(median <"$WORK/$name.bridge")
	echo "$name $a $b $(echo "$b - $a" | bc) $(median <"$WORK/$name.diff")"
}

h image build-default >/dev/null
echo "== run --rm busybox true: --network bridge vs none ($RUNS runs each, medians)"
results=()
results+=("$(startup hako "h run --rm --network none busybox true" "h run --rm --network bridge busybox true")")
if command -v podman >/dev/null && podman image exists localhost/bb 2>/dev/null; then
	results+=("$(startup podman "podman run --rm --network none localhost/bb true" \
		"podman run --rm --network bridge localhost/bb true")") || true
else
	echo "(podman: not set up; /work/shared/bench/peers-setup.sh installs it)"
fi
printf '%-8s %10s %10s %12s %14s %8s\n' "" "none ms" "bridge ms" "delta ms" "paired delta" "ratio"
for r in "${results[@]}"; do
	[ -n "$r" ] || continue
	read -r n a b d p <<<"$r"
	printf '%-8s %10.1f %10.1f %+12.1f %+14.1f %8.3f\n' "$n" "$a" "$b" "$d" "$p" "$(echo "$b / $a" | bc -l)"
done
if ((${#results[@]} > 1)); then
	read -r _ _ _ hd hp <<<"${results[0]}"
	read -r _ _ _ pd pp <<<"${results[1]}"
	printf 'podman delta / hako delta (paired): %s ms / %s ms\n' "$pp" "$hp"
fi

# scale NAME NET_CREATE NET_RM RUN_RM RUN_PEER RM_PEERS: median ms of RUN_RM
# on a user network with 0 and then $PEERS running peers
PEERS=${PEERS:-20}
scale() {
	local name=$1 mk=$2 rmnet=$3 runrm=$4 peer=$5 rmpeers=$6 i zero many
	$mk >/dev/null 2>&1 || { echo "$name: '$mk' fails" >&2; return 1; }
	: >"$WORK/$name.s0"
	: >"$WORK/$name.sn"
	$runrm >/dev/null 2>&1 || { echo "$name: '$runrm' fails" >&2; return 1; }
	for ((i = 0; i < 10; i++)); do ms $runrm >>"$WORK/$name.s0"; done
	for ((i = 0; i < PEERS; i++)); do $peer >/dev/null 2>&1 || { echo "$name: '$peer' fails" >&2; return 1; }; done
	for ((i = 0; i < 10; i++)); do ms $runrm >>"$WORK/$name.sn"; done
	$rmpeers >/dev/null 2>&1 || true
	$rmnet >/dev/null 2>&1 || true
	zero=$(median <"$WORK/$name.s0")
	many=$(median <"$WORK/$name.sn")
	printf '%-8s %10.1f %10.1f %+12.1f\n' "$name" "$zero" "$many" "$(echo "$many - $zero" | bc)"
}
hpeers_rm() { h rm -f $(h ps -q -f label=bench=peer); }
ppeers_rm() { podman rm -f -t 0 $(podman ps -q -f label=bench=hako-peer); }
echo "== run --rm on a user network with 0 vs $PEERS running peers (medians of 10)"
printf '%-8s %10s %10s %12s\n' "" "0 peers" "$PEERS peers" "delta ms"
scale hako "h network create bench-scale" "h network rm bench-scale" \
	"h run --rm --network bench-scale busybox true" \
	"h run -d -l bench=peer --network bench-scale busybox sleep 600" hpeers_rm
if command -v podman >/dev/null && podman image exists localhost/bb 2>/dev/null; then
	scale podman "podman network create hk-bench-scale" "podman network rm -f hk-bench-scale" \
		"podman run --rm --network hk-bench-scale localhost/bb true" \
		"podman run -d -l bench=hako-peer --network hk-bench-scale localhost/bb sleep 600" \
		ppeers_rm || true
fi

ROUNDS=${ROUNDS:-5}
echo "== TCP throughput, $BYTES bytes from the host into a container (best of $ROUNDS, interleaved)"
# once ADDR PORT: MB/s of one transfer to a running sink
once() {
	local r
	r=$("$HELPER" tcp-send "$1" "$2" "$BYTES" | sed -n 's/.*: \([0-9.]*\) MB\/s/\1/p')
	[ -n "$r" ] || { echo "transfer to $1:$2 failed" >&2; exit 1; }
	echo "$r"
}
best() { sort -n | tail -1; }
# a bare veth pair between two namespaces: the floor of what a bridge costs
A=hk-bench-a-$$
B=hk-bench-b-$$
ip netns add "$A"
ip netns add "$B"
ip link add hkb0 netns "$A" type veth peer name hkb1 netns "$B"
ip -n "$A" addr add 192.0.2.1/24 dev hkb0
ip -n "$B" addr add 192.0.2.2/24 dev hkb1
ip -n "$A" link set hkb0 up
ip -n "$B" link set hkb1 up
ip -n "$B" link set lo up
ip netns exec "$B" "$HELPER" tcp-sink 5001 "$ROUNDS" >"$WORK/veth.out" &
PIDS+=($!)
for _ in $(seq 50); do grep -q listening "$WORK/veth.out" 2>/dev/null && break; sleep 0.1; done

# a container with the sink, published on the host's loopback
h run -d --name bench-sink -p 127.0.0.1:18500:5001 -v "$(dirname "$HELPER"):/hkbin:ro" busybox \
	sh -c "exec /hkbin/hk-testhelper tcp-sink 5001 $((2 * ROUNDS))" >/dev/null
ip=$(h inspect -f '{{.NetworkSettings.Networks.bridge.IPAddress}}' bench-sink)
for _ in $(seq 50); do h logs bench-sink 2>/dev/null | grep -q listening && break; sleep 0.1; done
: >"$WORK/veth.r"
: >"$WORK/direct.r"
: >"$WORK/published.r"
for ((i = 0; i < ROUNDS; i++)); do
	ip netns exec "$A" bash -c "$(declare -f once); HELPER=$HELPER BYTES=$BYTES once 192.0.2.2 5001" >>"$WORK/veth.r"
	once "$ip" 5001 >>"$WORK/direct.r"
	once 127.0.0.1 18500 >>"$WORK/published.r"
done
veth=$(best <"$WORK/veth.r")
direct=$(best <"$WORK/direct.r")
published=$(best <"$WORK/published.r")
printf '%-44s %8.0f MB/s\n' "bare veth pair (two namespaces)" "$veth"
printf '%-44s %8.0f MB/s  (%.1f%% of the bare veth)\n' "container address $ip:5001 (bridge)" "$direct" \
	"$(echo "100 * $direct / $veth" | bc -l)"
printf '%-44s %8.0f MB/s  (%.1f%% of direct)\n' "published 127.0.0.1:18500 (DNAT)" "$published" \
	"$(echo "100 * $published / $direct" | bc -l)"
