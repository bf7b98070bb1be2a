# hako stats: figures from the container's cgroup, Docker's columns and formats.

stats_setup() {
	hako image build-default >/dev/null
	defer stats_cleanup
}

stats_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
}

test_stats_busy_loop_and_memory_limit() {
	stats_setup
	hako run -d --name busy -m 64m busybox sh -c 'while :; do :; done' >/dev/null
	run hako stats --no-stream busy
	assert_status 0
	assert_contains "$output" "CONTAINER ID   NAME"
	assert_contains "$output" "MEM USAGE / LIMIT"
	assert_contains "$output" "BLOCK I/O"
	assert_contains "$output" "/ 64MiB" "the --memory limit is the LIMIT"
	json=$(hako stats --no-stream --format json busy)
	name=$(echo "$json" | jq -r .Name)
	assert_eq "$name" busy
	cpu=$(echo "$json" | jq -r .CPUPerc | tr -d %)
	pids=$(echo "$json" | jq -r .PIDs)
	awk -v c="$cpu" 'BEGIN { exit !(c > 0) }' || fail "CPU % of a busy loop is $cpu"
	((pids >= 1)) || fail "PIDS is $pids"
	memperc=$(echo "$json" | jq -r .MemPerc)
	assert_contains "$memperc" "%"
	# a template
	run hako stats --no-stream --format '{{.Name}}:{{.PIDs}}' busy
	assert_eq "$output" "busy:$pids"
}

test_stats_without_limit_shows_host_memory() {
	stats_setup
	hako run -d --name idle busybox sleep 100 >/dev/null
	host_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
	limit=$(hako stats --no-stream --format '{{.MemUsage}}' idle | sed 's|.* / ||')
	# the limit in GiB/MiB, compared with MemTotal within rounding
	want=$(awk -v k="$host_kib" 'BEGIN { v = k * 1024; u = "B"; split("KiB MiB GiB TiB", n, " ");
		for (i = 1; v >= 1024 && i <= 4; i++) { v /= 1024; u = n[i] } printf "%.4g%s", v, u }')
	assert_eq "$limit" "$want" "LIMIT without --memory is the host's memory"
	# the idle container and the busy loop: only running ones without -a
	hako create --name stopped busybox true >/dev/null
	run hako stats --no-stream --format '{{.Name}}'
	assert_eq "$output" "idle"
	run hako stats --no-stream -a --format '{{.Name}} {{.CPUPerc}} {{.PIDs}}'
	assert_contains "$output" "stopped 0.00% 0"
	assert_contains "$output" "idle "
}

test_stats_stream_ends_when_the_container_exits() {
	stats_setup
	hako run -d --name short busybox sleep 1 >/dev/null
	out=$(timeout 20 "$HAKO_BIN" --root "$TEST_TMP/root" --runroot "$TEST_TMP/run" stats short)
	status=$?
	assert_eq "$status" 0 "stats ends by itself once the container exited"
	# redrawn like docker: clear screen + home before each frame
	frames=$(printf '%s' "$out" | grep -c $'\033\\[2J\033\\[H')
	((frames >= 1)) || fail "no ANSI redraw in: $out"
	assert_contains "$out" "short"
}

test_stats_errors() {
	stats_setup
	run hako stats --no-stream nosuch
	assert_status 1
	assert_contains "$output" "no such container: nosuch"
	run hako stats --no-stream --format bogus
	assert_status 125
	assert_contains "$output" "--format 'bogus'"
	run hako stats --help
	assert_status 0
	assert_contains "$output" "--no-stream"
}

test_stats_net_io_counts_the_containers_interfaces() {
	source "$TOP/tests/system/net_lib.sh"
	net_setup
	net_engine_setup
	hn network create --subnet 10.158.0.0/24 statsnet >/dev/null
	hn run -d --name pinger --network statsnet busybox sh -c \
		'ping -c 3 -s 1000 10.158.0.1 >/dev/null 2>&1; sleep 100' >/dev/null
	wait_for 20 sh -c "nsenter --net=/run/netns/$NS '$HAKO_BIN' --root '$TEST_TMP/root' --runroot '$TEST_TMP/run' stats --no-stream --format '{{.NetIO}}' pinger | grep -q 'kB / .*kB'"
	netio=$(hn stats --no-stream --format '{{.NetIO}}' pinger)
	assert_ne "$netio" "0B / 0B" "NET I/O of a container that pinged"
}

