/* VM definitions and their recorded state in the database (module "vm"). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "util/util.h"
#include "vm/internal.h"
#include "vm/vm.h"

static const struct db_migration vm_migrations[] = {
	{"CREATE TABLE vms ("
	 " name TEXT PRIMARY KEY,"
	 " id TEXT UNIQUE NOT NULL,"
	 " vcpus INTEGER NOT NULL,"
	 " memory INTEGER NOT NULL,"
	 " disk TEXT,"
	 " disk_owned INTEGER NOT NULL DEFAULT 0,"
	 " iso TEXT, kernel TEXT, initrd TEXT, append TEXT,"
	 " network TEXT NOT NULL DEFAULT 'user',"
	 " cloud_init TEXT,"
	 " autostart INTEGER NOT NULL DEFAULT 0,"
	 " created INTEGER NOT NULL,"
	 /* what the monitor recorded: 'shut off', 'running', 'crashed' */
	 " state TEXT NOT NULL DEFAULT 'shut off',"
	 " monitor_pid INTEGER NOT NULL DEFAULT 0,"
	 " qemu_pid INTEGER NOT NULL DEFAULT 0,"
	 " reason TEXT);"},
	/* -p: QEMU hostfwd rules of the user network, space-separated */
	{"ALTER TABLE vms ADD COLUMN ports TEXT;"},
};

