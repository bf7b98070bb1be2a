/* hako runtime: create.  The caller (the parent) forks the container's init;
 * the two talk over a socketpair (the sync protocol of internal.h):
 *
 *   parent                              init (child)
 *   clone3(namespaces, CLONE_INTO_CGROUP)
 *   [cgroup_enter when not pure v2]
 *   [write uid/gid maps]
 *   G  ---------------------------->    [unshare cgroupns]
 *   [prestart, createRuntime hooks]
 *   S + state JSON  --------------->    mounts, devices, createContainer hooks,
 *                                       pivot_root, sysctl, masked paths,
 *                                  <--  T + pty master (terminal)
 *                                       user, caps, seccomp, cwd, find exe
 *                                  <--  R (or E + error at any point)
 *   write state.json, return            open(exec.fifo, O_WRONLY) blocks ...
 *
 *   `start` opens the fifo for reading: the init's open returns, it writes a
 *   byte, runs startContainer hooks and execs the program.
 *
 * When a namespace is joined by path, or a time namespace needs offsets, the
 * init cannot be cloned straight into its namespaces: the first child joins
 * and unshares them (user first, reporting U for the maps), then forks the
 * real init, reports its pid (P) and exits.  The kernel refuses CLONE_PARENT
 * into another pid namespace, so the real init is then reparented: to us
 * when we are a subreaper (run, exec), else to the host's init, as with runc. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
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
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "runtime/internal.h"
#include "runtime/seccomp.h"
#include "util/json.h"
#include "util/log.h"
#include "util/path.h"
#include "util/sealexec.h"
#include "util/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

struct clone_args_ {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
		set_tid_size, cgroup;
};

static pid_t clone3_(uint64_t flags, int cgroup_fd)
{
	struct clone_args_ a = {.flags = flags, .exit_signal = SIGCHLD};
	if (cgroup_fd >= 0) {
		a.flags |= CLONE_INTO_CGROUP;
		a.cgroup = (uint64_t)cgroup_fd;
	}
	return (pid_t)syscall(SYS_clone3, &a, sizeof(a));
}

int rt_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* ---- sync protocol ---- */

/* One write per message: two children (exec's intermediate and the process
 * it forks) may report on the same socket, and their messages must not
 * interleave. */
/* write_all() for the sync socket, without SIGPIPE when the peer is gone
 * (a child that failed early): the caller gets EPIPE and reads the error. */
static int sock_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int sync_send(int fd, char tag, const void *data, size_t len)
{
	_cleanup_free_ char *buf = xmalloc(len + 1);
	buf[0] = tag;
	if (len)
		memcpy(buf + 1, data, len);
	return sock_write_all(fd, buf, len + 1);
}

int sync_recv_tag(int fd, char *tag, struct hk_error **err)
{
	ssize_t n = read_all(fd, tag, 1);
	if (n < 0)
		return hk_error_errno(err, "read from container process");
	return (int)n;
}

void sync_fail(int fd, struct hk_error *err)
{
	/* the wire form of hk_error_send(), after the tag, in one write */
	const char *msg = hk_error_msg(err);
	uint32_t hdr[2] = {err ? (uint32_t)err->errnum : 0, (uint32_t)strlen(msg)};
	size_t n = 1 + sizeof(hdr) + hdr[1];
	char *buf = xmalloc(n);

	buf[0] = SYNC_ERROR;
	memcpy(buf + 1, hdr, sizeof(hdr));
	memcpy(buf + 1 + sizeof(hdr), msg, hdr[1]);
	if (sock_write_all(fd, buf, n) < 0)
		hk_error_print(err, "hako-runtime: init");
	_exit(1);
}

void child_setup_terminal(int fd, unsigned rows, unsigned cols)
{
	struct hk_error *err = NULL;
	int slave = -1;
	_cleanup_close_ int master = console_open_pty(&slave, rows, cols, &err);

	/* the tag alone, then the fd: read() of the tag must not swallow the
	 * message that carries the fd */
	if (master < 0 || sync_send(fd, SYNC_PTY, NULL, 0) < 0 || fd_send(fd, master, &err) < 0)
		sync_fail(fd, err);
	if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0 ||
	    ioctl(0, TIOCSCTTY, 0) < 0) {
		hk_error_errno(&err, "set up the terminal");
		sync_fail(fd, err);
	}
	if (slave > 2)
		close(slave);
}

