# Attacks on the caller's terminal and on the engine's records, from inside a
# container: TIOCSTI through the stdio of exec/run/start/attach (a process in
# the container typing a command into the host shell that started it), and
# the smaller holes of issue 20: OOM kills not recorded, failed `run --rm`
# leaving containers behind, two runroots over one root.

sec_setup() {
	require_cmd gcc
	require_cmd python3
	hako image build-default >/dev/null
	defer sec_cleanup
	mkdir -p "$TEST_TMP/bin"
	# The attacker: pushes a command into every terminal it can reach
	# (fds 0-2 and /dev/tty) and reports what it holds.
	cat >"$TEST_TMP/attack.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int push(int fd, const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += ioctl(fd, TIOCSTI, s) == 0;
	return n;
}

int main(void)
{
	const char *cmd = "touch /tmp/pwned-by-container\n";
	char path[64], target[128];
	int sti = 0, tty;

	for (int fd = 0; fd < 3; fd++)
		sti += push(fd, cmd);
	tty = open("/dev/tty", O_RDWR | O_NOCTTY);
	if (tty >= 0)
		sti += push(tty, cmd);
	printf("sti=%d devtty=%s leader=%d", sti, tty >= 0 ? "open" : "none",
	       getsid(0) == getpid());
	for (int fd = 0; fd < 3; fd++) {
		ssize_t k;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		k = readlink(path, target, sizeof(target) - 1);
		target[k > 0 ? k : 0] = '\0';
		printf(" fd%d=%s", fd, strncmp(target, "pipe:", 5) ? target : "pipe");
	}
	printf(" end\n");
	return 0;
}
C
	gcc -static -O1 -o "$TEST_TMP/bin/attack" "$TEST_TMP/attack.c" || fail "gcc -static"
	# pty_run OUT INPUT CMD...: CMD on a new pty as the session leader
	# holding it as its controlling terminal (an interactive host shell's
	# child); INPUT is typed first.  OUT gets what the terminal displayed,
	# then a line "INJECTED=<what a shell would read next from it>".
	cat >"$TEST_TMP/pty.py" <<'PY'
import fcntl, os, select, sys, termios
out_path, typed, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
m, s = os.openpty()
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(s, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(s, fd)
    os.execvp(argv[0], argv)
if typed:
    os.write(m, typed.encode())
shown, status = b"", None
while True:
    r, _, _ = select.select([m], [], [], 0.05)
    if r:
        try:
            shown += os.read(m, 65536)
        except OSError:
            pass
    if status is None:
        w, st = os.waitpid(pid, os.WNOHANG)
        if w:
            status = st
    if status is not None and not r:
        break
# The host shell would read next whatever sits in the terminal's input queue.
attr = termios.tcgetattr(s)
attr[3] &= ~(termios.ICANON | termios.ECHO)
attr[6][termios.VMIN], attr[6][termios.VTIME] = 0, 0
termios.tcsetattr(s, termios.TCSANOW, attr)
queued = os.read(s, 65536)
with open(out_path, "w") as f:
    f.write(shown.decode(errors="replace"))
    f.write("\nINJECTED=%r\nSTATUS=%d\n" % (queued.decode(errors="replace"), os.waitstatus_to_exitcode(status)))
PY
}

sec_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
}

# under_pty INPUT ARGS...: run `hako ARGS` on a terminal; sets $pty_out.
under_pty() {
	local typed=$1
	shift
	python3 "$TEST_TMP/pty.py" "$TEST_TMP/pty.out" "$typed" \
		env HAKO_DEFAULT_NETWORK=none "$HAKO_BIN" --root "$TEST_TMP/root" \
		--runroot "$TEST_TMP/run" "$@"
	pty_out=$(cat "$TEST_TMP/pty.out")
}

# rt_under_pty ARGS...: the same for `hako-runtime ARGS`.
rt_under_pty() {
	python3 "$TEST_TMP/pty.py" "$TEST_TMP/pty.out" "" \
		"$HAKO_BIN_DIR/hako-runtime" --root "$TEST_TMP/rtstate" "$@"
	pty_out=$(cat "$TEST_TMP/pty.out")
}

# check_no_terminal FD0: the attacker ran, reached no terminal, ran in a
# session of its own, had FD0 as stdin and pipes as stdout and stderr.
check_no_terminal() {
	assert_contains "$pty_out" "sti=0 devtty=none leader=1 fd0=$1 fd1=pipe fd2=pipe end" \
		"the container process reached the caller's terminal"
	assert_contains "$pty_out" "INJECTED=''" "characters pushed into the caller's terminal"
	assert_contains "$pty_out" "STATUS=0"
}

test_exec_without_tty_gets_pipes_not_the_terminal() {
	sec_setup
	hako run -d --name ex -v "$TEST_TMP/bin:/x:ro" busybox sleep 600 >/dev/null
	under_pty "" exec ex /x/attack
	check_no_terminal /dev/null
	under_pty "" exec -i ex /x/attack
	check_no_terminal pipe
	# CAP_SYS_ADMIN may TIOCSTI into any terminal it holds, controlling or
	# not: only never handing one over protects the caller
	hako run -d --name priv --privileged -v "$TEST_TMP/bin:/x:ro" busybox sleep 600 >/dev/null
	under_pty "" exec priv /x/attack
	check_no_terminal /dev/null
	under_pty "" exec -i priv /x/attack
	check_no_terminal pipe
}

