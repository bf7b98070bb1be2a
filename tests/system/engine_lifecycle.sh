# hako container lifecycle: ps, stop, kill, rm -f, start, restart, pause,
# exec, top, attach with a tty, restart policies, --init, wait.

engine_setup() {
	hako image build-default >/dev/null
	defer engine_cleanup
}

engine_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
}

status_of() { hako ps -a --filter "name=$1" --format '{{.Status}}'; }
state_is() { [ "$(hako inspect -f '{{.State.Status}}' "$1")" = "$2" ]; }

# A shell that exits 0 on SIGTERM, so stop does not need SIGKILL.
TRAP_LOOP='trap "exit 0" TERM; while true; do sleep 0.05; done'

test_detached_ps_shows_up_then_stop() {
	engine_setup
	id=$(hako run -d --name up1 busybox sh -c "$TRAP_LOOP")
	run hako ps
	assert_contains "$output" "CONTAINER ID   IMAGE"
	assert_contains "$output" "${id:0:12}"
	[[ $(status_of up1) =~ ^Up\ (Less\ than\ a\ second|[0-9]+\ seconds?)$ ]] ||
		fail "status: $(status_of up1)"
	run hako ps -q
	assert_eq "$output" "${id:0:12}"
	run hako ps --no-trunc -q
	assert_eq "$output" "$id"
	run hako stop up1
	assert_status 0
	assert_not_contains "$output" "SIGKILL"
	[[ $(status_of up1) =~ ^Exited\ \(0\)\ .*ago$ ]] || fail "status: $(status_of up1)"
	run hako ps -q
	assert_eq "$output" ""
	run hako inspect -f '{{.State.Running}} {{.State.ExitCode}} {{.State.Pid}}' up1
	assert_eq "$output" "false 0 0"
	# start it again, and restart it
	run hako start up1
	assert_status 0
	wait_for 10 state_is up1 running
	run hako restart -t 5 up1
	assert_status 0
	wait_for 10 state_is up1 running
}

test_stop_kills_a_pid1_ignoring_term() {
	engine_setup
	hako run -d --name ign busybox sh -c 'while true; do sleep 0.05; done' >/dev/null
	run hako stop -t 1 ign
	assert_status 0
	assert_contains "$output" "SIGKILL"
	assert_contains "$output" "ignores SIGTERM"
	[[ $(status_of ign) =~ ^Exited\ \(137\) ]] || fail "status: $(status_of ign)"
}

test_kill_shows_137_and_signals() {
	engine_setup
	hako run -d --name k1 busybox sh -c 'trap "echo got-usr1" USR1; while true; do sleep 0.05; done' >/dev/null
	run hako kill -s USR1 k1
	assert_status 0
	wait_for 10 sh -c "'$HAKO_BIN' --root '$TEST_TMP/root' --runroot '$TEST_TMP/run' logs k1 | grep -q got-usr1"
	run hako kill k1
	assert_status 0
	[[ $(status_of k1) =~ ^Exited\ \(137\) ]] || fail "status: $(status_of k1)"
	run hako kill k1
	assert_status 1
	assert_contains "$output" "not running"
	run hako kill -s NOPE k1
	assert_status 125
}

test_rm_force_and_refusal() {
	engine_setup
	id=$(hako run -d --name r1 busybox sleep 60)
	run hako rm r1
	assert_status 1
	assert_contains "$output" "running"
	run hako rm -f r1
	assert_status 0
	run hako ps -aq
	assert_eq "$output" ""
	assert_no_file "$TEST_TMP/root/containers/$id"
	assert_no_file "$TEST_TMP/run/containers/$id"
	if grep -q "$id" /proc/self/mountinfo; then fail "mount left"; fi
}

