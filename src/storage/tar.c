/* hako storage: root filesystems and their changes as tar streams.
 *
 *   storage_export()    the merged tree (docker export)
 *   storage_diff_tar()  the changes against the image as an OCI layer
 *                       (docker commit): added and changed entries, ".wh.NAME"
 *                       for deletions, ".wh..wh..opq" in opaque directories
 *
 * The trees belong to containers, so they are hostile: every entry is pinned
 * by an O_PATH|O_NOFOLLOW fd relative to its parent's fd (a symlink is
 * archived as a symlink, never followed), only regular files and
 * directories are opened, through that fd (a FIFO or device node swapped in
 * is never opened), files are archived with the size fstat gave and no more
 * is read (a file growing or shrinking under a running container cannot
 * corrupt or prolong the stream: libarchive pads), entries that vanish
 * meanwhile are skipped, and overlayfs' own xattrs are never copied.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "storage/storage.h"
#include "storage/storage_private.h"
#include "util/json.h"
#include "util/path.h"
#include "util/util.h"

#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#endif

#define TAR_MAX_DEPTH 512

struct tw {
	struct archive *a;
	struct archive_entry_linkresolver *links;
	storage_write_fn fn;
	void *arg;
	struct hk_error *werr; /* the writer's error, kept for the caller */
	json_object *dirs;     /* directories already archived (diff tars) */
};

static la_ssize_t tw_write(struct archive *a, void *data, const void *buf, size_t len)
{
	struct tw *t = data;

	(void)a;
	if (t->fn(t->arg, buf, len, &t->werr) < 0)
		return -1;
	return (la_ssize_t)len;
}

static int tw_error(struct tw *t, const char *what, const char *path, struct hk_error **err)
{
	if (t->werr) {
		*err = steal_ptr(&t->werr);
		return hk_error_wrap(err, "%s", what);
	}
	return hk_error_set(err, archive_errno(t->a), "%s %s: %s", what, path,
			    archive_error_string(t->a));
}

static int tw_open(struct tw *t, storage_write_fn fn, void *arg, struct hk_error **err)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->arg = arg;
	t->a = archive_write_new();
	t->links = archive_entry_linkresolver_new();
	t->dirs = json_object_new_object();
	archive_entry_linkresolver_set_strategy(t->links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	if (archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(t->a) != ARCHIVE_OK ||
	    archive_write_open2(t->a, t, NULL, tw_write, NULL, NULL) != ARCHIVE_OK)
		return tw_error(t, "tar", "open", err);
	return 0;
}

static void tw_free(struct tw *t)
{
	if (t->a)
		archive_write_free(t->a);
	if (t->links)
		archive_entry_linkresolver_free(t->links);
	json_object_put(t->dirs);
	hk_error_free(&t->werr);
}

static int tw_close(struct tw *t, struct hk_error **err)
{
	int r = archive_write_close(t->a);

	if (r != ARCHIVE_OK)
		return tw_error(t, "tar", "close", err);
	return 0;
}

static bool xattr_archived(const char *name)
{
	/* overlayfs' own (opaque, redirect, origin...) describe this mount,
	 * not the file */
	return !str_has_prefix(name, "trusted.overlay.");
}

static void add_xattrs(struct archive_entry *e, int fd)
{
	char names[8192], value[65536];
	ssize_t n = flistxattr(fd, names, sizeof(names));

	for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t)strlen(names + off) + 1) {
		const char *name = names + off;
		ssize_t vl;
		if (!xattr_archived(name))
			continue;
		vl = fgetxattr(fd, name, value, sizeof(value));
		if (vl >= 0)
			archive_entry_xattr_add_entry(e, name, value, (size_t)vl);
	}
}

/* At most size bytes: the size the header gave (a file the container keeps
 * writing is archived as it was when opened, not read without end). */
