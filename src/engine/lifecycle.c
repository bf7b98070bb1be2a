/* hako engine: stop, kill, pause, rm, wait, rename, top. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "engine/internal.h"
#include "runtime/runtime.h"
#include "util/path.h"
#include "util/util.h"

/* Wait up to timeout_ms (< 0: forever) for the monitor to be gone. */
static bool wait_monitor_gone(struct engine *e, const char *id, long timeout_ms)
{
	unsigned long long deadline = now_ns() + (unsigned long long)timeout_ms * 1000000ULL;
	long step = 2;

	while (engine_monitor_alive(e, id)) {
		if (timeout_ms >= 0 && now_ns() >= deadline)
			return false;
		sleep_ms(step);
		if (step < 50)
			step *= 2;
	}
	return true;
}

static bool is_live(struct engine *e, const struct engine_container *c)
{
	return (c->state == ENGINE_RUNNING || c->state == ENGINE_PAUSED ||
		c->state == ENGINE_RESTARTING) &&
	       engine_monitor_alive(e, c->id);
}

static const char *cfg_str2(json_object *o, const char *k1, const char *k2)
{
	json_object *a = NULL, *b = NULL;
	if (!json_object_object_get_ex(o, k1, &a) || !json_object_object_get_ex(a, k2, &b))
		return NULL;
	return json_object_get_string(b);
}

int engine_stop(struct engine *e, const char *ref, int timeout, bool *killed, struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_free_ char *rt = engine_runtime_root(e);
	const char *ss;
	int sig;

	*killed = false;
	if (engine_lookup(e, ref, &c, err) < 0)
		return -1;
	if (!is_live(e, c))
		return 0; /* stopping a stopped container is fine, as Docker */
	if (timeout < 0) {
		json_object *cfg = NULL, *v;
		json_object_object_get_ex(c->config, "Config", &cfg);
		timeout = json_object_object_get_ex(cfg, "StopTimeout", &v) ? json_object_get_int(v)
									    : 10;
	}
	ss = cfg_str2(c->config, "Config", "StopSignal");
	sig = engine_parse_signal(ss ? ss : "SIGTERM");
	if (sig < 0)
		sig = SIGTERM;
	if (store_update(e, c->id, "stop_requested = 1", "", err) < 0)
		return -1;
	{
		char sb[16];
		snprintf(sb, sizeof(sb), "%d", sig);
		engine_event(e, c, "kill", "signal", sb);
	}
	store_close(e);
	runtime_kill(rt, c->id, sig, false, NULL);
	/* a frozen process gets its signal only when thawed */
	if (c->state == ENGINE_PAUSED)
		runtime_resume(rt, c->id, NULL);
	if (!wait_monitor_gone(e, c->id, (long)timeout * 1000)) {
		*killed = true;
		engine_event(e, c, "kill", "signal", "9");
		store_close(e);
		runtime_kill(rt, c->id, SIGKILL, true, NULL);
		if (!wait_monitor_gone(e, c->id, 30000))
			return hk_error_set(err, 0, "container %s did not stop even after SIGKILL",
					    c->name);
	}
	engine_event(e, c, "stop", NULL, NULL);
	return 0;
}

int engine_kill(struct engine *e, const char *ref, int sig, struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_free_ char *rt = engine_runtime_root(e);

	if (engine_lookup(e, ref, &c, err) < 0)
		return -1;
	if (!is_live(e, c))
		return hk_error_set(err, 0, "cannot kill container %s: it is not running", c->name);
	/* a container killed by the user is not restarted by its policy */
	if (sig == SIGKILL || sig == SIGTERM || sig == SIGINT || sig == SIGQUIT)
		if (store_update(e, c->id, "stop_requested = 1", "", err) < 0)
			return -1;
	if (runtime_kill(rt, c->id, sig, false, err) < 0)
		return hk_error_wrap(err, "kill %s", c->name);
	{
		char sb[16];
		snprintf(sb, sizeof(sb), "%d", sig);
		engine_event(e, c, "kill", "signal", sb);
	}
	if (sig == SIGKILL) {
		/* return when the exit is recorded, so `ps` right after shows it */
		store_close(e);
		wait_monitor_gone(e, c->id, 10000);
	}
	return 0;
}

