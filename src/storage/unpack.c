/* hako: unpack an OCI layer tar into a directory, treating it as hostile.
 *
 * One pass: a "raw" libarchive reader decompresses (gzip, zstd, xz or none,
 * by magic) and feeds both a sha256 (the diff ID is the digest of the
 * uncompressed tar) and a second reader that parses the tar.  Every entry is
 * created with *at() calls below the layer's directory fd, walking parents
 * with O_NOFOLLOW, so no symlink (even one this layer made) is ever followed
 * and ".." or an absolute name is refused rather than cleaned.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/image.h"
#include "storage/storage.h"
#include "util/log.h"
#include "util/util.h"

#define UNPACK_BUF	(1 << 17)
#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_META	".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
#define OVERLAY_OPAQUE	"trusted.overlay.opaque"
#define MAX_ENTRY_NAME	4096

struct dir_time {
	char *path;
	struct timespec ts[2];
};

struct unpack {
	struct archive *raw;
	struct archive *tar;
	struct digester *dg;
	char *buf;
	int rootfd;
	struct layer_unpack_result *res;
	struct dir_time *dirs;
	size_t n_dirs;
	const char *entry; /* the entry being applied, for messages */
};

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
	*a = NULL;
}
#define _cleanup_archive_ __attribute__((cleanup(archive_freep)))

static int entry_error(struct unpack *u, struct hk_error **err, int errnum, const char *fmt, ...)
	HK_PRINTF(4, 5);
static int entry_error(struct unpack *u, struct hk_error **err, int errnum, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	return hk_error_set(err, errnum, "entry \"%s\": %s", u->entry, msg ? msg : "error");
}

/* The tar reader pulls decompressed bytes from the raw reader, hashing them. */
static la_ssize_t tar_read_cb(struct archive *a, void *data, const void **out)
{
	struct unpack *u = data;
	la_ssize_t n = archive_read_data(u->raw, u->buf, UNPACK_BUF);

	if (n < 0) {
		archive_set_error(a, EIO, "%s", archive_error_string(u->raw));
		return -1;
	}
	digester_update(u->dg, u->buf, (size_t)n);
	*out = u->buf;
	return n;
}

/* Split a tar name into components; refuse absolute names and "..". */
static int split_name(struct unpack *u, const char *name, char ***out, struct hk_error **err)
{
	_cleanup_strv_ char **v = xzalloc(sizeof(char *));
	const char *s = name;

	if (strlen(name) > MAX_ENTRY_NAME)
		return entry_error(u, err, 0, "name longer than %d bytes", MAX_ENTRY_NAME);
	if (name[0] == '/')
		return entry_error(u, err, 0, "absolute path: path escapes the layer");
	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n == 2 && !strncmp(s, "..", 2))
			return entry_error(u, err, 0, "path escapes the layer");
		if (n > NAME_MAX)
			return entry_error(u, err, 0, "a component is longer than %d bytes",
					   NAME_MAX);
		if (n && !(n == 1 && s[0] == '.')) {
			_cleanup_free_ char *c = xstrndup(s, n);
			strv_push(&v, c);
		}
		if (!e)
			break;
		s = e + 1;
	}
	*out = steal_ptr(&v);
	return 0;
}

/* Open the directory of comps[0..n) below rootfd, never following a symlink;
 * missing directories are made (0755) when create. */
static int open_parent(struct unpack *u, char **comps, size_t n, bool create, struct hk_error **err)
{
	int fd = fcntl(u->rootfd, F_DUPFD_CLOEXEC, 3);

	if (fd < 0)
		return hk_error_errno(err, "dup");
	for (size_t i = 0; i < n; i++) {
		int nfd = openat(fd, comps[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comps[i], 0755) < 0 && errno != EEXIST) {
				int r = entry_error(u, err, errno, "mkdir %s", comps[i]);
				close(fd);
				return r;
			}
			nfd = openat(fd, comps[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0) {
			int e = errno, r;
			if (e == ELOOP || e == ENOTDIR)
				r = entry_error(u, err, 0,
						"path goes through \"%s\", a symlink or not a "
						"directory",
						comps[i]);
			else
				r = entry_error(u, err, e, "open %s", comps[i]);
			close(fd);
			return r;
		}
		close(fd);
		fd = nfd;
	}
	return fd;
}

static bool xattr_allowed(const char *name)
{
	/* trusted.overlay.* would let a layer steer overlayfs (redirect_dir,
	 * metacopy, origin): only our own opaque marker, set from a whiteout
	 * entry, may carry it. */
	if (str_has_prefix(name, "trusted.overlay."))
		return false;
	return str_has_prefix(name, "user.") || str_has_prefix(name, "trusted.") ||
	       !strcmp(name, "security.capability");
}

static int apply_xattrs(struct unpack *u, int fd, struct archive_entry *e, struct hk_error **err)
{
	const char *name;
	const void *value;
	size_t size;

	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		if (!xattr_allowed(name)) {
			log_debug("%s: skipping xattr %s", u->entry, name);
			continue;
		}
		if (fsetxattr(fd, name, value, size, 0) < 0) {
			if ((errno == ENOTSUP || errno == EPERM) && str_has_prefix(name, "user.")) {
				log_debug("%s: xattr %s: %s", u->entry, name, strerror(errno));
				continue;
			}
			return entry_error(u, err, errno, "set xattr %s", name);
		}
	}
	return 0;
}

