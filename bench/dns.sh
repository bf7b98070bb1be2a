#!/usr/bin/env bash
# DNS benchmark, inside a network namespace made for the run (no query
# leaves it): per-query round trip of hako-dns for
#   1. a container's name (answered from its records),
#   2. a name it forwards to an upstream (hk-testhelper's fake resolver on
#      the namespace's loopback): the cost of the extra hop,
#   3. that upstream asked directly (the floor of a UDP exchange here),
#   4. dnsmasq answering a local record, when dnsmasq is installed,
# asked from the "host" side and from inside a container; then hako-dns's
# memory (RSS).  Usage: bench/dns.sh [QUERIES]   (default 2000)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
HAKO=${HAKO_BIN:-$TOP/build/hako}
N=${1:-2000}
HELPER=$TOP/build/hk-testhelper
for c in nsenter ip; do
	command -v "$c" >/dev/null || { echo "bench/dns.sh: $c is not installed" >&2; exit 1; }
done
[ -x "$HAKO" ] && [ -x "$HELPER" ] || { echo "bench/dns.sh: build hako first (make)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench/dns.sh: needs root" >&2; exit 1; }

NS=hk-bench-dns-$$
WORK=$(mktemp -d /var/tmp/hako-bench-dns-XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	h rm -f srv >/dev/null 2>&1 || true
	h network rm benchnet >/dev/null 2>&1 || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
h() { nsenter --net="/run/netns/$NS" "$HAKO" --root "$WORK/root" --runroot "$WORK/run" "$@"; }
export HAKO_DNS_UPSTREAM=127.0.0.1:5354
nsenter --net="/run/netns/$NS" "$HELPER" dns-upstream 127.0.0.1 5354 >/dev/null &
PIDS+=($!)
h image build-default >/dev/null
h network create --subnet 10.199.0.0/24 benchnet >/dev/null
h run -d --name srv --network benchnet -v "$HELPER:/hk-bench:ro" busybox sleep 600 >/dev/null
GW=10.199.0.1

bench() { # LABEL WHERE(host|ctr) ADDR PORT NAME
	local out
	if [ "$2" = host ]; then
		out=$(nsenter --net="/run/netns/$NS" "$HELPER" dns-bench "$3" "$4" "$5" "$N")
	else
		out=$(h exec srv /hk-bench dns-bench "$3" "$4" "$5" "$N")
	fi
	printf '%-44s %s\n' "$1" "$out"
}

echo "== $N sequential UDP queries each (microseconds)"
for where in host ctr; do
	bench "hako-dns, container name ($where)" $where $GW 53 srv
	bench "hako-dns, forwarded to upstream ($where)" $where $GW 53 external.example
done
bench "fake upstream directly (host)" host 127.0.0.1 5354 external.example
if command -v dnsmasq >/dev/null; then
	nsenter --net="/run/netns/$NS" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
		--listen-address=127.0.0.2 --bind-interfaces --port=53 \
		--address=/srv.test/10.199.0.9 --pid-file="$WORK/dnsmasq.pid" &
	PIDS+=($!)
	sleep 0.5
	bench "dnsmasq, local record (host)" host 127.0.0.2 53 srv.test
	echo "dnsmasq RSS: $(awk '/VmRSS/ {print $2, $3}' "/proc/$(cat "$WORK/dnsmasq.pid")/status")"
else
	echo "(dnsmasq is not installed: no comparison)"
fi
pid=$(cat "$WORK/run/dns/lock")
echo "hako-dns RSS: $(awk '/VmRSS/ {print $2, $3}' "/proc/$pid/status")," \
	"binary $(stat -c %s "$(readlink "/proc/$pid/exe")") bytes"
