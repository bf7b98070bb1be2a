# hako-runtime: the container process: hostname, user, env, cwd, umask,
# capabilities, no_new_privs, rlimits, oom score.

# A bundle whose cgroup is this test's own: test suites of several checkouts
# may run at once on one machine, and the default cgroup (hako/<id>) would be
# shared by their containers of the same name.
rt_bundle() {
	make_bundle "$@"
	jq_edit "$1/config.json" ".linux.cgroupsPath = \"/hako-test/${TEST_TMP##*/}-${1##*/}\""
}

test_runtime_hostname() {
	rt_bundle "$TEST_TMP/b" hostname
	jq_edit "$TEST_TMP/b/config.json" '.hostname = "box-one" | .domainname = "example.test"'
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_eq "$output" box-one
	assert_ne "$(hostname)" box-one "the host's name must not change"
}

test_runtime_user_env_cwd_umask() {
	rt_bundle "$TEST_TMP/b" sh -c 'hk-testhelper ids; hk-testhelper umask; pwd; echo "v=$MYVAR"'
	jq_edit "$TEST_TMP/b/config.json" '.process.user = {uid: 1000, gid: 1000, additionalGids: [2000, 3000], umask: 63}
		| .process.cwd = "/tmp" | .process.env += ["MYVAR=hello world"]'
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$output" "uid=1000 gid=1000 euid=1000 egid=1000 groups=2000,3000"
	assert_contains "$output" "0077"
	assert_contains "$output" "/tmp"
	assert_contains "$output" "v=hello world"
}

test_runtime_capabilities() {
	rt_bundle "$TEST_TMP/b" grep Cap /proc/self/status
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	# AUDIT_WRITE(29) KILL(5) NET_BIND_SERVICE(10) = 0x20000420
	assert_contains "$output" "CapEff:	0000000020000420"
	assert_contains "$output" "CapBnd:	0000000020000420"
	jq_edit "$TEST_TMP/b/config.json" '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	run hako_runtime run -b "$TEST_TMP/b" c2
	assert_contains "$output" "CapEff:	0000000020200420"
	jq_edit "$TEST_TMP/b/config.json" '.process.capabilities.bounding += ["CAP_NO_SUCH"]'
	run hako_runtime run -b "$TEST_TMP/b" c3
	assert_ne "$status" 0
	assert_contains "$output" "CAP_NO_SUCH"
}

test_runtime_no_new_privileges() {
	rt_bundle "$TEST_TMP/b" hk-testhelper nnp
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_eq "$output" 1
	jq_edit "$TEST_TMP/b/config.json" '.process.noNewPrivileges = false'
	run hako_runtime run -b "$TEST_TMP/b" c2
	assert_eq "$output" 0
}

test_runtime_rlimits() {
	local hard
	hard=$(ulimit -Hn)
	rt_bundle "$TEST_TMP/b" hk-testhelper rlimit RLIMIT_NOFILE
	# lower both: always allowed
	jq_edit "$TEST_TMP/b/config.json" '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 100, hard: 200}]'
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_eq "$output" "100 200"
	# a hard limit above ours: without CAP_SYS_RESOURCE it cannot be raised;
	# the soft limit fits under the current hard one, so it is set, with a warning
	if [ "$hard" = unlimited ]; then skip "hard RLIMIT_NOFILE is unlimited here"; fi
	jq_edit "$TEST_TMP/b/config.json" ".process.rlimits = [{type: \"RLIMIT_NOFILE\", soft: 64, hard: $((hard * 2))}]"
	run hako_runtime run -b "$TEST_TMP/b" c2
	if [[ $output == *"cannot raise hard limit"* ]]; then
		assert_status 0
		assert_contains "$output" "rlimit RLIMIT_NOFILE: cannot raise hard limit $hard -> $((hard * 2))"
		assert_contains "$output" "64 $hard"
		# the soft limit above the hard one we have: a clear error
		jq_edit "$TEST_TMP/b/config.json" ".process.rlimits = [{type: \"RLIMIT_NOFILE\", soft: $((hard * 2)), hard: $((hard * 2))}]"
		run hako_runtime run -b "$TEST_TMP/b" c3
		assert_ne "$status" 0
		assert_contains "$output" "rlimit RLIMIT_NOFILE: cannot raise hard limit $hard -> $((hard * 2)) (missing CAP_SYS_RESOURCE)"
		assert_no_file "$TEST_TMP/rtstate/c3"
	else
		# this host lets us raise it (CAP_SYS_RESOURCE)
		assert_status 0
		assert_eq "$output" "64 $((hard * 2))"
	fi
	jq_edit "$TEST_TMP/b/config.json" '.process.rlimits = [{type: "RLIMIT_BOGUS", soft: 1, hard: 1}]'
	run hako_runtime run -b "$TEST_TMP/b" c4
	assert_ne "$status" 0
	assert_contains "$output" 'config.json: process.rlimits[0].type: unknown rlimit "RLIMIT_BOGUS"'
}

