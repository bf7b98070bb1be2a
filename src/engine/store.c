/* hako engine: the containers and volumes tables (module "engine" of the
 * shared database, src/db/db.h). */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "db/db.h"
#include "engine/internal.h"
#include "events/events.h"
#include "util/json.h"
#include "util/util.h"

static const struct db_migration engine_migrations[] = {
	{"CREATE TABLE containers ("
	 " id TEXT PRIMARY KEY,"
	 " name TEXT NOT NULL UNIQUE,"
	 " image TEXT NOT NULL,"
	 " image_id TEXT NOT NULL,"
	 " config TEXT NOT NULL,"
	 " state TEXT NOT NULL,"
	 " pid INTEGER NOT NULL DEFAULT 0,"
	 " monitor_pid INTEGER NOT NULL DEFAULT 0,"
	 " exit_code INTEGER NOT NULL DEFAULT 0,"
	 " oom_killed INTEGER NOT NULL DEFAULT 0,"
	 " restart_count INTEGER NOT NULL DEFAULT 0,"
	 " stop_requested INTEGER NOT NULL DEFAULT 0,"
	 " created INTEGER NOT NULL,"
	 " started_at INTEGER NOT NULL DEFAULT 0,"
	 " finished_at INTEGER NOT NULL DEFAULT 0,"
	 " error TEXT,"
	 " rootfs TEXT);"
	 "CREATE TABLE volumes ("
	 " name TEXT PRIMARY KEY,"
	 " driver TEXT NOT NULL DEFAULT 'local',"
	 " labels TEXT NOT NULL DEFAULT '{}',"
	 " anonymous INTEGER NOT NULL DEFAULT 0,"
	 " created INTEGER NOT NULL);"
	 "CREATE TABLE container_volumes ("
	 " container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,"
	 " volume TEXT NOT NULL REFERENCES volumes(name),"
	 " PRIMARY KEY (container_id, volume));"},
};

#define COLUMNS                                                                                    \
	"id, name, image, image_id, config, state, pid, monitor_pid, exit_code, oom_killed, "      \
	"restart_count, stop_requested, created, started_at, finished_at, error, rootfs"

int store_db(struct engine *e, sqlite3 **out, struct hk_error **err)
{
	sqlite3 *db = NULL;

	if (e->db) {
		*out = e->db;
		return 0;
	}
	if (db_open(e->root, &db, err) < 0)
		return -1;
	if (db_migrate(db, "engine", engine_migrations, ARRAY_SIZE(engine_migrations), err) < 0) {
		db_close(db);
		return -1;
	}
	e->db = db;
	*out = db;
	return 0;
}

void store_close(struct engine *e)
{
	db_close(e->db);
	e->db = NULL;
}

static int row_to_container(sqlite3_stmt *st, struct engine_container **out, struct hk_error **err)
{
	struct engine_container *c = xzalloc(sizeof(*c));
	const char *state, *cfg;
	json_object *config = NULL;

	c->id = db_column_strdup(st, 0);
	c->name = db_column_strdup(st, 1);
	c->image = db_column_strdup(st, 2);
	c->image_id = db_column_strdup(st, 3);
	cfg = (const char *)sqlite3_column_text(st, 4);
	if (json_parse("container config", cfg ? cfg : "{}", cfg ? strlen(cfg) : 2, &config, err) <
	    0) {
		engine_container_free(c);
		return -1;
	}
	c->config = config;
	state = (const char *)sqlite3_column_text(st, 5);
	c->state = (enum engine_state)engine_state_from_name(state ? state : "");
	if ((int)c->state < 0)
		c->state = ENGINE_DEAD;
	c->pid = (pid_t)sqlite3_column_int64(st, 6);
	c->monitor_pid = (pid_t)sqlite3_column_int64(st, 7);
	c->exit_code = (int)sqlite3_column_int64(st, 8);
	c->oom_killed = sqlite3_column_int64(st, 9) != 0;
	c->restart_count = (int)sqlite3_column_int64(st, 10);
	c->stop_requested = sqlite3_column_int64(st, 11) != 0;
	c->created = sqlite3_column_int64(st, 12);
	c->started_at = sqlite3_column_int64(st, 13);
	c->finished_at = sqlite3_column_int64(st, 14);
	c->error = db_column_strdup(st, 15);
	c->rootfs = db_column_strdup(st, 16);
	*out = c;
	return 0;
}

