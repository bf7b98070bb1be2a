# hako engine robustness: crashes of the monitor or the CLI are repaired by
# the next command; many parallel runs all succeed.

engine_setup() {
	hako image build-default >/dev/null
	defer engine_cleanup
}

engine_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
}

state_is() { [ "$(hako inspect -f '{{.State.Status}}' "$1")" = "$2" ]; }

# kill -9 returns before the process is gone: its files (the monitor's
# lock) are closed when it runs its exit, later on a busy host.
files_closed() { [ -z "$(find "/proc/$1/fd" -mindepth 1 2>/dev/null | head -n 1)" ]; }

test_crash_monitor_is_repaired() {
	engine_setup
	id=$(hako run -d --name victim busybox sleep 60)
	mon=$(hako inspect -f '{{.State.MonitorPid}}' victim)
	pid=$(hako inspect -f '{{.State.Pid}}' victim)
	assert_ne "$mon" "0"
	assert_eq "$(cat /proc/$mon/comm)" "hako-monitor"
	kill -9 "$mon"
	wait_for 10 files_closed "$mon"
	# the next command sees the dead monitor and repairs
	run hako ps -a --filter name=victim --format '{{.Status}}'
	[[ $output =~ ^Exited\ \(137\) ]] || fail "status after monitor crash: $output"
	run hako inspect -f '{{.State.Error}}' victim
	assert_contains "$output" "monitor died"
	# the container's processes and cgroup are gone
	wait_for 10 sh -c "! grep -qs . /proc/$pid/cmdline"
	for d in /sys/fs/cgroup/*/hako/"$id" /sys/fs/cgroup/hako/"$id"; do
		assert_no_file "$d"
	done
	# it can be started again, and removed leaving nothing
	run hako start victim
	assert_status 0
	wait_for 10 state_is victim running
	run hako rm -f victim
	assert_status 0
	if grep -q "$id" /proc/self/mountinfo; then fail "mount left"; fi
	assert_no_file "$TEST_TMP/root/containers/$id"
}

test_crash_monitor_with_rm_removes() {
	engine_setup
	id=$(hako run -d --rm --name gone busybox sleep 60)
	mon=$(hako inspect -f '{{.State.MonitorPid}}' gone)
	kill -9 "$mon"
	wait_for 10 files_closed "$mon"
	run hako ps -aq
	assert_eq "$output" ""
	assert_no_file "$TEST_TMP/root/containers/$id"
	if grep -q "$id" /proc/self/mountinfo; then fail "mount left"; fi
}

test_crash_cli_during_attach() {
	engine_setup
	# the attached CLI dies; the container and its monitor go on
	HAKO_DEFAULT_NETWORK=none "$HAKO_BIN" --root "$TEST_TMP/root" --runroot "$TEST_TMP/run" run --name att busybox \
		sh -c 'trap "exit 0" TERM; while true; do sleep 0.05; done' >/dev/null 2>&1 &
	cli=$!
	wait_for 10 state_is att running
	kill -9 "$cli"
	wait "$cli" || true
	sleep 0.2
	state_is att running
	run hako stop att
	assert_status 0
	run hako inspect -f '{{.State.ExitCode}}' att
	assert_eq "$output" "0"
}

test_parallel_runs() {
	engine_setup
	local i pids=() fails=0
	for i in $(seq 50); do
		hako run --rm busybox sh -c "echo run-$i" >"$TEST_TMP/out.$i" 2>&1 &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { fails=$((fails + 1)); cat "$TEST_TMP/out.$((i + 1))" >&2; }
	done
	assert_eq "$fails" "0" "failed runs"
	for i in $(seq 50); do
		assert_eq "$(cat "$TEST_TMP/out.$i")" "run-$i"
	done
	run hako ps -aq
	assert_eq "$output" ""
	# generated names stay unique under concurrency
	for i in $(seq 10); do hako create busybox true >/dev/null & done
	wait
	n=$(hako ps -a --format '{{.Names}}' | sort -u | wc -l)
	assert_eq "$n" "10"
}

test_cp_both_ways_and_symlink_escape() {
	engine_setup
	echo host-secret >"$TEST_TMP/secret"
	hako run -d --name cpx busybox sh -c "echo inside >/f; mkdir -p /d/e; echo deep >/d/e/g;
		ln -s $TEST_TMP/secret /esc; ln -s ../../../../../../../.. /up; sleep 60" >/dev/null
	wait_for 10 hako exec cpx test -L /up
	mkdir "$TEST_TMP/out"
	hako cp cpx:/f "$TEST_TMP/out/"
	assert_eq "$(cat "$TEST_TMP/out/f")" "inside"
	hako cp cpx:/d "$TEST_TMP/out/"
	assert_eq "$(cat "$TEST_TMP/out/d/e/g")" "deep"
	# a link to a host path resolves inside the rootfs: nothing there
	run hako cp cpx:/esc/. "$TEST_TMP/out/x"
	assert_status 125
	assert_no_file "$TEST_TMP/out/x"
	run hako cp "cpx:/up$TEST_TMP/secret" "$TEST_TMP/out/y"
	assert_status 125
	assert_no_file "$TEST_TMP/out/y"
	# writing through a planted symlink is refused; the host file is intact
	echo from-host >"$TEST_TMP/in"
	run hako cp "$TEST_TMP/in" cpx:/esc
	assert_status 125
	assert_contains "$output" "symlink"
	assert_eq "$(cat "$TEST_TMP/secret")" "host-secret"
	# through a link up and out: lands inside the rootfs (or fails), never on the host
	run hako cp "$TEST_TMP/in" "cpx:/up$TEST_TMP/secret"
	assert_eq "$(cat "$TEST_TMP/secret")" "host-secret"
	# and a plain copy in works
	hako cp "$TEST_TMP/in" cpx:/
	run hako exec cpx cat /in
	assert_eq "$output" "from-host"
	# diff shows the changes
	run hako diff cpx
	assert_contains "$output" "A /f"
	assert_contains "$output" "A /in"
}

# The idle monitor is the small static hako-monitor (exec'ed by the fork of
# hako after the start), not a copy of the whole hako; it still holds the
# lock, serves logs, and hands the exit back to hako in the same process.
test_idle_monitor_is_the_small_program() {
	engine_setup
	hako run -d --name small busybox \
		sh -c 'echo hello; trap "echo bye; exit 3" TERM; while :; do sleep 0.05; done' >/dev/null
	mon=$(hako inspect -f '{{.State.MonitorPid}}' small)
	assert_ne "$mon" "0"
	wait_for 10 sh -c "readlink /proc/$mon/exe | grep -q '/hako-monitor\$'"
	assert_eq "$(cat /proc/$mon/comm)" "hako-monitor"
	hwm=$(awk '/^VmHWM:/ {print $2}' /proc/$mon/status)
	[ "$hwm" -lt 1024 ] || fail "idle monitor peak RSS ${hwm} KiB, want < 1024"
	id=$(hako inspect -f '{{.Id}}' small)
	run flock -n "$TEST_TMP/run/containers/$id/monitor.lock" true
	assert_status 1
	logs_have() { hako logs small | grep -q "$1"; }
	wait_for 10 logs_have hello
	run hako stop small
	assert_status 0
	assert_eq "$(hako inspect -f '{{.State.Status}} {{.State.ExitCode}}' small)" "exited 3"
	run hako logs small
	assert_contains "$output" "bye"
	wait_for 10 sh -c "! kill -0 $mon 2>/dev/null"
}

# Without hako-monitor (HAKO_MONITOR_INPROCESS, as when it is not installed)
# the fork of hako serves the container itself, with the same behaviour.
test_monitor_in_process_fallback() {
	engine_setup
	export HAKO_MONITOR_INPROCESS=1
	defer unset HAKO_MONITOR_INPROCESS
	hako run -d --name inproc --restart on-failure:1 busybox sh -c 'echo once; exit 1' >/dev/null
	mon=$(hako inspect -f '{{.State.MonitorPid}}' inproc)
	restarted() { [ "$(hako inspect -f '{{.RestartCount}}/{{.State.Status}}' inproc)" = 1/exited ]; }
	wait_for 10 restarted
	[ "$mon" = 0 ] || ! readlink "/proc/$mon/exe" | grep -q hako-monitor ||
		fail "hako-monitor ran with HAKO_MONITOR_INPROCESS"
	run hako logs inproc
	assert_eq "$(echo "$output" | grep -c once)" "2"
	run hako run --rm busybox sh -c 'echo out; exit 4'
	assert_status 4
	assert_contains "$output" "out"
	run hako ps -a --format '{{.Names}}'
	assert_eq "$output" "inproc"
}
