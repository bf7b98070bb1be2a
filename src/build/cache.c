/* hako build: the build cache.  A table of the state database maps a step's
 * key (its parent image, the instruction after substitution, the build args
 * it uses, the digest of COPY/ADD sources) to the image that step made.  The
 * images are ordinary images of the store, untagged; the cache only
 * remembers them, and `builder prune` removes both. */
#include <string.h>
#include <time.h>

#include "build/build_int.h"
#include "db/db.h"
#include "image/image.h"
#include "util/util.h"

static const struct db_migration build_migrations[] = {
	{"CREATE TABLE build_cache ("
	 "  key TEXT PRIMARY KEY,"
	 "  image_id TEXT NOT NULL,"
	 "  created INTEGER NOT NULL,"
	 "  last_used INTEGER NOT NULL);"
	 "CREATE INDEX build_cache_image ON build_cache(image_id);"},
};

int cache_migrate(sqlite3 *db, struct hk_error **err)
{
	return db_migrate(db, "build", build_migrations, ARRAY_SIZE(build_migrations), err);
}

int cache_get(sqlite3 *db, const char *key, char out[72], struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	int r;

	out[0] = '\0';
	if (db_prepare(db, "SELECT image_id FROM build_cache WHERE key = ?", &st, err) < 0)
		return -1;
	db_bind_text(st, 1, key);
	r = db_step(st, "read build cache", err);
	if (r < 0)
		return -1;
	if (r == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		snprintf(out, 72, "%s", id ? id : "");
	}
	return 0;
}

int cache_put(sqlite3 *db, const char *key, const char *image_id, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	int64_t now = (int64_t)time(NULL);

	if (db_prepare(
		    db,
		    "INSERT INTO build_cache(key, image_id, created, last_used) VALUES(?, ?, ?, ?)"
		    " ON CONFLICT(key) DO UPDATE SET image_id = excluded.image_id,"
		    " last_used = excluded.last_used",
		    &st, err) < 0)
		return -1;
	db_bind_text(st, 1, key);
	db_bind_text(st, 2, image_id);
	db_bind_int64(st, 3, now);
	db_bind_int64(st, 4, now);
	return db_step(st, "write build cache", err) < 0 ? -1 : 0;
}

/* Images the cache keeps that nobody else does: no tag, no container. */
static int kept_only_by_cache(struct image_store *s, const char *id, bool *only,
			      struct hk_error **err)
{
	int64_t tags = 0, users = 0;

	if (db_query_int64(s->db, "SELECT count(*) FROM image_tags WHERE image_id = ?", id, NULL,
			   &tags, err) < 0 ||
	    image_user_count(s, id, &users, err) < 0)
		return -1;
	*only = tags == 0 && users == 0;
	return 0;
}

static int cache_images(struct image_store *s, char ***ids, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	int r;

	*ids = xzalloc(sizeof(char *));
	if (db_prepare(s->db, "SELECT DISTINCT image_id FROM build_cache", &st, err) < 0)
		return -1;
	while ((r = db_step(st, "list build cache", err)) == SQLITE_ROW)
		strv_push(ids, (const char *)sqlite3_column_text(st, 0));
	return r < 0 ? -1 : 0;
}

int build_cache_prune(const char *root, bool all, int64_t *n_records, int64_t *reclaimed,
		      struct hk_error **err)
{
	_cleanup_image_store_ struct image_store *s = NULL;
	_cleanup_strv_ char **ids = NULL;

	*n_records = 0;
	*reclaimed = 0;
	if (image_store_open(root, &s, err) < 0 || cache_migrate(s->db, err) < 0 ||
	    cache_images(s, &ids, err) < 0)
		return -1;
	for (char **id = ids; *id; id++) {
		_cleanup_sqlite_stmt_ sqlite3_stmt *del = NULL;
		_cleanup_image_ struct image *img = NULL;
		struct hk_error *e2 = NULL;
		bool only = false;

		if (kept_only_by_cache(s, *id, &only, err) < 0)
			return -1;
		if (!only && !all)
			continue;
		if (db_prepare(s->db, "DELETE FROM build_cache WHERE image_id = ?", &del, err) < 0)
			return -1;
		db_bind_text(del, 1, *id);
		if (db_step(del, "prune build cache", err) < 0)
			return -1;
		*n_records += sqlite3_changes(s->db);
		if (!only)
			continue;
		if (image_lookup(s, *id, &img, &e2) == 0) {
			/* the layers only this image held are what is freed */
			int64_t before = img->size;
			if (image_remove(s, *id, false, &e2) == 0)
				*reclaimed += before;
		}
		hk_error_free(&e2);
	}
	{
		/* the blobs and layers no image refers to now */
		int64_t freed = 0;
		if (image_prune(s, false, NULL, NULL, &freed, err) < 0)
			return -1;
	}
	return 0;
}

int build_cache_usage(const char *root, int64_t *n_records, int64_t *size, int64_t *reclaimable,
		      struct hk_error **err)
{
	_cleanup_image_store_ struct image_store *s = NULL;
	_cleanup_strv_ char **ids = NULL, **chains = xzalloc(sizeof(char *)),
			    **others = xzalloc(sizeof(char *));
	struct image **list = NULL;
	size_t n = 0;

	*n_records = *size = *reclaimable = 0;
	if (image_store_open(root, &s, err) < 0 || cache_migrate(s->db, err) < 0 ||
	    cache_images(s, &ids, err) < 0)
		return -1;
	if (db_query_int64(s->db, "SELECT count(*) FROM build_cache", NULL, NULL, n_records, err) <
	    0)
		return -1;
	if (image_list(s, &list, &n, err) < 0)
		return -1;
	/* the layers only cache-kept images hold, each once */
	for (size_t i = 0; i < n; i++) {
		bool only = false;
		if (kept_only_by_cache(s, list[i]->id, &only, err) < 0) {
			image_list_free(list, n);
			return -1;
		}
		if (only && !strv_has(ids, list[i]->id))
			only = false;
		for (size_t l = 0; l < list[i]->n_layers; l++)
			if (!strv_has(only ? chains : others, list[i]->layers[l].chain_id))
				strv_push(only ? &chains : &others, list[i]->layers[l].chain_id);
	}
	for (char **c = chains; *c; c++) {
		if (strv_has(others, *c))
			continue;
		for (size_t i = 0; i < n; i++)
			for (size_t l = 0; l < list[i]->n_layers; l++)
				if (!strcmp(list[i]->layers[l].chain_id, *c)) {
					*size += list[i]->layers[l].size;
					goto next;
				}
	next:;
	}
	image_list_free(list, n);
	*reclaimable = *size;
	return 0;
}

bool build_cache_has_image(void *db, const char *image_id)
{
	int64_t n = 0;
	struct hk_error *e2 = NULL;

	if (db_query_int64(db, "SELECT count(*) FROM build_cache WHERE image_id = ?", image_id,
			   NULL, &n, &e2) < 0) {
		hk_error_free(&e2);
		return false;
	}
	return n > 0;
}
