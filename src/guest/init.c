/* hako-init: the tiny init of `hako run --init`.
 *
 * It runs as PID 1 of the container, starts the real command as its only
 * child, forwards every catchable signal to it, and reaps every zombie that
 * gets reparented to it (a PID 1 that does not, as most programs, leaks them).
 * It exits with the child's status: its exit code, or 128+N when killed by
 * signal N, so `hako run --init` reports what the command did.
 *
 * Static and libc-only: it is bind-mounted into any image.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

int main(int argc, char **argv)
{
	sigset_t all, old;
	pid_t child;
	int first = 1;

	if (argc > 1 && !strcmp(argv[1], "--"))
		first = 2;
	if (first >= argc) {
		fprintf(stderr, "usage: hako-init [--] COMMAND [ARG...]\n");
		return 2;
	}
	/* Block everything before the fork, so no signal is lost in between;
	 * the child restores the mask the container was started with. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (getpid() != 1)
		prctl(PR_SET_CHILD_SUBREAPER, 1);

	child = fork();
	if (child < 0) {
		perror("hako-init: fork");
		return 125;
	}
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* Own process group, and the terminal's foreground group, so
		 * Ctrl-C from a pty reaches the command as it would in a shell. */
		setpgid(0, 0);
		if (isatty(STDIN_FILENO)) {
			signal(SIGTTOU, SIG_IGN);
			tcsetpgrp(STDIN_FILENO, getpid());
			signal(SIGTTOU, SIG_DFL);
		}
		execvp(argv[first], argv + first);
		fprintf(stderr, "hako-init: exec %s: %s\n", argv[first], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			/* Forward to the child; SIGKILL/SIGSTOP cannot reach us. */
			kill(child, sig);
			continue;
		}
		for (;;) {
			int status;
			pid_t p = waitpid(-1, &status, WNOHANG);

			if (p <= 0)
				break;
			if (p == child)
				return status_code(status);
		}
	}
}
