/* hako engine: opening the engine, creating and starting containers,
 * removing them, and repairing what a crash left behind. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/db.h"
#include "engine/internal.h"
#include "engine/spec.h"
#include "image/image.h"
#include "runtime/runtime.h"
#include "storage/storage.h"
#include "util/json.h"
#include "util/log.h"
#include "util/path.h"
#include "util/util.h"

char *engine_ctr_dir(struct engine *e, const char *id)
{
	return xasprintf("%s/containers/%s", e->root, id);
}

char *engine_run_dir(struct engine *e, const char *id)
{
	return xasprintf("%s/containers/%s", e->runroot, id);
}

char *engine_runtime_root(struct engine *e)
{
	return xasprintf("%s/runtime", e->runroot);
}

char *engine_volume_dir(struct engine *e, const char *name)
{
	return xasprintf("%s/volumes/%s", e->root, name);
}

void engine_create_opts_init(struct engine_create_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->stop_timeout = -1;
	o->memory_swappiness = -1;
}

/* 1: a monitor holds <runroot>/containers/<id>/monitor.lock; 0: none does. */
static int monitor_alive_in(const char *runroot, const char *id)
{
	_cleanup_free_ char *path = xasprintf("%s/containers/%s/monitor.lock", runroot, id);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	/* shared: waiters (engine_wait) hold LOCK_SH too; only the monitor
	 * holds LOCK_EX */
	if (flock(fd, LOCK_SH | LOCK_NB) == 0)
		return 0;
	return errno == EWOULDBLOCK ? 1 : 0;
}

/* A container of the root whose monitor lives under runroot (its name in
 * *name), or 0.  Every row: a starting one is still "created". */
static int live_under(struct engine *e, const char *runroot, char **name, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	sqlite3 *db;
	int r;

	if (store_db(e, &db, err) < 0 ||
	    db_prepare(db, "SELECT id, name FROM containers", &st, err) < 0)
		return -1;
	while ((r = db_step(st, "list containers", err)) == SQLITE_ROW) {
		if (monitor_alive_in(runroot, (const char *)sqlite3_column_text(st, 0))) {
			*name = db_column_strdup(st, 1);
			return 1;
		}
	}
	return r < 0 ? -1 : 0;
}

/* One root, one runroot at a time.  The monitors' locks live in the
 * runroot: from another one, every running container of the root looks
 * like one whose monitor died, and repair marked them "Exited (137)" while
 * they ran.  <root>/runroot names the runroot in use; another one takes
 * over only when no monitor lives under it (after a reboot, or a move),
 * else we refuse, naming both (as podman refuses a runroot its database did
 * not record).  The database's write lock makes the claim atomic; a start
 * claims again while it holds its own monitor lock, so a claim in between
 * either sees that lock or is seen by the start. */
static int runroot_claim(struct engine *e, struct hk_error **err)
{
	_cleanup_free_ char *path = path_join(e->root, "runroot");
	_cleanup_free_ char *mine = realpath(e->runroot, NULL);
	_cleanup_free_ char *theirs = NULL, *name = NULL;
	sqlite3 *db;
	int live;

	if (!mine)
		return hk_error_errno(err, "runroot %s", e->runroot);
	if (read_file_at(AT_FDCWD, path, PATH_MAX, &theirs, NULL, NULL) == 0 &&
	    !strcmp(theirs, mine))
		return 0;
	if (store_db(e, &db, err) < 0 || db_begin_immediate(db, err) < 0)
		return -1;
	free(theirs);
	theirs = NULL;
	if (read_file_at(AT_FDCWD, path, PATH_MAX, &theirs, NULL, NULL) == 0 &&
	    strcmp(theirs, mine)) {
		live = live_under(e, theirs, &name, err);
		if (live != 0) {
			db_rollback(db);
			if (live < 0)
				return -1;
			return hk_error_set(err, EBUSY,
					    "the root %s is in use with the runroot %s (container "
					    "%s runs from it), not %s: use --runroot %s, or stop "
					    "its containers first",
					    e->root, theirs, name, mine, theirs);
		}
	}
	if ((!theirs || strcmp(theirs, mine)) &&
	    write_file_atomic(path, mine, strlen(mine), 0600, err) < 0) {
		db_rollback(db);
		return -1;
	}
	return db_commit(db, err);
}

