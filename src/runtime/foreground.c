/* hako runtime: run and exec in the foreground.  We stay the parent of the
 * container's process, forward the signals we get to it, copy its terminal
 * or relay its pipes, and reap what reparents to us (PR_SET_CHILD_SUBREAPER
 * is set by run and exec). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "util/util.h"

int fg_signals_block(sigset_t *old, struct hk_error **err)
{
	sigset_t all;
	int fd;

	sigfillset(&all);
	/* signals about our own faults stay deliverable */
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGABRT);
	sigdelset(&all, SIGTRAP);
	sigdelset(&all, SIGSYS);
	if (sigprocmask(SIG_BLOCK, &all, old) < 0)
		return hk_error_errno(err, "block signals");
	fd = signalfd(-1, &all, SFD_CLOEXEC);
	if (fd < 0)
		return hk_error_errno(err, "signalfd");
	return fd;
}

static int status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

/* Relay of exec's pipes (struct runtime_opts.relay_fds): the process holds
 * the far ends, we copy between them and our own stdio. */
struct relay {
	int *fd;	/* [0] the stdin pipe's write end, [1] [2] the output pipes' read ends */
	char buf[8192]; /* read from our stdin, not yet written to fd[0] */
	size_t len, off;
	bool no_splice[3]; /* our fd i refused splice (EINVAL) */
};

static void relay_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* One copy from output pipe i, which poll found readable, to our fd i:
 * splice when our fd takes it (a pipe, a file, a socket: no copy through
 * us), read and write when not (a terminal).  false: an EOF, or a reader of
 * ours that is gone (EPIPE): the caller closes the pipe, and the process
 * gets EPIPE as it would have on our fd itself. */
static bool relay_copy(struct relay *r, int i)
{
	char buf[65536];
	ssize_t n;

	if (!r->no_splice[i]) {
		n = splice(r->fd[i], NULL, i, NULL, 1 << 20, 0);
		if (n >= 0)
			return n > 0;
		if (errno == EINTR || errno == EAGAIN)
			return true;
		if (errno != EINVAL)
			return false;
		r->no_splice[i] = true;
	}
	n = read(r->fd[i], buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	return n > 0 && write_all(i, buf, (size_t)n) == 0;
}

/* After the exit: what the process wrote before it is in the pipes already
 * (its writes completed), so copy until they are empty, not until EOF: a
 * child it left behind may hold them open for ever. */
static void relay_drain(struct relay *r)
{
	for (int i = 1; i < 3; i++) {
		struct pollfd p = {.fd = r->fd[i], .events = POLLIN};
		while (r->fd[i] >= 0 && poll(&p, 1, 0) == 1 && relay_copy(r, i))
			;
		relay_close(&r->fd[i]);
	}
}

/* Our stdin to the process's, through r->buf. */
static void relay_read_stdin(struct relay *r, bool *stdin_open)
{
	ssize_t n = read(0, r->buf, sizeof(r->buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* our EOF is the process's: close its stdin */
		*stdin_open = false;
		relay_close(&r->fd[0]);
		return;
	}
	r->len = (size_t)n;
	r->off = 0;
}

static void relay_write_stdin(struct relay *r, bool *stdin_open)
{
	ssize_t n = write(r->fd[0], r->buf + r->off, r->len - r->off);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0) {
		/* the process closed its stdin: nothing more to give it */
		*stdin_open = false;
		relay_close(&r->fd[0]);
		r->len = r->off = 0;
		return;
	}
	r->off += (size_t)n;
	if (r->off == r->len)
		r->len = r->off = 0;
}

int fg_wait(int sfd, pid_t pid, int master, int *relay_fds, struct hk_error **err)
{
	struct relay r = {.fd = relay_fds ? relay_fds : (int[3]){-1, -1, -1}};
	bool stdin_open = master >= 0 || r.fd[0] >= 0, done = false;
	int code = -1;

	/* written only when poll says so, and then never blocks: a process
	 * that does not read its stdin never stops the copy of its output */
	if (r.fd[0] >= 0)
		fcntl(r.fd[0], F_SETFL, fcntl(r.fd[0], F_GETFL) | O_NONBLOCK);
	/* an EOF typed before the switch: as one read afterwards (below) */
	if (master >= 0 && console_proxy_setup(master)) {
		stdin_open = false;
		if (write(master, "\x04", 1) < 0)
			stdin_open = false;
	}
	while (!done || master >= 0) {
		struct pollfd p[6] = {
			{.fd = sfd, .events = POLLIN},
			{.fd = master, .events = POLLIN},
			{.fd = stdin_open && !r.len ? 0 : -1, .events = POLLIN},
			{.fd = r.len ? r.fd[0] : -1, .events = POLLOUT},
			{.fd = r.fd[1], .events = POLLIN},
			{.fd = r.fd[2], .events = POLLIN},
		};
		if (done) {
			/* drain what the program wrote before it exited */
			for (int i = 0; i < 6; i++)
				if (i != 1)
					p[i].fd = -1;
		}
		if (poll(p, 6, done ? 100 : -1) < 0) {
			if (errno == EINTR)
				continue;
			return hk_error_errno(err, "poll");
		}
		if (done && !(p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			break;
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (!console_pump(master, 1)) {
				close(master);
				master = -1;
			}
		}
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (master < 0) {
				relay_read_stdin(&r, &stdin_open);
			} else if (!console_pump(0, master)) {
				stdin_open = false;
				/* EOF on our stdin: send ^D to the terminal */
				if (master >= 0 && write(master, "\x04", 1) < 0)
					stdin_open = false;
			}
		}
		if (p[3].revents)
			relay_write_stdin(&r, &stdin_open);
		for (int i = 1; i < 3; i++)
			if ((p[3 + i].revents & (POLLIN | POLLHUP | POLLERR)) && !relay_copy(&r, i))
				relay_close(&r.fd[i]);
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGCHLD) {
				int status;
				pid_t w;
				while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
					if (w == pid) {
						code = status_code(status);
						done = true;
					}
				}
			} else if (si.ssi_signo == SIGWINCH) {
				if (master >= 0)
					console_resize(master);
				else
					kill(pid, SIGWINCH);
			} else if (si.ssi_signo == SIGPIPE && (pid_t)si.ssi_pid == getpid()) {
				/* our own write to a reader that is gone (relay_copy
				 * handles it), not a signal for the process */
			} else {
				kill(pid, (int)si.ssi_signo);
			}
		}
	}
	relay_drain(&r);
	relay_close(&r.fd[0]);
	if (master >= 0)
		close(master);
	console_proxy_restore();
	return code;
}
