# Managed VMs (hako vm ...): Debian's cloud kernel with hako's initramfs on a
# q35 machine, under KVM when /dev/kvm is usable and TCG otherwise.

require_vm() {
	require_cmd qemu-system-x86_64
	require_cmd qemu-img
	[ -e "${HAKO_VM_KERNEL:-/var/cache/hako/kernel/vmlinuz}" ] ||
		skip "no guest kernel (scripts/fetch-kernel.sh)"
	KERNEL=$(hako vm kernel)
	INITRD=$(hako vm kernel --initramfs)
}

vm_field() { hako vm inspect "$1" | jq -r ".[0].$2"; }
vm_state_is() { [ "$(vm_field "$1" state)" = "$2" ]; }
console_has() { grep -q -- "$2" "$TEST_TMP/root/vm/vms/$1/console.log"; }

# Kill the QEMU and monitor of a VM by their recorded PIDs (test cleanup).
vm_cleanup() {
	local m q
	m=$(vm_field "$1" monitor_pid 2>/dev/null) q=$(vm_field "$1" qemu_pid 2>/dev/null)
	[ "${q:-0}" != 0 ] && kill -9 "$q"
	[ "${m:-0}" != 0 ] && kill -9 "$m"
	return 0
}

# A --runroot deeper than sun_path (108 bytes) allows: the monitor binds
# console.sock and QEMU's QMP socket through an O_PATH fd of the run dir
# (QEMU gets the bound QMP socket as fd 3), clients connect the same way.
test_vm_long_runroot() {
	require_vm
	local run
	run="$TEST_TMP/$(printf 'r%.0s' {1..100})"
	hako() { HAKO_DEFAULT_NETWORK=none "$HAKO_BIN" --root "$TEST_TMP/root" --runroot "$run" "$@"; }
	hako vm create lr --memory 256M --disk 16M --kernel "$KERNEL" --initrd "$INITRD" \
		--append "console=ttyS0 quiet" >/dev/null
	defer vm_cleanup lr
	hako vm start lr
	[ -S "$run/vm/vms/lr/qmp.sock" ] || fail "no QMP socket in $run/vm/vms/lr"
	assert_eq "$(vm_field lr state)" "running"
	hako vm suspend lr
	assert_eq "$(vm_field lr state)" "paused"
	hako vm resume lr
	wait_for 180 console_has lr '/ # '
	(echo 'echo long-$((6*7))'; sleep 1) | hako vm console lr >/dev/null
	wait_for 60 console_has lr long-42
	hako vm destroy lr
	assert_eq "$(vm_field lr state)" "shut off"
}

test_vm_lifecycle() {
	require_vm
	hako vm create lc --memory 256M --disk 16M --kernel "$KERNEL" --initrd "$INITRD" \
		--append "console=ttyS0 quiet" >/dev/null
	defer vm_cleanup lc
	run hako vm list --all
	assert_contains "$output" "lc"
	assert_contains "$output" "shut off"
	run hako vm list
	assert_not_contains "$output" "lc "

	hako vm start lc
	vm_state_is lc running
	run hako vm start lc
	assert_status 125
	assert_contains "$output" "already running"
	# the guest's shell prompt on the serial console
	wait_for 180 console_has lc '/ # '

	hako vm suspend lc
	assert_eq "$(vm_field lc state)" "paused"
	run hako vm list
	assert_contains "$output" "paused"
	hako vm resume lc
	assert_eq "$(vm_field lc state)" "running"

	# the console: a command typed in, its output in the console log
	(echo 'echo hello-$((6*7))'; sleep 1) | hako vm console lc >/dev/null
	wait_for 60 console_has lc hello-42

	run hako vm set lc --vcpus 2
	assert_status 125
	assert_contains "$output" "shut it off first"

	# ACPI power button -> hako-vminit powers off -> QEMU ends
	hako vm shutdown lc --timeout 120
	assert_eq "$(vm_field lc state)" "shut off"
	assert_eq "$(vm_field lc qemu_pid)" "0"

	# hard power off
	hako vm start lc
	local q
	q=$(vm_field lc qemu_pid)
	hako vm destroy lc
	assert_eq "$(vm_field lc state)" "shut off"
	[ ! -e /proc/$q ] || fail "QEMU $q still runs after destroy"

	# QEMU killed behind hako's back: the monitor records a crash
	hako vm start lc
	q=$(vm_field lc qemu_pid)
	kill -9 "$q"
	wait_for 30 vm_state_is lc crashed
	assert_contains "$(vm_field lc reason)" "signal 9"
	run hako vm list --all
	assert_contains "$output" "crashed"

	hako vm set lc --vcpus 2 --memory 300M
	assert_eq "$(vm_field lc vcpus)" "2"
	hako vm rm --disks lc
	assert_no_file "$TEST_TMP/root/vm/vms/lc"
	assert_eq "$(ls "$TEST_TMP/run/vm/vms" 2>/dev/null)" ""
}

