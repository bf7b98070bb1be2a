# hako container rootfs mounts: the overlay is mounted while the container
# runs only.  Created and stopped containers hold no mount; cp, export,
# diff and commit of a stopped one mount it for the call at most; a
# leftover mount is reused at the next start, a removed one made again.

mounts_setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	hako image build-default >/dev/null
	hako info | grep -q "Storage Driver: overlay" || skip "vfs storage: no mounts"
	defer mounts_cleanup
}

mounts_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
}

merged_of() { echo "$TEST_TMP/root/rootfs/$1/merged"; }

# How many mounts sit on container $1's rootfs (field 5 of mountinfo).
mounts_of() { awk -v p="$(merged_of "$1")" '$5 == p { n++ } END { print n + 0 }' /proc/self/mountinfo; }

# Mounts under this test's rootfs directory, of any container.
all_rootfs_mounts() {
	awk -v p="$TEST_TMP/root/rootfs/" 'index($5, p) == 1 { n++ } END { print n + 0 }' \
		/proc/self/mountinfo
}

state_is() { [ "$(hako inspect -f '{{.State.Status}}' "$1")" = "$2" ]; }

TRAP_LOOP='trap "exit 0" TERM; while true; do sleep 0.05; done'

test_created_and_stopped_hold_no_mount() {
	mounts_setup
	id=$(hako create --name m1 busybox sh -c "$TRAP_LOOP")
	assert_eq "$(mounts_of "$id")" 0 "mounts of a created container"
	run hako start m1
	assert_status 0
	wait_for 10 state_is m1 running
	assert_eq "$(mounts_of "$id")" 1 "mounts of a running container"
	run hako exec m1 sh -c 'echo kept > /data.txt'
	assert_status 0
	run hako stop m1
	assert_status 0
	assert_eq "$(mounts_of "$id")" 0 "mounts of a stopped container"
	# start again: the file written before the stop is there
	run hako start m1
	assert_status 0
	wait_for 10 state_is m1 running
	run hako exec m1 cat /data.txt
	assert_status 0
	assert_eq "$output" "kept"
	assert_eq "$(mounts_of "$id")" 1 "mounts after a second start"
	run hako restart -t 5 m1
	assert_status 0
	wait_for 10 state_is m1 running
	assert_eq "$(mounts_of "$id")" 1 "mounts after restart"
	run hako stop m1
	assert_eq "$(mounts_of "$id")" 0 "mounts after the second stop"
	# an exit of its own (no stop) unmounts as well
	id2=$(hako run -d busybox true)
	hako wait "$id2" >/dev/null
	assert_eq "$(mounts_of "$id2")" 0 "mounts of a container that exited"
}

test_cp_export_diff_commit_of_stopped_leave_no_mount() {
	mounts_setup
	run hako run --name m2 busybox sh -c 'echo hello > /greeting; rm /bin/true'
	assert_status 0
	id=$(hako inspect -f '{{.Id}}' m2)
	[ -d "$TEST_TMP/root/rootfs/$id" ] || fail "no rootfs for '$id'"
	assert_eq "$(mounts_of "$id")" 0 "mounts after the run"
	run hako cp m2:/greeting "$TEST_TMP/greeting"
	assert_status 0
	assert_eq "$(cat "$TEST_TMP/greeting")" "hello"
	assert_eq "$(mounts_of "$id")" 0 "mounts after cp out"
	echo put >"$TEST_TMP/put.txt"
	run hako cp "$TEST_TMP/put.txt" m2:/put.txt
	assert_status 0
	assert_eq "$(mounts_of "$id")" 0 "mounts after cp in"
	run hako export -o "$TEST_TMP/m2.tar" m2
	assert_status 0
	run tar -tf "$TEST_TMP/m2.tar"
	assert_contains "$output" "greeting"
	assert_contains "$output" "put.txt"
	assert_eq "$(mounts_of "$id")" 0 "mounts after export"
	run hako diff m2
	assert_status 0
	assert_contains "$output" "A /greeting"
	assert_contains "$output" "D /bin/true"
	assert_eq "$(mounts_of "$id")" 0 "mounts after diff"
	run hako commit m2 m2img:latest
	assert_status 0
	defer hako rmi -f m2img:latest
	assert_eq "$(mounts_of "$id")" 0 "mounts after commit"
	run hako run --rm m2img:latest cat /greeting /put.txt
	assert_status 0
	assert_eq "$output" "hello
put"
	run hako rm m2
	assert_status 0
	assert_eq "$(all_rootfs_mounts)" 0 "rootfs mounts left"
}