int engine_open(struct engine *e, const char *root, const char *runroot, struct hk_error **err)
{
	_cleanup_free_ char *cdir = NULL, *rdir = NULL;
	sqlite3 *db;

	memset(e, 0, sizeof(*e));
	e->root = xstrdup(root);
	e->runroot = xstrdup(runroot);
	cdir = xasprintf("%s/containers", root);
	rdir = xasprintf("%s/containers", runroot);
	if (mkdir_p(cdir, 0700, err) < 0 || mkdir_p(rdir, 0700, err) < 0 ||
	    store_db(e, &db, err) < 0 || runroot_claim(e, err) < 0 || engine_repair(e, err) < 0) {
		engine_close(e);
		return -1;
	}
	return 0;
}

void engine_close(struct engine *e)
{
	store_close(e);
	free(e->root);
	free(e->runroot);
	e->root = e->runroot = NULL;
}

int engine_lookup(struct engine *e, const char *ref, struct engine_container **out,
		  struct hk_error **err)
{
	return store_load(e, ref, out, err);
}

int engine_list(struct engine *e, struct engine_container ***out, size_t *n, struct hk_error **err)
{
	return store_list(e, out, n, err);
}

/* 1: a monitor holds the lock; 0: none does. */
int engine_monitor_alive(struct engine *e, const char *id)
{
	return monitor_alive_in(e->runroot, id);
}

int engine_bring_lo_up(pid_t pid, struct hk_error **err)
{
	_cleanup_free_ char *nspath = xasprintf("/proc/%d/ns/net", (int)pid);
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int s = -1;
	struct ifreq ifr = {0};

	/* A socket belongs to the network namespace it was made in: enter the
	 * container's just for socket(2), then come back (the monitor is one
	 * thread; no fork of this big process is needed). */
	if (self < 0 || nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0)
		return hk_error_errno(err, "enter network namespace of %d", (int)pid);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* staying in the container's namespace would be wrong for all
		 * that follows: there is no sane way on */
		log_error("return to the host network namespace: %s", strerror(errno));
		abort();
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return hk_error_errno(err, "loopback flags");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return hk_error_errno(err, "bring loopback up");
	return 0;
}

/* ------------------------------------------------------------ remove */

