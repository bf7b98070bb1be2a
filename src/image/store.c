/* hako: the content store (blobs), its database tables and crash repair. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <inttypes.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "image/image.h"
#include "image/image_private.h"
#include "storage/storage.h"
#include "util/log.h"
#include "util/path.h"
#include "util/util.h"

/* The "images" module's tables.  Append steps; never edit a shipped one. */
static const struct db_migration image_migrations[] = {
	{"CREATE TABLE images ("
	 " id TEXT PRIMARY KEY," /* config digest */
	 " manifest_digest TEXT,"
	 " config TEXT NOT NULL,"
	 " manifest TEXT,"
	 " created INTEGER NOT NULL DEFAULT 0,"
	 " added INTEGER NOT NULL,"
	 " size INTEGER NOT NULL DEFAULT 0);"
	 "CREATE TABLE layers ("
	 " chain_id TEXT PRIMARY KEY,"
	 " diff_id TEXT NOT NULL,"
	 " parent TEXT," /* chain id of the layer below, NULL for a base layer */
	 " size INTEGER NOT NULL DEFAULT 0,"
	 " entries INTEGER NOT NULL DEFAULT 0,"
	 " added INTEGER NOT NULL);"
	 "CREATE TABLE image_layers ("
	 " image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	 " idx INTEGER NOT NULL,"
	 " chain_id TEXT NOT NULL REFERENCES layers(chain_id),"
	 " blob_digest TEXT NOT NULL,"
	 " blob_size INTEGER NOT NULL,"
	 " media_type TEXT NOT NULL,"
	 " PRIMARY KEY (image_id, idx));"
	 "CREATE INDEX image_layers_chain ON image_layers(chain_id);"
	 "CREATE INDEX image_layers_blob ON image_layers(blob_digest);"
	 "CREATE TABLE image_tags ("
	 " name TEXT PRIMARY KEY,"
	 " image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	 " added INTEGER NOT NULL);"
	 "CREATE INDEX image_tags_image ON image_tags(image_id);"
	 "CREATE TABLE image_digests ("
	 " name TEXT PRIMARY KEY," /* domain/path@sha256:... */
	 " image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);"
	 "CREATE INDEX image_digests_image ON image_digests(image_id);"
	 /* Users (containers) of an image: no cascade, so an image with
	  * users can not be deleted by accident. */
	 "CREATE TABLE image_users ("
	 " user_id TEXT PRIMARY KEY,"
	 " image_id TEXT NOT NULL REFERENCES images(id));"
	 "CREATE INDEX image_users_image ON image_users(image_id);"
	 /* Files an unfinished operation may leave: newline-separated chain
	  * ids and blob digests, removed by repair unless registered. */
	 "CREATE TABLE image_intents ("
	 " id INTEGER PRIMARY KEY,"
	 " kind TEXT NOT NULL,"
	 " pid INTEGER NOT NULL,"
	 " created INTEGER NOT NULL,"
	 " layers TEXT NOT NULL DEFAULT '',"
	 " blobs TEXT NOT NULL DEFAULT '');"},
	/* 2: the owner's start time, so repair never takes a live process'
	 * intent for a dead one's (pids are reused). */
	{"ALTER TABLE image_intents ADD COLUMN starttime INTEGER NOT NULL DEFAULT 0;"},
};

/* Field 22 of /proc/PID/stat: when the process started, in clock ticks. */
static int64_t proc_starttime(pid_t pid)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/stat", (int)pid);
	_cleanup_free_ char *text = NULL;
	size_t len;
	char *p;
	int64_t v = 0;

	if (read_file_at(AT_FDCWD, path, 4096, &text, &len, NULL) < 0)
		return -1;
	/* The command name may hold spaces and parentheses: skip past the
	 * last ')'. */
	p = strrchr(text, ')');
	if (!p)
		return -1;
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%" SCNd64, &v) != 1)
		return -1;
	return v;
}

static bool owner_alive(int64_t pid, int64_t starttime)
{
	if (pid <= 0 || pid == getpid())
		return false;
	return proc_starttime((pid_t)pid) == starttime;
}

