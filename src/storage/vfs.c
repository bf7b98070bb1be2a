/* hako: the "vfs" driver: a full copy of the layers, applied in order with
 * their whiteouts, for hosts where overlayfs can not be mounted (a root on
 * overlayfs or on a file system overlayfs refuses as upper).  Slower and
 * bigger than overlay, but any file system works.  Files are cloned
 * (FICLONE) where the file system can, else copied with copy_file_range. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "storage/storage.h"
#include "storage/storage_private.h"
#include "util/path.h"
#include "util/util.h"

#define OVERLAY_OPAQUE "trusted.overlay.opaque"

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int dirfd)
{
	char v[2] = {0};

	return fgetxattr(dirfd, OVERLAY_OPAQUE, v, sizeof(v)) == 1 && v[0] == 'y';
}

/* ------------------------------------------------------------- helpers */

void storage_change_push(struct storage_change **changes, size_t *count, char kind,
			 const char *path)
{
	*changes = xrealloc(*changes, (*count + 1) * sizeof(**changes));
	(*changes)[*count].kind = kind;
	(*changes)[*count].path = xstrdup(path);
	(*count)++;
}

static int change_cmp(const void *a, const void *b)
{
	return strcmp(((const struct storage_change *)a)->path,
		      ((const struct storage_change *)b)->path);
}

void storage_changes_sort(struct storage_change *changes, size_t count)
{
	if (count)
		qsort(changes, count, sizeof(*changes), change_cmp);
}

struct diff_ctx {
	const char *const *lowers;
	size_t n;
	storage_diff_kind_fn kind;
	struct storage_change **changes;
	size_t *count;
};

/* The tree is a container's: as deep as export's tar (512) and no deeper, so
 * a container nesting directories by the ten thousand cannot make diff or
 * commit build paths without end (their lengths add up to depth squared). */
#define DIFF_MAX_DEPTH 512

static int walk(int dfd, const char *rel, int depth, struct diff_ctx *d, struct hk_error **err)
{
	_cleanup_dir_ DIR *dir = NULL;
	struct dirent *de;

	if (depth > DIFF_MAX_DEPTH)
		return hk_error_set(err, ELOOP, "%.100s...: nested deeper than %d directories", rel,
				    DIFF_MAX_DEPTH);
	dir = fdopendir(fcntl(dfd, F_DUPFD_CLOEXEC, 3));
	if (!dir)
		return hk_error_errno(err, "read %s", rel[0] ? rel : "/");
	while ((de = readdir(dir))) {
		_cleanup_free_ char *path = NULL;
		struct stat st, lst;
		char k;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		path = xasprintf("%s/%s", rel, de->d_name);
		k = d->kind(&st, storage_lower_lookup(d->lowers, d->n, path + 1, &lst) > 0, &lst);
		if (k)
			storage_change_push(d->changes, d->count, k, path);
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub = openat(
				dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				return hk_error_errno(err, "open %s", path);
			if (walk(sub, path, depth + 1, d, err) < 0)
				return -1;
		}
	}
	return 0;
}

int storage_diff_tree(int dfd, const char *const *lowers, size_t n, storage_diff_kind_fn kind,
		      struct storage_change **changes, size_t *count, struct hk_error **err)
{
	struct diff_ctx d = {
		.lowers = lowers, .n = n, .kind = kind, .changes = changes, .count = count};
	return walk(dfd, "", 0, &d, err);
}

