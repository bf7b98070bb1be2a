/* hako engine: named volumes (local driver: <root>/volumes/<name>/_data). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "engine/internal.h"
#include "events/events.h"
#include "util/json.h"
#include "util/path.h"
#include "util/util.h"

static struct engine_volume *row_to_volume(struct engine *e, sqlite3_stmt *st)
{
	struct engine_volume *v = xzalloc(sizeof(*v));
	_cleanup_free_ char *dir = NULL;

	v->name = db_column_strdup(st, 0);
	v->driver = db_column_strdup(st, 1);
	v->labels = db_column_strdup(st, 2);
	v->anonymous = sqlite3_column_int64(st, 3) != 0;
	v->created = sqlite3_column_int64(st, 4);
	v->users = (int)sqlite3_column_int64(st, 5);
	dir = engine_volume_dir(e, v->name);
	v->mountpoint = path_join(dir, "_data");
	return v;
}

void engine_volume_list_free(struct engine_volume **list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i]->name);
		free(list[i]->driver);
		free(list[i]->labels);
		free(list[i]->mountpoint);
		free(list[i]);
	}
	free(list);
}

int engine_volume_list(struct engine *e, const char *name, struct engine_volume ***out, size_t *n,
		       struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	struct engine_volume **list = NULL;
	size_t count = 0;
	sqlite3 *db;
	int r;

	if (store_db(e, &db, err) < 0)
		return -1;
	if (db_prepare(db,
		       "SELECT v.name, v.driver, v.labels, v.anonymous, v.created,"
		       " (SELECT count(*) FROM container_volumes cv WHERE cv.volume = v.name)"
		       " FROM volumes v WHERE ?1 IS NULL OR v.name = ?1 ORDER BY v.name",
		       &st, err) < 0)
		return -1;
	db_bind_text(st, 1, name);
	while ((r = db_step(st, "list volumes", err)) == SQLITE_ROW) {
		list = xrealloc(list, (count + 1) * sizeof(*list));
		list[count++] = row_to_volume(e, st);
	}
	if (r < 0) {
		engine_volume_list_free(list, count);
		return -1;
	}
	if (name && !count)
		return hk_error_set(err, 0, "no such volume: %s", name);
	*out = list;
	*n = count;
	return 0;
}

int engine_volume_create(struct engine *e, const char *name, char **labels, char **name_out,
			 struct hk_error **err)
{
	_cleanup_free_ char *n = name ? xstrdup(name) : engine_new_id();
	_cleanup_free_ char *dir = NULL, *data = NULL;
	json_object *lab = json_object_new_object();
	int r;

	if (!engine_valid_name(n)) {
		json_object_put(lab);
		return hk_error_set(err, 0, "invalid volume name \"%s\"", n);
	}
	for (char **l = labels; l && *l; l++) {
		const char *eq = strchr(*l, '=');
		_cleanup_free_ char *k = eq ? xstrndup(*l, (size_t)(eq - *l)) : xstrdup(*l);
		json_object_object_add(lab, k, json_object_new_string(eq ? eq + 1 : ""));
	}
	dir = engine_volume_dir(e, n);
	data = path_join(dir, "_data");
	if (mkdir_p(data, 0755, err) < 0) {
		json_object_put(lab);
		return -1;
	}
	r = store_volume_create(e, n, false, lab, NULL, err);
	json_object_put(lab);
	if (r < 0)
		return -1;
	*name_out = steal_ptr(&n);
	return 0;
}

int engine_volume_remove(struct engine *e, const char *name, bool force, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *dir = engine_volume_dir(e, name);
	int64_t users = 0;
	sqlite3 *db;

	if (store_db(e, &db, err) < 0)
		return -1;
	if (db_begin_immediate(db, err) < 0)
		return -1;
	if (db_query_int64(db, "SELECT count(*) FROM volumes WHERE name = ?", name, NULL, &users,
			   err) < 0 ||
	    users == 0) {
		db_rollback(db);
		return *err ? -1 : hk_error_set(err, 0, "no such volume: %s", name);
	}
	if (db_query_int64(db, "SELECT count(*) FROM container_volumes WHERE volume = ?", name,
			   NULL, &users, err) < 0) {
		db_rollback(db);
		return -1;
	}
	if (users && !force) {
		db_rollback(db);
		return hk_error_set(err, 0, "volume %s is in use by %lld container(s)", name,
				    (long long)users);
	}
	if (db_prepare(db, "DELETE FROM container_volumes WHERE volume = ?1", &st, err) < 0) {
		db_rollback(db);
		return -1;
	}
	db_bind_text(st, 1, name);
	db_step(st, "unlink volume", NULL);
	sqlite3_finalize(st);
	st = NULL;
	if (db_prepare(db, "DELETE FROM volumes WHERE name = ?1", &st, err) < 0) {
		db_rollback(db);
		return -1;
	}
	db_bind_text(st, 1, name);
	if (db_step(st, "delete volume", err) < 0) {
		db_rollback(db);
		return -1;
	}
	{
		_cleanup_json_ json_object *a = json_object_new_object();
		json_object_object_add(a, "driver", json_object_new_string("local"));
		events_record(db, "volume", "destroy", name, a);
	}
	if (db_commit(db, err) < 0) {
		db_rollback(db);
		return -1;
	}
	return rm_rf(dir, err);
}

/* ---- copy-up: the image's files at the mount point into a new volume ----
 *
 * Docker copies what the image has at a volume's mount point into the volume
 * when the volume is empty (unless -v ...:nocopy).  The source tree is the
 * container's rootfs, so hostile: every entry is read relative to its
 * parent's fd with O_NOFOLLOW (a symlink is copied as a symlink, never
 * followed), and written into the (empty, ours) volume with *at() calls and
 * O_EXCL | O_NOFOLLOW.  Owners, modes and times are kept; set-id bits are
 * set after chown (which clears them). */

