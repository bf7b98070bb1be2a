/* hako runtime: exec a new process in a running container.
 *
 * The first child joins the container's cgroup and, with one setns() on a
 * pidfd, every namespace that differs from ours; a pid namespace only
 * applies to children, so it forks the real process, reports its pid and
 * exits (in the foreground we are a subreaper, so the process comes back to
 * us).  That process sets itself up as the
 * init did (user, caps, no_new_privs, seccomp, cwd) and execs. */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "runtime/internal.h"
#include "runtime/seccomp.h"
#include "util/json.h"
#include "util/log.h"
#include "util/sealexec.h"
#include "util/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const int ns_types[] = {CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWNET,    CLONE_NEWIPC,
			       CLONE_NEWUTS,  CLONE_NEWPID, CLONE_NEWCGROUP, CLONE_NEWTIME};

/* The namespaces of pid that are not ours. */
static int ns_to_join(pid_t pid, int *flags, struct hk_error **err)
{
	*flags = 0;
	for (size_t i = 0; i < ARRAY_SIZE(ns_types); i++) {
		const char *n = spec_ns_proc_name(ns_types[i]);
		char a[64], b[64];
		struct stat sa, sb;
		snprintf(a, sizeof(a), "/proc/self/ns/%s", n);
		snprintf(b, sizeof(b), "/proc/%d/ns/%s", (int)pid, n);
		if (stat(b, &sb) < 0) {
			if (errno == ENOENT && stat(a, &sa) < 0)
				continue; /* the kernel lacks it */
			return hk_error_errno(err, "stat %s", b);
		}
		if (stat(a, &sa) < 0 || sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev)
			*flags |= ns_types[i];
	}
	return 0;
}

struct exec_ctx {
	struct rt_container *c;
	struct rt_process p;
	json_object *seccomp;
	const struct runtime_opts *opts;
	int pidfd, nsflags, sock[2];
	int stub_fd; /* the sealed stub the program is exec'd through */
	bool userns;
};

static void exec_stage2(struct exec_ctx *x) __attribute__((noreturn));

static void exec_child(struct exec_ctx *x)
{
	_cleanup_error_ struct hk_error *err = NULL;
	int fd = x->sock[1];
	sigset_t none;
	pid_t p;

	/* Until the execve, nobody in the container may open our fds through
	 * /proc/PID/fd or ptrace us (CVE-2016-9962): the kernel makes the
	 * program dumpable again at its exec. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	close(x->sock[0]);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (x->c->cg && cgroup_enter(x->c->cg, getpid(), &err) < 0)
		sync_fail(fd, err);
	if (x->nsflags && setns(x->pidfd, x->nsflags) < 0) {
		hk_error_errno(&err, "join the namespaces of pid %d", (int)x->c->pid);
		sync_fail(fd, err);
	}
	/* the stdio taken, every other fd of the caller (cgroup and state
	 * directories, the pidfd, the signalfd, an engine's database) is closed
	 * before the process can be seen in the container's pid namespace */
	for (int i = 0; i < 3; i++)
		if (x->opts->stdio_fds[i] >= 0 && x->opts->stdio_fds[i] != i &&
		    dup2(x->opts->stdio_fds[i], i) < 0) {
			hk_error_errno(&err, "dup2 stdio");
			sync_fail(fd, err);
		}
	child_close_fds(x->opts->preserve_fds, (int[]){fd, x->stub_fd}, 2);
	x->pidfd = -1;
	if (!(x->nsflags & (CLONE_NEWPID | CLONE_NEWTIME)))
		exec_stage2(x);
	/* the process waits until we have reported its pid, so that its own
	 * messages never interleave with ours on the socket */
	int gate[2];
	char b;
	if (pipe2(gate, O_CLOEXEC) < 0) {
		hk_error_errno(&err, "pipe");
		sync_fail(fd, err);
	}
	p = fork();
	if (p < 0) {
		hk_error_errno(&err, "fork");
		sync_fail(fd, err);
	}
	if (p == 0) {
		close(gate[1]);
		while (read(gate[0], &b, 1) < 0 && errno == EINTR)
			;
		close(gate[0]);
		exec_stage2(x);
	}
	int32_t v = p;
	sync_send(fd, SYNC_PID, &v, sizeof(v));
	_exit(0);
}

