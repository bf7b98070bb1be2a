# Storage drivers: overlay and the vfs copy give the same root filesystem.

_tree() { (cd "$1" && find . -printf '%p %y %m %U %s %l\n' | sort); }

test_vfs_and_overlay_give_the_same_tree() {
	local mp_o mp_v
	hako image build-default -q >/dev/null
	mp_v=$(HAKO_STORAGE_DRIVER=vfs hako image mount busybox)
	_tree "$mp_v" >"$TEST_TMP/vfs.txt"
	HAKO_STORAGE_DRIVER=vfs hako image unmount busybox
	grep -q '^./bin/busybox f 755 0 ' "$TEST_TMP/vfs.txt" || fail "no busybox in the vfs tree"
	if ! grep -qw overlay /proc/filesystems && ! modprobe overlay 2>/dev/null; then
		skip "no overlayfs in this kernel"
	fi
	mp_o=$(HAKO_STORAGE_DRIVER=overlay hako image mount busybox)
	defer hako image unmount busybox
	grep -q " $mp_o overlay " /proc/mounts || fail "not an overlay mount: $mp_o"
	_tree "$mp_o" >"$TEST_TMP/overlay.txt"
	diff -u "$TEST_TMP/overlay.txt" "$TEST_TMP/vfs.txt" || fail "trees differ"
	hako image unmount busybox
	grep -q " $mp_o " /proc/mounts && fail "still mounted"
	[ ! -e "$mp_o" ] || fail "rootfs dir left"
}

test_unknown_driver_is_an_error() {
	hako image build-default -q >/dev/null
	run env HAKO_STORAGE_DRIVER=zfs "$HAKO_BIN" --root "$TEST_TMP/root" image mount busybox
	assert_status 125
	assert_contains "$output" "unknown storage driver 'zfs'"
	# The failed mount did not keep the image busy.
	run hako rmi busybox
	assert_status 0
}
