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

# cpu.quota -1 is "no limit" (runc and crun): -1 on v1, nothing refused.
test_runtime_cgroup_cpu_quota_unlimited() {
	rt_bundle "$TEST_TMP/b" sh -c 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max 2>/dev/null; true'
	jq_edit "$TEST_TMP/b/config.json" '.linux.resources.cpu = {quota: -1}'
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	is_v1_or_hybrid && assert_eq "$output" "-1"
	true
}

# Realtime budgets on v1: a new cgroup has none and its parents none to
# give, so the runtime sets the parents' first.
test_runtime_cgroup_v1_realtime() {
	is_v1_or_hybrid || skip "pure cgroup v2 host (no realtime limits)"
	[ -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] || skip "kernel without CONFIG_RT_GROUP_SCHED"
	local parent="/hako-test/${TEST_TMP##*/}-rt"
	# (deferred calls run last first: the budget /hako-test got goes back
	# after the test's own parent is removed, which the kernel releases a
	# moment later; it fails harmlessly while a sibling still holds one)
	defer "for i in \$(seq 50); do echo 0 >/sys/fs/cgroup/cpu/hako-test/cpu.rt_runtime_us && break; sleep 0.02; done"
	defer rmdir "/sys/fs/cgroup/cpu$parent"
	rt_bundle "$TEST_TMP/b" sh -c 'cat /sys/fs/cgroup/cpu/cpu.rt_runtime_us /sys/fs/cgroup/cpu/cpu.rt_period_us'
	jq_edit "$TEST_TMP/b/config.json" ".linux.cgroupsPath = \"$parent/c\" | .linux.resources.cpu = {realtimeRuntime: 20000, realtimePeriod: 1000000}"
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_eq "$(echo $output)" "20000 1000000"
	assert_eq "$(cat "/sys/fs/cgroup/cpu$parent/cpu.rt_runtime_us")" 20000
}

# linux.resources.unified on a pure v2 hierarchy (a private mount namespace
# with cgroup2 on /sys/fs/cgroup stands for a v2 host): core keys are
# written, an unknown controller or key is refused by name.
test_runtime_cgroup_v2_unified() {
	cat >"$TEST_TMP/inner.sh" <<-EOF
		set -e
		mount --make-rprivate /
		mount -t cgroup2 none /sys/fs/cgroup
		for u in '{"cgroup.max.depth": "5"}' '{"foo.max": "5"}' '{"cgroup.bogus": "1"}'; do
			jq ".linux.resources.unified = \$u" "$TEST_TMP/b/config.json" >"$TEST_TMP/b/c.json"
			mv "$TEST_TMP/b/c.json" "$TEST_TMP/b/config.json"
			"$HAKO_BIN_DIR/hako-runtime" --root "$TEST_TMP/rtstate" run -b "$TEST_TMP/b" c1 2>&1 || true
		done
	EOF
	rt_bundle "$TEST_TMP/b" cat /sys/fs/cgroup/cgroup.max.depth
	run unshare -m bash "$TEST_TMP/inner.sh"
	assert_status 0
	assert_contains "$output" $'5\n'
	assert_contains "$output" 'foo.max: the cgroup controller "foo" is not available'
	assert_contains "$output" 'cgroup.bogus: no such key'
}

# The directory of PID's cgroup holding controller CTL.
ctl_dir() {
	local pid=$1 ctl=$2 mnt path
	if ! is_v1_or_hybrid; then
		echo "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$pid/cgroup")"
		return
	fi
	mnt=$(awk -v c="$ctl" '$0 ~ / - cgroup / { n = split($NF, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $5 }' /proc/self/mountinfo | head -n 1)
	path=$(awk -F: -v c="$ctl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
	echo "$mnt$path"
}

# runc's update flags, with memory units; a flag wins over --resources.
test_runtime_update_flags() {
	rt_bundle "$TEST_TMP/b" sleep 100
	defer hako_runtime delete --force u1
	hako_runtime run -d -b "$TEST_TMP/b" u1
	local pid
	pid=$(hako_runtime state u1 | jq -r .pid)
	run hako_runtime update --memory 512m --memory-reservation 256M --memory-swap 1g \
		--cpu-period 200000 --cpu-quota 50000 --cpu-share 512 --cpuset-cpus 0 --cpuset-mems 0 \
		--pids-limit 33 u1
	assert_status 0
	if is_v1_or_hybrid; then
		assert_eq "$(cat "$(ctl_dir "$pid" memory)/memory.limit_in_bytes")" 536870912
		assert_eq "$(cat "$(ctl_dir "$pid" memory)/memory.soft_limit_in_bytes")" 268435456
		[ ! -e "$(ctl_dir "$pid" memory)/memory.memsw.limit_in_bytes" ] ||
			assert_eq "$(cat "$(ctl_dir "$pid" memory)/memory.memsw.limit_in_bytes")" 1073741824
		assert_eq "$(cat "$(ctl_dir "$pid" cpu)/cpu.cfs_period_us")" 200000
		assert_eq "$(cat "$(ctl_dir "$pid" cpu)/cpu.cfs_quota_us")" 50000
		assert_eq "$(cat "$(ctl_dir "$pid" cpu)/cpu.shares")" 512
		assert_eq "$(cat "$(ctl_dir "$pid" cpuset)/cpuset.cpus")" 0
	else
		[ -e "$(ctl_dir "$pid" memory)/memory.max" ] || skip "no controllers delegated on this v2 host"
		assert_eq "$(cat "$(ctl_dir "$pid" memory)/memory.max")" 536870912
		assert_eq "$(cat "$(ctl_dir "$pid" cpu)/cpu.max")" "50000 200000"
	fi
	assert_eq "$(cat "$(ctl_dir "$pid" pids)/pids.max")" 33
	# --resources from stdin, and a flag over it
	run bash -c "echo '{\"pids\": {\"limit\": 44}, \"memory\": {\"limit\": 1048576000}}' | \"$HAKO_BIN_DIR/hako-runtime\" --root \"$TEST_TMP/rtstate\" update -r - --memory 100m u1"
	assert_status 0
	assert_eq "$(cat "$(ctl_dir "$pid" pids)/pids.max")" 44
	if is_v1_or_hybrid; then
		assert_eq "$(cat "$(ctl_dir "$pid" memory)/memory.limit_in_bytes")" 104857600
		run hako_runtime update --cpu-quota -1 u1
		assert_status 0
		assert_eq "$(cat "$(ctl_dir "$pid" cpu)/cpu.cfs_quota_us")" -1
	fi
	run hako_runtime update --memory 12x u1
	assert_status 1
	assert_contains "$output" 'update: --memory: bad size "12x"'
	run hako_runtime update u1
	assert_status 1
	assert_contains "$output" "give --resources FILE or a flag"
}
