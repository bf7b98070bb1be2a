/* hako engine: the per-container monitor (the role conmon plays for podman).
 *
 * One process per running container, forked by the command that starts it
 * and detached from it (setsid).  It:
 *   - creates the container through the runtime library, so the container's
 *     init is its direct child and its exit status is ours to reap;
 *   - holds the container's stdio: pipes (stdout, stderr and, with -i, stdin)
 *     or the pty master (-t);
 *   - writes the log (logfile.c) and copies output to attached clients;
 *   - serves attach on <rundir>/attach (protocol in attach.c);
 *   - records start, exit and restarts in the database, applies the restart
 *     policy, and with --rm removes the container when it is done;
 *   - holds <rundir>/monitor.lock (flock) for its whole life, so others can
 *     tell a live monitor from a dead one without trusting pids.
 * It opens the database only for the moments it writes, so an idle monitor
 * holds no database handle and little memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "engine/internal.h"
#include "runtime/runtime.h"
#include "util/json.h"
#include "util/path.h"
#include "util/util.h"

#define MAX_CLIENTS  16
#define LINE_MAX_BUF 16384

struct stream {
	int fd;		  /* read end (or the pty master for stdout) */
	const char *name; /* "stdout" / "stderr" */
	enum attach_frame frame;
	char buf[LINE_MAX_BUF]; /* a partial line waiting for its newline */
	size_t len;
};

struct mon {
	struct engine *e;
	struct engine_container *c;
	char *run_dir, *ctr_dir, *runtime_root;
	int listen_fd;
	int sig_fd;
	int clients[MAX_CLIENTS];
	int stdin_fd; /* write end of the container's stdin pipe, or the master; -1 */
	bool tty, open_stdin, private_net, bridge_net;
	struct stream out, err;
	struct logfile *log;
	pid_t pid;
};

static void add_client(struct mon *m, int fd)
{
	struct timeval tv = {.tv_sec = 2};

	/* a client that stops reading must not stall the container: writes to
	 * it time out and it is dropped */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (m->clients[i] < 0) {
			m->clients[i] = fd;
			return;
		}
	}
	close(fd);
}

static void drop_client(struct mon *m, int i)
{
	close(m->clients[i]);
	m->clients[i] = -1;
}

static void broadcast(struct mon *m, enum attach_frame type, const void *data, uint32_t len)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (m->clients[i] >= 0 && attach_send(m->clients[i], type, data, len) < 0)
			drop_client(m, i);
}

/* Log complete lines; keep a partial one until its newline (or until the
 * buffer is full, then it is logged as a partial entry, as Docker does). */
static void stream_data(struct mon *m, struct stream *s, const char *data, size_t len)
{
	broadcast(m, s->frame, data, (uint32_t)len);
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) + 1 : len;

		if (s->len + take > sizeof(s->buf)) {
			logfile_write(m->log, s->name, s->buf, s->len, true);
			s->len = 0;
			if (take > sizeof(s->buf)) {
				logfile_write(m->log, s->name, data, take, !nl);
				data += take;
				len -= take;
				continue;
			}
		}
		memcpy(s->buf + s->len, data, take);
		s->len += take;
		if (nl) {
			logfile_write(m->log, s->name, s->buf, s->len, false);
			s->len = 0;
		}
		data += take;
		len -= take;
	}
}

static void stream_flush(struct mon *m, struct stream *s)
{
	if (s->len)
		logfile_write(m->log, s->name, s->buf, s->len, true);
	s->len = 0;
}

/* Read what is there; returns 0 at EOF / error (the fd is then closed). */
static int stream_read(struct mon *m, struct stream *s)
{
	char buf[32768];
	ssize_t n;

	n = read(s->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n <= 0) {
		/* EIO on a pty master: every slave fd is closed */
		close(s->fd);
		s->fd = -1;
		return 0;
	}
	stream_data(m, s, buf, (size_t)n);
	return 1;
}

