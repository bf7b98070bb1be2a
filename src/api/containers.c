/* hako API service: /containers. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/internal.h"
#include "db/db.h"
#include "events/events.h"
#include "util/json.h"
#include "util/util.h"

extern char **environ;

#define ENGINE_OR_500(r, e)                                                                        \
	struct engine *e = api_engine(r);                                                          \
	if (!e)                                                                                    \
	return api_error(r, 500, "cannot open the engine")

/* A 404 with dockerd's words for an unknown container. */
static enum MHD_Result lookup(struct api_req *r, struct engine *e, const char *ref,
			      struct engine_container **c, bool *ok)
{
	struct hk_error *err = NULL;

	*ok = false;
	if (engine_lookup(e, ref, c, &err) < 0) {
		enum MHD_Result ret;
		if (api_status_of(hk_error_msg(err), 500) == 404)
			ret = api_error(r, 404, "No such container: %s", ref);
		else
			ret = api_fail(r, err, 500);
		hk_error_free(&err);
		return ret;
	}
	*ok = true;
	return MHD_YES;
}

static enum MHD_Result fail(struct api_req *r, struct hk_error **err)
{
	enum MHD_Result ret = api_fail(r, *err, 500);
	hk_error_free(err);
	return ret;
}

/* ------------------------------------------------------------------ list */

static json_object *jget(json_object *o, const char *path)
{
	_cleanup_free_ char *p = xstrdup(path);
	char *save = NULL;
	for (char *k = strtok_r(p, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, k, &o))
			return NULL;
	return o;
}

struct ctr_match {
	struct engine_container *c;
	json_object *labels;
};

static bool f_status(const char *v, void *d)
{
	return !strcmp(v, engine_state_name(((struct ctr_match *)d)->c->state));
}
static bool f_name(const char *v, void *d)
{
	return strstr(((struct ctr_match *)d)->c->name, v[0] == '/' ? v + 1 : v) != NULL;
}
static bool f_id(const char *v, void *d)
{
	return !strncmp(((struct ctr_match *)d)->c->id, v, strlen(v));
}
static bool f_ancestor(const char *v, void *d)
{
	struct engine_container *c = ((struct ctr_match *)d)->c;
	return !strcmp(c->image, v) || !strncmp(c->image_id, v, strlen(v)) ||
	       (!strncmp(c->image_id, "sha256:", 7) && !strncmp(c->image_id + 7, v, strlen(v)));
}
static bool f_label(const char *v, void *d)
{
	json_object *labels = ((struct ctr_match *)d)->labels, *lv;
	const char *eq = strchr(v, '=');
	_cleanup_free_ char *k = eq ? strndup(v, (size_t)(eq - v)) : xstrdup(v);
	if (!labels || !json_object_object_get_ex(labels, k, &lv))
		return false;
	return !eq || !strcmp(json_object_get_string(lv), eq + 1);
}

/* Every label filter must hold (dockerd ANDs labels, ORs the rest). */
static bool labels_all(json_object *filters, struct ctr_match *m)
{
	json_object *v;

	if (!filters || !json_object_object_get_ex(filters, "label", &v))
		return true;
	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (!f_label(json_object_get_string(json_object_array_get_idx(v, i)), m))
				return false;
		return true;
	}
	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, b)
		{
			(void)b;
			if (!f_label(k, m))
				return false;
		}
	}
	return true;
}

static json_object *ports_list(json_object *inspect)
{
	json_object *out = json_object_new_array();
	json_object *ports = jget(inspect, "NetworkSettings.Ports");

	if (!ports || !json_object_is_type(ports, json_type_object))
		return out;
	json_object_object_foreach(ports, k, binds)
	{
		int priv = atoi(k);
		const char *slash = strchr(k, '/');
		const char *proto = slash ? slash + 1 : "tcp";
		size_t n = binds && json_object_is_type(binds, json_type_array)
				   ? json_object_array_length(binds)
				   : 0;
		if (!n) {
			json_object *p = json_object_new_object();
			json_object_object_add(p, "PrivatePort", json_object_new_int(priv));
			json_object_object_add(p, "Type", json_object_new_string(proto));
			json_object_array_add(out, p);
		}
		for (size_t i = 0; i < n; i++) {
			json_object *b = json_object_array_get_idx(binds, i), *v;
			json_object *p = json_object_new_object();
			const char *ip = json_object_object_get_ex(b, "HostIp", &v)
						 ? json_object_get_string(v)
						 : "";
			json_object_object_add(p, "IP",
					       json_object_new_string(*ip ? ip : "0.0.0.0"));
			json_object_object_add(p, "PrivatePort", json_object_new_int(priv));
			json_object_object_add(
				p, "PublicPort",
				json_object_new_int(json_object_object_get_ex(b, "HostPort", &v)
							    ? atoi(json_object_get_string(v))
							    : 0));
			json_object_object_add(p, "Type", json_object_new_string(proto));
			json_object_array_add(out, p);
		}
	}
	return out;
}