static int write_data(struct tw *t, int fd, off_t size, const char *path, struct hk_error **err)
{
	char buf[65536];
	ssize_t n = 0;

	while (size > 0 &&
	       (n = read(fd, buf, size < (off_t)sizeof(buf) ? (size_t)size : sizeof(buf))) > 0) {
		if (archive_write_data(t->a, buf, (size_t)n) < 0)
			return tw_error(t, "tar: write", path, err);
		size -= n;
	}
	if (n < 0)
		return hk_error_errno(err, "tar: read %s", path);
	return 0;
}

/* Archive the entry name of dirfd as path.  *dirfd_out (may be NULL) gets an
 * fd of it when it is a directory.  Returns 1 when the entry vanished.  The
 * entry is pinned by an O_PATH fd and everything is taken from that inode:
 * only a directory or a regular file is ever opened (reopened through
 * /proc/self/fd, so a device node or FIFO swapped in meanwhile is not). */
static int add_entry(struct tw *t, int dirfd, const char *name, const char *path, int *dirfd_out,
		     struct hk_error **err)
{
	struct archive_entry *e = NULL, *spare = NULL;
	_cleanup_close_ int pfd = -1, fd = -1;
	struct stat st;
	int r = -1;

	pfd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return errno == ENOENT ? 1 : hk_error_errno(err, "tar: open %s", path);
	if (fstat(pfd, &st) < 0)
		return hk_error_errno(err, "tar: stat %s", path);
	if (S_ISSOCK(st.st_mode))
		return 0; /* tar has no sockets; Docker skips them too */
	if (S_ISDIR(st.st_mode)) {
		char p[64];
		fd = open(path_fd(pfd, p, sizeof(p)), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return hk_error_errno(err, "tar: open %s", path);
	} else if (S_ISREG(st.st_mode)) {
		fd = path_reopen_regular(pfd, O_RDONLY, &st, err);
		if (fd < 0)
			return hk_error_wrap(err, "tar: %s", path);
	}
	e = archive_entry_new();
	archive_entry_copy_stat(e, &st);
	if (S_ISDIR(st.st_mode)) {
		_cleanup_free_ char *p = xasprintf("%s/", path);
		archive_entry_copy_pathname(e, p);
	} else {
		archive_entry_copy_pathname(e, path);
	}
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(pfd, "", target, sizeof(target) - 1);
		if (n < 0) {
			hk_error_errno(err, "tar: readlink %s", path);
			goto out;
		}
		target[n] = '\0';
		archive_entry_copy_symlink(e, target);
		archive_entry_set_size(e, 0);
	} else if (!S_ISREG(st.st_mode)) {
		archive_entry_set_size(e, 0);
	}
	if (fd >= 0)
		add_xattrs(e, fd);
	if (S_ISREG(st.st_mode) && st.st_nlink > 1)
		archive_entry_linkify(t->links, &e, &spare);
	if (archive_write_header(t->a, e) != ARCHIVE_OK) {
		tw_error(t, "tar: write", path, err);
		goto out;
	}
	if (S_ISREG(st.st_mode) && archive_entry_size(e) > 0 &&
	    write_data(t, fd, archive_entry_size(e), path, err) < 0)
		goto out;
	if (S_ISDIR(st.st_mode) && dirfd_out)
		*dirfd_out = steal_fd(&fd);
	r = 0;
out:
	archive_entry_free(e);
	archive_entry_free(spare);
	return r;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of a directory, sorted (the same tree gives the same tar). */
static char **sorted_names(int dfd)
{
	DIR *d = fdopendir(fcntl(dfd, F_DUPFD_CLOEXEC, 3));
	char **v = xzalloc(sizeof(char *));
	struct dirent *de;

	if (!d)
		return v;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strv_push(&v, de->d_name);
	closedir(d);
	qsort(v, strv_len(v), sizeof(char *), name_cmp);
	return v;
}

static int add_tree(struct tw *t, int dfd, const char *prefix, int depth, struct hk_error **err)
{
	_cleanup_strv_ char **names = sorted_names(dfd);

	if (depth > TAR_MAX_DEPTH)
		return hk_error_set(err, ELOOP, "tar: %s: nested too deeply", prefix);
	for (char **n = names; *n; n++) {
		_cleanup_free_ char *path = *prefix ? xasprintf("%s/%s", prefix, *n) : xstrdup(*n);
		_cleanup_close_ int sub = -1;
		if (add_entry(t, dfd, *n, path, &sub, err) < 0)
			return -1;
		if (sub >= 0 && add_tree(t, sub, path, depth + 1, err) < 0)
			return -1;
	}
	return 0;
}

/* rootfs/<id>: the directory of the rootfs and its driver name. */
static int rootfs_dir(struct storage *s, const char *id, char **dir, char **driver,
		      struct hk_error **err)
{
	_cleanup_free_ char *merged = storage_rootfs_path(s, id), *df = NULL;
	size_t len = 0;

