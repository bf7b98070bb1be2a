/* hako: SQLite state database (see db.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "db/db.h"
#include "util/path.h"
#include "util/util.h"

#define DB_BUSY_TIMEOUT_MS 10000
#define DB_BUSY_RETRIES	   30 /* on top of the busy timeout: BEGIN/COMMIT loops */

int db_error(sqlite3 *db, struct hk_error **err, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	return hk_error_set(err, 0, "%s: %s", msg ? msg : "db",
			    db ? sqlite3_errmsg(db) : "no database");
}

void db_close(sqlite3 *db)
{
	if (db)
		sqlite3_close_v2(db);
}

void db_closep(sqlite3 **db)
{
	if (*db) {
		db_close(*db);
		*db = NULL;
	}
}

void db_stmt_finalizep(sqlite3_stmt **stmt)
{
	if (*stmt) {
		sqlite3_finalize(*stmt);
		*stmt = NULL;
	}
}

static void short_sleep(int attempt)
{
	struct timespec ts = {0, (long)(10 + attempt * 10) * 1000000L};

	nanosleep(&ts, NULL);
}

int db_exec(sqlite3 *db, const char *sql, struct hk_error **err)
{
	char *emsg = NULL;
	int rc;

	for (int i = 0;; i++) {
		rc = sqlite3_exec(db, sql, NULL, NULL, &emsg);
		if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && i < DB_BUSY_RETRIES) {
			sqlite3_free(emsg);
			emsg = NULL;
			short_sleep(i);
			continue;
		}
		break;
	}
	if (rc != SQLITE_OK) {
		hk_error_set(err, 0, "db: %.40s...: %s", sql, emsg ? emsg : sqlite3_errstr(rc));
		sqlite3_free(emsg);
		return -1;
	}
	return 0;
}

int db_open(const char *root, sqlite3 **out, struct hk_error **err)
{
	_cleanup_free_ char *path = NULL;
	sqlite3 *db = NULL;
	int rc;

	if (mkdir_p(root, 0700, err) < 0)
		return hk_error_wrap(err, "db: create %s", root);
	path = path_join(root, "hako.db");
	rc = sqlite3_open_v2(path, &db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
				     SQLITE_OPEN_EXRESCODE,
			     NULL);
	if (rc != SQLITE_OK) {
		int r = hk_error_set(err, 0, "db: open %s: %s", path,
				     db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		db_close(db);
		return r;
	}
	chmod(path, 0600);
	sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
	/* Every hako process opens and closes the database, and the last
	 * connection to close would checkpoint the WAL into the database and
	 * delete it: two fsyncs, plus a directory fsync when the next process
	 * creates the WAL again.  Leave that to SQLite's automatic checkpoint
	 * (see wal_autocheckpoint below), which a commit runs. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
	/* WAL lets readers (hako ps, images) run while a writer commits;
	 * synchronous=NORMAL: a commit survives a crash of the process (all
	 * crash repair needs), a power loss may drop the last commits but never
	 * corrupts the database. */
	/* wal_autocheckpoint: the first connection of a process reads the
	 * whole WAL to index it (the unix VFS resets the index when nobody else
	 * has the database open), 6 ms for SQLite's default of 1000 pages:
	 * checkpoint at 128 pages (512 KiB), every few `hako run`s. */
	if (db_exec(db,
		    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		    " PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=128",
		    err) < 0 ||
	    db_exec(db,
		    "CREATE TABLE IF NOT EXISTS schema_versions ("
		    " module TEXT PRIMARY KEY, version INTEGER NOT NULL)",
		    err) < 0) {
		db_close(db);
		return hk_error_wrap(err, "db: open %s", path);
	}
	*out = db;
	return 0;
}

int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out, struct hk_error **err)
{
	int rc;

	for (int i = 0;; i++) {
		rc = sqlite3_prepare_v2(db, sql, -1, out, NULL);
		if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && i < DB_BUSY_RETRIES) {
			short_sleep(i);
			continue;
		}
		break;
	}
	if (rc != SQLITE_OK)
		return db_error(db, err, "db: prepare \"%.40s\"", sql);
	return 0;
}

