/* hako engine: from image config + command-line options to the container's
 * stored configuration (Docker's Config/HostConfig shapes), and from that to
 * the OCI runtime spec, with Docker's defaults: its capability set, its
 * seccomp profile, masked and read-only /proc paths, /dev/shm 64 MiB, and
 * /etc/hosts, /etc/hostname, /etc/resolv.conf written per container. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "engine/spec.h"
#include "net/net.h"
#include "runtime/caps.h"
#include "runtime/runtime.h"
#include "runtime/seccomp.h"
#include "util/json.h"
#include "util/log.h"
#include "util/path.h"
#include "util/util.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static json_object *strv_json(char *const *v)
{
	return json_strv_new(v);
}

static json_object *strv_json_or_null(char *const *v)
{
	return v ? strv_json(v) : NULL;
}

/* Put K=V into env (a json array of "K=V"), replacing an earlier K. */
static void env_set(json_object *env, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);

	for (size_t i = 0; i < json_object_array_length(env); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(env, i));
		if (!strncmp(s, kv, klen) && (s[klen] == '=' || s[klen] == '\0')) {
			json_object_array_put_idx(env, i, json_object_new_string(kv));
			return;
		}
	}
	json_object_array_add(env, json_object_new_string(kv));
}

static bool env_has(json_object *env, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < json_object_array_length(env); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(env, i));
		if (!strncmp(s, key, klen) && s[klen] == '=')
			return true;
	}
	return false;
}

int spec_parse_restart(const char *s, const char **name, int *max, struct hk_error **err)
{
	long long n;

	*max = 0;
	if (!s || !*s || !strcmp(s, "no")) {
		*name = "no";
		return 0;
	}
	if (!strcmp(s, "always") || !strcmp(s, "unless-stopped")) {
		*name = s;
		return 0;
	}
	if (!strcmp(s, "on-failure")) {
		*name = "on-failure";
		return 0;
	}
	if (str_has_prefix(s, "on-failure:") && parse_ll(s + 11, 0, 1000000, &n) == 0) {
		*name = "on-failure";
		*max = (int)n;
		return 0;
	}
	return hk_error_set(err, 0,
			    "--restart: bad policy '%s' (no, always, unless-stopped, "
			    "on-failure[:N])",
			    s);
}

