#include <sys/wait.h>
#include <unistd.h>

#include "db/db.h"
#include "test.h"
#include "util/path.h"
#include "util/util.h"

static const struct db_migration steps[] = {
	{"CREATE TABLE t (id INTEGER PRIMARY KEY, who INTEGER NOT NULL)"},
	{"ALTER TABLE t ADD COLUMN note TEXT"},
};

TEST(db_migrate_per_module)
{
	_cleanup_db_ sqlite3 *db = NULL;
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_free_ char *root = path_join(test_tmpdir(), "root/sub");
	int v = -1;

	REQUIRE(db_open(root, &db, &err) == 0);
	REQUIRE(db_migrate(db, "mod_a", steps, 1, &err) == 0);
	REQUIRE(db_schema_version(db, "mod_a", &v, &err) == 0);
	CHECK(v == 1);
	/* A second step later, and idempotent re-runs. */
	REQUIRE(db_migrate(db, "mod_a", steps, 2, &err) == 0);
	REQUIRE(db_migrate(db, "mod_a", steps, 2, &err) == 0);
	REQUIRE(db_schema_version(db, "mod_a", &v, &err) == 0);
	CHECK(v == 2);
	CHECK(db_exec(db, "INSERT INTO t(who, note) VALUES(1, 'x')", &err) == 0);
	/* Another module has its own version. */
	REQUIRE(db_schema_version(db, "mod_b", &v, &err) == 0);
	CHECK(v == 0);
	/* Code older than the database is refused. */
	CHECK(db_migrate(db, "mod_a", steps, 1, &err) < 0);
	CHECK(err && strstr(hk_error_msg(err), "newer than this hako"));
}

TEST(db_failed_migration_rolls_back)
{
	static const struct db_migration bad[] = {
		{"CREATE TABLE ok1 (a INTEGER)"},
		{"CREATE TABLE ok2 (a INTEGER); CREATE TABLE broken (("},
	};
	_cleanup_db_ sqlite3 *db = NULL;
	_cleanup_error_ struct hk_error *err = NULL;
	int64_t n = -1;
	int v;

	REQUIRE(db_open(test_tmpdir(), &db, &err) == 0);
	CHECK(db_migrate(db, "bad", bad, 2, &err) < 0);
	CHECK(err && strstr(hk_error_msg(err), "migrate bad"));
	hk_error_free(&err);
	REQUIRE(db_schema_version(db, "bad", &v, &err) == 0);
	CHECK(v == 1);
	/* ok2 was in the failed step's transaction: gone. */
	REQUIRE(db_query_int64(db, "SELECT count(*) FROM sqlite_master WHERE name = 'ok2'", NULL,
			       NULL, &n, &err) == 0);
	CHECK(n == 0);
}

/* Two processes each insert rows in many short IMMEDIATE transactions. */
TEST(db_concurrent_writers)
{
	_cleanup_error_ struct hk_error *err = NULL;
	pid_t pids[2];
	int64_t n = 0;

	{
		_cleanup_db_ sqlite3 *db = NULL;
		REQUIRE(db_open(test_tmpdir(), &db, &err) == 0);
		REQUIRE(db_migrate(db, "t", steps, 2, &err) == 0);
	}
	for (int p = 0; p < 2; p++) {
		pids[p] = fork();
		REQUIRE(pids[p] >= 0);
		if (pids[p] == 0) {
			sqlite3 *db = NULL;
			struct hk_error *e = NULL;
			if (db_open(test_tmpdir(), &db, &e) < 0 ||
			    db_migrate(db, "t", steps, 2, &e) < 0)
				_exit(2);
			for (int i = 0; i < 100; i++) {
				_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
				if (db_begin_immediate(db, &e) < 0)
					_exit(3);
				if (db_prepare(db, "INSERT INTO t(who) VALUES(?)", &st, &e) < 0)
					_exit(4);
				db_bind_int64(st, 1, p);
				if (db_step(st, "insert", &e) < 0)
					_exit(5);
				if (db_commit(db, &e) < 0)
					_exit(6);
			}
			db_close(db);
			_exit(0);
		}
	}
	for (int p = 0; p < 2; p++) {
		int status;
		REQUIRE(waitpid(pids[p], &status, 0) == pids[p]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	{
		_cleanup_db_ sqlite3 *db = NULL;
		REQUIRE(db_open(test_tmpdir(), &db, &err) == 0);
		REQUIRE(db_query_int64(db, "SELECT count(*) FROM t", NULL, NULL, &n, &err) == 0);
		CHECK(n == 200);
	}
}