static int remove_volumes(struct engine *e, const char *id, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	sqlite3 *db;
	char **names = NULL;
	int r;

	if (store_db(e, &db, err) < 0)
		return -1;
	/* anonymous volumes no other container uses */
	if (db_prepare(
		    db,
		    "SELECT v.name FROM volumes v JOIN container_volumes cv ON cv.volume = v.name"
		    " WHERE cv.container_id = ? AND v.anonymous = 1 AND NOT EXISTS (SELECT 1"
		    " FROM container_volumes o WHERE o.volume = v.name AND o.container_id != ?)",
		    &st, err) < 0)
		return -1;
	db_bind_text(st, 1, id);
	db_bind_text(st, 2, id);
	while ((r = db_step(st, "list volumes", err)) == SQLITE_ROW)
		strv_push(&names, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	st = NULL;
	for (char **n = names; n && *n; n++) {
		_cleanup_free_ char *dir = engine_volume_dir(e, *n);
		rm_rf(dir, NULL);
		if (db_prepare(db, "DELETE FROM container_volumes WHERE volume = ?1", &st, NULL) ==
		    0) {
			db_bind_text(st, 1, *n);
			db_step(st, "unlink volume", NULL);
			sqlite3_finalize(st);
			st = NULL;
		}
		if (db_prepare(db, "DELETE FROM volumes WHERE name = ?1", &st, NULL) == 0) {
			db_bind_text(st, 1, *n);
			db_step(st, "delete volume", NULL);
			sqlite3_finalize(st);
			st = NULL;
		}
	}
	strv_free(names);
	return r < 0 ? -1 : 0;
}

/* Everything but the row: runtime state, cgroup, processes, rootfs, files. */
int engine_remove_files(struct engine *e, const struct engine_container *c, bool volumes,
			struct hk_error **err)
{
	_cleanup_free_ char *rt = engine_runtime_root(e);
	_cleanup_free_ char *cdir = engine_ctr_dir(e, c->id);
	_cleanup_free_ char *rdir = engine_run_dir(e, c->id);
	struct image_store *store = NULL;
	struct storage *s = NULL;

	runtime_delete(rt, c->id, true, NULL);
	engine_net_teardown(e, c->id, false);
	if (storage_open(e->root, NULL, &s, err) < 0)
		return hk_error_wrap(err, "remove container %s", c->name);
	if (storage_remove(s, c->id, err) < 0) {
		storage_close(s);
		return hk_error_wrap(err, "remove the rootfs of %s", c->name);
	}
	storage_close(s);
	if (image_store_open(e->root, &store, err) == 0) {
		image_user_remove(store, c->id, NULL);
		image_store_close(store);
	} else {
		hk_error_free(err);
	}
	if (volumes && remove_volumes(e, c->id, err) < 0)
		hk_error_free(err);
	if (rm_rf(cdir, err) < 0)
		return -1;
	spec_opts_cleanup(e, c->id);
	rm_rf(rdir, NULL);
	return 0;
}

/* ------------------------------------------------------------ rootfs mounts */

int engine_rootfs_mount(struct engine *e, const char *id, char **mp, struct hk_error **err)
{
	_cleanup_storage_ struct storage *s = NULL;

	if (storage_open(e->root, NULL, &s, err) < 0)
		return -1;
	return storage_mount(s, id, mp, err);
}

void engine_rootfs_unmount(struct engine *e, const char *id)
{
	_cleanup_storage_ struct storage *s = NULL;
	_cleanup_error_ struct hk_error *err = NULL;

	if (storage_open(e->root, NULL, &s, &err) < 0 || storage_unmount(s, id, &err) < 0)
		log_warn("container %s: unmount its rootfs: %s", id, hk_error_msg(err));
}

int engine_rootfs_hold(struct engine *e, const struct engine_container *c, bool *mounted,
		       struct hk_error **err)
{
	_cleanup_storage_ struct storage *s = NULL;
	_cleanup_free_ char *mp = NULL;

	*mounted = false;
	if (!c->rootfs)
		return hk_error_set(err, 0, "container %s has no root filesystem", c->name);
	if (storage_open(e->root, NULL, &s, err) < 0)
		return -1;
	if (storage_mounted(s, c->id))
		return 0;
	if (storage_mount(s, c->id, &mp, err) < 0)
		return hk_error_wrap(err, "mount the rootfs of %s", c->name);
	*mounted = true;
	return 0;
}

void engine_rootfs_release(struct engine *e, const struct engine_container *c, bool mounted)
{
	_cleanup_free_ char *rdir = NULL, *lock = NULL;
	_cleanup_close_ int fd = -1;

	if (!mounted)
		return;
	/* Unmount only when no monitor holds the container (nor a start is
	 * under way): one started meanwhile took our mount for its own. */
	rdir = engine_run_dir(e, c->id);
	lock = path_join(rdir, "monitor.lock");
	if (mkdir_p(rdir, 0700, NULL) < 0)
		return;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
		return;
	engine_rootfs_unmount(e, c->id);
}

/* ------------------------------------------------------------ repair */

static int repair_one(struct engine *e, const char *id, struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_free_ char *rt = engine_runtime_root(e);
	json_object *hc = NULL, *v;
	sqlite3 *db;
	int code = 255;

	if (store_db(e, &db, err) < 0)
		return -1;
	if (store_load_id(e, id, &c, err) < 0) {
		hk_error_free(err);
		return 0;
	}
	if (engine_monitor_alive(e, id))
		return 0;
	if (c->state == ENGINE_REMOVING) {
		if (engine_remove_files(e, c, false, err) < 0)
			return -1;
		return store_delete(e, id, err);
	}
	if (c->state != ENGINE_RUNNING && c->state != ENGINE_PAUSED &&
	    c->state != ENGINE_RESTARTING)
		return 0;
	log_debug("container %s: its monitor is gone; marking it exited", c->name);
	if (c->pid > 0 && kill(c->pid, 0) == 0)
		code = 137; /* still running: we kill it now */
	/* kills what is left in the cgroup, removes the cgroup and state */
	runtime_delete(rt, id, true, NULL);
	if (db_begin_immediate(db, err) < 0)
		return -1;
	if (engine_monitor_alive(e, id)) {
		db_rollback(db);
		return 0; /* restarted meanwhile */
	}
	if (store_update(
		    e, id,
		    "state = 'exited', pid = 0, monitor_pid = 0, exit_code = ?, finished_at = ?,"
		    " error = 'the container monitor died'",
		    "ii", err, (int64_t)code, engine_now()) < 0 ||
	    db_commit(db, err) < 0) {
		db_rollback(db);
		return -1;
	}
	engine_rootfs_unmount(e, id);
	json_object_object_get_ex(c->config, "HostConfig", &hc);
	if (json_object_object_get_ex(hc, "AutoRemove", &v) && json_object_get_boolean(v)) {
		if (engine_remove_files(e, c, true, err) < 0)
			return -1;
		return store_delete(e, id, err);
	}
	return 0;
}

int engine_repair(struct engine *e, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_strv_ char **ids = NULL;
	sqlite3 *db;
	int r;

	if (store_db(e, &db, err) < 0)
		return -1;
	if (db_prepare(db,
		       "SELECT id FROM containers WHERE state IN"
		       " ('running', 'paused', 'restarting', 'removing')",
		       &st, err) < 0)
		return -1;
	while ((r = db_step(st, "list containers", err)) == SQLITE_ROW)
		strv_push(&ids, (const char *)sqlite3_column_text(st, 0));
	if (r < 0)
		return -1;
	for (char **id = ids; id && *id; id++) {
		if (repair_one(e, *id, err) < 0) {
			log_warn("repair container %s: %s", *id, hk_error_msg(*err));
			hk_error_free(err);
		}
	}
	return 0;
}

/* ------------------------------------------------------------ create */

static int prepare_volumes(struct engine *e, struct engine_container *c, const char *rootfs,
			   struct hk_error **err)
{
	json_object *mounts = NULL;

	json_object_object_get_ex(c->config, "Mounts", &mounts);
	for (size_t i = 0; mounts && i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i), *v;
		const char *type =
			json_object_object_get_ex(m, "Type", &v) ? json_object_get_string(v) : "";
		const char *src =
			json_object_object_get_ex(m, "Source", &v) ? json_object_get_string(v) : "";
		if (!strcmp(type, "tmpfs"))
			continue; /* --mount type=tmpfs: mounted at start */
		if (!strcmp(type, "bind")) {
			struct stat st;
			/* Docker's -v creates a missing host directory */
			if (stat(src, &st) < 0 && mkdir_p(src, 0755, err) < 0)
				return hk_error_wrap(err, "-v %s", src);
			continue;
		}
		const char *name =
			json_object_object_get_ex(m, "Name", &v) ? json_object_get_string(v) : "";
		bool anon =
			json_object_object_get_ex(m, "Anonymous", &v) && json_object_get_boolean(v);
		if (mkdir_p(src, 0755, err) < 0)
			return hk_error_wrap(err, "volume %s", name);
		if (store_volume_create(e, name, anon, NULL, NULL, err) < 0 ||
		    store_volume_link(e, c->id, name, err) < 0)
			return -1;
		{
			_cleanup_json_ json_object *a = json_object_new_object();
			json_object_object_add(a, "container", json_object_new_string(c->id));
			json_object_object_add(
				a, "destination",
				json_object_new_string(
					json_object_object_get_ex(m, "Destination", &v)
						? json_object_get_string(v)
						: ""));
			json_object_object_add(a, "driver", json_object_new_string("local"));
			engine_event_record(e, "volume", "mount", name, a);
		}
		json_object_object_del(m, "Anonymous");
		bool nocopy =
			json_object_object_get_ex(m, "NoCopy", &v) && json_object_get_boolean(v);
		json_object_object_del(m, "NoCopy");
		/* Docker: an empty volume gets the image's files at its mount
		 * point, unless "nocopy" */
		const char *mode =
			json_object_object_get_ex(m, "Mode", &v) ? json_object_get_string(v) : "";
		const char *dst = json_object_object_get_ex(m, "Destination", &v)
					  ? json_object_get_string(v)
					  : NULL;
		if (dst && !nocopy && !strstr(mode, "nocopy") &&
		    engine_volume_copy_up(rootfs, dst, src, err) < 0)
			return hk_error_wrap(err, "volume %s", name);
	}
	return 0;
}

