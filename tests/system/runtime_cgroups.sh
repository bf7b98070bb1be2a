# hako-runtime: the container's view of its cgroups (the /sys/fs/cgroup
# mount of type "cgroup"), and resources the OCI runtime spec defines
# (config-linux.md "Control groups") beyond the basic limits.

rt_bundle() {
	make_bundle "$@"
	jq_edit "$1/config.json" ".linux.cgroupsPath = \"/hako-test/${TEST_TMP##*/}-${1##*/}\""
}

is_v1_or_hybrid() { [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; }

userns_maps='.linux.namespaces += [{type: "user"}]
	| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'

# Every v1 controller shows the container's own cgroup at
# /sys/fs/cgroup/<controller>: with and without a cgroup namespace, and in a
# user namespace, where the kernel refuses a v1 mount without one.
test_runtime_cgroup_v1_view_inside() {
	is_v1_or_hybrid || skip "pure cgroup v2 host"
	[ -d /sys/fs/cgroup/pids ] || skip "no v1 pids hierarchy"
	rt_bundle "$TEST_TMP/b" sh -c 'cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/memory/memory.limit_in_bytes; touch /sys/fs/cgroup/pids/x 2>&1; true'
	jq_edit "$TEST_TMP/b/config.json" '.linux.resources = {pids: {limit: 42}, cpu: {quota: 30000, period: 100000}, memory: {limit: 67108864}}'
	local variants=(
		'.'
		'.linux.namespaces -= [{type: "cgroup"}]'
		"$userns_maps"
		"$userns_maps | .linux.namespaces -= [{type: \"cgroup\"}]"
	)
	chmod 0711 "$TEST_TMP" "$TEST_TMP/b"
	for i in "${!variants[@]}"; do
		cp "$TEST_TMP/b/config.json" "$TEST_TMP/b/config.orig"
		jq_edit "$TEST_TMP/b/config.json" "${variants[$i]}"
		[ "$i" -lt 2 ] || chown -R 100000:100000 "$TEST_TMP/b/rootfs"
		run hako_runtime run -b "$TEST_TMP/b" "c$i"
		mv "$TEST_TMP/b/config.orig" "$TEST_TMP/b/config.json"
		assert_status 0
		assert_not_contains "$output" "warning"
		assert_eq "$(echo "$output" | head -3 | tr '\n' ' ')" "42 30000 67108864 " "variant $i"
		assert_contains "$output" "Read-only file system"
	done
	# a read-write cgroup mount lets the container write its own limits
	jq_edit "$TEST_TMP/b/config.json" '.linux.namespaces -= [{type: "cgroup"}] | .mounts |= map(if .type == "cgroup" then .options -= ["ro"] else . end) | .process.args = ["sh", "-c", "echo 7 > /sys/fs/cgroup/pids/pids.max; cat /sys/fs/cgroup/pids/pids.max"]'
	run hako_runtime run -b "$TEST_TMP/b" c-rw
	assert_status 0
	assert_eq "$output" 7
}