int store_intent_insert(struct image_store *s, const char *kind, const char *layers,
			const char *blobs, int64_t *id, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;

	if (db_prepare(s->db,
		       "INSERT INTO image_intents(kind, pid, starttime, created, layers, blobs)"
		       " VALUES(?, ?, ?, ?, ?, ?)",
		       &st, err) < 0)
		return -1;
	db_bind_text(st, 1, kind);
	db_bind_int64(st, 2, getpid());
	db_bind_int64(st, 3, proc_starttime(getpid()));
	db_bind_int64(st, 4, (int64_t)time(NULL));
	db_bind_text(st, 5, layers ? layers : "");
	db_bind_text(st, 6, blobs ? blobs : "");
	if (db_step(st, "record intent", err) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int store_intent_drop(struct image_store *s, int64_t id, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;

	if (db_prepare(s->db, "DELETE FROM image_intents WHERE id = ?", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return db_step(st, "drop intent", err) < 0 ? -1 : 0;
}

int store_note_blob(struct image_store *s, const char *digest, struct hk_error **err)
{
	_cleanup_free_ char *line = xasprintf("%s\n", digest);
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;

	if (!s->blob_intent)
		return store_intent_insert(s, "blobs", NULL, line, &s->blob_intent, err);
	if (db_prepare(s->db, "UPDATE image_intents SET blobs = blobs || ? WHERE id = ?", &st,
		       err) < 0)
		return -1;
	db_bind_text(st, 1, line);
	sqlite3_bind_int64(st, 2, s->blob_intent);
	return db_step(st, "note blob", err) < 0 ? -1 : 0;
}

static int open_dir_fd(const char *path, struct hk_error **err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return hk_error_errno(err, "open %s", path);
	return fd;
}

int image_store_open(const char *root, struct image_store **out, struct hk_error **err)
{
	struct image_store *s = xzalloc(sizeof(*s));
	_cleanup_free_ char *lock = NULL;
	static const char *const dirs[] = {"blobs/sha256", "blobs/tmp", "layers", "rootfs"};

	s->root_fd = -1;
	s->lock_fd = -1;
	s->root = xstrdup(root);
	if (db_open(root, &s->db, err) < 0)
		goto fail;
	if (db_migrate(s->db, "images", image_migrations, ARRAY_SIZE(image_migrations), err) < 0)
		goto fail;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *p = path_join(root, dirs[i]);
		if (mkdir_p(p, 0700, err) < 0)
			goto fail;
	}
	s->root_fd = open_dir_fd(root, err);
	if (s->root_fd < 0)
		goto fail;
	lock = path_join(root, "layers/.lock");
	s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		hk_error_errno(err, "open %s", lock);
		goto fail;
	}
	if (store_repair(s, err) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	image_store_close(s);
	return hk_error_wrap(err, "image store %s", root);
}

/* The blobs this process wrote that no image took: garbage now. */
static void release_blob_intent(struct image_store *s)
{
	_cleanup_free_ char *blobs = NULL;
	struct hk_error *e = NULL;
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;

	/* Someone else is mid-operation (and may want these blobs): leave
	 * the intent to a later repair. */
	if (s->op_depth > 0 || store_lock_exclusive(s, false, &e) != 0)
		goto out;
	if (db_prepare(s->db, "SELECT blobs FROM image_intents WHERE id = ?", &st, &e) == 0) {
		sqlite3_bind_int64(st, 1, s->blob_intent);
		if (db_step(st, "read intent", &e) == SQLITE_ROW)
			blobs = db_column_strdup(st, 0);
	}
	if (store_release_files(s, NULL, blobs, &e) == 0)
		store_intent_drop(s, s->blob_intent, &e);
	store_unlock(s);
out:
	if (e)
		log_debug("image store: %s", hk_error_msg(e));
	hk_error_free(&e);
}

void image_store_close(struct image_store *s)
{
	if (!s)
		return;
	if (s->db && s->blob_intent)
		release_blob_intent(s);
	db_close(s->db);
	if (s->root_fd >= 0)
		close(s->root_fd);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->root);
	free(s);
}

void image_store_closep(struct image_store **s)
{
	image_store_close(*s);
	*s = NULL;
}

int image_store_op_begin(struct image_store *s, struct hk_error **err)
{
	if (s->op_depth++ > 0)
		return 0;
	while (flock(s->lock_fd, LOCK_SH) < 0) {
		if (errno == EINTR)
			continue;
		s->op_depth--;
		return hk_error_errno(err, "lock the image store");
	}
	return 0;
}

void image_store_op_end(struct image_store *s)
{
	if (s->op_depth > 0 && --s->op_depth == 0)
		flock(s->lock_fd, LOCK_UN);
}

int store_lock_exclusive(struct image_store *s, bool wait, struct hk_error **err)
{
	/* An exclusive holder inside its own shared op would deadlock. */
	if (s->op_depth > 0)
		return hk_error_set(err, EDEADLK,
				    "image store: exclusive lock inside an operation");
	while (flock(s->lock_fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return 1;
		return hk_error_errno(err, "lock the image store");
	}
	return 0;
}

void store_unlock(struct image_store *s)
{
	flock(s->lock_fd, LOCK_UN);
}

/* ------------------------------------------------------------------- blobs */

char *store_blob_path(struct image_store *s, const char *digest)
{
	const char *hex = str_has_prefix(digest, DIGEST_PREFIX) ? digest + 7 : digest;

	return xasprintf("%s/blobs/sha256/%s", s->root, hex);
}

bool store_blob_exists(struct image_store *s, const char *digest)
{
	_cleanup_free_ char *p = NULL;

	if (!digest_valid(digest))
		return false;
	p = store_blob_path(s, digest);
	return access(p, F_OK) == 0;
}

int store_blob_open(struct image_store *s, const char *digest, struct hk_error **err)
{
	_cleanup_free_ char *p = NULL;
	int fd;

	if (!digest_valid(digest))
		return hk_error_set(err, EINVAL, "invalid blob digest '%s'", digest);
	p = store_blob_path(s, digest);
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return hk_error_errno(err, "blob %s", digest);
	return fd;
}

int store_blob_read(struct image_store *s, const char *digest, size_t max, char **out, size_t *len,
		    struct hk_error **err)
{
	_cleanup_free_ char *p = NULL;

	if (!digest_valid(digest))
		return hk_error_set(err, EINVAL, "invalid blob digest '%s'", digest);
	p = store_blob_path(s, digest);
	if (read_file_at(AT_FDCWD, p, max, out, len, err) < 0)
		return hk_error_wrap(err, "blob %s", digest);
	return 0;
}

struct blob_writer {
	struct image_store *store;
	struct digester *dg;
	int fd;
	char *tmp_name; /* NULL with O_TMPFILE */
	char expected[DIGEST_BUF];
	int64_t expected_size;
	int64_t written;
	int tmp_dir;
};

static void writer_free(struct blob_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp_name)
		unlinkat(w->tmp_dir, w->tmp_name, 0);
	if (w->tmp_dir >= 0)
		close(w->tmp_dir);
	digester_free(w->dg);
	image_store_op_end(w->store);
	free(w->tmp_name);
	free(w);
}

void store_blob_writer_abort(struct blob_writer *w)
{
	if (w)
		writer_free(w);
}

int store_blob_writer_open(struct image_store *s, const char *expected_digest,
			   int64_t expected_size, struct blob_writer **out, struct hk_error **err)
{
	struct blob_writer *w;
	_cleanup_free_ char *tmp = NULL;

	if (expected_digest && !digest_valid(expected_digest))
		return hk_error_set(err, EINVAL, "invalid blob digest '%s'", expected_digest);
	if (image_store_op_begin(s, err) < 0)
		return -1;
	w = xzalloc(sizeof(*w));
	w->store = s;
	w->fd = -1;
	w->expected_size = expected_size;
	if (expected_digest)
		snprintf(w->expected, sizeof(w->expected), "%s", expected_digest);
	tmp = path_join(s->root, "blobs/tmp");
	w->tmp_dir = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->tmp_dir < 0) {
		hk_error_errno(err, "open %s", tmp);
		writer_free(w);
		return -1;
	}
	/* An unnamed file vanishes by itself if we crash; fall back to a
	 * named one (removed by repair) where O_TMPFILE is not supported. */
	w->fd = openat(w->tmp_dir, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		w->tmp_name = xasprintf("%d-%llx", (int)getpid(), now_ns());
		w->fd = openat(w->tmp_dir, w->tmp_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			       0644);
		if (w->fd < 0) {
			hk_error_errno(err, "create %s/%s", tmp, w->tmp_name);
			free(w->tmp_name);
			w->tmp_name = NULL;
			writer_free(w);
			return -1;
		}
	}
	w->dg = digester_new();
	*out = w;
	return 0;
}

int store_blob_writer_write(struct blob_writer *w, const void *buf, size_t len,
			    struct hk_error **err)
{
	if (w->expected_size >= 0 && w->written + (int64_t)len > w->expected_size)
		return hk_error_set(err, 0, "blob %s: more data than the expected %lld bytes",
				    w->expected[0] ? w->expected : "(new)",
				    (long long)w->expected_size);
	if (write_all(w->fd, buf, len) < 0)
		return hk_error_errno(err, "write blob");
	digester_update(w->dg, buf, len);
	w->written += (int64_t)len;
	return 0;
}

int store_blob_writer_commit(struct blob_writer *w, char out_digest[DIGEST_BUF], int64_t *out_size,
			     struct hk_error **err)
{
	char got[DIGEST_BUF];
	_cleanup_free_ char *final = NULL;
	_cleanup_free_ char *dir = NULL;
	int r = 0;

	digester_final(w->dg, got);
	if (w->expected[0] && strcmp(got, w->expected)) {
		r = hk_error_set(err, 0, "blob %s: digest mismatch: the data is %s", w->expected,
				 got);
		goto out;
	}
	if (w->expected_size >= 0 && w->written != w->expected_size) {
		r = hk_error_set(err, 0, "blob %s: size mismatch: %lld bytes, expected %lld", got,
				 (long long)w->written, (long long)w->expected_size);
		goto out;
	}
	if (fsync(w->fd) < 0) {
		r = hk_error_errno(err, "fsync blob %s", got);
		goto out;
	}
	/* Listed before it is visible: a crash from here on leaves an intent
	 * that repair can act on. */
	if (store_note_blob(w->store, got, err) < 0) {
		r = -1;
		goto out;
	}
	final = store_blob_path(w->store, got);
	if (w->tmp_name) {
		if (renameat(w->tmp_dir, w->tmp_name, AT_FDCWD, final) < 0) {
			r = hk_error_errno(err, "rename blob to %s", final);
			goto out;
		}
		free(w->tmp_name);
		w->tmp_name = NULL;
	} else {
		char fdpath[32];
		if (linkat(AT_FDCWD, path_fd(w->fd, fdpath, sizeof(fdpath)), AT_FDCWD, final,
			   AT_SYMLINK_FOLLOW) < 0 &&
		    errno != EEXIST) {
			r = hk_error_errno(err, "link blob %s", final);
			goto out;
		}
	}
	if (out_digest)
		memcpy(out_digest, got, DIGEST_BUF);
	if (out_size)
		*out_size = w->written;
out:
	writer_free(w);
	return r;
}

int store_blob_put_fd(struct image_store *s, int fd, const char *expected_digest,
		      int64_t expected_size, char out_digest[DIGEST_BUF], int64_t *out_size,
		      struct hk_error **err)
{
	struct blob_writer *w;
	_cleanup_free_ char *buf = xmalloc(1 << 17);

	if (store_blob_writer_open(s, expected_digest, expected_size, &w, err) < 0)
		return -1;
	for (;;) {
		ssize_t n = read(fd, buf, 1 << 17);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			hk_error_errno(err, "read");
			store_blob_writer_abort(w);
			return -1;
		}
		if (n == 0)
			break;
		if (store_blob_writer_write(w, buf, (size_t)n, err) < 0) {
			store_blob_writer_abort(w);
			return -1;
		}
	}
	return store_blob_writer_commit(w, out_digest, out_size, err);
}