int db_step(sqlite3_stmt *stmt, const char *what, struct hk_error **err)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	return db_error(sqlite3_db_handle(stmt), err, "db: %s", what);
}

int db_bind_text(sqlite3_stmt *stmt, int idx, const char *text)
{
	if (!text)
		return sqlite3_bind_null(stmt, idx);
	return sqlite3_bind_text(stmt, idx, text, -1, SQLITE_TRANSIENT);
}

int db_bind_int64(sqlite3_stmt *stmt, int idx, int64_t v)
{
	return sqlite3_bind_int64(stmt, idx, v);
}

char *db_column_strdup(sqlite3_stmt *stmt, int col)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);

	return t ? xstrdup((const char *)t) : NULL;
}

int db_query_int64(sqlite3 *db, const char *sql, const char *p1, const char *p2, int64_t *out,
		   struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	int rc;

	if (db_prepare(db, sql, &st, err) < 0)
		return -1;
	if (p1)
		db_bind_text(st, 1, p1);
	if (p2)
		db_bind_text(st, 2, p2);
	rc = db_step(st, "query", err);
	if (rc < 0)
		return rc;
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	return 0;
}

static int begin_or_commit(sqlite3 *db, const char *sql, struct hk_error **err)
{
	int rc;

	for (int i = 0;; i++) {
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		/* The busy handler already waited DB_BUSY_TIMEOUT_MS; a WAL
		 * checkpoint or a long writer can still report BUSY: retry. */
		if ((rc & 0xff) == SQLITE_BUSY && i < DB_BUSY_RETRIES) {
			short_sleep(i);
			continue;
		}
		break;
	}
	if (rc != SQLITE_OK)
		return db_error(db, err, "db: %s", sql);
	return 0;
}

int db_begin_immediate(sqlite3 *db, struct hk_error **err)
{
	return begin_or_commit(db, "BEGIN IMMEDIATE", err);
}

int db_commit(sqlite3 *db, struct hk_error **err)
{
	if (begin_or_commit(db, "COMMIT", err) < 0) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

void db_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

int db_schema_version(sqlite3 *db, const char *module, int *version, struct hk_error **err)
{
	int64_t v = 0;

	if (db_query_int64(db, "SELECT version FROM schema_versions WHERE module = ?", module, NULL,
			   &v, err) < 0)
		return -1;
	*version = (int)v;
	return 0;
}

int db_migrate(sqlite3 *db, const char *module, const struct db_migration *migrations, size_t n,
	       struct hk_error **err)
{
	int v;

	/* Cheap path first: most opens find the module up to date. */
	if (db_schema_version(db, module, &v, err) < 0)
		return -1;
	if ((size_t)v == n)
		return 0;
	for (;;) {
		_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;

		if (db_begin_immediate(db, err) < 0)
			return hk_error_wrap(err, "migrate %s", module);
		/* Re-read under the write lock: another process may have
		 * migrated meanwhile. */
		if (db_schema_version(db, module, &v, err) < 0)
			goto fail;
		if (v < 0 || (size_t)v > n) {
			hk_error_set(err, 0,
				     "schema of %s is version %d, newer than this hako (%zu): "
				     "upgrade hako",
				     module, v, n);
			goto fail;
		}
		if ((size_t)v == n) {
			db_rollback(db);
			return 0;
		}
		if (db_exec(db, migrations[v].sql, err) < 0) {
			hk_error_wrap(err, "step %d", v + 1);
			goto fail;
		}
		if (db_prepare(db,
			       "INSERT INTO schema_versions(module, version) VALUES(?, ?)"
			       " ON CONFLICT(module) DO UPDATE SET version = excluded.version",
			       &st, err) < 0)
			goto fail;
		db_bind_text(st, 1, module);
		db_bind_int64(st, 2, v + 1);
		if (db_step(st, "record schema version", err) < 0)
			goto fail;
		if (db_commit(db, err) < 0)
			return hk_error_wrap(err, "migrate %s", module);
	}
fail:
	db_rollback(db);
	return hk_error_wrap(err, "migrate %s", module);
}
