/* hako: image records in the database: lookup, list, tags, users, removal
 * and prune. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "image/image.h"
#include "image/image_private.h"
#include "storage/storage.h"
#include "util/log.h"
#include "util/path.h"
#include "util/util.h"

void image_free(struct image *img)
{
	if (!img)
		return;
	free(img->manifest_digest);
	free(img->config_json);
	free(img->manifest_json);
	strv_free(img->tags);
	strv_free(img->digests);
	for (size_t i = 0; i < img->n_layers; i++)
		free(img->layers[i].media_type);
	free(img->layers);
	free(img);
}

void image_freep(struct image **img)
{
	image_free(*img);
	*img = NULL;
}

void image_list_free(struct image **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		image_free(list[i]);
	free(list);
}

char *image_layer_path(struct image_store *s, const char *chain_id)
{
	const char *hex = str_has_prefix(chain_id, DIGEST_PREFIX) ? chain_id + 7 : chain_id;

	return xasprintf("%s/layers/%s", s->root, hex);
}

static int load_strv(struct image_store *s, const char *sql, const char *id, char ***out,
		     struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	char **v = xzalloc(sizeof(char *));
	int r;

	if (db_prepare(s->db, sql, &st, err) < 0) {
		strv_free(v);
		return -1;
	}
	db_bind_text(st, 1, id);
	while ((r = db_step(st, "read image", err)) == SQLITE_ROW)
		strv_push(&v, (const char *)sqlite3_column_text(st, 0));
	if (r < 0) {
		strv_free(v);
		return -1;
	}
	*out = v;
	return 0;
}

int image_load(struct image_store *s, const char *id, struct image **out, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL, *ls = NULL;
	_cleanup_image_ struct image *img = xzalloc(sizeof(*img));
	int r;

	if (db_prepare(s->db,
		       "SELECT id, manifest_digest, config, manifest, created, added, size"
		       " FROM images WHERE id = ?",
		       &st, err) < 0)
		return -1;
	db_bind_text(st, 1, id);
	r = db_step(st, "read image", err);
	if (r < 0)
		return -1;
	if (r != SQLITE_ROW)
		return hk_error_set(err, ENOENT, "image '%s' not found", id);
	snprintf(img->id, sizeof(img->id), "%s", sqlite3_column_text(st, 0));
	img->manifest_digest = db_column_strdup(st, 1);
	img->config_json = db_column_strdup(st, 2);
	img->manifest_json = db_column_strdup(st, 3);
	img->created = sqlite3_column_int64(st, 4);
	img->added = sqlite3_column_int64(st, 5);
	img->size = sqlite3_column_int64(st, 6);
	if (load_strv(s, "SELECT name FROM image_tags WHERE image_id = ? ORDER BY added, name", id,
		      &img->tags, err) < 0 ||
	    load_strv(s, "SELECT name FROM image_digests WHERE image_id = ? ORDER BY name", id,
		      &img->digests, err) < 0)
		return -1;
	if (db_prepare(s->db,
		       "SELECT il.chain_id, l.diff_id, il.blob_digest, il.blob_size, il.media_type,"
		       " l.size FROM image_layers il JOIN layers l ON l.chain_id = il.chain_id"
		       " WHERE il.image_id = ? ORDER BY il.idx",
		       &ls, err) < 0)
		return -1;
	db_bind_text(ls, 1, id);
	while ((r = db_step(ls, "read image layers", err)) == SQLITE_ROW) {
		struct image_layer *l;
		img->layers = xrealloc(img->layers, (img->n_layers + 1) * sizeof(*img->layers));
		l = &img->layers[img->n_layers++];
		memset(l, 0, sizeof(*l));
		snprintf(l->chain_id, sizeof(l->chain_id), "%s", sqlite3_column_text(ls, 0));
		snprintf(l->diff_id, sizeof(l->diff_id), "%s", sqlite3_column_text(ls, 1));
		snprintf(l->blob_digest, sizeof(l->blob_digest), "%s", sqlite3_column_text(ls, 2));
		l->blob_size = sqlite3_column_int64(ls, 3);
		l->media_type = db_column_strdup(ls, 4);
		l->size = sqlite3_column_int64(ls, 5);
	}
	if (r < 0)
		return -1;
	*out = steal_ptr(&img);
	return 0;
}

/* The image id a reference names, or NULL. */
static int id_of_ref(struct image_store *s, const struct image_ref *ref, char **out,
		     struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *full = image_ref_string(ref), *name = image_ref_name(ref);
	_cleanup_free_ char *dname = NULL;
	int r;

	*out = NULL;
	if (ref->digest) {
		dname = xasprintf("%s@%s", name, ref->digest);
		if (db_prepare(
			    s->db,
			    "SELECT image_id FROM image_digests WHERE name = ?1"
			    " UNION ALL SELECT id FROM images WHERE manifest_digest = ?2 OR id = ?2"
			    " LIMIT 1",
			    &st, err) < 0)
			return -1;
		db_bind_text(st, 1, dname);
		db_bind_text(st, 2, ref->digest);
	} else {
		if (db_prepare(s->db, "SELECT image_id FROM image_tags WHERE name = ?", &st, err) <
		    0)
			return -1;
		db_bind_text(st, 1, full);
	}
	r = db_step(st, "look up image", err);
	if (r < 0)
		return -1;
	if (r == SQLITE_ROW)
		*out = db_column_strdup(st, 0);
	return 0;
}