test_run_start_attach_never_pass_the_terminal() {
	sec_setup
	under_pty "" run --rm -v "$TEST_TMP/bin:/x:ro" busybox /x/attack
	check_no_terminal /dev/null
	under_pty "" run --rm -i --privileged -v "$TEST_TMP/bin:/x:ro" busybox /x/attack
	check_no_terminal pipe
	hako create --name st -v "$TEST_TMP/bin:/x:ro" busybox /x/attack >/dev/null
	under_pty "" start -a st
	check_no_terminal /dev/null
	# attach: the container waits for a line typed on the caller's terminal
	hako run -d -i --name at -v "$TEST_TMP/bin:/x:ro" busybox sh -c 'read x; /x/attack' >/dev/null
	under_pty $'go\n' attach at
	check_no_terminal pipe
}

# hako-runtime exec and run: the caller's stdio is the contract (the engine
# above passes its own pipes), but the process gets a session of its own,
# so the terminal it holds is not its controlling one: TIOCSTI fails
# (EPERM without CAP_SYS_ADMIN, as the default spec has).
test_runtime_exec_and_run_start_a_new_session() {
	local id
	sec_setup
	id="sec-$(basename "$TEST_TMP" | tr -cd 'a-zA-Z0-9')"
	make_bundle "$TEST_TMP/b" sleep 600
	cp "$TEST_TMP/bin/attack" "$TEST_TMP/b/rootfs/attack"
	defer hako_runtime delete --force "$id"
	hako_runtime run -d --bundle "$TEST_TMP/b" "$id" </dev/null >/dev/null 2>&1
	rt_under_pty exec "$id" /attack
	assert_contains "$pty_out" "sti=0 devtty=none leader=1 fd0=/dev/pts/" \
		"hako-runtime exec left the process in the caller's session"
	assert_contains "$pty_out" "INJECTED=''" "characters pushed into the caller's terminal"
	hako_runtime delete --force "$id"
	jq_edit "$TEST_TMP/b/config.json" '.process.args = ["/attack"]'
	rt_under_pty run --bundle "$TEST_TMP/b" "$id"
	assert_contains "$pty_out" "sti=0 devtty=none leader=1 fd0=/dev/pts/" \
		"hako-runtime run left the process in the caller's session"
	assert_contains "$pty_out" "INJECTED=''" "characters pushed into the caller's terminal"
}

# What the relayed pipes of exec must keep: exit codes, stdout and stderr
# apart, the whole output, stdin only with -i and its EOF, a gone reader's
# EPIPE back to the writer, signals forwarded.
test_exec_relay_keeps_streams_codes_eof_signals() {
	local out err pid
	sec_setup
	hako run -d --name rl busybox sleep 600 >/dev/null
	run hako exec rl sh -c 'exit 3'
	assert_status 3
	out=$(hako exec rl sh -c 'echo to-out; echo to-err >&2' 2>/dev/null)
	assert_eq "$out" to-out
	err=$(hako exec rl sh -c 'echo to-out; echo to-err >&2' 2>&1 >/dev/null)
	assert_eq "$err" to-err
	assert_eq "$(hako exec rl head -c 3000000 /dev/zero | wc -c)" 3000000
	hako exec rl head -c 3000000 /dev/zero >"$TEST_TMP/f"
	hako exec rl echo appended >>"$TEST_TMP/f"
	assert_eq "$(wc -c <"$TEST_TMP/f")" 3000009
	# stdin: only with -i, and its EOF reaches the process
	assert_eq "$(printf 'a\nb\n' | hako exec -i rl wc -l)" 2
	assert_eq "$(printf 'a\nb\n' | hako exec rl cat)" ""
	# a process that never reads stdin still gets its output out
	assert_eq "$(yes | hako exec -i rl head -c 3000000 /dev/zero | wc -c)" 3000000
	# the reader is gone: the writer gets EPIPE and ends
	assert_eq "$(hako exec rl yes | head -c 100000 | wc -c)" 100000
	# a child left holding stdout does not keep exec waiting
	run hako exec rl sh -c 'sleep 600 & echo started'
	assert_status 0
	assert_eq "$output" started
	# signals are forwarded (hako itself, not a subshell running the
	# hako function, gets the signal)
	HAKO_DEFAULT_NETWORK=none "$HAKO_BIN" --root "$TEST_TMP/root" --runroot "$TEST_TMP/run" \
		exec rl sh -c 'trap "exit 7" TERM; echo ready; while :; do sleep 0.05; done' \
		>"$TEST_TMP/sig" 2>&1 &
	pid=$!
	wait_for 10 grep -q ready "$TEST_TMP/sig"
	kill -TERM "$pid"
	set +e
	wait "$pid"
	status=$?
	set -e
	assert_eq "$status" 7 "exit status after a forwarded SIGTERM"
}