# BLOCK I/O: 2 MiB written and read back with O_DIRECT (past the page cache)
# by children of the container's init.  Counted from the cgroup when it
# counts (v2 io.stat; v1 blkio files, which on Linux 6.x count only on
# devices with a throttle rule), else from the processes' /proc/PID/io
# (which holds what their reaped children did).
test_stats_block_io_of_direct_writes() {
	stats_setup
	[ "$(findmnt -n -o FSTYPE --target "$TEST_TMP")" != tmpfs ] ||
		skip "$TEST_TMP is on tmpfs: no block device to count"
	hako run -d --name blk busybox sh -c '
		dd if=/dev/zero of=/big bs=64k count=32 oflag=direct 2>/dev/null &&
		dd if=/big of=/dev/null bs=64k iflag=direct 2>/dev/null || touch /nodirect
		trap "exit 0" TERM; touch /ready; while :; do sleep 0.05; done' >/dev/null
	wait_for 10 hako exec blk test -f /ready
	run hako exec blk test -f /nodirect
	[ "$status" != 0 ] || skip "the storage of $TEST_TMP refuses O_DIRECT (overlay upper dir)"
	bio=$(hako stats --no-stream --format json blk | jq -r .BlockIO)
	echo "BLOCK I/O: $bio"
	read -r rd _ wr <<<"$bio"
	[[ $wr =~ ^[0-9.]+[kMG]?B$ ]] || fail "BLOCK I/O write figure: $bio"
	[ "$wr" != 0B ] || fail "BLOCK I/O counts no write after 2 MiB of O_DIRECT writes: $bio"
	[ "$rd" != 0B ] || fail "BLOCK I/O counts no read after 2 MiB of O_DIRECT reads: $bio"
}

# The same on a loop device of the test's own, where no blk-throttle rule
# ever activated the v1 counters (Linux 6.x leaves them at 0 there): the
# figure then comes from the processes' /proc/PID/io.
test_stats_block_io_on_a_fresh_loop_device() {
	require_cmd losetup
	require_cmd mkfs.ext4
	truncate -s 64M "$TEST_TMP/disk.img"
	mkfs.ext4 -q -F "$TEST_TMP/disk.img" || skip "mkfs.ext4 failed"
	loopdev=$(losetup -f --show "$TEST_TMP/disk.img") || skip "no loop device"
	defer "losetup -d $loopdev"
	mkdir "$TEST_TMP/mnt"
	mount "$loopdev" "$TEST_TMP/mnt" || skip "cannot mount $loopdev"
	defer "umount -l '$TEST_TMP/mnt'"
	lroot=$TEST_TMP/mnt/root
	lh() { HAKO_DEFAULT_NETWORK=none "$HAKO_BIN" --root "$lroot" --runroot "$TEST_TMP/lrun" "$@"; }
	lh image build-default >/dev/null
	defer "for id in \$(HAKO_DEFAULT_NETWORK=none '$HAKO_BIN' --root '$lroot' --runroot '$TEST_TMP/lrun' ps -aq --no-trunc); do HAKO_DEFAULT_NETWORK=none '$HAKO_BIN' --root '$lroot' --runroot '$TEST_TMP/lrun' rm -f \$id; done"
	lh run -d --name lblk busybox sh -c '
		dd if=/dev/zero of=/big bs=64k count=32 oflag=direct 2>/dev/null &&
		dd if=/big of=/dev/null bs=64k iflag=direct 2>/dev/null || touch /nodirect
		trap "exit 0" TERM; touch /ready; while :; do sleep 0.05; done' >/dev/null
	wait_for 10 lh exec lblk test -f /ready
	run lh exec lblk test -f /nodirect
	[ "$status" != 0 ] || skip "O_DIRECT refused on the loop device's ext4"
	bio=$(lh stats --no-stream --format json lblk | jq -r .BlockIO)
	echo "BLOCK I/O on $loopdev: $bio"
	read -r rd _ wr <<<"$bio"
	[ "$wr" != 0B ] || fail "BLOCK I/O counts no write on $loopdev: $bio"
	[ "$rd" != 0B ] || fail "BLOCK I/O counts no read on $loopdev: $bio"
}
