/* hako: a monitor's event loop (see mon.h): output to the log and to attached
 * clients, client input to the container, the init's exit.  libc only. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "util/trace.h"

#include "monitor/mon.h"
#include "util/util.h"

void mon_io_init(struct mon_io *io)
{
	io->sig_fd = io->listen_fd = io->stdin_fd = -1;
	for (int i = 0; i < MON_MAX_CLIENTS; i++)
		io->clients[i] = -1;
	io->out.fd = io->err.fd = -1;
	io->out.name = "stdout";
	io->out.frame = ATTACH_STDOUT;
	io->out.len = 0;
	io->err.name = "stderr";
	io->err.frame = ATTACH_STDERR;
	io->err.len = 0;
	io->tty = false;
	io->log = NULL;
	io->pid = 0;
}

void mon_add_client(struct mon_io *io, int fd)
{
	struct timeval tv = {.tv_sec = 2};

	/* a client that stops reading must not stall the container: writes to
	 * it time out and it is dropped */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (int i = 0; i < MON_MAX_CLIENTS; i++) {
		if (io->clients[i] < 0) {
			io->clients[i] = fd;
			return;
		}
	}
	close(fd);
}

static void drop_client(struct mon_io *io, int i)
{
	close(io->clients[i]);
	io->clients[i] = -1;
}

void mon_broadcast(struct mon_io *io, enum attach_frame type, const void *data, uint32_t len)
{
	for (int i = 0; i < MON_MAX_CLIENTS; i++)
		if (io->clients[i] >= 0 && attach_send(io->clients[i], type, data, len) < 0)
			drop_client(io, i);
}

void mon_broadcast_exit(struct mon_io *io, int code)
{
	unsigned char c4[4] = {(unsigned char)(code >> 24), (unsigned char)(code >> 16),
			       (unsigned char)(code >> 8), (unsigned char)code};

	mon_broadcast(io, ATTACH_EXIT, c4, 4);
}

/* Log complete lines; keep a partial one until its newline (or until the
 * buffer is full, then it is logged as a partial entry, as Docker does). */
static void stream_data(struct mon_io *io, struct mon_stream *s, const char *data, size_t len)
{
	mon_broadcast(io, s->frame, data, (uint32_t)len);
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) + 1 : len;

		if (s->len + take > sizeof(s->buf)) {
			mon_log_write(io->log, s->name, s->buf, s->len, true);
			s->len = 0;
			if (take > sizeof(s->buf)) {
				mon_log_write(io->log, s->name, data, take, !nl);
				data += take;
				len -= take;
				continue;
			}
		}
		memcpy(s->buf + s->len, data, take);
		s->len += take;
		if (nl) {
			mon_log_write(io->log, s->name, s->buf, s->len, false);
			s->len = 0;
		}
		data += take;
		len -= take;
	}
}

static void stream_flush(struct mon_io *io, struct mon_stream *s)
{
	if (s->len)
		mon_log_write(io->log, s->name, s->buf, s->len, true);
	s->len = 0;
}

/* Read what is there; returns 0 at EOF / error (the fd is then closed). */
static int stream_read(struct mon_io *io, struct mon_stream *s)
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
	stream_data(io, s, buf, (size_t)n);
	return 1;
}

static void client_input(struct mon_io *io, int i)
{
	char buf[ATTACH_MAX_FRAME];
	enum attach_frame type;
	uint32_t len;
	int r = attach_recv(io->clients[i], &type, buf, &len);

	if (r <= 0) {
		drop_client(io, i);
		return;
	}
	switch (type) {
	case ATTACH_STDIN:
		if (io->stdin_fd >= 0 && write_all(io->stdin_fd, buf, len) < 0 && !io->tty) {
			close(io->stdin_fd);
			io->stdin_fd = -1;
		}
		break;
	case ATTACH_RESIZE:
		if (io->tty && io->out.fd >= 0 && len == 4) {
			struct winsize ws = {
				.ws_row = (unsigned short)((unsigned char)buf[0] << 8 |
							   (unsigned char)buf[1]),
				.ws_col = (unsigned short)((unsigned char)buf[2] << 8 |
							   (unsigned char)buf[3]),
			};
			ioctl(io->out.fd, TIOCSWINSZ, &ws);
		}
		break;
	case ATTACH_CLOSE_STDIN:
		if (!io->tty && io->stdin_fd >= 0) {
			close(io->stdin_fd);
			io->stdin_fd = -1;
		}
		break;
	default:
		break;
	}
}

