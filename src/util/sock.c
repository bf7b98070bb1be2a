/* hako: unix stream sockets by path (see sock.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "util/sock.h"
#include "util/util.h"

/* Fill sa for name under dirfd.  A path that does not fit sun_path goes
 * through an O_PATH fd of its directory (into *dfd, for the caller to
 * close after bind/connect). */
static int sock_addr(int dirfd, const char *name, struct sockaddr_un *sa, int *dfd)
{
	const char *base = name, *slash;
	int n;

	*dfd = -1;
	sa->sun_family = AF_UNIX;
	if (dirfd == AT_FDCWD && strlen(name) < sizeof(sa->sun_path)) {
		strcpy(sa->sun_path, name);
		return 0;
	}
	if (dirfd == AT_FDCWD) {
		_cleanup_free_ char *dir = xstrdup(name);

		slash = strrchr(name, '/');
		if (!slash)
			return -ENAMETOOLONG;
		base = slash + 1;
		dir[slash - name] = 0;
		*dfd = open(slash == name ? "/" : dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (*dfd < 0)
			return -errno;
		dirfd = *dfd;
	}
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", dirfd, base);
	if (n < 0 || (size_t)n >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

/* backlog < 0: connect, else bind and listen. */
static int sock_open(int dirfd, const char *name, int flags, int backlog, struct hk_error **err)
{
	const char *what = backlog < 0 ? "connect to" : "listen on";
	struct sockaddr_un sa = {0};
	_cleanup_close_ int dfd = -1, fd = -1;
	int r = sock_addr(dirfd, name, &sa, &dfd);

	if (r < 0)
		return hk_error_set(err, -r, "%s %s", what, name);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
	if (fd < 0)
		return hk_error_errno(err, "socket");
	if (backlog < 0)
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	else {
		/* through sun_path: the same name whichever way it was reached */
		unlink(sa.sun_path);
		r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		if (r == 0)
			r = listen(fd, backlog);
	}
	if (r < 0)
		return hk_error_errno(err, "%s %s", what, name);
	return steal_fd(&fd);
}

int sock_unix_connectat(int dirfd, const char *name, int flags, struct hk_error **err)
{
	return sock_open(dirfd, name, flags, -1, err);
}

int sock_unix_connect(const char *path, int flags, struct hk_error **err)
{
	return sock_open(AT_FDCWD, path, flags, -1, err);
}

int sock_unix_listenat(int dirfd, const char *name, int flags, int backlog, struct hk_error **err)
{
	return sock_open(dirfd, name, flags, backlog < 0 ? 0 : backlog, err);
}

int sock_unix_listen(const char *path, int flags, int backlog, struct hk_error **err)
{
	return sock_unix_listenat(AT_FDCWD, path, flags, backlog, err);
}
