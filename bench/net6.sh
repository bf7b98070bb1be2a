#!/usr/bin/env bash
# bench/net6.sh - what IPv6 (network create --ipv6) adds, inside a network
# namespace made for the run (unshare -n):
#
#   1. `run --rm busybox true` on a dual-stack user network against an
#      IPv4-only one, alternating (paired medians, as bench/net.sh);
#   2. hako-dns round trips from a container: A and AAAA of a container name
#      on the IPv4 gateway, AAAA on the IPv6 gateway (hk-testhelper dns-bench,
#      sequential queries).
#
#   bench/net6.sh [RUNS] [QUERIES]     (default 20 runs, 500 queries)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
HAKO=${HAKO_BIN:-$TOP/build/hako}
HELPER=$TOP/build/hk-testhelper
RUNS=${1:-20}
N=${2:-500}

for c in unshare ip bc; do
	command -v "$c" >/dev/null || { echo "bench/net6.sh: $c is not installed" >&2; exit 1; }
done
[ -x "$HAKO" ] && [ -x "$HELPER" ] || { echo "bench/net6.sh: build hako first (make)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench/net6.sh: needs root" >&2; exit 1; }
if [ -z "${HK_BENCH_NET6_INSIDE:-}" ]; then
	exec env HK_BENCH_NET6_INSIDE=1 unshare -n -- "$0" "$@"
fi
ip link set lo up

WORK=$(mktemp -d /var/tmp/hako-bench-net6-XXXXXX)
h() { HAKO_DNS_UPSTREAM=127.0.0.1:9 "$HAKO" --root "$WORK/root" --runroot "$WORK/run" "$@"; }
cleanup() {
	local id
	for id in $(h ps -aq --no-trunc 2>/dev/null); do h rm -f "$id" >/dev/null 2>&1 || true; done
	h network prune -f >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT

source "$TOP/bench/lib.sh"

h image build-default >/dev/null
h network create --subnet 10.198.0.0/24 v4only >/dev/null
h network create --ipv6 --subnet 10.197.0.0/24 --subnet fd00:197::/64 dual >/dev/null
# a container on each keeps both bridges up and hako-dns running, as in use
h run -d --name keep4 --network v4only busybox sleep 600 >/dev/null
h run -d --name srv --network dual -v "$HELPER:/hk-bench:ro" busybox sleep 600 >/dev/null

: >"$WORK/a" && : >"$WORK/b" && : >"$WORK/d"
for ((i = 0; i < RUNS; i++)); do
	if ((i % 2)); then
		a=$(ms h run --rm --network v4only busybox true)
		b=$(ms h run --rm --network dual busybox true)
	else
		b=$(ms h run --rm --network dual busybox true)
		a=$(ms h run --rm --network v4only busybox true)
	fi
	echo "$a" >>"$WORK/a"
	echo "$b" >>"$WORK/b"
	echo "$b - $a" | bc >>"$WORK/d"
done
printf '== run --rm busybox true, %d runs each (medians, ms)\n' "$RUNS"
printf 'IPv4-only network %s, dual-stack %s, paired delta %s\n' \
	"$(median <"$WORK/a")" "$(median <"$WORK/b")" "$(median <"$WORK/d")"

printf '== hako-dns, %d sequential UDP queries from a container (microseconds)\n' "$N"
printf '%-32s %s\n' "A    on 10.197.0.1" "$(h exec srv /hk-bench dns-bench 10.197.0.1 53 srv "$N" a)"
printf '%-32s %s\n' "AAAA on 10.197.0.1" "$(h exec srv /hk-bench dns-bench 10.197.0.1 53 srv "$N" aaaa)"
printf '%-32s %s\n' "AAAA on fd00:197::1" "$(h exec srv /hk-bench dns-bench fd00:197::1 53 srv "$N" aaaa)"
