/* Processes the VM code starts: QEMU and qemu-img. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/util.h"
#include "vm/internal.h"

const char *vm_qemu_binary(void)
{
	const char *e = getenv("HAKO_QEMU");

	return e && *e ? e : "qemu-system-x86_64";
}

/* stdio from in/out/errfd, then keep[i] as fd 3 + i; everything else closed. */
static void child_fds(int in, int out, int errfd, const int *keep, size_t nkeep)
{
	int null = open("/dev/null", O_RDWR);
	int fds[3 + VM_SPAWN_KEEP_MAX] = {in, out, errfd};
	size_t n = 3 + (nkeep < VM_SPAWN_KEEP_MAX ? nkeep : VM_SPAWN_KEEP_MAX);

	for (size_t i = 3; i < n; i++)
		fds[i] = keep[i - 3];
	/* Move the fds above every target first so that dup2 never clobbers
	 * one another. */
	for (size_t i = 0; i < n; i++) {
		int f = fds[i] < 0 ? null : fds[i];
		fds[i] = fcntl(f, F_DUPFD_CLOEXEC, (int)n);
	}
	for (size_t i = 0; i < n; i++)
		dup2(fds[i], (int)i); /* dup2 clears FD_CLOEXEC on the copy */
	syscall(SYS_close_range, (unsigned)n, ~0U, 0);
}

int vm_spawn_keep(char *const argv[], int in, int out, int errfd, const int *keep, size_t nkeep,
		  bool new_session, pid_t *pid, struct hk_error **err)
{
	pid_t parent = getpid();
	pid_t p = fork();

	if (p < 0)
		return hk_error_errno(err, "fork for %s", argv[0]);
	if (p == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (new_session)
			setsid();
		/* QEMU never outlives the hako process or monitor that owns
		 * its console (a kill -9 of either must not leave a VM
		 * nobody can reach). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		child_fds(in, out, errfd, keep, nkeep);
		execvp(argv[0], argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	*pid = p;
	return 0;
}

int vm_spawn(char *const argv[], int in, int out, int errfd, bool new_session, pid_t *pid,
	     struct hk_error **err)
{
	return vm_spawn_keep(argv, in, out, errfd, NULL, 0, new_session, pid, err);
}

int vm_spawn_fd3(char *const argv[], int in, int out, int errfd, int fd3, pid_t *pid,
		 struct hk_error **err)
{
	return vm_spawn_keep(argv, in, out, errfd, &fd3, fd3 >= 0 ? 1 : 0, false, pid, err);
}

int vm_run_capture(char *const argv[], char **out, struct hk_error **err)
{
	int pfd[2];
	pid_t pid = -1;
	char *buf = NULL;
	size_t len = 0;
	int ws;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return hk_error_errno(err, "pipe");
	if (vm_spawn(argv, -1, pfd[1], pfd[1], false, &pid, err) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	close(pfd[1]);
	for (;;) {
		char tmp[4096];
		ssize_t n = read(pfd[0], tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len < (1u << 20)) {
			buf = xrealloc(buf, len + (size_t)n + 1);
			memcpy(buf + len, tmp, (size_t)n);
			len += (size_t)n;
		}
	}
	close(pfd[0]);
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR) {
			free(buf);
			return hk_error_errno(err, "wait for %s", argv[0]);
		}
	if (!buf)
		buf = xzalloc(1);
	buf[len] = 0;
	if (out)
		*out = buf;
	else
		free(buf);
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	return 128 + WTERMSIG(ws);
}

char *vm_last_line(const char *path)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	struct hk_error *e = NULL;
	char *end, *start;

	if (read_file_at(AT_FDCWD, path, 1u << 20, &text, &len, &e) < 0) {
		hk_error_free(&e);
		return NULL;
	}
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = 0;
	if (!len)
		return NULL;
	end = text + len;
	start = end;
	while (start > text && start[-1] != '\n')
		start--;
	return xstrdup(start);
}

void vm_random_hex(char *buf, size_t n)
{
	unsigned char r[32];

	if (n > sizeof(r))
		n = sizeof(r);
	if (getrandom(r, n, 0) != (ssize_t)n)
		for (size_t i = 0; i < n; i++)
			r[i] = (unsigned char)(rand() ^ getpid());
	for (size_t i = 0; i < n; i++)
		sprintf(buf + 2 * i, "%02x", r[i]);
}