static void times_of(struct archive_entry *e, struct timespec ts[2])
{
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	} else {
		ts[0] = ts[1];
	}
}

/* Owner, xattrs, then mode (chown clears set-id bits), then times. */
static int apply_meta_fd(struct unpack *u, int fd, struct archive_entry *e, bool times,
			 struct hk_error **err)
{
	struct timespec ts[2];

	if (fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
		return entry_error(u, err, errno, "chown");
	if (apply_xattrs(u, fd, e, err) < 0)
		return -1;
	if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
		return entry_error(u, err, errno, "chmod");
	if (times) {
		times_of(e, ts);
		if (futimens(fd, ts) < 0)
			return entry_error(u, err, errno, "set times");
	}
	return 0;
}

static int apply_meta_at(struct unpack *u, int dfd, const char *name, struct archive_entry *e,
			 bool is_link, struct hk_error **err)
{
	struct timespec ts[2];

	if (fchownat(dfd, name, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
		     AT_SYMLINK_NOFOLLOW) < 0)
		return entry_error(u, err, errno, "chown");
	if (!is_link && fchmodat(dfd, name, archive_entry_perm(e) & 07777, 0) < 0)
		return entry_error(u, err, errno, "chmod");
	times_of(e, ts);
	if (utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return entry_error(u, err, errno, "set times");
	return 0;
}

static int write_file(struct unpack *u, int dfd, const char *name, struct archive_entry *e,
		      struct hk_error **err)
{
	_cleanup_close_ int fd = -1;
	int64_t declared = archive_entry_size(e), total = 0;
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;

	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return entry_error(u, err, errno, "create");
	while ((r = archive_read_data_block(u->tar, &buf, &size, &off)) == ARCHIVE_OK) {
		if (off < 0 || off > declared || (int64_t)size > declared - off)
			return entry_error(u, err, 0, "data beyond the declared size");
		if (size && pwrite(fd, buf, size, off) != (ssize_t)size)
			return entry_error(u, err, errno ? errno : EIO, "write");
		total += (int64_t)size;
	}
	if (r != ARCHIVE_EOF)
		return entry_error(u, err, 0, "read: %s", archive_error_string(u->tar));
	/* Sparse files end in a hole. */
	if (ftruncate(fd, declared) < 0)
		return entry_error(u, err, errno, "truncate");
	u->res->size += declared;
	return apply_meta_fd(u, fd, e, true, err);
}

static int make_whiteout(struct unpack *u, int dfd, const char *base, struct hk_error **err)
{
	const char *target = base + strlen(WHITEOUT_PREFIX);

	if (!strcmp(base, WHITEOUT_OPAQUE)) {
		if (fsetxattr(dfd, OVERLAY_OPAQUE, "y", 1, 0) < 0)
			return entry_error(u, err, errno, "set %s", OVERLAY_OPAQUE);
		return 0;
	}
	if (str_has_prefix(base, WHITEOUT_META)) /* .wh..wh.plnk and such: AUFS only */
		return 0;
	if (!*target || !strcmp(target, ".") || !strcmp(target, ".."))
		return entry_error(u, err, 0, "invalid whiteout");
	if (rm_rf_at(dfd, target, err) < 0)
		return -1;
	/* overlayfs: a 0/0 character device hides the lower entry. */
	if (mknodat(dfd, target, S_IFCHR | 0, makedev(0, 0)) < 0)
		return entry_error(u, err, errno, "create the whiteout of %s", target);
	return 0;
}

static int make_hardlink(struct unpack *u, int dfd, const char *name, const char *target,
			 struct hk_error **err)
{
	_cleanup_strv_ char **tc = NULL;
	_cleanup_close_ int tfd = -1;
	struct stat st;
	size_t n;

	if (target[0] == '/')
		return entry_error(u, err, 0, "hard link to \"%s\" escapes the layer", target);
	if (split_name(u, target, &tc, err) < 0) {
		hk_error_free(err);
		return entry_error(u, err, 0, "hard link to \"%s\" escapes the layer", target);
	}
	n = strv_len(tc);
	if (n == 0)
		return entry_error(u, err, 0, "hard link to the layer root");
	tfd = open_parent(u, tc, n - 1, false, err);
	if (tfd < 0)
		return hk_error_wrap(err, "hard link target");
	if (fstatat(tfd, tc[n - 1], &st, AT_SYMLINK_NOFOLLOW) < 0)
		return entry_error(u, err, errno, "hard link target \"%s\"", target);
	if (S_ISDIR(st.st_mode))
		return entry_error(u, err, 0, "hard link to the directory \"%s\"", target);
	if (linkat(tfd, tc[n - 1], dfd, name, 0) < 0)
		return entry_error(u, err, errno, "hard link to \"%s\"", target);
	return 0;
}

/* Children change a directory's mtime: it is set at the end. */
static void push_dir_time(struct unpack *u, char **comps, size_t n, struct archive_entry *e)
{
	struct dir_time *dt;

	u->dirs = xrealloc(u->dirs, (u->n_dirs + 1) * sizeof(*u->dirs));
	dt = &u->dirs[u->n_dirs++];
	dt->path = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *p = i ? xasprintf("%s/%s", dt->path, comps[i]) : xstrdup(comps[i]);
		free(dt->path);
		dt->path = p;
	}
	times_of(e, dt->ts);
}

static int make_dir(struct unpack *u, int dfd, const char *name, char **comps, size_t n,
		    struct archive_entry *e, struct hk_error **err)
{
	_cleanup_close_ int fd = -1;