/* config.json is derived from the container's row: written atomically (a
 * reader never sees half of it) but not fsync'ed; engine_start() generates
 * it again when a power loss left it empty or torn. */

static int write_spec(struct engine *e, struct engine_container *c, const char *rootfs,
		      struct hk_error **err)
{
	_cleanup_json_ json_object *spec = NULL;
	_cleanup_free_ char *dir = engine_ctr_dir(e, c->id);
	_cleanup_free_ char *path = path_join(dir, "config.json");
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int rootfd = -1, wfd = -1;
	json_object *proc = NULL, *cwd = NULL;

	if (spec_write_etc_files(e, c, err) < 0)
		return -1;
	if (spec_generate(e, c, rootfs, &spec, err) < 0)
		return -1;
	/* Docker creates a missing working directory */
	json_object_object_get_ex(spec, "process", &proc);
	json_object_object_get_ex(proc, "cwd", &cwd);
	rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return hk_error_errno(err, "open rootfs %s", rootfs);
	wfd = path_mkdir_in_root(rootfd, json_object_get_string(cwd), 0755, err);
	if (wfd < 0)
		return hk_error_wrap(err, "working directory %s", json_object_get_string(cwd));
	text = json_to_string(spec, true);
	return write_file_replace(path, text, strlen(text), 0600, err);
}