#define COPYUP_MAX_DEPTH 256

static int copy_meta(int dstdir, const char *name, int fd, const struct stat *st, const char *path,
		     struct hk_error **err)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};

	if (fd >= 0) {
		if (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0)
			return hk_error_errno(err, "volume copy: set owner/mode of %s", path);
		if (futimens(fd, ts) < 0)
			return hk_error_errno(err, "volume copy: set times of %s", path);
		return 0;
	}
	if (fchownat(dstdir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return hk_error_errno(err, "volume copy: set owner of %s", path);
	if (!S_ISLNK(st->st_mode) && fchmodat(dstdir, name, st->st_mode & 07777, 0) < 0)
		return hk_error_errno(err, "volume copy: set mode of %s", path);
	if (utimensat(dstdir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return hk_error_errno(err, "volume copy: set times of %s", path);
	return 0;
}

/* At most size bytes, the size fstat gave: a file still growing is copied
 * as it was seen. */
static int copy_file_data(int in, int out, off_t size, const char *path, struct hk_error **err)
{
	char buf[65536];
	ssize_t n = 0;

	while (size > 0) {
		n = copy_file_range(in, NULL, out, NULL, (size_t)size, 0);
		if (n > 0) {
			size -= n;
			continue;
		}
		if (n == 0)
			return 0;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return hk_error_errno(err, "volume copy: %s", path);
		break;
	}
	while (size > 0 &&
	       (n = read(in, buf, size < (off_t)sizeof(buf) ? (size_t)size : sizeof(buf))) > 0) {
		if (write_all(out, buf, (size_t)n) != n)
			return hk_error_errno(err, "volume copy: write %s", path);
		size -= n;
	}
	return n < 0 ? hk_error_errno(err, "volume copy: read %s", path) : 0;
}

static int copy_tree(int src, int dst, const char *rel, int depth, struct hk_error **err);

static int copy_one(int src, int dst, const char *name, const char *rel, int depth,
		    struct hk_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", rel, name);
	_cleanup_close_ int in = -1, out = -1;
	struct stat st;

	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : hk_error_errno(err, "volume copy: stat %s", path);
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		in = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (in < 0)
			return hk_error_errno(err, "volume copy: open %s", path);
		if (mkdirat(dst, name, 0700) < 0)
			return hk_error_errno(err, "volume copy: mkdir %s", path);
		out = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (out < 0)
			return hk_error_errno(err, "volume copy: open %s", path);
		if (copy_tree(in, out, path, depth + 1, err) < 0)
			return -1;
		/* last: the children changed its mtime */
		return copy_meta(dst, name, out, &st, path, err);
	case S_IFREG: {
		/* the rootfs may hold a previous run's files: type checked on
		 * an O_PATH fd, no device or FIFO swapped in is opened */
		_cleanup_close_ int pfd = openat(src, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (pfd < 0)
			return hk_error_errno(err, "volume copy: open %s", path);
		in = path_reopen_regular(pfd, O_RDONLY, &st, err);
		if (in < 0)
			return hk_error_wrap(err, "volume copy: %s", path);
		out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (out < 0)
			return hk_error_errno(err, "volume copy: create %s", path);
		if (copy_file_data(in, out, st.st_size, path, err) < 0)
			return -1;
		return copy_meta(dst, name, out, &st, path, err);
	}
	case S_IFLNK: {
		char target[4096];
		ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
		if (n < 0)
			return hk_error_errno(err, "volume copy: readlink %s", path);
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0)
			return hk_error_errno(err, "volume copy: symlink %s", path);
		return copy_meta(dst, name, -1, &st, path, err);
	}
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
		if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0)
			return hk_error_errno(err, "volume copy: mknod %s", path);
		return copy_meta(dst, name, -1, &st, path, err);
	default:
		return 0; /* sockets belong to a process, not to an image */
	}
}

static int copy_tree(int src, int dst, const char *rel, int depth, struct hk_error **err)
{
	_cleanup_dir_ DIR *d = NULL;
	struct dirent *de;

	if (depth > COPYUP_MAX_DEPTH)
		return hk_error_set(err, ELOOP, "volume copy: %s: nested too deeply", rel);
	d = fdopendir(fcntl(src, F_DUPFD_CLOEXEC, 3));
	if (!d)
		return hk_error_errno(err, "volume copy: read %s", rel);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    copy_one(src, dst, de->d_name, rel, depth, err) < 0)
			return -1;
	return 0;
}

