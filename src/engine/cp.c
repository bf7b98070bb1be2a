/* hako engine: cp between a container's rootfs and the host.
 *
 * Paths inside the container come from the user but resolve against a
 * rootfs the container's processes control, so every lookup goes through
 * path_open_in_root() (RESOLVE_IN_ROOT): a symlink planted in the container
 * ("/x -> /../../etc") resolves inside the rootfs, never to the host.  Entries
 * are then created with *at() calls relative to directory fds and O_NOFOLLOW,
 * so a symlink swapped in later is not followed either.
 *
 * The container also controls the type of every file: a device node it
 * cannot open itself, a FIFO, a file swapped for /dev/zero between a stat
 * and an open.  So no entry is opened for data before its type was checked
 * on an O_PATH fd (path_reopen_regular()), no more than the size seen is
 * read, and a destination that is not a regular file is replaced, never
 * written into (docs/security.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/json.h"
#include "util/log.h"
#include "util/path.h"
#include "util/util.h"

/* Copy at most size bytes: the size fstat gave when the file was opened.  A
 * file the container keeps growing ends the copy where it was seen. */
static int copy_fd(int in, int out, off_t size, const char *what, struct hk_error **err)
{
	char buf[65536];
	off_t left = size;

	while (left > 0) {
		size_t want = left < (off_t)sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t n = read(in, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hk_error_errno(err, "read %s", what);
		if (n == 0)
			break;
		if (write_all(out, buf, (size_t)n) != n)
			return hk_error_errno(err, "write %s", what);
		left -= n;
	}
	return 0;
}

/* Make room for a new entry dname in dstdir: a FIFO, device node or socket
 * there is removed (it is replaced as an entry, as docker cp's tar
 * extraction does, never opened); a symlink is refused (never written
 * through); a directory is kept (mkdir merges into it, the rest fail on
 * it). */
static int dst_clear(int dstdir, const char *dname, struct hk_error **err)
{
	struct stat st;

	if (fstatat(dstdir, dname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : hk_error_errno(err, "cp: stat %s", dname);
	if (S_ISLNK(st.st_mode))
		return hk_error_set(err, 0, "cp: refusing to write through the symlink %s", dname);
	if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))
		return 0;
	if (unlinkat(dstdir, dname, 0) < 0 && errno != ENOENT)
		return hk_error_errno(err, "cp: replace %s (%s)", dname,
				      path_type_name(st.st_mode));
	return 0;
}

/* The destination file dname of dstdir opened for writing.  An existing
 * regular file is truncated in place (its inode kept: a file bind-mounted
 * into the container stays the one it sees), after its type was checked on
 * an O_PATH fd (path_reopen_regular); anything else is replaced by a new
 * file, created O_EXCL|O_NOFOLLOW so that nothing the container swaps in
 * meanwhile is opened. */
static int dst_open(int dstdir, const char *dname, mode_t mode, struct hk_error **err)
{
	for (int tries = 0; tries < 8; tries++) {
		_cleanup_close_ int pfd = -1;
		struct stat st;
		int fd;

		if (dst_clear(dstdir, dname, err) < 0)
			return -1;
		pfd = openat(dstdir, dname, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (pfd >= 0) {
			if (fstat(pfd, &st) < 0)
				return hk_error_errno(err, "cp: stat %s", dname);
			if (S_ISDIR(st.st_mode))
				return hk_error_set(err, EISDIR, "cp: create %s: Is a directory",
						    dname);
			if (!S_ISREG(st.st_mode))
				continue; /* swapped in since dst_clear(): again */
			fd = path_reopen_regular(pfd, O_WRONLY | O_TRUNC, &st, err);
			return fd < 0 ? hk_error_wrap(err, "cp: %s", dname) : fd;
		}
		if (errno != ENOENT)
			return hk_error_errno(err, "cp: open %s", dname);
		fd = openat(dstdir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    mode);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return hk_error_errno(err, "cp: create %s", dname);
	}
	return hk_error_set(err, EBUSY, "cp: %s keeps changing under the copy", dname);
}

static int copy_entry(int srcdir, const char *sname, int dstdir, const char *dname, int depth,
		      bool to_host, struct hk_error **err);

/* Copy every entry of the directory sd into the directory dd (merging into
 * what dd holds: files are replaced, directories filled). */
static int copy_contents(int sd, int dd, const char *what, int depth, bool to_host,
			 struct hk_error **err)
{
	_cleanup_dir_ DIR *d = NULL;
	struct dirent *de;
	int fd = fcntl(sd, F_DUPFD_CLOEXEC, 3);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return hk_error_errno(err, "cp: read %s", what);
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (copy_entry(sd, de->d_name, dd, de->d_name, depth, to_host, err) < 0)
			return -1;
	}
	return 0;
}

static bool is_special(mode_t mode)
{
	return S_ISCHR(mode) || S_ISBLK(mode) || S_ISSOCK(mode);
}

static int copy_special_refused(struct hk_error **err, const char *ctr, const char *path,
				mode_t mode)
{
	return hk_error_set(err, 0, "cp: %s%s%s is %s: hako cp copies no device nodes or sockets",
			    ctr ? ctr : "", ctr ? ":" : "", path, path_type_name(mode));
}

/* A device node or socket: never opened, never made (a node made on the
 * host from a container's numbers would hand the host's devices to whoever
 * can reach the directory).  Named itself it is an error; met in a
 * directory it is left out with a warning. */
static int copy_special(const char *sname, const struct stat *st, int depth, struct hk_error **err)
{
	if (depth == 0)
		return hk_error_set(err, 0,
				    "cp: %s is %s: hako cp copies no device nodes or sockets",
				    sname, path_type_name(st->st_mode));
	log_warn("cp: %s is %s: left out", sname, path_type_name(st->st_mode));
	return 0;
}

/* Copy the entry sname of srcdir (not followed when a symlink) to dname in
 * dstdir.  The source is pinned by an O_PATH fd and its type taken from it:
 * only a regular file's bytes are read (path_reopen_regular), and no more
 * than its size then.  to_host: the copy lands on the host, where the
 * container's set-user-ID and set-group-ID bits are dropped. */
static int copy_entry(int srcdir, const char *sname, int dstdir, const char *dname, int depth,
		      bool to_host, struct hk_error **err)
{
	_cleanup_close_ int pfd = -1;
	mode_t keep = to_host ? 01777 : 07777;
	struct stat st;

	if (depth > 256)
		return hk_error_set(err, 0, "cp: %s: too deeply nested", sname);
	pfd = openat(srcdir, sname, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0 || fstat(pfd, &st) < 0)
		return hk_error_errno(err, "cp: stat %s", sname);
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(pfd, "", target, sizeof(target) - 1);
		if (n < 0)
			return hk_error_errno(err, "cp: readlink %s", sname);
		target[n] = '\0';
		/* whatever is there but a directory is replaced, not followed */
		if (unlinkat(dstdir, dname, 0) < 0 && errno != ENOENT && errno != EISDIR)
			return hk_error_errno(err, "cp: replace %s", dname);
		if (symlinkat(target, dstdir, dname) < 0)
			return hk_error_errno(err, "cp: symlink %s", dname);
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int sd =
			openat(srcdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int dd = -1;
		if (sd < 0)
			return hk_error_errno(err, "cp: open %s", sname);
		if (dst_clear(dstdir, dname, err) < 0)
			return -1;
		if (mkdirat(dstdir, dname, st.st_mode & keep) < 0 && errno != EEXIST)
			return hk_error_errno(err, "cp: mkdir %s", dname);
		dd = openat(dstdir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dd < 0)
			return hk_error_errno(err, "cp: %s is not a directory (or a symlink)",
					      dname);
		return copy_contents(sd, dd, sname, depth + 1, to_host, err);
	}
	if (S_ISFIFO(st.st_mode)) {
		/* made as a FIFO, as docker cp does; its data is a process's */
		if (unlinkat(dstdir, dname, 0) < 0 && errno != ENOENT && errno != EISDIR)
			return hk_error_errno(err, "cp: replace %s", dname);
		if (mkfifoat(dstdir, dname, st.st_mode & keep) < 0)
			return hk_error_errno(err, "cp: mkfifo %s", dname);
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return copy_special(sname, &st, depth, err);
	_cleanup_close_ int in = path_reopen_regular(pfd, O_RDONLY, &st, err);
	if (in < 0)
		return hk_error_wrap(err, "cp: %s", sname);
	_cleanup_close_ int out = dst_open(dstdir, dname, st.st_mode & keep, err);
	if (out < 0)
		return -1;
	return copy_fd(in, out, st.st_size, dname, err);
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

/* The bind mount's or volume's source of m, and whether it is writable. */
static const char *mount_source(json_object *m, bool *rw)
{
	json_object *v = NULL;
	const char *src =
		json_object_object_get_ex(m, "Source", &v) ? json_object_get_string(v) : "";

	*rw = !json_object_object_get_ex(m, "RW", &v) || json_object_get_boolean(v);
	return src;
}

/* Open the container path `path` (clean and absolute) where the container
 * sees it: inside the source of the bind mount or volume that covers it,
 * else inside the rootfs; within either by RESOLVE_IN_ROOT, so no symlink
 * leads out of it. */
static int view_open(const struct engine_container *c, int rootfd, const char *path, int flags,
		     struct hk_error **err)
{
	const char *rest = NULL;
	json_object *m = find_mount(c, path, &rest);
	_cleanup_close_ int base = -1;
	bool rw;

	if (!m)
		return path_open_in_root(rootfd, path, flags, 0, err);
	base = open(mount_source(m, &rw), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (base < 0)
		return hk_error_errno(err, "cp: mount source %s", mount_source(m, &rw));
	return path_open_in_root(base, *rest ? rest : "/", flags, 0, err);
}

/* readlink of the container path p (clean, absolute, its parent free of
 * symlinks) where the container sees it; -1 when p is no symlink. */
static ssize_t view_readlink(const struct engine_container *c, int rootfd, const char *p, char *buf,
			     size_t size)
{
	_cleanup_free_ char *parent = NULL, *name = NULL;
	_cleanup_close_ int pfd = -1;
	const char *rest = NULL;
	ssize_t n;

	if (find_mount(c, p, &rest) && !*rest)
		return -1; /* a mount point is what is mounted there */
	split(p, &parent, &name);
	pfd = view_open(c, rootfd, parent, O_PATH | O_DIRECTORY, NULL);
	if (pfd < 0)
		return -1;
	n = readlinkat(pfd, name, buf, size - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* The container's view of path: each symlink on the way (the last component
 * too when follow_last) replaced by its target, read where the container
 * sees it, as the kernel would inside the container.  A link in the rootfs
 * that points into a volume ("/data -> /vol/sub") so leads into the volume's
 * source, not to the empty mount point under it in the rootfs.  Lexical, and
 * never above "/": the result is opened again with view_open(), so a link
 * swapped in meanwhile still cannot lead out of the rootfs or a mount. */
static int canon_path(const struct engine_container *c, int rootfd, const char *path,
		      bool follow_last, char **out, struct hk_error **err)
{
	_cleanup_free_ char *done = xstrdup("/"), *todo = path_clean(path);
	const char *p = todo;
	char target[4096];
	int links = 0;

	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *slash = strchr(p, '/');
		const char *after = slash ? slash : p + strlen(p);
		_cleanup_free_ char *comp = xstrndup(p, (size_t)(after - p));
		_cleanup_free_ char *joined = path_join(done, comp);
		char *cand = path_clean(joined);
		bool last = !*after || !after[strspn(after, "/")];

		if ((last && !follow_last) ||
		    view_readlink(c, rootfd, cand, target, sizeof(target)) < 0) {
			free(done);
			done = cand;
			p = after;
			continue;
		}
		free(cand);
		if (++links > 40)
			return hk_error_set(err, ELOOP, "cp: %s: too many levels of symbolic links",
					    path);
		_cleanup_free_ char *base =
			target[0] == '/' ? xstrdup(target) : path_join(done, target);
		_cleanup_free_ char *next = xasprintf("/%s%s", base, after);
		free(todo);
		todo = path_clean(next);
		free(done);
		done = xstrdup("/");
		p = todo;
	}
	*out = steal_ptr(&done);
	return 0;
}

/* A path naming a directory's content ("DIR/."), not the directory. */
static bool names_content(const char *path)
{
	return !strcmp(path, ".") || str_has_suffix(path, "/.");
}

/* Where a container path lives: the parent directory (fd) and the name in
 * it, and the entry itself when it is a directory (followed when a
 * symlink).  Resolved in the container's view (canon_path, view_open).
 * for_write refuses a read-only mount. */
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

static int check_writable(const struct engine_container *c, const char *path, const char *user_path,
			  struct hk_error **err)
{
	const char *rest = NULL;
	json_object *m = find_mount(c, path, &rest);
	bool rw = true;

	if (m)
		mount_source(m, &rw);
	if (!rw)
		return hk_error_set(err, EROFS, "cp: %s:%s is on a read-only mount", c->name,
				    user_path);
	return 0;
}

static int cpath_resolve(const struct engine_container *c, int rootfd, const char *user_path,
			 bool for_write, struct cpath *out, struct hk_error **err)
{
	_cleanup_free_ char *full = xasprintf("/%s", user_path);
	_cleanup_free_ char *lpath = NULL, *fpath = NULL, *parent = NULL, *name = NULL;
	const char *rest = NULL;
	json_object *m;

	out->dirfd = out->selffd = -1;
	out->name = NULL;
	if (canon_path(c, rootfd, full, true, &fpath, err) < 0 ||
	    canon_path(c, rootfd, full, false, &lpath, err) < 0)
		return -1;
	if (for_write && (check_writable(c, fpath, user_path, err) < 0 ||
			  check_writable(c, lpath, user_path, err) < 0))
		return -1;
	if (names_content(user_path) || !strcmp(lpath, "/")) {
		/* "DIR/." (its content) or the root: the directory only */
		out->selffd = view_open(c, rootfd, fpath, O_RDONLY | O_DIRECTORY, err);
		return out->selffd < 0 ? hk_error_wrap(err, "cp: %s:%s", c->name, user_path) : 0;
	}
	m = find_mount(c, lpath, &rest);
	if (m && !*rest) {
		/* the mount point itself: the source, a host path the user
		 * chose (not the container's) */
		bool rw;
		const char *src = mount_source(m, &rw);
		split(src, &parent, &name);
		out->dirfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (out->dirfd < 0)
			return hk_error_errno(err, "cp: mount source %s", src);
	} else {
		split(lpath, &parent, &name);
		out->dirfd = view_open(c, rootfd, parent, O_RDONLY | O_DIRECTORY, err);
		if (out->dirfd < 0)
			return hk_error_wrap(err, "cp: %s:%s", c->name, parent);
	}
	out->name = steal_ptr(&name);
	out->selffd = view_open(c, rootfd, fpath, O_RDONLY | O_DIRECTORY, NULL);
	return 0;
}

/* The last component of a path, as the copy is named. */
static char *last_name(const char *path)
{
	_cleanup_free_ char *p = NULL, *n = NULL;

	split(path, &p, &n);
	return steal_ptr(&n);
}

/* Docker's rule for a directory's content (SRC ends with "/."): into DEST
 * when it is a directory, else DEST is made (its parent must exist) with the
 * mode of SRC.  dparent/dname name DEST; what names it for messages. */
static int content_into(int sd, int dparent, const char *dname, const char *what, bool to_host,
			struct hk_error **err)
{
	_cleanup_close_ int dd = -1;
	struct stat st;

	if (fstatat(dparent, dname, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISDIR(st.st_mode))
			return hk_error_set(err, ENOTDIR,
					    "cp: cannot copy a directory's content to %s: it is "
					    "not a directory",
					    what);
	} else {
		if (errno != ENOENT)
			return hk_error_errno(err, "cp: %s", what);
		if (fstat(sd, &st) < 0)
			return hk_error_errno(err, "cp: stat the source directory");
		if (mkdirat(dparent, dname, st.st_mode & (to_host ? 01777 : 07777)) < 0)
			return hk_error_errno(err, "cp: mkdir %s", what);
	}
	dd = openat(dparent, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dd < 0)
		return hk_error_errno(err, "cp: open %s", what);
	return copy_contents(sd, dd, what, 1, to_host, err);
}

static int cp_to_container(const struct engine_container *c, int rootfd, const char *src,
			   const char *dst, struct hk_error **err)
{
	_cleanup_free_ char *sparent = NULL, *sname = NULL, *what = NULL;
	_cleanup_close_ int sdir = -1;
	struct cpath cp = {.dirfd = -1, .selffd = -1};
	int r = -1;

	what = xasprintf("%s:%s", c->name, dst);
	if (names_content(src)) {
		sdir = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sdir < 0)
			return hk_error_errno(err, "cp: %s", src);
		if (cpath_resolve(c, rootfd, dst, true, &cp, err) < 0)
			goto out;
		if (cp.selffd >= 0)
			r = copy_contents(sdir, cp.selffd, what, 1, false, err);
		else
			r = content_into(sdir, cp.dirfd, cp.name, what, false, err);
		goto out;
	}
	split(src, &sparent, &sname);
	if (!strcmp(sname, "/"))
		return hk_error_set(err, 0, "cp: copy a named path, not the root");
	sdir = open(sparent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sdir < 0)
		return hk_error_errno(err, "cp: %s", src);
	{
		struct stat st;
		if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) == 0 && is_special(st.st_mode))
			return copy_special_refused(err, NULL, src, st.st_mode);
	}
	if (cpath_resolve(c, rootfd, dst, true, &cp, err) < 0)
		goto out;
	/* dst: an existing directory in the container receives sname */
	if (cp.selffd >= 0)
		r = copy_entry(sdir, sname, cp.selffd, sname, 0, false, err);
	else if (str_has_suffix(dst, "/"))
		r = hk_error_set(err, ENOENT, "cp: %s: the destination directory must exist", what);
	else
		r = copy_entry(sdir, sname, cp.dirfd, cp.name, 0, false, err);
out:
	cpath_free(&cp);
	return r;
}

static int cp_from_container(const struct engine_container *c, int rootfd, const char *src,
			     const char *dst, struct hk_error **err)
{
	_cleanup_free_ char *dparent = NULL, *dname = NULL;
	_cleanup_close_ int ddir = -1;
	struct cpath cp = {.dirfd = -1, .selffd = -1};
	struct stat st;
	bool dst_dir = stat(dst, &st) == 0 && S_ISDIR(st.st_mode);
	int r = -1;

	if (cpath_resolve(c, rootfd, src, false, &cp, err) < 0)
		goto out;
	if (names_content(src)) {
		if (dst_dir) {
			ddir = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			r = ddir < 0 ? hk_error_errno(err, "cp: %s", dst)
				     : copy_contents(cp.selffd, ddir, dst, 1, true, err);
			goto out;
		}
		split(dst, &dparent, &dname);
		ddir = open(dparent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = ddir < 0 ? hk_error_errno(err, "cp: %s", dst)
			     : content_into(cp.selffd, ddir, dname, dst, true, err);
		goto out;
	}
	if (!cp.name) {
		r = hk_error_set(err, 0, "cp: copy a named path, not the root (or give %s:/.)",
				 c->name);
		goto out;
	}
	if (fstatat(cp.dirfd, cp.name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		r = hk_error_errno(err, "cp: %s:%s", c->name, src);
		goto out;
	}
	if (is_special(st.st_mode)) {
		/* named in full here; copy_entry() checks again on its pin */
		r = copy_special_refused(err, c->name, src, st.st_mode);
		goto out;
	}
	if (dst_dir) {
		ddir = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		dname = last_name(src);
	} else if (str_has_suffix(dst, "/")) {
		r = hk_error_set(err, ENOENT, "cp: %s: the destination directory must exist", dst);
		goto out;
	} else {
		split(dst, &dparent, &dname);
		ddir = open(dparent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (ddir < 0) {
		r = hk_error_errno(err, "cp: %s", dst);
		goto out;
	}
	r = copy_entry(cp.dirfd, cp.name, ddir, dname, 0, true, err);
out:
	cpath_free(&cp);
	return r;
}

int engine_cp(struct engine *e, const char *ref, const char *src, const char *dst,
	      bool to_container, struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_close_ int rootfd = -1;
	bool mounted = false;
	int r;

	if (engine_lookup(e, ref, &c, err) < 0)
		return -1;
	if (!c->rootfs)
		return hk_error_set(err, 0, "cp: container %s has no root filesystem", c->name);
	/* a stopped container's rootfs is mounted for the copy only */
	if (engine_rootfs_hold(e, c, &mounted, err) < 0)
		return hk_error_wrap(err, "cp");
	store_close(e);
	rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		r = hk_error_errno(err, "cp: open the rootfs of %s", c->name);
	else
		r = to_container ? cp_to_container(c, rootfd, src, dst, err)
				 : cp_from_container(c, rootfd, src, dst, err);
	if (rootfd >= 0)
		close(steal_fd(&rootfd)); /* no reference left at the unmount */
	engine_rootfs_release(e, c, mounted);
	return r;
}