int store_blob_put_file(struct image_store *s, const char *path, const char *expected_digest,
			int64_t expected_size, char out_digest[DIGEST_BUF], int64_t *out_size,
			struct hk_error **err)
{
	_cleanup_close_ int fd = -1;

	if (!strcmp(path, "-"))
		return store_blob_put_fd(s, STDIN_FILENO, expected_digest, expected_size,
					 out_digest, out_size, err);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hk_error_errno(err, "open %s", path);
	if (store_blob_put_fd(s, fd, expected_digest, expected_size, out_digest, out_size, err) < 0)
		return hk_error_wrap(err, "%s", path);
	return 0;
}

int store_blob_put_buffer(struct image_store *s, const void *buf, size_t len,
			  char out_digest[DIGEST_BUF], struct hk_error **err)
{
	struct blob_writer *w;

	if (store_blob_writer_open(s, NULL, (int64_t)len, &w, err) < 0)
		return -1;
	if (store_blob_writer_write(w, buf, len, err) < 0) {
		store_blob_writer_abort(w);
		return -1;
	}
	return store_blob_writer_commit(w, out_digest, NULL, err);
}

/* ------------------------------------------------------------------ repair */

bool store_blob_referenced(struct image_store *s, const char *digest)
{
	int64_t n = 1;
	struct hk_error *e = NULL;

	if (db_query_int64(
		    s->db,
		    "SELECT (SELECT count(*) FROM images WHERE id = ?1 OR manifest_digest = ?1)"
		    " + (SELECT count(*) FROM image_layers WHERE blob_digest = ?1)",
		    digest, NULL, &n, &e) < 0) {
		hk_error_free(&e);
		return true; /* when in doubt, keep */
	}
	return n > 0;
}