static void close_from_to(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return;
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
	/* kernels before 5.9: one by one, up to the fd limit */
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 1 << 20)
		max = 1 << 20;
	for (unsigned fd = lo; fd <= hi && fd < (unsigned)max; fd++)
		close((int)fd);
}

void child_close_fds(int preserve, const int *keep, size_t nkeep)
{
	unsigned lo = 3 + (unsigned)(preserve > 0 ? preserve : 0);
	int sorted[8];

	/* a few fds at most: an insertion sort of those above the preserved */
	size_t n = 0;
	for (size_t i = 0; i < nkeep && n < ARRAY_SIZE(sorted); i++) {
		if (keep[i] < 0 || (unsigned)keep[i] < lo)
			continue;
		size_t j = n++;
		for (; j > 0 && sorted[j - 1] > keep[i]; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = keep[i];
	}
	for (size_t i = 0; i < n; i++) {
		close_from_to(lo, (unsigned)sorted[i] - 1);
		fcntl(sorted[i], F_SETFD, FD_CLOEXEC);
		lo = (unsigned)sorted[i] + 1;
	}
	close_from_to(lo, ~0U);
	log_forget_file();
	for (int i = 3; i < 3 + preserve; i++)
		fcntl(i, F_SETFD, 0);
}

void child_reset_signals(void)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;

	/* the kernel's struct sigaction for rt_sigaction: glibc refuses its own
	 * signals (32, 33: EINVAL), but a caller may have left them ignored,
	 * and an ignored signal survives execve */
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		unsigned long mask;
	} kdfl = {.handler = SIG_DFL};

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, &dfl, NULL) < 0)
			syscall(SYS_rt_sigaction, sig, &kdfl, NULL, sizeof(kdfl.mask));
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static int recv_u32_blob(int fd, char **out, struct hk_error **err)
{
	uint32_t len;
	if (read_all(fd, &len, sizeof(len)) != sizeof(len) || len > (1u << 20))
		return hk_error_set(err, EIO, "sync: bad message");
	*out = xmalloc(len + 1);
	if (read_all(fd, *out, len) != (ssize_t)len)
		return hk_error_set(err, EIO, "sync: truncated message");
	(*out)[len] = '\0';
	return 0;
}

static int send_u32_blob(int fd, char tag, const char *s)
{
	uint32_t len = (uint32_t)strlen(s);
	_cleanup_free_ char *buf = xmalloc(1 + sizeof(len) + len);
	buf[0] = tag;
	memcpy(buf + 1, &len, sizeof(len));
	memcpy(buf + 1 + sizeof(len), s, len);
	return sock_write_all(fd, buf, 1 + sizeof(len) + len);
}

static int expect_tag(int fd, char want, struct hk_error **err)
{
	char tag;
	int r = sync_recv_tag(fd, &tag, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return hk_error_set(err, EPIPE, "the runtime went away");
	if (tag != want)
		return hk_error_set(err, EPROTO, "sync: got '%c', expected '%c'", tag, want);
	return 0;
}

/* ---- the create context ---- */

struct create_ctx {
	const char *id;
	const struct runtime_opts *opts;
	struct rt_spec spec;
	char *bundle, *rootfs, *dir;
	int dirfd;
	int fifofd; /* O_PATH of exec.fifo: what the init keeps of the state dir */
	struct cgroup *cg;
	int sock[2];
	int stub_fd;	    /* the sealed stub the program is exec'd through */
	bool fast;	    /* cloned straight into the namespaces */
	uint64_t newns;	    /* CLONE_NEW* to create */
	bool userns;	    /* the container has its own user namespace */
	bool need_fork;	    /* slow path: a second fork for pid/time namespaces */
	bool late_cgroupns; /* unshare the cgroup ns after joining the cgroup */
	bool early_nodump;  /* the child can be non-dumpable before G (no id maps
			       for an unprivileged parent to write) */
};

static void ctx_free(struct create_ctx *c)
{
	spec_free(&c->spec);
	free(c->bundle);
	free(c->rootfs);
	free(c->dir);
	if (c->dirfd >= 0)
		close(c->dirfd);
	if (c->fifofd >= 0)
		close(c->fifofd);
	if (c->cg)
		cgroup_free(c->cg);
	for (int i = 0; i < 2; i++)
		if (c->sock[i] >= 0)
			close(c->sock[i]);
	if (c->stub_fd >= 0)
		close(c->stub_fd);
}

/* ---- in the child ---- */

static int join_namespaces(struct create_ctx *c, struct hk_error **err)
{
	/* the user namespace first: the others may belong to it */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < c->spec.nns; i++) {
			const struct rt_ns *ns = &c->spec.ns[i];
			_cleanup_close_ int fd = -1;
			if (!ns->path || (pass == 0) != (ns->type == CLONE_NEWUSER))
				continue;
			fd = open(ns->path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return hk_error_errno(err, "open %s namespace %s",
						      spec_ns_name(ns->type), ns->path);
			if (setns(fd, ns->type) < 0)
				return hk_error_errno(err, "join %s namespace %s",
						      spec_ns_name(ns->type), ns->path);
		}
	}
	return 0;
}

