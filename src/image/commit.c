/* hako: registering an image (image_commit), the one way images enter the
 * store: pull, load, import and build-default all end here.
 *
 * The protocol (see docs/images.md): an intent row first lists every file
 * the commit may create; the blobs and unpacked layers are made; then one
 * transaction inserts the records and deletes the intent.  A crash anywhere
 * leaves either the whole image or an intent that the next store open
 * (store_repair) uses to delete the files nobody refers to.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "image/image.h"
#include "image/image_private.h"
#include "storage/storage.h"
#include "util/json.h"
#include "util/log.h"
#include "util/util.h"

#define MAX_LAYERS 256

struct commit_layer {
	char diff_id[DIGEST_BUF];
	char chain_id[DIGEST_BUF];
	const char *blob;
	int64_t blob_size;
	char *media_type;
	int64_t size;
	int64_t entries;
	bool existed; /* the layer row was there before */
};

static const char *detect_media_type(int fd)
{
	unsigned char m[4] = {0};

	if (pread(fd, m, sizeof(m), 0) >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		return IMAGE_MEDIA_LAYER_GZIP;
	if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
		return IMAGE_MEDIA_LAYER_ZSTD;
	return IMAGE_MEDIA_LAYER_TAR;
}

/* rootfs.diff_ids of the config, validated. */
static int config_diff_ids(const char *json, size_t len, char ***out, int64_t *created,
			   struct hk_error **err)
{
	_cleanup_json_ json_object *root = NULL;
	json_object *rootfs = NULL;
	const char *type = NULL, *c = NULL;
	char **ids = NULL;

	if (json_parse("image config", json, len, &root, err) < 0)
		return -1;
	if (!json_object_is_type(root, json_type_object))
		return hk_error_set(err, 0, "image config: expected an object");
	if (json_get_string(root, NULL, "created", &c, err) < 0 ||
	    json_get_object(root, NULL, "rootfs", &rootfs, err) < 0)
		return -1;
	if (!rootfs)
		return hk_error_set(err, 0, "image config: no rootfs");
	if (json_get_string(rootfs, "rootfs", "type", &type, err) < 0)
		return -1;
	if (!str_eq(type, "layers"))
		return hk_error_set(err, 0, "image config: rootfs.type is '%s', not 'layers'",
				    type ? type : "");
	if (json_get_strv(rootfs, "rootfs", "diff_ids", &ids, err) < 0)
		return -1;
	if (!ids)
		ids = xzalloc(sizeof(char *));
	for (size_t i = 0; ids[i]; i++) {
		if (!digest_valid(ids[i])) {
			int r = hk_error_set(err, 0,
					     "image config: rootfs.diff_ids[%zu]: bad digest '%s'",
					     i, ids[i]);
			strv_free(ids);
			return r;
		}
	}
	*created = image_parse_time(c);
	*out = ids;
	return 0;
}

static char *make_manifest(const char *config_digest, size_t config_len,
			   const struct commit_layer *layers, size_t n)
{
	_cleanup_json_ json_object *m = json_object_new_object();
	json_object *cfg = json_object_new_object(), *arr = json_object_new_array();

	json_object_object_add(m, "schemaVersion", json_object_new_int(2));
	json_object_object_add(m, "mediaType", json_object_new_string(IMAGE_MEDIA_MANIFEST_OCI));
	json_object_object_add(cfg, "mediaType", json_object_new_string(IMAGE_MEDIA_CONFIG_OCI));
	json_object_object_add(cfg, "digest", json_object_new_string(config_digest));
	json_object_object_add(cfg, "size", json_object_new_int64((int64_t)config_len));
	json_object_object_add(m, "config", cfg);
	for (size_t i = 0; i < n; i++) {
		json_object *l = json_object_new_object();
		json_object_object_add(l, "mediaType",
				       json_object_new_string(layers[i].media_type));
		json_object_object_add(l, "digest", json_object_new_string(layers[i].blob));
		json_object_object_add(l, "size", json_object_new_int64(layers[i].blob_size));
		json_object_array_add(arr, l);
	}
	json_object_object_add(m, "layers", arr);
	return json_to_string(m, false);
}

static int record_intent(struct image_store *s, const char *layers, const char *blobs, int64_t *id,
			 struct hk_error **err)
{
	if (db_begin_immediate(s->db, err) < 0)
		return -1;
	if (store_intent_insert(s, "commit", layers, blobs, id, err) < 0) {
		db_rollback(s->db);
		return -1;
	}
	return db_commit(s->db, err);
}

static int drop_intent(struct image_store *s, int64_t id, struct hk_error **err)
{
	return store_intent_drop(s, id, err);
}

static void cat_line(char **list, const char *s)
{
	char *n = xasprintf("%s%s\n", *list, s);

	free(*list);
	*list = n;
}

/* Unpack the layers that are not there yet. */
static int unpack_layers(struct image_store *s, struct commit_layer *L, size_t n,
			 struct hk_error **err)
{
	_cleanup_storage_ struct storage *st = NULL;

	if (storage_open(s->root, "vfs", &st, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct layer_unpack_result res;
		_cleanup_close_ int fd = -1;
		char shortd[32];
		_cleanup_free_ char *what = NULL;
		struct stat sb;

		fd = store_blob_open(s, L[i].blob, err);
		if (fd < 0)
			return -1;
		if (fstat(fd, &sb) < 0)
			return hk_error_errno(err, "stat blob %s", L[i].blob);
		if (L[i].blob_size >= 0 && L[i].blob_size != sb.st_size)
			return hk_error_set(err, 0, "layer %s: size %lld, the manifest says %lld",
					    L[i].blob, (long long)sb.st_size,
					    (long long)L[i].blob_size);
		L[i].blob_size = sb.st_size;
		if (!L[i].media_type)
			L[i].media_type = xstrdup(detect_media_type(fd));
		if (L[i].existed && storage_layer_exists(st, L[i].chain_id))
			continue;
		what = xasprintf("layer %s", digest_short(L[i].blob, shortd));
		if (storage_layer_unpack(st, fd, L[i].chain_id, L[i].diff_id, what, &res, err) < 0)
			return -1;
		L[i].size = res.size;
		L[i].entries = res.entries;
	}
	return 0;
}

static int insert_records(struct image_store *s, const struct image_commit *c, const char *id,
			  const char *manifest_digest, const char *manifest, int64_t created,
			  struct commit_layer *L, size_t n, int64_t intent, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *img = NULL;
	int64_t total = 0, now = (int64_t)time(NULL);

	if (db_begin_immediate(s->db, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
		if (db_prepare(s->db,
			       "INSERT INTO layers(chain_id, diff_id, parent, size, entries, added)"
			       " VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(chain_id) DO NOTHING",
			       &st, err) < 0)
			goto fail;
		db_bind_text(st, 1, L[i].chain_id);
		db_bind_text(st, 2, L[i].diff_id);
		db_bind_text(st, 3, i ? L[i - 1].chain_id : NULL);
		db_bind_int64(st, 4, L[i].size);
		db_bind_int64(st, 5, L[i].entries);
		db_bind_int64(st, 6, now);
		if (db_step(st, "insert layer", err) < 0)
			goto fail;
		/* The recorded size (an existing layer's) is the truth. */
		if (db_query_int64(s->db, "SELECT size FROM layers WHERE chain_id = ?",
				   L[i].chain_id, NULL, &L[i].size, err) < 0)
			goto fail;
		total += L[i].size;
	}
	if (db_prepare(s->db,
		       "INSERT INTO images(id, manifest_digest, config, manifest, created, added,"
		       " size) VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
		       &img, err) < 0)
		goto fail;
	db_bind_text(img, 1, id);
	db_bind_text(img, 2, manifest_digest);
	sqlite3_bind_text(img, 3, c->config_json, (int)c->config_len, SQLITE_TRANSIENT);
	db_bind_text(img, 4, manifest);
	db_bind_int64(img, 5, created);
	db_bind_int64(img, 6, now);
	db_bind_int64(img, 7, total);
	if (db_step(img, "insert image", err) < 0)
		goto fail;
	if (sqlite3_changes(s->db) > 0) {
		for (size_t i = 0; i < n; i++) {
			_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
			if (db_prepare(
				    s->db,
				    "INSERT INTO image_layers(image_id, idx, chain_id, blob_digest,"
				    " blob_size, media_type) VALUES(?, ?, ?, ?, ?, ?)",
				    &st, err) < 0)
				goto fail;
			db_bind_text(st, 1, id);
			db_bind_int64(st, 2, (int64_t)i);
			db_bind_text(st, 3, L[i].chain_id);
			db_bind_text(st, 4, L[i].blob);
			db_bind_int64(st, 5, L[i].blob_size);
			db_bind_text(st, 6, L[i].media_type);
			if (db_step(st, "insert image layer", err) < 0)
				goto fail;
		}
	}
	for (size_t i = 0; c->tags && c->tags[i]; i++)
		if (image_tag_locked(s, id, c->tags[i], err) < 0)
			goto fail;
	if (c->repo_digest_name && manifest_digest) {
		_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
		_cleanup_free_ char *dn = xasprintf("%s@%s", c->repo_digest_name, manifest_digest);
		if (db_prepare(s->db,
			       "INSERT INTO image_digests(name, image_id) VALUES(?, ?)"
			       " ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id",
			       &st, err) < 0)
			goto fail;
		db_bind_text(st, 1, dn);
		db_bind_text(st, 2, id);
		if (db_step(st, "insert repo digest", err) < 0)
			goto fail;
	}
	if (intent && drop_intent(s, intent, err) < 0)
		goto fail;
	return db_commit(s->db, err);
fail:
	db_rollback(s->db);
	return -1;
}

int image_commit(struct image_store *s, const struct image_commit *c, char out_id[DIGEST_BUF],
		 struct hk_error **err)
{
	_cleanup_strv_ char **diff_ids = NULL;
	_cleanup_free_ char *layers_list = xstrdup(""), *blobs_list = xstrdup("");
	_cleanup_free_ char *manifest = NULL;
	_cleanup_free_ struct commit_layer *L = NULL;
	char id[DIGEST_BUF], mdigest[DIGEST_BUF];
	int64_t created = 0, intent = 0;
	size_t n = c->n_layers;
	int r = -1;

	if (n > MAX_LAYERS)
		return hk_error_set(err, E2BIG, "commit: %zu layers (at most %d)", n, MAX_LAYERS);
	if (config_diff_ids(c->config_json, c->config_len, &diff_ids, &created, err) < 0)
		return hk_error_wrap(err, "commit");
	if (strv_len(diff_ids) != n)
		return hk_error_set(err, 0,
				    "commit: the config lists %zu layers, the image has %zu",
				    strv_len(diff_ids), n);
	for (size_t i = 0; c->tags && c->tags[i]; i++) {
		struct image_ref ref;
		if (image_ref_parse(c->tags[i], &ref, err) < 0)
			return hk_error_wrap(err, "commit");
		image_ref_free(&ref);
	}
	digest_buffer(c->config_json, c->config_len, id);
	L = xzalloc((n + 1) * sizeof(*L));
	for (size_t i = 0; i < n; i++) {
		int64_t rows = 0;
		if (!digest_valid(c->layers[i].blob_digest))
			return hk_error_set(err, 0, "commit: layer %zu: bad digest '%s'", i,
					    c->layers[i].blob_digest);
		snprintf(L[i].diff_id, sizeof(L[i].diff_id), "%s", diff_ids[i]);
		digest_chain_id(i ? L[i - 1].chain_id : NULL, diff_ids[i], L[i].chain_id);
		L[i].blob = c->layers[i].blob_digest;
		L[i].blob_size = c->layers[i].blob_size;
		L[i].media_type = c->layers[i].media_type ? xstrdup(c->layers[i].media_type) : NULL;
		if (db_query_int64(s->db, "SELECT count(*) FROM layers WHERE chain_id = ?",
				   L[i].chain_id, NULL, &rows, err) < 0)
			goto out_free;
		L[i].existed = rows > 0;
		if (!L[i].existed)
			cat_line(&layers_list, L[i].chain_id);
		cat_line(&blobs_list, L[i].blob);
	}
	if (image_store_op_begin(s, err) < 0)
		goto out_free;
	cat_line(&blobs_list, id);
	if (record_intent(s, layers_list, blobs_list, &intent, err) < 0)
		goto out;
	if (store_blob_put_buffer(s, c->config_json, c->config_len, id, err) < 0 ||
	    unpack_layers(s, L, n, err) < 0)
		goto release;
	if (c->manifest_json)
		manifest = xstrndup(c->manifest_json, c->manifest_len);
	else
		manifest = make_manifest(id, c->config_len, L, n);
	if (store_blob_put_buffer(s, manifest, strlen(manifest), mdigest, err) < 0)
		goto release;
	cat_line(&blobs_list, mdigest);
	{
		/* The manifest blob is listed only now that its digest is known. */
		_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
		if (db_prepare(s->db,
			       "UPDATE image_intents SET blobs = blobs || ? || char(10)"
			       " WHERE id = ?",
			       &st, err) < 0)
			goto release;
		db_bind_text(st, 1, mdigest);
		sqlite3_bind_int64(st, 2, intent);
		if (db_step(st, "update intent", err) < 0)
			goto release;
	}
	if (getenv("HAKO_TEST_CRASH_COMMIT")) {
		/* Tests: die as a kill -9 would, with everything unpacked and
		 * nothing registered. */
		_exit(99);
	}
	if (insert_records(s, c, id, mdigest, manifest, created, L, n, intent, err) < 0)
		goto release;
	if (out_id)
		memcpy(out_id, id, DIGEST_BUF);
	r = 0;
	goto out;
release : {
	struct hk_error *e2 = NULL;
	if (store_release_files(s, layers_list, blobs_list, &e2) == 0)
		drop_intent(s, intent, &e2);
	hk_error_free(&e2);
}
out:
	image_store_op_end(s);
out_free:
	for (size_t i = 0; i < n; i++)
		free(L[i].media_type);
	return r < 0 ? hk_error_wrap(err, "commit image") : 0;
}