static json_object *summary(struct engine *e, struct engine_container *c, int64_t now)
{
	_cleanup_json_ json_object *in = engine_inspect_json(e, c);
	json_object *o = json_object_new_object(), *names = json_object_new_array(), *v;
	_cleanup_free_ char *cmd = engine_command_string(c);
	_cleanup_free_ char *status = engine_status_string(c, now);
	_cleanup_free_ char *slash = xasprintf("/%s", c->name);
	json_object *hc = json_object_new_object();

	json_object_object_add(o, "Id", json_object_new_string(c->id));
	json_object_array_add(names, json_object_new_string(slash));
	json_object_object_add(o, "Names", names);
	json_object_object_add(o, "Image", json_object_new_string(c->image));
	json_object_object_add(o, "ImageID", json_object_new_string(c->image_id));
	json_object_object_add(o, "Command", json_object_new_string(cmd ? cmd : ""));
	json_object_object_add(o, "Created", json_object_new_int64(c->created / 1000000000LL));
	json_object_object_add(o, "Ports", ports_list(in));
	v = jget(in, "Config.Labels");
	json_object_object_add(o, "Labels",
			       v && json_object_is_type(v, json_type_object)
				       ? json_object_get(v)
				       : json_object_new_object());
	json_object_object_add(o, "State", json_object_new_string(engine_state_name(c->state)));
	json_object_object_add(o, "Status", json_object_new_string(status ? status : ""));
	v = jget(in, "HostConfig.NetworkMode");
	json_object_object_add(hc, "NetworkMode",
			       json_object_new_string(v ? json_object_get_string(v) : "default"));
	json_object_object_add(o, "HostConfig", hc);
	v = jget(in, "NetworkSettings.Networks");
	{
		json_object *ns = json_object_new_object();
		json_object_object_add(ns, "Networks",
				       v ? json_object_get(v) : json_object_new_object());
		json_object_object_add(o, "NetworkSettings", ns);
	}
	v = jget(in, "Mounts");
	json_object_object_add(o, "Mounts", v ? json_object_get(v) : json_object_new_array());
	return o;
}

enum MHD_Result api_ctr_list(struct api_req *r)
{
	ENGINE_OR_500(r, e);
	struct engine_container **list = NULL;
	struct hk_error *err = NULL;
	bool all = api_query_bool(r, "all", false), bad;
	_cleanup_json_ json_object *filters = api_filters(r, &bad);
	const char *limit_s = api_query(r, "limit");
	long limit = limit_s ? strtol(limit_s, NULL, 10) : -1;
	json_object *out;
	size_t n = 0;
	int64_t now = engine_now();

	if (bad)
		return api_error(r, 400, "invalid filters: not JSON");
	if (filters) {
		static const char *const known[] = {"status",	"name",	   "id",     "label",
						    "ancestor", "network", "volume", "exited",
						    "before",	"since",   "health", "publish",
						    "expose",	"is-task", NULL};
		json_object_object_foreach(filters, k, fv)
		{
			(void)fv;
			if (!strv_has((char *const *)known, k))
				return api_error(r, 400, "invalid filter '%s'", k);
		}
	}
	if (engine_list(e, &list, &n, &err) < 0)
		return fail(r, &err);
	out = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct engine_container *c = list[i];
		struct ctr_match m = {.c = c, .labels = jget(c->config, "Config.Labels")};
		bool live = c->state == ENGINE_RUNNING || c->state == ENGINE_PAUSED ||
			    c->state == ENGINE_RESTARTING;
		if (!all && !live && !api_filter_has(filters, "status") && limit <= 0)
			continue;
		if (!api_filter_match(filters, "status", f_status, &m) ||
		    !api_filter_match(filters, "name", f_name, &m) ||
		    !api_filter_match(filters, "id", f_id, &m) ||
		    !api_filter_match(filters, "ancestor", f_ancestor, &m) ||
		    !labels_all(filters, &m))
			continue;
		if (limit > 0 && (long)json_object_array_length(out) >= limit)
			break;
		json_object_array_add(out, summary(e, c, now));
	}
	engine_list_free(list, n);
	return api_json(r, MHD_HTTP_OK, out);
}

/* ------------------------------------------------------------------ create */

/* True when a value is set: not null, 0, "", false, [] or {} (and not an
 * array of zeros, as ConsoleSize [0,0]). */
static bool is_set(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return false;
	case json_type_boolean:
		return json_object_get_boolean(v);
	case json_type_int:
	case json_type_double:
		return json_object_get_double(v) != 0;
	case json_type_string:
		return json_object_get_string_len(v) > 0;
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (is_set(json_object_array_get_idx(v, i)))
				return true;
		return false;
	case json_type_object:
		return json_object_object_length(v) > 0;
	}
	return true;
}

static const char *const config_ok[] = {
	"Hostname",
	"Domainname",
	"User",
	"AttachStdin",
	"AttachStdout",
	"AttachStderr",
	"ExposedPorts",
	"Tty",
	"OpenStdin",
	"StdinOnce",
	"Env",
	"Cmd",
	"Image",
	"Volumes",
	"WorkingDir",
	"Entrypoint",
	"Labels",
	"StopSignal",
	"StopTimeout",
	"ArgsEscaped",
	"NetworkDisabled",
	"MacAddress",
	"OnBuild",
	"HostConfig",
	"NetworkingConfig",
	NULL,
};

static const char *const host_ok[] = {
	"Binds",
	"PortBindings",
	"NetworkMode",
	"RestartPolicy",
	"AutoRemove",
	"Memory",
	"MemorySwap",
	"NanoCpus",
	"CpuShares",
	"PidsLimit",
	"Privileged",
	"CapAdd",
	"CapDrop",
	"SecurityOpt",
	"ReadonlyRootfs",
	"Init",
	"Dns",
	"ExtraHosts",
	"Tmpfs",
	"LogConfig",
	"PublishAllPorts",
	"ConsoleSize",
	"Isolation",
	"CgroupnsMode",
	"MemorySwappiness",
	"OomKillDisable",
	"Runtime",
	"ShmSize",
	"MaskedPaths",
	"ReadonlyPaths",
	"Mounts",
	"VolumeDriver",
	"VolumesFrom",
	"DnsOptions",
	"DnsSearch",
	"GroupAdd",
	"IpcMode",
	"Cgroup",
	"Links",
	"OomScoreAdj",
	"PidMode",
	"UTSMode",
	"UsernsMode",
	"CgroupParent",
	"BlkioWeight",
	"ContainerIDFile",
	NULL,
};