static int write_time_offsets(struct create_ctx *c, struct hk_error **err)
{
	char buf[128];
	int n = snprintf(
		buf, sizeof(buf), "monotonic %lld %lld\nboottime %lld %lld\n",
		(long long)c->spec.time_offsets[0][0], (long long)c->spec.time_offsets[0][1],
		(long long)c->spec.time_offsets[1][0], (long long)c->spec.time_offsets[1][1]);
	_cleanup_close_ int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, (size_t)n) != n)
		return hk_error_errno(err, "linux.timeOffsets: write timens_offsets");
	return 0;
}

static int become_root_in_userns(const struct rt_process *p)
{
	/* cloned by host root into a namespace that maps someone else as 0:
	 * become that 0, still with every capability in the namespace; with
	 * crun's default map (the process's ids only) become those */
	if (setresgid(0, 0, 0) < 0 && (errno != EINVAL || setresgid(p->gid, p->gid, p->gid) < 0))
		return -1;
	if (setresuid(0, 0, 0) < 0 && (errno != EINVAL || setresuid(p->uid, p->uid, p->uid) < 0))
		return -1;
	setgroups(0, NULL);
	return 0;
}

static int set_stdio(const struct runtime_opts *o, struct hk_error **err)
{
	for (int i = 0; i < 3; i++) {
		if (o->stdio_fds[i] < 0 || o->stdio_fds[i] == i)
			continue;
		if (dup2(o->stdio_fds[i], i) < 0)
			return hk_error_errno(err, "dup2 stdio");
	}
	return 0;
}

static int write_sysctls(const struct rt_spec *s, struct hk_error **err)
{
	for (size_t i = 0; i < s->nsysctl; i++) {
		_cleanup_free_ char *key = xstrdup(s->sysctl[i].key);
		_cleanup_free_ char *path = NULL;
		_cleanup_close_ int fd = -1;
		for (char *p = key; *p; p++)
			if (*p == '.')
				*p = '/';
		path = xasprintf("/proc/sys/%s", key);
		fd = path_open_in_root(AT_FDCWD, path, O_WRONLY | O_NOFOLLOW, 0, err);
		if (fd < 0)
			return hk_error_wrap(err, "linux.sysctl.%s", s->sysctl[i].key);
		if (write_all(fd, s->sysctl[i].value, strlen(s->sysctl[i].value)) < 0)
			return hk_error_errno(err, "linux.sysctl.%s: write \"%s\"",
					      s->sysctl[i].key, s->sysctl[i].value);
	}
	return 0;
}

static void init_stage2(struct create_ctx *c) __attribute__((noreturn));

