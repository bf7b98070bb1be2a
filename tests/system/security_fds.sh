# Attacks on the fds and the working directory a container process starts
# with (CVE-2024-21626 and CVE-2016-9962 classes), and on the signal
# dispositions it inherits.  A marker file on the host stands for
# /etc/shadow: no attack may ever print it.

sec_setup() {
	hako image build-default >/dev/null
	defer sec_cleanup
	SECRET="host-secret-$RANDOM$RANDOM"
	echo "$SECRET" >"$TEST_TMP/marker"
	chmod 600 "$TEST_TMP/marker"
	# enough ".." to reach the host's / from any host directory
	UP=../../../../../../../../../../../../../../../..
	STEAL="cat $UP$TEST_TMP/marker; pwd"
	ROOTS=(--root "$TEST_TMP/root" --runroot "$TEST_TMP/run")
}

sec_cleanup() {
	local id
	for id in $(hako ps -aq --no-trunc 2>/dev/null); do hako rm -f "$id"; done
}

# A bundle whose cgroup is this test's own (see runtime_process.sh).
sec_bundle() {
	make_bundle "$@"
	jq_edit "$1/config.json" ".linux.cgroupsPath = \"/hako-test/${TEST_TMP##*/}-${1##*/}\""
}

# The attempt never read the marker and failed with an error about the
# working directory.  Every attempt of a loop is checked before the test
# fails, so that a failure lists them all.
ESCAPES=()
UNCLEAR=()
check_no_escape() {
	local what=$1
	if [[ $output == *"$SECRET"* ]]; then
		ESCAPES+=("$what: $output")
	elif [[ $status == 0 || $output != *"working directory"* ]]; then
		UNCLEAR+=("$what: status $status: $output")
	fi
	return 0
}
assert_no_escapes() {
	local e
	for e in "${ESCAPES[@]}"; do echo "ESCAPE $e" | tr '\n' ' ' >&2; echo >&2; done
	for e in "${UNCLEAR[@]}"; do echo "UNCLEAR $e" | tr '\n' ' ' >&2; echo >&2; done
	((${#ESCAPES[@]} == 0)) || fail "${#ESCAPES[@]} attempts read the host's file"
	((${#UNCLEAR[@]} == 0)) || fail "${#UNCLEAR[@]} attempts without a clear error"
}

test_run_workdir_proc_fd_refused() {
	sec_setup
	local n
	for n in $(seq 3 25); do
		run hako run --rm -w /proc/self/fd/$n busybox sh -c "$STEAL"
		check_no_escape "run -w /proc/self/fd/$n"
	done
	# a path through /proc/self/cwd or a symlink to it is a magic link too
	run hako run --rm -w /proc/self/cwd busybox sh -c "$STEAL"
	check_no_escape "run -w /proc/self/cwd"
	assert_no_escapes
	# a plain path still works and a symlink inside the image stays inside
	run hako run --rm -w /tmp/wd busybox pwd
	assert_status 0
	assert_eq "$output" /tmp/wd
}

# The other half of CVE-2024-21626: the program itself named through a fd
# of the runtime, a host binary run (and, opened for writing, overwritten).
test_run_program_through_proc_fd_refused() {
	sec_setup
	local n
	mkdir -p "$TEST_TMP/bin"
	printf '#include <stdio.h>\nint main(void){puts("HOST-PROGRAM-RAN");return 0;}\n' >"$TEST_TMP/hp.c"
	gcc -static -o "$TEST_TMP/bin/hostprog" "$TEST_TMP/hp.c" || skip "gcc -static failed"
	for n in $(seq 3 25); do
		run hako run --rm busybox "/proc/self/fd/$n/$UP$TEST_TMP/bin/hostprog"
		assert_not_contains "$output" HOST-PROGRAM-RAN "run of /proc/self/fd/$n/..."
		assert_ne "$status" 0
	done
	sec_bundle "$TEST_TMP/b" true
	for n in $(seq 3 25); do
		jq_edit "$TEST_TMP/b/config.json" ".process.args = [\"/proc/self/fd/$n/$UP$TEST_TMP/bin/hostprog\"]"
		run hako_runtime run -b "$TEST_TMP/b" c$n
		hako_runtime delete --force c$n >/dev/null 2>&1 || true
		assert_not_contains "$output" HOST-PROGRAM-RAN "process.args /proc/self/fd/$n/..."
	done
}

test_image_workdir_proc_fd_refused() {
	sec_setup
	local n
	tar -C "$TEST_ROOTFS" -cf "$TEST_TMP/rootfs.tar" .
	for n in $(seq 3 25); do
		hako import -c "WORKDIR /proc/self/fd/$n" -c "CMD [\"sh\", \"-c\", \"$STEAL\"]" \
			"$TEST_TMP/rootfs.tar" evil:$n >/dev/null
		run hako run --rm evil:$n
		check_no_escape "image WORKDIR /proc/self/fd/$n"
	done
	assert_no_escapes
}

test_exec_workdir_proc_fd_refused() {
	sec_setup
	local n
	hako run -d --name victim busybox sleep 1000 >/dev/null
	for n in $(seq 3 25); do
		run hako exec -w /proc/self/fd/$n victim sh -c "$STEAL"
		check_no_escape "exec -w /proc/self/fd/$n"
	done
	assert_no_escapes
	run hako exec -w /tmp victim pwd
	assert_status 0
	assert_eq "$output" /tmp
}

test_runtime_cwd_proc_fd_refused() {
	sec_setup
	local n
	sec_bundle "$TEST_TMP/b" sleep 1000
	defer hako_runtime delete --force victim
	hako_runtime run -d -b "$TEST_TMP/b" victim
	for n in $(seq 3 25); do
		run hako_runtime exec --cwd /proc/self/fd/$n victim sh -c "$STEAL"
		check_no_escape "hako-runtime exec --cwd /proc/self/fd/$n"
	done
	# process.cwd of a bundle
	sec_bundle "$TEST_TMP/c" sh -c "$STEAL"
	for n in $(seq 3 25); do
		jq_edit "$TEST_TMP/c/config.json" ".process.cwd = \"/proc/self/fd/$n\""
		run hako_runtime run -b "$TEST_TMP/c" c$n
		hako_runtime delete --force c$n >/dev/null 2>&1 || true
		check_no_escape "process.cwd /proc/self/fd/$n"
	done
	# a symlink in the rootfs to a magic link is refused as well
	ln -s /proc/self/fd/5 "$TEST_TMP/c/rootfs/evil"
	jq_edit "$TEST_TMP/c/config.json" '.process.cwd = "/evil"'
	run hako_runtime run -b "$TEST_TMP/c" csym
	hako_runtime delete --force csym >/dev/null 2>&1 || true
	check_no_escape "process.cwd through a symlink to /proc/self/fd/5"
	assert_no_escapes
	# a relative cwd is not a valid spec
	jq_edit "$TEST_TMP/c/config.json" '.process.cwd = "tmp"'
	run hako_runtime run -b "$TEST_TMP/c" crel
	assert_ne "$status" 0
	assert_contains "$output" "is not an absolute path"
}

# The fd thief: pid 1 of the container scans /proc for new processes and
# tries, through each of their fds, to walk to the host's / and read the
# marker; it reports what it could open when /tmp/stop appears.
_build_thief() {
	mkdir -p "$TEST_TMP/bin"
	cat >"$TEST_TMP/thief.c" <<'EOF'
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *rel = argv[1];
	long dirs = 0, denied = 0, rounds = 0, seen = 0;
	char path[64], buf[256];
	pid_t self = getpid();
	int last = 1;

	setvbuf(stdout, NULL, _IONBF, 0);
	printf("thief ready\n");
	while (access("/tmp/stop", F_OK) != 0) {
		DIR *d = opendir("/proc");
		struct dirent *e;
		rounds++;
		while (d && (e = readdir(d))) {
			int pid = atoi(e->d_name);
			if (pid <= 1 || pid == self)
				continue;
			if (pid > last) {
				last = pid;
				seen++;
			}
			for (int n = 3; n < 64; n++) {
				snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, n);
				int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
				if (fd < 0) {
					if (errno == EACCES || errno == EPERM)
						denied++;
					if (errno == ENOENT && n > 20)
						break;
					continue;
				}
				dirs++;
				int f = openat(fd, rel, O_RDONLY | O_CLOEXEC);
				if (f >= 0) {
					ssize_t r = read(f, buf, sizeof(buf) - 1);
					buf[r > 0 ? r : 0] = 0;
					printf("ESCAPED through %s: %s", path, buf);
					close(f);
				}
				close(fd);
			}
		}
		if (d)
			closedir(d);
	}
	printf("thief done: rounds=%ld pids=%ld dirs=%ld denied=%ld\n", rounds, seen, dirs,
	       denied);
	return 0;
}
EOF
	gcc -static -O2 -o "$TEST_TMP/bin/thief" "$TEST_TMP/thief.c" || skip "gcc -static failed"
}

test_exec_fd_theft_during_setup() {
	sec_setup
	_build_thief
	local i logs failed=0
	hako run -d --name victim -v "$TEST_TMP/bin:/x:ro" busybox \
		/x/thief "${UP#../}$TEST_TMP/marker" >/dev/null
	wait_for 10 sh -c '"$0" "$@" logs victim | grep -q "thief ready"' "$HAKO_BIN" "${ROOTS[@]}"
	# an exec killed (137) now and then under load is counted, not fatal:
	# what is tested is that none of them lends the thief a host fd
	# (the 137 itself is an open question, see the stop 10 note)
	for i in $(seq 200); do
		hako exec victim true || failed=$((failed + 1))
	done
	echo "execs failed: $failed of 200"
	((failed < 20)) || fail "$failed of 200 execs failed"
	hako exec victim touch /tmp/stop
	hako wait victim >/dev/null
	logs=$(hako logs victim 2>&1)
	echo "$logs"
	assert_contains "$logs" "thief done"
	assert_not_contains "$logs" "ESCAPED"
	assert_not_contains "$logs" "$SECRET"
	# no process of an exec ever showed a directory fd to the container
	assert_contains "$logs" " dirs=0 "
}

# The same thief against the init path: the inits of containers that join
# its pid namespace (by path, the slow path of create) are visible to it
# during their whole setup.
test_runtime_init_fd_theft_shared_pidns() {
	sec_setup
	_build_thief
	local i pid
	sec_bundle "$TEST_TMP/a" /thief "${UP#../}$TEST_TMP/marker"
	cp "$TEST_TMP/bin/thief" "$TEST_TMP/a/rootfs/thief"
	defer hako_runtime delete --force thief
	hako_runtime run -d -b "$TEST_TMP/a" thief >"$TEST_TMP/thief.log" 2>&1
	pid=$(hako_runtime state thief | jq -r .pid)
	wait_for 10 grep -q "thief ready" "$TEST_TMP/thief.log"
	sec_bundle "$TEST_TMP/b" true
	jq_edit "$TEST_TMP/b/config.json" \
		"(.linux.namespaces[] | select(.type == \"pid\")) += {path: \"/proc/$pid/ns/pid\"}"
	for i in $(seq 50); do
		hako_runtime run -b "$TEST_TMP/b" "v$i" >/dev/null
		hako_runtime delete --force "v$i" >/dev/null 2>&1 || true
	done
	touch "$TEST_TMP/a/rootfs/tmp/stop"
	wait_for 10 grep -q "thief done" "$TEST_TMP/thief.log"
	cat "$TEST_TMP/thief.log"
	assert_not_contains "$(cat "$TEST_TMP/thief.log")" "ESCAPED"
	assert_not_contains "$(cat "$TEST_TMP/thief.log")" "$SECRET"
	assert_contains "$(cat "$TEST_TMP/thief.log")" " dirs=0 "
}

test_signal_dispositions_reset() {
	sec_setup
	local pipe='yes | head -c 1048576 | wc -c'
	run timeout 60 "$HAKO_BIN" "${ROOTS[@]}" run --rm busybox sh -c "$pipe"
	assert_status 0
	assert_eq "$output" 1048576
	run hako run --rm busybox grep -E '^Sig(Ign|Blk)' /proc/self/status
	assert_status 0
	assert_contains "$output" "SigBlk:	0000000000000000"
	assert_contains "$output" "SigIgn:	0000000000000000"
	hako run -d --name victim busybox sleep 1000 >/dev/null
	run timeout 60 "$HAKO_BIN" "${ROOTS[@]}" exec victim sh -c "$pipe"
	assert_status 0
	assert_eq "$output" 1048576
	run hako exec victim grep -E '^Sig(Ign|Blk)' /proc/self/status
	assert_contains "$output" "SigBlk:	0000000000000000"
	assert_contains "$output" "SigIgn:	0000000000000000"
	# hako-runtime, started with every signal it can ignore ignored
	sec_bundle "$TEST_TMP/b" grep -E '^Sig(Ign|Blk)' /proc/self/status
	run sh -c 'trap "" HUP INT QUIT PIPE TERM USR1; exec "$0" --root "$1" run -b "$2" c1' \
		"$HAKO_BIN_DIR/hako-runtime" "$TEST_TMP/rtstate" "$TEST_TMP/b"
	assert_status 0
	assert_contains "$output" "SigIgn:	0000000000000000"
	# glibc's own signals (32, 33) left ignored by a caller: its sigaction
	# refuses them, the raw rt_sigaction does not (seen under a CI runner)
	require_cmd python3
	run python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
class K(ctypes.Structure):
    _fields_ = [("h", ctypes.c_void_p), ("f", ctypes.c_ulong), ("r", ctypes.c_void_p), ("m", ctypes.c_ulong)]
ign = K(1, 0, None, 0)
for sig in (32, 33):
    libc.syscall(13, sig, ctypes.byref(ign), None, 8)
os.execv(sys.argv[1], sys.argv[1:])' "$HAKO_BIN" "${ROOTS[@]}" run --rm busybox grep -E "^SigIgn" /proc/self/status
	assert_status 0
	assert_contains "$output" "SigIgn:	0000000000000000"
}