static char *cap_normalize(const char *name, struct hk_error **err)
{
	_cleanup_free_ char *up = NULL;

	if (!strcasecmp(name, "ALL"))
		return xstrdup("ALL");
	up = str_has_prefix(name, "CAP_") || str_has_prefix(name, "cap_")
		     ? xstrdup(name)
		     : xasprintf("CAP_%s", name);
	for (char *p = up; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (caps_from_name(up) < 0) {
		hk_error_set(err, 0, "unknown capability: %s", name);
		return NULL;
	}
	return steal_ptr(&up);
}

static int caps_json(char **v, const char *flag, json_object **out, struct hk_error **err)
{
	json_object *a = json_object_new_array();

	for (; v && *v; v++) {
		char *n = cap_normalize(*v, err);
		if (!n) {
			json_object_put(a);
			return hk_error_wrap(err, "%s", flag);
		}
		json_object_array_add(a, json_object_new_string(n));
		free(n);
	}
	*out = a;
	return 0;
}

/* One -v SRC:DST[:OPTS] into Binds text and a Mounts entry. */
static int parse_volume(struct engine *e, const char *spec, json_object *mounts,
			struct hk_error **err)
{
	_cleanup_free_ char *copy = xstrdup(spec);
	char *parts[3] = {NULL, NULL, NULL};
	size_t n = 0;
	char *save = NULL;
	const char *src, *dst, *opts = "";
	bool ro = false;
	json_object *m;

	for (char *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		if (n == 3)
			return hk_error_set(err, 0, "-v %s: too many ':' fields", spec);
		parts[n++] = tok;
	}
	if (n == 1) {
		src = NULL;
		dst = parts[0];
	} else {
		src = parts[0];
		dst = parts[1];
		if (n == 3)
			opts = parts[2];
	}
	if (!dst || dst[0] != '/')
		return hk_error_set(err, 0, "-v %s: the container path must be absolute", spec);
	_cleanup_free_ char *clean = path_clean(dst);
	if (!strcmp(clean, "/"))
		return hk_error_set(err, 0, "-v %s: cannot mount over /", spec);
	for (char *o = (char *)opts, *s2 = NULL, *t = strtok_r(o, ",", &s2); t;
	     t = strtok_r(NULL, ",", &s2)) {
		if (!strcmp(t, "ro"))
			ro = true;
		else if (!strcmp(t, "rw"))
			ro = false;
		else if (strcmp(t, "z") && strcmp(t, "Z") && strcmp(t, "private") &&
			 strcmp(t, "rprivate") && strcmp(t, "nocopy"))
			return hk_error_set(err, 0, "-v %s: unknown option '%s'", spec, t);
	}
	m = json_object_new_object();
	if (src && src[0] == '/') {
		json_object_object_add(m, "Type", json_object_new_string("bind"));
		json_object_object_add(m, "Source", json_object_new_string(src));
	} else {
		_cleanup_free_ char *name = src ? xstrdup(src) : engine_new_id();
		if (!engine_valid_name(name)) {
			json_object_put(m);
			return hk_error_set(err, 0,
					    "-v %s: '%s' is neither an absolute host path nor a "
					    "valid volume name",
					    spec, name);
		}
		_cleanup_free_ char *vdir = engine_volume_dir(e, name);
		_cleanup_free_ char *data = path_join(vdir, "_data");
		json_object_object_add(m, "Type", json_object_new_string("volume"));
		json_object_object_add(m, "Name", json_object_new_string(name));
		json_object_object_add(m, "Source", json_object_new_string(data));
		json_object_object_add(m, "Driver", json_object_new_string("local"));
		json_object_object_add(m, "Anonymous", json_object_new_boolean(src == NULL));
	}
	json_object_object_add(m, "Destination", json_object_new_string(dst));
	json_object_object_add(m, "Mode", json_object_new_string(opts));
	json_object_object_add(m, "RW", json_object_new_boolean(!ro));
	json_object_object_add(m, "Propagation", json_object_new_string("rprivate"));
	json_object_array_add(mounts, m);
	return 0;
}

static int build_security(const struct engine_create_opts *o, json_object *hc,
			  struct hk_error **err)
{
	json_object *secopts = json_object_new_array();

	json_object_object_add(hc, "SecurityOpt", secopts);
	for (char **s = o->security_opt; s && *s; s++) {
		const char *v = *s;
		json_object_array_add(secopts, json_object_new_string(v));
		if (!strcmp(v, "no-new-privileges") || !strcmp(v, "no-new-privileges:true") ||
		    !strcmp(v, "no-new-privileges=true")) {
			json_object_object_add(hc, "NoNewPrivileges", json_object_new_boolean(1));
		} else if (!strcmp(v, "no-new-privileges:false") ||
			   !strcmp(v, "no-new-privileges=false")) {
			continue;
		} else if (str_has_prefix(v, "seccomp=") || str_has_prefix(v, "seccomp:")) {
			const char *p = v + 8;
			json_object *prof = NULL;
			if (!strcmp(p, "unconfined")) {
				json_object_object_add(hc, "SeccompUnconfined",
						       json_object_new_boolean(1));
				continue;
			}
			if (json_parse_file(p, 4 << 20, &prof, err) < 0)
				return hk_error_wrap(err, "--security-opt seccomp");
			if (!json_object_is_type(prof, json_type_object) ||
			    seccomp_validate(prof, err) < 0) {
				json_object_put(prof);
				if (!*err)
					hk_error_set(err, 0, "not a JSON object");
				return hk_error_wrap(err, "--security-opt seccomp=%s", p);
			}
			json_object_object_add(hc, "SeccompProfile", prof);
		} else if (str_has_prefix(v, "apparmor") || str_has_prefix(v, "label")) {
			/* accepted as docker does on a host without that LSM, but
			 * said: hako applies no AppArmor profile or SELinux label */
			log_warn("--security-opt %s: ignored: hako applies no %s", v,
				 str_has_prefix(v, "apparmor") ? "AppArmor profiles"
							       : "SELinux labels");
			continue;
		} else {
			return hk_error_set(err, 0, "--security-opt: unknown option '%s'", v);
		}
	}
	return 0;
}

int logfile_check_config(json_object *cfg, struct hk_error **err);

int spec_build_config(struct engine *e, const struct engine_create_opts *o,
		      const struct image_config *ic, const char *id, json_object **out,
		      struct hk_error **err)
{
	_cleanup_json_ json_object *all = json_object_new_object();
	/* Each object is attached to `all` as it is made, before it is filled,
	 * so that every early error return frees it with `all`. */
	json_object *cfg = json_object_new_object(), *hc = json_object_new_object();
	json_object *mounts = json_object_new_array();
	json_object *env, *labels, *binds, *tmpfs, *rp, *lc, *lopts;
	json_object *cap_add = NULL, *cap_drop = NULL;
	_cleanup_free_ char *hostname = NULL;
	char *const *cmd;
	const char *policy;
	int max_retry;

	json_object_object_add(all, "Config", cfg);
	json_object_object_add(all, "HostConfig", hc);
	json_object_object_add(all, "Mounts", mounts);

	hostname = o->hostname ? xstrdup(o->hostname) : xstrndup(id, 12);
	if (o->hostname && (strlen(o->hostname) > 64 || strchr(o->hostname, '/')))
		return hk_error_set(err, 0, "--hostname: invalid hostname '%s'", o->hostname);
	if (((o->network && !strcmp(o->network, "host")) ||
	     (o->uts_mode && !strcmp(o->uts_mode, "host"))) &&
	    !o->hostname) {
		free(hostname);
		hostname = xmalloc(HOST_NAME_MAX + 1);
		gethostname(hostname, HOST_NAME_MAX);
		hostname[HOST_NAME_MAX] = '\0';
	}
	json_object_object_add(cfg, "Hostname", json_object_new_string(hostname));
	json_object_object_add(cfg, "Domainname", json_object_new_string(""));
	json_object_object_add(cfg, "User",
			       json_object_new_string(o->user	       ? o->user
						      : ic && ic->user ? ic->user
								       : ""));
	json_object_object_add(cfg, "AttachStdin",
			       json_object_new_boolean(o->interactive && o->attach_stdout));
	json_object_object_add(cfg, "AttachStdout", json_object_new_boolean(o->attach_stdout));
	json_object_object_add(cfg, "AttachStderr", json_object_new_boolean(o->attach_stdout));
	json_object_object_add(cfg, "Tty", json_object_new_boolean(o->tty));
	json_object_object_add(cfg, "OpenStdin", json_object_new_boolean(o->interactive));
	json_object_object_add(cfg, "StdinOnce",
			       json_object_new_boolean(o->interactive && o->attach_stdout));

	/* Env: HOSTNAME, the image's, then -e in order (later wins). */
	env = json_object_new_array();
	json_object_object_add(cfg, "Env", env);
	{
		_cleanup_free_ char *h = xasprintf("HOSTNAME=%s", hostname);
		env_set(env, h);
	}
	for (char **v = ic ? ic->env : NULL; v && *v; v++)
		env_set(env, *v);
	for (char **v = o->env; v && *v; v++) {
		if (!strchr(*v, '=')) {
			const char *host = getenv(*v);
			if (host) {
				_cleanup_free_ char *kv = xasprintf("%s=%s", *v, host);
				env_set(env, kv);
			}
			continue;
		}
		if (**v == '=')
			return hk_error_set(err, 0, "-e %s: empty variable name", *v);
		env_set(env, *v);
	}
	if (!env_has(env, "PATH"))
		env_set(env, "PATH=" DEFAULT_PATH);
	if (o->tty && !env_has(env, "TERM"))
		env_set(env, "TERM=xterm");

	/* Docker's rule: --entrypoint replaces the image's Entrypoint and
	 * drops its Cmd; a Cmd given on the command line replaces the image's. */
	if (o->entrypoint_set) {
		json_object_object_add(cfg, "Entrypoint",
				       o->entrypoint && o->entrypoint[0] ? strv_json(o->entrypoint)
									 : NULL);
		cmd = o->cmd;
	} else {
		json_object_object_add(cfg, "Entrypoint",
				       strv_json_or_null(ic ? ic->entrypoint : NULL));
		cmd = o->cmd ? o->cmd : ic ? ic->cmd : NULL;
	}
	json_object_object_add(cfg, "Cmd", strv_json_or_null(cmd));
	{
		json_object *ep = NULL, *cm = NULL;
		json_object_object_get_ex(cfg, "Entrypoint", &ep);
		json_object_object_get_ex(cfg, "Cmd", &cm);
		if ((!ep || !json_object_array_length(ep)) &&
		    (!cm || !json_object_array_length(cm)))
			return hk_error_set(err, 0,
					    "no command specified: the image has no Cmd or "
					    "Entrypoint, give one after the image name");
	}
	json_object_object_add(cfg, "Image", json_object_new_string(o->image));
	json_object_object_add(cfg, "WorkingDir",
			       json_object_new_string(o->workdir	      ? o->workdir
						      : ic && ic->working_dir ? ic->working_dir
									      : ""));
	if (o->workdir && o->workdir[0] != '/')
		return hk_error_set(err, 0, "-w %s: the working directory must be absolute",
				    o->workdir);
	labels = json_object_new_object();
	json_object_object_add(cfg, "Labels", labels);
	for (char **v = ic ? ic->labels : NULL; v && *v; v++) {
		const char *eq = strchr(*v, '=');
		_cleanup_free_ char *k = eq ? xstrndup(*v, (size_t)(eq - *v)) : xstrdup(*v);
		json_object_object_add(labels, k, json_object_new_string(eq ? eq + 1 : ""));
	}
	for (char **v = o->labels; v && *v; v++) {
		const char *eq = strchr(*v, '=');
		_cleanup_free_ char *k = eq ? xstrndup(*v, (size_t)(eq - *v)) : xstrdup(*v);
		if (!*k)
			return hk_error_set(err, 0, "--label %s: empty key", *v);
		json_object_object_add(labels, k, json_object_new_string(eq ? eq + 1 : ""));
	}
	{
		const char *ss = o->stop_signal		 ? o->stop_signal
				 : ic && ic->stop_signal ? ic->stop_signal
							 : "SIGTERM";
		if (engine_parse_signal(ss) < 0)
			return hk_error_set(err, 0, "--stop-signal: unknown signal '%s'", ss);
		json_object_object_add(cfg, "StopSignal", json_object_new_string(ss));
	}
	json_object_object_add(cfg, "StopTimeout",
			       json_object_new_int(o->stop_timeout >= 0 ? o->stop_timeout : 10));

	/* HostConfig */
	binds = json_object_new_array();
	json_object_object_add(hc, "Binds", binds);
	for (char **v = o->volumes; v && *v; v++) {
		if (parse_volume(e, *v, mounts, err) < 0)
			return -1;
		json_object_array_add(binds, json_object_new_string(*v));
	}
	if (spec_mounts_config(e, o, mounts, hc, err) < 0)
		return -1;
	tmpfs = json_object_new_object();
	json_object_object_add(hc, "Tmpfs", tmpfs);
	for (char **v = o->tmpfs; v && *v; v++) {
		const char *colon = strchr(*v, ':');
		_cleanup_free_ char *dst = colon ? xstrndup(*v, (size_t)(colon - *v)) : xstrdup(*v);
		if (dst[0] != '/')
			return hk_error_set(err, 0, "--tmpfs %s: the path must be absolute", *v);
		json_object_object_add(tmpfs, dst, json_object_new_string(colon ? colon + 1 : ""));
	}
	{
		/* the image's EXPOSE and --expose: -P publishes them all */
		_cleanup_strv_ char **exposed = NULL;
		json_object *ep = json_object_new_object();
		json_object_object_add(cfg, "ExposedPorts", ep);
		for (char **x = ic ? ic->exposed_ports : NULL; x && *x; x++) {
			json_object_object_add(ep, *x, json_object_new_object());
			strv_push(&exposed, *x);
		}
		for (char **x = o->expose; x && *x; x++)
			strv_push(&exposed, *x);
		if (engine_net_config(e, o, exposed, all, hc, err) < 0)
			return -1;
	}
	if (spec_parse_restart(o->restart, &policy, &max_retry, err) < 0)
		return -1;
	if (o->auto_remove && strcmp(policy, "no"))
		return hk_error_set(err, 0, "--restart %s and --rm cannot be used together",
				    o->restart);
	rp = json_object_new_object();
	json_object_object_add(hc, "RestartPolicy", rp);
	json_object_object_add(rp, "Name", json_object_new_string(policy));
	json_object_object_add(rp, "MaximumRetryCount", json_object_new_int(max_retry));
	json_object_object_add(hc, "AutoRemove", json_object_new_boolean(o->auto_remove));
	lc = json_object_new_object();
	json_object_object_add(hc, "LogConfig", lc);
	json_object_object_add(lc, "Type",
			       json_object_new_string(o->log_driver ? o->log_driver : "json-file"));
	lopts = json_object_new_object();
	json_object_object_add(lc, "Config", lopts);
	for (char **v = o->log_opts; v && *v; v++) {
		const char *eq = strchr(*v, '=');
		if (!eq)
			return hk_error_set(err, 0, "--log-opt %s: expected KEY=VALUE", *v);
		_cleanup_free_ char *k = xstrndup(*v, (size_t)(eq - *v));
		json_object_object_add(lopts, k, json_object_new_string(eq + 1));
	}
	if (logfile_check_config(lc, err) < 0)
		return -1;
	if (caps_json(o->cap_add, "--cap-add", &cap_add, err) < 0)
		return -1;
	json_object_object_add(hc, "CapAdd", cap_add);
	if (caps_json(o->cap_drop, "--cap-drop", &cap_drop, err) < 0)
		return -1;
	json_object_object_add(hc, "CapDrop", cap_drop);
	json_object_object_add(hc, "Privileged", json_object_new_boolean(o->privileged));
	json_object_object_add(hc, "ReadonlyRootfs", json_object_new_boolean(o->read_only));
	json_object_object_add(hc, "Init", json_object_new_boolean(o->init));
	json_object_object_add(hc, "Memory", json_object_new_int64(o->memory));
	json_object_object_add(hc, "MemorySwap", json_object_new_int64(o->memory_swap));
	json_object_object_add(hc, "NanoCpus", json_object_new_int64(o->nano_cpus));
	json_object_object_add(hc, "CpuShares", json_object_new_int64(o->cpu_shares));
	json_object_object_add(hc, "PidsLimit", json_object_new_int64(o->pids_limit));
	if (o->memory_swap && o->memory && o->memory_swap != -1 && o->memory_swap < o->memory)
		return hk_error_set(err, 0, "--memory-swap must be at least --memory");
	if (build_security(o, hc, err) < 0)
		return -1;
	if (spec_opts_config(e, o, cfg, hc, err) < 0)
		return -1;
	*out = steal_ptr(&all);
	return 0;
}

/* ------------------------------------------------------------ OCI spec */

static json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

static json_object *mount_obj(const char *dst, const char *type, const char *src, const char *opts)
{
	json_object *m = json_object_new_object(), *o = json_object_new_array();
	_cleanup_free_ char *copy = xstrdup(opts);
	char *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		json_object_array_add(o, jstr(t));
	json_object_object_add(m, "destination", jstr(dst));
	json_object_object_add(m, "type", jstr(type));
	json_object_object_add(m, "source", jstr(src));
	json_object_object_add(m, "options", o);
	return m;
}

static const char *cfg_str(json_object *o, const char *key)
{
	return json_str(o, key);
}

static int64_t cfg_int(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_int64(v) : 0;
}

static bool cfg_bool(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && v && json_object_get_boolean(v);
}

static bool strarr_has(json_object *a, const char *s)
{
	for (size_t i = 0; a && i < json_object_array_length(a); i++)
		if (!strcasecmp(json_object_get_string(json_object_array_get_idx(a, i)), s))
			return true;
	return false;
}

static json_object *caps_set(json_object *hc)
{
	json_object *add = NULL, *drop = NULL, *set = json_object_new_array();
	bool all = cfg_bool(hc, "Privileged");

	json_object_object_get_ex(hc, "CapAdd", &add);
	json_object_object_get_ex(hc, "CapDrop", &drop);
	if (strarr_has(add, "ALL"))
		all = true;
	if (all) {
		for (int c = 0; c <= 63; c++) {
			const char *n = caps_name(c);
			/* only what we hold ourselves: a host without, say,
			 * CAP_SYS_RESOURCE cannot grant it (capset fails) */
			if (prctl(PR_CAPBSET_READ, c) != 1)
				continue;
			if (n && (cfg_bool(hc, "Privileged") || !strarr_has(drop, n)))
				json_object_array_add(set, jstr(n));
		}
		return set;
	}
	if (!strarr_has(drop, "ALL"))
		for (const char *const *d = caps_docker_default(); *d; d++)
			if (!strarr_has(drop, *d))
				json_object_array_add(set, jstr(*d));
	for (size_t i = 0; add && i < json_object_array_length(add); i++) {
		const char *n = json_object_get_string(json_object_array_get_idx(add, i));
		if (!strarr_has(set, n))
			json_object_array_add(set, jstr(n));
	}
	return set;
}

char *engine_find_helper(const char *name)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *p;

	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			p = xasprintf("%s/%s", self, name);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
			p = xasprintf("%s/../libexec/hako/%s", self, name);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	p = xasprintf("/usr/local/libexec/hako/%s", name);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	p = xasprintf("/usr/libexec/hako/%s", name);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	return NULL;
}