/* Remove the listed layers and blobs that no image references. */
int store_release_files(struct image_store *s, const char *layers, const char *blobs,
			struct hk_error **err)
{
	_cleanup_storage_ struct storage *st = NULL;
	_cleanup_strv_ char **lv = str_split_lines(layers);
	_cleanup_strv_ char **bv = str_split_lines(blobs);

	if (lv && lv[0]) {
		if (storage_open(s->root, "vfs", &st, err) < 0)
			return -1;
		for (char **l = lv; *l; l++) {
			int64_t n = 1;
			if (!digest_valid(*l))
				continue;
			if (db_query_int64(s->db, "SELECT count(*) FROM layers WHERE chain_id = ?",
					   *l, NULL, &n, err) < 0)
				return -1;
			if (n == 0 && storage_layer_remove(st, *l, err) < 0)
				return -1;
		}
	}
	for (char **b = bv; b && *b; b++) {
		if (!digest_valid(*b) || store_blob_referenced(s, *b))
			continue;
		_cleanup_free_ char *p = store_blob_path(s, *b);
		if (unlink(p) < 0 && errno != ENOENT)
			return hk_error_errno(err, "remove %s", p);
	}
	return 0;
}

static int clear_dir(const char *dir, struct hk_error **err)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_dir_ DIR *d = NULL;
	struct dirent *de;
	int n = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : hk_error_errno(err, "open %s", dir);
	d = fdopendir(fcntl(fd, F_DUPFD_CLOEXEC, 3));
	if (!d)
		return hk_error_errno(err, "read %s", dir);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (rm_rf_at(fd, de->d_name, err) < 0)
			return -1;
		n++;
	}
	return n;
}