int storage_lower_lookup(const char *const *lowers, size_t n, const char *rel, struct stat *st)
{
	_cleanup_strv_ char **comps = xzalloc(sizeof(char *));
	size_t nc;

	for (const char *s = rel; s && *s;) {
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len) {
			_cleanup_free_ char *c = xstrndup(s, len);
			strv_push(&comps, c);
		}
		s = e ? e + 1 : NULL;
	}
	nc = strv_len(comps);
	if (nc == 0)
		return 0;
	for (size_t i = n; i-- > 0;) {
		_cleanup_close_ int fd = open(lowers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		bool stop = false, missing = false;
		struct stat s;

		if (fd < 0)
			continue;
		for (size_t j = 0; j + 1 < nc && !missing; j++) {
			int nfd;
			if (fstatat(fd, comps[j], &s, AT_SYMLINK_NOFOLLOW) < 0) {
				missing = true;
				break;
			}
			if (!S_ISDIR(s.st_mode))
				return 0; /* a whiteout or a non-directory hides below */
			nfd = openat(fd, comps[j], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (nfd < 0)
				return 0;
			close(fd);
			fd = nfd;
			if (is_opaque(fd))
				stop = true;
		}
		if (!missing && fstatat(fd, comps[nc - 1], &s, AT_SYMLINK_NOFOLLOW) == 0) {
			if (is_whiteout(&s))
				return 0;
			*st = s;
			return 1;
		}
		if (stop)
			return 0;
	}
	return 0;
}

static bool xattr_copyable(const char *name)
{
	if (str_has_prefix(name, "trusted.overlay."))
		return false;
	return str_has_prefix(name, "user.") || str_has_prefix(name, "trusted.") ||
	       !strcmp(name, "security.capability");
}

static int copy_xattrs(int src, int dst, const char *rel, struct hk_error **err)
{
	char names[4096], val[4096];
	ssize_t len = flistxattr(src, names, sizeof(names));

	for (ssize_t off = 0; off < len; off += (ssize_t)strlen(names + off) + 1) {
		const char *name = names + off;
		ssize_t vl;
		if (!xattr_copyable(name))
			continue;
		vl = fgetxattr(src, name, val, sizeof(val));
		if (vl < 0)
			continue;
		if (fsetxattr(dst, name, val, (size_t)vl, 0) < 0 && !str_has_prefix(name, "user."))
			return hk_error_errno(err, "%s: set xattr %s", rel, name);
	}
	return 0;
}

static int copy_meta_fd(int src, int dst, const struct stat *st, const char *rel, bool times,
			struct hk_error **err)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};

	if (fchown(dst, st->st_uid, st->st_gid) < 0)
		return hk_error_errno(err, "%s: chown", rel);
	if (copy_xattrs(src, dst, rel, err) < 0)
		return -1;
	if (fchmod(dst, st->st_mode & 07777) < 0)
		return hk_error_errno(err, "%s: chmod", rel);
	if (times && futimens(dst, ts) < 0)
		return hk_error_errno(err, "%s: set times", rel);
	return 0;
}

static int copy_data(int in, int out, off_t size)
{
	if (ioctl(out, FICLONE, in) == 0)
		return 0;
	while (size > 0) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)size, 0);
		if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL)) {
			char buf[65536];
			n = read(in, buf, sizeof(buf));
			if (n > 0 && write_all(out, buf, (size_t)n) < 0)
				return -1;
		}
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		size -= n;
	}
	return 0;
}

/* ---------------------------------------------------------------- copy */

struct inode_link {
	dev_t dev;
	ino_t ino;
	char *rel;
};

struct copy_ctx {
	int dst_root;
	struct inode_link *links;
	size_t n_links;
};

static int copy_tree(struct copy_ctx *c, int src, int dst, const char *rel, struct hk_error **err);