static void exec_stage2(struct exec_ctx *x)
{
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_free_ char *exe = NULL;
	int fd = x->sock[1];

	if (x->userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		hk_error_errno(&err, "setuid 0 in the user namespace");
		sync_fail(fd, err);
	}
	/* A session of its own, terminal or not (as runc's nsexec): left in
	 * the caller's, it would keep the caller's terminal as its controlling
	 * one, reachable through /dev/tty, and TIOCSTI on it types commands
	 * into the caller's shell (issue 20). */
	if (setsid() < 0) {
		hk_error_errno(&err, "setsid");
		sync_fail(fd, err);
	}
	if (x->p.terminal)
		child_setup_terminal(fd, x->p.console_rows, x->p.console_cols);
	if (process_prepare(&x->p, x->seccomp, x->userns, false, &exe, &err) < 0)
		sync_fail(fd, err);
	prctl(PR_SET_PDEATHSIG, 0);
	process_exec(&x->p, exe, x->stub_fd, fd, SYNC_ERROR, &err);
	sync_fail(fd, err);
}

/* Read what the children report until the socket closes (the program's
 * exec closed it) or an error arrives. */
static int exec_wait_started(struct exec_ctx *x, pid_t *pid, int *master, struct hk_error **err)
{
	for (;;) {
		char tag;
		int r = sync_recv_tag(x->sock[0], &tag, err);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		switch (tag) {
		case SYNC_PID: {
			int32_t v;
			if (read_all(x->sock[0], &v, sizeof(v)) != sizeof(v))
				return hk_error_set(err, EPROTO, "sync: truncated pid");
			waitpid(*pid, NULL, 0);
			*pid = v;
			break;
		}
		case SYNC_PTY: {
			int m = -1;
			if (fd_recv(x->sock[0], &m, err) < 0)
				return -1;
			if (*master >= 0)
				close(*master);
			*master = m;
			break;
		}
		case SYNC_ERROR:
			hk_error_recv(x->sock[0], err);
			if (!*err)
				hk_error_set(err, EIO, "exec failed");
			return -1;
		default:
			return hk_error_set(err, EPROTO, "sync: unexpected '%c'", tag);
		}
	}
}

int runtime_exec(const char *state_root, const char *id, json_object *process,
		 const struct runtime_opts *opts, bool detach, pid_t *pid_out,
		 struct hk_error **err)
{
	struct rt_container c;
	struct exec_ctx x = {.c = &c, .opts = opts, .pidfd = -1, .sock = {-1, -1}, .stub_fd = -1};
	_cleanup_close_ int sfd = -1;
	json_object *v = NULL;
	int master = -1, code = 0;
	int relay[3] = {opts->relay_fds[0], opts->relay_fds[1], opts->relay_fds[2]};
	enum rt_status st;
	sigset_t old;
	pid_t pid = -1;
	bool masked = false;