static void init_child(struct create_ctx *c)
{
	_cleanup_error_ struct hk_error *err = NULL;
	int fd = c->sock[1];
	const int *o = c->opts->stdio_fds;
	sigset_t none;

	/* Nobody but root may look into us (/proc/PID/fd, ptrace) until the
	 * execve (CVE-2016-9962); an unprivileged parent writes our id maps
	 * first, which needs us dumpable. */
	if (c->early_nodump)
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* of the caller's fds only what the init needs: the sync socket, the
	 * exec fifo, the sealed stub, the stdio to take and the idmapped trees */
	{
		int keep[6 + MOUNTS_MAX_IDMAPPED] = {fd, c->fifofd, c->stub_fd, o[0], o[1], o[2]};
		size_t n = 6 + mounts_idmapped_fds(&c->spec, keep + 6, MOUNTS_MAX_IDMAPPED);
		child_close_fds(c->opts->preserve_fds, keep, n);
	}
	c->sock[0] = -1;
	c->dirfd = -1;
	/* die with the runtime while still being set up */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (!c->fast) {
		if (join_namespaces(c, &err) < 0)
			sync_fail(fd, err);
		if (c->newns & CLONE_NEWUSER) {
			if (unshare(CLONE_NEWUSER) < 0) {
				hk_error_errno(&err, "unshare user namespace");
				sync_fail(fd, err);
			}
			if (sync_send(fd, SYNC_USERNS, NULL, 0) < 0)
				_exit(1);
		}
	}
	if (expect_tag(fd, SYNC_GO, &err) < 0)
		sync_fail(fd, err);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (c->userns && become_root_in_userns(&c->spec.process) < 0) {
		hk_error_errno(&err, "setuid 0 in the user namespace");
		sync_fail(fd, err);
	}
	if (!c->fast) {
		uint64_t rest = c->newns & ~(uint64_t)CLONE_NEWUSER;
		if (rest && unshare((int)rest) < 0) {
			hk_error_errno(&err, "unshare namespaces");
			sync_fail(fd, err);
		}
		if (c->spec.has_time_offsets && write_time_offsets(c, &err) < 0)
			sync_fail(fd, err);
		if (c->need_fork) {
			pid_t p = fork();
			if (p < 0) {
				hk_error_errno(&err, "fork the container init");
				sync_fail(fd, err);
			}
			if (p > 0) {
				int32_t v = p;
				sync_send(fd, SYNC_PID, &v, sizeof(v));
				_exit(0);
			}
		}
	} else if (c->late_cgroupns && unshare(CLONE_NEWCGROUP) < 0) {
		hk_error_errno(&err, "unshare cgroup namespace");
		sync_fail(fd, err);
	}
	init_stage2(c);
}

/* After the start byte: the error goes to `start` through the exec fifo,
 * and the container stops (the init is it). */
static __attribute__((noreturn)) void init_start_fail(int fifo, struct hk_error *err, int code)
{
	if (hk_error_send(fifo, err) < 0)
		hk_error_print(err, "hako-runtime: init");
	_exit(code);
}

static void init_stage2(struct create_ctx *c)
{
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_free_ char *state = NULL, *exe = NULL;
	const struct rt_process *p = &c->spec.process;
	int fd = c->sock[1], fifo;
	char tag, self_fd[32];

	if (expect_tag(fd, SYNC_STATE, &err) < 0 || recv_u32_blob(fd, &state, &err) < 0)
		sync_fail(fd, err);
	/* the seccomp agent's socket is a host path: connect before pivot_root */
	if (seccomp_listener_connect(c->spec.seccomp, state, &err) < 0)
		sync_fail(fd, err);
	if (set_stdio(c->opts, &err) < 0)
		sync_fail(fd, err);
	if (chdir(c->bundle) < 0) {
		hk_error_errno(&err, "chdir to bundle %s", c->bundle);
		sync_fail(fd, err);
	}
	if (c->spec.hostname && sethostname(c->spec.hostname, strlen(c->spec.hostname)) < 0) {
		hk_error_errno(&err, "set hostname");
		sync_fail(fd, err);
	}
	if (c->spec.domainname &&
	    setdomainname(c->spec.domainname, strlen(c->spec.domainname)) < 0) {
		hk_error_errno(&err, "set domainname");
		sync_fail(fd, err);
	}
	if (rootfs_prepare(&c->spec, c->rootfs, c->userns, &err) < 0)
		sync_fail(fd, err);
	if (hooks_run(&c->spec.hooks[RT_HOOK_CREATE_CONTAINER], "createContainer", state,
		      c->stub_fd, &err) < 0)
		sync_fail(fd, err);
	if (rootfs_pivot(c->rootfs, c->opts->no_pivot, &err) < 0 ||
	    write_sysctls(&c->spec, &err) < 0 || rootfs_finish(&c->spec, &err) < 0)
		sync_fail(fd, err);
	if (setsid() < 0) {
		hk_error_errno(&err, "setsid");
		sync_fail(fd, err);
	}
	if (!c->opts->no_new_keyring &&
	    syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, c->id) < 0 &&
	    errno != ENOSYS && errno != EPERM && errno != EACCES)
		log_debug("new session keyring: %s", strerror(errno));
	if (p->terminal)
		child_setup_terminal(fd, p->console_rows, p->console_cols);
	child_close_fds(c->opts->preserve_fds,
			(int[]){fd, c->fifofd, c->stub_fd, seccomp_listener_fd()}, 4);
	if (process_prepare(p, c->spec.seccomp, c->userns, true, &exe, &err) < 0)
		sync_fail(fd, err);
	/* from now on the container outlives the runtime: clear the death
	 * signal before the runtime can read R and exit */
	prctl(PR_SET_PDEATHSIG, 0);
	tag = SYNC_READY;
	if (write_all(fd, &tag, 1) < 0)
		_exit(1);
	close(fd);

	/* created: wait for start.  The fifo is reopened through our own
	 * O_PATH fd of it (as runc does): the init holds no directory of the
	 * host, and needs the container's /proc for this. */
	snprintf(self_fd, sizeof(self_fd), "/proc/self/fd/%d", c->fifofd);
	do
		fifo = open(self_fd, O_WRONLY | O_CLOEXEC);
	while (fifo < 0 && errno == EINTR);
	if (fifo < 0) {
		perror("hako-runtime: init: open exec fifo through /proc/self/fd");
		_exit(127);
	}
	close(c->fifofd);
	if (write(fifo, "0", 1) != 1)
		_exit(127);
	/* The fifo stays open (O_CLOEXEC) until execve: `start` reads on to
	 * EOF, so it returns once the program runs, and gets an error report
	 * instead when a startContainer hook or the last step fails ("the
	 * runtime MUST generate an error, stop the container", runtime.md
	 * lifecycle step 7).  The hooks run as in runc and crun: in the
	 * container's namespaces, after pivot_root, with the process's own
	 * user and capabilities (the spec asks nothing about privileges). */
	if (hooks_run(&c->spec.hooks[RT_HOOK_START_CONTAINER], "startContainer", state, c->stub_fd,
		      &err) < 0)
		init_start_fail(fifo, err, 127);
	if (process_finish(p, c->spec.seccomp, &err) < 0)
		init_start_fail(fifo, err, 127);
	process_exec(p, exe, c->stub_fd, fifo, 0, &err);
	init_start_fail(fifo, err, errno == ENOENT ? 127 : 126);
}

