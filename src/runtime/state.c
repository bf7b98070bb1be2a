/* hako runtime: the container state under <state_root>/<id>/. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "runtime/internal.h"
#include "util/json.h"
#include "util/log.h"
#include "util/path.h"
#include "util/util.h"

int rt_check_id(const char *id, struct hk_error **err)
{
	size_t n = strlen(id);

	if (!n || n > 256 || !strcmp(id, ".") || !strcmp(id, ".."))
		return hk_error_set(err, 0, "invalid container id \"%s\"", id);
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_.+-", *p)))
			return hk_error_set(err, 0,
					    "invalid container id \"%s\": only letters, digits "
					    "and _.+- are allowed",
					    id);
	return 0;
}

char *rt_state_dir(const char *state_root, const char *id)
{
	return path_join(state_root, id);
}

int rt_proc_start_time(pid_t pid, unsigned long long *out)
{
	char path[64], buf[1024];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: skip to the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	p++;
	/* fields 3..21 then starttime (22) */
	for (int field = 3; field <= 22; field++) {
		while (*p == ' ')
			p++;
		if (field == 3 && *p == 'Z')
			return -1; /* a zombie has exited already */
		if (field == 22)
			return sscanf(p, "%llu", out) == 1 ? 0 : -1;
		while (*p && *p != ' ')
			p++;
	}
	return -1;
}

bool rt_pid_alive(pid_t pid, unsigned long long start_time)
{
	unsigned long long st;

	if (pid <= 0)
		return false;
	if (rt_proc_start_time(pid, &st) < 0)
		return false;
	return !start_time || st == start_time;
}

int container_load(const char *state_root, const char *id, struct rt_container *c,
		   struct hk_error **err)
{
	_cleanup_free_ char *path = NULL;
	json_object *cg = NULL;
	int64_t v = 0;
	uint64_t st = 0;

	memset(c, 0, sizeof(*c));
	if (rt_check_id(id, err) < 0)
		return -1;
	c->id = xstrdup(id);
	c->dir = rt_state_dir(state_root, id);
	path = xasprintf("%s/state.json", c->dir);
	if (access(c->dir, F_OK) < 0) {
		container_free(c);
		return hk_error_set(err, ENOENT, "container \"%s\" does not exist", id);
	}
	if (json_parse_file(path, 1 << 20, &c->json, err) < 0) {
		container_free(c);
		return hk_error_wrap(err, "container \"%s\"", id);
	}
	if (json_get_int64(c->json, "state", "pid", &v, err) < 0 ||
	    json_get_uint64(c->json, "state", "startTime", &st, err) < 0 ||
	    json_get_string(c->json, "state", "bundle", &c->bundle, err) < 0 ||
	    json_get_object(c->json, "state", "cgroup", &cg, err) < 0) {
		container_free(c);
		return hk_error_wrap(err, "%s", path);
	}
	c->pid = (pid_t)v;
	c->start_time = st;
	if (cg && cgroup_from_json(cg, &c->cg, err) < 0) {
		container_free(c);
		return hk_error_wrap(err, "%s: cgroup", path);
	}
	return 0;
}

void container_free(struct rt_container *c)
{
	free(c->id);
	free(c->dir);
	if (c->json)
		json_object_put(c->json);
	if (c->cg)
		cgroup_free(c->cg);
	memset(c, 0, sizeof(*c));
}

enum rt_status container_status(struct rt_container *c)
{
	_cleanup_free_ char *fifo = NULL;
	_cleanup_error_ struct hk_error *e = NULL;
	bool frozen = false;

	if (!rt_pid_alive(c->pid, c->start_time))
		return RT_STOPPED;
	fifo = xasprintf("%s/exec.fifo", c->dir);
	if (access(fifo, F_OK) == 0)
		return RT_CREATED;
	if (c->cg && cgroup_is_frozen(c->cg, &frozen, &e) == 0 && frozen)
		return RT_PAUSED;
	return RT_RUNNING;
}

const char *rt_status_name(enum rt_status s)
{
	static const char *const names[] = {"creating", "created", "running", "paused", "stopped"};
	return names[s];
}

json_object *container_state_json(struct rt_container *c, enum rt_status st)
{
	static const char *const keys[] = {"ociVersion", "id",	    "bundle",
					   "rootfs",	 "created", "owner"};
	json_object *o = json_object_new_object(), *v;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (json_object_object_get_ex(c->json, keys[i], &v))
			json_object_object_add(o, keys[i], json_object_get(v));
	json_object_object_add(o, "status", json_object_new_string(rt_status_name(st)));
	if (st != RT_STOPPED)
		json_object_object_add(o, "pid", json_object_new_int(c->pid));
	else
		json_object_object_add(o, "pid", json_object_new_int(0));
	if (json_object_object_get_ex(c->json, "annotations", &v))
		json_object_object_add(o, "annotations", json_object_get(v));
	return o;
}