# hako's cgroups that are empty and were not there at the start ($1: the
# list then): what a failed start must not leave.  Other hako users of the
# host come and go meanwhile, so the caller waits for none to remain.
new_empty_cgroups() {
	local d
	for d in /sys/fs/cgroup/*/hako/* /sys/fs/cgroup/hako/*; do
		[ -d "$d" ] || continue
		[[ $'\n'$1$'\n' == *$'\n'"$d"$'\n'* ]] && continue
		[ -s "$d/cgroup.procs" ] && continue
		echo "$d"
	done
}
no_new_empty_cgroups() { [ -z "$(new_empty_cgroups "$1")" ]; }

# A failed `run --rm` start, in every way a start can fail, leaves nothing:
# the monitor reported the failure and still held its lock while the CLI
# removed the container, which was then taken for restarted and left in
# Created.
test_failed_run_rm_leaves_nothing() {
	local before
	sec_setup
	before=$(new_empty_cgroups "")
	mkdir -p "$TEST_TMP/empty"
	for _ in 1 2 3 4; do
		run hako run --rm busybox /no/such/program
		assert_status 127
		run hako run --rm busybox /etc/passwd
		assert_status 126
		run hako run --rm -v "$TEST_TMP/empty:/x" busybox /x/prog
		assert_status 127
		run hako run --rm -w /sys/no-such-dir busybox true
		assert_status 125
		run hako run --rm -u no-such-user busybox true
		assert_status 125
		run hako run --rm -v /etc/hostname:/proc/x busybox true
		assert_status 125
		run hako run --rm --tmpfs /x:mode=bogus busybox true
		assert_status 125
		run hako run --rm --read-only -v "$TEST_TMP/empty:/x:ro" busybox sh -c 'touch /x/f'
		assert_status 1
	done
	run hako ps -a --format '{{.Names}} {{.Status}}'
	assert_eq "$output" "" "containers left by failed run --rm"
	assert_not_contains "$(cat /proc/self/mountinfo)" "$TEST_TMP/" "mounts left"
	wait_for 10 no_new_empty_cgroups "$before"
}

# A container killed by the OOM killer of its cgroup: 137 and
# State.OOMKilled, as Docker (the monitor reads memory.events on v2, the
# oom_kill counter of memory.oom_control on v1, before the cgroup goes).
test_oom_kill_is_recorded() {
	sec_setup
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] &&
		! grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
		skip "no memory controller delegated on this v2 host"
	fi
	[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || [ -d /sys/fs/cgroup/memory ] ||
		skip "no memory controller"
	# dd's 64 MiB buffer, filled from /dev/zero, in 16 MiB
	run hako run --name oom --memory 16m busybox dd if=/dev/zero of=/dev/null bs=64M count=1
	assert_status 137
	assert_eq "$(hako inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' oom)" "true 137"
	# a kill of another kind is not an OOM kill
	hako run -d --name other --memory 16m busybox sleep 600 >/dev/null
	hako kill other >/dev/null
	assert_eq "$(hako inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' other)" "false 137"
	# a child killed counts too (Docker's OOM event is the cgroup's); the
	# flag is the last run's: a start clears it
	run hako run --name once --memory 16m busybox \
		sh -c '[ -e /once ] && exit 0; touch /once; dd if=/dev/zero of=/dev/null bs=64M count=1'
	assert_status 137
	assert_eq "$(hako inspect --format '{{.State.OOMKilled}}' once)" "true"
	run hako start -a once
	assert_status 0
	assert_eq "$(hako inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' once)" "false 0"
}

# Two runroots over one root: each took the other's running containers for
# ones whose monitor died and marked them "Exited (137)" while they ran.
# The root is refused to a second runroot while a monitor lives under the
# first; once none does (a reboot, a move), the new one takes over.
test_second_runroot_is_refused_while_the_first_is_in_use() {
	sec_setup
	other() { HAKO_DEFAULT_NETWORK=none "$HAKO_BIN" --root "$TEST_TMP/root" --runroot "$TEST_TMP/run2" "$@"; }
	defer other rm -f up2
	hako run -d --name up busybox sleep 600 >/dev/null
	run other ps -a
	assert_status 125
	assert_contains "$output" "$TEST_TMP/run"
	assert_contains "$output" "$TEST_TMP/run2"
	run other run --rm busybox true
	assert_status 125
	assert_eq "$(hako inspect --format '{{.State.Status}}' up)" running
	assert_contains "$(hako ps --format '{{.Names}} {{.Status}}')" "up Up"
	# nothing runs from the first runroot any more: the second takes over,
	# and then the first is the one refused while the second is in use
	hako rm -f up >/dev/null
	other run -d --name up2 busybox sleep 600 >/dev/null
	run hako ps -a
	assert_status 125
	assert_eq "$(other inspect --format '{{.State.Status}}' up2)" running
	other rm -f up2 >/dev/null
	run hako ps -a
	assert_status 0
}