static int do_create(struct engine *e, struct engine_container *c, struct image *img,
		     struct image_store *store, bool keep_mounted, struct hk_error **err)
{
	_cleanup_free_ char *dir = engine_ctr_dir(e, c->id);
	_cleanup_free_ char *mp = NULL;
	const char **chain = NULL;
	struct storage *s = NULL;
	int r;

	if (mkdir_p(dir, 0700, err) < 0)
		return -1;
	if (storage_open(e->root, NULL, &s, err) < 0)
		return -1;
	chain = xzalloc((img->n_layers + 1) * sizeof(*chain));
	for (size_t i = 0; i < img->n_layers; i++)
		chain[i] = img->layers[i].chain_id;
	r = storage_create_rootfs(s, chain, img->n_layers, c->id, &mp, err);
	free(chain);
	storage_close(s);
	if (r < 0)
		return hk_error_wrap(err, "create the rootfs");
	if (store_update(e, c->id, "rootfs = ?", "s", err, mp) < 0)
		return -1;
	if (image_user_add(store, img->id, c->id, err) < 0)
		return -1;
	if (prepare_volumes(e, c, mp, err) < 0 || write_spec(e, c, mp, err) < 0)
		return -1;
	/* a created container holds no mount: start mounts it (run keeps
	 * this one for the start that follows) */
	if (!keep_mounted)
		engine_rootfs_unmount(e, c->id);
	return 0;
}