test_runtime_oom_score_adj() {
	rt_bundle "$TEST_TMP/b" hk-testhelper oom
	jq_edit "$TEST_TMP/b/config.json" '.process.oomScoreAdj = 500'
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_eq "$output" 500
}

test_runtime_exec_additional_gids() {
	rt_bundle "$TEST_TMP/b" sleep 30
	jq_edit "$TEST_TMP/b/config.json" '.process.user = {"uid": 0, "gid": 0, "additionalGids": [10]}'
	defer hako_runtime delete --force c1
	hako_runtime run -d -b "$TEST_TMP/b" c1
	# the process's own additionalGids, then the listed ones (comma or repeated)
	run hako_runtime exec --additional-gids 20,30 -g 40 c1 id -G
	assert_status 0
	assert_eq "$output" "0 10 20 30 40"
	# with --user, the supplementary groups stay
	run hako_runtime exec -u 1000:1000 -g 50 c1 id -G
	assert_status 0
	assert_eq "$output" "1000 10 50"
	run hako_runtime exec c1 id -G
	assert_eq "$output" "0 10"
	run hako_runtime exec -g 7,x c1 id -G
	assert_status 1
	assert_contains "$output" "--additional-gids 7,x: 'x' is not a group id"
	run hako_runtime exec -g 4294967295 c1 id -G
	assert_status 1
	assert_contains "$output" "'4294967295' is not a group id"
}

# Sysctls are written in the container's /proc/sys: only namespaced ones,
# in a namespace of the container's own (config-linux.md "Sysctl").
test_runtime_sysctl_needs_its_namespace() {
	rt_bundle "$TEST_TMP/b" sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax /proc/sys/kernel/domainname'
	jq_edit "$TEST_TMP/b/config.json" '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "4096"} | .domainname = "dom.example"'
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_eq "$(echo $output)" "1 4096 dom.example"
	local cases=(
		'.linux.namespaces -= [{type: "network"}]@@net.ipv4.ip_forward: needs a network namespace'
		'.linux.namespaces -= [{type: "ipc"}]@@kernel.msgmax: needs a ipc namespace'
		'.linux.sysctl = {"fs.mqueue.msg_max": "11"} | .linux.namespaces -= [{type: "ipc"}]@@fs.mqueue.msg_max: needs a ipc namespace'
		'.linux.sysctl = {"kernel.hostname": "x"}@@kernel.hostname: not allowed, it conflicts with the hostname field'
		'.linux.sysctl = {"kernel.domainname": "other"}@@kernel.domainname: "other" conflicts with domainname "dom.example"'
		'.linux.sysctl = {"vm.swappiness": "10"}@@vm.swappiness: not in a separate kernel namespace'
		'.linux.namespaces -= [{type: "uts"}] | .hostname = null@@domainname: set without a uts namespace'
	)
	for c in "${cases[@]}"; do
		cp "$TEST_TMP/b/config.json" "$TEST_TMP/b/keep.json"
		jq_edit "$TEST_TMP/b/config.json" "${c%%@@*}"
		run hako_runtime run -b "$TEST_TMP/b" c2
		mv "$TEST_TMP/b/keep.json" "$TEST_TMP/b/config.json"
		assert_status 1
		assert_contains "$output" "${c#*@@}"
	done
	# the same domain in both places is no conflict
	jq_edit "$TEST_TMP/b/config.json" '.linux.sysctl = {"kernel.domainname": "dom.example"}'
	run hako_runtime run -b "$TEST_TMP/b" c3
	assert_status 0
}