	*dir = xstrdup(dirname(merged));
	df = path_join(*dir, "driver");
	if (read_file_at(AT_FDCWD, df, 64, driver, &len, err) < 0) {
		free(*dir);
		*dir = NULL;
		return hk_error_wrap(err, "rootfs %s", id);
	}
	(*driver)[strcspn(*driver, "\n")] = '\0';
	return 0;
}

int storage_export(struct storage *s, const char *id, storage_write_fn fn, void *arg,
		   struct hk_error **err)
{
	_cleanup_free_ char *dir = NULL, *driver = NULL, *merged = storage_rootfs_path(s, id);
	_cleanup_close_ int root = -1;
	struct statfs sf;
	bool mounted_here = false;
	struct tw t;
	int r = -1;

	if (rootfs_dir(s, id, &dir, &driver, err) < 0)
		return -1;
	if (!strcmp(driver, "overlay") &&
	    !(statfs(merged, &sf) == 0 && sf.f_type == OVERLAYFS_SUPER_MAGIC)) {
		if (storage_mount(s, id, NULL, err) < 0)
			return -1;
		mounted_here = true;
	}
	root = open(merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		hk_error_errno(err, "open %s", merged);
		goto out;
	}
	if (tw_open(&t, fn, arg, err) < 0) {
		tw_free(&t);
		goto out;
	}
	if (add_tree(&t, root, "", 0, err) == 0 && tw_close(&t, err) == 0)
		r = 0;
	tw_free(&t);
out:
	if (mounted_here) {
		struct hk_error *e2 = NULL;
		if (storage_unmount(s, id, &e2) < 0 && r == 0) {
			*err = e2;
			return -1;
		}
		hk_error_free(&e2);
	}
	return r < 0 ? hk_error_wrap(err, "export rootfs %s", id) : 0;
}

/* Archive the directories above path (once each), as a layer needs its
 * parents with their metadata. */
static int add_parents(struct tw *t, int root, const char *path, struct hk_error **err)
{
	_cleanup_free_ char *p = xstrdup(path);

	for (char *slash = strchr(p, '/'); slash; slash = strchr(slash + 1, '/')) {
		_cleanup_free_ char *parent = xstrndup(p, (size_t)(slash - p));
		_cleanup_free_ char *pp = NULL, *pn = NULL;
		_cleanup_close_ int pfd = -1;
		const char *base;
		if (json_object_object_get_ex(t->dirs, parent, NULL))
			continue;
		base = strrchr(parent, '/');
		pp = base ? xstrndup(parent, (size_t)(base - parent)) : xstrdup(".");
		pfd = path_open_in_root(root, pp, O_RDONLY | O_DIRECTORY, 0, err);
		if (pfd < 0)
			return hk_error_wrap(err, "tar: %s", parent);
		if (add_entry(t, pfd, base ? base + 1 : parent, parent, NULL, err) < 0)
			return -1;
		json_object_object_add(t->dirs, parent, NULL);
	}
	return 0;
}

static int add_whiteout(struct tw *t, const char *path, const char *wh_name, struct hk_error **err)
{
	struct archive_entry *e = archive_entry_new();
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *p =
		slash ? xasprintf("%.*s/%s", (int)(slash - path), path, wh_name) : xstrdup(wh_name);
	int r = 0;

	archive_entry_copy_pathname(e, p);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 0);
	if (archive_write_header(t->a, e) != ARCHIVE_OK)
		r = tw_error(t, "tar: write", p, err);
	archive_entry_free(e);
	return r;
}

