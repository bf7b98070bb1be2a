/* hako engine: a container's log configuration.  The log itself is written
 * by the monitor (src/monitor/log.c, formats in src/monitor/mon.h) and read
 * by `hako logs`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "util/path.h"
#include "util/util.h"

int logfile_config(json_object *cfg, enum mon_log_format *fmt, int64_t *max_size, int *max_file,
		   struct hk_error **err)
{
	json_object *type = NULL, *opts = NULL, *v;

	*fmt = MON_LOG_JSON;
	*max_size = 10LL << 20;
	*max_file = 3;
	if (cfg)
		json_object_object_get_ex(cfg, "Type", &type);
	if (type) {
		const char *t = json_object_get_string(type);
		if (!strcmp(t, "json-file") || !*t)
			*fmt = MON_LOG_JSON;
		else if (!strcmp(t, "k8s-file"))
			*fmt = MON_LOG_K8S;
		else if (!strcmp(t, "none"))
			*fmt = MON_LOG_NONE;
		else
			return hk_error_set(
				err, 0,
				"--log-driver: unknown driver '%s' (json-file, k8s-file "
				"or none)",
				t);
	}
	if (cfg)
		json_object_object_get_ex(cfg, "Config", &opts);
	if (opts && json_object_object_get_ex(opts, "max-size", &v)) {
		const char *s = json_object_get_string(v);
		if (engine_parse_size(s, max_size) < 0 || *max_size <= 0)
			return hk_error_set(err, 0, "--log-opt max-size: bad size '%s'", s);
	}
	if (opts && json_object_object_get_ex(opts, "max-file", &v)) {
		long long n;
		const char *s = json_object_get_string(v);
		if (parse_ll(s, 1, 100, &n) < 0)
			return hk_error_set(err, 0, "--log-opt max-file: bad count '%s' (1-100)",
					    s);
		*max_file = (int)n;
	}
	json_object_object_foreach(opts, key, val)
	{
		(void)val;
		if (strcmp(key, "max-size") && strcmp(key, "max-file"))
			return hk_error_set(err, 0, "--log-opt: unknown option '%s'", key);
	}
	return 0;
}

/* Validate a LogConfig object (for create). */
int logfile_check_config(json_object *cfg, struct hk_error **err);
int logfile_check_config(json_object *cfg, struct hk_error **err)
{
	enum mon_log_format f;
	int64_t s;
	int n;

	return logfile_config(cfg, &f, &s, &n, err);
}

int logfile_open(const char *dir, json_object *log_config, struct mon_log **out,
		 struct hk_error **err)
{
	_cleanup_free_ char *path = path_join(dir, "ctr.log");
	struct mon_log *l = xzalloc(sizeof(*l));
	enum mon_log_format fmt;
	int64_t max_size;
	int max_file, r;

	if (logfile_config(log_config, &fmt, &max_size, &max_file, err) < 0) {
		free(l);
		return -1;
	}
	r = mon_log_open(l, path, -1, fmt, max_size, max_file);
	if (r < 0) {
		free(l);
		errno = -r;
		return hk_error_errno(err, "open log %s", path);
	}
	*out = l;
	return 0;
}

void logfile_close(struct mon_log *l)
{
	if (!l)
		return;
	mon_log_close(l);
	free(l);
}
