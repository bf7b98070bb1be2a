/* hako engine: cp between a container's rootfs and the host.
 *
 * Paths inside the container come from the user but resolve against a
 * rootfs the container's processes control, so every lookup goes through
 * path_open_in_root() (RESOLVE_IN_ROOT): a symlink planted in the container
 * ("/x -> /../../etc") resolves inside the rootfs, never to the host.  Entries
 * are then created with *at() calls relative to directory fds and O_NOFOLLOW,
 * so a symlink swapped in later is not followed either.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/path.h"
#include "util/util.h"

static int copy_fd(int in, int out, const char *what, struct hk_error **err)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write_all(out, buf, (size_t)n) != n)
			return hk_error_errno(err, "write %s", what);
	if (n < 0)
		return hk_error_errno(err, "read %s", what);
	return 0;
}

/* Copy the entry src (an fd opened O_PATH|O_NOFOLLOW, or a directory) to
 * name in dirfd. */
static int copy_entry(int srcdir, const char *sname, int dstdir, const char *dname, int depth,
		      struct hk_error **err)
{
	struct stat st;

	if (depth > 256)
		return hk_error_set(err, 0, "cp: %s: too deeply nested", sname);
	if (fstatat(srcdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return hk_error_errno(err, "cp: stat %s", sname);
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(srcdir, sname, target, sizeof(target) - 1);
		if (n < 0)
			return hk_error_errno(err, "cp: readlink %s", sname);
		target[n] = '\0';
		unlinkat(dstdir, dname, 0);
		if (symlinkat(target, dstdir, dname) < 0)
			return hk_error_errno(err, "cp: symlink %s", dname);
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int sd =
			openat(srcdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int dd = -1;
		DIR *d;
		struct dirent *de;
		if (sd < 0)
			return hk_error_errno(err, "cp: open %s", sname);
		if (mkdirat(dstdir, dname, st.st_mode & 07777) < 0 && errno != EEXIST)
			return hk_error_errno(err, "cp: mkdir %s", dname);
		dd = openat(dstdir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dd < 0)
			return hk_error_errno(err, "cp: %s is not a directory (or a symlink)",
					      dname);
		d = fdopendir(dup(sd));
		if (!d)
			return hk_error_errno(err, "cp: read %s", sname);
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (copy_entry(sd, de->d_name, dd, de->d_name, depth + 1, err) < 0) {
				closedir(d);
				return -1;
			}
		}
		closedir(d);
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return 0; /* devices, fifos, sockets: skipped, as docker cp does */
	_cleanup_close_ int in = openat(srcdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return hk_error_errno(err, "cp: open %s", sname);
	/* O_NOFOLLOW: an existing symlink at the destination is refused, not followed */
	_cleanup_close_ int out =
		openat(dstdir, dname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		       st.st_mode & 07777);
	if (out < 0) {
		if (errno == ELOOP)
			return hk_error_set(err, 0, "cp: refusing to write through the symlink %s",
					    dname);
		return hk_error_errno(err, "cp: create %s", dname);
	}
	return copy_fd(in, out, dname, err);
}

/* Split path into its parent and last name (for "/" the name is "."). */
static void split(const char *path, char **parent, char **name)
{
	_cleanup_free_ char *a = xstrdup(path), *b = xstrdup(path);
	size_t l = strlen(a);

	while (l > 1 && a[l - 1] == '/') {
		l--;
		a[l] = '\0';
		b[l] = '\0';
	}
	*parent = xstrdup(dirname(a));
	*name = xstrdup(basename(b));
}

int engine_cp(struct engine *e, const char *ref, const char *src, const char *dst,
	      bool to_container, struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_free_ char *sparent = NULL, *sname = NULL, *dparent = NULL, *dname = NULL;
	_cleanup_close_ int rootfd = -1, sdir = -1, ddir = -1;
	struct stat st;

	if (engine_lookup(e, ref, &c, err) < 0)
		return -1;
	if (!c->rootfs)
		return hk_error_set(err, 0, "cp: container %s has no root filesystem", c->name);
	rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return hk_error_errno(err, "cp: open the rootfs of %s", c->name);
	split(src, &sparent, &sname);
	if (to_container) {
		sdir = open(sparent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sdir < 0)
			return hk_error_errno(err, "cp: %s", src);
		/* dst: an existing directory in the container receives sname */
		_cleanup_close_ int t =
			path_open_in_root(rootfd, dst, O_RDONLY | O_DIRECTORY, 0, NULL);
		if (t >= 0) {
			ddir = steal_fd(&t);
			dname = xstrdup(sname);
		} else {
			split(dst, &dparent, &dname);
			ddir = path_open_in_root(rootfd, dparent, O_RDONLY | O_DIRECTORY, 0, err);
			if (ddir < 0)
				return hk_error_wrap(err, "cp: %s:%s", c->name, dparent);
		}
	} else {
		sdir = path_open_in_root(rootfd, sparent, O_RDONLY | O_DIRECTORY, 0, err);
		if (sdir < 0)
			return hk_error_wrap(err, "cp: %s:%s", c->name, src);
		if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return hk_error_errno(err, "cp: %s:%s", c->name, src);
		if (stat(dst, &st) == 0 && S_ISDIR(st.st_mode)) {
			ddir = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			dname = xstrdup(sname);
		} else {
			split(dst, &dparent, &dname);
			ddir = open(dparent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
		if (ddir < 0)
			return hk_error_errno(err, "cp: %s", dst);
	}
	if (!strcmp(sname, "/") || !strcmp(sname, "."))
		return hk_error_set(err, 0, "cp: copy a named path, not the root");
	return copy_entry(sdir, sname, ddir, dname, 0, err);
}