int store_insert(struct engine *e, const struct engine_container *c, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *cfg = json_to_string(c->config, false);
	sqlite3 *db;
	int r;

	if (store_db(e, &db, err) < 0)
		return -1;
	if (db_prepare(db,
		       "INSERT INTO containers (id, name, image, image_id, config, state, created)"
		       " VALUES (?, ?, ?, ?, ?, ?, ?)",
		       &st, err) < 0)
		return -1;
	db_bind_text(st, 1, c->id);
	db_bind_text(st, 2, c->name);
	db_bind_text(st, 3, c->image);
	db_bind_text(st, 4, c->image_id);
	db_bind_text(st, 5, cfg);
	db_bind_text(st, 6, engine_state_name(c->state));
	db_bind_int64(st, 7, c->created);
	r = sqlite3_step(st);
	if ((r & 0xff) == SQLITE_CONSTRAINT)
		return hk_error_set(err, EEXIST,
				    "the container name \"%s\" is already in use; remove or "
				    "rename that container, or choose another name",
				    c->name);
	if (r != SQLITE_DONE)
		return db_error(db, err, "insert container %s", c->name);
	return 0;
}

int store_load_id(struct engine *e, const char *id, struct engine_container **out,
		  struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	sqlite3 *db;
	int r;

	if (store_db(e, &db, err) < 0)
		return -1;
	if (db_prepare(db, "SELECT " COLUMNS " FROM containers WHERE id = ?", &st, err) < 0)
		return -1;
	db_bind_text(st, 1, id);
	r = db_step(st, "load container", err);
	if (r < 0)
		return -1;
	if (r != SQLITE_ROW)
		return hk_error_set(err, 0, "no such container: %s", id);
	return row_to_container(st, out, err);
}

int store_load(struct engine *e, const char *ref, struct engine_container **out,
	       struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *like = NULL;
	sqlite3 *db;
	int r;

	if (!ref || !*ref)
		return hk_error_set(err, EINVAL, "empty container name or id");
	if (ref[0] == '/')
		ref++;
	if (store_db(e, &db, err) < 0)
		return -1;
	/* Exact id, then exact name, then a unique id prefix (Docker's order). */
	if (db_prepare(db,
		       "SELECT " COLUMNS " FROM containers WHERE id = ?1 OR name = ?1"
		       " ORDER BY id = ?1 DESC LIMIT 1",
		       &st, err) < 0)
		return -1;
	db_bind_text(st, 1, ref);
	r = db_step(st, "look up container", err);
	if (r < 0)
		return -1;
	if (r == SQLITE_ROW)
		return row_to_container(st, out, err);
	sqlite3_finalize(st);
	st = NULL;
	if (strspn(ref, "0123456789abcdef") != strlen(ref))
		return hk_error_set(err, 0, "no such container: %s", ref);
	like = xasprintf("%s%%", ref);
	if (db_prepare(db, "SELECT " COLUMNS " FROM containers WHERE id LIKE ? LIMIT 2", &st, err) <
	    0)
		return -1;
	db_bind_text(st, 1, like);
	r = db_step(st, "look up container", err);
	if (r < 0)
		return -1;
	if (r != SQLITE_ROW)
		return hk_error_set(err, 0, "no such container: %s", ref);
	if (row_to_container(st, out, err) < 0)
		return -1;
	r = db_step(st, "look up container", err);
	if (r == SQLITE_ROW) {
		engine_container_freep(out);
		return hk_error_set(err, EINVAL,
				    "multiple containers match the prefix %s; give more of the id",
				    ref);
	}
	if (r < 0) {
		engine_container_freep(out);
		return -1;
	}
	return 0;
}

