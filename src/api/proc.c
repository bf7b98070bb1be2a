/* hako API service: the hako binary as a child, for what forks a monitor,
 * owns a terminal or streams for long (start, exec, logs, pull): a child
 * keeps the service's threads out of fork() and its crash out of the
 * service.  Output is relayed raw or in Docker's multiplexed framing
 * (8-byte header: stream 1/2, three zeros, big-endian length). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "api/internal.h"
#include "util/util.h"

extern char **environ;

int api_spawn(struct api_server *s, char *const *args, int in, int out, int errfd, pid_t *pid)
{
	_cleanup_strv_ char **argv = NULL;
	posix_spawn_file_actions_t fa;
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC), rc;

	strv_push(&argv, s->exe);
	strv_push(&argv, "--root");
	strv_push(&argv, s->root);
	strv_push(&argv, "--runroot");
	strv_push(&argv, s->runroot);
	for (size_t i = 0; args[i]; i++)
		strv_push(&argv, args[i]);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in >= 0 ? in : nul, 0);
	posix_spawn_file_actions_adddup2(&fa, out >= 0 ? out : nul, 1);
	posix_spawn_file_actions_adddup2(&fa, errfd >= 0 ? errfd : nul, 2);
	rc = posix_spawn(pid, s->exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(nul);
	if (rc) {
		errno = rc;
		return -1;
	}
	return 0;
}

static void append(char **buf, size_t *len, const char *data, size_t n)
{
	*buf = xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = 0;
}

int api_run(struct api_server *s, char *const *args, char **out, char **errout)
{
	int po[2], pe[2], status = -1;
	char *bufs[2] = {NULL, NULL};
	size_t lens[2] = {0, 0};
	pid_t pid;

	if (pipe2(po, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(pe, O_CLOEXEC) < 0) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	if (api_spawn(s, args, -1, po[1], pe[1], &pid) < 0) {
		close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
		return -1;
	}
	close(po[1]);
	close(pe[1]);
	struct pollfd pf[2] = {{.fd = po[0], .events = POLLIN}, {.fd = pe[0], .events = POLLIN}};
	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			char chunk[8192];
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			ssize_t k = read(pf[i].fd, chunk, sizeof(chunk));
			if (k > 0 && lens[i] < (64u << 20)) {
				append(&bufs[i], &lens[i], chunk, (size_t)k);
			} else if (k == 0 || (k < 0 && errno != EINTR)) {
				close(pf[i].fd);
				pf[i].fd = -1;
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (out)
		*out = bufs[0] ? bufs[0] : xstrdup("");
	else
		free(bufs[0]);
	if (errout)
		*errout = bufs[1] ? bufs[1] : xstrdup("");
	else
		free(bufs[1]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ------------------------------------------------------------------ streams */

struct child_stream {
	struct MHD_Connection *conn;
	pid_t pid;
	int fds[2]; /* stdout, stderr (-1 when done) */
	bool mux;
	char *pending;
	size_t plen, poff;
};

static void frame(char **buf, size_t *len, int stream, const char *data, size_t n, bool mux)
{
	if (mux) {
		unsigned char h[8] = {(unsigned char)stream,
				      0,
				      0,
				      0,
				      (unsigned char)(n >> 24),
				      (unsigned char)(n >> 16),
				      (unsigned char)(n >> 8),
				      (unsigned char)n};
		append(buf, len, (const char *)h, 8);
	}
	append(buf, len, data, n);
}