/* Undo the unfinished operations recorded in image_intents. */
static int repair_intents(struct image_store *s, struct hk_error **err)
{
	_cleanup_strv_ char **ids = NULL, **layers = NULL, **blobs = NULL;
	int r;

	{
		_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
		if (db_prepare(s->db,
			       "SELECT id, kind, layers, blobs, pid, starttime FROM image_intents",
			       &st, err) < 0)
			return -1;
		while ((r = db_step(st, "read intents", err)) == SQLITE_ROW) {
			if (owner_alive(sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5)))
				continue;
			strv_push(&ids, (const char *)sqlite3_column_text(st, 0));
			strv_push(&layers, (const char *)sqlite3_column_text(st, 2));
			strv_push(&blobs, (const char *)sqlite3_column_text(st, 3));
			log_debug("repair: unfinished %s (intent %s)", sqlite3_column_text(st, 1),
				  sqlite3_column_text(st, 0));
		}
		if (r < 0)
			return -1;
	}
	for (size_t i = 0; ids && ids[i]; i++) {
		_cleanup_sqlite_stmt_ sqlite3_stmt *del = NULL;
		if (store_release_files(s, layers[i], blobs[i], err) < 0)
			return -1;
		if (db_prepare(s->db, "DELETE FROM image_intents WHERE id = ?", &del, err) < 0)
			return -1;
		sqlite3_bind_int64(del, 1, strtoll(ids[i], NULL, 10));
		if (db_step(del, "delete intent", err) < 0)
			return -1;
	}
	return 0;
}

