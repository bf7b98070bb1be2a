/* hako runtime: start, state, list, kill, delete, pause, resume, ps, update. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "runtime/internal.h"
#include "util/json.h"
#include "util/log.h"
#include "util/util.h"

void runtime_opts_init(struct runtime_opts *opts, const char *state_root)
{
	memset(opts, 0, sizeof(*opts));
	opts->state_root = state_root;
	opts->cgroup_manager = RUNTIME_CGROUP_CGROUPFS;
	for (int i = 0; i < 3; i++)
		opts->stdio_fds[i] = opts->relay_fds[i] = -1;
}

static char *state_string(struct rt_container *c, enum rt_status st)
{
	_cleanup_json_ json_object *o = container_state_json(c, st);
	return json_to_string(o, false);
}

static int run_saved_hooks(struct rt_container *c, const char *kind, enum rt_status st,
			   bool warn_only, struct hk_error **err)
{
	json_object *hooks = NULL, *arr = NULL;
	struct rt_hooks h;
	_cleanup_error_ struct hk_error *e = NULL;
	_cleanup_free_ char *state = NULL;

	int r;

	if (!json_object_object_get_ex(c->json, "hooks", &hooks) ||
	    !json_object_object_get_ex(hooks, kind, &arr))
		return 0;
	if (hooks_from_json(arr, &h, &e) < 0) {
		log_warn("%s hooks: %s", kind, hk_error_msg(e));
		hooks_free(&h);
		return -1;
	}
	state = state_string(c, st);
	r = hooks_run(&h, kind, state, -1, warn_only ? &e : err);
	if (r < 0 && warn_only)
		log_warn("%s", hk_error_msg(e));
	hooks_free(&h);
	return r;
}

static void wait_exit(pid_t pid, unsigned long long start_time);
static int delete_container(struct rt_container *c, enum rt_status st, struct hk_error **err);

/* The init got the start byte: it runs the startContainer hooks and execs,
 * holding the fifo open until execve closes it.  EOF is success; an error
 * report in between is the hooks' or exec's failure, and the init is gone. */
