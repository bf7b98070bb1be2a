# Helpers of the network tests (sourced by net_*.sh; no tests here).
#
# Every test runs hako inside a network namespace of its own ($NS), so the
# host's interfaces and nft rules are never touched; "containers" are more
# namespaces ($NS-c1...) standing in for the real thing.

# net_setup: make the test's namespace (loopback up) and register cleanup.
net_setup() {
	require_cmd ip
	require_cmd nft
	NS=hk-$(basename "$TEST_TMP" | sed 's/^hako-test-//')
	ip netns add "$NS" || skip "cannot create network namespaces"
	defer "net_cleanup"
	ip netns exec "$NS" ip link set lo up
}

net_cleanup() {
	local n
	for n in $(ip netns list | awk '{print $1}' | grep "^$NS-"); do ip netns del "$n"; done
	ip netns del "$NS"
}

# hn ARGS: hako inside the test's namespace.  nsenter, not `ip netns exec`:
# that one remounts /sys, which hides the cgroup filesystems containers need.
hn() { nsenter --net="/run/netns/$NS" "$HAKO_BIN" --root "$TEST_TMP/root" --runroot "$TEST_TMP/run" "$@"; }
# in_ns ARGS: a command inside the test's namespace (the "host").
in_ns() { nsenter --net="/run/netns/$NS" "$@"; }
# in_c NAME ARGS: a command inside the stand-in container NAME.
in_c() {
	local c=$1
	shift
	ip netns exec "$NS-$c" "$@"
}
# net_container NAME: make a stand-in container namespace.
net_container() { ip netns add "$NS-$1"; }
bb() { "$TEST_ROOTFS/bin/busybox" "$@"; }

# net_engine_setup: the busybox image, and every container removed at the end.
net_engine_setup() {
	hn image build-default >/dev/null
	defer net_rm_containers
}
net_rm_containers() {
	local id
	for id in $(hn ps -aq --no-trunc 2>/dev/null); do hn rm -f "$id"; done
}

# The database of the test's root, for checks.
net_sql() { sqlite3 "$TEST_TMP/root/hako.db" "$1"; }