test_vm_disk_persists_across_boots() {
	require_vm
	# First boot writes a marker to the qcow2 disk, the second finds it.
	# The cloud-init seed is a second disk (vdb, vvfat labelled cidata).
	local script='if dd if=/dev/vda bs=12 count=1 2>/dev/null | grep -q hako-marker; then echo found-marker; else echo hako-marker | dd of=/dev/vda 2>/dev/null && sync && echo wrote-marker; fi; echo seed-$(cat /sys/block/vdb/size)'
	printf '#cloud-config\nhostname: pd\n' >"$TEST_TMP/user-data"
	hako vm create pd --memory 256M --disk 8M --kernel "$KERNEL" --initrd "$INITRD" \
		--append "console=ttyS0 quiet" --init-script "$script" \
		--cloud-init "$TEST_TMP/user-data" >/dev/null
	defer vm_cleanup pd
	hako vm start pd
	wait_for 180 vm_state_is pd "shut off"
	console_has pd wrote-marker || fail "first boot: $(cat "$TEST_TMP/root/vm/vms/pd/console.log")"
	console_has pd seed-1032192 || fail "no cloud-init seed disk"
	hako vm start pd
	wait_for 180 vm_state_is pd "shut off"
	console_has pd found-marker || fail "second boot: $(cat "$TEST_TMP/root/vm/vms/pd/console.log")"
	run qemu-img info "$(vm_field pd disk)"
	assert_contains "$output" "file format: qcow2"
}

# --init-script without --append: hako's initramfs gets console=ttyS0, so
# the script's output is on the console (it printed nothing before).
test_vm_init_script_without_append() {
	require_vm
	hako vm create na --memory 256M --kernel "$KERNEL" --initrd "$INITRD" \
		--init-script 'echo script-ran-$((6*7))' >/dev/null
	defer vm_cleanup na
	hako vm start na
	wait_for 180 vm_state_is na "shut off"
	console_has na script-ran-42 || fail "no output: $(cat "$TEST_TMP/root/vm/vms/na/console.log")"
	hako vm rm na
}

test_vm_bad_input_leaves_nothing() {
	require_vm
	run hako vm create bad --kernel "$TEST_TMP/no-kernel" --disk 8M
	assert_status 125
	assert_contains "$output" "--kernel $TEST_TMP/no-kernel: No such file"
	run hako vm create bad --kernel "$KERNEL" --disk 1K
	assert_status 125
	assert_contains "$output" "too small"
	run hako vm create bad --kernel "$KERNEL" --disk 12Q
	assert_status 125
	assert_contains "$output" "unknown unit"
	run hako vm create bad --kernel "$KERNEL" --network wifi
	assert_status 125
	assert_contains "$output" "--network wifi"
	run hako vm list --all --quiet
	assert_eq "$output" ""
	assert_no_file "$TEST_TMP/root/vm/vms/bad"

	hako vm create taken --kernel "$KERNEL" --disk 8M >/dev/null
	run hako vm create taken --kernel "$KERNEL" --disk 8M
	assert_status 125
	assert_contains "$output" "'taken' is already in use"
	assert_eq "$(hako vm list --all --quiet)" "taken"

	# an imported disk is a backing file; a smaller size is refused
	qemu-img create -q -f qcow2 "$TEST_TMP/base.qcow2" 32M
	run hako vm create imp --import "$TEST_TMP/base.qcow2" --disk 16M --kernel "$KERNEL"
	assert_status 125
	assert_contains "$output" "smaller than the imported disk"
	assert_no_file "$TEST_TMP/root/vm/vms/imp"
	hako vm create imp --import "$TEST_TMP/base.qcow2" --disk 64M --kernel "$KERNEL" >/dev/null
	run qemu-img info "$(vm_field imp disk)"
	assert_contains "$output" "backing file: $TEST_TMP/base.qcow2"
	assert_eq "$(vm_field imp disk_size)" "67108864"

	# a file that is no kernel: QEMU's own error, nothing left running
	echo "not a kernel" >"$TEST_TMP/junk"
	hako vm create junk --kernel "$TEST_TMP/junk" --memory 128M >/dev/null
	run hako vm start junk
	assert_status 125
	assert_contains "$output" "QEMU failed to start"
	assert_eq "$(vm_field junk state)" "shut off"
	assert_eq "$(vm_field junk monitor_pid)" "0"
	assert_eq "$(ls "$TEST_TMP/run/vm/vms" 2>/dev/null)" ""
	run hako vm shutdown junk
	assert_status 125
	assert_contains "$output" "not running"
	run hako vm inspect nosuch
	assert_status 125
	assert_contains "$output" "vm 'nosuch' not found"
}

test_vm_kvm_accel() {
	require_vm
	kvm_usable || skip "KVM is not usable here ($(hako system check | grep -A0 '/dev/kvm' | sed 's/  */ /g')); the TCG tests above cover the VM paths"
	hako vm create k --memory 256M --kernel "$KERNEL" --initrd "$INITRD" \
		--append "console=ttyS0 quiet" --init-script 'echo kvm-ok' >/dev/null
	defer vm_cleanup k
	run hako vm start k
	assert_not_contains "$output" "TCG"
	wait_for 60 vm_state_is k "shut off"
	console_has k kvm-ok
}