/* HostConfig fields accepted only when unset (or at their default). */
static const char *const host_unset_only[] = {
	"Isolation",   "CgroupnsMode",	"MemorySwappiness", "OomKillDisable",
	"ShmSize",     "Mounts",	"VolumeDriver",	    "VolumesFrom",
	"DnsOptions",  "DnsSearch",	"GroupAdd",	    "IpcMode",
	"Cgroup",      "Links",		"OomScoreAdj",	    "PidMode",
	"UTSMode",     "UsernsMode",	"CgroupParent",	    "BlkioWeight",
	"MaskedPaths", "ReadonlyPaths", "ContainerIDFile",  NULL,
};

static char **strv_of(json_object *o, const char *key)
{
	json_object *a;
	char **v = NULL;
	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		strv_push(&v, json_object_get_string(json_object_array_get_idx(a, i)));
	return v;
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t int_of(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static bool bool_of(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

/* Everything the strings of opts point into, freed after engine_create(). */
struct create_keep {
	char **strvs[16];
	size_t n;
	char *strs[8];
	size_t ns;
};

static char **keep_v(struct create_keep *k, char **v)
{
	if (k->n < ARRAY_SIZE(k->strvs))
		k->strvs[k->n++] = v;
	return v;
}

static char *keep_s(struct create_keep *k, char *s)
{
	if (k->ns < ARRAY_SIZE(k->strs))
		k->strs[k->ns++] = s;
	return s;
}

static void keep_free(struct create_keep *k)
{
	for (size_t i = 0; i < k->n; i++)
		strv_free(k->strvs[i]);
	for (size_t i = 0; i < k->ns; i++)
		free(k->strs[i]);
}

/* Config + HostConfig -> engine options; a bad field: -1 and *msg. */
static int to_opts(json_object *body, struct engine_create_opts *o, struct create_keep *k,
		   char **msg)
{
	json_object *hc = NULL, *nc = NULL, *v;

	json_object_object_get_ex(body, "HostConfig", &hc);
	json_object_object_foreach(body, ck, cv)
	{
		if (!strv_has((char *const *)config_ok, ck) && is_set(cv)) {
			*msg = xasprintf("Config.%s is not supported by hako", ck);
			return -1;
		}
	}
	if (hc) {
		json_object_object_foreach(hc, hk, hv)
		{
			bool known = strv_has((char *const *)host_ok, hk);
			bool unset_only = strv_has((char *const *)host_unset_only, hk);
			if (!is_set(hv))
				continue;
			/* the defaults the docker CLI sends */
			if (!strcmp(hk, "MemorySwappiness") && json_object_get_int(hv) == -1)
				continue;
			if (!strcmp(hk, "CgroupnsMode") &&
			    (!strcmp(json_object_get_string(hv), "private") ||
			     !strcmp(json_object_get_string(hv), "host")))
				continue;
			if (!strcmp(hk, "Runtime") && !strcmp(json_object_get_string(hv), "hako"))
				continue;
			if (!strcmp(hk, "ShmSize") && json_object_get_int64(hv) == 64 << 20)
				continue;
			if (!strcmp(hk, "ConsoleSize"))
				continue;
			if (!known || unset_only || !strcmp(hk, "Runtime")) {
				*msg = xasprintf("HostConfig.%s is not supported by hako", hk);
				return -1;
			}
		}
	}
	o->image = str_of(body, "Image");
	if (!o->image || !*o->image) {
		*msg = xstrdup("Config.Image is required");
		return -1;
	}
	o->cmd = keep_v(k, strv_of(body, "Cmd"));
	if (json_object_object_get_ex(body, "Entrypoint", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		o->entrypoint = keep_v(k, strv_of(body, "Entrypoint"));
		if (json_object_is_type(v, json_type_string)) {
			char **one = NULL;
			strv_push(&one, json_object_get_string(v));
			o->entrypoint = keep_v(k, one);
		}
		if (!o->entrypoint)
			o->entrypoint = keep_v(k, xzalloc(sizeof(char *)));
		o->entrypoint_set = true;
	}
	o->env = keep_v(k, strv_of(body, "Env"));
	if (json_object_object_get_ex(body, "Labels", &v) &&
	    json_object_is_type(v, json_type_object)) {
		char **l = NULL;
		json_object_object_foreach(v, lk, lv)
		{
			_cleanup_free_ char *kv =
				xasprintf("%s=%s", lk, json_object_get_string(lv));
			strv_push(&l, kv);
		}
		o->labels = keep_v(k, l);
	}
	o->workdir = str_of(body, "WorkingDir");
	o->user = str_of(body, "User");
	o->hostname = str_of(body, "Hostname");
	if (o->workdir && !*o->workdir)
		o->workdir = NULL;
	if (o->user && !*o->user)
		o->user = NULL;
	if (o->hostname && !*o->hostname)
		o->hostname = NULL;
	o->tty = bool_of(body, "Tty");
	o->interactive = bool_of(body, "OpenStdin");
	o->stop_signal = str_of(body, "StopSignal");
	if (o->stop_signal && !*o->stop_signal)
		o->stop_signal = NULL;
	if (json_object_object_get_ex(body, "StopTimeout", &v) &&
	    !json_object_is_type(v, json_type_null))
		o->stop_timeout = json_object_get_int(v);
	/* Config.Volumes: anonymous volumes at those paths */
	{
		char **vols = strv_of(hc, "Binds");
		if (json_object_object_get_ex(body, "Volumes", &v) &&
		    json_object_is_type(v, json_type_object)) {
			json_object_object_foreach(v, path, unused)
			{
				(void)unused;
				strv_push(&vols, path);
			}
		}
		o->volumes = keep_v(k, vols);
	}
	if (!hc)
		return 0;
	/* PortBindings {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]} -> -p */
	if (json_object_object_get_ex(hc, "PortBindings", &v) &&
	    json_object_is_type(v, json_type_object)) {
		char **p = NULL;
		json_object_object_foreach(v, port, binds)
		{
			size_t n = json_object_is_type(binds, json_type_array)
					   ? json_object_array_length(binds)
					   : 0;
			for (size_t i = 0; i < n; i++) {
				json_object *b = json_object_array_get_idx(binds, i);
				const char *ip = str_of(b, "HostIp"), *hp = str_of(b, "HostPort");
				_cleanup_free_ char *spec =
					xasprintf("%s%s%s:%s", ip && *ip ? ip : "",
						  ip && *ip ? ":" : "", hp ? hp : "", port);
				strv_push(&p, spec);
			}
			if (!n)
				strv_push(&p, port);
		}
		o->publish = keep_v(k, p);
	}
	o->publish_all = bool_of(hc, "PublishAllPorts");
	{
		const char *nm = str_of(hc, "NetworkMode");
		if (nm && *nm && strcmp(nm, "default"))
			o->network = nm;
	}
	if (json_object_object_get_ex(hc, "RestartPolicy", &v)) {
		const char *name = str_of(v, "Name");
		int64_t max = int_of(v, "MaximumRetryCount");
		if (name && *name)
			o->restart =
				!strcmp(name, "on-failure") && max > 0
					? keep_s(k, xasprintf("on-failure:%lld", (long long)max))
					: name;
	}
	o->auto_remove = bool_of(hc, "AutoRemove");
	o->memory = int_of(hc, "Memory");
	o->memory_swap = int_of(hc, "MemorySwap");
	o->nano_cpus = int_of(hc, "NanoCpus");
	o->cpu_shares = int_of(hc, "CpuShares");
	o->pids_limit = int_of(hc, "PidsLimit");
	o->privileged = bool_of(hc, "Privileged");
	o->read_only = bool_of(hc, "ReadonlyRootfs");
	o->init = bool_of(hc, "Init");
	o->cap_add = keep_v(k, strv_of(hc, "CapAdd"));
	o->cap_drop = keep_v(k, strv_of(hc, "CapDrop"));
	o->security_opt = keep_v(k, strv_of(hc, "SecurityOpt"));
	o->dns = keep_v(k, strv_of(hc, "Dns"));
	{
		char **hosts = strv_of(hc, "ExtraHosts");
		/* docker's HOST:IP is hako's NAME:IP */
		o->add_hosts = keep_v(k, hosts);
	}
	if (json_object_object_get_ex(hc, "Tmpfs", &v) &&
	    json_object_is_type(v, json_type_object)) {
		char **t = NULL;
		json_object_object_foreach(v, dst, opts)
		{
			const char *os = json_object_get_string(opts);
			_cleanup_free_ char *spec =
				os && *os ? xasprintf("%s:%s", dst, os) : xstrdup(dst);
			strv_push(&t, spec);
		}
		o->tmpfs = keep_v(k, t);
	}
	if (json_object_object_get_ex(hc, "LogConfig", &v)) {
		const char *type = str_of(v, "Type");
		json_object *cfg;
		if (type && *type)
			o->log_driver = type;
		if (json_object_object_get_ex(v, "Config", &cfg) &&
		    json_object_is_type(cfg, json_type_object)) {
			char **lo = NULL;
			json_object_object_foreach(cfg, lk, lv)
			{
				_cleanup_free_ char *kv =
					xasprintf("%s=%s", lk, json_object_get_string(lv));
				strv_push(&lo, kv);
			}
			o->log_opts = keep_v(k, lo);
		}
	}
	/* NetworkingConfig.EndpointsConfig: the first network's aliases and
	 * fixed address */
	if (json_object_object_get_ex(body, "NetworkingConfig", &nc) &&
	    json_object_object_get_ex(nc, "EndpointsConfig", &v) &&
	    json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, net, ep)
		{
			json_object *ipam;
			if (!o->network)
				o->network = net;
			else if (strcmp(o->network, net))
				continue;
			o->network_aliases = keep_v(k, strv_of(ep, "Aliases"));
			if (json_object_object_get_ex(ep, "IPAMConfig", &ipam)) {
				o->ip = str_of(ipam, "IPv4Address");
				o->ip6 = str_of(ipam, "IPv6Address");
				if (o->ip && !*o->ip)
					o->ip = NULL;
				if (o->ip6 && !*o->ip6)
					o->ip6 = NULL;
			}
			break;
		}
	}
	return 0;
}

enum MHD_Result api_ctr_create(struct api_req *r)
{
	ENGINE_OR_500(r, e);
	enum MHD_Result sent = MHD_NO;
	_cleanup_json_ json_object *body = api_body_json(r, &sent);
	struct engine_create_opts o;
	struct create_keep keep = {0};
	_cleanup_free_ char *msg = NULL, *id = NULL;
	struct hk_error *err = NULL;
	const char *name = api_query(r, "name");
	json_object *out;
	int rc;

	if (!body)
		return sent;
	engine_create_opts_init(&o);
	if (name && *name)
		o.name = name[0] == '/' ? name + 1 : name;
	if (to_opts(body, &o, &keep, &msg) < 0) {
		keep_free(&keep);
		return api_error(r, 400, "%s", msg);
	}
	rc = engine_create(e, &o, &id, &err);
	if (rc < 0) {
		enum MHD_Result ret;
		const char *m = hk_error_msg(err);
		if (err && err->errnum == ENOENT && strstr(m, "unable to find image"))
			ret = api_error(r, 404, "No such image: %s", o.image);
		else if (err && err->errnum == EEXIST)
			ret = api_error(r, 409, "Conflict. %s", m);
		else
			ret = api_error(r, api_status_of(m, 500), "%s", m);
		hk_error_free(&err);
		keep_free(&keep);
		return ret;
	}
	keep_free(&keep);
	out = json_object_new_object();
	json_object_object_add(out, "Id", json_object_new_string(id));
	json_object_object_add(out, "Warnings", json_object_new_array());
	return api_json(r, MHD_HTTP_CREATED, out);
}

/* ------------------------------------------------------------------ one container */

enum MHD_Result api_ctr_inspect(struct api_req *r)
{
	ENGINE_OR_500(r, e);
	_cleanup_container_ struct engine_container *c = NULL;
	bool ok;
	enum MHD_Result ret = lookup(r, e, r->parts[1], &c, &ok);

	if (!ok)
		return ret;
	return api_json(r, MHD_HTTP_OK, engine_inspect_json(e, c));
}

/* Run `hako VERB ID` as a child (what forks a monitor); 204 on success. */
static enum MHD_Result via_child(struct api_req *r, const char *verb, const char *opt,
				 const char *optval)
{
	ENGINE_OR_500(r, e);
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_free_ char *errs = NULL;
	char *args[6];
	size_t n = 0;
	bool ok;
	enum MHD_Result ret = lookup(r, e, r->parts[1], &c, &ok);
	int st;

	if (!ok)
		return ret;
	/* the engine handle may not be held across the child's transactions */
	engine_close(e);
	r->e_open = false;
	args[n++] = (char *)verb;
	if (opt) {
		args[n++] = (char *)opt;
		args[n++] = (char *)optval;
	}
	args[n++] = c->id;
	args[n] = NULL;
	st = api_run(r->srv, args, NULL, &errs);
	if (st != 0) {
		char *m = errs ? errs : "";
		m[strcspn(m, "\n")] = 0;
		if (!strncmp(m, "hako: ", 6))
			m += 6;
		return api_error(r, api_status_of(m, 500), "%s", *m ? m : "failed");
	}
	return api_empty(r, MHD_HTTP_NO_CONTENT);
}

enum MHD_Result api_ctr_start(struct api_req *r)
{
	ENGINE_OR_500(r, e);
	_cleanup_container_ struct engine_container *c = NULL;
	char **args = NULL;
	bool ok;
	enum MHD_Result ret = lookup(r, e, r->parts[1], &c, &ok);

	if (!ok)
		return ret;
	if (c->state == ENGINE_RUNNING || c->state == ENGINE_PAUSED)
		return api_empty(r, MHD_HTTP_NOT_MODIFIED);
	/* an attach waits for this start: it runs `hako start -a` itself */
	strv_push(&args, "start");
	strv_push(&args, "-a");
	if (bool_of(jget(c->config, "Config"), "OpenStdin"))
		strv_push(&args, "-i");
	strv_push(&args, c->id);
	if (api_attach_claim(c->id, args)) {
		int64_t started = c->started_at, finished = c->finished_at;
		engine_close(e);
		r->e_open = false;
		/* answer once it runs (or ran: a short command may be done) */
		for (int i = 0; i < 300; i++) {
			struct engine_container *now = NULL;
			struct engine e2 = {0};
			bool moved = false;
			usleep(20 * 1000);
			if (engine_open(&e2, r->srv->root, r->srv->runroot, NULL) < 0)
				continue;
			if (engine_lookup(&e2, c->id, &now, NULL) < 0) {
				moved = true; /* --rm: already gone */
			} else {
				moved = now->started_at != started ||
					now->finished_at != finished || now->error;
				if (now->error && now->state != ENGINE_RUNNING) {
					_cleanup_free_ char *m = xstrdup(now->error);
					engine_container_free(now);
					engine_close(&e2);
					return api_error(r,
							 api_status_of(m, 500) == 404 ? 404 : 500,
							 "%s", m);
				}
				engine_container_free(now);
			}
			engine_close(&e2);
			if (moved)
				break;
		}
		return api_empty(r, MHD_HTTP_NO_CONTENT);
	}
	return via_child(r, "start", NULL, NULL);
}

enum MHD_Result api_ctr_restart(struct api_req *r)
{
	const char *t = api_query(r, "t");
	return via_child(r, "restart", t ? "-t" : NULL, t);
}

enum MHD_Result api_ctr_stop(struct api_req *r)
{
	ENGINE_OR_500(r, e);
	_cleanup_container_ struct engine_container *c = NULL;
	struct hk_error *err = NULL;
	const char *t = api_query(r, "t");
	bool ok, killed;
	enum MHD_Result ret = lookup(r, e, r->parts[1], &c, &ok);

	if (!ok)
		return ret;
	if (c->state != ENGINE_RUNNING && c->state != ENGINE_PAUSED &&
	    c->state != ENGINE_RESTARTING)
		return api_empty(r, MHD_HTTP_NOT_MODIFIED);
	if (engine_stop(e, c->id, t && *t ? atoi(t) : -1, &killed, &err) < 0)
		return fail(r, &err);
	return api_empty(r, MHD_HTTP_NO_CONTENT);
}

enum MHD_Result api_ctr_kill(struct api_req *r)
{
	ENGINE_OR_500(r, e);
	struct hk_error *err = NULL;
	const char *s = api_query(r, "signal");
	int sig = s && *s ? engine_parse_signal(s) : SIGKILL;
	_cleanup_container_ struct engine_container *c = NULL;
	bool ok;
	enum MHD_Result ret;

	if (sig < 0)
		return api_error(r, 400, "Invalid signal: %s", s);
	ret = lookup(r, e, r->parts[1], &c, &ok);
	if (!ok)
		return ret;
	if (engine_kill(e, c->id, sig, &err) < 0) {
		if (strstr(hk_error_msg(err), "not running")) {
			hk_error_free(&err);
			return api_error(r, 409, "Container %s is not running", r->parts[1]);
		}
		return fail(r, &err);
	}
	return api_empty(r, MHD_HTTP_NO_CONTENT);
}

static enum MHD_Result pause_common(struct api_req *r, bool pause)
{
	ENGINE_OR_500(r, e);
	struct hk_error *err = NULL;
	_cleanup_container_ struct engine_container *c = NULL;
	bool ok;
	enum MHD_Result ret = lookup(r, e, r->parts[1], &c, &ok);

	if (!ok)
		return ret;
	if (engine_pause(e, c->id, pause, &err) < 0)
		return fail(r, &err);
	return api_empty(r, MHD_HTTP_NO_CONTENT);
}

enum MHD_Result api_ctr_pause(struct api_req *r)
{
	return pause_common(r, true);
}

enum MHD_Result api_ctr_unpause(struct api_req *r)
{
	return pause_common(r, false);
}

enum MHD_Result api_ctr_rename(struct api_req *r)
{
	ENGINE_OR_500(r, e);
	struct hk_error *err = NULL;
	const char *name = api_query(r, "name");

	if (!name || !*name)
		return api_error(r, 400, "name is required");
	if (engine_rename(e, r->parts[1], name[0] == '/' ? name + 1 : name, &err) < 0) {
		if (err->errnum == EEXIST) {
			enum MHD_Result ret = api_error(r, 409, "Conflict. %s", hk_error_msg(err));
			hk_error_free(&err);
			return ret;
		}
		return fail(r, &err);
	}
	return api_empty(r, MHD_HTTP_NO_CONTENT);
}

enum MHD_Result api_ctr_remove(struct api_req *r)
{
	ENGINE_OR_500(r, e);
	struct hk_error *err = NULL;
	_cleanup_container_ struct engine_container *c = NULL;
	bool force = api_query_bool(r, "force", false), vols = api_query_bool(r, "v", false), ok;
	enum MHD_Result ret;

	if (api_query_bool(r, "link", false))
		return api_error(r, 400, "links are not supported by hako");
	ret = lookup(r, e, r->parts[1], &c, &ok);
	if (!ok)
		return ret;
	if (!force && (c->state == ENGINE_RUNNING || c->state == ENGINE_PAUSED ||
		       c->state == ENGINE_RESTARTING))
		return api_error(r, 409,
				 "You cannot remove a %s container %s. Stop the container before "
				 "attempting removal or force remove",
				 engine_state_name(c->state), c->id);
	if (engine_remove(e, c->id, force, vols, &err) < 0)
		return fail(r, &err);
	return api_empty(r, MHD_HTTP_NO_CONTENT);
}

enum MHD_Result api_ctr_top(struct api_req *r)
{
	ENGINE_OR_500(r, e);
	struct hk_error *err = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	json_object *o, *titles, *procs;

	if (engine_pids(e, r->parts[1], &pids, &n, &err) < 0) {
		if (api_status_of(hk_error_msg(err), 500) == 404) {
			hk_error_free(&err);
			return api_error(r, 404, "No such container: %s", r->parts[1]);
		}
		return fail(r, &err);
	}
	o = json_object_new_object();
	titles = json_object_new_array();
	procs = json_object_new_array();
	json_object_array_add(titles, json_object_new_string("PID"));
	json_object_array_add(titles, json_object_new_string("CMD"));
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = xasprintf("/proc/%d/cmdline", (int)pids[i]);
		_cleanup_free_ char *pid = xasprintf("%d", (int)pids[i]);
		char buf[4096];
		ssize_t len = 0;
		FILE *f = fopen(path, "re");
		if (f) {
			len = (ssize_t)fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
		}
		for (ssize_t j = 0; j < len; j++)
			if (!buf[j])
				buf[j] = ' ';
		buf[len > 0 ? len - (buf[len - 1] == ' ') : 0] = 0;
		json_object *row = json_object_new_array();
		json_object_array_add(row, json_object_new_string(pid));
		json_object_array_add(row, json_object_new_string(buf));
		json_object_array_add(procs, row);
	}
	json_object_object_add(o, "Titles", titles);
	json_object_object_add(o, "Processes", procs);
	return api_json(r, MHD_HTTP_OK, o);
}

/* ------------------------------------------------------------------ wait */

struct wait_state {
	struct api_server *srv;
	struct MHD_Connection *conn;
	char *id;
	int cond; /* 0 not-running, 1 next-exit, 2 removed */
	bool seen_running, done;
	int64_t start_finished;
};

static int die_code(const struct events_event *ev, void *data)
{
	json_object *v;
	if (ev->attrs && json_object_object_get_ex(ev->attrs, "exitCode", &v))
		*(int *)data = atoi(json_object_get_string(v));
	return 0;
}

/* A container removed meanwhile (--rm): its last die event has the code. */
static int last_exit_code(struct api_server *s, const char *id)
{
	_cleanup_json_ json_object *f = json_object_new_object();
	json_object *a = json_object_new_array(), *b = json_object_new_array();
	sqlite3 *db = NULL;
	int code = 0;

	json_object_array_add(a, json_object_new_string(id));
	json_object_array_add(b, json_object_new_string("die"));
	json_object_object_add(f, "container", a);
	json_object_object_add(f, "event", b);
	struct events_query q = {.filters = f};
	if (db_open(s->root, &db, NULL) == 0) {
		events_read(db, &q, die_code, &code, NULL, NULL);
		db_close(db);
	}
	return code;
}

/* True while the container's monitor holds its lock (it runs): a cheap
 * test without the database, so the wait answers within 10 ms of the exit. */
static bool monitor_holds_lock(struct api_server *s, const char *id)
{
	_cleanup_free_ char *path = xasprintf("%s/containers/%s/monitor.lock", s->runroot, id);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool held = false;

	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		held = errno == EWOULDBLOCK;
	close(fd);
	return held;
}

static ssize_t wait_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct wait_state *w = cls;
	struct engine e = {0};

	if (w->done)
		return MHD_CONTENT_READER_END_OF_STREAM;
	for (unsigned tick = 0;; tick++) {
		struct engine_container *c = NULL;
		int code = -1;
		bool gone = false, stopped = false;
		if (tick % 50 == 49 && api_client_gone(w->conn))
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (monitor_holds_lock(w->srv, w->id)) {
			w->seen_running = true;
			usleep(10 * 1000);
			continue;
		}
		if (engine_open(&e, w->srv->root, w->srv->runroot, NULL) == 0) {
			if (engine_lookup(&e, w->id, &c, NULL) < 0)
				gone = true;
			engine_close(&e);
		}
		if (c) {
			bool live = c->state == ENGINE_RUNNING || c->state == ENGINE_PAUSED ||
				    c->state == ENGINE_RESTARTING;
			if (live)
				w->seen_running = true;
			stopped = !live && (w->cond == 0 || w->seen_running ||
					    c->finished_at != w->start_finished);
			code = c->exit_code;
			engine_container_free(c);
		}
		if (gone)
			code = last_exit_code(w->srv, w->id);
		if ((w->cond == 2 && gone) || (w->cond != 2 && (stopped || gone))) {
			int n = snprintf(buf, max, "{\"StatusCode\":%d,\"Error\":null}\n",
					 code < 0 ? 0 : code);
			w->done = true;
			return n;
		}
		usleep(20 * 1000);
	}
}

static void wait_free(void *cls)
{
	struct wait_state *w = cls;
	free(w->id);
	free(w);
}

enum MHD_Result api_ctr_wait(struct api_req *r)
{
	ENGINE_OR_500(r, e);
	_cleanup_container_ struct engine_container *c = NULL;
	const char *cond = api_query(r, "condition");
	struct wait_state *w;
	struct MHD_Response *resp;
	bool ok;
	enum MHD_Result ret;

	if (cond && *cond && strcmp(cond, "not-running") && strcmp(cond, "next-exit") &&
	    strcmp(cond, "removed"))
		return api_error(r, 400, "invalid condition: \"%s\"", cond);
	ret = lookup(r, e, r->parts[1], &c, &ok);
	if (!ok)
		return ret;
	w = xzalloc(sizeof(*w));
	w->srv = r->srv;
	w->conn = r->conn;
	w->id = xstrdup(c->id);
	w->cond = !cond || !*cond || !strcmp(cond, "not-running") ? 0
		  : !strcmp(cond, "next-exit")			  ? 1
								  : 2;
	w->start_finished = c->finished_at;
	/* headers now (the docker CLI waits for them before it starts the
	 * container), the status code when the condition is met */
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 256, wait_read, w, wait_free);
	if (!resp) {
		wait_free(w);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	return api_queue(r, MHD_HTTP_OK, resp);
}

/* ------------------------------------------------------------------ logs, attach */

static void logs_args(struct api_req *r, const char *id, char ***args, bool follow)
{
	const char *tail = api_query(r, "tail"), *since = api_query(r, "since");
	const char *until = api_query(r, "until");

	strv_push(args, "logs");
	if (follow)
		strv_push(args, "-f");
	if (api_query_bool(r, "timestamps", false))
		strv_push(args, "-t");
	if (tail && *tail && strcmp(tail, "all")) {
		strv_push(args, "--tail");
		strv_push(args, tail);
	}
	if (since && *since && strcmp(since, "0")) {
		strv_push(args, "--since");
		strv_push(args, since);
	}
	if (until && *until && strcmp(until, "0")) {
		strv_push(args, "--until");
		strv_push(args, until);
	}
	strv_push(args, id);
}

enum MHD_Result api_ctr_logs(struct api_req *r)
{
	ENGINE_OR_500(r, e);
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_strv_ char **args = NULL;
	bool ok;
	enum MHD_Result ret;

	if (!api_query_bool(r, "stdout", false) && !api_query_bool(r, "stderr", false))
		return api_error(r, 400, "Bad parameters: you must choose at least one stream");
	ret = lookup(r, e, r->parts[1], &c, &ok);
	if (!ok)
		return ret;
	logs_args(r, c->id, &args, api_query_bool(r, "follow", false));
	engine_close(e);
	r->e_open = false;
	return api_stream_child(r, args, !bool_of(jget(c->config, "Config"), "Tty"));
}

/* attach: to a running container, `hako attach`; to one not started yet
 * (docker run attaches, then starts), the connection waits for the start,
 * which runs `hako start -a` on it. */
enum MHD_Result api_ctr_attach(struct api_req *r)
{
	ENGINE_OR_500(r, e);
	_cleanup_container_ struct engine_container *c = NULL;
	struct api_hijack *h;
	bool ok, tty, stdin_on = api_query_bool(r, "stdin", false);
	enum MHD_Result ret = lookup(r, e, r->parts[1], &c, &ok);

	if (!ok)
		return ret;
	tty = bool_of(jget(c->config, "Config"), "Tty");
	h = xzalloc(sizeof(*h));
	h->srv = r->srv;
	h->tty = h->pty = tty;
	h->stdin_on = stdin_on;
	if (c->state == ENGINE_RUNNING || c->state == ENGINE_PAUSED) {
		strv_push(&h->args, "attach");
		if (!stdin_on)
			strv_push(&h->args, "--no-stdin");
		strv_push(&h->args, c->id);
	} else {
		h->defer_for = xstrdup(c->id);
		api_attach_announce(c->id);
	}
	engine_close(e);
	r->e_open = false;
	return api_hijack(r, h);
}

enum MHD_Result api_ctr_resize(struct api_req *r)
{
	/* the terminal size follows the client through hako attach/exec's own
	 * pty; nothing to do here */
	return api_empty(r, MHD_HTTP_OK);
}

/* ------------------------------------------------------------------ archive */

static char *base64(const unsigned char *in, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = xzalloc(4 * ((n + 2) / 3) + 1), *o = out;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		*o++ = tab[(v >> 18) & 63];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? tab[v & 63] : '=';
	}
	return out;
}