test_leftover_mount_is_reused_not_stacked() {
	mounts_setup
	id=$(hako create --name m3 busybox sh -c "$TRAP_LOOP")
	dir="$TEST_TMP/root/rootfs/$id"
	lowers=""
	while read -r chain; do
		l="$TEST_TMP/root/layers/${chain#sha256:}"
		lowers="$l${lowers:+:$lowers}"
	done <"$dir/layers"
	# the mount a crashed hako would have left behind
	mount -t overlay overlay -o "lowerdir=$lowers,upperdir=$dir/upper,workdir=$dir/work" \
		"$dir/merged" || skip "cannot mount an overlay by hand here"
	defer umount -l "$dir/merged" 2>/dev/null
	assert_eq "$(mounts_of "$id")" 1 "the leftover mount"
	run hako start m3
	assert_status 0
	wait_for 10 state_is m3 running
	assert_eq "$(mounts_of "$id")" 1 "mounts after a start over a leftover"
	run hako stop m3
	assert_status 0
	assert_eq "$(mounts_of "$id")" 0 "mounts after the stop"
}

test_mount_removed_by_hand_starts_again() {
	mounts_setup
	id=$(hako run -d --name m4 busybox sh -c "echo here > /mark; $TRAP_LOOP")
	wait_for 10 state_is m4 running
	wait_for 10 test -e "$(merged_of "$id")/mark"
	# behind hako's back, while it runs: the container keeps its own view
	umount -l "$(merged_of "$id")"
	assert_eq "$(mounts_of "$id")" 0 "mounts after the manual umount"
	run hako stop m4
	assert_status 0
	run hako start m4
	assert_status 0
	wait_for 10 state_is m4 running
	run hako exec m4 cat /mark
	assert_status 0
	assert_eq "$output" "here"
	assert_eq "$(mounts_of "$id")" 1 "mounts after the start"
	run hako stop m4
	assert_eq "$(mounts_of "$id")" 0 "mounts after the stop"
}

test_restart_policy_mounts_each_run() {
	mounts_setup
	id=$(hako run -d --name m5 --restart on-failure:2 busybox sh -c 'echo x >> /runs; exit 3')
	wait_for 20 sh -c "[ \"\$($HAKO_BIN --root $TEST_TMP/root --runroot $TEST_TMP/run \
		inspect -f '{{.State.Status}} {{.RestartCount}}' m5)\" = 'exited 2' ]"
	hako wait m5 >/dev/null
	run hako cp m5:/runs "$TEST_TMP/runs"
	assert_status 0
	assert_eq "$(wc -l <"$TEST_TMP/runs")" 3 "runs of the container"
	assert_eq "$(mounts_of "$id")" 0 "mounts after the last exit"
}

test_fifty_created_hold_no_mount() {
	mounts_setup
	for i in $(seq 1 50); do
		hako create busybox true >/dev/null || fail "create $i"
	done
	assert_eq "$(hako ps -aq | wc -l)" 50
	assert_eq "$(all_rootfs_mounts)" 0 "rootfs mounts of 50 created containers"
	run hako run --rm busybox true
	assert_status 0
	assert_eq "$(all_rootfs_mounts)" 0 "rootfs mounts after run --rm"
}
