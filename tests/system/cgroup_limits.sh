# cgroups through hako-runtime: limits written where the kernel reads them,
# enforced, changed by update, frozen by pause, removed by delete.

# cg_dir PID CONTROLLER: the directory of PID's cgroup for CONTROLLER
# (v1: the hierarchy holding it; pure v2: the unified one).
cg_dir() {
	local pid=$1 ctl=$2 mnt path
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		path=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
		echo "/sys/fs/cgroup$path"
		return
	fi
	mnt=$(awk -v c="$ctl" '$0 ~ / - cgroup / { n = split($NF, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $5 }' /proc/self/mountinfo | head -n 1)
	path=$(awk -F: -v c="$ctl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
	[ -n "$mnt" ] && [ -n "$path" ] || return 1
	echo "$mnt$path"
}

is_v2() { [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; }

cid() { echo "cg-$1-$(basename "$TEST_TMP" | tr -cd 'a-zA-Z0-9')"; }

# A detached container running sleep, with RESOURCES (JSON) as linux.resources.
start_sleeper() {
	local id=$1 res=$2
	make_bundle "$TEST_TMP/b-$id" sleep 100
	jq_edit "$TEST_TMP/b-$id/config.json" ".linux.resources = (.linux.resources // {}) * $res"
	defer hako_runtime delete --force "$id"
	hako_runtime run -d --bundle "$TEST_TMP/b-$id" "$id"
	pid=$(hako_runtime state "$id" | jq -r .pid)
	[ -n "$pid" ] && [ "$pid" != null ] || fail "no pid for $id"
}

test_memory_cpu_pids_limits_written() {
	local id
	id=$(cid mem)
	start_sleeper "$id" '{"memory":{"limit":67108864},"pids":{"limit":17},"cpu":{"shares":512,"quota":20000,"period":100000}}'
	if is_v2; then
		local d
		d=$(cg_dir "$pid" memory)
		[ -e "$d/memory.max" ] || skip "no memory controller delegated on this v2 host"
		assert_eq "$(cat "$d/memory.max")" 67108864
		assert_eq "$(cat "$d/pids.max")" 17
		assert_eq "$(cat "$d/cpu.max")" "20000 100000"
		assert_eq "$(cat "$d/cpu.weight")" 20
	else
		assert_eq "$(cat "$(cg_dir "$pid" memory)/memory.limit_in_bytes")" 67108864
		assert_eq "$(cat "$(cg_dir "$pid" pids)/pids.max")" 17
		assert_eq "$(cat "$(cg_dir "$pid" cpu)/cpu.cfs_quota_us")" 20000
		assert_eq "$(cat "$(cg_dir "$pid" cpu)/cpu.cfs_period_us")" 100000
		assert_eq "$(cat "$(cg_dir "$pid" cpu)/cpu.shares")" 512
	fi
	# the default path is /hako/<id>, in every hierarchy
	assert_contains "$(cat "/proc/$pid/cgroup")" "/hako/$id"
}

test_memory_limit_seen_from_inside() {
	local id
	id=$(cid inside)
	if is_v2 && ! grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
		skip "no memory controller delegated on this v2 host"
	fi
	# The default spec has a cgroup namespace and mounts /sys/fs/cgroup:
	# the container sees its own cgroup as the root, with its limit.
	make_bundle "$TEST_TMP/b" sh -c 'for f in /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max; do [ -r $f ] && echo "limit=$(cat $f)"; done; cat /proc/self/cgroup'
	jq_edit "$TEST_TMP/b/config.json" '.linux.resources.memory = {"limit": 33554432}'
	run hako_runtime run --bundle "$TEST_TMP/b" "$id"
	assert_status 0
	assert_contains "$output" "limit=33554432"
	# without the cgroup namespace the real path shows
	jq_edit "$TEST_TMP/b/config.json" 'del(.linux.namespaces[] | select(.type == "cgroup"))'
	run hako_runtime run --bundle "$TEST_TMP/b" "$id"
	assert_status 0
	assert_contains "$output" "/hako/$id"
}

test_pids_limit_enforced() {
	local id
	id=$(cid pids)
	make_bundle "$TEST_TMP/b" sh -c 'for i in 1 2 3 4 5 6; do sleep 1 & done; wait; echo finished'
	# sh and at most 3 sleeps: a fork fails
	jq_edit "$TEST_TMP/b/config.json" '.linux.resources.pids = {"limit": 4}'
	run hako_runtime run --bundle "$TEST_TMP/b" "$id"
	assert_contains "$output" "can't fork"
	assert_not_contains "$output" "finished"
	# the same with room for every process
	jq_edit "$TEST_TMP/b/config.json" '.linux.resources.pids = {"limit": 20}'
	run hako_runtime run --bundle "$TEST_TMP/b" "$id"
	assert_status 0
	assert_contains "$output" "finished"
}

test_pause_resume_and_delete_removes_cgroup() {
	local id dir state
	id=$(cid pause)
	start_sleeper "$id" '{}'
	dir=$(cg_dir "$pid" freezer 2>/dev/null || cg_dir "$pid" pids)
	[ -d "$dir" ] || fail "no cgroup dir for $pid"
	hako_runtime pause "$id"
	assert_eq "$(hako_runtime state "$id" | jq -r .status)" paused
	if [ -e "$dir/freezer.state" ]; then
		assert_eq "$(cat "$dir/freezer.state")" FROZEN
	fi
	state=$(awk '{print $3}' "/proc/$pid/stat")
	[[ $state == D || $state == S ]] || fail "frozen process in state $state"
	hako_runtime resume "$id"
	assert_eq "$(hako_runtime state "$id" | jq -r .status)" running
	if [ -e "$dir/freezer.state" ]; then
		assert_eq "$(cat "$dir/freezer.state")" THAWED
	fi
	hako_runtime kill "$id" KILL
	wait_for 5 bash -c "[ \"\$($HAKO_BIN_DIR/hako-runtime --root $TEST_TMP/rtstate state $id | jq -r .status)\" = stopped ]"
	hako_runtime delete "$id"
	[ ! -e "$dir" ] || fail "cgroup $dir left after delete"
	for h in /sys/fs/cgroup/*/hako/"$id" /sys/fs/cgroup/hako/"$id"; do
		[ ! -e "$h" ] || fail "cgroup $h left after delete"
	done
}

test_update_changes_limits() {
	local id
	id=$(cid upd)
	start_sleeper "$id" '{"memory":{"limit":67108864},"pids":{"limit":20}}'
	echo '{"memory":{"limit":50331648},"pids":{"limit":30}}' >"$TEST_TMP/res.json"
	hako_runtime update --resources "$TEST_TMP/res.json" "$id"
	if is_v2; then
		local d
		d=$(cg_dir "$pid" memory)
		[ -e "$d/memory.max" ] || skip "no memory controller delegated on this v2 host"
		assert_eq "$(cat "$d/memory.max")" 50331648
		assert_eq "$(cat "$d/pids.max")" 30
	else
		assert_eq "$(cat "$(cg_dir "$pid" memory)/memory.limit_in_bytes")" 50331648
		assert_eq "$(cat "$(cg_dir "$pid" pids)/pids.max")" 30
	fi
	# a bad value is refused with the field named, the old limit stays
	echo '{"memory":{"limit":"lots"}}' >"$TEST_TMP/bad.json"
	run hako_runtime update --resources "$TEST_TMP/bad.json" "$id"
	assert_ne "$status" 0
	assert_contains "$output" "memory.limit"
}

test_bad_resources_leave_no_cgroup() {
	local id
	id=$(cid bad)
	make_bundle "$TEST_TMP/b" true
	jq_edit "$TEST_TMP/b/config.json" '.linux.resources.cpu = {"cpus": "4095"}'
	run hako_runtime run --bundle "$TEST_TMP/b" "$id"
	assert_ne "$status" 0
	assert_contains "$output" "cpuset.cpus"
	for h in /sys/fs/cgroup/*/hako/"$id" /sys/fs/cgroup/hako/"$id"; do
		[ ! -e "$h" ] || fail "cgroup $h left after a failed create"
	done
	run hako_runtime state "$id"
	assert_ne "$status" 0
}

test_devices_denied_by_default() {
	local id
	id=$(cid dev)
	make_bundle "$TEST_TMP/b" sh -c 'echo ok >/dev/null && echo null-ok; mknod /dev/lc c 10 237 && cat /dev/lc; echo rc=$?'
	run hako_runtime run --bundle "$TEST_TMP/b" "$id"
	assert_contains "$output" "null-ok"
	# /dev/loop-control is in no allow rule: mknod works, open does not
	assert_contains "$output" "Operation not permitted"
}
