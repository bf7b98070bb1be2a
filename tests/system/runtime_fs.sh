# hako-runtime: the container's filesystem: read-only root, masked and
# read-only paths, mounts that cannot escape the rootfs, bad configs.

# A bundle whose cgroup is this test's own: test suites of several checkouts
# may run at once on one machine, and the default cgroup (hako/<id>) would be
# shared by their containers of the same name.
rt_bundle() {
	make_bundle "$@"
	jq_edit "$1/config.json" ".linux.cgroupsPath = \"/hako-test/${TEST_TMP##*/}-${1##*/}\""
}

test_runtime_readonly_root() {
	rt_bundle "$TEST_TMP/b" sh -c 'touch /x && echo wrote; touch /tmp/y && echo tmp-ok'
	jq_edit "$TEST_TMP/b/config.json" '.mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777"]}]'
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_not_contains "$output" wrote
	assert_contains "$output" "Read-only file system"
	assert_contains "$output" tmp-ok
	assert_no_file "$TEST_TMP/b/rootfs/x"
	jq_edit "$TEST_TMP/b/config.json" '.root.readonly = false'
	run hako_runtime run -b "$TEST_TMP/b" c2
	assert_contains "$output" wrote
}

test_runtime_masked_and_readonly_paths() {
	# /proc/kcore is masked by default too, but this kernel has none: use
	# files and a directory that exist here
	[ "$(head -c 10 /proc/timer_list | wc -c)" -gt 0 ] || skip "no /proc/timer_list to mask"
	rt_bundle "$TEST_TMP/b" sh -c 'echo "kcore=$(cat /proc/kcore 2>/dev/null | wc -c)"; echo "timer=$(wc -c < /proc/timer_list)"; echo "fw=$(ls /sys/firmware | wc -l)"; echo 1 > /proc/sys/kernel/ns_last_pid && echo sys-writable; touch /sys/firmware/x && echo fw-writable; true'
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$output" "kcore=0"
	assert_contains "$output" "timer=0"
	assert_contains "$output" "fw=0"
	assert_not_contains "$output" sys-writable
	assert_not_contains "$output" fw-writable
	# and without masking, the same files have content
	jq_edit "$TEST_TMP/b/config.json" '.linux.maskedPaths = [] | .linux.readonlyPaths = []'
	run hako_runtime run -b "$TEST_TMP/b" c2
	assert_not_contains "$output" "timer=0"
}

test_runtime_default_devices() {
	rt_bundle "$TEST_TMP/b" sh -c 'ls -l /dev/null /dev/zero /dev/urandom /dev/tty; readlink /dev/ptmx; readlink /dev/fd; echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | wc -c'
	jq_edit "$TEST_TMP/b/config.json" '.linux.devices = [{path: "/dev/hk-null", type: "c", major: 1, minor: 3, fileMode: 438}]'
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$output" "pts/ptmx"
	assert_contains "$output" "/proc/self/fd"
	assert_contains "$output" null-ok
	assert_contains "$output" "crw-rw-rw-"
}

# A rootfs whose etc is a symlink to a host path: a mount through it must
# land inside the rootfs, never on the host (CVE-2021-30465 class).
test_runtime_mount_escape_refused() {
	local outside="$TEST_TMP/outside-host-path"
	mkdir -p "$outside" "$TEST_TMP/src"
	echo secret >"$TEST_TMP/src/file"
	rt_bundle "$TEST_TMP/b" sh -c 'cat /etc/sub/file'
	rm -rf "$TEST_TMP/b/rootfs/etc"
	ln -s "$outside" "$TEST_TMP/b/rootfs/etc"
	jq_edit "$TEST_TMP/b/config.json" ".mounts += [{destination: \"/etc/sub\", type: \"bind\", source: \"$TEST_TMP/src\", options: [\"rbind\", \"ro\"]}]"
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$output" secret
	# the host path got nothing: no directory made, nothing mounted
	assert_no_file "$outside/sub"
	assert_not_contains "$(cat /proc/self/mountinfo)" "$outside"
	# what was made is inside the rootfs, where the link points when / is the rootfs
	assert_file "$TEST_TMP/b/rootfs/$outside/sub"
}