/* ---- in the parent ---- */

static char *fmt_idmap(const struct rt_idmap *m, size_t n)
{
	char *s = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *t = xasprintf("%s%u %u %u\n", s, m[i].container_id, m[i].host_id, m[i].size);
		free(s);
		s = t;
	}
	return s;
}

static int write_proc(pid_t pid, const char *file, const char *data, struct hk_error **err)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/%s", (int)pid, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		return hk_error_errno(err, "write %s", path);
	return 0;
}

static int write_idmaps(struct create_ctx *c, pid_t pid, struct hk_error **err)
{
	_cleanup_free_ char *u = fmt_idmap(c->spec.uidmaps, c->spec.nuidmaps);
	_cleanup_free_ char *g = fmt_idmap(c->spec.gidmaps, c->spec.ngidmaps);

	if (!c->spec.nuidmaps) {
		/* no maps in the spec: crun's default, the process's ids mapped
		 * to ours, one id each */
		const struct rt_process *p = &c->spec.process;
		free(u);
		free(g);
		u = xasprintf("%u %u 1\n", (unsigned)p->uid, (unsigned)geteuid());
		g = xasprintf("%u %u 1\n", (unsigned)p->gid, (unsigned)getegid());
	}
	/* an unprivileged writer may only map its own gid, and only after
	 * giving up setgroups (user_namespaces(7)) */
	if (geteuid() != 0 && write_proc(pid, "setgroups", "deny", err) < 0)
		return hk_error_wrap(err, "linux.gidMappings");
	if (write_proc(pid, "uid_map", u, err) < 0)
		return hk_error_wrap(err, "linux.uidMappings");
	if (write_proc(pid, "gid_map", g, err) < 0)
		return hk_error_wrap(err, "linux.gidMappings");
	return 0;
}

static char *now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}

static json_object *hook_state(struct create_ctx *c, pid_t pid, const char *status)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ociVersion", json_object_new_string("1.2.0"));
	json_object_object_add(o, "id", json_object_new_string(c->id));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "pid", json_object_new_int(pid));
	json_object_object_add(o, "bundle", json_object_new_string(c->bundle));
	if (c->spec.annotations)
		json_object_object_add(o, "annotations", json_object_get(c->spec.annotations));
	return o;
}