int engine_pause(struct engine *e, const char *ref, bool pause, struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_free_ char *rt = engine_runtime_root(e);
	sqlite3 *db;

	if (engine_lookup(e, ref, &c, err) < 0)
		return -1;
	if (!is_live(e, c))
		return hk_error_set(err, 0, "container %s is not running", c->name);
	if (pause && c->state == ENGINE_PAUSED)
		return hk_error_set(err, 0, "container %s is already paused", c->name);
	if (!pause && c->state != ENGINE_PAUSED)
		return hk_error_set(err, 0, "container %s is not paused", c->name);
	if ((pause ? runtime_pause(rt, c->id, err) : runtime_resume(rt, c->id, err)) < 0)
		return hk_error_wrap(err, "%s %s", pause ? "pause" : "unpause", c->name);
	if (store_db(e, &db, err) < 0)
		return -1;
	/* only while it still runs: the monitor may have recorded an exit */
	if (store_update(e, c->id,
			 "state = CASE WHEN state IN ('running','paused') THEN ? ELSE state END",
			 "s", err, pause ? "paused" : "running") < 0)
		return -1;
	engine_event(e, c, pause ? "pause" : "unpause", NULL, NULL);
	return 0;
}

int engine_remove(struct engine *e, const char *ref, bool force, bool volumes,
		  struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_free_ char *rt = engine_runtime_root(e);
	sqlite3 *db;

	if (engine_lookup(e, ref, &c, err) < 0)
		return -1;
	if (is_live(e, c)) {
		if (!force)
			return hk_error_set(err, 0,
					    "cannot remove container %s: it is running; stop it "
					    "first or use -f",
					    c->name);
		if (store_update(e, c->id, "stop_requested = 1", "", err) < 0)
			return -1;
		store_close(e);
		runtime_kill(rt, c->id, SIGKILL, true, NULL);
		if (c->state == ENGINE_PAUSED)
			runtime_resume(rt, c->id, NULL);
		if (!wait_monitor_gone(e, c->id, 30000))
			return hk_error_set(err, 0, "container %s did not stop", c->name);
	} else if (engine_monitor_alive(e, c->id)) {
		/* not running but its monitor is still there: one on its way
		 * out after an exit or a failed start (it records the state,
		 * hands the code to its clients, then goes), which run --rm and
		 * a build's step remove right away */
		wait_monitor_gone(e, c->id, 10000);
	}
	/* the intent first: a crash from here on is finished by repair */
	if (store_db(e, &db, err) < 0 || db_begin_immediate(db, err) < 0)
		return -1;
	if (engine_monitor_alive(e, c->id)) {
		db_rollback(db);
		return hk_error_set(err, 0, "container %s was started again meanwhile", c->name);
	}
	if (store_set_state(e, c->id, ENGINE_REMOVING, err) < 0 || db_commit(db, err) < 0) {
		db_rollback(db);
		return -1;
	}
	if (engine_remove_files(e, c, volumes, err) < 0)
		return -1;
	if (store_delete(e, c->id, err) < 0)
		return -1;
	engine_event(e, c, "destroy", NULL, NULL);
	return 0;
}

int engine_wait(struct engine *e, const char *ref, int *code, struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_free_ char *id = NULL;

	if (engine_lookup(e, ref, &c, err) < 0)
		return -1;
	id = xstrdup(c->id);
	if (is_live(e, c)) {
		_cleanup_free_ char *dir = engine_run_dir(e, id);
		_cleanup_free_ char *lock = path_join(dir, "monitor.lock");
		_cleanup_close_ int fd = open(lock, O_RDONLY | O_CLOEXEC);
		store_close(e);
		/* blocks until the monitor (LOCK_EX holder) is gone */
		if (fd >= 0) {
			while (flock(fd, LOCK_SH) < 0 && errno == EINTR)
				;
			flock(fd, LOCK_UN);
		}
		engine_container_freep(&c);
		if (engine_lookup(e, id, &c, err) < 0)
			return -1;
	}
	*code = c->exit_code;
	return 0;
}

int engine_rename(struct engine *e, const char *ref, const char *name, struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_container_ struct engine_container *other = NULL;

	if (!engine_valid_name(name))
		return hk_error_set(err, 0, "invalid container name \"%s\"", name);
	if (engine_lookup(e, ref, &c, err) < 0)
		return -1;
	if (store_load(e, name, &other, NULL) == 0 && !strcmp(other->name, name))
		return hk_error_set(err, EEXIST, "the name \"%s\" is already in use by %.12s", name,
				    other->id);
	if (store_update(e, c->id, "name = ?", "s", err, name) < 0)
		return -1;
	{
		_cleanup_free_ char *old = c->name;
		c->name = xstrdup(name);
		engine_event(e, c, "rename", "oldName", old);
	}
	return 0;
}

int engine_pids(struct engine *e, const char *ref, pid_t **pids, size_t *n, struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_free_ char *rt = engine_runtime_root(e);

	if (engine_lookup(e, ref, &c, err) < 0)
		return -1;
	if (!is_live(e, c))
		return hk_error_set(err, 0, "container %s is not running", c->name);
	return runtime_pids(rt, c->id, pids, n, err);
}