test_runtime_bind_mount_options() {
	mkdir -p "$TEST_TMP/data"
	rt_bundle "$TEST_TMP/b" sh -c 'touch /data/f && echo wrote; grep " /data " /proc/self/mountinfo'
	jq_edit "$TEST_TMP/b/config.json" ".mounts += [{destination: \"/data\", type: \"bind\", source: \"$TEST_TMP/data\", options: [\"bind\", \"ro\", \"nosuid\", \"nodev\", \"rprivate\"]}]"
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_not_contains "$output" wrote
	assert_contains "$output" "ro,nosuid,nodev"
}

# Every bad config fails create with an error naming the field, and leaves
# no state, no cgroup and no mount behind.
check_clean() {
	assert_no_file "$TEST_TMP/rtstate/$1"
	assert_not_contains "$(cat /proc/self/mountinfo)" "$TEST_TMP/b"
	local d
	for d in /sys/fs/cgroup/*/hako-test/"${TEST_TMP##*/}-b" /sys/fs/cgroup/hako-test/"${TEST_TMP##*/}-b"; do
		assert_no_file "$d"
	done
}

test_runtime_bad_config_errors() {
	mkdir -p "$TEST_TMP/empty"
	run hako_runtime create -b "$TEST_TMP/empty" c0
	assert_ne "$status" 0
	assert_contains "$output" "config.json"
	assert_contains "$output" "No such file or directory"
	check_clean c0

	rt_bundle "$TEST_TMP/b" true
	jq_edit "$TEST_TMP/b/config.json" '.process.args = "true"'
	run hako_runtime create -b "$TEST_TMP/b" c1
	assert_ne "$status" 0
	assert_contains "$output" "config.json: process.args: expected an array"
	check_clean c1

	jq_edit "$TEST_TMP/b/config.json" '.process.args = ["true"] | .mounts += [{destination: "/mnt", type: "bind", source: "/tmp", options: ["rbind", "bogusopt"]}]'
	run hako_runtime create -b "$TEST_TMP/b" c2
	assert_ne "$status" 0
	assert_contains "$output" 'mounts['
	assert_contains "$output" 'unknown mount option "bogusopt"'
	check_clean c2

	# a bad filesystem option fails in the kernel: the error names the mount
	jq_edit "$TEST_TMP/b/config.json" 'del(.mounts[-1]) | .mounts += [{destination: "/mnt", type: "tmpfs", source: "tmpfs", options: ["nosuid", "size=notasize"]}]'
	run hako_runtime create -b "$TEST_TMP/b" c3
	assert_ne "$status" 0
	assert_contains "$output" "mount tmpfs on /mnt (options size=notasize)"
	check_clean c3

	echo '{"ociVersion": "1.2.0", "root": {"path": "rootfs"' >"$TEST_TMP/b/config.json"
	run hako_runtime create -b "$TEST_TMP/b" c4
	assert_ne "$status" 0
	assert_contains "$output" "config.json"
	check_clean c4

	# an id that is a path
	rt_bundle "$TEST_TMP/b5" true
	run hako_runtime create -b "$TEST_TMP/b5" ../escape
	assert_ne "$status" 0
	assert_contains "$output" "invalid container id"
	assert_no_file "$TEST_TMP/escape"
}

test_runtime_duplicate_id() {
	rt_bundle "$TEST_TMP/b" sleep 10
	defer hako_runtime delete --force c1
	hako_runtime create -b "$TEST_TMP/b" c1
	run hako_runtime create -b "$TEST_TMP/b" c1
	assert_ne "$status" 0
	assert_contains "$output" 'container "c1" already exists'
	assert_eq "$(hako_runtime state c1 | jq -r .status)" created
}

test_runtime_no_pivot() {
	rt_bundle "$TEST_TMP/b" sh -c 'cat /etc/hostname; ls /'
	run hako_runtime run --no-pivot -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$output" hako
	assert_contains "$output" "bin"
}
