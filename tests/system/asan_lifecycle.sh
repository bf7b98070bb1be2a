# The main container lifecycle driven through the ASan+UBSan build
# (build/asan/hako, build/asan/hako-runtime): a leak or undefined behaviour in
# any command, or in any process a command forks or execs (the monitor's
# `hako __monitor-exit`, hako-dns, the runtime), fails the test naming it.
#
# Sanitizer reports go to files under $ASAN_DIR (log_path), not to stderr:
# the monitor's children have no terminal and their stderr goes nowhere, so
# only a file catches them.  The check after each command names the command
# that was running (or had just finished, for a child that reports later).
# The monitor ends with hk_child_exit(), which runs LeakSanitizer before its
# _exit(), so the forked monitor and `hako __monitor-exit` are leak-checked.
# Other forked children (the runtime's container init until its exec, the
# fork that execs hako-monitor) never exit through libc: LeakSanitizer's
# at-exit pass cannot run there, but their ASan and UBSan errors are reported.
source "$TOP/tests/system/net_lib.sh"

ASAN_HAKO=$TOP/build/asan/hako
ASAN_RUNTIME=$TOP/build/asan/hako-runtime

asan_setup() {
	[ -x "$ASAN_HAKO" ] || skip "build/asan/hako is not built (make SANITIZE=1)"
	ASAN_DIR=$TEST_TMP/sanitizer
	mkdir -p "$ASAN_DIR"
	# exitcode: a leak makes the command exit 86; UBSan's (the build has
	# -fno-sanitize-recover) 87; neither is a status hako uses.
	export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:exitcode=86:abort_on_error=0:log_path=$ASAN_DIR/asan"
	export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=87:log_path=$ASAN_DIR/ubsan"
	export LSAN_OPTIONS="exitcode=86"
	defer asan_cleanup
}

asan_cleanup() {
	local id
	for id in $(ah ps -aq --no-trunc 2>/dev/null); do "$ASAN_HAKO" --root "$TEST_TMP/root" --runroot "$TEST_TMP/run" rm -f "$id"; done
}