/* A change: the entry at rel (no leading '/') of src (the overlay upper dir
 * or the vfs copy); for overlay an opaque directory gets ".wh..wh..opq". */
static int add_change(struct tw *t, int src, const struct storage_change *c, bool overlay,
		      struct hk_error **err)
{
	const char *rel = c->path + 1;
	const char *slash = strrchr(rel, '/');
	_cleanup_free_ char *parent = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup(".");
	_cleanup_close_ int pfd = -1, sub = -1;
	int r;

	if (!*rel)
		return 0;
	if (add_parents(t, src, rel, err) < 0)
		return -1;
	if (c->kind == 'D') {
		_cleanup_free_ char *wh = xasprintf(".wh.%s", slash ? slash + 1 : rel);
		return add_whiteout(t, rel, wh, err);
	}
	if (json_object_object_get_ex(t->dirs, rel, NULL))
		return 0;
	pfd = path_open_in_root(src, parent, O_RDONLY | O_DIRECTORY, 0, err);
	if (pfd < 0)
		return hk_error_wrap(err, "tar: %s", rel);
	r = add_entry(t, pfd, slash ? slash + 1 : rel, rel, &sub, err);
	if (r != 0)
		return r < 0 ? -1 : 0;
	if (sub >= 0) {
		char v[4] = {0};
		json_object_object_add(t->dirs, rel, NULL);
		if (overlay && fgetxattr(sub, "trusted.overlay.opaque", v, sizeof(v) - 1) > 0 &&
		    v[0] == 'y') {
			_cleanup_free_ char *inner = xasprintf("%s/x", rel);
			return add_whiteout(t, inner, ".wh..wh..opq", err);
		}
	}
	return 0;
}

/* An empty regular file or directory added at one of the placeholder paths
 * (a mount target made for the container: a bind-mounted file, a build's
 * cache or tmpfs mount). */
static bool is_placeholder(int src, const struct storage_change *c, const char *const *skip)
{
	struct stat st;

	if (c->kind != 'A')
		return false;
	for (; skip && *skip; skip++) {
		if (strcmp(*skip, c->path))
			continue;
		if (fstatat(src, c->path + 1, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return false;
		if (S_ISREG(st.st_mode))
			return st.st_size == 0;
		if (S_ISDIR(st.st_mode)) {
			int fd = openat(src, c->path + 1,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
			struct dirent *de;
			bool empty = d != NULL;
			while (d && (de = readdir(d)))
				if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
					empty = false;
			if (d)
				closedir(d);
			else if (fd >= 0)
				close(fd);
			return empty;
		}
		return false;
	}
	return false;
}

int storage_diff_tar(struct storage *s, const char *id, const char *const *skip,
		     storage_write_fn fn, void *arg, struct hk_error **err)
{
	_cleanup_free_ char *dir = NULL, *driver = NULL, *srcdir = NULL;
	_cleanup_close_ int src = -1;
	struct storage_change *ch = NULL;
	size_t n = 0;
	bool overlay;
	struct tw t;
	int r = -1;

	if (rootfs_dir(s, id, &dir, &driver, err) < 0)
		return -1;
	overlay = !strcmp(driver, "overlay");
	/* overlay: everything changed is in the upper dir, mounted or not;
	 * vfs: the copy is the tree */
	srcdir = path_join(dir, overlay ? "upper" : "merged");
	src = open(srcdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (src < 0)
		return hk_error_errno(err, "open %s", srcdir);
	if (storage_diff(s, id, &ch, &n, err) < 0)
		return -1;
	if (tw_open(&t, fn, arg, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!is_placeholder(src, &ch[i], skip) &&
		    add_change(&t, src, &ch[i], overlay, err) < 0)
			goto out;
	if (tw_close(&t, err) < 0)
		goto out;
	r = 0;
out:
	tw_free(&t);
	storage_changes_free(ch, n);
	return r < 0 ? hk_error_wrap(err, "layer from rootfs %s", id) : 0;
}