static ssize_t child_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct child_stream *cs = cls;

	while (cs->poff == cs->plen) {
		struct pollfd pf[2];
		int n = 0;
		free(cs->pending);
		cs->pending = NULL;
		cs->plen = cs->poff = 0;
		for (int i = 0; i < 2; i++)
			if (cs->fds[i] >= 0)
				pf[n++] = (struct pollfd){.fd = cs->fds[i], .events = POLLIN};
		if (n == 0)
			return MHD_CONTENT_READER_END_OF_STREAM;
		int k = poll(pf, (nfds_t)n, 1000);
		if (k < 0 && errno != EINTR)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (k <= 0) {
			if (api_client_gone(cs->conn))
				return MHD_CONTENT_READER_END_WITH_ERROR;
			continue;
		}
		for (int j = 0; j < n; j++) {
			char chunk[16384];
			int stream = pf[j].fd == cs->fds[0] ? 1 : 2;
			if (!pf[j].revents)
				continue;
			ssize_t got = read(pf[j].fd, chunk, sizeof(chunk));
			if (got > 0) {
				frame(&cs->pending, &cs->plen, stream, chunk, (size_t)got, cs->mux);
			} else if (got == 0 || errno != EINTR) {
				close(cs->fds[stream - 1]);
				cs->fds[stream - 1] = -1;
			}
		}
	}
	size_t n = cs->plen - cs->poff < max ? cs->plen - cs->poff : max;
	memcpy(buf, cs->pending + cs->poff, n);
	cs->poff += n;
	return (ssize_t)n;
}

static void child_free(void *cls)
{
	struct child_stream *cs = cls;
	for (int i = 0; i < 2; i++)
		if (cs->fds[i] >= 0)
			close(cs->fds[i]);
	if (cs->pid > 0) {
		/* a follower whose client left: stop it */
		kill(cs->pid, SIGTERM);
		while (waitpid(cs->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(cs->pending);
	free(cs);
}

bool api_client_gone(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct pollfd pf;

	if (!ci)
		return false;
	pf = (struct pollfd){.fd = ci->connect_fd, .events = POLLRDHUP};
	return poll(&pf, 1, 0) > 0 && (pf.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

enum MHD_Result api_stream_child(struct api_req *r, char *const *args, bool mux)
{
	struct child_stream *cs = xzalloc(sizeof(*cs));
	struct MHD_Response *resp;
	int po[2], pe[2];

	cs->conn = r->conn;
	cs->mux = mux;
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		free(cs);
		return api_error(r, 500, "pipe: %s", strerror(errno));
	}
	if (api_spawn(r->srv, args, -1, po[1], pe[1], &cs->pid) < 0) {
		int en = errno;
		close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
		free(cs);
		return api_error(r, 500, "run hako: %s", strerror(en));
	}
	close(po[1]);
	close(pe[1]);
	cs->fds[0] = po[0];
	cs->fds[1] = pe[0];
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, child_read, cs,
						 child_free);
	if (!resp) {
		child_free(cs);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type",
				mux ? "application/vnd.docker.multiplexed-stream"
				    : "application/vnd.docker.raw-stream");
	return api_queue(r, MHD_HTTP_OK, resp);
}

/* ------------------------------------------------------------------ hijack */

struct hijack_run {
	struct api_hijack h;
	struct MHD_UpgradeResponseHandle *urh;
	int sock;
	char *extra;
	size_t n_extra;
	bool ready; /* a deferred one got its command */
	struct hijack_run *next_pending;
};

/* Attaches made before the start (docker run: attach, then start): the
 * start hands them `hako start -a`, so not a byte of output is missed. */
static pthread_mutex_t pend_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pend_cond = PTHREAD_COND_INITIALIZER;
static struct hijack_run *pending;

/* An attach registers in `pending` from its own thread, after the upgrade
 * answer went out, and docker starts the container as soon as it reads
 * that answer: the start can come first.  So the attach handler announces
 * itself before it answers, and a start that finds an announced but not yet
 * pending attach waits for it (an announcement lapses after 5 s, in case
 * the upgrade never happens). */
#define ANNOUNCE_MAX 64
static struct {
	char id[72];
	unsigned long long until;
} announced[ANNOUNCE_MAX];

static unsigned long long mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

/* under pend_lock: the live announcement of id, or -1 */
static int announcement(const char *id)
{
	unsigned long long now = mono_ns();

	for (int i = 0; i < ANNOUNCE_MAX; i++)
		if (announced[i].until > now && !strcmp(announced[i].id, id))
			return i;
	return -1;
}

void api_attach_announce(const char *id)
{
	unsigned long long now = mono_ns();

	pthread_mutex_lock(&pend_lock);
	for (int i = 0; i < ANNOUNCE_MAX; i++) {
		if (announced[i].until > now)
			continue;
		snprintf(announced[i].id, sizeof(announced[i].id), "%s", id);
		announced[i].until = now + 5000000000ULL;
		break;
	}
	pthread_mutex_unlock(&pend_lock);
}

bool api_attach_claim(const char *id, char **args)
{
	bool found = false;

	pthread_mutex_lock(&pend_lock);
	for (;;) {
		for (struct hijack_run **pp = &pending; *pp; pp = &(*pp)->next_pending) {
			struct hijack_run *hr = *pp;
			if (strcmp(hr->h.defer_for, id))
				continue;
			*pp = hr->next_pending;
			strv_free(hr->h.args);
			hr->h.args = args;
			hr->ready = true;
			found = true;
			break;
		}
		if (found || announcement(id) < 0)
			break;
		/* announced, not pending yet: wait for its thread */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&pend_cond, &pend_lock, &ts);
	}
	pthread_cond_broadcast(&pend_cond);
	pthread_mutex_unlock(&pend_lock);
	if (!found)
		strv_free(args);
	return found;
}

static bool sock_closed(int fd)
{
	struct pollfd pf = {.fd = fd, .events = POLLRDHUP};
	return poll(&pf, 1, 0) > 0 && (pf.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Wait until a start claims hr (true) or the client leaves (false). */
static bool wait_claimed(struct hijack_run *hr)
{
	bool ok;

	pthread_mutex_lock(&pend_lock);
	hr->next_pending = pending;
	pending = hr;
	/* pending now: the announcement has done its job */
	int a = announcement(hr->h.defer_for);
	if (a >= 0)
		announced[a].until = 0;
	pthread_cond_broadcast(&pend_cond);
	while (!hr->ready) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&pend_cond, &pend_lock, &ts);
		if (!hr->ready && sock_closed(hr->sock))
			break;
	}
	ok = hr->ready;
	if (!ok)
		for (struct hijack_run **pp = &pending; *pp; pp = &(*pp)->next_pending)
			if (*pp == hr) {
				*pp = hr->next_pending;
				break;
			}
	pthread_mutex_unlock(&pend_lock);
	return ok;
}

static bool write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		p += k;
		n -= (size_t)k;
	}
	return true;
}

