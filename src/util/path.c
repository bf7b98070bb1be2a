#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/util.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static int openat2_supported = -1; /* unknown until first try */

void path_force_walk(bool on)
{
	openat2_supported = on ? 0 : -1;
}

static int sys_openat2(int dirfd, const char *path, struct open_how *how)
{
	return (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

/* The fallback for kernels before 5.6 (no openat2): a lexical walk.  The
 * resolved prefix is kept as a stack of plain directory names below the root;
 * each component is opened with O_NOFOLLOW; a symlink's target is spliced
 * into the rest of the path (an absolute one empties the stack), so ".." and
 * absolute links can never climb above the root. */
static int reopen_stack(int rootfd, char **stack, size_t depth, struct hk_error **err)
{
	int cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);

	if (cur < 0)
		return hk_error_errno(err, "dup root");
	for (size_t i = 0; i < depth; i++) {
		int fd = openat(cur, stack[i], O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		close(cur);
		if (fd < 0)
			return hk_error_errno(err, "open %s", stack[i]);
		cur = fd;
	}
	return cur;
}

static int walk_in_root(int rootfd, const char *path, int flags, mode_t mode, struct hk_error **err)
{
	_cleanup_free_ char *rest = xstrdup(path);
	_cleanup_strv_ char **stack = xzalloc(sizeof(char *));
	size_t depth = 0;
	int links = 0;

	for (;;) {
		char *p = rest, *comp, *tail;
		_cleanup_close_ int dir = -1;
		struct stat st;
		bool last;
		int fd;

		while (*p == '/')
			p++;
		if (!*p) {
			/* path ended on a directory (or was "/") */
			dir = reopen_stack(rootfd, stack, depth, err);
			if (dir < 0)
				return -1;
			fd = openat(dir, ".",
				    (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
			if (fd < 0)
				return hk_error_errno(err, "open %s", path);
			return fd;
		}
		comp = p;
		while (*p && *p != '/')
			p++;
		tail = *p ? p + 1 : p;
		*p = '\0';
		while (*tail == '/')
			tail++;
		last = *tail == '\0';
		if (!strcmp(comp, ".") && !last)
			goto next;
		if (!strcmp(comp, "..")) {
			if (depth > 0)
				free(stack[--depth]), stack[depth] = NULL;
			if (last)
				comp = ".";
			else
				goto next;
		}
		dir = reopen_stack(rootfd, stack, depth, err);
		if (dir < 0)
			return -1;
		if (last && !strcmp(comp, "."))
			fd = openat(dir, ".",
				    (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
		else if (last)
			fd = openat(dir, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
		else
			fd = openat(dir, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISLNK(st.st_mode) ||
				(last && (flags & O_NOFOLLOW)))) {
			if (last)
				return fd;
			close(fd);
			if (!S_ISDIR(st.st_mode))
				return hk_error_set(err, ENOTDIR, "open %s: %s", path, comp);
			stack = xrealloc(stack, (depth + 2) * sizeof(char *));
			stack[depth++] = xstrdup(comp);
			stack[depth] = NULL;
			goto next;
		}
		if (fd >= 0)
			close(fd); /* an O_PATH fd of a symlink */
		else if (errno != ELOOP || (last && (flags & O_NOFOLLOW)))
			return hk_error_errno(err, "open %s", path);
		{
			char target[PATH_MAX];
			ssize_t n = readlinkat(dir, comp, target, sizeof(target) - 1);
			char *spliced;
			if (n < 0)
				return hk_error_errno(err, "readlink %s", comp);
			target[n] = '\0';
			if (++links > 40)
				return hk_error_set(err, ELOOP, "open %s", path);
			if (target[0] == '/') {
				while (depth > 0)
					free(stack[--depth]), stack[depth] = NULL;
			}
			spliced = xasprintf("%s/%s", target, tail);
			free(rest);
			rest = spliced;
			continue;
		}
	next:
		memmove(rest, tail, strlen(tail) + 1);
	}
}

int path_open_in_root(int rootfd, const char *path, int flags, mode_t mode, struct hk_error **err)
{
	if (openat2_supported != 0) {
		struct open_how how = {
			.flags = (unsigned long long)(flags | O_CLOEXEC),
			.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		int fd = sys_openat2(rootfd, path, &how);
		if (fd >= 0) {
			openat2_supported = 1;
			return fd;
		}
		if (errno != ENOSYS)
			return hk_error_errno(err, "open %s", path);
		openat2_supported = 0;
	}
	return walk_in_root(rootfd, path, flags, mode, err);
}

int path_mkdir_in_root(int rootfd, const char *path, mode_t mode, struct hk_error **err)
{
	_cleanup_free_ char *clean = path_clean(path);
	_cleanup_close_ int cur = -1;
	char *save = NULL, *comp;

	cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return hk_error_errno(err, "open root");
	/* Walk a prefix at a time through path_open_in_root so that symlinks
	 * are resolved in the root; create what is missing. */
	_cleanup_free_ char *prefix = xstrdup("");
	for (comp = strtok_r(clean, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		char *p = xasprintf("%s/%s", prefix, comp);
		int fd;
		free(prefix);
		prefix = p;
		fd = path_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0, NULL);
		if (fd < 0) {
			if (mkdirat(cur, comp, mode) < 0 && errno != EEXIST)
				return hk_error_errno(err, "mkdir %s", prefix);
			fd = path_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0, err);
			if (fd < 0)
				return -1;
		}
		close(cur);
		cur = fd;
	}
	return steal_fd(&cur);
}

int path_mkfile_in_root(int rootfd, const char *path, mode_t mode, struct hk_error **err)
{
	_cleanup_free_ char *clean = path_clean(path);
	char *slash = strrchr(clean, '/');
	_cleanup_close_ int dir = -1;
	const char *base;
	int fd;

	fd = path_open_in_root(rootfd, clean, O_PATH, 0, NULL);
	if (fd >= 0)
		return fd;
	if (slash && slash != clean) {
		*slash = '\0';
		dir = path_mkdir_in_root(rootfd, clean, 0755, err);
		base = slash + 1;
	} else {
		dir = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		base = slash ? slash + 1 : clean;
	}
	if (dir < 0)
		return dir == -1 && err && *err ? -1
						: hk_error_errno(err, "open parent of %s", path);
	{
		char buf[64];
		_cleanup_close_ int real =
			open(path_fd(dir, buf, sizeof(buf)), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int f;
		if (real < 0)
			return hk_error_errno(err, "open parent of %s", path);
		f = openat(real, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
		if (f < 0 && errno != EEXIST)
			return hk_error_errno(err, "create %s", path);
		if (f >= 0)
			close(f);
	}
	return path_open_in_root(rootfd, path, O_PATH, 0, err);
}

const char *path_type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFLNK:
		return "a symlink";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	default:
		return "an unknown file type";
	}
}

int path_reopen_regular(int pathfd, int flags, struct stat *st, struct hk_error **err)
{
	struct stat got;
	char buf[64];
	int fd;

	if (fstat(pathfd, st) < 0)
		return hk_error_errno(err, "stat");
	if (!S_ISREG(st->st_mode))
		return hk_error_set(err, 0, "%s, not a regular file", path_type_name(st->st_mode));
	/* The magic link reopens the inode pathfd holds, not a path: no
	 * O_NOFOLLOW here, it would refuse the magic link itself. */
	fd = open(path_fd(pathfd, buf, sizeof(buf)),
		  (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW | O_PATH | O_DIRECTORY)) | O_NONBLOCK |
			  O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return hk_error_errno(err, "open");
	if (fstat(fd, &got) < 0 || got.st_dev != st->st_dev || got.st_ino != st->st_ino) {
		close(fd);
		return hk_error_set(err, EIO, "reopen: not the file that was checked");
	}
	*st = got;
	return fd;
}

int path_read_in_root(int rootfd, const char *path, size_t max, char **out, size_t *len,
		      struct hk_error **err)
{
	_cleanup_close_ int pfd = -1, fd = -1;
	struct stat st;

	pfd = path_open_in_root(rootfd, path, O_PATH, 0, err);
	if (pfd < 0)
		return -1;
	fd = path_reopen_regular(pfd, O_RDONLY, &st, err);
	if (fd < 0)
		return hk_error_wrap(err, "read %s", path);
	if (st.st_size < 0 || (unsigned long long)st.st_size > max)
		return hk_error_set(err, EFBIG, "read %s: larger than %zu bytes", path, max);
	/* st_size is a hint (a file may grow, procfs says 0): read until EOF,
	 * but never past max */
	return read_fd_bounded(fd, path, (size_t)st.st_size + 1, max, out, len, err);
}

const char *path_fd(int fd, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
	return buf;
}

char *path_clean(const char *path)
{
	size_t len = strlen(path);
	char *out = xmalloc(len + 2);
	bool abs = path[0] == '/';
	size_t o = 0;
	const char *p = path;

	if (abs)
		out[o++] = '/';
	while (*p) {
		const char *start;
		size_t n;
		while (*p == '/')
			p++;
		start = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - start);
		if (n == 0 || (n == 1 && start[0] == '.'))
			continue;
		if (n == 2 && start[0] == '.' && start[1] == '.') {
			/* drop the last component; never go above the start */
			size_t floor = abs ? 1 : 0;
			if (o > floor) {
				while (o > floor && out[o - 1] != '/')
					o--;
				if (o > floor)
					o--;
			}
			continue;
		}
		if (o > (abs ? 1u : 0u))
			out[o++] = '/';
		memcpy(out + o, start, n);
		o += n;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return out;
}

char *path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (!*b)
		return xstrndup(a, la);
	return xasprintf("%.*s/%s", (int)la, a, b);
}