/* dockerd's X-Docker-Container-Path-Stat: base64 of {name, size, mode (Go's
 * os.FileMode: permission bits, 1<<31 directory, 1<<27 symlink), mtime,
 * linkTarget}. */
static char *path_stat_header(const char *path, const char *name)
{
	struct stat st;
	char link[4096] = "";
	_cleanup_json_ json_object *o = json_object_new_object();
	_cleanup_free_ char *json = NULL, *when = NULL;
	uint64_t mode;

	if (lstat(path, &st) < 0)
		return NULL;
	mode = st.st_mode & 07777;
	if (S_ISDIR(st.st_mode))
		mode |= 1ULL << 31;
	if (S_ISLNK(st.st_mode)) {
		mode |= 1ULL << 27;
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
	}
	when = engine_format_time((int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "size", json_object_new_int64(st.st_size));
	json_object_object_add(o, "mode", json_object_new_int64((int64_t)mode));
	json_object_object_add(o, "mtime", json_object_new_string(when));
	json_object_object_add(o, "linkTarget", json_object_new_string(link));
	json = json_to_string(o, false);
	return base64((const unsigned char *)json, strlen(json));
}

/* GET/HEAD /containers/{id}/archive?path=P: `hako cp` (which resolves P
 * inside the rootfs only) into a private directory of the service, then that
 * copy as a tar (symlinks stored as symlinks, never followed). */
enum MHD_Result api_ctr_archive_get(struct api_req *r)
{
	const char *path = api_query(r, "path");
	char tmpl[] = "/tmp/hako-api-cp-XXXXXX";
	_cleanup_free_ char *src = NULL, *errs = NULL, *base = NULL, *copy = NULL, *hdr = NULL;
	_cleanup_free_ char *tar = NULL;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	const char *slash;

	if (!path || !*path)
		return api_error(r, 400, "path is required");
	if (!mkdtemp(tmpl))
		return api_error(r, 500, "mkdtemp: %s", strerror(errno));
	{
		/* the name of the last component ("/" and "/etc/" included) */
		_cleanup_free_ char *p = xstrdup(path);
		size_t n = strlen(p);
		while (n > 1 && p[n - 1] == '/')
			p[--n] = 0;
		slash = strrchr(p, '/');
		base = xstrdup(slash && slash[1] ? slash + 1 : (strcmp(p, "/") ? p : "root"));
		if (!strcmp(base, ".") || !strcmp(base, ".."))
			base = (free(base), xstrdup("root"));
	}
	src = xasprintf("%s:%s", r->parts[1], path);
	copy = xasprintf("%s/%s", tmpl, base);
	{
		char *args[] = {"cp", src, copy, NULL};
		if (api_run(r->srv, args, NULL, &errs) != 0) {
			char *m = errs ? errs : "";
			m[strcspn(m, "\n")] = 0;
			if (!strncmp(m, "hako: ", 6))
				m += 6;
			rm_rf(tmpl, NULL);
			if (api_status_of(m, 500) == 404 || strstr(m, "No such file"))
				return api_error(r, 404,
						 "Could not find the file %s in container %s", path,
						 r->parts[1]);
			return api_error(r, api_status_of(m, 500), "%s", m);
		}
	}
	hdr = path_stat_header(copy, base);
	if (!strcmp(r->method, "HEAD")) {
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	} else {
		char *args[] = {"tar", "-C", tmpl, "-cf", "-", base, NULL};
		int st;
		pid_t pid;
		int p[2];
		/* GNU tar: no symlink is followed in -c without -h */
		if (pipe2(p, O_CLOEXEC) < 0) {
			rm_rf(tmpl, NULL);
			return api_error(r, 500, "pipe: %s", strerror(errno));
		}
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, p[1], 1);
		st = posix_spawnp(&pid, "tar", &fa, NULL, args, environ);
		posix_spawn_file_actions_destroy(&fa);
		close(p[1]);
		if (st) {
			close(p[0]);
			rm_rf(tmpl, NULL);
			return api_error(r, 500, "run tar: %s", strerror(st));
		}
		size_t len = 0;
		char chunk[65536];
		ssize_t k;
		while ((k = read(p[0], chunk, sizeof(chunk))) > 0) {
			tar = xrealloc(tar, len + (size_t)k);
			memcpy(tar + len, chunk, (size_t)k);
			len += (size_t)k;
		}
		close(p[0]);
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			rm_rf(tmpl, NULL);
			return api_error(r, 500, "tar of %s failed", path);
		}
		resp = MHD_create_response_from_buffer(len, tar, MHD_RESPMEM_MUST_FREE);
		if (resp)
			tar = NULL;
	}
	rm_rf(tmpl, NULL);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/x-tar");
	if (hdr)
		MHD_add_response_header(resp, "X-Docker-Container-Path-Stat", hdr);
	ret = api_queue(r, MHD_HTTP_OK, resp);
	return ret;
}

enum MHD_Result api_ctr_archive_put(struct api_req *r)
{
	return api_error(r, 501,
			 "PUT /containers/{id}/archive is not implemented by hako yet "
			 "(use hako cp)");
}