	if (container_load(state_root, id, &c, err) < 0) {
		for (int i = 0; i < 3; i++)
			if (relay[i] >= 0)
				close(relay[i]);
		return hk_error_wrap(err, "exec");
	}
	st = container_status(&c);
	if (st != RT_RUNNING && st != RT_CREATED) {
		hk_error_set(err, 0, "exec: container \"%s\" is %s", id, rt_status_name(st));
		goto out;
	}
	if (spec_parse_process(process, "process", &x.p, err) < 0) {
		hk_error_wrap(err, "exec");
		goto out;
	}
	if (x.p.terminal && detach && !opts->console_socket && !opts->console_master_out) {
		hk_error_set(err, 0, "exec: a terminal needs --console-socket with --detach");
		goto out;
	}
	if (json_object_object_get_ex(c.json, "seccomp", &v))
		x.seccomp = v;
	if (seccomp_prepare(x.seccomp, state_root, err) < 0) {
		hk_error_wrap(err, "exec");
		goto out;
	}
	x.pidfd = rt_pidfd_open(c.pid);
	if (x.pidfd < 0 || !rt_pid_alive(c.pid, c.start_time)) {
		hk_error_set(err, ESRCH, "exec: container \"%s\" is not running", id);
		goto out;
	}
	if (ns_to_join(c.pid, &x.nsflags, err) < 0)
		goto out;
	x.userns = (x.nsflags & CLONE_NEWUSER) != 0;
	if (!detach) {
		prctl(PR_SET_CHILD_SUBREAPER, 1);
		sfd = fg_signals_block(&old, err);
		if (sfd < 0)
			goto out;
		masked = true;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, x.sock) < 0) {
		hk_error_errno(err, "exec: socketpair");
		goto out;
	}
	/* CVE-2019-5736: the program is exec'd through a sealed copy of
	 * hako-stub, never straight from this binary (src/stub/stub.c) */
	x.stub_fd = sealexec_open(err);
	if (x.stub_fd < 0) {
		hk_error_wrap(err, "exec");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		hk_error_errno(err, "exec: fork");
		goto out;
	}
	if (pid == 0)
		exec_child(&x);
	close(x.sock[1]);
	x.sock[1] = -1;
	close(steal_fd(&x.stub_fd)); /* the child has it */
	if (exec_wait_started(&x, &pid, &master, err) < 0) {
		int status;
		waitpid(pid, &status, 0);
		/* the CLI exits 126/127 for these, as a shell would */
		if (!process_exec_status(*err))
			hk_error_wrap(err, "exec");
		goto out;
	}
	if (opts->pid_file) {
		_cleanup_free_ char *s = xasprintf("%d", (int)pid);
		if (write_file_atomic(opts->pid_file, s, strlen(s), 0644, err) < 0) {
			hk_error_wrap(err, "exec: pid file");
			goto out;
		}
	}
	if (detach) {
		if (master >= 0) {
			if (opts->console_master_out) {
				*opts->console_master_out = master;
			} else {
				_cleanup_close_ int s = unix_connect(opts->console_socket, err);
				if (s < 0 || fd_send(s, master, err) < 0) {
					close(master);
					goto out;
				}
				close(master);
			}
			master = -1;
		}
		if (pid_out)
			*pid_out = pid;
		code = 0;
		goto out_code;
	}
	if (master >= 0 && opts->console_socket) {
		_cleanup_close_ int s = unix_connect(opts->console_socket, err);
		if (s < 0 || fd_send(s, master, err) < 0)
			goto out;
		close(master);
		master = -1;
	}
	code = fg_wait(sfd, pid, master, relay, err);
	master = -1;
	if (pid_out)
		*pid_out = pid;
	goto out_code;
out:
	code = -1;
out_code:
	if (masked)
		sigprocmask(SIG_SETMASK, &old, NULL);
	if (master >= 0)
		close(master);
	for (int i = 0; i < 3; i++)
		if (relay[i] >= 0)
			close(relay[i]);
	for (int i = 0; i < 2; i++)
		if (x.sock[i] >= 0)
			close(x.sock[i]);
	if (x.pidfd >= 0)
		close(x.pidfd);
	if (x.stub_fd >= 0)
		close(x.stub_fd);
	spec_process_free(&x.p);
	container_free(&c);
	return code;
}

int runtime_exec_template(const char *state_root, const char *id, json_object **out,
			  struct hk_error **err)
{
	struct rt_container c;
	json_object *p = NULL;

	if (container_load(state_root, id, &c, err) < 0)
		return hk_error_wrap(err, "exec");
	if (!json_object_object_get_ex(c.json, "process", &p) ||
	    !json_object_is_type(p, json_type_object)) {
		*out = json_object_new_object();
	} else if (json_object_deep_copy(p, out, NULL) < 0) {
		container_free(&c);
		return hk_error_set(err, ENOMEM, "exec: copy process");
	}
	json_object_object_del(*out, "args");
	json_object_object_del(*out, "consoleSize");
	json_object_object_add(*out, "terminal", json_object_new_boolean(0));
	container_free(&c);
	return 0;
}
