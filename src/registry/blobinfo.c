/* hako registry: where blobs live in registries, for cross-repository mounts
 * (a table of this module in the state database). */
#include <string.h>

#include "db/db.h"
#include "image/image.h"
#include "registry/registry_int.h"
#include "util/log.h"
#include "util/util.h"

static const struct db_migration migrations[] = {
	{"CREATE TABLE registry_blobs ("
	 " digest TEXT NOT NULL,"
	 " host TEXT NOT NULL,"
	 " repo TEXT NOT NULL,"
	 " seen INTEGER NOT NULL,"
	 " PRIMARY KEY (digest, host, repo));"},
};

static int migrate(struct image_store *store, struct hk_error **err)
{
	return db_migrate(store->db, "registry", migrations, ARRAY_SIZE(migrations), err);
}

void reg_blobinfo_add(struct image_store *store, const char *host, const char *repo,
		      const char *digest)
{
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;

	if (migrate(store, &err) < 0 ||
	    db_prepare(store->db,
		       "INSERT OR REPLACE INTO registry_blobs (digest, host, repo, seen) "
		       "VALUES (?1, ?2, ?3, strftime('%s','now'))",
		       &st, &err) < 0) {
		log_debug("registry: blob cache: %s", hk_error_msg(err));
		return;
	}
	db_bind_text(st, 1, digest);
	db_bind_text(st, 2, host);
	db_bind_text(st, 3, repo);
	if (db_step(st, "record blob location", &err) < 0)
		log_debug("registry: blob cache: %s", hk_error_msg(err));
}

void reg_blobinfo_record(struct image_store *store, const char *host, const char *repo,
			 const struct registry_manifest *m)
{
	reg_blobinfo_add(store, host, repo, m->config.digest);
	for (size_t i = 0; i < m->n_layers; i++)
		reg_blobinfo_add(store, host, repo, m->layers[i].digest);
}

char *reg_blobinfo_find(struct image_store *store, const char *host, const char *repo,
			const char *digest)
{
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;

	if (migrate(store, &err) < 0 ||
	    db_prepare(store->db,
		       "SELECT repo FROM registry_blobs WHERE digest = ?1 AND host = ?2 "
		       "AND repo != ?3 ORDER BY seen DESC LIMIT 1",
		       &st, &err) < 0)
		return NULL;
	db_bind_text(st, 1, digest);
	db_bind_text(st, 2, host);
	db_bind_text(st, 3, repo);
	if (db_step(st, "find blob location", &err) != SQLITE_ROW)
		return NULL;
	return db_column_strdup(st, 0);
}
