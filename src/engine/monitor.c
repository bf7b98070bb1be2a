/* hako engine: the per-container monitor (the role conmon plays for podman).
 *
 * One process per running container, forked by the command that starts it
 * and detached from it (setsid).  It:
 *   - creates the container through the runtime library, so the container's
 *     init is its direct child and its exit status is ours to reap;
 *   - holds the container's stdio: pipes (stdout, stderr and, with -i, stdin)
 *     or the pty master (-t);
 *   - writes the log and copies output to attached clients, serves attach on
 *     <rundir>/attach (src/monitor/);
 *   - records start, exit and restarts in the database, applies the restart
 *     policy, and with --rm removes the container when it is done;
 *   - holds <rundir>/monitor.lock (flock) for its whole life, so others can
 *     tell a live monitor from a dead one without trusting pids.
 *
 * The process changes its program while it lives, keeping its pid, its
 * child and its fds: the fork of hako does the start, then exec()s the small
 * static hako-monitor for the idle part, which exec()s `hako __monitor-exit`
 * (engine_monitor_resume() below) when the init is gone.  Without
 * hako-monitor (not installed) the fork runs the same loop itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "engine/internal.h"
#include "engine/spec.h"
#include "runtime/runtime.h"
#include "util/json.h"
#include "util/path.h"
#include "util/util.h"
#include "util/trace.h"
#include "util/sock.h"

struct mon {
	struct engine *e;
	struct engine_container *c;
	char *run_dir, *ctr_dir, *runtime_root;
	struct mon_io io;
	int lock_fd;
	int sync_fd; /* report the first start here, then -1 */
	bool open_stdin, private_net, bridge_net, auto_remove;
};

/* Create and start the container; on success io.pid runs. */
static int start_container(struct mon *m, struct hk_error **err)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
	int master = -1, devnull = -1;
	struct runtime_opts ro;
	int r = -1;

	runtime_opts_init(&ro, m->runtime_root);
	if (m->io.tty) {
		ro.console_master_out = &master;
	} else {
		if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
			hk_error_errno(err, "pipe");
			goto out;
		}
		if (m->open_stdin) {
			if (pipe2(in, O_CLOEXEC) < 0) {
				hk_error_errno(err, "pipe");
				goto out;
			}
		} else {
			devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
			in[0] = devnull;
			devnull = -1;
		}
		ro.stdio_fds[0] = in[0];
		ro.stdio_fds[1] = out[1];
		ro.stdio_fds[2] = errp[1];
	}
	/* a previous run (a restart, a crash) may have left runtime state */
	runtime_delete(m->runtime_root, m->c->id, true, NULL);
	hk_trace("runtime_create");
	if (engine_net_refresh_joined(m->e, m->c, err) < 0 ||
	    spec_opts_refresh_joined(m->e, m->c, err) < 0 ||
	    runtime_create(m->c->id, m->ctr_dir, &ro, &m->io.pid, err) < 0)
		goto out;
	hk_trace("runtime_create done");
	if (m->private_net && !m->bridge_net && engine_bring_lo_up(m->io.pid, err) < 0) {
		runtime_delete(m->runtime_root, m->c->id, true, NULL);
		goto out;
	}
	/* eth0 is there before the process runs: connect between create and
	 * start, as CNI runtimes do */
	if (m->bridge_net && engine_net_connect(m->e, m->c, m->io.pid, err) < 0) {
		runtime_delete(m->runtime_root, m->c->id, true, NULL);
		engine_net_teardown(m->e, m->c->id, false);
		waitpid(m->io.pid, NULL, WNOHANG);
		goto out;
	}
	hk_trace("runtime_start");
	if (runtime_start(m->runtime_root, m->c->id, err) < 0) {
		runtime_delete(m->runtime_root, m->c->id, true, NULL);
		if (m->bridge_net)
			engine_net_teardown(m->e, m->c->id, false);
		waitpid(m->io.pid, NULL, WNOHANG);
		goto out;
	}
	if (m->io.tty) {
		m->io.out.fd = steal_fd(&master);
		m->io.stdin_fd = fcntl(m->io.out.fd, F_DUPFD_CLOEXEC, 3);
		fcntl(m->io.out.fd, F_SETFL, O_NONBLOCK);
	} else {
		m->io.out.fd = steal_fd(&out[0]);
		m->io.err.fd = steal_fd(&errp[0]);
		fcntl(m->io.out.fd, F_SETFL, O_NONBLOCK);
		fcntl(m->io.err.fd, F_SETFL, O_NONBLOCK);
		m->io.stdin_fd = m->open_stdin ? steal_fd(&in[1]) : -1;
	}
	hk_trace("runtime_start done");
	r = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (master >= 0)
		close(master);
	return r;
}