char *engine_find_init(void)
{
	return engine_find_helper("hako-init");
}

static int add_resources(json_object *hc, json_object *lnx, bool privileged)
{
	json_object *res = json_object_new_object(), *devs = json_object_new_array();
	static const struct {
		const char *type;
		int major, minor;
	} allow[] = {{"c", -1, -1},  {"b", -1, -1}, {"c", 1, 3},   {"c", 1, 5},
		     {"c", 1, 7},    {"c", 5, 0},   {"c", 1, 8},   {"c", 1, 9},
		     {"c", 136, -1}, {"c", 5, 2},   {"c", 10, 200}};
	json_object *d = json_object_new_object();

	json_object_object_add(d, "allow", json_object_new_boolean(privileged));
	json_object_object_add(d, "access", jstr("rwm"));
	json_object_array_add(devs, d);
	for (size_t i = 0; !privileged && i < ARRAY_SIZE(allow); i++) {
		d = json_object_new_object();
		json_object_object_add(d, "allow", json_object_new_boolean(1));
		json_object_object_add(d, "type", jstr(allow[i].type));
		if (allow[i].major >= 0)
			json_object_object_add(d, "major", json_object_new_int(allow[i].major));
		if (allow[i].minor >= 0)
			json_object_object_add(d, "minor", json_object_new_int(allow[i].minor));
		/* the first two only allow mknod of any device, as Docker */
		json_object_object_add(d, "access", jstr(i < 2 ? "m" : "rwm"));
		json_object_array_add(devs, d);
	}
	json_object_object_add(res, "devices", devs);
	if (cfg_int(hc, "Memory") > 0) {
		json_object *m = json_object_new_object();
		json_object_object_add(m, "limit", json_object_new_int64(cfg_int(hc, "Memory")));
		if (cfg_int(hc, "MemorySwap") != 0)
			json_object_object_add(m, "swap",
					       json_object_new_int64(cfg_int(hc, "MemorySwap")));
		json_object_object_add(res, "memory", m);
	}
	if (cfg_int(hc, "NanoCpus") > 0 || cfg_int(hc, "CpuShares") > 0) {
		json_object *c = json_object_new_object();
		if (cfg_int(hc, "CpuShares") > 0)
			json_object_object_add(c, "shares",
					       json_object_new_int64(cfg_int(hc, "CpuShares")));
		if (cfg_int(hc, "NanoCpus") > 0) {
			json_object_object_add(c, "period", json_object_new_int64(100000));
			json_object_object_add(c, "quota",
					       json_object_new_int64(cfg_int(hc, "NanoCpus") *
								     100000 / 1000000000));
		}
		json_object_object_add(res, "cpu", c);
	}
	if (cfg_int(hc, "PidsLimit") != 0) {
		json_object *p = json_object_new_object();
		json_object_object_add(p, "limit", json_object_new_int64(cfg_int(hc, "PidsLimit")));
		json_object_object_add(res, "pids", p);
	}
	json_object_object_add(lnx, "resources", res);
	return 0;
}