static int save_state(struct create_ctx *c, pid_t pid, struct hk_error **err)
{
	_cleanup_json_ json_object *o = hook_state(c, pid, "created");
	_cleanup_free_ char *created = now_rfc3339(), *path = NULL, *text = NULL;
	unsigned long long st = 0;
	json_object *v = NULL;

	json_object_object_del(o, "status");
	rt_proc_start_time(pid, &st);
	json_object_object_add(o, "startTime", json_object_new_uint64(st));
	json_object_object_add(o, "rootfs", json_object_new_string(c->rootfs));
	json_object_object_add(o, "created", json_object_new_string(created));
	json_object_object_add(o, "owner", json_object_new_string(""));
	if (c->cg)
		json_object_object_add(o, "cgroup", cgroup_to_json(c->cg));
	if (json_object_object_get_ex(c->spec.json, "hooks", &v))
		json_object_object_add(o, "hooks", json_object_get(v));
	if (json_object_object_get_ex(c->spec.json, "process", &v))
		json_object_object_add(o, "process", json_object_get(v));
	if (c->spec.seccomp)
		json_object_object_add(o, "seccomp", json_object_get(c->spec.seccomp));
	json_object_object_add(o, "userns", json_object_new_boolean(c->userns));
	text = json_to_string(o, false);
	path = xasprintf("%s/state.json", c->dir);
	/* runtime state (a tmpfs normally, gone at boot): no fsync, as runc and crun */
	return write_file_replace(path, text, strlen(text), 0600, err);
}

static int wait_ready(struct create_ctx *c, pid_t pid, struct hk_error **err)
{
	int fd = c->sock[0];

	for (;;) {
		char tag;
		int r = sync_recv_tag(fd, &tag, err);
		if (r < 0)
			return -1;
		if (r == 0) {
			int status = 0;
			if (waitpid(pid, &status, WNOHANG) == pid && WIFSIGNALED(status))
				return hk_error_set(err, 0,
						    "container init was killed by signal %d "
						    "during setup",
						    WTERMSIG(status));
			return hk_error_set(err, 0, "container init exited during setup");
		}
		switch (tag) {
		case SYNC_READY:
			return 0;
		case SYNC_ERROR:
			hk_error_recv(fd, err);
			if (!*err)
				hk_error_set(err, EIO, "container init failed");
			return -1;
		case SYNC_PTY: {
			_cleanup_close_ int master = -1;
			if (fd_recv(fd, &master, err) < 0)
				return -1;
			if (c->opts->console_master_out) {
				*c->opts->console_master_out = steal_fd(&master);
			} else if (c->opts->console_socket) {
				_cleanup_close_ int s = unix_connect(c->opts->console_socket, err);
				if (s < 0 || fd_send(s, master, err) < 0)
					return -1;
			}
			break;
		}
		default:
			return hk_error_set(err, EPROTO, "sync: unexpected '%c' from init", tag);
		}
	}
}

/* The init went away while we wrote to it: its error is likely waiting. */
static void child_error(struct create_ctx *c, struct hk_error **err)
{
	char tag;
	int e = errno;

	if (sync_recv_tag(c->sock[0], &tag, err) > 0 && tag == SYNC_ERROR &&
	    hk_error_recv(c->sock[0], err) < 0 && *err)
		return;
	errno = e;
	hk_error_errno(err, "sync with the container init");
}

static int check_spec(struct create_ctx *c, struct hk_error **err)
{
	const struct rt_spec *s = &c->spec;

	if (!s->has_process)
		return hk_error_set(err, 0, "config.json: process: missing");
	if (!spec_find_ns(s, CLONE_NEWNS))
		return hk_error_set(err, 0,
				    "config.json: linux.namespaces: a mount namespace is required");
	if (s->process.terminal && !c->opts->console_socket && !c->opts->console_master_out)
		return hk_error_set(err, 0,
				    "config.json: process.terminal is true but no "
				    "--console-socket was given");
	if (s->seccomp && seccomp_validate(s->seccomp, err) < 0)
		return hk_error_wrap(err, "config.json: linux.seccomp");
	if (seccomp_prepare(s->seccomp, c->opts->state_root, err) < 0)
		return hk_error_wrap(err, "config.json");
	return 0;
}

static uid_t map_to_host(const struct rt_idmap *m, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].container_id && id - m[i].container_id < m[i].size)
			return m[i].host_id + (id - m[i].container_id);
	return (uid_t)-1;
}