int vm_db_open(const char *root, sqlite3 **out, struct hk_error **err)
{
	sqlite3 *db = NULL;

	if (db_open(root, &db, err) < 0)
		return -1;
	if (db_migrate(db, "vm", vm_migrations, ARRAY_SIZE(vm_migrations), err) < 0) {
		db_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

void vm_def_free(struct vm_def *d)
{
	if (!d)
		return;
	free(d->name);
	free(d->id);
	free(d->disk);
	free(d->iso);
	free(d->kernel);
	free(d->initrd);
	free(d->append);
	free(d->network);
	free(d->cloud_init);
	free(d->state);
	free(d->reason);
	free(d->ports);
	free(d);
}

void vm_def_freep(struct vm_def **d)
{
	vm_def_free(*d);
	*d = NULL;
}

#define COLS                                                                                       \
	"name, id, vcpus, memory, disk, disk_owned, iso, kernel, initrd, append, network, "        \
	"cloud_init, autostart, created, state, monitor_pid, qemu_pid, reason, ports"

static struct vm_def *row(sqlite3_stmt *s)
{
	struct vm_def *d = xzalloc(sizeof(*d));

	d->name = db_column_strdup(s, 0);
	d->id = db_column_strdup(s, 1);
	d->vcpus = sqlite3_column_int(s, 2);
	d->memory = (uint64_t)sqlite3_column_int64(s, 3);
	d->disk = db_column_strdup(s, 4);
	d->disk_owned = sqlite3_column_int(s, 5);
	d->iso = db_column_strdup(s, 6);
	d->kernel = db_column_strdup(s, 7);
	d->initrd = db_column_strdup(s, 8);
	d->append = db_column_strdup(s, 9);
	d->network = db_column_strdup(s, 10);
	d->cloud_init = db_column_strdup(s, 11);
	d->autostart = sqlite3_column_int(s, 12);
	d->created = sqlite3_column_int64(s, 13);
	d->state = db_column_strdup(s, 14);
	d->monitor_pid = (pid_t)sqlite3_column_int(s, 15);
	d->qemu_pid = (pid_t)sqlite3_column_int(s, 16);
	d->reason = db_column_strdup(s, 17);
	d->ports = db_column_strdup(s, 18);
	return d;
}

int vm_db_get(sqlite3 *db, const char *name, struct vm_def **out, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *s = NULL;
	int r;

	*out = NULL;
	if (db_prepare(db, "SELECT " COLS " FROM vms WHERE name = ?", &s, err) < 0)
		return -1;
	db_bind_text(s, 1, name);
	r = db_step(s, "find vm", err);
	if (r < 0)
		return -1;
	if (r != SQLITE_ROW)
		return hk_error_set(err, ENOENT, "vm '%s' not found", name);
	*out = row(s);
	return 0;
}

int vm_get(const char *root, const char *name, struct vm_def **out, struct hk_error **err)
{
	_cleanup_db_ sqlite3 *db = NULL;

	if (vm_db_open(root, &db, err) < 0)
		return -1;
	return vm_db_get(db, name, out, err);
}

int vm_list(const char *root, struct vm_def ***out, size_t *n, struct hk_error **err)
{
	_cleanup_db_ sqlite3 *db = NULL;
	_cleanup_sqlite_stmt_ sqlite3_stmt *s = NULL;
	struct vm_def **l = NULL;
	size_t count = 0;
	int r;

	*out = NULL;
	*n = 0;
	if (vm_db_open(root, &db, err) < 0 ||
	    db_prepare(db, "SELECT " COLS " FROM vms ORDER BY name", &s, err) < 0)
		return -1;
	while ((r = db_step(s, "list vms", err)) == SQLITE_ROW) {
		l = xrealloc(l, (count + 1) * sizeof(*l));
		l[count++] = row(s);
	}
	if (r < 0) {
		vm_list_free(l, count);
		return -1;
	}
	*out = l;
	*n = count;
	return 0;
}

void vm_list_free(struct vm_def **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vm_def_free(l[i]);
	free(l);
}

int vm_db_insert(sqlite3 *db, const struct vm_def *d, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *s = NULL;

	if (db_prepare(db,
		       "INSERT INTO vms (name, id, vcpus, memory, disk, disk_owned, iso, kernel, "
		       "initrd, append, network, cloud_init, autostart, created, ports) VALUES "
		       "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		       &s, err) < 0)
		return -1;
	db_bind_text(s, 1, d->name);
	db_bind_text(s, 2, d->id);
	db_bind_int64(s, 3, d->vcpus);
	db_bind_int64(s, 4, (int64_t)d->memory);
	db_bind_text(s, 5, d->disk);
	db_bind_int64(s, 6, d->disk_owned);
	db_bind_text(s, 7, d->iso);
	db_bind_text(s, 8, d->kernel);
	db_bind_text(s, 9, d->initrd);
	db_bind_text(s, 10, d->append);
	db_bind_text(s, 11, d->network);
	db_bind_text(s, 12, d->cloud_init);
	db_bind_int64(s, 13, d->autostart);
	db_bind_int64(s, 14, d->created);
	db_bind_text(s, 15, d->ports);
	if (db_step(s, "record vm", err) < 0)
		return -1;
	return 0;
}

int vm_db_set_state(sqlite3 *db, const char *name, const char *state, pid_t monitor, pid_t qemu,
		    const char *reason, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *s = NULL;

	if (db_prepare(db,
		       "UPDATE vms SET state = ?, monitor_pid = ?, qemu_pid = ?, reason = ? "
		       "WHERE name = ?",
		       &s, err) < 0)
		return -1;
	db_bind_text(s, 1, state);
	db_bind_int64(s, 2, monitor);
	db_bind_int64(s, 3, qemu);
	db_bind_text(s, 4, reason);
	db_bind_text(s, 5, name);
	return db_step(s, "record vm state", err) < 0 ? -1 : 0;
}

int vm_db_set_resources(sqlite3 *db, const char *name, int vcpus, uint64_t memory,
			const char *append, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *s = NULL;

	if (db_prepare(db,
		       "UPDATE vms SET vcpus = CASE WHEN ?1 > 0 THEN ?1 ELSE vcpus END, "
		       "memory = CASE WHEN ?2 > 0 THEN ?2 ELSE memory END, "
		       "append = CASE WHEN ?3 IS NOT NULL THEN ?3 ELSE append END WHERE name = ?4",
		       &s, err) < 0)
		return -1;
	db_bind_int64(s, 1, vcpus);
	db_bind_int64(s, 2, (int64_t)memory);
	db_bind_text(s, 3, append);
	db_bind_text(s, 4, name);
	return db_step(s, "update vm", err) < 0 ? -1 : 0;
}

int vm_db_set_network(sqlite3 *db, const char *name, const char *network, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *s = NULL;

	if (db_prepare(db, "UPDATE vms SET network = ? WHERE name = ?", &s, err) < 0)
		return -1;
	db_bind_text(s, 1, network);
	db_bind_text(s, 2, name);
	return db_step(s, "update vm", err) < 0 ? -1 : 0;
}

int vm_db_delete(sqlite3 *db, const char *name, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *s = NULL;

	if (db_prepare(db, "DELETE FROM vms WHERE name = ?", &s, err) < 0)
		return -1;
	db_bind_text(s, 1, name);
	return db_step(s, "remove vm", err) < 0 ? -1 : 0;
}