static int copy_entry(struct copy_ctx *c, int src, int dst, const char *name, const char *rel,
		      struct hk_error **err)
{
	struct stat st, dst_st;
	bool exists;

	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return hk_error_errno(err, "%s: stat", rel);
	exists = fstatat(dst, name, &dst_st, AT_SYMLINK_NOFOLLOW) == 0;
	if (is_whiteout(&st))
		return rm_rf_at(dst, name, err);
	if (exists && !(S_ISDIR(st.st_mode) && S_ISDIR(dst_st.st_mode))) {
		if (rm_rf_at(dst, name, err) < 0)
			return -1;
		exists = false;
	}
	if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int s2 = -1, d2 = -1;
		struct timespec ts[2] = {st.st_atim, st.st_mtim};
		s2 = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s2 < 0)
			return hk_error_errno(err, "%s: open", rel);
		if (exists && is_opaque(s2) && rm_rf_at(dst, name, err) < 0)
			return -1;
		if (mkdirat(dst, name, 0700) < 0 && errno != EEXIST)
			return hk_error_errno(err, "%s: mkdir", rel);
		d2 = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (d2 < 0)
			return hk_error_errno(err, "%s: open", rel);
		if (copy_meta_fd(s2, d2, &st, rel, false, err) < 0 ||
		    copy_tree(c, s2, d2, rel, err) < 0)
			return -1;
		if (futimens(d2, ts) < 0)
			return hk_error_errno(err, "%s: set times", rel);
		return 0;
	}
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
		for (size_t i = 0; i < c->n_links; i++) {
			if (c->links[i].dev == st.st_dev && c->links[i].ino == st.st_ino) {
				if (linkat(c->dst_root, c->links[i].rel, dst, name, 0) < 0)
					return hk_error_errno(err, "%s: link", rel);
				return 0;
			}
		}
		c->links = xrealloc(c->links, (c->n_links + 1) * sizeof(*c->links));
		c->links[c->n_links++] =
			(struct inode_link){st.st_dev, st.st_ino, xstrdup(rel + 1)};
	}
	if (S_ISREG(st.st_mode)) {
		_cleanup_close_ int in = -1, out = -1;
		in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (in < 0)
			return hk_error_errno(err, "%s: open", rel);
		out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (out < 0)
			return hk_error_errno(err, "%s: create", rel);
		if (copy_data(in, out, st.st_size) < 0)
			return hk_error_errno(err, "%s: copy", rel);
		return copy_meta_fd(in, out, &st, rel, true, err);
	}
	if (S_ISLNK(st.st_mode)) {
		char target[4097];
		ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
		if (n < 0)
			return hk_error_errno(err, "%s: readlink", rel);
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0)
			return hk_error_errno(err, "%s: symlink", rel);
	} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
		if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0)
			return hk_error_errno(err, "%s: mknod", rel);
	} else {
		return 0; /* sockets */
	}
	{
		struct timespec ts[2] = {st.st_atim, st.st_mtim};
		if (fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return hk_error_errno(err, "%s: chown", rel);
		if (!S_ISLNK(st.st_mode) && fchmodat(dst, name, st.st_mode & 07777, 0) < 0)
			return hk_error_errno(err, "%s: chmod", rel);
		if (utimensat(dst, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return hk_error_errno(err, "%s: set times", rel);
	}
	return 0;
}

static int copy_tree(struct copy_ctx *c, int src, int dst, const char *rel, struct hk_error **err)
{
	_cleanup_dir_ DIR *d = fdopendir(fcntl(src, F_DUPFD_CLOEXEC, 3));
	struct dirent *de;

	if (!d)
		return hk_error_errno(err, "%s: read", rel[0] ? rel : "/");
	while ((de = readdir(d))) {
		_cleanup_free_ char *sub = NULL;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = xasprintf("%s/%s", rel, de->d_name);
		if (copy_entry(c, src, dst, de->d_name, sub, err) < 0)
			return -1;
	}
	return 0;
}

static int vfs_create(const char *const *lowers, size_t n, const char *dir, struct hk_error **err)
{
	_cleanup_free_ char *merged = path_join(dir, "merged");
	_cleanup_close_ int dfd = -1;
	int r = 0;

	if (mkdir(merged, 0755) < 0)
		return hk_error_errno(err, "mkdir %s", merged);
	dfd = open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return hk_error_errno(err, "open %s", merged);
	for (size_t i = 0; i < n && r == 0; i++) {
		_cleanup_close_ int sfd = open(lowers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct copy_ctx c = {.dst_root = dfd};
		struct stat st;
		if (sfd < 0)
			return hk_error_errno(err, "open %s", lowers[i]);
		/* The layer root's own mode and owner. */
		if (fstat(sfd, &st) == 0 && copy_meta_fd(sfd, dfd, &st, "/", false, err) < 0)
			return -1;
		r = copy_tree(&c, sfd, dfd, "", err);
		for (size_t j = 0; j < c.n_links; j++)
			free(c.links[j].rel);
		free(c.links);
		if (r < 0)
			return hk_error_wrap(err, "copy layer %s", lowers[i]);
	}
	return 0;
}

static int vfs_mount(const char *const *lowers, size_t n, const char *dir, struct hk_error **err)
{
	return 0; /* a plain directory, always there */
}

static int vfs_unmount(const char *dir, struct hk_error **err)
{
	return 0;
}

static bool vfs_supported(const char *root)
{
	return true;
}

/* ---------------------------------------------------------------- diff */

static bool same_entry(const struct stat *a, const struct stat *b)
{
	return (a->st_mode == b->st_mode) && a->st_uid == b->st_uid && a->st_gid == b->st_gid &&
	       (S_ISDIR(a->st_mode) ||
		(a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
		 a->st_mtim.tv_nsec == b->st_mtim.tv_nsec));
}

/* Entries of the rootfs that the image lacks (A) or has otherwise (C). */
static char added_kind(const struct stat *st, bool in_image, const struct stat *lst)
{
	if (!in_image)
		return 'A';
	return same_entry(st, lst) ? 0 : 'C';
}

/* Entries of the image (walked per layer) missing from the rootfs (D). */
static int diff_deleted(const char *const *lowers, size_t n, int lfd, int root, const char *rel,
			struct storage_change **ch, size_t *count, struct hk_error **err)
{
	_cleanup_dir_ DIR *d = fdopendir(fcntl(lfd, F_DUPFD_CLOEXEC, 3));
	struct dirent *de;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		_cleanup_free_ char *path = NULL;
		struct stat st, lst, rst;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(lfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || is_whiteout(&st))
			continue;
		path = xasprintf("%s/%s", rel, de->d_name);
		if (storage_lower_lookup(lowers, n, path + 1, &lst) <= 0)
			continue;
		if (fstatat(root, path + 1, &rst, AT_SYMLINK_NOFOLLOW) < 0) {
			/* Gone (or its parent became a non-directory). */
			storage_change_push(ch, count, 'D', path);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub = openat(
				lfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0 &&
			    diff_deleted(lowers, n, sub, root, path, ch, count, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int vfs_diff(const char *const *lowers, size_t n, const char *dir,
		    struct storage_change **ch, size_t *count, struct hk_error **err)
{
	_cleanup_free_ char *merged = path_join(dir, "merged");
	_cleanup_close_ int root = open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (root < 0)
		return hk_error_errno(err, "open %s", merged);
	if (storage_diff_tree(root, lowers, n, added_kind, ch, count, err) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		_cleanup_close_ int lfd = open(lowers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lfd >= 0 && diff_deleted(lowers, n, lfd, root, "", ch, count, err) < 0)
			goto fail;
	}
	storage_changes_sort(*ch, *count);
	/* A path deleted in several layers was listed more than once. */
	for (size_t i = 1; i < *count;) {
		if (!strcmp((*ch)[i].path, (*ch)[i - 1].path)) {
			free((*ch)[i].path);
			memmove(&(*ch)[i], &(*ch)[i + 1], (*count - i - 1) * sizeof(**ch));
			(*count)--;
		} else {
			i++;
		}
	}
	return 0;
fail:
	storage_changes_free(*ch, *count);
	*ch = NULL;
	*count = 0;
	return -1;
}

const struct storage_ops storage_vfs_ops = {
	.name = "vfs",
	.supported = vfs_supported,
	.create = vfs_create,
	.mount = vfs_mount,
	.unmount = vfs_unmount,
	.diff = vfs_diff,
};
