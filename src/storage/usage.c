/* hako storage: disk usage of layers, writable layers and volumes (system df).
 *
 * Sizes are APPARENT bytes, what `du -sb` prints: the st_size of every entry
 * under and including the top directory (directories, symlinks' target
 * lengths, files), a file with several hard links counted once.  Apparent
 * bytes are exact and the same on every file system, where allocated blocks
 * depend on the file system (and on sparse files and reflinks). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/storage.h"
#include "storage/storage_private.h"
#include "util/json.h"
#include "util/path.h"
#include "util/util.h"

#define DU_MAX_DEPTH 512

struct du {
	int64_t bytes;
	json_object *seen; /* "dev:ino" of files with several links */
};

static void du_add(struct du *d, const struct stat *st)
{
	if (!S_ISDIR(st->st_mode) && st->st_nlink > 1) {
		char key[64];
		snprintf(key, sizeof(key), "%llx:%llx", (unsigned long long)st->st_dev,
			 (unsigned long long)st->st_ino);
		if (json_object_object_get_ex(d->seen, key, NULL))
			return;
		json_object_object_add(d->seen, key, NULL);
	}
	d->bytes += st->st_size;
}

static int du_tree(struct du *d, int dfd, const char *path, int depth, struct hk_error **err)
{
	_cleanup_dir_ DIR *dir = NULL;
	struct dirent *de;

	if (depth > DU_MAX_DEPTH)
		return hk_error_set(err, ELOOP, "du %s: nested too deeply", path);
	dir = fdopendir(fcntl(dfd, F_DUPFD_CLOEXEC, 3));
	if (!dir)
		return hk_error_errno(err, "du: read %s", path);
	while ((de = readdir(dir))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue; /* removed meanwhile */
			return hk_error_errno(err, "du: stat %s/%s", path, de->d_name);
		}
		du_add(d, &st);
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub = openat(
				dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				if (errno == ENOENT)
					continue;
				return hk_error_errno(err, "du: open %s/%s", path, de->d_name);
			}
			_cleanup_free_ char *p = xasprintf("%s/%s", path, de->d_name);
			if (du_tree(d, sub, p, depth + 1, err) < 0)
				return -1;
		}
	}
	return 0;
}

int storage_du(const char *path, int64_t *bytes, struct hk_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct du d = {.seen = json_object_new_object()};
	struct stat st;
	int r = -1;

	*bytes = 0;
	if (fd < 0) {
		json_object_put(d.seen);
		if (errno == ENOENT)
			return 0;
		return hk_error_errno(err, "du %s", path);
	}
	if (fstat(fd, &st) < 0) {
		hk_error_errno(err, "du %s", path);
		goto out;
	}
	du_add(&d, &st);
	if (S_ISDIR(st.st_mode) && du_tree(&d, fd, path, 0, err) < 0)
		goto out;
	*bytes = d.bytes;
	r = 0;
out:
	json_object_put(d.seen);
	return r;
}

int storage_rw_size(struct storage *s, const char *id, int64_t *bytes, struct hk_error **err)
{
	_cleanup_free_ char *merged = storage_rootfs_path(s, id);
	_cleanup_free_ char *dir = xstrdup(dirname(merged));
	_cleanup_free_ char *df = path_join(dir, "driver"), *driver = NULL;
	struct storage_change *ch = NULL;
	size_t len = 0, n = 0;
	struct du d;

	*bytes = 0;
	if (read_file_at(AT_FDCWD, df, 64, &driver, &len, err) < 0) {
		if (*err && (*err)->errnum == ENOENT) {
			hk_error_free(err);
			return 0; /* no rootfs (yet, or any more) */
		}
		return hk_error_wrap(err, "rootfs %s", id);
	}
	driver[strcspn(driver, "\n")] = '\0';
	if (!strcmp(driver, "overlay")) {
		_cleanup_free_ char *upper = path_join(dir, "upper");
		return storage_du(upper, bytes, err);
	}
	/* vfs: the copy is the whole tree; its own bytes are the changed
	 * entries (each directory listed is counted without its children,
	 * which are listed themselves when they changed) */
	if (storage_diff(s, id, &ch, &n, err) < 0)
		return -1;
	_cleanup_free_ char *m2 = storage_rootfs_path(s, id);
	_cleanup_close_ int root = open(m2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d.bytes = 0;
	d.seen = json_object_new_object();
	for (size_t i = 0; root >= 0 && i < n; i++) {
		struct stat st;
		const char *rel = ch[i].path + 1, *slash = strrchr(rel, '/');
		_cleanup_free_ char *parent =
			slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup(".");
		_cleanup_close_ int pfd = -1;
		if (ch[i].kind == 'D' || !*rel)
			continue;
		/* the tree is the container's: never follow its symlinks out */
		pfd = path_open_in_root(root, parent, O_RDONLY | O_DIRECTORY, 0, NULL);
		if (pfd >= 0 &&
		    fstatat(pfd, slash ? slash + 1 : rel, &st, AT_SYMLINK_NOFOLLOW) == 0)
			du_add(&d, &st);
	}
	json_object_put(d.seen);
	storage_changes_free(ch, n);
	*bytes = d.bytes;
	return 0;
}
