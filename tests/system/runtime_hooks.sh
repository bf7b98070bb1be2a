# hako-runtime: OCI hooks get the state on stdin; a failing hook fails
# create cleanly.

# A bundle whose cgroup is this test's own: test suites of several checkouts
# may run at once on one machine, and the default cgroup (hako/<id>) would be
# shared by their containers of the same name.
rt_bundle() {
	make_bundle "$@"
	jq_edit "$1/config.json" ".linux.cgroupsPath = \"/hako-test/${TEST_TMP##*/}-${1##*/}\""
}

write_hook() {
	cat >"$TEST_TMP/hook.sh" <<EOS
#!/bin/sh
cat > "$TEST_TMP/hook-\$1.json"
echo "\$HOOKVAR" > "$TEST_TMP/hook-\$1.env"
EOS
	chmod +x "$TEST_TMP/hook.sh"
}

test_runtime_hooks_run_with_state() {
	write_hook
	rt_bundle "$TEST_TMP/b" true
	local h="{path: \"$TEST_TMP/hook.sh\", env: [\"HOOKVAR=v1\", \"PATH=/usr/bin:/bin\"]}"
	jq_edit "$TEST_TMP/b/config.json" ".hooks = {
		prestart: [$h + {args: [\"hook.sh\", \"prestart\"]}],
		createRuntime: [$h + {args: [\"hook.sh\", \"createRuntime\"]}],
		createContainer: [$h + {args: [\"hook.sh\", \"createContainer\"]}],
		startContainer: [{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"cat > /dev/null; echo start-hook-in-container\"]}],
		poststart: [$h + {args: [\"hook.sh\", \"poststart\"]}],
		poststop: [$h + {args: [\"hook.sh\", \"poststop\"]}]}"
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$output" start-hook-in-container
	local k
	for k in prestart createRuntime createContainer poststart poststop; do
		assert_file "$TEST_TMP/hook-$k.json"
		assert_eq "$(jq -r .id "$TEST_TMP/hook-$k.json")" c1 "$k state id"
		assert_eq "$(jq -r .bundle "$TEST_TMP/hook-$k.json")" "$TEST_TMP/b" "$k state bundle"
		assert_eq "$(cat "$TEST_TMP/hook-$k.env")" v1 "$k env"
	done
	assert_eq "$(jq -r .status "$TEST_TMP/hook-createRuntime.json")" creating
	assert_eq "$(jq -r .status "$TEST_TMP/hook-poststart.json")" running
	assert_eq "$(jq -r .status "$TEST_TMP/hook-poststop.json")" stopped
	[ "$(jq -r .pid "$TEST_TMP/hook-createRuntime.json")" -gt 0 ] || fail "no pid in hook state"
}

test_runtime_failing_hook_fails_create() {
	rt_bundle "$TEST_TMP/b" true
	jq_edit "$TEST_TMP/b/config.json" '.hooks = {createRuntime: [{path: "/bin/false"}]}'
	run hako_runtime create -b "$TEST_TMP/b" c1
	assert_ne "$status" 0
	assert_contains "$output" "hook createRuntime[0] (/bin/false): exited with status 1"
	assert_no_file "$TEST_TMP/rtstate/c1"
	local d
	for d in /sys/fs/cgroup/*/hako-test/"${TEST_TMP##*/}-b" /sys/fs/cgroup/hako-test/"${TEST_TMP##*/}-b"; do
		assert_no_file "$d"
	done
}

test_runtime_hook_timeout() {
	rt_bundle "$TEST_TMP/b" true
	jq_edit "$TEST_TMP/b/config.json" '.hooks = {prestart: [{path: "/bin/sleep", args: ["sleep", "30"], timeout: 1}]}'
	run hako_runtime create -b "$TEST_TMP/b" c1
	assert_ne "$status" 0
	assert_contains "$output" "hook prestart[0] (/bin/sleep): timed out after 1s"
	assert_no_file "$TEST_TMP/rtstate/c1"
}
