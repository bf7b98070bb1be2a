/* hako engine: named volumes (local driver: <root>/volumes/<name>/_data). */
#include <errno.h>
#include <string.h>

#include "db/db.h"
#include "engine/internal.h"
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
	if (db_step(st, "delete volume", err) < 0 || db_commit(db, err) < 0) {
		db_rollback(db);
		return -1;
	}
	return rm_rf(dir, err);
}