static bool should_restart(struct engine_container *c, int code)
{
	json_object *hc = NULL, *rp = NULL, *v;
	const char *name = "no";
	int max = 0;

	if (c->stop_requested)
		return false;
	json_object_object_get_ex(c->config, "HostConfig", &hc);
	json_object_object_get_ex(hc, "RestartPolicy", &rp);
	if (json_object_object_get_ex(rp, "Name", &v))
		name = json_object_get_string(v);
	if (json_object_object_get_ex(rp, "MaximumRetryCount", &v))
		max = json_object_get_int(v);
	if (!strcmp(name, "always") || !strcmp(name, "unless-stopped"))
		return true;
	if (!strcmp(name, "on-failure"))
		return code != 0 && (max == 0 || c->restart_count < max);
	return false;
}

static void report(int *sync_fd, int status, const struct hk_error *err)
{
	int32_t s = status;

	if (*sync_fd < 0)
		return;
	write_all(*sync_fd, &s, sizeof(s));
	if (status)
		hk_error_send(*sync_fd, err);
	close(*sync_fd);
	*sync_fd = -1;
}

/* Record the exit in one transaction and re-read the container (for the
 * stop_requested flag another process may have set). */
static int record_exit(struct mon *m, int code, bool oom_killed, bool *restart,
		       struct hk_error **err)
{
	struct engine_container *fresh = NULL;
	sqlite3 *db;
	int64_t now = engine_now();

	if (store_db(m->e, &db, err) < 0)
		return -1;
	if (db_begin_immediate(db, err) < 0)
		return -1;
	if (store_load_id(m->e, m->c->id, &fresh, err) < 0) {
		db_rollback(db);
		return -1;
	}
	*restart = should_restart(fresh, code);
	if (store_update(m->e, m->c->id,
			 "state = ?, exit_code = ?, finished_at = ?, pid = 0, monitor_pid = ?,"
			 " restart_count = restart_count + ?, oom_killed = ?",
			 "siiiii", err,
			 engine_state_name(*restart ? ENGINE_RESTARTING : ENGINE_EXITED),
			 (int64_t)code, now, (int64_t)(*restart ? getpid() : 0),
			 (int64_t)(*restart ? 1 : 0), (int64_t)oom_killed) < 0) {
		engine_container_free(fresh);
		db_rollback(db);
		return -1;
	}
	{
		char buf[16];
		snprintf(buf, sizeof(buf), "%d", code);
		engine_event(m->e, fresh, "die", "exitCode", buf);
	}
	if (db_commit(m->e->db, err) < 0) {
		engine_container_free(fresh);
		return -1;
	}
	engine_container_free(m->c);
	m->c = fresh;
	if (*restart)
		m->c->restart_count++;
	return 0;
}

static int record_running(struct mon *m, struct hk_error **err)
{
	int r = store_update(m->e, m->c->id,
			     "state = 'running', pid = ?, monitor_pid = ?, started_at = ?,"
			     " error = NULL, oom_killed = 0",
			     "iii", err, (int64_t)m->io.pid, (int64_t)getpid(), engine_now());
	if (r == 0)
		engine_event(m->e, m->c, "start", NULL, NULL);
	store_close(m->e);
	return r;
}