	if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
		return entry_error(u, err, errno, "mkdir");
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return entry_error(u, err, errno, "open directory");
	if (apply_meta_fd(u, fd, e, false, err) < 0)
		return -1;
	push_dir_time(u, comps, n, e);
	return 0;
}

static int apply_entry(struct unpack *u, struct archive_entry *e, struct hk_error **err)
{
	_cleanup_strv_ char **comps = NULL;
	_cleanup_close_ int dfd = -1;
	const char *base, *hardlink = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	int64_t size = archive_entry_size(e);
	struct stat st;
	size_t n;

	if (size < 0 || size > STORAGE_MAX_ENTRY_SIZE)
		return entry_error(u, err, 0, "absurd size %lld in the header", (long long)size);
	if (split_name(u, u->entry, &comps, err) < 0)
		return -1;
	n = strv_len(comps);
	if (n == 0) {
		/* "./": the layer root itself. */
		if (type != AE_IFDIR)
			return entry_error(u, err, 0, "the layer root must be a directory");
		push_dir_time(u, comps, 0, e);
		return apply_meta_fd(u, u->rootfd, e, false, err);
	}
	base = comps[n - 1];
	dfd = open_parent(u, comps, n - 1, true, err);
	if (dfd < 0)
		return -1;
	if (str_has_prefix(base, WHITEOUT_PREFIX))
		return make_whiteout(u, dfd, base, err);

	/* A later entry replaces an earlier one, but a directory stays a
	 * directory (its metadata is updated). */
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !(S_ISDIR(st.st_mode) && type == AE_IFDIR && !hardlink)) {
		if (rm_rf_at(dfd, base, err) < 0)
			return -1;
	}
	if (hardlink)
		return make_hardlink(u, dfd, base, hardlink, err);
	switch (type) {
	case AE_IFREG:
		return write_file(u, dfd, base, e, err);
	case AE_IFDIR:
		return make_dir(u, dfd, base, comps, n, e, err);
	case AE_IFLNK: {
		const char *target = archive_entry_symlink(e);
		if (!target || !*target)
			return entry_error(u, err, 0, "symlink without a target");
		/* Stored as is: it is resolved only inside the container. */
		if (symlinkat(target, dfd, base) < 0)
			return entry_error(u, err, errno, "symlink");
		return apply_meta_at(u, dfd, base, e, true, err);
	}
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		if (mknodat(dfd, base, type | (archive_entry_perm(e) & 0777),
			    type == AE_IFIFO ? 0 : archive_entry_rdev(e)) < 0)
			return entry_error(u, err, errno, "mknod");
		return apply_meta_at(u, dfd, base, e, false, err);
	case AE_IFSOCK:
		log_debug("%s: skipping a socket", u->entry);
		return 0;
	default:
		return entry_error(u, err, 0, "unknown entry type 0%o", (unsigned)type);
	}
}