#define NO_IMAGE_MSG "unable to find image "

bool engine_error_no_image(const struct hk_error *err)
{
	return err && err->errnum == ENOENT && str_has_prefix(hk_error_msg(err), NO_IMAGE_MSG);
}

int engine_create(struct engine *e, const struct engine_create_opts *o, char **id_out,
		  struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = xzalloc(sizeof(*c));
	struct image_store *store = NULL;
	struct image *img = NULL;
	struct image_config *ic = NULL;
	json_object *config = NULL;
	int r = -1;

	if (o->name && !engine_valid_name(o->name))
		return hk_error_set(err, 0,
				    "invalid container name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] "
				    "are allowed",
				    o->name);
	if (image_store_open(e->root, &store, err) < 0)
		return -1;
	if (image_lookup(store, o->image, &img, err) < 0) {
		if (*err && (*err)->errnum == ENOENT)
			hk_error_set(err, ENOENT,
				     NO_IMAGE_MSG "'%s' locally (pull it or build it "
						  "first)",
				     o->image);
		goto out;
	}
	if (image_config(img, &ic, err) < 0) {
		hk_error_wrap(err, "image %s", o->image);
		goto out;
	}
	c->id = engine_new_id();
	if (spec_build_config(e, o, ic, c->id, &config, err) < 0)
		goto out;
	c->config = config;
	c->image = xstrdup(o->image);
	c->image_id = xstrdup(img->id);
	c->state = ENGINE_CREATED;
	c->created = engine_now();
	for (int attempt = 0;; attempt++) {
		free(c->name);
		c->name = o->name ? xstrdup(o->name) : engine_random_name();
		if (store_insert(e, c, err) == 0)
			break;
		/* a generated name that is taken: pick another */
		if (o->name || attempt > 20 || !*err || (*err)->errnum != EEXIST)
			goto out;
		hk_error_free(err);
	}
	if (do_create(e, c, img, store, o->keep_mounted, err) < 0) {
		struct hk_error *e2 = NULL;
		engine_remove_files(e, c, true, &e2);
		hk_error_free(&e2);
		store_delete(e, c->id, NULL);
		goto out;
	}
	engine_event(e, c, "create", NULL, NULL);
	*id_out = xstrdup(c->id);
	r = 0;
out:
	image_config_free(ic);
	image_free(img);
	image_store_close(store);
	return r;
}

/* ------------------------------------------------------------ start */

static int read_spec(struct engine *e, const char *id, json_object **spec, struct hk_error **err)
{
	_cleanup_free_ char *dir = engine_ctr_dir(e, id);
	_cleanup_free_ char *path = path_join(dir, "config.json");

	return json_parse_file(path, 64 << 20, spec, err);
}

/* Take a container's monitor lock.  A monitor that recorded the exit still
 * holds it for a moment while it hands the code to its clients and goes:
 * `start -a` returns on that code, so a `start` right after must wait for
 * it (up to 10 s), not call the container running. */
static int flock_finishing_monitor(int fd, const struct engine_container *c)
{
	unsigned long long deadline = now_ns() + 10000000000ULL;
	long step = 1;

	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK ||
		    (c->state != ENGINE_EXITED && c->state != ENGINE_CREATED) ||
		    now_ns() >= deadline)
			return -1;
		sleep_ms(step);
		if (step < 20)
			step *= 2;
	}
	return 0;
}

