/* hako: the state database.  One SQLite file, <root>/hako.db, shared by every
 * module and by every concurrent hako process.
 *
 * - WAL journal, a 10 s busy timeout and foreign keys are set on every open.
 * - Each module owns its tables and migrates them itself with db_migrate():
 *   the table schema_versions(module, version) records how far each module
 *   got, so adding a module never edits a shared list.
 * - Writers start with db_begin_immediate(): taking the write lock up front
 *   avoids the SQLITE_BUSY dead end of a reader upgrading to a writer in WAL
 *   mode; it retries on SQLITE_BUSY beyond the busy timeout.
 *
 * Errors carry sqlite3_errmsg(): "db: insert image: UNIQUE constraint failed".
 */
#ifndef HAKO_DB_DB_H
#define HAKO_DB_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Open (creating) <root>/hako.db; root is created 0700 when missing.
 * On success *out is an open handle to close with db_close(). */
int db_open(const char *root, sqlite3 **out, struct hk_error **err);

/* Close a handle; NULL is fine. */
void db_close(sqlite3 *db);

void db_closep(sqlite3 **db);
void db_stmt_finalizep(sqlite3_stmt **stmt);
#define _cleanup_db_	      __attribute__((cleanup(db_closep)))
#define _cleanup_sqlite_stmt_ __attribute__((cleanup(db_stmt_finalizep)))

/* One schema step of a module: SQL run by sqlite3_exec (may hold several
 * statements).  Steps are numbered from 1 in array order. */
struct db_migration {
	const char *sql;
};

/* Bring the tables of `module` to version n by applying migrations[v..n-1]
 * where v is the module's recorded version; each step runs in its own
 * IMMEDIATE transaction together with the version bump, so a crash leaves
 * the module at a whole step.  Safe to call from concurrent processes.
 * A database newer than the code (v > n) is an error. */
int db_migrate(sqlite3 *db, const char *module, const struct db_migration *migrations, size_t n,
	       struct hk_error **err);

/* The recorded schema version of module (0 when none). */
int db_schema_version(sqlite3 *db, const char *module, int *version, struct hk_error **err);

/* BEGIN IMMEDIATE, retrying on SQLITE_BUSY for up to ~30 s in total. */
int db_begin_immediate(sqlite3 *db, struct hk_error **err);
/* COMMIT (retrying on SQLITE_BUSY); on failure the transaction is rolled back. */
int db_commit(sqlite3 *db, struct hk_error **err);
/* ROLLBACK when a transaction is open; never fails visibly. */
void db_rollback(sqlite3 *db);

/* Run SQL without results (sqlite3_exec). */
int db_exec(sqlite3 *db, const char *sql, struct hk_error **err);

/* Prepare one statement; the error names the SQL's first words. */
int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out, struct hk_error **err);

/* Step a statement: returns SQLITE_ROW or SQLITE_DONE, or < 0 with *err
 * (what: the action, for the message). */
int db_step(sqlite3_stmt *stmt, const char *what, struct hk_error **err);

/* Set *err to "fmt: <sqlite3_errmsg(db)>" and return -1. */
int db_error(sqlite3 *db, struct hk_error **err, const char *fmt, ...) HK_PRINTF(3, 4);

/* Bind helpers (index from 1); a NULL text binds SQL NULL. */
int db_bind_text(sqlite3_stmt *stmt, int idx, const char *text);
int db_bind_int64(sqlite3_stmt *stmt, int idx, int64_t v);

/* Column text as a new string (NULL for SQL NULL). */
char *db_column_strdup(sqlite3_stmt *stmt, int col);

/* Run a statement that returns one integer (e.g. SELECT count(*)), with up
 * to two text parameters (NULL to leave unbound). */
int db_query_int64(sqlite3 *db, const char *sql, const char *p1, const char *p2, int64_t *out,
		   struct hk_error **err);

#endif
