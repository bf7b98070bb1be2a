# hako-runtime: seccomp filters load in the right order (with and without
# no_new_privs) and apply to exec too.

# A bundle whose cgroup is this test's own: test suites of several checkouts
# may run at once on one machine, and the default cgroup (hako/<id>) would be
# shared by their containers of the same name.
rt_bundle() {
	make_bundle "$@"
	jq_edit "$1/config.json" ".linux.cgroupsPath = \"/hako-test/${TEST_TMP##*/}-${1##*/}\""
}

seccomp_bundle() {
	rt_bundle "$TEST_TMP/b" "$@"
	jq_edit "$TEST_TMP/b/config.json" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["personality"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
}

test_runtime_seccomp_with_and_without_nnp() {
	seccomp_bundle hk-testhelper syscall personality
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	assert_contains "$output" "errno 1"
	# without no_new_privs the filter is loaded while we still have CAP_SYS_ADMIN
	jq_edit "$TEST_TMP/b/config.json" '.process.noNewPrivileges = false'
	run hako_runtime run -b "$TEST_TMP/b" c2
	assert_status 0
	assert_contains "$output" "errno 1"
	# and other syscalls still work
	jq_edit "$TEST_TMP/b/config.json" '.process.args = ["hk-testhelper", "syscall", "getpid"]'
	run hako_runtime run -b "$TEST_TMP/b" c3
	assert_eq "$output" ok
}

test_runtime_seccomp_applies_to_exec() {
	seccomp_bundle sleep 30
	defer hako_runtime delete --force c1
	hako_runtime run -d -b "$TEST_TMP/b" c1
	run hako_runtime exec c1 hk-testhelper syscall personality
	assert_contains "$output" "errno 1"
}

test_runtime_seccomp_bad_profile() {
	seccomp_bundle true
	jq_edit "$TEST_TMP/b/config.json" '.linux.seccomp.defaultAction = "SCMP_ACT_BOGUS"'
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_ne "$status" 0
	assert_contains "$output" "linux.seccomp"
	assert_no_file "$TEST_TMP/rtstate/c1"
}

# The compiled filter is kept in <root>/.seccomp/ and reused only for the
# same profile text: a second run loads it (same effect), a damaged file is
# a miss (recompiled, still enforced), another profile gets its own file,
# and a profile with flags keeps the libseccomp path (no file).
test_runtime_seccomp_compiled_filter_cache() {
	local cache="$TEST_TMP/rtstate/.seccomp" f
	seccomp_bundle hk-testhelper syscall personality
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_contains "$output" "errno 1"
	assert_eq "$(ls "$cache" | wc -l)" 1 "one cached filter"
	f=$(ls "$cache"/*.bpf)
	run hako_runtime run -b "$TEST_TMP/b" c2
	assert_contains "$output" "errno 1"
	assert_eq "$(ls "$cache" | wc -l)" 1 "the same profile reuses its file"
	# damage the program: the stored profile text no longer matches the size
	truncate -s 100 "$f"
	run hako_runtime run -b "$TEST_TMP/b" c3
	assert_contains "$output" "errno 1"
	[ "$(stat -c %s "$f")" -gt 100 ] || fail "a damaged cache file was not rewritten"
	# another profile (EPERM -> EACCES) gets its own program, and it is enforced
	jq_edit "$TEST_TMP/b/config.json" '.linux.seccomp.syscalls[0].errnoRet = 13'
	run hako_runtime run -b "$TEST_TMP/b" c4
	assert_contains "$output" "errno 13"
	assert_eq "$(ls "$cache" | wc -l)" 2 "a second profile, a second file"
	# flags: compiled by libseccomp in the container, nothing stored
	jq_edit "$TEST_TMP/b/config.json" '.linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_LOG"] |
		.linux.seccomp.syscalls[0].errnoRet = 22'
	run hako_runtime run -b "$TEST_TMP/b" c5
	assert_contains "$output" "errno 22"
	assert_eq "$(ls "$cache" | wc -l)" 2 "a profile with flags is not cached"
}

# A seccomp agent: accepts one connection, writes the process state it gets
# (and whether an fd came with it) to a file, then answers every
# notification with success (0) without running the call.
build_agent() {
	cat >"$TEST_TMP/agent.c" <<'EOC'
/* A seccomp agent for the test: accepts one connection on argv[1], writes
 * the process state it gets to argv[2], then answers every notification
 * with success (0) without running the call, until the process is gone. */
#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[65536], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {buf, sizeof(buf) - 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	int l, c, fd = -1;
	ssize_t n;
	FILE *out;

	if (argc < 3)
		return 2;
	strncpy(sa.sun_path, argv[1], sizeof(sa.sun_path) - 1);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0)
		return perror("listen"), 1;
	printf("ready\n");
	fflush(stdout);
	c = accept(l, NULL, NULL);
	if (c < 0)
		return perror("accept"), 1;
	n = recvmsg(c, &mh, 0);
	if (n <= 0)
		return perror("recvmsg"), 1;
	buf[n] = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	/* the rest of the message, to EOF: the runtime closes after one state */
	while ((size_t)n < sizeof(buf) - 1) {
		ssize_t k = read(c, buf + n, sizeof(buf) - 1 - (size_t)n);
		if (k <= 0)
			break;
		n += k;
	}
	buf[n] = 0;
	out = fopen(argv[2], "w");
	fprintf(out, "%s\nfd=%s\n", buf, fd >= 0 ? "yes" : "no");
	fclose(out);
	if (fd < 0)
		return 1;
	for (;;) {
		struct seccomp_notif req = {0};
		struct seccomp_notif_resp resp = {0};
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		resp.id = req.id;
		resp.val = 0;
		resp.error = 0;
		ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}
EOC
	gcc -O1 -o "$TEST_TMP/agent" "$TEST_TMP/agent.c" || skip "gcc failed"
}

start_agent() {
	rm -f "$TEST_TMP/agent.sock"
	"$TEST_TMP/agent" "$TEST_TMP/agent.sock" "$TEST_TMP/agent-state.json" >"$TEST_TMP/agent.out" &
	local apid=$!
	defer kill "$apid"
	wait_for 10 grep -q ready "$TEST_TMP/agent.out" || fail "the agent did not start"
}

# linux.seccomp.listenerPath: the runtime sends the container process state
# (runtime.md) with the listener fd; the agent then decides the calls.
test_runtime_seccomp_notify_listener() {
	build_agent
	rt_bundle "$TEST_TMP/b" sh -c 'mkdir /made && echo mkdir-rc=$?; ls -d /made 2>/dev/null || echo not-made'
	jq_edit "$TEST_TMP/b/config.json" ".root.readonly = false | .linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\",
		listenerPath: \"$TEST_TMP/agent.sock\", listenerMetadata: \"meta-1\",
		syscalls: [{names: [\"mkdir\", \"mkdirat\"], action: \"SCMP_ACT_NOTIFY\"}]}"
	local nnp
	for nnp in true false; do
		jq_edit "$TEST_TMP/b/config.json" ".process.noNewPrivileges = $nnp"
		start_agent
		run hako_runtime run -b "$TEST_TMP/b" "c-$nnp"
		assert_status 0
		# the agent said "done" without making the directory
		assert_contains "$output" "mkdir-rc=0"
		assert_contains "$output" "not-made"
		assert_contains "$(cat "$TEST_TMP/agent-state.json")" "fd=yes"
		assert_eq "$(head -1 "$TEST_TMP/agent-state.json" | jq -r '.fds[0] + " " + .metadata + " " + .state.id')" "seccompFd meta-1 c-$nnp"
		[ "$(head -1 "$TEST_TMP/agent-state.json" | jq -r .pid)" -gt 0 ] || fail "no pid in the process state"
	done
	assert_no_file "$TEST_TMP/b/rootfs/made"
	# nobody listening: create fails and names the path
	rm -f "$TEST_TMP/agent.sock"
	run hako_runtime run -b "$TEST_TMP/b" c3
	assert_status 1
	assert_contains "$output" "linux.seccomp.listenerPath: connect $TEST_TMP/agent.sock"
	# SCMP_ACT_NOTIFY without a listener is refused
	jq_edit "$TEST_TMP/b/config.json" 'del(.linux.seccomp.listenerPath)'
	run hako_runtime run -b "$TEST_TMP/b" c4
	assert_status 1
	assert_contains "$output" "SCMP_ACT_NOTIFY needs a listenerPath"
}

# crun's run.oci.seccomp_fail_unknown_syscall: an unknown name fails create
# instead of being skipped.
test_runtime_seccomp_fail_unknown_syscall() {
	rt_bundle "$TEST_TMP/b" true
	jq_edit "$TEST_TMP/b/config.json" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["getpid", "no_such_syscall_hk"], action: "SCMP_ACT_ERRNO"}]}'
	run hako_runtime run -b "$TEST_TMP/b" c1
	assert_status 0
	jq_edit "$TEST_TMP/b/config.json" '.annotations["run.oci.seccomp_fail_unknown_syscall"] = "1"'
	run hako_runtime run -b "$TEST_TMP/b" c2
	assert_status 1
	assert_contains "$output" 'unknown syscall "no_such_syscall_hk"'
}
