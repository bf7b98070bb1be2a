# Micro VMs: a rootfs (and, with images, an image) booted in QEMU's microvm
# machine under KVM or, on hosts without /dev/kvm, TCG.

require_vm() {
	require_cmd qemu-system-x86_64
	require_cmd mkfs.ext4
	[ -e "${HAKO_VM_KERNEL:-/var/cache/hako/kernel/vmlinuz}" ] ||
		skip "no guest kernel (scripts/fetch-kernel.sh)"
}

test_system_check() {
	run hako system check
	assert_status 0
	assert_contains "$output" "PASS  namespaces"
	assert_contains "$output" "cgroup layout"
	assert_contains "$output" "QEMU"
	if [ ! -e /dev/kvm ]; then
		assert_contains "$output" "WARN  /dev/kvm"
		assert_contains "$output" "hint: VMs fall back to QEMU's TCG"
	elif [ -e /sys/module/kvm_intel ] || [ -e /sys/module/kvm_amd ]; then
		assert_contains "$output" "PASS  /dev/kvm"
	else
		# a /dev/kvm without VT-x/AMD-V (PVM): TCG, with the reason
		assert_contains "$output" "WARN  /dev/kvm"
		assert_contains "$output" "not VT-x/AMD-V"
		assert_contains "$output" "VMs: QEMU TCG emulation"
	fi
}

test_vm_run_rootfs_echo_and_status() {
	require_vm
	run hako vm run --rootfs "$TEST_ROOTFS" echo hi
	assert_status 0
	assert_eq "$(echo "$output" | grep -v 'TCG emulation')" "hi"
	# without a usable KVM: TCG, said once
	if ! kvm_usable; then
		assert_eq "$(echo "$output" | grep -c 'TCG')" "1"
	fi
	run hako vm run --rootfs "$TEST_ROOTFS" -e FOO=bar -w /etc sh -c 'echo "$FOO $(pwd)"; exit 3'
	assert_status 3
	assert_contains "$output" "bar /etc"
	# nothing left behind in the run root
	assert_eq "$(ls "$TEST_TMP/run/vm" 2>/dev/null)" ""
}

test_vm_run_kvm() {
	require_vm
	kvm_usable || skip "KVM is not usable here ($(hako system check | grep '/dev/kvm' | sed 's/  */ /g')); the TCG tests cover the rest"
	run hako vm run --rootfs "$TEST_ROOTFS" echo kvm
	assert_status 0
	assert_not_contains "$output" "TCG"
}

test_vm_run_missing_command_is_127() {
	require_vm
	run hako vm run --rootfs "$TEST_ROOTFS" /no/such/program
	assert_status 127
	assert_contains "$output" "/no/such/program"
}

test_vm_run_bad_kernel() {
	run hako vm run --kernel "$TEST_TMP/nope" --rootfs "$TEST_ROOTFS" true
	assert_status 125
	assert_contains "$output" "guest kernel $TEST_TMP/nope: not found"
	assert_eq "$(ls "$TEST_TMP/run/vm" 2>/dev/null)" ""
}

test_vm_run_image_busybox() {
	require_vm
	hako image build-default -q >/dev/null
	run hako run --vm --rm busybox echo hi
	assert_status 0
	assert_eq "$(echo "$output" | grep -v 'TCG emulation')" "hi"
	run hako run --vm --rm busybox sh -c 'exit 3'
	assert_status 3
	run hako run --vm --rm -p 8080:80 busybox true
	assert_status 125
	assert_contains "$output" "option '-p' is not supported for micro VMs"
	# the image's disk is cached, the assembled rootfs is gone
	assert_eq "$(ls "$TEST_TMP/root/vm/rootfs" | wc -l)" "1"
	assert_eq "$(ls "$TEST_TMP/root/rootfs" 2>/dev/null)" ""
	run hako vm run --rm no-such-image true
	assert_status 125
	assert_contains "$output" "not found"
}

# stdout and stderr apart and byte for byte (virtio ports, not the serial
# console: no \r\n, no lost bytes), piped stdin exact from its first byte,
# no stdin without -i.
test_vm_run_stdio_exact() {
	require_vm
	head -c 200000 /dev/urandom >"$TEST_TMP/in.bin"
	printf 'tail\r\n\000end' >"$TEST_TMP/tail.bin"
	hako vm run --rootfs "$TEST_ROOTFS" -i sh -c 'cat; echo to-stderr >&2; printf "tail\r\n\000end"; exit 5' \
		<"$TEST_TMP/in.bin" >"$TEST_TMP/out" 2>"$TEST_TMP/err" && fail "status 0, want 5"
	cat "$TEST_TMP/in.bin" "$TEST_TMP/tail.bin" >"$TEST_TMP/want"
	cmp "$TEST_TMP/out" "$TEST_TMP/want" || fail "stdout differs: $(wc -c <"$TEST_TMP/out") bytes, want $(wc -c <"$TEST_TMP/want")"
	assert_eq "$(grep -v 'TCG emulation' "$TEST_TMP/err")" "to-stderr"
	# the first bytes of a short input (they were lost on the console)
	run hako vm run --rootfs "$TEST_ROOTFS" -i sh -c 'head -c 5 | od -An -c' <<<"12345678"
	assert_contains "$output" "1   2   3   4   5"
	# without -i the command's stdin is empty
	run hako vm run --rootfs "$TEST_ROOTFS" sh -c 'wc -c' </dev/zero
	assert_status 0
	assert_eq "$(echo "$output" | grep -v 'TCG emulation' | tr -d ' ')" "0"
}