int store_list(struct engine *e, struct engine_container ***out, size_t *n, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	struct engine_container **list = NULL;
	size_t count = 0;
	sqlite3 *db;
	int r;

	if (store_db(e, &db, err) < 0)
		return -1;
	if (db_prepare(db, "SELECT " COLUMNS " FROM containers ORDER BY created DESC", &st, err) <
	    0)
		return -1;
	while ((r = db_step(st, "list containers", err)) == SQLITE_ROW) {
		struct engine_container *c;
		if (row_to_container(st, &c, err) < 0) {
			engine_list_free(list, count);
			return -1;
		}
		list = xrealloc(list, (count + 1) * sizeof(*list));
		list[count++] = c;
	}
	if (r < 0) {
		engine_list_free(list, count);
		return -1;
	}
	*out = list;
	*n = count;
	return 0;
}

int store_delete(struct engine *e, const char *id, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	sqlite3 *db;

	if (store_db(e, &db, err) < 0)
		return -1;
	if (db_prepare(db, "DELETE FROM containers WHERE id = ?", &st, err) < 0)
		return -1;
	db_bind_text(st, 1, id);
	return db_step(st, "delete container", err) < 0 ? -1 : 0;
}

int store_update(struct engine *e, const char *id, const char *set, const char *types,
		 struct hk_error **err, ...)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *sql = xasprintf("UPDATE containers SET %s WHERE id = ?", set);
	sqlite3 *db;
	va_list ap;
	int idx = 1;

	if (store_db(e, &db, err) < 0)
		return -1;
	if (db_prepare(db, sql, &st, err) < 0)
		return -1;
	va_start(ap, err);
	for (const char *t = types; *t; t++) {
		if (*t == 'i')
			db_bind_int64(st, idx++, va_arg(ap, int64_t));
		else
			db_bind_text(st, idx++, va_arg(ap, const char *));
	}
	va_end(ap);
	db_bind_text(st, idx, id);
	return db_step(st, "update container", err) < 0 ? -1 : 0;
}

int store_set_state(struct engine *e, const char *id, enum engine_state s, struct hk_error **err)
{
	return store_update(e, id, "state = ?", "s", err, engine_state_name(s));
}

int store_volume_create(struct engine *e, const char *name, bool anonymous, json_object *labels,
			bool *created, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *lab = labels ? json_to_string(labels, false) : xstrdup("{}");
	sqlite3 *db;

	if (store_db(e, &db, err) < 0)
		return -1;
	if (db_prepare(db,
		       "INSERT OR IGNORE INTO volumes (name, labels, anonymous, created)"
		       " VALUES (?, ?, ?, ?)",
		       &st, err) < 0)
		return -1;
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, lab);
	db_bind_int64(st, 3, anonymous);
	db_bind_int64(st, 4, engine_now());
	if (db_step(st, "create volume", err) < 0)
		return -1;
	if (sqlite3_changes(db) > 0) {
		_cleanup_json_ json_object *a = json_object_new_object();
		json_object_object_add(a, "driver", json_object_new_string("local"));
		events_record(db, "volume", "create", name, a);
	}
	if (created)
		*created = sqlite3_changes(db) > 0;
	return 0;
}

int store_volume_link(struct engine *e, const char *ctr, const char *vol, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	sqlite3 *db;

	if (store_db(e, &db, err) < 0)
		return -1;
	if (db_prepare(
		    db,
		    "INSERT OR IGNORE INTO container_volumes (container_id, volume) VALUES (?, ?)",
		    &st, err) < 0)
		return -1;
	db_bind_text(st, 1, ctr);
	db_bind_text(st, 2, vol);
	return db_step(st, "link volume", err) < 0 ? -1 : 0;
}