static int setup_state_dir(struct create_ctx *c, struct hk_error **err)
{
	_cleanup_free_ char *fifo = NULL;

	if (mkdir_p(c->opts->state_root, 0711, err) < 0)
		return hk_error_wrap(err, "state root");
	c->dir = rt_state_dir(c->opts->state_root, c->id);
	if (mkdir(c->dir, 0711) < 0) {
		int e = errno;
		free(c->dir);
		c->dir = NULL;
		if (e == EEXIST)
			return hk_error_set(err, EEXIST, "container \"%s\" already exists", c->id);
		errno = e;
		return hk_error_errno(err, "create state dir");
	}
	c->dirfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0)
		return hk_error_errno(err, "open %s", c->dir);
	if (mkfifoat(c->dirfd, "exec.fifo", 0600) < 0) {
		fifo = xasprintf("%s/exec.fifo", c->dir);
		return hk_error_errno(err, "mkfifo %s", fifo);
	}
	c->fifofd = openat(c->dirfd, "exec.fifo", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (c->fifofd < 0)
		return hk_error_errno(err, "open %s/exec.fifo", c->dir);
	if (c->userns || c->spec.process.uid) {
		/* the init opens it after changing user */
		uid_t u = c->userns ? map_to_host(c->spec.uidmaps, c->spec.nuidmaps,
						  c->spec.process.uid)
				    : c->spec.process.uid;
		gid_t g = c->userns ? map_to_host(c->spec.gidmaps, c->spec.ngidmaps,
						  c->spec.process.gid)
				    : c->spec.process.gid;
		if (fchownat(c->dirfd, "exec.fifo", u, g, AT_SYMLINK_NOFOLLOW) < 0)
			return hk_error_errno(err, "chown exec fifo");
	}
	return 0;
}

static int plan_namespaces(struct create_ctx *c)
{
	bool paths = false;

	for (size_t i = 0; i < c->spec.nns; i++) {
		if (c->spec.ns[i].path)
			paths = true;
		else
			c->newns |= (uint64_t)c->spec.ns[i].type;
	}
	c->userns = spec_find_ns(&c->spec, CLONE_NEWUSER) != NULL;
	c->fast = !paths && !c->spec.has_time_offsets;
	if (!c->fast) {
		const struct rt_ns *pid = spec_find_ns(&c->spec, CLONE_NEWPID);
		c->need_fork = pid || (c->newns & CLONE_NEWTIME);
	}
	return 0;
}