int store_repair(struct image_store *s, struct hk_error **err)
{
	_cleanup_storage_ struct storage *sto = NULL;
	_cleanup_free_ char *tmp = NULL;
	int r, n;

	/* Someone is in the middle of an operation: its files are not orphans.
	 * The next open will repair. */
	r = store_lock_exclusive(s, false, err);
	if (r != 0)
		return r < 0 ? r : 0;
	tmp = path_join(s->root, "blobs/tmp");
	n = clear_dir(tmp, err);
	if (n < 0)
		goto out;
	if (n > 0)
		log_debug("repair: removed %d temporary blobs", n);
	if (storage_open(s->root, "vfs", &sto, err) < 0) {
		n = -1;
		goto out;
	}
	n = storage_repair(sto, err);
	if (n < 0)
		goto out;
	n = repair_intents(s, err);
	goto out;
out:
	store_unlock(s);
	return n < 0 ? hk_error_wrap(err, "repair") : 0;
}

char **str_split_lines(const char *s)
{
	char **v = xzalloc(sizeof(*v));

	while (s && *s) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n) {
			_cleanup_free_ char *one = xstrndup(s, n);
			strv_push(&v, one);
		}
		s = e ? e + 1 : NULL;
	}
	return v;
}

int store_blob_diff_id(struct image_store *s, const char *digest, char out[DIGEST_BUF],
		       struct hk_error **err)
{
	_cleanup_close_ int fd = store_blob_open(s, digest, err);
	_cleanup_digester_ struct digester *dg = NULL;
	_cleanup_free_ char *buf = NULL;
	struct archive *a;
	struct archive_entry *e;
	int r = 0;

	if (fd < 0)
		return -1;
	dg = digester_new();
	buf = xmalloc(1 << 17);
	a = archive_read_new();
	/* The same in-process decompressors as storage's unpacker. */
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_none(a);
	archive_read_support_format_raw(a);
	archive_read_support_format_empty(a);
	if (archive_read_open_fd(a, fd, 1 << 17) != ARCHIVE_OK) {
		r = hk_error_set(err, 0, "blob %s: %s", digest, archive_error_string(a));
		goto out;
	}
	if (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		for (;;) {
			la_ssize_t n = archive_read_data(a, buf, 1 << 17);
			if (n < 0) {
				r = hk_error_set(err, 0, "blob %s: %s", digest,
						 archive_error_string(a));
				goto out;
			}
			if (n == 0)
				break;
			digester_update(dg, buf, (size_t)n);
		}
	}
	digester_final(dg, out);
out:
	archive_read_free(a);
	return r;
}