static void client_input(struct mon *m, int i)
{
	char buf[ATTACH_MAX_FRAME];
	enum attach_frame type;
	uint32_t len;
	int r = attach_recv(m->clients[i], &type, buf, &len);

	if (r <= 0) {
		drop_client(m, i);
		return;
	}
	switch (type) {
	case ATTACH_STDIN:
		if (m->stdin_fd >= 0 && write_all(m->stdin_fd, buf, len) < 0 && !m->tty) {
			close(m->stdin_fd);
			m->stdin_fd = -1;
		}
		break;
	case ATTACH_RESIZE:
		if (m->tty && m->out.fd >= 0 && len == 4) {
			struct winsize ws = {
				.ws_row = (unsigned short)((unsigned char)buf[0] << 8 |
							   (unsigned char)buf[1]),
				.ws_col = (unsigned short)((unsigned char)buf[2] << 8 |
							   (unsigned char)buf[3]),
			};
			ioctl(m->out.fd, TIOCSWINSZ, &ws);
		}
		break;
	case ATTACH_CLOSE_STDIN:
		if (!m->tty && m->stdin_fd >= 0) {
			close(m->stdin_fd);
			m->stdin_fd = -1;
		}
		break;
	default:
		break;
	}
}

static int status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

/* Create and start the container; on success m->pid runs. */
static int start_container(struct mon *m, struct hk_error **err)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
	int master = -1, devnull = -1;
	struct runtime_opts ro;
	int r = -1;

	runtime_opts_init(&ro, m->runtime_root);
	if (m->tty) {
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
	if (engine_net_refresh_joined(m->e, m->c, err) < 0 ||
	    runtime_create(m->c->id, m->ctr_dir, &ro, &m->pid, err) < 0)
		goto out;
	if (m->private_net && !m->bridge_net && engine_bring_lo_up(m->pid, err) < 0) {
		runtime_delete(m->runtime_root, m->c->id, true, NULL);
		goto out;
	}
	/* eth0 is there before the process runs: connect between create and
	 * start, as CNI runtimes do */
	if (m->bridge_net && engine_net_connect(m->e, m->c, m->pid, err) < 0) {
		runtime_delete(m->runtime_root, m->c->id, true, NULL);
		engine_net_teardown(m->e, m->c->id);
		waitpid(m->pid, NULL, WNOHANG);
		goto out;
	}
	if (runtime_start(m->runtime_root, m->c->id, err) < 0) {
		runtime_delete(m->runtime_root, m->c->id, true, NULL);
		if (m->bridge_net)
			engine_net_teardown(m->e, m->c->id);
		waitpid(m->pid, NULL, WNOHANG);
		goto out;
	}
	if (m->tty) {
		m->out.fd = steal_fd(&master);
		m->stdin_fd = dup(m->out.fd);
		fcntl(m->out.fd, F_SETFL, O_NONBLOCK);
	} else {
		m->out.fd = steal_fd(&out[0]);
		m->err.fd = steal_fd(&errp[0]);
		fcntl(m->out.fd, F_SETFL, O_NONBLOCK);
		fcntl(m->err.fd, F_SETFL, O_NONBLOCK);
		m->stdin_fd = m->open_stdin ? steal_fd(&in[1]) : -1;
	}
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

static void close_streams(struct mon *m)
{
	if (m->out.fd >= 0)
		close(m->out.fd);
	if (m->err.fd >= 0)
		close(m->err.fd);
	if (m->stdin_fd >= 0)
		close(m->stdin_fd);
	m->out.fd = m->err.fd = m->stdin_fd = -1;
}

/* Drain the output after the init exited: the pid namespace is gone, so
 * every writer is too and EOF follows soon; do not wait forever (a process
 * outside the namespace could hold a pipe, e.g. with --network host...). */
static void drain(struct mon *m)
{
	unsigned long long deadline = now_ns() + 500000000ULL;

	while ((m->out.fd >= 0 || m->err.fd >= 0) && now_ns() < deadline) {
		struct pollfd p[2] = {{.fd = m->out.fd, .events = POLLIN},
				      {.fd = m->err.fd, .events = POLLIN}};
		if (poll(p, 2, 50) <= 0)
			continue;
		if (p[0].revents && stream_read(m, &m->out) && (p[0].revents & POLLHUP) &&
		    !(p[0].revents & POLLIN)) {
			close(m->out.fd);
			m->out.fd = -1;
		}
		if (p[1].revents && stream_read(m, &m->err) && (p[1].revents & POLLHUP) &&
		    !(p[1].revents & POLLIN)) {
			close(m->err.fd);
			m->err.fd = -1;
		}
	}
	stream_flush(m, &m->out);
	stream_flush(m, &m->err);
}

/* Wait for the init to exit while serving output and clients. */
static int event_loop(struct mon *m)
{
	for (;;) {
		struct pollfd p[4 + MAX_CLIENTS];
		int n = 0, idx_out = -1, idx_err = -1, idx_listen, idx_sig;

		p[n] = (struct pollfd){.fd = m->sig_fd, .events = POLLIN};
		idx_sig = n++;
		p[n] = (struct pollfd){.fd = m->listen_fd, .events = POLLIN};
		idx_listen = n++;
		if (m->out.fd >= 0) {
			p[n] = (struct pollfd){.fd = m->out.fd, .events = POLLIN};
			idx_out = n++;
		}
		if (m->err.fd >= 0) {
			p[n] = (struct pollfd){.fd = m->err.fd, .events = POLLIN};
			idx_err = n++;
		}
		int first_client = n;
		for (int i = 0; i < MAX_CLIENTS; i++)
			p[n++] = (struct pollfd){.fd = m->clients[i], .events = POLLIN};
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 255;
		}
		if (idx_out >= 0 && p[idx_out].revents)
			stream_read(m, &m->out);
		if (idx_err >= 0 && p[idx_err].revents)
			stream_read(m, &m->err);
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (m->clients[i] >= 0 && p[first_client + i].revents)
				client_input(m, i);
		if (p[idx_listen].revents & POLLIN) {
			int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				add_client(m, fd);
		}
		if (p[idx_sig].revents & POLLIN) {
			struct signalfd_siginfo si;
			int status;
			pid_t r;

			if (read(m->sig_fd, &si, sizeof(si)) < 0 && errno != EAGAIN)
				continue;
			while ((r = waitpid(-1, &status, WNOHANG)) > 0)
				if (r == m->pid)
					return status_code(status);
			if (r < 0 && errno == ECHILD)
				return 255; /* should not happen: the init is our child */
		}
	}
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
static int record_exit(struct mon *m, int code, bool *restart, struct hk_error **err)
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
			 " restart_count = restart_count + ?",
			 "siiii", err,
			 engine_state_name(*restart ? ENGINE_RESTARTING : ENGINE_EXITED),
			 (int64_t)code, now, (int64_t)(*restart ? getpid() : 0),
			 (int64_t)(*restart ? 1 : 0)) < 0) {
		engine_container_free(fresh);
		db_rollback(db);
		return -1;
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
			     " error = NULL",
			     "iii", err, (int64_t)m->pid, (int64_t)getpid(), engine_now());
	store_close(m->e);
	return r;
}