int mon_status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

/* Reap children; the init's exit code, or -1 while it runs. */
static int reap(struct mon_io *io)
{
	int status;
	pid_t r;

	while ((r = waitpid(-1, &status, WNOHANG)) > 0)
		if (r == io->pid) {
			hk_trace("reaped");
			return mon_status_code(status);
		}
	if (r < 0 && errno == ECHILD)
		return 255; /* should not happen: the init is our child */
	return -1;
}

int mon_loop(struct mon_io *io)
{
	/* the init may be gone already (its SIGCHLD is then pending) */
	int code = reap(io);

	while (code < 0) {
		struct pollfd p[4 + MON_MAX_CLIENTS];
		int n = 0, idx_out = -1, idx_err = -1, idx_listen, idx_sig, first_client;

		p[n] = (struct pollfd){.fd = io->sig_fd, .events = POLLIN};
		idx_sig = n++;
		p[n] = (struct pollfd){.fd = io->listen_fd, .events = POLLIN};
		idx_listen = n++;
		if (io->out.fd >= 0) {
			p[n] = (struct pollfd){.fd = io->out.fd, .events = POLLIN};
			idx_out = n++;
		}
		if (io->err.fd >= 0) {
			p[n] = (struct pollfd){.fd = io->err.fd, .events = POLLIN};
			idx_err = n++;
		}
		first_client = n;
		for (int i = 0; i < MON_MAX_CLIENTS; i++)
			p[n++] = (struct pollfd){.fd = io->clients[i], .events = POLLIN};
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 255;
		}
		if (idx_out >= 0 && p[idx_out].revents)
			stream_read(io, &io->out);
		if (idx_err >= 0 && p[idx_err].revents)
			stream_read(io, &io->err);
		for (int i = 0; i < MON_MAX_CLIENTS; i++)
			if (io->clients[i] >= 0 && p[first_client + i].revents)
				client_input(io, i);
		if (p[idx_listen].revents & POLLIN) {
			int fd = accept4(io->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				mon_add_client(io, fd);
		}
		if (p[idx_sig].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(io->sig_fd, &si, sizeof(si)) < 0 && errno != EAGAIN)
				continue;
			code = reap(io);
		}
	}
	return code;
}

static unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000ULL + (unsigned long long)ts.tv_nsec / 1000000;
}

/* Drain the output after the init exited: the pid namespace is gone, so
 * every writer is too and EOF follows soon; do not wait forever (a process
 * outside the namespace could hold a pipe, e.g. with --network host...). */
void mon_finish_streams(struct mon_io *io)
{
	unsigned long long deadline = now_ms() + 500;

	while ((io->out.fd >= 0 || io->err.fd >= 0) && now_ms() < deadline) {
		struct pollfd p[2] = {{.fd = io->out.fd, .events = POLLIN},
				      {.fd = io->err.fd, .events = POLLIN}};
		if (poll(p, 2, 50) <= 0)
			continue;
		if (p[0].revents && stream_read(io, &io->out) && (p[0].revents & POLLHUP) &&
		    !(p[0].revents & POLLIN)) {
			close(io->out.fd);
			io->out.fd = -1;
		}
		if (p[1].revents && stream_read(io, &io->err) && (p[1].revents & POLLHUP) &&
		    !(p[1].revents & POLLIN)) {
			close(io->err.fd);
			io->err.fd = -1;
		}
	}
	stream_flush(io, &io->out);
	stream_flush(io, &io->err);
	if (io->out.fd >= 0)
		close(io->out.fd);
	if (io->err.fd >= 0)
		close(io->err.fd);
	if (io->stdin_fd >= 0)
		close(io->stdin_fd);
	io->out.fd = io->err.fd = io->stdin_fd = -1;
}