# asan_reports WHAT: fail naming WHAT when a sanitizer wrote a report.
asan_reports() {
	local f found=0
	for f in "$ASAN_DIR"/*; do
		[ -e "$f" ] || continue
		found=1
		echo "---- $f" >&2
		head -n 60 "$f" >&2
	done
	((found == 0)) || fail "sanitizer report after: $1"
}

# ah ARGS: the ASan hako (stdout passes through; stderr is kept for the
# failure message); fails the test on a sanitizer exit status or report.
ah() {
	local rc=0
	HAKO_DEFAULT_NETWORK=${HAKO_DEFAULT_NETWORK:-none} \
		"$ASAN_HAKO" --root "$TEST_TMP/root" --runroot "$TEST_TMP/run" "$@" 2>"$ASAN_DIR.err" || rc=$?
	asan_check "$rc" "hako $*"
	return $rc
}

# ahn ARGS: the ASan hako inside the test's network namespace.
ahn() {
	local rc=0
	nsenter --net="/run/netns/$NS" "$ASAN_HAKO" --root "$TEST_TMP/root" \
		--runroot "$TEST_TMP/run" "$@" 2>"$ASAN_DIR.err" || rc=$?
	asan_check "$rc" "hako $* (in the test's netns)"
	return $rc
}

# art ARGS: the ASan hako-runtime.
art() {
	local rc=0
	"$ASAN_RUNTIME" --root "$TEST_TMP/rtstate" "$@" 2>"$ASAN_DIR.err" || rc=$?
	asan_check "$rc" "hako-runtime $*"
	return $rc
}

asan_check() {
	local rc=$1 what=$2
	asan_reports "$what"
	if ((rc == 86 || rc == 87)); then
		cat "$ASAN_DIR.err" >&2
		fail "$what: exit status $rc from the sanitizers"
	fi
	if ((rc != 0)); then
		cat "$ASAN_DIR.err" >&2
		fail "$what: exit status $rc"
	fi
}

# ah_refused STATUS ARGS: the ASan hako must refuse ARGS with STATUS, and
# its error path must not leak either.
ah_refused() {
	local want=$1
	shift
	run env HAKO_DEFAULT_NETWORK=none "$ASAN_HAKO" --root "$TEST_TMP/root" --runroot "$TEST_TMP/run" "$@"
	asan_reports "hako $* (refused)"
	((status != 86 && status != 87)) || fail "hako $*: exit status $status from the sanitizers"
	[ "$status" = "$want" ] || fail "hako $*: exit status $status, want $want: $output"
}

# every monitor of the test gone: their last acts (__monitor-exit) are done
monitors_gone() {
	local _
	for _ in $(pgrep -f "hako-monitor --hako $ASAN_HAKO --root $TEST_TMP/root" || true); do
		return 1
	done
	! pgrep -f "$ASAN_HAKO --root $TEST_TMP/root --runroot $TEST_TMP/run __monitor-exit" >/dev/null
}

test_asan_container_lifecycle() {
	asan_setup
	ah image build-default >/dev/null

	ah create --name c1 -e A=1 --label k=v -v vol1:/vol busybox sh -c 'echo hello; sleep 60' >/dev/null
	ah start c1
	wait_for 10 sh -c "[ \"\$('$ASAN_HAKO' --root '$TEST_TMP/root' --runroot '$TEST_TMP/run' inspect -f '{{.State.Status}}' c1)\" = running ]"
	asan_reports "hako start c1 / inspect"
	id=$(ah run -d --name d1 -v /tmp:/hosttmp:ro --tmpfs /t busybox sh -c 'trap "exit 0" TERM; echo out; echo err >&2; while true; do sleep 0.05; done')
	assert_eq "${#id}" 64 "run -d prints the id"
	# ah fails on any non-zero status: a failing exec is checked by hand
	run "$ASAN_HAKO" --root "$TEST_TMP/root" --runroot "$TEST_TMP/run" exec d1 sh -c 'echo in-exec; exit 3'
	assert_status 3
	assert_contains "$output" in-exec
	asan_reports "hako exec d1 (exit 3)"
	assert_eq "$(ah exec -e X=y -w /tmp d1 sh -c 'echo $X $(pwd)')" "y /tmp"
	wait_for 10 sh -c "'$ASAN_HAKO' --root '$TEST_TMP/root' --runroot '$TEST_TMP/run' logs d1 2>&1 | grep -q err"
	assert_contains "$(ah logs d1)" out
	ah logs --tail 1 -t d1 >/dev/null
	assert_eq "$(ah inspect -f '{{.State.Status}} {{.Config.Labels.k}}' c1)" 'running v'
	ah inspect d1 >/dev/null
	assert_contains "$(ah ps)" d1
	ah ps -a --format json >/dev/null
	ah top d1 >/dev/null
	ah stats --no-stream d1 >/dev/null

	# cp both ways, export, commit
	echo payload >"$TEST_TMP/in.txt"
	ah cp "$TEST_TMP/in.txt" d1:/tmp/in.txt
	ah cp d1:/tmp/in.txt "$TEST_TMP/back.txt"
	assert_eq "$(cat "$TEST_TMP/back.txt")" payload
	ah cp d1:/etc "$TEST_TMP/etc-copy"
	assert_file "$TEST_TMP/etc-copy/passwd"
	ah export -o "$TEST_TMP/d1.tar" d1
	tar -tf "$TEST_TMP/d1.tar" | grep -q '^tmp/in.txt$' || fail "export misses tmp/in.txt"
	ah commit -m snap d1 snap:v1 >/dev/null
	assert_contains "$(ah images)" snap

	ah stop -t 5 d1 >/dev/null
	ah stop -t 1 c1 >/dev/null
	ah restart -t 1 c1 >/dev/null
	ah kill c1 >/dev/null
	ah rm d1 c1 >/dev/null
	assert_eq "$(ah ps -aq)" ""

	# run --rm, in the foreground, with a tty-less exit code
	assert_eq "$(ah run --rm snap:v1 cat /tmp/in.txt)" payload
	run "$ASAN_HAKO" --root "$TEST_TMP/root" --runroot "$TEST_TMP/run" run --rm busybox sh -c 'exit 7'
	assert_status 7
	asan_reports "hako run --rm busybox sh -c 'exit 7'"
	ah run -d --rm --name gone busybox true >/dev/null

	# volumes
	# the monitor's loop in the forked hako itself (no hako-monitor exec):
	# its end runs LeakSanitizer too (hk_child_exit)
	HAKO_MONITOR_INPROCESS=1 ah run -d --name inproc busybox sh -c 'trap "exit 0" TERM; while true; do sleep 0.05; done' >/dev/null
	ah stop -t 5 inproc >/dev/null
	ah rm inproc >/dev/null

	# a restart policy: the monitor records the exit, restarts, records again
	ah run -d --name rs --restart on-failure:1 busybox sh -c 'exit 3' >/dev/null
	wait_for 20 sh -c "[ \"\$('$ASAN_HAKO' --root '$TEST_TMP/root' --runroot '$TEST_TMP/run' inspect -f '{{.State.Status}} {{.RestartCount}}' rs)\" = 'exited 1' ]"
	ah rm rs >/dev/null

	# bad input: the error paths free what they made
	ah_refused 125 run -d --hostname a/b busybox true
	ah_refused 125 run -d -e =x busybox true
	ah_refused 125 create --label =x busybox true
	ah_refused 125 run -d --tmpfs rel busybox true
	ah_refused 125 run -d --restart bogus busybox true
	ah_refused 125 run -d --log-opt x busybox true
	ah_refused 125 run -d --stop-signal NOPE busybox true
	ah_refused 125 run -d -w rel busybox true
	ah_refused 125 run -d -p 80 busybox true
	ah_refused 125 run -d --cap-add NOPE busybox true
	ah_refused 125 run -d --security-opt bogus busybox true
	ah_refused 125 run -d nosuch:image true
	ah_refused 125 exec nosuch true
	ah_refused 125 cp nosuch:/x "$TEST_TMP/x"
	assert_eq "$(ah ps -aq)" "" "nothing half-made"

	ah volume create v2 >/dev/null
	ah volume ls >/dev/null
	ah volume inspect v2 >/dev/null
	ah volume rm v2 vol1 >/dev/null
	ah rmi snap:v1 >/dev/null

	wait_for 20 monitors_gone
	asan_reports "the monitors' last steps (hako __monitor-exit)"
}

test_asan_network_lifecycle() {
	asan_setup
	net_setup
	ahn image build-default >/dev/null
	defer 'for id in $(nsenter --net=/run/netns/$NS "$ASAN_HAKO" --root "$TEST_TMP/root" --runroot "$TEST_TMP/run" ps -aq --no-trunc 2>/dev/null); do nsenter --net=/run/netns/$NS "$ASAN_HAKO" --root "$TEST_TMP/root" --runroot "$TEST_TMP/run" rm -f $id; done'
	ahn network create --subnet 10.141.0.0/24 front >/dev/null
	ahn network create back >/dev/null
	ahn network ls >/dev/null
	ahn network inspect front >/dev/null
	ahn run -d --name w1 --network front --network-alias web -p 18080:80 busybox \
		sh -c 'trap "exit 0" TERM; while true; do sleep 0.05; done' >/dev/null
	ahn network connect --alias store back w1
	ahn exec w1 ping -c 1 -W 2 10.141.0.1 >/dev/null
	ahn port w1 >/dev/null
	ahn network disconnect back w1
	ahn run --rm --network front busybox ping -c 1 -W 2 web >/dev/null
	ahn stop -t 5 w1 >/dev/null
	ahn rm w1 >/dev/null
	ahn network rm front back >/dev/null
	wait_for 20 monitors_gone
	asan_reports "the monitors' last steps (hako __monitor-exit)"
}

test_asan_runtime_lifecycle() {
	asan_setup
	[ -x "$ASAN_RUNTIME" ] || skip "build/asan/hako-runtime is not built"
	b=$TEST_TMP/bundle
	make_bundle "$b" sh -c 'trap "exit 0" TERM; while true; do sleep 0.05; done'
	defer "'$ASAN_RUNTIME' --root '$TEST_TMP/rtstate' delete -f rt1"
	art create --bundle "$b" rt1
	assert_contains "$(art state rt1)" '"created"'
	art start rt1
	assert_contains "$(art state rt1)" '"running"'
	assert_eq "$(art exec rt1 echo hi)" hi
	art ps rt1 >/dev/null
	art list >/dev/null
	art kill rt1 TERM
	wait_for 10 sh -c "'$ASAN_RUNTIME' --root '$TEST_TMP/rtstate' state rt1 2>/dev/null | grep -q stopped"
	art delete rt1
	make_bundle "$TEST_TMP/b2" echo ran
	assert_eq "$(art run --bundle "$TEST_TMP/b2" rt2)" ran
	asan_reports "hako-runtime run"
}