static int start_finish(struct rt_container *c, int fifo, struct hk_error **err)
{
	int flags = fcntl(fifo, F_GETFL);

	if (flags < 0 || fcntl(fifo, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		hk_error_errno(err, "start: exec fifo");
		container_free(c);
		return -1;
	}
	if (hk_error_recv(fifo, err) < 0) {
		hk_error_wrap(err, "start: container \"%s\"", c->id);
		container_free(c);
		return -1;
	}
	/* poststart: after the program is executed (config.md).  A failure
	 * is a warning, and the container is killed and deleted, as crun
	 * does: nothing is left running that its hooks did not accept. */
	if (run_saved_hooks(c, "poststart", RT_RUNNING, true, err) < 0) {
		_cleanup_error_ struct hk_error *e = NULL;
		log_warn("container \"%s\": a poststart hook failed: deleting it", c->id);
		if (delete_container(c, RT_RUNNING, &e) < 0)
			log_warn("%s", hk_error_msg(e));
		return 0;
	}
	container_free(c);
	return 0;
}

int runtime_start(const char *state_root, const char *id, struct hk_error **err)
{
	struct rt_container c;
	_cleanup_close_ int fifo = -1, pidfd = -1;
	_cleanup_free_ char *path = NULL;
	enum rt_status st;
	char b;

	if (container_load(state_root, id, &c, err) < 0)
		return hk_error_wrap(err, "start");
	st = container_status(&c);
	if (st != RT_CREATED) {
		container_free(&c);
		return hk_error_set(err, 0, "start: container \"%s\" is %s, not created", id,
				    rt_status_name(st));
	}
	/* The pidfd first, while the init is blocked in open(exec.fifo) and so
	 * alive: opening the fifo for reading releases it, and a short program
	 * ("true") may then run, exit and be reaped by the caller's subreaper
	 * (containerd's shim) before a later pidfd_open(), which failed with
	 * ESRCH although the start had worked.  ESRCH here (or a pid reused
	 * since create) means the init died before the start. */
	pidfd = rt_pidfd_open(c.pid);
	if (pidfd < 0 && errno != ESRCH) {
		hk_error_errno(err, "start: open pidfd of pid %d", (int)c.pid);
		container_free(&c);
		return -1;
	}
	if (pidfd < 0 || !rt_pid_alive(c.pid, c.start_time)) {
		container_free(&c);
		return hk_error_set(err, 0, "start: container \"%s\" init exited before start", id);
	}
	path = xasprintf("%s/exec.fifo", c.dir);
	fifo = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fifo < 0) {
		hk_error_errno(err, "start: open %s", path);
		container_free(&c);
		return -1;
	}
	/* the init, blocked in open(O_WRONLY), now writes one byte; if it
	 * dies instead, the pidfd tells (no polling of /proc) */
	for (;;) {
		struct pollfd p[2] = {{.fd = fifo, .events = POLLIN},
				      {.fd = pidfd, .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			hk_error_errno(err, "start: poll");
			break;
		}
		if (p[0].revents & POLLIN) {
			if (read(fifo, &b, 1) == 1) {
				unlink(path);
				return start_finish(&c, fifo, err);
			}
		}
		if (p[1].revents & POLLIN) {
			hk_error_set(err, 0, "start: container \"%s\" init exited before start",
				     id);
			break;
		}
	}
	container_free(&c);
	return -1;
}

int runtime_state(const char *state_root, const char *id, json_object **out, struct hk_error **err)
{
	struct rt_container c;

	if (container_load(state_root, id, &c, err) < 0)
		return hk_error_wrap(err, "state");
	*out = container_state_json(&c, container_status(&c));
	container_free(&c);
	return 0;
}

int runtime_list(const char *state_root, json_object **out, struct hk_error **err)
{
	_cleanup_dir_ DIR *d = opendir(state_root);
	json_object *arr = json_object_new_array();
	struct dirent *de;

	if (!d) {
		if (errno == ENOENT) {
			*out = arr;
			return 0;
		}
		json_object_put(arr);
		return hk_error_errno(err, "list: open %s", state_root);
	}
	while ((de = readdir(d))) {
		_cleanup_error_ struct hk_error *e = NULL;
		struct rt_container c;
		if (de->d_name[0] == '.' || rt_check_id(de->d_name, NULL) < 0)
			continue;
		if (container_load(state_root, de->d_name, &c, &e) < 0)
			continue; /* being created or deleted */
		json_object_array_add(arr, container_state_json(&c, container_status(&c)));
		container_free(&c);
	}
	*out = arr;
	return 0;
}

int runtime_kill(const char *state_root, const char *id, int sig, bool all, struct hk_error **err)
{
	struct rt_container c;
	_cleanup_close_ int pidfd = -1;
	enum rt_status st;
	int r = 0;

	if (container_load(state_root, id, &c, err) < 0)
		return hk_error_wrap(err, "kill");
	st = container_status(&c);
	if (st == RT_STOPPED && !all) {
		container_free(&c);
		return hk_error_set(err, ESRCH, "kill: container \"%s\" is not running", id);
	}
	if (all && c.cg) {
		r = cgroup_kill(c.cg, sig, err);
		if (r < 0)
			hk_error_wrap(err, "kill");
		container_free(&c);
		return r;
	}
	/* a pidfd pins the process: check it is still ours, then signal it */
	pidfd = rt_pidfd_open(c.pid);
	if (pidfd < 0 || !rt_pid_alive(c.pid, c.start_time)) {
		container_free(&c);
		return hk_error_set(err, ESRCH, "kill: container \"%s\" is not running", id);
	}
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		r = hk_error_errno(err, "kill: signal %d to pid %d", sig, (int)c.pid);
	container_free(&c);
	return r;
}

static void wait_exit(pid_t pid, unsigned long long start_time)
{
	_cleanup_close_ int pidfd = rt_pidfd_open(pid);
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	if (pidfd < 0 || !rt_pid_alive(pid, start_time))
		return;
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	while (poll(&p, 1, 10000) < 0 && errno == EINTR)
		;
}

int runtime_delete(const char *state_root, const char *id, bool force, struct hk_error **err)
{
	struct rt_container c;
	enum rt_status st;

	if (container_load(state_root, id, &c, err) < 0) {
		/* a create that died half-way leaves a dir without a state */
		_cleanup_free_ char *dir = NULL;
		if (!force || rt_check_id(id, NULL) < 0)
			return hk_error_wrap(err, "delete");
		dir = rt_state_dir(state_root, id);
		if (access(dir, F_OK) < 0)
			return hk_error_wrap(err, "delete");
		hk_error_free(err);
		return rm_rf(dir, err);
	}
	st = container_status(&c);
	if ((st == RT_RUNNING || st == RT_PAUSED) && !force) {
		container_free(&c);
		return hk_error_set(err, 0,
				    "delete: container \"%s\" is %s: stop it first or use --force",
				    id, rt_status_name(st));
	}
	return delete_container(&c, st, err);
}

/* Kill what is left, destroy the cgroup, run the poststop hooks, remove the
 * state directory; frees c. */
static int delete_container(struct rt_container *c, enum rt_status st, struct hk_error **err)
{
	if (st == RT_PAUSED && c->cg) {
		/* a frozen task (v1 freezer) does not die of SIGKILL until it is
		 * thawed: kill, then thaw, then wait */
		if (rt_pid_alive(c->pid, c->start_time))
			kill(c->pid, SIGKILL);
		cgroup_kill(c->cg, SIGKILL, NULL);
		cgroup_freeze(c->cg, false, NULL);
	}
	if (st != RT_STOPPED)
		wait_exit(c->pid, c->start_time);
	if (c->cg && cgroup_destroy(c->cg, err) < 0) {
		container_free(c);
		return hk_error_wrap(err, "delete");
	}
	run_saved_hooks(c, "poststop", RT_STOPPED, true, err);
	if (rm_rf(c->dir, err) < 0) {
		container_free(c);
		return hk_error_wrap(err, "delete");
	}
	container_free(c);
	return 0;
}

static int freeze(const char *state_root, const char *id, bool frozen, struct hk_error **err)
{
	const char *what = frozen ? "pause" : "resume";
	struct rt_container c;
	enum rt_status st;
	int r;

	if (container_load(state_root, id, &c, err) < 0)
		return hk_error_wrap(err, "%s", what);
	st = container_status(&c);
	if (st != (frozen ? RT_RUNNING : RT_PAUSED) && !(frozen && st == RT_CREATED)) {
		container_free(&c);
		return hk_error_set(err, 0, "%s: container \"%s\" is %s", what, id,
				    rt_status_name(st));
	}
	if (!c.cg) {
		container_free(&c);
		return hk_error_set(err, 0, "%s: container \"%s\" has no cgroup", what, id);
	}
	r = cgroup_freeze(c.cg, frozen, err);
	container_free(&c);
	return r < 0 ? hk_error_wrap(err, "%s", what) : 0;
}

int runtime_pause(const char *state_root, const char *id, struct hk_error **err)
{
	return freeze(state_root, id, true, err);
}

int runtime_resume(const char *state_root, const char *id, struct hk_error **err)
{
	return freeze(state_root, id, false, err);
}

int runtime_pids(const char *state_root, const char *id, pid_t **pids, size_t *n,
		 struct hk_error **err)
{
	struct rt_container c;
	int r = 0;

	if (container_load(state_root, id, &c, err) < 0)
		return hk_error_wrap(err, "ps");
	*pids = NULL;
	*n = 0;
	if (c.cg) {
		r = cgroup_pids(c.cg, pids, n, err);
	} else if (container_status(&c) != RT_STOPPED) {
		*pids = xmalloc(sizeof(pid_t));
		(*pids)[0] = c.pid;
		*n = 1;
	}
	container_free(&c);
	return r < 0 ? hk_error_wrap(err, "ps") : 0;
}

int runtime_oom_kills(const char *state_root, const char *id, uint64_t *n, struct hk_error **err)
{
	struct cgroup_stats st = {0};
	struct rt_container c;
	int r = 0;

	*n = 0;
	if (container_load(state_root, id, &c, err) < 0)
		return hk_error_wrap(err, "oom kills");
	if (c.cg)
		r = cgroup_stats(c.cg, &st, err);
	container_free(&c);
	if (r < 0)
		return hk_error_wrap(err, "oom kills");
	*n = st.oom_kills;
	return 0;
}

int runtime_update(const char *state_root, const char *id, json_object *resources,
		   struct hk_error **err)
{
	struct rt_container c;
	int r;

	if (container_load(state_root, id, &c, err) < 0)
		return hk_error_wrap(err, "update");
	if (!c.cg) {
		container_free(&c);
		return hk_error_set(err, 0, "update: container \"%s\" has no cgroup", id);
	}
	r = cgroup_update(c.cg, resources, err);
	container_free(&c);
	return r < 0 ? hk_error_wrap(err, "update") : 0;
}