static int set_dir_times(struct unpack *u, struct hk_error **err)
{
	for (size_t i = u->n_dirs; i-- > 0;) {
		_cleanup_strv_ char **comps = NULL;
		_cleanup_close_ int fd = -1;
		u->entry = u->dirs[i].path;
		if (split_name(u, u->dirs[i].path, &comps, err) < 0)
			return -1;
		fd = open_parent(u, comps, strv_len(comps), false, err);
		if (fd < 0) {
			/* Replaced by a later entry: nothing to do. */
			hk_error_free(err);
			continue;
		}
		if (futimens(fd, u->dirs[i].ts) < 0)
			return entry_error(u, err, errno, "set times");
	}
	return 0;
}

static int open_readers(struct unpack *u, int fd, struct hk_error **err)
{
	struct archive_entry *e;

	u->raw = archive_read_new();
	u->tar = archive_read_new();
	if (!u->raw || !u->tar)
		return hk_error_set(err, ENOMEM, "libarchive");
	/* Only in-process decompressors: "all" would run external programs
	 * (lrzip, lzop...) chosen by a hostile blob's magic. */
	archive_read_support_filter_gzip(u->raw);
	archive_read_support_filter_zstd(u->raw);
	archive_read_support_filter_xz(u->raw);
	/* bzip2 only with libbz2 linked in (else libarchive would run the
	 * bzip2 program); a build's ADD extracts .tar.bz2 as Docker does */
	if (archive_bzlib_version())
		archive_read_support_filter_bzip2(u->raw);
	archive_read_support_filter_none(u->raw);
	archive_read_support_format_raw(u->raw);
	archive_read_support_format_empty(u->raw);
	if (archive_read_open_fd(u->raw, fd, UNPACK_BUF) != ARCHIVE_OK)
		return hk_error_set(err, 0, "open: %s", archive_error_string(u->raw));
	if (archive_read_next_header(u->raw, &e) != ARCHIVE_OK) {
		/* An empty stream: a layer without entries. */
		return 1;
	}
	archive_read_support_format_tar(u->tar);
	archive_read_support_format_empty(u->tar);
	if (archive_read_open(u->tar, u, NULL, tar_read_cb, NULL) != ARCHIVE_OK)
		return hk_error_set(err, 0, "not a tar archive: %s", archive_error_string(u->tar));
	return 0;
}

int storage_unpack_into(int dirfd, int fd, const char *what, struct layer_unpack_result *res,
			struct hk_error **err)
{
	struct unpack u = {.rootfd = dirfd, .res = res};
	_cleanup_archive_ struct archive *raw = NULL, *tar = NULL;
	_cleanup_free_ char *buf = xmalloc(UNPACK_BUF);
	_cleanup_digester_ struct digester *dg = digester_new();
	struct archive_entry *e;
	int r;

	memset(res, 0, sizeof(*res));
	u.buf = buf;
	u.dg = dg;
	r = open_readers(&u, fd, err);
	raw = u.raw;
	tar = u.tar;
	if (r < 0)
		goto out;
	if (r == 0) {
		while ((r = archive_read_next_header(tar, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
			u.entry = archive_entry_pathname(e);
			if (!u.entry) {
				r = hk_error_set(err, 0, "entry %lld: no name",
						 (long long)res->entries);
				goto out;
			}
			if (apply_entry(&u, e, err) < 0) {
				r = -1;
				goto out;
			}
			res->entries++;
		}
		if (r != ARCHIVE_EOF) {
			r = hk_error_set(err, 0, "after %lld entries: %s", (long long)res->entries,
					 archive_error_string(tar));
			goto out;
		}
		/* The tar reader stops at the end-of-archive blocks: the rest
		 * of the stream (padding) is part of the diff ID too. */
		for (;;) {
			la_ssize_t n = archive_read_data(raw, buf, UNPACK_BUF);
			if (n < 0) {
				r = hk_error_set(err, 0, "read: %s", archive_error_string(raw));
				goto out;
			}
			if (n == 0)
				break;
			digester_update(dg, buf, (size_t)n);
		}
		r = set_dir_times(&u, err);
		if (r < 0)
			goto out;
	}
	digester_final(dg, res->diff_id);
	r = 0;
out:
	for (size_t i = 0; i < u.n_dirs; i++)
		free(u.dirs[i].path);
	free(u.dirs);
	if (r < 0)
		return what ? hk_error_wrap(err, "%s", what) : -1;
	return 0;
}