static int open_listener(struct mon *m, struct hk_error **err)
{
	_cleanup_close_ int dfd = open(m->run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char fdpath[64];
	int fd;

	if (dfd < 0)
		return hk_error_errno(err, "open %s", m->run_dir);
	/* the run dir can be deeper than sun_path allows: bind through the fd */
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d/attach", dfd);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fdpath);
	unlinkat(dfd, "attach", 0);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return hk_error_errno(err, "socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		hk_error_errno(err, "listen on %s/attach", m->run_dir);
		close(fd);
		return -1;
	}
	m->listen_fd = fd;
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

void monitor_main(struct monitor_args *a)
{
	_cleanup_error_ struct hk_error *err = NULL;
	struct mon m = {.e = a->e, .c = a->c, .listen_fd = -1, .stdin_fd = -1};
	json_object *cfg = NULL, *hc = NULL, *v, *lc = NULL;
	int sync_fd = a->sync_fd, code = 255, devnull;
	bool restart = false, auto_remove = false;
	sigset_t mask;

	setsid();
	prctl(PR_SET_NAME, "hako-monitor");
	/* The runtime forks twice to join an existing namespace (--network
	 * container:NAME): its init is then our grandchild and must come back
	 * to us to be reaped, as conmon does. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		close(devnull);
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		m.clients[i] = -1;
	m.out = (struct stream){.fd = -1, .name = "stdout", .frame = ATTACH_STDOUT};
	m.err = (struct stream){.fd = -1, .name = "stderr", .frame = ATTACH_STDERR};
	if (a->attach_fd >= 0)
		add_client(&m, a->attach_fd);
	m.run_dir = engine_run_dir(m.e, m.c->id);
	m.ctr_dir = engine_ctr_dir(m.e, m.c->id);
	m.runtime_root = engine_runtime_root(m.e);
	json_object_object_get_ex(m.c->config, "Config", &cfg);
	json_object_object_get_ex(m.c->config, "HostConfig", &hc);
	json_object_object_get_ex(hc, "LogConfig", &lc);
	m.tty = json_object_object_get_ex(cfg, "Tty", &v) && json_object_get_boolean(v);
	m.open_stdin =
		json_object_object_get_ex(cfg, "OpenStdin", &v) && json_object_get_boolean(v);
	auto_remove = json_object_object_get_ex(hc, "AutoRemove", &v) && json_object_get_boolean(v);
	m.private_net = !(json_object_object_get_ex(hc, "NetworkMode", &v) &&
			  !strcmp(json_object_get_string(v), "host"));
	m.bridge_net = json_object_object_get_ex(hc, "NetworkMode", &v) &&
		       engine_net_is_bridge(json_object_get_string(v));

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	m.sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	/* a terminal hangup or ^C of the starting shell must not end us */
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);

	if (m.sig_fd < 0 || open_listener(&m, &err) < 0 ||
	    logfile_open(m.ctr_dir, lc, &m.log, &err) < 0) {
		if (!err)
			hk_error_errno(&err, "signalfd");
		report(&sync_fd, 125, err);
		_exit(1);
	}

	for (;;) {
		if (start_container(&m, &err) < 0) {
			hk_error_wrap(&err, "start container %s", m.c->name);
			store_update(
				m.e, m.c->id,
				"state = CASE WHEN started_at = 0 THEN 'created' ELSE 'exited' "
				"END, error = ?, pid = 0, monitor_pid = 0, exit_code = ?",
				"si", NULL, hk_error_msg(err), (int64_t)(sync_fd >= 0 ? 0 : 125));
			store_close(m.e);
			report(&sync_fd, 125, err);
			broadcast(&m, ATTACH_EXIT, "\0\0\0\x7d", 4);
			_exit(1);
		}
		if (record_running(&m, &err) < 0) {
			/* the container runs; the record will be repaired at exit */
			hk_error_free(&err);
		}
		report(&sync_fd, 0, NULL);
		code = event_loop(&m);
		drain(&m);
		close_streams(&m);
		runtime_delete(m.runtime_root, m.c->id, true, NULL);
		if (m.bridge_net)
			engine_net_teardown(m.e, m.c->id);
		if (record_exit(&m, code, &restart, &err) < 0) {
			hk_error_free(&err);
			restart = false;
		}
		if (!restart)
			break; /* the handle serves the removal below */
		store_close(m.e);
		backoff(&m);
		/* a stop during the back-off wins */
		{
			struct engine_container *fresh = NULL;
			if (store_load_id(m.e, m.c->id, &fresh, NULL) == 0) {
				bool stop = fresh->stop_requested;
				engine_container_free(fresh);
				if (stop) {
					store_update(m.e, m.c->id,
						     "state = 'exited', monitor_pid = 0", "", NULL);
					store_close(m.e);
					break;
				}
			}
			store_close(m.e);
		}
	}
	logfile_close(m.log);
	if (!auto_remove)
		store_close(m.e);
	if (auto_remove) {
		if (engine_remove_files(m.e, m.c, true, &err) == 0)
			store_delete(m.e, m.c->id, NULL);
		store_close(m.e);
	}
	{
		unsigned char c4[4] = {(unsigned char)(code >> 24), (unsigned char)(code >> 16),
				       (unsigned char)(code >> 8), (unsigned char)code};
		broadcast(&m, ATTACH_EXIT, c4, 4);
	}
	/* unlink the socket before the lock goes, so a new monitor never finds
	 * a stale one */
	{
		_cleanup_free_ char *sock = path_join(m.run_dir, "attach");
		if (!auto_remove)
			unlink(sock);
	}
	_exit(0);
}
