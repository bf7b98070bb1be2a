# hako-runtime: namespaces: user namespaces with id maps, joining a network
# namespace by path, cgroup and time namespaces.

# A bundle whose cgroup is this test's own: test suites of several checkouts
# may run at once on one machine, and the default cgroup (hako/<id>) would be
# shared by their containers of the same name.
rt_bundle() {
	make_bundle "$@"
	jq_edit "$1/config.json" ".linux.cgroupsPath = \"/hako-test/${TEST_TMP##*/}-${1##*/}\""
}

test_runtime_user_namespace() {
	mkdir -p "$TEST_TMP/shared"
	rt_bundle "$TEST_TMP/b" sh -c 'hk-testhelper ids; touch /shared/made-inside; cat /proc/self/uid_map'
	chown -R 100000:100000 "$TEST_TMP/b/rootfs" "$TEST_TMP/shared"
	# the container's root (host uid 100000) must reach its bundle
	chmod 0711 "$TEST_TMP" "$TEST_TMP/b"
	jq_edit "$TEST_TMP/b/config.json" ".linux.namespaces += [{type: \"user\"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .mounts += [{destination: \"/shared\", type: \"bind\", source: \"$TEST_TMP/shared\", options: [\"rbind\"]}]"
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$output" "uid=0 gid=0 euid=0 egid=0"
	assert_contains "$output" "100000"
	assert_eq "$(stat -c %u:%g "$TEST_TMP/shared/made-inside")" "100000:100000"
	assert_no_file "$TEST_TMP/rtstate/c1"
}

test_runtime_join_netns_by_path() {
	require_cmd ip
	local ns="hk-rt-test-$$"
	ip netns add "$ns" || skip "cannot create network namespaces here"
	defer ip netns delete "$ns"
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" ip addr add 127.0.0.77/8 dev lo 2>/dev/null || true
	rt_bundle "$TEST_TMP/b" sh -c 'ip addr show lo'
	jq_edit "$TEST_TMP/b/config.json" "(.linux.namespaces[] | select(.type == \"network\")) .path = \"/var/run/netns/$ns\""
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$output" "127.0.0.77"
	# a bad path is a clear error and leaves nothing
	jq_edit "$TEST_TMP/b/config.json" '(.linux.namespaces[] | select(.type == "network")) .path = "/var/run/netns/hk-no-such-ns"'
	run hako_runtime run -b "$TEST_TMP/b" c2
	assert_ne "$status" 0
	assert_contains "$output" "network namespace /var/run/netns/hk-no-such-ns"
	assert_no_file "$TEST_TMP/rtstate/c2"
}

test_runtime_cgroup_namespace() {
	rt_bundle "$TEST_TMP/b" cat /proc/self/cgroup
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	# inside its cgroup namespace the container's cgroup is the root
	assert_not_contains "$output" "hako-test"
	assert_contains "$output" "0::/"
}

test_runtime_time_namespace() {
	[ -e /proc/self/ns/time ] || skip "kernel without time namespaces"
	rt_bundle "$TEST_TMP/b" cat /proc/uptime
	jq_edit "$TEST_TMP/b/config.json" '.linux.namespaces += [{type: "time"}] | .linux.timeOffsets = {boottime: {secs: 864000, nanosecs: 0}}'
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	local up=${output%%.*}
	[ "$up" -ge 864000 ] || fail "uptime $up does not include the 10-day offset"
}

# A new user namespace without uidMappings/gidMappings: crun maps the
# process's ids to the runtime's, one id each, and runs it (runc refuses).
test_runtime_user_namespace_without_mappings() {
	rt_bundle "$TEST_TMP/b" sh -c 'hk-testhelper ids; cat /proc/self/uid_map /proc/self/gid_map; ls /dev/pts >/dev/null && echo pts-ok'
	jq_edit "$TEST_TMP/b/config.json" '.linux.namespaces += [{type: "user"}]'
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$output" "uid=0 gid=0 euid=0 egid=0"
	[[ "$output" =~ 0\ +0\ +1 ]] || fail "no one-id map: $output"
	assert_contains "$output" pts-ok
	jq_edit "$TEST_TMP/b/config.json" '.process.user = {uid: 1000, gid: 1001}'
	run hako_runtime run -b "$TEST_TMP/b" c2
	assert_status 0
	assert_contains "$output" "uid=1000 gid=1001"
	[[ "$output" =~ 1000\ +$(id -u)\ +1 ]] || fail "no map of the process uid: $output"
	# one map without the other is still a mistake
	jq_edit "$TEST_TMP/b/config.json" '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 1}]'
	run hako_runtime run -b "$TEST_TMP/b" c3
	assert_status 1
	assert_contains "$output" "linux.uidMappings: given without linux.gidMappings"
}