static int open_listener(struct mon *m, struct hk_error **err)
{
	_cleanup_close_ int dfd = open(m->run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd;

	if (dfd < 0)
		return hk_error_errno(err, "open %s", m->run_dir);
	fd = sock_unix_listenat(dfd, "attach", SOCK_NONBLOCK, 16, err);
	if (fd < 0)
		return hk_error_wrap(err, "%s", m->run_dir);
	m->io.listen_fd = fd;
	return 0;
}

static void backoff(struct mon *m)
{
	/* Docker's: 100 ms, doubling per consecutive restart, at most 1 minute
	 * here capped lower so tests and people do not wait long */
	long ms = 100L << (m->c->restart_count < 5 ? m->c->restart_count : 5);
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* What every program of the monitor process sets up the same way. */
static void mon_setup(struct mon *m, struct engine *e, struct engine_container *c)
{
	json_object *cfg = NULL, *hc = NULL, *v;
	sigset_t mask;

	m->e = e;
	m->c = c;
	m->run_dir = engine_run_dir(e, c->id);
	m->ctr_dir = engine_ctr_dir(e, c->id);
	m->runtime_root = engine_runtime_root(e);
	json_object_object_get_ex(c->config, "Config", &cfg);
	json_object_object_get_ex(c->config, "HostConfig", &hc);
	m->io.tty = json_object_object_get_ex(cfg, "Tty", &v) && json_object_get_boolean(v);
	m->open_stdin =
		json_object_object_get_ex(cfg, "OpenStdin", &v) && json_object_get_boolean(v);
	m->auto_remove =
		json_object_object_get_ex(hc, "AutoRemove", &v) && json_object_get_boolean(v);
	m->private_net = !(json_object_object_get_ex(hc, "NetworkMode", &v) &&
			   !strcmp(json_object_get_string(v), "host"));
	m->bridge_net = json_object_object_get_ex(hc, "NetworkMode", &v) &&
			engine_net_is_bridge(json_object_get_string(v));

	prctl(PR_SET_NAME, "hako-monitor");
	/* The runtime forks twice to join an existing namespace (--network
	 * container:NAME): its init is then our grandchild and must come back
	 * to us to be reaped, as conmon does.  Kept across our execs. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
	/* a terminal hangup or ^C of the starting shell must not end us */
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
}

/* HostConfig.LogConfig (m->c is replaced at every exit: look it up anew) */
static json_object *log_config(struct mon *m)
{
	json_object *hc = NULL, *lc = NULL;

	json_object_object_get_ex(m->c->config, "HostConfig", &hc);
	json_object_object_get_ex(hc, "LogConfig", &lc);
	return lc;
}

static void add_arg(char ***argv, size_t *n, char *s)
{
	*argv = xrealloc(*argv, (*n + 2) * sizeof(**argv));
	(*argv)[(*n)++] = s;
	(*argv)[*n] = NULL;
}

static void add_fd_arg(char ***argv, size_t *n, const char *opt, int fd)
{
	if (fd < 0)
		return;
	fcntl(fd, F_SETFD, 0); /* survives the exec */
	add_arg(argv, n, xstrdup(opt));
	add_arg(argv, n, xasprintf("%d", fd));
}

/* After a failed exec: every fd of ours is close-on-exec again (the runtime
 * execs the container's init from a child of ours on a restart). */
static void cloexec_again(struct mon *m)
{
	int fds[] = {m->lock_fd, m->io.listen_fd, m->io.out.fd, m->io.err.fd, m->io.stdin_fd};

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			fcntl(fds[i], F_SETFD, FD_CLOEXEC);
	for (int i = 0; i < MON_MAX_CLIENTS; i++)
		if (m->io.clients[i] >= 0)
			fcntl(m->io.clients[i], F_SETFD, FD_CLOEXEC);
}

/* Whether the container's init is gone, or goes within MON_GRACE_MS of its
 * start: a short-lived one (`run --rm IMAGE true`) is then finished by this
 * process, loaded already, instead of exec'ing hako-monitor, which would
 * exec hako again to record the exit.  Its output waits in the pipes. */
#define MON_GRACE_MS 10
static bool init_exits_soon(struct mon *m)
{
	struct pollfd p = {.fd = m->io.sig_fd, .events = POLLIN};
	uint64_t deadline = now_ns() + MON_GRACE_MS * 1000000ULL;
	siginfo_t si;

	for (;;) {
		uint64_t now = now_ns();
		si.si_pid = 0;
		/* WNOWAIT: mon_loop reaps it, first thing */
		if (waitid(P_PID, (id_t)m->io.pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid)
			return true;
		if (now >= deadline || poll(&p, 1, (int)((deadline - now) / 1000000) + 1) == 0)
			return false;
		if (p.revents & POLLIN) {
			struct signalfd_siginfo ssi;
			/* the init's SIGCHLD, or another child's: look again */
			if (read(m->io.sig_fd, &ssi, sizeof(ssi)) < 0 && errno != EAGAIN)
				return false;
		}
	}
}

/* Hand the running container to the small hako-monitor.  Returns only when
 * it cannot be run (then the fds are as they were, minus CLOEXEC). */
static void exec_small_monitor(struct mon *m)
{
	_cleanup_free_ char *prog = NULL, *log_path = NULL;
	char self[PATH_MAX], **argv = NULL;
	enum mon_log_format fmt;
	int64_t max_size;
	int max_file, log_fd = -1;
	ssize_t k;
	size_t n = 0;

	if (getenv("HAKO_MONITOR_INPROCESS"))
		return;
	if (init_exits_soon(m))
		return;
	hk_trace("exec small monitor");
	prog = engine_find_helper("hako-monitor");
	k = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (!prog || k <= 0)
		return;
	self[k] = '\0';
	if (logfile_config(log_config(m), &fmt, &max_size, &max_file, NULL) < 0)
		return; /* checked at create; the in-process loop reports it */
	log_path = path_join(m->ctr_dir, "ctr.log");
	if (fmt != MON_LOG_NONE) {
		/* opened here, where an error can still be reported */
		log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (log_fd < 0)
			return;
	}
	add_arg(&argv, &n, xstrdup(prog));
	add_arg(&argv, &n, xstrdup("--hako"));
	add_arg(&argv, &n, xstrdup(self));
	add_arg(&argv, &n, xstrdup("--root"));
	add_arg(&argv, &n, xstrdup(m->e->root));
	add_arg(&argv, &n, xstrdup("--runroot"));
	add_arg(&argv, &n, xstrdup(m->e->runroot));
	add_arg(&argv, &n, xstrdup("--id"));
	add_arg(&argv, &n, xstrdup(m->c->id));
	add_arg(&argv, &n, xstrdup("--pid"));
	add_arg(&argv, &n, xasprintf("%d", (int)m->io.pid));
	add_fd_arg(&argv, &n, "--lock", m->lock_fd);
	add_fd_arg(&argv, &n, "--listen", m->io.listen_fd);
	add_fd_arg(&argv, &n, "--out", m->io.out.fd);
	add_fd_arg(&argv, &n, "--err", m->io.err.fd);
	add_fd_arg(&argv, &n, "--stdin", m->io.stdin_fd);
	for (int i = 0; i < MON_MAX_CLIENTS; i++)
		add_fd_arg(&argv, &n, "--client", m->io.clients[i]);
	if (m->io.tty)
		add_arg(&argv, &n, xstrdup("--tty"));
	add_arg(&argv, &n, xstrdup("--log"));
	add_arg(&argv, &n, xstrdup(log_path));
	add_fd_arg(&argv, &n, "--log-fd", log_fd);
	add_arg(&argv, &n, xstrdup("--log-format"));
	add_arg(&argv, &n,
		xstrdup(fmt == MON_LOG_K8S    ? "k8s-file"
			: fmt == MON_LOG_NONE ? "none"
					      : "json-file"));
	add_arg(&argv, &n, xstrdup("--log-max-size"));
	add_arg(&argv, &n, xasprintf("%lld", (long long)max_size));
	add_arg(&argv, &n, xstrdup("--log-max-file"));
	add_arg(&argv, &n, xasprintf("%d", max_file));
	execv(prog, argv);
	cloexec_again(m);
	if (log_fd >= 0)
		close(log_fd);
	for (size_t i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
}

/* The monitor from here on: io.listen_fd and the lock are set up; code >= 0
 * is an exit of the init still to record (when resumed after hako-monitor).
 * Never returns. */
static void mon_run(struct mon *m, int code) __attribute__((noreturn));
static void mon_run(struct mon *m, int code)
{
	_cleanup_error_ struct hk_error *err = NULL;
	struct mon_log *log = NULL;
	bool restart = false;

	for (;;) {
		if (code >= 0) {
			uint64_t ooms = 0;
			hk_trace("exit %d", code);
			/* State.OOMKilled, as Docker: a kill by the OOM killer in
			 * the container's cgroup, which delete removes */
			runtime_oom_kills(m->runtime_root, m->c->id, &ooms, NULL);
			runtime_delete(m->runtime_root, m->c->id, true, NULL);
			hk_trace("runtime deleted");
			if (m->bridge_net)
				engine_net_teardown(m->e, m->c->id, true);
			hk_trace("net down");
			/* a stopped container holds no mount: gone before the
			 * exit is recorded, so whoever sees "exited" sees none;
			 * a restart mounts it again */
			engine_rootfs_unmount(m->e, m->c->id);
			if (record_exit(m, code, ooms > 0, &restart, &err) < 0) {
				hk_error_free(&err);
				restart = false;
			}
			if (!restart)
				break; /* the handle serves the removal below */
			store_close(m->e);
			backoff(m);
			/* a stop during the back-off wins */
			struct engine_container *fresh = NULL;
			if (store_load_id(m->e, m->c->id, &fresh, NULL) == 0) {
				bool stop = fresh->stop_requested;
				engine_container_free(fresh);
				if (stop) {
					store_update(m->e, m->c->id,
						     "state = 'exited', monitor_pid = 0", "", NULL);
					break;
				}
			}
			store_close(m->e);
		}
		if ((!log && logfile_open(m->ctr_dir, log_config(m), &log, &err) < 0) ||
		    (code >= 0 && engine_rootfs_mount(m->e, m->c->id, NULL, &err) < 0) ||
		    start_container(m, &err) < 0) {
			engine_rootfs_unmount(m->e, m->c->id);
			hk_error_wrap(&err, "start container %s", m->c->name);
			store_update(
				m->e, m->c->id,
				"state = CASE WHEN started_at = 0 THEN 'created' ELSE 'exited' "
				"END, error = ?, pid = 0, monitor_pid = 0, exit_code = ?",
				"si", NULL, hk_error_msg(err),
				(int64_t)(m->sync_fd >= 0 ? 0 : 125));
			store_close(m->e);
			/* a program missing from a mount is found only now: 127/126 */
			int xs = runtime_exec_error_status(err);
			report(&m->sync_fd, xs ? xs : 125, err);
			mon_broadcast_exit(&m->io, xs ? xs : 125);
			_exit(1);
		}
		if (record_running(m, &err) < 0) {
			/* the container runs; the record will be repaired at exit */
			hk_error_free(&err);
		}
		report(&m->sync_fd, 0, NULL);
		exec_small_monitor(m);
		/* no hako-monitor: the same loop, here */
		m->io.log = log;
		code = mon_loop(&m->io);
		mon_finish_streams(&m->io);
	}
	logfile_close(log);
	m->io.log = NULL;
	if (!m->auto_remove)
		store_close(m->e);
	hk_trace("exit recorded");
	if (m->auto_remove) {
		if (engine_remove_files(m->e, m->c, true, &err) == 0 &&
		    store_delete(m->e, m->c->id, NULL) == 0)
			engine_event(m->e, m->c, "destroy", NULL, NULL);
		store_close(m->e);
	}
	hk_trace("removed");
	mon_broadcast_exit(&m->io, code);
	/* unlink the socket before the lock goes, so a new monitor never finds
	 * a stale one */
	if (!m->auto_remove) {
		_cleanup_free_ char *sock = path_join(m->run_dir, "attach");
		unlink(sock);
	}
	hk_child_exit(0);
}

static void open_sigfd(struct mon *m)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	m->io.sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

void monitor_main(struct monitor_args *a)
{
	_cleanup_error_ struct hk_error *err = NULL;
	struct mon m = {.lock_fd = a->lock_fd, .sync_fd = a->sync_fd};
	int devnull;

	setsid();
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		close(devnull);
	}
	mon_io_init(&m.io);
	mon_setup(&m, a->e, a->c);
	if (a->attach_fd >= 0)
		mon_add_client(&m.io, a->attach_fd);
	open_sigfd(&m);
	if (m.io.sig_fd < 0 || open_listener(&m, &err) < 0) {
		if (!err)
			hk_error_errno(&err, "signalfd");
		report(&m.sync_fd, 125, err);
		_exit(1);
	}
	mon_run(&m, -1);
}

void engine_monitor_resume(struct engine *e, const char *id, int code, int lock_fd, int listen_fd,
			   const int *clients, size_t n_clients)
{
	_cleanup_error_ struct hk_error *err = NULL;
	struct engine_container *c = NULL;
	struct mon m = {.lock_fd = lock_fd, .sync_fd = -1};

	mon_io_init(&m.io);
	m.io.listen_fd = listen_fd;
	for (size_t i = 0; i < n_clients; i++) {
		fcntl(clients[i], F_SETFD, FD_CLOEXEC);
		mon_add_client(&m.io, clients[i]);
	}
	fcntl(lock_fd, F_SETFD, FD_CLOEXEC);
	fcntl(listen_fd, F_SETFD, FD_CLOEXEC);
	if (store_load_id(e, id, &c, &err) < 0) {
		/* nothing to record into: whoever comes next repairs it */
		mon_broadcast_exit(&m.io, code);
		_exit(1);
	}
	mon_setup(&m, e, c);
	open_sigfd(&m);
	mon_run(&m, code);
}
