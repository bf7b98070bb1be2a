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
#include "util/json.h"
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

/* The bind mount or volume of c whose destination is the longest prefix of
 * path (by components), or NULL; *rest gets what follows it ("" or "/x/y"). */
static json_object *find_mount(const struct engine_container *c, const char *path,
			       const char **rest)
{
	json_object *mounts = NULL, *best = NULL;
	size_t best_len = 0;

	json_object_object_get_ex(c->config, "Mounts", &mounts);
	for (size_t i = 0; mounts && i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i), *v = NULL;
		const char *dst, *type;
		size_t l;
		if (!json_object_object_get_ex(m, "Type", &v))
			continue;
		type = json_object_get_string(v);
		if (!str_eq(type, "bind") && !str_eq(type, "volume"))
			continue;
		if (!json_object_object_get_ex(m, "Destination", &v))
			continue;
		_cleanup_free_ char *d = path_clean(json_object_get_string(v));
		dst = d;
		l = strlen(dst);
		if (strncmp(path, dst, l) || (path[l] && path[l] != '/') || l <= best_len)
			continue;
		best = m;
		best_len = l;
	}
	*rest = path + best_len;
	return best;
}

/* Where a container path lives: the parent directory (fd) and the name in
 * it.  Under a bind mount or volume that is the mount's source on the host
 * (as the container sees it, which the rootfs does not show), resolved
 * inside the source (RESOLVE_IN_ROOT: its symlinks cannot lead out); else
 * inside the rootfs.  for_write refuses a read-only mount. */
struct cpath {
	int dirfd;  /* the parent, or -1 */
	char *name; /* in dirfd */
	int selffd; /* the entry itself when it is a directory, else -1 */
};

static void cpath_free(struct cpath *p)
{
	if (p->dirfd >= 0)
		close(p->dirfd);
	if (p->selffd >= 0)
		close(p->selffd);
	free(p->name);
}

static int cpath_resolve(const struct engine_container *c, int rootfd, const char *user_path,
			 bool for_write, struct cpath *out, struct hk_error **err)
{
	_cleanup_free_ char *path = path_clean(user_path[0] == '/' ? user_path : "/");
	_cleanup_free_ char *full = NULL, *parent = NULL, *name = NULL;
	_cleanup_close_ int base = -1;
	const char *rest = NULL;
	json_object *m, *v = NULL;
	bool dot;

	out->dirfd = out->selffd = -1;
	out->name = NULL;
	if (user_path[0] != '/') {
		free(path);
		full = xasprintf("/%s", user_path);
		path = path_clean(full);
	}
	/* "DIR/." names the directory's content, not a file to copy: a
	 * destination directory only */
	dot = str_has_suffix(user_path, "/.") || !strcmp(user_path, ".");
	m = find_mount(c, path, &rest);
	if (m) {
		const char *src =
			json_object_object_get_ex(m, "Source", &v) ? json_object_get_string(v) : "";
		bool rw = !json_object_object_get_ex(m, "RW", &v) || json_object_get_boolean(v);
		if (for_write && !rw)
			return hk_error_set(err, EROFS, "cp: %s:%s is on a read-only mount",
					    c->name, user_path);
		if (!*rest && dot) {
			out->selffd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			return out->selffd < 0 ? hk_error_errno(err, "cp: mount source %s", src)
					       : 0;
		}
		if (!*rest) {
			/* the mount point itself: the source, a host path the
			 * user chose (not the container's) */
			_cleanup_free_ char *sp = NULL, *sn = NULL;
			split(src, &sp, &sn);
			out->dirfd = open(sp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (out->dirfd < 0)
				return hk_error_errno(err, "cp: mount source %s", src);
			out->name = steal_ptr(&sn);
			out->selffd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			return 0;
		}
		base = open(src, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (base < 0)
			return hk_error_errno(err, "cp: mount source %s", src);
		split(rest, &parent, &name);
	} else {
		base = dup(rootfd);
		if (base < 0)
			return hk_error_errno(err, "cp: dup");
		split(path, &parent, &name);
	}
	if (dot) {
		out->selffd =
			path_open_in_root(base, m ? rest : path, O_RDONLY | O_DIRECTORY, 0, err);
		return out->selffd < 0 ? hk_error_wrap(err, "cp: %s:%s", c->name, user_path) : 0;
	}
	if (!strcmp(name, "/") || !strcmp(name, ".")) {
		/* the root of the rootfs: a destination directory only */
		out->selffd = path_open_in_root(base, "/", O_RDONLY | O_DIRECTORY, 0, err);
		return out->selffd < 0 ? -1 : 0;
	}
	out->dirfd = path_open_in_root(base, parent, O_RDONLY | O_DIRECTORY, 0, err);
	if (out->dirfd < 0)
		return hk_error_wrap(err, "cp: %s:%s", c->name, parent);
	out->name = steal_ptr(&name);
	{
		/* the entry as a directory, followed inside its root */
		_cleanup_free_ char *inner = m ? xstrdup(rest) : xstrdup(path);
		out->selffd = path_open_in_root(base, inner, O_RDONLY | O_DIRECTORY, 0, NULL);
	}
	return 0;
}

/* The last component of a container path, as the copy is named. */
static char *last_name(const char *path)
{
	_cleanup_free_ char *p = NULL, *n = NULL;

	split(path, &p, &n);
	return steal_ptr(&n);
}

int engine_cp(struct engine *e, const char *ref, const char *src, const char *dst,
	      bool to_container, struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_free_ char *sparent = NULL, *sname = NULL, *dparent = NULL, *dname = NULL;
	_cleanup_close_ int rootfd = -1, sdir = -1, ddir = -1;
	struct cpath cp = {.dirfd = -1, .selffd = -1};
	struct stat st;
	int r = -1;

	if (engine_lookup(e, ref, &c, err) < 0)
		return -1;
	if (!c->rootfs)
		return hk_error_set(err, 0, "cp: container %s has no root filesystem", c->name);
	rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return hk_error_errno(err, "cp: open the rootfs of %s", c->name);
	if (to_container) {
		split(src, &sparent, &sname);
		if (!strcmp(sname, "/") || !strcmp(sname, "."))
			return hk_error_set(err, 0, "cp: copy a named path, not the root");
		sdir = open(sparent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sdir < 0)
			return hk_error_errno(err, "cp: %s", src);
		if (cpath_resolve(c, rootfd, dst, true, &cp, err) < 0)
			goto out;
		/* dst: an existing directory in the container receives sname */
		if (cp.selffd >= 0) {
			ddir = steal_fd(&cp.selffd);
			dname = xstrdup(sname);
		} else {
			ddir = steal_fd(&cp.dirfd);
			dname = steal_ptr(&cp.name);
		}
		r = copy_entry(sdir, sname, ddir, dname, 0, err);
		goto out;
	}
	if (cpath_resolve(c, rootfd, src, false, &cp, err) < 0)
		goto out;
	if (!cp.name) {
		r = hk_error_set(err, 0, "cp: copy a named path, not the root");
		goto out;
	}
	if (fstatat(cp.dirfd, cp.name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		r = hk_error_errno(err, "cp: %s:%s", c->name, src);
		goto out;
	}
	if (stat(dst, &st) == 0 && S_ISDIR(st.st_mode)) {
		ddir = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		dname = last_name(src);
	} else {
		split(dst, &dparent, &dname);
		ddir = open(dparent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (ddir < 0) {
		r = hk_error_errno(err, "cp: %s", dst);
		goto out;
	}
	r = copy_entry(cp.dirfd, cp.name, ddir, dname, 0, err);
out:
	cpath_free(&cp);
	return r;
}