static void *hijack_thread(void *arg)
{
	struct hijack_run *hr = arg;
	int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1}, master = -1, slave = -1;
	int child_in = -1, child_out, child_err, status = -1;
	pid_t pid = -1;
	bool sock_open = true;

	if (hr->h.defer_for && !wait_claimed(hr))
		goto done;
	if (hr->h.pty) {
		struct termios raw;
		if (openpty(&master, &slave, NULL, NULL, NULL) < 0)
			goto done;
		/* the child (hako exec -t, start -a, attach) relays the
		 * container's own terminal: ours must not translate again */
		if (tcgetattr(slave, &raw) == 0) {
			cfmakeraw(&raw);
			tcsetattr(slave, TCSANOW, &raw);
		}
		fcntl(master, F_SETFD, FD_CLOEXEC);
		fcntl(slave, F_SETFD, FD_CLOEXEC);
		child_in = child_out = child_err = slave;
	} else {
		if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
			goto done;
		if (hr->h.stdin_on && pipe2(in, O_CLOEXEC) < 0)
			goto done;
		child_in = in[0];
		child_out = out[1];
		child_err = errp[1];
	}
	if (api_spawn(hr->h.srv, hr->h.args, child_in, child_out, child_err, &pid) < 0)
		goto done;
	if (hr->h.done)
		hr->h.done(hr->h.data, 0, pid, 0);
	if (hr->h.pty) {
		close(slave);
		slave = -1;
	} else {
		close(out[1]), close(errp[1]);
		out[1] = errp[1] = -1;
		if (in[0] >= 0)
			close(in[0]), in[0] = -1;
	}
	int to_child = hr->h.pty ? (hr->h.stdin_on ? master : -1) : in[1];
	if (to_child >= 0 && hr->n_extra)
		write_full(to_child, hr->extra, hr->n_extra);
	for (;;) {
		struct pollfd pf[3];
		int n = 0, ofd = hr->h.pty ? master : out[0];
		if (ofd >= 0)
			pf[n++] = (struct pollfd){.fd = ofd, .events = POLLIN};
		if (!hr->h.pty && errp[0] >= 0)
			pf[n++] = (struct pollfd){.fd = errp[0], .events = POLLIN};
		if (n == 0)
			break;
		if (sock_open && hr->h.stdin_on)
			pf[n++] = (struct pollfd){.fd = hr->sock, .events = POLLIN};
		if (poll(pf, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < n; i++) {
			char buf[16384];
			if (!pf[i].revents)
				continue;
			ssize_t k = read(pf[i].fd, buf, sizeof(buf));
			if (pf[i].fd == hr->sock) {
				if (k > 0) {
					if (to_child >= 0)
						write_full(to_child, buf, (size_t)k);
				} else {
					/* the client closed its side: EOF for the child */
					sock_open = false;
					if (!hr->h.pty && in[1] >= 0)
						close(in[1]), in[1] = -1, to_child = -1;
				}
				continue;
			}
			if (k <= 0) {
				/* a pty's master reads EIO once the child side is gone */
				if (pf[i].fd == master)
					close(master), master = -1;
				else if (pf[i].fd == out[0])
					close(out[0]), out[0] = -1;
				else
					close(errp[0]), errp[0] = -1;
				continue;
			}
			if (hr->h.tty || hr->h.pty) {
				write_full(hr->sock, buf, (size_t)k);
			} else {
				int stream = pf[i].fd == out[0] ? 1 : 2;
				unsigned char hd[8] = {(unsigned char)stream,
						       0,
						       0,
						       0,
						       (unsigned char)(k >> 24),
						       (unsigned char)(k >> 16),
						       (unsigned char)(k >> 8),
						       (unsigned char)k};
				write_full(hr->sock, hd, 8);
				write_full(hr->sock, buf, (size_t)k);
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (hr->h.done)
		hr->h.done(hr->h.data,
			   WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), 0, 1);
done:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
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
	if (slave >= 0)
		close(slave);
	shutdown(hr->sock, SHUT_RDWR);
	MHD_upgrade_action(hr->urh, MHD_UPGRADE_ACTION_CLOSE);
	strv_free(hr->h.args);
	free(hr->h.defer_for);
	free(hr->extra);
	free(hr);
	return NULL;
}

static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
		       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct hijack_run *hr = cls;
	pthread_t t;

	hr->urh = urh;
	hr->sock = sock;
	if (extra_in_size) {
		hr->extra = xzalloc(extra_in_size);
		memcpy(hr->extra, extra_in, extra_in_size);
		hr->n_extra = extra_in_size;
	}
	/* the relay lives as long as the child: not on MHD's thread */
	if (pthread_create(&t, NULL, hijack_thread, hr) != 0) {
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		strv_free(hr->h.args);
		free(hr->extra);
		free(hr);
		return;
	}
	pthread_detach(t);
}

enum MHD_Result api_hijack(struct api_req *r, struct api_hijack *h)
{
	struct hijack_run *hr = xzalloc(sizeof(*hr));
	struct MHD_Response *resp;

	hr->h = *h;
	free(h);
	resp = MHD_create_response_for_upgrade(on_upgrade, hr);
	if (!resp) {
		strv_free(hr->h.args);
		free(hr);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Upgrade", "tcp");
	MHD_add_response_header(resp, "Connection", "Upgrade");
	MHD_add_response_header(resp, "Content-Type",
				hr->h.tty ? "application/vnd.docker.raw-stream"
					  : "application/vnd.docker.multiplexed-stream");
	return api_queue(r, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
}