static size_t path_depth(const char *p)
{
	size_t n = 0;

	for (const char *s = p ? p : ""; *s; s++)
		if (*s == '/' && s[1] && s[1] != '/')
			n++;
	return n;
}

static int mount_depth_cmp(const void *a, const void *b)
{
	json_object *const *x = a, *const *y = b;
	size_t dx = path_depth(json_str(*x, "destination"));
	size_t dy = path_depth(json_str(*y, "destination"));

	return dx < dy ? -1 : dx > dy ? 1 : 0;
}

/* As Docker: parents before children (a volume at /etc under hako's
 * /etc/hosts), the order given among equals (a -v at /etc/hosts after
 * hako's, so it wins).  A stable insertion sort: the list is short. */
static void mounts_sort(json_object *mounts)
{
	size_t n = json_object_array_length(mounts);
	_cleanup_free_ json_object **v = xzalloc((n + 1) * sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = json_object_get(json_object_array_get_idx(mounts, i));
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && mount_depth_cmp(&v[j - 1], &v[j]) > 0; j--) {
			json_object *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	json_object_array_del_idx(mounts, 0, n);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(mounts, v[i]);
}

int spec_generate(struct engine *e, const struct engine_container *c, const char *rootfs,
		  json_object **out, struct hk_error **err)
{
	_cleanup_json_ json_object *spec = json_object_new_object();
	json_object *cfg = NULL, *hc = NULL, *vmounts = NULL, *tmpfs = NULL, *v;
	json_object *proc = json_object_new_object(), *root = json_object_new_object();
	json_object *mounts = json_object_new_array(), *lnx = json_object_new_object();
	json_object *ns = json_object_new_array(), *args = json_object_new_array();
	json_object *caps = json_object_new_object(), *user = json_object_new_object();
	_cleanup_free_ char *dir = engine_ctr_dir(e, c->id);
	_cleanup_free_ gid_t *groups = NULL;
	_cleanup_close_ int rootfd = -1;
	const char *net, *wd, *uspec;
	bool privileged;
	uid_t uid;
	gid_t gid;
	size_t ngroups = 0;

	json_object_object_get_ex(c->config, "Config", &cfg);
	json_object_object_get_ex(c->config, "HostConfig", &hc);
	json_object_object_get_ex(c->config, "Mounts", &vmounts);
	json_object_object_get_ex(hc, "Tmpfs", &tmpfs);
	privileged = cfg_bool(hc, "Privileged");
	net = cfg_str(hc, "NetworkMode");

	rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		hk_error_errno(err, "open rootfs %s", rootfs);
	uspec = cfg_str(cfg, "User");
	if (rootfd < 0 || spec_resolve_user(rootfd, uspec && *uspec ? uspec : "0", &uid, &gid,
					    &groups, &ngroups, err) < 0) {
		/* not in the spec yet: freed here (a hostile /etc/passwd
		 * ends a run here, and LeakSanitizer checks that path) */
		json_object *loose[] = {proc, root, mounts, lnx, ns, args, caps, user};
		for (size_t i = 0; i < ARRAY_SIZE(loose); i++)
			json_object_put(loose[i]);
		return rootfd < 0 ? -1 : hk_error_wrap(err, "user %s", uspec);
	}

	json_object_object_add(spec, "ociVersion", jstr("1.2.0"));

	/* process */
	json_object_object_add(proc, "terminal", json_object_new_boolean(cfg_bool(cfg, "Tty")));
	json_object_object_add(user, "uid", json_object_new_int64(uid));
	json_object_object_add(user, "gid", json_object_new_int64(gid));
	{
		/* always present: the primary group first, as Docker writes it */
		json_object *ag = json_object_new_array();
		json_object_array_add(ag, json_object_new_int64(gid));
		for (size_t i = 0; i < ngroups; i++)
			json_object_array_add(ag, json_object_new_int64(groups[i]));
		json_object_object_add(user, "additionalGids", ag);
	}
	json_object_object_add(proc, "user", user);
	if (cfg_bool(hc, "Init")) {
		json_object_array_add(args, jstr("/dev/init"));
		json_object_array_add(args, jstr("--"));
	}
	if (json_object_object_get_ex(cfg, "Entrypoint", &v) && v)
		for (size_t i = 0; i < json_object_array_length(v); i++)
			json_object_array_add(args,
					      json_object_get(json_object_array_get_idx(v, i)));
	if (json_object_object_get_ex(cfg, "Cmd", &v) && v)
		for (size_t i = 0; i < json_object_array_length(v); i++)
			json_object_array_add(args,
					      json_object_get(json_object_array_get_idx(v, i)));
	json_object_object_add(proc, "args", args);
	json_object_object_get_ex(cfg, "Env", &v);
	json_object_object_add(proc, "env", json_object_get(v));
	wd = cfg_str(cfg, "WorkingDir");
	json_object_object_add(proc, "cwd", jstr(wd && *wd ? wd : "/"));
	{
		json_object *set = caps_set(hc);
		json_object_object_add(caps, "bounding", set);
		json_object_object_add(caps, "effective", json_object_get(set));
		json_object_object_add(caps, "permitted", json_object_get(set));
	}
	json_object_object_add(proc, "capabilities", caps);
	json_object_object_add(proc, "noNewPrivileges",
			       json_object_new_boolean(cfg_bool(hc, "NoNewPrivileges")));
	json_object_object_add(spec, "process", proc);

	json_object_object_add(root, "path", jstr(rootfs));
	json_object_object_add(root, "readonly",
			       json_object_new_boolean(cfg_bool(hc, "ReadonlyRootfs")));
	json_object_object_add(spec, "root", root);
	json_object_object_add(spec, "hostname", jstr(cfg_str(cfg, "Hostname")));

	/* mounts, Docker's set */
	json_object_array_add(mounts, mount_obj("/proc", "proc", "proc", "nosuid,noexec,nodev"));
	json_object_array_add(mounts, mount_obj("/dev", "tmpfs", "tmpfs",
						"nosuid,strictatime,mode=755,size=65536k"));
	json_object_array_add(mounts,
			      mount_obj("/dev/pts", "devpts", "devpts",
					"nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
	json_object_array_add(
		mounts, mount_obj("/sys", "sysfs", "sysfs",
				  privileged ? "nosuid,noexec,nodev" : "nosuid,noexec,nodev,ro"));
	json_object_array_add(mounts,
			      mount_obj("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
	json_object_array_add(mounts, mount_obj("/dev/shm", "tmpfs", "shm",
						"nosuid,noexec,nodev,mode=1777,size=67108864"));
	{
		static const char *const files[] = {"resolv.conf", "hostname", "hosts"};
		for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
			_cleanup_free_ char *src = path_join(dir, files[i]);
			_cleanup_free_ char *dst = xasprintf("/etc/%s", files[i]);
			json_object_array_add(mounts,
					      mount_obj(dst, "bind", src, "rbind,rprivate"));
		}
	}
	if (cfg_bool(hc, "Init")) {
		_cleanup_free_ char *init = engine_find_init();
		if (!init)
			return hk_error_set(err, ENOENT,
					    "--init: hako-init not found next to hako nor in "
					    "/usr/local/libexec/hako");
		json_object_array_add(mounts, mount_obj("/dev/init", "bind", init, "bind,ro"));
	}
	for (size_t i = 0; vmounts && i < json_object_array_length(vmounts); i++) {
		json_object *m = json_object_array_get_idx(vmounts, i);
		const char *prop = cfg_str(m, "Propagation");
		_cleanup_free_ char *opts = NULL;
		if (str_eq(cfg_str(m, "Type"), "tmpfs")) {
			/* --mount type=tmpfs: its size and mode, as --tmpfs */
			int64_t size = cfg_int(m, "TmpfsSize");
			json_object *mode = NULL;
			_cleanup_free_ char *ss =
				size > 0 ? xasprintf(",size=%lld", (long long)size) : xstrdup("");
			_cleanup_free_ char *ms =
				json_object_object_get_ex(m, "TmpfsMode", &mode) &&
						json_object_get_int64(mode) >= 0
					? xasprintf(",mode=%llo",
						    (unsigned long long)json_object_get_int64(mode))
					: xstrdup("");
			opts = xasprintf("nosuid,nodev,noexec%s%s%s", ss, ms,
					 cfg_bool(m, "RW") ? "" : ",ro");
			json_object_array_add(mounts, mount_obj(cfg_str(m, "Destination"), "tmpfs",
								"tmpfs", opts));
			continue;
		}
		opts = xasprintf("rbind,%s%s", prop && *prop ? prop : "rprivate",
				 cfg_bool(m, "RW") ? "" : ",ro");
		if (prop && (strstr(prop, "shared") || strstr(prop, "slave")))
			/* as Docker: a shared or slave mount needs a root that
			 * propagates, else the runtime's private root cuts it off */
			json_object_object_add(lnx, "rootfsPropagation",
					       jstr(strstr(prop, "shared") ? "rshared" : "rslave"));
		json_object_array_add(mounts, mount_obj(cfg_str(m, "Destination"), "bind",
							cfg_str(m, "Source"), opts));
	}
	json_object_object_foreach(tmpfs, tdst, topts)
	{
		const char *to = json_object_get_string(topts);
		_cleanup_free_ char *opts =
			xasprintf("nosuid,nodev,noexec%s%s", to && *to ? "," : "", to ? to : "");
		json_object_array_add(mounts, mount_obj(tdst, "tmpfs", "tmpfs", opts));
	}
	mounts_sort(mounts);
	json_object_object_add(spec, "mounts", mounts);

	/* linux */
	{
		const char *names[] = {"pid", "ipc", "uts", "mount", "network"};
		size_t n = ARRAY_SIZE(names);
		if (net && !strcmp(net, "host"))
			n--;
		for (size_t i = 0; i < n; i++) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "type", jstr(names[i]));
			json_object_array_add(ns, o);
			if (!strcmp(names[i], "network") && net &&
			    str_has_prefix(net, "container:")) {
				/* join the other container's namespace (as it runs now) */
				_cleanup_free_ char *p = engine_net_namespace_path(e, net, err);
				if (!p)
					return -1;
				json_object_object_add(o, "path", jstr(p));
			}
		}
	}
	json_object_object_add(lnx, "namespaces", ns);
	if (!privileged) {
		json_object_object_add(lnx, "maskedPaths",
				       strv_json((char *const *)runtime_masked_paths));
		json_object_object_add(lnx, "readonlyPaths",
				       strv_json((char *const *)runtime_readonly_paths));
	}
	add_resources(hc, lnx, privileged);
	if (!privileged && !cfg_bool(hc, "SeccompUnconfined")) {
		json_object *prof = NULL;
		if (json_object_object_get_ex(hc, "SeccompProfile", &prof) && prof)
			json_object_object_add(lnx, "seccomp", json_object_get(prof));
		else
			json_object_object_add(lnx, "seccomp", seccomp_default_profile());
	}
	{
		_cleanup_free_ char *cg = xasprintf("hako/%s", c->id);
		json_object_object_add(lnx, "cgroupsPath", jstr(cg));
	}
	json_object_object_add(spec, "linux", lnx);
	if (spec_opts_oci(e, c, rootfd, spec, err) < 0 || spec_mounts_oci(c, spec, err) < 0)
		return -1;
	*out = steal_ptr(&spec);
	return 0;
}

/* ------------------------------------------------------------ users */

/* /etc/passwd and /etc/group are the image's (or, for exec -u, the running
 * container's) and read here on the host: through path_read_in_root(), so a
 * FIFO, a device node, a huge file or a link out of the rootfs is refused
 * with its name and why, never opened or followed.  Docker's largest known
 * files are far below the bound. */
#define ETC_FILE_MAX (4u << 20)

/* The content of file in the rootfs into *text; NULL (and 0) when it does
 * not exist, as runc treats a missing file. */
static int etc_read(int rootfd, const char *file, char **text, struct hk_error **err)
{
	struct hk_error *e2 = NULL;

	*text = NULL;
	if (path_read_in_root(rootfd, file, ETC_FILE_MAX, text, NULL, &e2) == 0)
		return 0;
	if (e2->errnum == ENOENT || e2->errnum == ENOTDIR) {
		hk_error_free(&e2);
		return 0;
	}
	*err = e2;
	return -1;
}

/* Find a line of an /etc/passwd or /etc/group text whose first field
 * (name) or third field (id) matches; fields split into *fields.  1 when
 * found, 0 when not. */
static int find_entry(const char *text, const char *key, bool by_id, char ***fields)
{
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		_cleanup_free_ char *line = nl ? xstrndup(p, (size_t)(nl - p)) : xstrdup(p);
		char **v = NULL;
		char *save = NULL, *q = line;

		p = nl ? nl + 1 : NULL;
		/* strsep keeps empty fields (a password field is often empty) */
		while ((save = strsep(&q, ":")))
			strv_push(&v, save);
		if (strv_len(v) >= 3 && !strcmp(v[by_id ? 2 : 0], key)) {
			*fields = v;
			return 1;
		}
		strv_free(v);
	}
	return 0;
}

/* Every group of the /etc/group text that lists uname, but gid, into
 * groups (at most 64, as before). */
static void find_groups(const char *text, const char *uname, gid_t gid, gid_t **groups,
			size_t *ngroups)
{
	const char *p = text;

	while (p && *p && *ngroups < 64) {
		const char *nl = strchr(p, '\n');
		_cleanup_free_ char *line = nl ? xstrndup(p, (size_t)(nl - p)) : xstrdup(p);
		char *q = line, *name = strsep(&q, ":"), *pass = strsep(&q, ":");
		char *id = strsep(&q, ":"), *mem = q;

		p = nl ? nl + 1 : NULL;
		(void)name;
		(void)pass;
		if (!id || !mem)
			continue;
		for (char *m2 = mem, *tok; (tok = strsep(&m2, ","));) {
			if (!strcmp(tok, uname)) {
				gid_t gg = (gid_t)strtoul(id, NULL, 10);
				if (gg != gid) {
					*groups = xrealloc(*groups, (*ngroups + 1) * sizeof(gid_t));
					(*groups)[(*ngroups)++] = gg;
				}
				break;
			}
		}
	}
}

int spec_resolve_user(int rootfd, const char *user, uid_t *uid, gid_t *gid, gid_t **groups,
		      size_t *ngroups, struct hk_error **err)
{
	_cleanup_free_ char *u = xstrdup(user), *passwd = NULL, *group = NULL;
	_cleanup_strv_ char **pw = NULL;
	char *g = strchr(u, ':');
	long long n;
	bool gid_set = false;
	const char *uname = NULL;

	*groups = NULL;
	*ngroups = 0;
	if (g)
		*g++ = '\0';
	if (etc_read(rootfd, "/etc/passwd", &passwd, err) < 0)
		return -1;
	if (parse_ll(u, 0, UINT32_MAX - 1, &n) == 0) {
		*uid = (uid_t)n;
		*gid = 0;
		if (find_entry(passwd, u, true, &pw) > 0) {
			*gid = (gid_t)strtoul(pw[3] ? pw[3] : "0", NULL, 10);
			uname = pw[0];
		}
	} else {
		if (find_entry(passwd, u, false, &pw) <= 0)
			return hk_error_set(err, 0,
					    "unable to find user %s: no matching entries in "
					    "passwd file",
					    u);
		*uid = (uid_t)strtoul(pw[2], NULL, 10);
		*gid = (gid_t)strtoul(pw[3] ? pw[3] : "0", NULL, 10);
		uname = pw[0];
	}
	if ((g && *g && parse_ll(g, 0, UINT32_MAX - 1, &n) < 0) || (uname && !(g && *g))) {
		if (etc_read(rootfd, "/etc/group", &group, err) < 0)
			return -1;
	}
	if (g && *g) {
		_cleanup_strv_ char **gr = NULL;
		if (parse_ll(g, 0, UINT32_MAX - 1, &n) == 0) {
			*gid = (gid_t)n;
		} else {
			if (find_entry(group, g, false, &gr) <= 0)
				return hk_error_set(err, 0,
						    "unable to find group %s: no matching entries "
						    "in group file",
						    g);
			*gid = (gid_t)strtoul(gr[2], NULL, 10);
		}
		gid_set = true;
	}
	/* supplementary groups: every group listing the user by name */
	if (uname && !gid_set)
		find_groups(group, uname, *gid, groups, ngroups);
	return 0;
}

/* ------------------------------------------------------------ etc files */

int spec_write_etc_files(struct engine *e, const struct engine_container *c, struct hk_error **err)
{
	_cleanup_free_ char *dir = engine_ctr_dir(e, c->id);
	_cleanup_free_ char *hosts = NULL, *hostname = NULL, *resolv = NULL, *host_resolv = NULL;
	json_object *cfg = NULL, *hc = NULL;
	const char *hn, *net;
	size_t len = 0;
	bool host_net;

	json_object_object_get_ex(c->config, "Config", &cfg);
	json_object_object_get_ex(c->config, "HostConfig", &hc);
	hn = cfg_str(cfg, "Hostname");
	net = cfg_str(hc, "NetworkMode");
	host_net = net && !strcmp(net, "host");

	if (host_net && read_file_at(AT_FDCWD, "/etc/hosts", 1 << 20, &hosts, &len, NULL) == 0) {
		/* the host's, as Docker does with --network host */
	} else {
		free(hosts);
		hosts = xasprintf("127.0.0.1\tlocalhost\n"
				  "::1\tlocalhost ip6-localhost ip6-loopback\n"
				  "fe00::0\tip6-localnet\n"
				  "ff00::0\tip6-mcastprefix\n"
				  "ff02::1\tip6-allnodes\n"
				  "ff02::2\tip6-allrouters\n"
				  "127.0.1.1\t%s\n",
				  hn);
	}
	{
		/* --add-host lines; on a bridge network net rewrites the whole
		 * file (with the peers) once the container is connected */
		json_object *xh = NULL;
		json_object_object_get_ex(hc, "ExtraHosts", &xh);
		for (size_t i = 0; xh && i < json_object_array_length(xh); i++) {
			const char *h = json_object_get_string(json_object_array_get_idx(xh, i));
			const char *colon = h ? strchr(h, ':') : NULL;
			char *more;
			if (!colon)
				continue;
			more = xasprintf("%s%s\t%.*s\n", hosts, colon + 1, (int)(colon - h), h);
			free(hosts);
			hosts = more;
		}
	}
	hostname = xasprintf("%s\n", hn);
	if (read_file_at(AT_FDCWD, "/etc/resolv.conf", 1 << 20, &host_resolv, &len, NULL) < 0)
		host_resolv = xstrdup("");
	json_object *dns = NULL;
	json_object_object_get_ex(hc, "Dns", &dns);
	if (dns && json_object_array_length(dns) > 0) {
		/* --dns: these servers, the host's search and options */
		_cleanup_strv_ char **servers = NULL;
		for (size_t i = 0; i < json_object_array_length(dns); i++)
			strv_push(&servers,
				  json_object_get_string(json_object_array_get_idx(dns, i)));
		if (net_resolv_content(servers, NULL, NULL, &resolv, err) < 0)
			return -1;
	} else if (host_net) {
		resolv = steal_ptr(&host_resolv);
	} else {
		/* a private network namespace cannot reach the host's loopback
		 * resolvers (systemd-resolved, dnsmasq): drop them, as Docker */
		size_t cap = strlen(host_resolv) + 64, n = 0;
		bool ns = false;
		char *save = NULL;
		resolv = xzalloc(cap);
		for (char *l = strtok_r(host_resolv, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			if (str_has_prefix(l, "nameserver") &&
			    (strstr(l, " 127.") || strstr(l, "\t127.") || strstr(l, " ::1")))
				continue;
			if (str_has_prefix(l, "nameserver"))
				ns = true;
			n += (size_t)snprintf(resolv + n, cap - n, "%s\n", l);
		}
		if (!ns)
			snprintf(resolv + n, cap - n, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	}
	{
		/* --dns-search, --dns-option */
		char *with = spec_resolv_apply(resolv, hc);
		if (with) {
			free(resolv);
			resolv = with;
		}
	}
	{
		_cleanup_free_ char *p1 = path_join(dir, "hosts");
		_cleanup_free_ char *p2 = path_join(dir, "hostname");
		_cleanup_free_ char *p3 = path_join(dir, "resolv.conf");
		if (write_file_at(AT_FDCWD, p1, hosts, strlen(hosts), 0644, err) < 0 ||
		    write_file_at(AT_FDCWD, p2, hostname, strlen(hostname), 0644, err) < 0 ||
		    write_file_at(AT_FDCWD, p3, resolv, strlen(resolv), 0644, err) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ command check */

static int check_exec(int rootfd, const char *path, struct hk_error **err)
{
	_cleanup_close_ int fd = path_open_in_root(rootfd, path, O_PATH, 0, NULL);
	struct stat st;

	if (fd < 0)
		return 127;
	if (fstat(fd, &st) < 0)
		return 127;
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		return 126;
	return 0;
}

/* Is @path at or below the destination of one of the spec's mounts (other
 * than "/")? What a mount will show there is not in the rootfs yet, so the
 * pre-check cannot judge it; the runtime will when it execs. */
static bool path_under_mount(json_object *spec, const char *path)
{
	json_object *mounts = NULL;
	_cleanup_free_ char *p = path_clean(path);

	json_object_object_get_ex(spec, "mounts", &mounts);
	for (size_t i = 0; mounts && i < json_object_array_length(mounts); i++) {
		const char *dst = cfg_str(json_object_array_get_idx(mounts, i), "destination");
		_cleanup_free_ char *d = dst ? path_clean(dst) : NULL;
		size_t n = d ? strlen(d) : 0;

		if (n > 1 && !strncmp(p, d, n) && (p[n] == '\0' || p[n] == '/'))
			return true;
	}
	return false;
}

int spec_check_command(json_object *spec, const char *rootfs, struct hk_error **err)
{
	json_object *proc = NULL, *args = NULL, *env = NULL;
	_cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	const char *arg0, *path = DEFAULT_PATH;
	int r;

	if (rootfd < 0)
		return 0; /* the runtime will say */
	json_object_object_get_ex(spec, "process", &proc);
	json_object_object_get_ex(proc, "args", &args);
	json_object_object_get_ex(proc, "env", &env);
	if (!args || !json_object_array_length(args))
		return 0;
	arg0 = json_object_get_string(json_object_array_get_idx(args, 0));
	/* --init: hako-init is mounted at start; the command follows "--" */
	if (!strcmp(arg0, "/dev/init") && json_object_array_length(args) > 2)
		arg0 = json_object_get_string(json_object_array_get_idx(args, 2));
	if (strchr(arg0, '/')) {
		const char *cwd = cfg_str(proc, "cwd");
		_cleanup_free_ char *full =
			arg0[0] == '/' ? xstrdup(arg0) : path_join(cwd ? cwd : "/", arg0);
		if (path_under_mount(spec, full))
			return 0;
		r = check_exec(rootfd, full, err);
	} else {
		bool unknown = false;

		for (size_t i = 0; env && i < json_object_array_length(env); i++) {
			const char *s = json_object_get_string(json_object_array_get_idx(env, i));
			if (str_has_prefix(s, "PATH="))
				path = s + 5;
		}
		_cleanup_free_ char *p = xstrdup(path);
		char *save = NULL;
		r = 127;
		for (char *d = strtok_r(p, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			_cleanup_free_ char *full = path_join(d, arg0);
			int k;

			if (path_under_mount(spec, full)) {
				unknown = true;
				continue;
			}
			k = check_exec(rootfd, full, err);
			if (k == 0) {
				r = 0;
				break;
			}
			if (k == 126)
				r = 126;
		}
		if (r != 0 && unknown)
			return 0;
	}
	if (r == 127)
		hk_error_set(err, 0, "exec: \"%s\": executable file not found in $PATH", arg0);
	else if (r == 126)
		hk_error_set(err, 0, "exec: \"%s\": permission denied (not an executable file)",
			     arg0);
	return r;
}