static bool dir_empty(int fd)
{
	_cleanup_dir_ DIR *d = fdopendir(fcntl(fd, F_DUPFD_CLOEXEC, 3));
	struct dirent *de;

	if (!d)
		return false;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			return false;
	return true;
}

int engine_volume_copy_up(const char *rootfs, const char *dest, const char *data,
			  struct hk_error **err)
{
	_cleanup_close_ int root = -1, src = -1, dst = -1;
	struct stat st;

	root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return hk_error_errno(err, "open rootfs %s", rootfs);
	src = path_open_in_root(root, dest, O_RDONLY | O_DIRECTORY, 0, NULL);
	if (src < 0)
		return 0; /* nothing (or no directory) there in the image */
	dst = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dst < 0)
		return hk_error_errno(err, "open volume %s", data);
	/* two containers created at once with the same new volume: one
	 * copies, the other then finds it filled */
	if (flock(dst, LOCK_EX) < 0)
		return hk_error_errno(err, "lock volume %s", data);
	if (!dir_empty(dst))
		return 0; /* Docker copies into empty volumes only */
	if (fstat(src, &st) < 0)
		return hk_error_errno(err, "stat %s in the rootfs", dest);
	if (copy_tree(src, dst, dest, 0, err) < 0) {
		/* leave the volume as empty as it was */
		_cleanup_strv_ char **names = NULL;
		_cleanup_dir_ DIR *d = fdopendir(fcntl(dst, F_DUPFD_CLOEXEC, 3));
		struct dirent *de;
		while (d && (de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				strv_push(&names, de->d_name);
		for (char **n = names; n && *n; n++) {
			struct hk_error *e2 = NULL;
			rm_rf_at(dst, *n, &e2);
			hk_error_free(&e2);
		}
		return hk_error_wrap(err, "copy %s of the image into the volume", dest);
	}
	/* the volume's root takes the owner and mode of the image's directory */
	struct timespec ts[2] = {st.st_atim, st.st_mtim};
	if (fchown(dst, st.st_uid, st.st_gid) < 0 || fchmod(dst, st.st_mode & 07777) < 0 ||
	    futimens(dst, ts) < 0)
		return hk_error_errno(err, "volume %s: set owner and mode", data);
	return 0;
}
