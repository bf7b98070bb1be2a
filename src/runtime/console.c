/* hako runtime: terminals and fd passing. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "util/tty.h"
#include "util/util.h"
#include "util/sock.h"

int console_open_pty(int *slave, unsigned rows, unsigned cols, struct hk_error **err)
{
	_cleanup_close_ int master = -1;
	char name[128];
	int unlock = 0;

	/* /dev/ptmx of the container: its devpts instance, so the slave is
	 * visible in the container's /dev/pts */
	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return hk_error_errno(err, "open /dev/ptmx");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return hk_error_errno(err, "unlock pty");
	/* TIOCGPTPEER opens the slave through the master, without a path
	 * lookup that a hostile /dev/pts could redirect */
	*slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0) {
		if (ioctl(master, TIOCGPTN, &unlock) < 0)
			return hk_error_errno(err, "pty number");
		snprintf(name, sizeof(name), "/dev/pts/%d", unlock);
		*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (*slave < 0)
			return hk_error_errno(err, "open %s", name);
	}
	if (rows && cols) {
		struct winsize ws = {.ws_row = (unsigned short)rows,
				     .ws_col = (unsigned short)cols};
		ioctl(*slave, TIOCSWINSZ, &ws);
	}
	return steal_fd(&master);
}

int fd_send(int sock, int fd, struct hk_error **err)
{
	char c = 'F';
	struct iovec iov = {.iov_base = &c, .iov_len = 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;

	memset(&u, 0, sizeof(u));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return hk_error_errno(err, "send file descriptor");
	return 0;
}

int fd_recv(int sock, int *fd, struct hk_error **err)
{
	char c;
	struct iovec iov = {.iov_base = &c, .iov_len = 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;
	ssize_t n;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return hk_error_errno(err, "receive file descriptor");
	cm = CMSG_FIRSTHDR(&msg);
	if (n == 0 || !cm || cm->cmsg_type != SCM_RIGHTS)
		return hk_error_set(err, EIO, "receive file descriptor: none sent");
	memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return 0;
}

int unix_connect(const char *path, struct hk_error **err)
{
	int fd = sock_unix_connect(path, 0, err);

	if (fd < 0)
		hk_error_wrap(err, "console socket");
	return fd;
}

static struct tty_raw proxy_tty;

static void restore_tty(void)
{
	tty_raw_leave(&proxy_tty);
}

bool console_proxy_setup(int master)
{
	static bool registered;

	console_resize(master);
	/* fully raw: the container's pty did the output processing already */
	tty_raw_enter(&proxy_tty, true);
	if (!registered && atexit(restore_tty) == 0)
		registered = true;
	/* typed before the switch: to the container first */
	if (proxy_tty.pending_len &&
	    write_all(master, proxy_tty.pending, proxy_tty.pending_len) < 0)
		return true;
	return proxy_tty.pending_eof;
}

void console_proxy_restore(void)
{
	restore_tty();
}

void console_resize(int master)
{
	struct winsize ws;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

int console_pump(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 && (errno == EINTR || errno == EAGAIN) ? 1 : 0;
	if (write_all(to, buf, (size_t)n) < 0)
		return 0;
	return 1;
}
