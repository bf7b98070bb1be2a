# hako-runtime: seccomp filters load in the right order (with and without
# no_new_privs) and apply to exec too.

# A bundle whose cgroup is this test's own: test suites of several checkouts
# may run at once on one machine, and the default cgroup (hako/<id>) would be
# shared by their containers of the same name.
rt_bundle() {
	make_bundle "$@"
	jq_edit "$1/config.json" ".linux.cgroupsPath = \"/hako-test/${TEST_TMP##*/}-${1##*/}\""
}

seccomp_bundle() {
	rt_bundle "$TEST_TMP/b" "$@"
	jq_edit "$TEST_TMP/b/config.json" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["personality"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
}

test_runtime_seccomp_with_and_without_nnp() {
	seccomp_bundle hk-testhelper syscall personality
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$output" "errno 1"
	# without no_new_privs the filter is loaded while we still have CAP_SYS_ADMIN
	jq_edit "$TEST_TMP/b/config.json" '.process.noNewPrivileges = false'
	run hako_runtime run -b "$TEST_TMP/b" c2
	assert_status 0
	assert_contains "$output" "errno 1"
	# and other syscalls still work
	jq_edit "$TEST_TMP/b/config.json" '.process.args = ["hk-testhelper", "syscall", "getpid"]'
	run hako_runtime run -b "$TEST_TMP/b" c3
	assert_eq "$output" ok
}

test_runtime_seccomp_applies_to_exec() {
	seccomp_bundle sleep 30
	defer hako_runtime delete --force c1
	hako_runtime run -d -b "$TEST_TMP/b" c1
	run hako_runtime exec c1 hk-testhelper syscall personality
	assert_contains "$output" "errno 1"
}

test_runtime_seccomp_bad_profile() {
	seccomp_bundle true
	jq_edit "$TEST_TMP/b/config.json" '.linux.seccomp.defaultAction = "SCMP_ACT_BOGUS"'
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_ne "$status" 0
	assert_contains "$output" "linux.seccomp"
	assert_no_file "$TEST_TMP/rtstate/c1"
}

# The compiled filter is kept in <root>/.seccomp/ and reused only for the
# same profile text: a second run loads it (same effect), a damaged file is
# a miss (recompiled, still enforced), another profile gets its own file,
# and a profile with flags keeps the libseccomp path (no file).
test_runtime_seccomp_compiled_filter_cache() {
	local cache="$TEST_TMP/rtstate/.seccomp" f
	seccomp_bundle hk-testhelper syscall personality
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_contains "$output" "errno 1"
	assert_eq "$(ls "$cache" | wc -l)" 1 "one cached filter"
	f=$(ls "$cache"/*.bpf)
	run hako_runtime run -b "$TEST_TMP/b" c2
	assert_contains "$output" "errno 1"
	assert_eq "$(ls "$cache" | wc -l)" 1 "the same profile reuses its file"
	# damage the program: the stored profile text no longer matches the size
	truncate -s 100 "$f"
	run hako_runtime run -b "$TEST_TMP/b" c3
	assert_contains "$output" "errno 1"
	[ "$(stat -c %s "$f")" -gt 100 ] || fail "a damaged cache file was not rewritten"
	# another profile (EPERM -> EACCES) gets its own program, and it is enforced
	jq_edit "$TEST_TMP/b/config.json" '.linux.seccomp.syscalls[0].errnoRet = 13'
	run hako_runtime run -b "$TEST_TMP/b" c4
	assert_contains "$output" "errno 13"
	assert_eq "$(ls "$cache" | wc -l)" 2 "a second profile, a second file"
	# flags: compiled by libseccomp in the container, nothing stored
	jq_edit "$TEST_TMP/b/config.json" '.linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_LOG"] |
		.linux.seccomp.syscalls[0].errnoRet = 22'
	run hako_runtime run -b "$TEST_TMP/b" c5
	assert_contains "$output" "errno 22"
	assert_eq "$(ls "$cache" | wc -l)" 2 "a profile with flags is not cached"
}