test_pause_unpause() {
	engine_setup
	hako run -d --name p1 busybox sh -c "$TRAP_LOOP" >/dev/null
	run hako pause p1
	assert_status 0
	[[ $(status_of p1) =~ ^Up\ .*\ \(Paused\)$ ]] || fail "status: $(status_of p1)"
	run hako inspect -f '{{.State.Status}} {{.State.Paused}}' p1
	assert_eq "$output" "paused true"
	run hako pause p1
	assert_status 1
	run hako unpause p1
	assert_status 0
	[[ $(status_of p1) =~ ^Up\ [^\(]*$ ]] || fail "status: $(status_of p1)"
	# a paused container can still be stopped
	hako pause p1 >/dev/null
	run hako stop -t 5 p1
	assert_status 0
	state_is p1 exited
}

test_exec_second_shell_and_top() {
	engine_setup
	hako run -d -i --name ex busybox sh >/dev/null
	run hako exec ex sh -c 'echo $HOSTNAME; exit 5'
	assert_status 5
	run hako exec -e X=1 -w /tmp -u 1000 ex sh -c 'echo $X $(pwd) $(id -u)'
	assert_eq "$output" "1 /tmp 1000"
	hako exec -d ex sh -c 'while true; do sleep 0.05; done'
	wait_for 10 sh -c "'$HAKO_BIN' --root '$TEST_TMP/root' --runroot '$TEST_TMP/run' top ex | grep -c ' sh' | grep -qx 2"
	run hako top ex
	assert_contains "$output" "PID"
	# two shells: the init and the loop (a child the loop forked shows as
	# "sh" too until it execs sleep, so a snapshot may see three: retry)
	wait_for 10 sh -c "'$HAKO_BIN' --root '$TEST_TMP/root' --runroot '$TEST_TMP/run' exec ex ps -o comm | grep -cx sh | grep -qx 2"
	# the exec'd shell's exit leaves the container running
	run hako exec ex sh -c exit
	assert_status 0
	state_is ex running
	run hako exec ex no-such-binary
	assert_status 127
}

test_attach_tty_detach_and_reattach() {
	require_cmd script
	engine_setup
	hako_cmd="HAKO_DEFAULT_NETWORK=none '$HAKO_BIN' --root '$TEST_TMP/root' --runroot '$TEST_TMP/run'"
	out=$( (sleep 2; printf 'echo hi-$((6*7))\n'; sleep 0.5; printf '\020\021'; sleep 1) |
		script -qfec "$hako_cmd run -it --name tt --network none busybox sh" /dev/null || true)
	assert_contains "$out" "hi-42"
	state_is tt running
	run hako inspect -f '{{.Config.Tty}}' tt
	assert_eq "$output" "true"
	# attach again, leave with exit 7
	out=$( (sleep 1.5; printf 'echo back-$((1+1))\n'; sleep 0.5; printf 'exit 7\n'; sleep 1) |
		script -qfec "$hako_cmd attach tt" /dev/null || true)
	assert_contains "$out" "back-2"
	wait_for 10 state_is tt exited
	run hako inspect -f '{{.State.ExitCode}}' tt
	assert_eq "$output" "7"
}

test_restart_policy_on_failure() {
	engine_setup
	run hako run --name rp --restart on-failure:2 busybox sh -c 'echo attempt; exit 1'
	assert_status 1
	wait_for 10 state_is rp exited
	run hako inspect -f '{{.RestartCount}} {{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}' rp
	assert_eq "$output" "2 1 on-failure"
	n=$(hako logs rp | grep -c attempt)
	assert_eq "$n" "3"
	# success ends on-failure at once
	hako run --name ok --restart on-failure busybox true
	run hako inspect -f '{{.RestartCount}}' ok
	assert_eq "$output" "0"
	# always: restarts until stopped; stop wins
	hako run -d --name al --restart always busybox sh -c 'sleep 0.1; exit 0' >/dev/null
	wait_for 10 sh -c "[ \$('$HAKO_BIN' --root '$TEST_TMP/root' --runroot '$TEST_TMP/run' inspect -f '{{.RestartCount}}' al) -ge 2 ]"
	hako stop -t 2 al >/dev/null
	wait_for 10 state_is al exited
	c1=$(hako inspect -f '{{.RestartCount}}' al)
	sleep 0.5
	c2=$(hako inspect -f '{{.RestartCount}}' al)
	assert_eq "$c2" "$c1" "restarted after stop"
}

test_init_reaps_zombies() {
	engine_setup
	helper=$HAKO_BIN_DIR/hk-testhelper
	# an orphan of a subshell is re-parented to PID 1; `sleep` as PID 1
	# never reaps it, hako-init does
	hako run -d --name noinit -v "$helper:/bin/hk-testhelper:ro" busybox \
		sh -c '(hk-testhelper orphan; sleep 0.1 &); exec sleep 60' >/dev/null
	hako run -d --init --name withinit -v "$helper:/bin/hk-testhelper:ro" busybox \
		sh -c '(hk-testhelper orphan; sleep 0.1 &); exec sleep 60' >/dev/null
	sleep 0.5
	run hako exec noinit ps -o stat,comm
	assert_contains "$output" "Z"
	run hako exec withinit ps -o stat,comm
	assert_not_contains "$output" "Z "
	run hako exec withinit ps -o pid,comm
	assert_contains "$output" "1 init"
	# and it passes the exit status and signals on
	run hako run --rm --init busybox sh -c 'exit 4'
	assert_status 4
	hako run -d --init --name sig busybox sh -c 'trap "exit 9" TERM; while true; do sleep 0.05; done' >/dev/null
	run hako stop -t 5 sig
	assert_not_contains "$output" "SIGKILL"
	run hako inspect -f '{{.State.ExitCode}}' sig
	assert_eq "$output" "9"
}

test_wait_and_start_attach() {
	engine_setup
	hako create --name w1 busybox sh -c 'echo started; sleep 0.3; exit 6' >/dev/null
	[[ $(status_of w1) == Created ]] || fail "status: $(status_of w1)"
	run hako start -a w1
	assert_status 6
	assert_eq "$output" "started"
	hako start w1 >/dev/null
	run hako wait w1
	assert_eq "$output" "6"
}
