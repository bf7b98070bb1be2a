/* hako engine: Docker's inspect document for a container. */
#include <string.h>

#include "engine/internal.h"
#include "util/path.h"
#include "util/util.h"

static json_object *jtime(int64_t ns)
{
	_cleanup_free_ char *s = engine_format_time(ns);
	return json_object_new_string(s);
}

json_object *engine_inspect_json(struct engine *e, const struct engine_container *c)
{
	json_object *o = json_object_new_object(), *st = json_object_new_object();
	json_object *cfg = NULL, *hc = NULL, *mounts = NULL, *args = json_object_new_array();
	json_object *gd = json_object_new_object(), *gdd = json_object_new_object();
	json_object *ns = json_object_new_object(), *v;
	_cleanup_free_ char *dir = engine_ctr_dir(e, c->id);
	_cleanup_free_ char *name = xasprintf("/%s", c->name);
	bool running = c->state == ENGINE_RUNNING || c->state == ENGINE_PAUSED;
	const char *path = "";
	bool first = true;

	json_object_object_get_ex(c->config, "Config", &cfg);
	json_object_object_get_ex(c->config, "HostConfig", &hc);
	json_object_object_get_ex(c->config, "Mounts", &mounts);
	json_object_object_add(o, "Id", json_object_new_string(c->id));
	json_object_object_add(o, "Created", jtime(c->created));
	{
		const char *keys[] = {"Entrypoint", "Cmd"};
		for (size_t k = 0; k < 2; k++) {
			if (!json_object_object_get_ex(cfg, keys[k], &v) || !v)
				continue;
			for (size_t i = 0; i < json_object_array_length(v); i++) {
				json_object *a = json_object_array_get_idx(v, i);
				if (first) {
					path = json_object_get_string(a);
					first = false;
				} else {
					json_object_array_add(args, json_object_get(a));
				}
			}
		}
	}
	json_object_object_add(o, "Path", json_object_new_string(path));
	json_object_object_add(o, "Args", args);
	json_object_object_add(st, "Status", json_object_new_string(engine_state_name(c->state)));
	json_object_object_add(st, "Running", json_object_new_boolean(running));
	json_object_object_add(st, "Paused", json_object_new_boolean(c->state == ENGINE_PAUSED));
	json_object_object_add(st, "Restarting",
			       json_object_new_boolean(c->state == ENGINE_RESTARTING));
	json_object_object_add(st, "OOMKilled", json_object_new_boolean(c->oom_killed));
	json_object_object_add(st, "Dead", json_object_new_boolean(c->state == ENGINE_DEAD));
	json_object_object_add(st, "Pid", json_object_new_int(running ? c->pid : 0));
	/* not Docker's; podman calls it ConmonPid */
	json_object_object_add(st, "MonitorPid", json_object_new_int(running ? c->monitor_pid : 0));
	json_object_object_add(st, "ExitCode", json_object_new_int(c->exit_code));
	json_object_object_add(st, "Error", json_object_new_string(c->error ? c->error : ""));
	json_object_object_add(st, "StartedAt", jtime(c->started_at));
	json_object_object_add(st, "FinishedAt", jtime(c->finished_at));
	json_object_object_add(o, "State", st);
	json_object_object_add(o, "Image", json_object_new_string(c->image_id));
	{
		_cleanup_free_ char *p1 = path_join(dir, "resolv.conf");
		_cleanup_free_ char *p2 = path_join(dir, "hostname");
		_cleanup_free_ char *p3 = path_join(dir, "hosts");
		_cleanup_free_ char *p4 = path_join(dir, "ctr.log");
		json_object_object_add(o, "ResolvConfPath", json_object_new_string(p1));
		json_object_object_add(o, "HostnamePath", json_object_new_string(p2));
		json_object_object_add(o, "HostsPath", json_object_new_string(p3));
		json_object_object_add(o, "LogPath", json_object_new_string(p4));
	}
	json_object_object_add(o, "Name", json_object_new_string(name));
	json_object_object_add(o, "RestartCount", json_object_new_int(c->restart_count));
	json_object_object_add(o, "Driver", json_object_new_string("overlay"));
	json_object_object_add(o, "Platform", json_object_new_string("linux"));
	json_object_object_add(o, "MountLabel", json_object_new_string(""));
	json_object_object_add(o, "ProcessLabel", json_object_new_string(""));
	json_object_object_add(o, "AppArmorProfile", json_object_new_string(""));
	json_object_object_add(o, "HostConfig", json_object_get(hc));
	json_object_object_add(gdd, "MergedDir",
			       json_object_new_string(c->rootfs ? c->rootfs : ""));
	json_object_object_add(gd, "Name", json_object_new_string("overlay"));
	json_object_object_add(gd, "Data", gdd);
	json_object_object_add(o, "GraphDriver", gd);
	json_object_object_add(o, "Mounts",
			       mounts ? json_object_get(mounts) : json_object_new_array());
	json_object_object_add(o, "Config", json_object_get(cfg));
	engine_net_settings(e, c, ns);
	json_object_object_add(o, "NetworkSettings", ns);
	return o;
}
