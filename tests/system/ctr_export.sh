# hako export: a tar of a container's filesystem; import gives it back.

export_setup() {
	hako image build-default >/dev/null
	defer export_cleanup
}

export_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
}

test_export_running_and_stopped_then_import() {
	export_setup
	hako run -d --name live busybox sh -c 'echo data > /written; mkdir -p /a/b; ln -s /written /a/b/link; rm /etc/group; sleep 100' >/dev/null
	wait_for 10 hako exec live test -e /a/b/link
	hako export live >"$TEST_TMP/live.tar"
	list=$(tar -tf "$TEST_TMP/live.tar")
	assert_contains "$list" "written"
	assert_contains "$list" "a/b/link"
	assert_contains "$list" "bin/busybox"
	assert_not_contains "$list" "etc/group" "a deleted file is not exported"
	[[ $(tar -xOf "$TEST_TMP/live.tar" written) == data ]] || fail "content of /written"
	tar -tvf "$TEST_TMP/live.tar" a/b/link | grep -q -- '-> /written' || fail "symlink not kept"

	# stopped, its rootfs unmounted: mounted for the export, unmounted after
	hako stop -t 1 live >/dev/null
	umount "$TEST_TMP"/root/rootfs/*/merged 2>/dev/null || true
	hako export -o "$TEST_TMP/stopped.tar" live
	assert_contains "$(tar -tf "$TEST_TMP/stopped.tar")" "written"
	if grep -q "$TEST_TMP/root/rootfs" /proc/self/mountinfo; then
		fail "export left the rootfs mounted"
	fi
	ls "$TEST_TMP"/stopped.tar.tmp-* 2>/dev/null && fail "temp file left"

	# import gives a working image
	hako import "$TEST_TMP/stopped.tar" reimported:v1 >/dev/null
	run hako run --rm reimported:v1 cat /written
	assert_status 0
	assert_eq "$output" "data"
	run hako run --rm reimported:v1 readlink /a/b/link
	assert_eq "$output" "/written"
}

test_export_errors() {
	export_setup
	run hako export nosuch
	assert_status 1
	assert_contains "$output" "no such container: nosuch"
	run hako export -o "$TEST_TMP/out.tar" nosuch
	assert_status 1
	assert_no_file "$TEST_TMP/out.tar"
	ls "$TEST_TMP"/out.tar.tmp-* 2>/dev/null && fail "temp file left"
	run hako export
	assert_status 125
	run hako export --help
	assert_status 0
	assert_contains "$output" "--output"
	hako create --name c1 busybox true >/dev/null
	if command -v script >/dev/null; then
		# a terminal on stdout is refused without -o
		run script -qec "$HAKO_BIN --root $TEST_TMP/root --runroot $TEST_TMP/run export c1" /dev/null
		assert_contains "$output" "refusing"
	else
		echo "# no script(1): terminal refusal not checked" >&3
	fi
}
