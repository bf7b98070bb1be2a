/* hako runtime: run and exec in the foreground.  We stay the parent of the
 * container's process, forward the signals we get to it, copy its terminal,
 * and reap what reparents to us (PR_SET_CHILD_SUBREAPER is set by run). */
#include <errno.h>
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

int fg_wait(int sfd, pid_t pid, int master, struct hk_error **err)
{
	bool stdin_open = master >= 0, done = false;
	int code = -1;

	/* an EOF typed before the switch: as one read afterwards (below) */
	if (master >= 0 && console_proxy_setup(master)) {
		stdin_open = false;
		if (write(master, "\x04", 1) < 0)
			stdin_open = false;
	}
	while (!done || master >= 0) {
		struct pollfd p[3] = {
			{.fd = sfd, .events = POLLIN},
			{.fd = master, .events = POLLIN},
			{.fd = stdin_open ? 0 : -1, .events = POLLIN},
		};
		if (done) {
			/* drain what the program wrote before it exited */
			p[0].fd = -1;
			p[2].fd = -1;
		}
		if (poll(p, 3, done ? 100 : -1) < 0) {
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
			if (!console_pump(0, master)) {
				stdin_open = false;
				/* EOF on our stdin: send ^D to the terminal */
				if (master >= 0 && write(master, "\x04", 1) < 0)
					stdin_open = false;
			}
		}
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
			} else {
				kill(pid, (int)si.ssi_signo);
			}
		}
	}
	if (master >= 0)
		close(master);
	console_proxy_restore();
	return code;
}