int engine_start(struct engine *e, const char *ref, int attach_fd, int *exec_status,
		 struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_json_ json_object *spec = NULL;
	_cleanup_free_ char *rdir = NULL, *lock = NULL, *mp = NULL;
	_cleanup_close_ int lock_fd = -1;
	int sync[2];
	pid_t pid;
	int32_t status = 0;

	*exec_status = 125;
	if (engine_lookup(e, ref, &c, err) < 0)
		return -1;
	if (c->state == ENGINE_REMOVING || c->state == ENGINE_DEAD)
		return hk_error_set(err, 0, "container %s is being removed", c->name);
	rdir = engine_run_dir(e, c->id);
	if (mkdir_p(rdir, 0700, err) < 0)
		return -1;
	lock = path_join(rdir, "monitor.lock");
	lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd < 0)
		return hk_error_errno(err, "open %s", lock);
	if (flock_finishing_monitor(lock_fd, c) < 0) {
		if (errno == EWOULDBLOCK)
			return hk_error_set(err, 0, "container %s is already running", c->name);
		return hk_error_errno(err, "lock %s", lock);
	}
	/* under our lock: a runroot that took the root over since our open
	 * fails here, or sees this lock and refuses (runroot_claim) */
	if (runroot_claim(e, err) < 0)
		return -1;
	/* mounted from here until the container stops (the monitor unmounts
	 * it then); a leftover mount is reused, never stacked */
	if (engine_rootfs_mount(e, c->id, &mp, err) < 0)
		return hk_error_wrap(err, "mount the rootfs of %s", c->name);
	if (spec_opts_prepare_start(e, c, err) < 0) {
		hk_error_wrap(err, "start %s", c->name);
		goto fail;
	}
	if (read_spec(e, c->id, &spec, NULL) < 0 &&
	    (write_spec(e, c, mp, err) < 0 || read_spec(e, c->id, &spec, err) < 0)) {
		hk_error_wrap(err, "the OCI configuration of %s", c->name);
		goto fail;
	}
	{
		struct hk_error *cerr = NULL;
		int k = spec_check_command(spec, mp, &cerr);
		if (k) {
			*exec_status = k;
			store_update(e, c->id, "error = ?", "s", NULL, hk_error_msg(cerr));
			*err = cerr;
			goto fail;
		}
	}
	if (store_update(e, c->id, "stop_requested = 0, restart_count = 0", "", err) < 0)
		goto fail;
	/* no SQLite handle may cross a fork */
	store_close(e);
	if (pipe2(sync, O_CLOEXEC) < 0) {
		hk_error_errno(err, "pipe");
		goto fail;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(sync[0]);
		close(sync[1]);
		hk_error_errno(err, "fork the monitor");
		goto fail;
	}
	if (pid == 0) {
		struct monitor_args a = {
			.e = e,
			.c = steal_ptr(&c),
			.attach_fd = attach_fd,
			.sync_fd = sync[1],
			.lock_fd = steal_fd(&lock_fd),
		};
		close(sync[0]);
		monitor_main(&a);
	}
	close(sync[1]);
	/* the monitor holds the lock now (same open file description) */
	ssize_t n = read_all(sync[0], &status, sizeof(status));
	if (n != sizeof(status)) {
		close(sync[0]);
		waitpid(pid, NULL, 0);
		hk_error_set(err, 0, "the monitor of %s died while starting it", c->name);
		goto fail;
	}
	if (status) {
		hk_error_recv(sync[0], err); /* < 0 when an error came: that is expected */
		if (!*err)
			hk_error_set(err, 0, "starting %s failed", c->name);
		close(sync[0]);
		*exec_status = status;
		/* A failed monitor reports, then exits: until it has, it holds
		 * the lock, and `run --rm` removing the container right now
		 * took it for "started again meanwhile" and left it Created.
		 * It is our child and exits at once: wait for it. */
		waitpid(pid, NULL, 0);
		goto fail;
	}
	close(sync[0]);
	*exec_status = 0;
	return 0;
fail:
	/* still under our monitor.lock: no start can race this */
	engine_rootfs_unmount(e, c->id);
	return -1;
}