static bool is_hex_prefix(const char *s)
{
	size_t n = strlen(s);

	if (n < 3 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

int image_lookup(struct image_store *s, const char *name, struct image **out, struct hk_error **err)
{
	struct image_ref ref;
	struct hk_error *perr = NULL;
	_cleanup_free_ char *id = NULL;
	const char *hex = str_has_prefix(name, DIGEST_PREFIX) ? name + 7 : name;

	if (image_ref_parse(name, &ref, &perr) == 0) {
		int r = id_of_ref(s, &ref, &id, err);
		image_ref_free(&ref);
		if (r < 0)
			return -1;
	}
	if (!id && is_hex_prefix(hex)) {
		_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
		_cleanup_free_ char *pat = xasprintf("sha256:%s*", hex);
		int r;
		if (db_prepare(s->db, "SELECT id FROM images WHERE id GLOB ? LIMIT 2", &st, err) <
		    0) {
			hk_error_free(&perr);
			return -1;
		}
		db_bind_text(st, 1, pat);
		r = db_step(st, "look up image", err);
		if (r == SQLITE_ROW) {
			id = db_column_strdup(st, 0);
			r = db_step(st, "look up image", err);
			if (r == SQLITE_ROW) {
				hk_error_free(&perr);
				return hk_error_set(err, EINVAL,
						    "image id prefix '%s' is ambiguous", name);
			}
		}
		if (r < 0) {
			hk_error_free(&perr);
			return -1;
		}
	}
	if (!id) {
		/* A malformed name that is no id either: say why it is bad. */
		if (perr && !is_hex_prefix(hex)) {
			*err = perr;
			return -1;
		}
		hk_error_free(&perr);
		return hk_error_set(err, ENOENT, "image '%s' not found", name);
	}
	hk_error_free(&perr);
	return image_load(s, id, out, err);
}

int image_list(struct image_store *s, struct image ***out, size_t *n, struct hk_error **err)
{
	_cleanup_strv_ char **ids = NULL;
	struct image **list;
	size_t count;

	if (load_strv(s,
		      "SELECT id FROM images WHERE ?1 IS NULL OR 1 ORDER BY created DESC,"
		      " added DESC, id",
		      NULL, &ids, err) < 0)
		return -1;
	count = strv_len(ids);
	list = xzalloc((count + 1) * sizeof(*list));
	for (size_t i = 0; i < count; i++) {
		if (image_load(s, ids[i], &list[i], err) < 0) {
			image_list_free(list, i);
			return -1;
		}
	}
	*out = list;
	*n = count;
	return 0;
}

/* ------------------------------------------------------------------ tags */

static int exec1(struct image_store *s, const char *sql, const char *a, const char *b,
		 const char *what, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;

	if (db_prepare(s->db, sql, &st, err) < 0)
		return -1;
	if (a)
		db_bind_text(st, 1, a);
	if (b)
		db_bind_text(st, 2, b);
	if (db_step(st, what, err) < 0)
		return -1;
	return sqlite3_changes(s->db);
}

int image_tag_locked(struct image_store *s, const char *image_id, const char *ref,
		     struct hk_error **err)
{
	struct image_ref r;
	_cleanup_free_ char *full = NULL;
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;

	if (image_ref_parse(ref, &r, err) < 0)
		return -1;
	if (r.digest) {
		image_ref_free(&r);
		return hk_error_set(err, EINVAL, "tag '%s': a tag can not hold a digest", ref);
	}
	full = image_ref_string(&r);
	image_ref_free(&r);
	if (db_prepare(s->db,
		       "INSERT INTO image_tags(name, image_id, added) VALUES(?1, ?2, ?3)"
		       " ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id,"
		       " added = excluded.added WHERE image_id != excluded.image_id",
		       &st, err) < 0)
		return -1;
	db_bind_text(st, 1, full);
	db_bind_text(st, 2, image_id);
	db_bind_int64(st, 3, (int64_t)time(NULL));
	if (db_step(st, "tag image", err) < 0)
		return hk_error_wrap(err, "tag %s", ref);
	return 0;
}

int image_tag(struct image_store *s, const char *image_id, const char *ref, struct hk_error **err)
{
	int64_t n = 0;

	if (db_begin_immediate(s->db, err) < 0)
		return -1;
	if (db_query_int64(s->db, "SELECT count(*) FROM images WHERE id = ?", image_id, NULL, &n,
			   err) < 0)
		goto fail;
	if (n == 0) {
		hk_error_set(err, ENOENT, "image '%s' not found", image_id);
		goto fail;
	}
	if (image_tag_locked(s, image_id, ref, err) < 0)
		goto fail;
	return db_commit(s->db, err);
fail:
	db_rollback(s->db);
	return -1;
}

int image_untag(struct image_store *s, const char *ref, struct hk_error **err)
{
	struct image_ref r;
	_cleanup_free_ char *full = NULL;
	int n;

	if (image_ref_parse(ref, &r, err) < 0)
		return -1;
	full = image_ref_string(&r);
	if (r.digest) {
		_cleanup_free_ char *name = image_ref_name(&r);
		_cleanup_free_ char *dn = xasprintf("%s@%s", name, r.digest);
		image_ref_free(&r);
		n = exec1(s, "DELETE FROM image_digests WHERE name = ?", dn, NULL, "untag", err);
	} else {
		image_ref_free(&r);
		n = exec1(s, "DELETE FROM image_tags WHERE name = ?", full, NULL, "untag", err);
	}
	if (n < 0)
		return -1;
	if (n == 0)
		return hk_error_set(err, ENOENT, "no such tag '%s'", ref);
	return 0;
}

/* ----------------------------------------------------------------- users */

int image_user_add(struct image_store *s, const char *image_id, const char *user_id,
		   struct hk_error **err)
{
	if (exec1(s, "INSERT OR REPLACE INTO image_users(user_id, image_id) VALUES(?1, ?2)",
		  user_id, image_id, "add image user", err) < 0)
		return hk_error_wrap(err, "image %.19s", image_id);
	return 0;
}

int image_user_remove(struct image_store *s, const char *user_id, struct hk_error **err)
{
	return exec1(s, "DELETE FROM image_users WHERE user_id = ?", user_id, NULL,
		     "remove image user", err) < 0
		       ? -1
		       : 0;
}

int image_user_count(struct image_store *s, const char *image_id, int64_t *count,
		     struct hk_error **err)
{
	return db_query_int64(s->db, "SELECT count(*) FROM image_users WHERE image_id = ?",
			      image_id, NULL, count, err);
}

/* ---------------------------------------------------------------- removal */

static void append_line(char **list, const char *s)
{
	char *n = xasprintf("%s%s\n", *list ? *list : "", s);

	free(*list);
	*list = n;
}

int image_remove_locked(struct image_store *s, const char *id, bool force, int64_t *freed,
			struct hk_error **err)
{
	_cleanup_free_ char *layers = NULL, *blobs = NULL;
	_cleanup_strv_ char **chains = NULL, **lblobs = NULL;
	_cleanup_image_ struct image *img = NULL;
	int64_t users = 0, intent;

	if (image_load(s, id, &img, err) < 0)
		return -1;
	if (image_user_count(s, id, &users, err) < 0)
		return -1;
	if (users > 0 && !force)
		return hk_error_set(err, EBUSY,
				    "image %.19s is used by %lld container(s): remove them first "
				    "(or -f to untag it)",
				    id, (long long)users);
	if (db_begin_immediate(s->db, err) < 0)
		return -1;
	if (users > 0) {
		/* Docker's rmi -f of a used image: it loses its names, and
		 * stays (dangling) for its containers. */
		if (exec1(s, "DELETE FROM image_tags WHERE image_id = ?", id, NULL, "untag", err) <
			    0 ||
		    exec1(s, "DELETE FROM image_digests WHERE image_id = ?", id, NULL, "untag",
			  err) < 0)
			goto fail;
		return db_commit(s->db, err) < 0 ? -1 : 1;
	}
	append_line(&blobs, img->id);
	if (img->manifest_digest)
		append_line(&blobs, img->manifest_digest);
	for (size_t i = 0; i < img->n_layers; i++)
		append_line(&blobs, img->layers[i].blob_digest);
	if (exec1(s, "DELETE FROM images WHERE id = ?", id, NULL, "delete image", err) < 0)
		goto fail;
	for (size_t i = 0; i < img->n_layers; i++) {
		int64_t refs = 0;
		const char *c = img->layers[i].chain_id;
		if (db_query_int64(s->db, "SELECT count(*) FROM image_layers WHERE chain_id = ?", c,
				   NULL, &refs, err) < 0)
			goto fail;
		if (refs > 0)
			continue;
		if (exec1(s, "DELETE FROM layers WHERE chain_id = ?", c, NULL, "delete layer",
			  err) < 0)
			goto fail;
		append_line(&layers, c);
		if (freed)
			*freed += img->layers[i].size;
	}
	/* The files go after the commit; the intent makes a crash in between
	 * harmless (repair finishes the job). */
	if (store_intent_insert(s, "remove", layers, blobs, &intent, err) < 0)
		goto fail;
	if (db_commit(s->db, err) < 0)
		return -1;
	if (store_release_files(s, layers, blobs, err) < 0)
		return -1;
	if (store_intent_drop(s, intent, err) < 0)
		return -1;
	return 0;
fail:
	db_rollback(s->db);
	return -1;
}

int image_remove(struct image_store *s, const char *image_id, bool force, struct hk_error **err)
{
	int r = store_lock_exclusive(s, true, err);

	if (r < 0)
		return r;
	r = image_remove_locked(s, image_id, force, NULL, err);
	store_unlock(s);
	return r < 0 ? hk_error_wrap(err, "remove image %.19s", image_id) : 0;
}

/* Remove blobs and layer dirs no record refers to (caller holds the lock). */
static int gc_files(struct image_store *s, int64_t *freed, struct hk_error **err)
{
	_cleanup_free_ char *bdir = path_join(s->root, "blobs/sha256");
	_cleanup_free_ char *ldir = path_join(s->root, "layers");
	_cleanup_dir_ DIR *d = NULL;
	struct dirent *de;

	d = opendir(bdir);
	while (d && (de = readdir(d))) {
		_cleanup_free_ char *dg = xasprintf("sha256:%s", de->d_name);
		if (!digest_valid(dg) || store_blob_referenced(s, dg))
			continue;
		_cleanup_free_ char *p = path_join(bdir, de->d_name);
		if (unlink(p) < 0 && errno != ENOENT)
			return hk_error_errno(err, "remove %s", p);
	}
	if (d)
		closedir(d);
	d = opendir(ldir);
	while (d && (de = readdir(d))) {
		_cleanup_free_ char *c = xasprintf("sha256:%s", de->d_name);
		int64_t n = 1;
		if (!digest_valid(c))
			continue;
		if (db_query_int64(s->db, "SELECT count(*) FROM layers WHERE chain_id = ?", c, NULL,
				   &n, err) < 0)
			return -1;
		if (n == 0 && store_release_files(s, c, NULL, err) < 0)
			return -1;
	}
	(void)freed;
	return 0;
}

int image_prune(struct image_store *s, bool all, void (*cb)(const char *image_id, void *data),
		void *data, int64_t *reclaimed, struct hk_error **err)
{
	_cleanup_strv_ char **ids = NULL;
	int64_t freed = 0;
	int r = store_lock_exclusive(s, true, err);

	if (r < 0)
		return r;
	r = load_strv(s,
		      all ? "SELECT id FROM images WHERE ?1 IS NULL AND id NOT IN"
			    " (SELECT image_id FROM image_users)"
			  : "SELECT id FROM images WHERE ?1 IS NULL AND id NOT IN"
			    " (SELECT image_id FROM image_users) AND id NOT IN"
			    " (SELECT image_id FROM image_tags)",
		      NULL, &ids, err);
	for (size_t i = 0; r == 0 && ids[i]; i++) {
		r = image_remove_locked(s, ids[i], false, &freed, err);
		if (r == 0 && cb)
			cb(ids[i], data);
	}
	if (r == 0)
		r = gc_files(s, &freed, err);
	store_unlock(s);
	if (reclaimed)
		*reclaimed = freed;
	return r < 0 ? hk_error_wrap(err, "prune") : 0;
}
