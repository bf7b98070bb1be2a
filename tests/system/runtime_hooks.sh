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

# startContainer: in the container (its path resolves there, after
# pivot_root), before the program, with the process's own user and
# capabilities, as runc and crun run it (the spec says nothing about
# privileges); `start` returns once the program runs, so poststart sees it.
test_runtime_start_container_hook_in_container() {
	rt_bundle "$TEST_TMP/b" sh -c 'cat /tmp/hook.out; grep CapEff /proc/self/status'
	mkdir -p "$TEST_TMP/b/rootfs/tmp"
	# only in the rootfs: a path resolved on the host would not find it
	cat >"$TEST_TMP/b/rootfs/start-hook" <<'EOS'
#!/bin/sh
cat >/dev/null
{ echo "hook uid $(id -u)"; grep CapEff /proc/self/status; ls /marker-in-rootfs; } > /tmp/hook.out
EOS
	chmod 755 "$TEST_TMP/b/rootfs/start-hook"
	chmod 1777 "$TEST_TMP/b/rootfs/tmp"
	touch "$TEST_TMP/b/rootfs/marker-in-rootfs"
	jq_edit "$TEST_TMP/b/config.json" '.root.readonly = false | .process.user = {uid: 1000, gid: 1000} |
		.process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"], inheritable: ["CAP_KILL"], ambient: ["CAP_KILL"]} |
		.hooks = {startContainer: [{path: "/start-hook"}]}'
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$output" "hook uid 1000"
	assert_contains "$output" "/marker-in-rootfs"
	# the hook and the program: the same capability set, CAP_KILL only
	local caps
	caps=$(echo "$output" | grep -c 'CapEff:.*0000000000000020')
	assert_eq "$caps" 2 "hook and program capabilities: $output"
}

test_runtime_failing_start_container_hook_fails_start() {
	rt_bundle "$TEST_TMP/b" sh -c 'echo program-ran > /tmp/ran'
	mkdir -p "$TEST_TMP/b/rootfs/tmp"
	jq_edit "$TEST_TMP/b/config.json" ".hooks = {
		startContainer: [{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"exit 3\"]}],
		poststart: [{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"touch $TEST_TMP/poststart-ran\"]}]}"
	defer hako_runtime delete --force c1
	hako_runtime create -b "$TEST_TMP/b" c1
	run hako_runtime start c1
	assert_ne "$status" 0
	assert_contains "$output" 'start: container "c1": hook startContainer[0] (/bin/sh): exited with status 3'
	wait_for 5 sh -c "'$HAKO_BIN_DIR/hako-runtime' --root '$TEST_TMP/rtstate' state c1 | grep -q '\"stopped\"'"
	assert_no_file "$TEST_TMP/b/rootfs/tmp/ran"
	assert_no_file "$TEST_TMP/poststart-ran"
	# run: the same error, and nothing left behind
	run hako_runtime run -b "$TEST_TMP/b" c2
	assert_ne "$status" 0
	assert_contains "$output" "hook startContainer[0]"
	assert_no_file "$TEST_TMP/rtstate/c2"
}

test_runtime_poststart_after_program_runs() {
	rt_bundle "$TEST_TMP/b" sleep 30
	jq_edit "$TEST_TMP/b/config.json" ".hooks = {
		startContainer: [{path: \"/bin/sleep\", args: [\"sleep\", \"0.3\"]}],
		poststart: [{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"pid=\$(jq -r .pid); cat /proc/\$pid/comm > $TEST_TMP/comm\"], env: [\"PATH=/usr/bin:/bin\"]}]}"
	defer hako_runtime delete --force c1
	hako_runtime create -b "$TEST_TMP/b" c1
	hako_runtime start c1
	assert_eq "$(cat "$TEST_TMP/comm")" sleep "poststart ran before the program"
}

# A hook without "env" gets the runtime's environment (runc, crun); an
# empty "env" gives it none.
test_runtime_hook_env_inherited_when_unset() {
	rt_bundle "$TEST_TMP/b" true
	jq_edit "$TEST_TMP/b/config.json" ".hooks = {prestart: [
		{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"echo \\\"unset=\$HK_HOOK_VAR\\\" >> $TEST_TMP/env\"]},
		{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"echo \\\"empty=\$HK_HOOK_VAR\\\" >> $TEST_TMP/env\"], env: []}]}"
	HK_HOOK_VAR=from-runtime run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$(cat "$TEST_TMP/env")" "unset=from-runtime"
	assert_contains "$(cat "$TEST_TMP/env")" "empty="
	assert_not_contains "$(cat "$TEST_TMP/env")" "empty=from"

}

# crun's run.oci.hooks.stdout/stderr annotations: files the hooks' output
# is appended to.
test_runtime_hook_output_annotations() {
	rt_bundle "$TEST_TMP/b" true
	echo old >"$TEST_TMP/out"
	jq_edit "$TEST_TMP/b/config.json" ".hooks = {prestart: [{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"echo to-out; echo to-err >&2\"]}],
		poststop: [{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"echo stop-out\"]}]}
		| .annotations = {\"run.oci.hooks.stdout\": \"$TEST_TMP/out\", \"run.oci.hooks.stderr\": \"$TEST_TMP/err\"}"
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_not_contains "$output" to-out
	assert_not_contains "$output" to-err
	assert_eq "$(cat "$TEST_TMP/out")" $'old\nto-out\nstop-out'
	assert_eq "$(cat "$TEST_TMP/err")" to-err
	assert_eq "$(stat -c %a "$TEST_TMP/err")" 600
}

# A failing poststart hook: a warning, and the container is killed and
# deleted (crun); start itself succeeds.
test_runtime_failing_poststart_deletes_container() {
	rt_bundle "$TEST_TMP/b" sleep 100
	jq_edit "$TEST_TMP/b/config.json" ".hooks = {poststart: [{path: \"/bin/false\"}],
		poststop: [{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"touch $TEST_TMP/poststop-ran\"]}]}"
	defer hako_runtime delete --force c1
	hako_runtime create -b "$TEST_TMP/b" c1
	local pid
	pid=$(hako_runtime state c1 | jq -r .pid)
	run hako_runtime start c1
	assert_status 0
	assert_contains "$output" "warning: hook poststart[0] (/bin/false): exited with status 1"
	assert_contains "$output" "deleting it"
	assert_no_file "$TEST_TMP/rtstate/c1"
	# gone, or a zombie for whoever reaps orphans here
	[ ! -e "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != S ] ||
		fail "the container's init still runs"
	assert_file "$TEST_TMP/poststop-ran"
	run hako_runtime state c1
	assert_status 1
}
