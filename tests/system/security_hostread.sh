# Attacks on what hako reads and writes on the host in files a container or an
# image controls (issue 20, items 5 and 6): `hako cp` onto and out of device
# nodes and FIFOs, a file swapped for /dev/zero while it is copied, and a
# hostile /etc/passwd or /etc/group for `run -u` and `exec -u`.  Every hako
# command runs under `timeout` (a hang is a failure, not a stuck suite) and
# with a bounded address space (a runaway read is stopped, then reported).

hr_setup() {
	hako image build-default >/dev/null
	defer hr_cleanup
}

hr_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
}

# bounded ARGS...: hako ARGS under a 60 s timeout and (except under ASan,
# which reserves terabytes of address space) 1 GiB of it, and at most 64 MiB
# per written file; sets $status, $output and $maxrss_kb (the peak resident
# memory of hako, as getrusage reports it).
bounded() {
	local lim=1048576
	[[ $HAKO_BIN == */asan/* ]] && lim=unlimited
	local timecmd=(/usr/bin/time -f "maxrss=%M" -o "$TEST_TMP/rss")
	[ -x /usr/bin/time ] || timecmd=() # GNU time missing: memory not measured
	rm -f "$TEST_TMP/rss"
	run env HAKO_DEFAULT_NETWORK=none bash -c \
		'ulimit -v "$1" -f 131072; shift; exec "$@"' \
		_ "$lim" "${timecmd[@]}" timeout -s KILL 60 \
		"$HAKO_BIN" --root "$TEST_TMP/root" --runroot "$TEST_TMP/run" "$@"
	maxrss_kb=$(sed -n 's/^maxrss=//p' "$TEST_TMP/rss" 2>/dev/null)
	[ -n "$maxrss_kb" ] || maxrss_kb=0
}

# evil_image TAG SCRIPT: busybox after SCRIPT ran in it, committed as evil:TAG.
evil_image() {
	hako run --name "mk-$1" busybox sh -c "$2" >/dev/null
	hako commit "mk-$1" "evil:$1" >/dev/null
	hako rm "mk-$1" >/dev/null
}

# nothing_left: a refused run left no container, rootfs or mount behind.
nothing_left() {
	assert_eq "$(hako ps -aq)" "" "no container left"
	assert_eq "$(find "$TEST_TMP/root/rootfs" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)" "" "no rootfs left"
	assert_not_contains "$(cat /proc/self/mountinfo)" "$TEST_TMP/root/rootfs" "no mount left"
}

# A container ("tgt") with a block device node of a loop device over a test
# file, a /dev/null node and a FIFO, which it cannot open itself.
# hako cp must replace them with regular files, never write into them.
test_cp_into_device_nodes_and_fifos_replaces_them() {
	require_cmd losetup
	hr_setup
	truncate -s 1M "$TEST_TMP/disk"
	printf 'ORIGINAL-DISK-CONTENT' | dd of="$TEST_TMP/disk" conv=notrunc status=none
	loop=$(losetup -f --show "$TEST_TMP/disk" 2>/dev/null) || skip "no loop device"
	defer "losetup -d $loop"
	maj=$((0x$(stat -c %t "$loop")))
	min=$((0x$(stat -c %T "$loop")))
	hako run -d --name tgt busybox sh -c "mknod /tmp/blk b $maj $min && mknod /tmp/null c 1 3 &&
		mkfifo /tmp/fifo && mkdir /tmp/d && mkfifo /tmp/d/f && touch /ready; sleep 1000" >/dev/null
	wait_for 10 hako exec tgt test -f /ready
	printf 'payload' >"$TEST_TMP/p"

	bounded cp "$TEST_TMP/p" tgt:/tmp/blk
	assert_status 0
	assert_eq "$(head -c 21 "$loop")" "ORIGINAL-DISK-CONTENT" "the host's block device is untouched"
	assert_eq "$(hako exec tgt stat -c %F /tmp/blk)" "regular file"
	assert_eq "$(hako exec tgt cat /tmp/blk)" "payload"

	bounded cp "$TEST_TMP/p" tgt:/tmp/fifo
	assert_status 0
	assert_eq "$(hako exec tgt stat -c %F /tmp/fifo)" "regular file" "the FIFO is replaced, not written"
	assert_eq "$(hako exec tgt cat /tmp/fifo)" "payload"

	bounded cp "$TEST_TMP/p" tgt:/tmp/null
	assert_status 0
	assert_eq "$(hako exec tgt cat /tmp/null)" "payload" "the node is replaced, not written"

	# inside a directory copied in too
	mkdir "$TEST_TMP/d"
	cp "$TEST_TMP/p" "$TEST_TMP/d/f"
	bounded cp "$TEST_TMP/d" tgt:/tmp/
	assert_status 0
	assert_eq "$(hako exec tgt cat /tmp/d/f)" "payload"
}

# Copying out a device node or a FIFO never opens it: a FIFO is made as a
# FIFO (as docker cp does), a device node is refused with a clear message.
test_cp_out_of_special_files_opens_none() {
	hr_setup
	hako run -d --name src busybox sh -c 'mknod /tmp/zero c 1 5 && mkfifo /tmp/fifo &&
		mkdir /tmp/d && echo ok > /tmp/d/a && mknod /tmp/d/zero c 1 5 && mkfifo /tmp/d/fifo &&
		touch /ready; sleep 1000' >/dev/null
	wait_for 10 hako exec src test -f /ready
	out=$TEST_TMP/out
	mkdir "$out"
	bounded cp src:/tmp/zero "$out/zero"
	assert_status 125
	assert_contains "$output" "character device"
	assert_no_file "$out/zero"
	bounded cp src:/tmp/fifo "$out/fifo"
	assert_status 0
	[ -p "$out/fifo" ] || fail "a FIFO is copied as a FIFO"
	bounded cp src:/tmp/d "$out/"
	assert_status 0
	assert_eq "$(cat "$out/d/a")" ok
	[ -p "$out/d/fifo" ] || fail "a FIFO in a directory is copied as a FIFO"
	assert_no_file "$out/d/zero"
}

# swapper: a static program that exchanges two paths as fast as it can
# (renameat2 RENAME_EXCHANGE), built into $TEST_TMP/bin for a bind mount.
build_swapper() {
	require_cmd gcc
	mkdir -p "$TEST_TMP/bin"
	cat >"$TEST_TMP/swap.c" <<'EOC'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	for (;;)
		if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) < 0)
			return perror("renameat2"), 1;
}
EOC
	gcc -O2 -static -o "$TEST_TMP/bin/swap" "$TEST_TMP/swap.c" 2>/dev/null ||
		skip "gcc cannot build static programs"
}

# The container swaps a small file with a /dev/zero node and back, as fast
# as it can, while the host copies it out: what is written on the host is
# never more than the file held (6 bytes), whatever the copy found.
test_cp_out_of_a_file_swapped_for_dev_zero_is_bounded() {
	hr_setup
	build_swapper
	hako run -d --name race -v "$TEST_TMP/bin:/hk:ro" busybox sh -c '
		echo 12345 > /tmp/r && mknod /tmp/z c 1 5 && touch /ready && exec /hk/swap /tmp/r /tmp/z' >/dev/null
	wait_for 10 hako exec race test -f /ready
	out=$TEST_TMP/out
	mkdir "$out"
	ok=0
	for i in $(seq 1 100); do
		bounded cp race:/tmp/r "$out/o$i"
		if [ "$status" = 0 ]; then
			[ -f "$out/o$i" ] && [ ! -L "$out/o$i" ] || fail "copy $i: not a regular file"
			size=$(stat -c %s "$out/o$i")
			((size <= 6)) || fail "copy $i wrote $size bytes of a 6-byte file ($output)"
			ok=$((ok + 1))
		else
			assert_eq "$status" 125 "copy $i: $output"
			assert_contains "$output" "character device"
		fi
		rm -f "$out/o$i"
	done
	echo "$ok of 100 copies found the file"
	assert_eq "$(hako inspect -f '{{.State.Status}}' race)" running "the swapper ran all along"
}

# /etc/passwd of the image a FIFO, a /dev/zero node, too large, or a link
# to the host or /proc: `run -u NAME` ends with a clear error and exit 125,
# with bounded memory and nothing left behind.
test_run_user_with_a_hostile_passwd_fails_cleanly() {
	hr_setup
	echo 'hostonly:x:4242:4242::/:/bin/sh' >"$TEST_TMP/hostpasswd"
	evil_image fifo 'rm /etc/passwd && mkfifo /etc/passwd'
	evil_image zero 'rm /etc/passwd && mknod /etc/passwd c 1 5'
	evil_image gfifo 'rm /etc/group && mkfifo /etc/group'
	evil_image big 'dd if=/dev/zero of=/etc/passwd bs=1M count=5 2>/dev/null'
	evil_image hostlink "rm /etc/passwd && ln -s $TEST_TMP/hostpasswd /etc/passwd"
	evil_image proclink 'rm /etc/passwd && ln -s /proc/self/environ /etc/passwd'

	bounded run --rm -u daemon evil:fifo true
	assert_status 125
	assert_contains "$output" "/etc/passwd"
	assert_contains "$output" "FIFO"
	nothing_left

	bounded run --rm -u daemon evil:zero true
	assert_status 125
	assert_contains "$output" "/etc/passwd"
	assert_contains "$output" "character device"
	((maxrss_kb < 100000)) || fail "hako grew to $maxrss_kb KiB"
	nothing_left

	bounded run --rm -u daemon evil:gfifo true
	assert_status 125
	assert_contains "$output" "/etc/group"
	assert_contains "$output" "FIFO"
	nothing_left

	bounded run --rm -u daemon evil:big true
	assert_status 125
	assert_contains "$output" "/etc/passwd"
	assert_contains "$output" "larger than"
	((maxrss_kb < 100000)) || fail "hako grew to $maxrss_kb KiB"
	nothing_left

	# links resolve inside the rootfs: the host's file is never read
	bounded run --rm -u hostonly evil:hostlink true
	assert_status 125
	assert_contains "$output" "unable to find user hostonly"
	nothing_left
	bounded run --rm -u daemon evil:proclink true
	assert_status 125
	assert_contains "$output" "unable to find user daemon"
	nothing_left

	# a numeric user is looked up too (for its group): the same error
	bounded run --rm -u 1234 evil:fifo true
	assert_status 125
	assert_contains "$output" "FIFO"
	bounded run --rm -u daemon busybox id -u
	assert_status 0
	assert_eq "$output" 1
}

# A running container makes its /etc/passwd or /etc/group hostile before
# `exec -u NAME`: no hang, no runaway memory, a clear error, exit 125, and
# the container is untouched.
test_exec_user_with_a_hostile_passwd_fails_cleanly() {
	hr_setup
	hako run -d --name ex busybox sh -c 'touch /ready; sleep 1000' >/dev/null
	wait_for 10 hako exec ex test -f /ready
	bounded exec -u daemon ex id -u
	assert_status 0
	assert_eq "$output" 1

	hako exec ex sh -c 'cp /etc/passwd /etc/passwd.good && rm /etc/passwd && mkfifo /etc/passwd'
	bounded exec -u daemon ex id -u
	assert_status 125
	assert_contains "$output" "/etc/passwd"
	assert_contains "$output" "FIFO"

	hako exec ex sh -c 'rm /etc/passwd && mknod /etc/passwd c 1 5'
	bounded exec -u daemon ex id -u
	assert_status 125
	assert_contains "$output" "character device"
	((maxrss_kb < 100000)) || fail "hako grew to $maxrss_kb KiB"

	# sparse: 8 GiB of zeros without a newline, cheap to make
	hako exec ex sh -c 'rm /etc/passwd && truncate -s 8G /etc/passwd'
	bounded exec -u daemon ex id -u
	assert_status 125
	assert_contains "$output" "larger than"
	((maxrss_kb < 100000)) || fail "hako grew to $maxrss_kb KiB"

	hako exec ex sh -c 'rm /etc/passwd && cp /etc/passwd.good /etc/passwd && rm /etc/group && mkfifo /etc/group'
	bounded exec -u daemon ex id -u
	assert_status 125
	assert_contains "$output" "/etc/group"
	assert_contains "$output" "FIFO"

	assert_eq "$(hako inspect -f '{{.State.Status}}' ex)" running
	hako exec ex sh -c 'rm /etc/group && echo daemon:x:1: > /etc/group'
	bounded exec -u daemon ex id -u
	assert_status 0
	assert_eq "$output" 1
}

# export, diff and commit read the container's files on the host: a FIFO,
# a device node and a file swapped for /dev/zero are archived as entries,
# never opened for data.
test_export_and_commit_never_open_special_files() {
	hr_setup
	build_swapper
	hako run -d --name exp -v "$TEST_TMP/bin:/hk:ro" busybox sh -c 'mkfifo /tmp/fifo &&
		mknod /tmp/zero c 1 5 && echo data > /tmp/r && mknod /tmp/z c 1 5 && touch /ready &&
		exec /hk/swap /tmp/r /tmp/z' >/dev/null
	wait_for 10 hako exec exp test -f /ready
	for i in 1 2 3 4 5 6 7 8 9 10; do
		bounded export -o "$TEST_TMP/exp.tar" exp
		assert_status 0
		listing=$(tar -tvf "$TEST_TMP/exp.tar" tmp)
		assert_contains "$listing" "tmp/fifo"
		assert_contains "$listing" "tmp/zero"
		for f in tmp/r tmp/z; do
			size=$(tar -tvf "$TEST_TMP/exp.tar" "$f" | awk '{print $3}')
			((size <= 5)) || fail "$f archived with $size bytes"
		done
	done
	bounded diff exp
	assert_status 0
	assert_contains "$output" "/tmp/fifo"
	bounded commit exp evil:snap
	assert_status 0
	assert_eq "$(hako inspect -f '{{.State.Status}}' exp)" running
}

# An OCI layout directory given to `hako load` is outside input too: a FIFO
# or a device node in it is not opened (it blocked on main): the layout is
# refused as none.
test_load_of_a_layout_with_a_fifo_refuses_it() {
	mkdir -p "$TEST_TMP/layout/blobs/sha256"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$TEST_TMP/layout/oci-layout"
	mkfifo "$TEST_TMP/layout/index.json"
	bounded load -i "$TEST_TMP/layout"
	assert_status 125
	assert_contains "$output" "$TEST_TMP/layout"
	rm "$TEST_TMP/layout/index.json"
	mknod "$TEST_TMP/layout/index.json" c 1 5
	bounded load -i "$TEST_TMP/layout"
	assert_status 125
	assert_contains "$output" "$TEST_TMP/layout"
	((maxrss_kb < 100000)) || fail "hako grew to $maxrss_kb KiB"
}

# A container nests directories 20 000 deep (with mkdirat, past PATH_MAX):
# `diff` refuses it with a clear error instead of building paths without
# end, and `rm` still removes the container (on main it ran out of file
# descriptors at 1024 levels and left it "Removal In Progress" for good).
test_a_deep_tree_neither_hangs_diff_nor_blocks_rm() {
	require_cmd gcc
	hr_setup
	mkdir -p "$TEST_TMP/bin"
	cat >"$TEST_TMP/deep.c" <<'EOC'
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	int fd = open(argv[1], O_RDONLY | O_DIRECTORY), n = atoi(argv[2]);
	for (int i = 0; i < n; i++) {
		int next;
		if (fd < 0 || mkdirat(fd, "d", 0755) < 0)
			return 1;
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = next;
	}
	return 0;
}
EOC
	gcc -O2 -static -o "$TEST_TMP/bin/deep" "$TEST_TMP/deep.c" 2>/dev/null ||
		skip "gcc cannot build static programs"
	hako run --name deep -v "$TEST_TMP/bin:/hk:ro" busybox /hk/deep /tmp 20000
	bounded diff deep
	assert_status 125
	assert_contains "$output" "nested deeper than"
	bounded rm deep
	assert_status 0
	nothing_left
}