int runtime_create(const char *id, const char *bundle, const struct runtime_opts *opts,
		   pid_t *pid_out, struct hk_error **err)
{
	struct create_ctx c = {
		.id = id, .opts = opts, .dirfd = -1, .fifofd = -1, .sock = {-1, -1}, .stub_fd = -1};
	_cleanup_free_ char *config = NULL, *rootfs = NULL, *state = NULL;
	_cleanup_json_ json_object *st = NULL;
	pid_t pid = -1, pid1 = -1;
	uint64_t flags;
	int cgfd;

	if (rt_check_id(id, err) < 0)
		return -1;
	c.bundle = realpath(bundle ? bundle : ".", NULL);
	if (!c.bundle)
		return hk_error_errno(err, "bundle %s", bundle ? bundle : ".");
	config = opts->config_path ? xstrdup(opts->config_path)
				   : xasprintf("%s/config.json", c.bundle);
	if (spec_load(config, &c.spec, err) < 0)
		goto fail;
	rootfs = c.spec.root_path[0] == '/' ? xstrdup(c.spec.root_path)
					    : xasprintf("%s/%s", c.bundle, c.spec.root_path);
	c.rootfs = realpath(rootfs, NULL);
	if (!c.rootfs) {
		hk_error_errno(err, "config.json: root.path: %s", rootfs);
		goto fail;
	}
	plan_namespaces(&c);
	c.early_nodump = geteuid() == 0 || !(c.newns & CLONE_NEWUSER);
	if (check_spec(&c, err) < 0)
		goto fail;
	if (setup_state_dir(&c, err) < 0)
		goto fail;
	if (cgroup_create(c.spec.cgroups_path, id, opts->cgroup_manager, c.spec.resources, &c.cg,
			  err) < 0) {
		hk_error_wrap(err, "cgroup");
		goto fail;
	}
	if (c.userns && mounts_prepare_idmapped(&c.spec, err) < 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c.sock) < 0) {
		hk_error_errno(err, "socketpair");
		goto fail;
	}
	/* CVE-2019-5736: the init execs the program through a sealed copy of
	 * hako-stub, never straight from this binary (src/stub/stub.c) */
	c.stub_fd = sealexec_open(err);
	if (c.stub_fd < 0)
		goto fail;
	cgfd = cgroup_v2_dirfd(c.cg);
	flags = c.fast ? c.newns : 0;
	if (cgfd < 0 && (flags & CLONE_NEWCGROUP)) {
		/* join the cgroup first, then make it the namespace's root */
		flags &= ~(uint64_t)CLONE_NEWCGROUP;
		c.late_cgroupns = true;
	}
	if (!c.fast && cgfd < 0)
		c.late_cgroupns = false; /* the slow path unshares it after G */
	pid1 = clone3_(flags, cgfd);
	if (pid1 < 0) {
		hk_error_errno(err, "clone the container init");
		goto fail;
	}
	if (pid1 == 0)
		init_child(&c); /* never returns */
	close(c.sock[1]);
	c.sock[1] = -1;
	pid = pid1;
	if (cgfd < 0 && cgroup_enter(c.cg, pid1, err) < 0)
		goto fail;
	if (!c.fast && (c.newns & CLONE_NEWUSER)) {
		char tag;
		int r = sync_recv_tag(c.sock[0], &tag, err);
		if (r <= 0 || tag != SYNC_USERNS) {
			if (r > 0 && tag == SYNC_ERROR)
				hk_error_recv(c.sock[0], err);
			else if (r >= 0)
				hk_error_set(err, EPROTO, "container init exited during setup");
			goto fail;
		}
	}
	if ((c.newns & CLONE_NEWUSER) && write_idmaps(&c, pid1, err) < 0)
		goto fail;
	if (sync_send(c.sock[0], SYNC_GO, NULL, 0) < 0) {
		child_error(&c, err);
		goto fail;
	}
	if (c.need_fork) {
		char tag;
		int32_t v;
		int r = sync_recv_tag(c.sock[0], &tag, err);
		if (r > 0 && tag == SYNC_ERROR) {
			hk_error_recv(c.sock[0], err);
			goto fail;
		}
		if (r <= 0 || tag != SYNC_PID || read_all(c.sock[0], &v, sizeof(v)) != sizeof(v)) {
			if (r >= 0)
				hk_error_set(err, EPROTO, "container init exited during setup");
			goto fail;
		}
		waitpid(pid1, NULL, 0);
		pid1 = -1;
		pid = v;
	}
	st = hook_state(&c, pid, "creating");
	state = json_to_string(st, false);
	if (hooks_run(&c.spec.hooks[RT_HOOK_PRESTART], "prestart", state, -1, err) < 0 ||
	    hooks_run(&c.spec.hooks[RT_HOOK_CREATE_RUNTIME], "createRuntime", state, -1, err) < 0)
		goto fail;
	if (send_u32_blob(c.sock[0], SYNC_STATE, state) < 0) {
		child_error(&c, err);
		goto fail;
	}
	if (wait_ready(&c, pid, err) < 0)
		goto fail;
	if (save_state(&c, pid, err) < 0)
		goto fail;
	if (opts->pid_file) {
		_cleanup_free_ char *s = xasprintf("%d", (int)pid);
		if (write_file_atomic(opts->pid_file, s, strlen(s), 0644, err) < 0) {
			hk_error_wrap(err, "pid file");
			goto fail;
		}
	}
	if (pid_out)
		*pid_out = pid;
	ctx_free(&c);
	return 0;

fail:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (pid1 > 0 && pid1 != pid) {
		kill(pid1, SIGKILL);
		waitpid(pid1, NULL, 0);
	}
	if (c.cg) {
		_cleanup_error_ struct hk_error *e2 = NULL;
		if (cgroup_destroy(c.cg, &e2) < 0)
			log_warn("cleanup: %s", hk_error_msg(e2));
	}
	if (c.dir) {
		_cleanup_error_ struct hk_error *e2 = NULL;
		if (rm_rf(c.dir, &e2) < 0)
			log_warn("cleanup: %s", hk_error_msg(e2));
	}
	ctx_free(&c);
	return hk_error_wrap(err, "create");
}
