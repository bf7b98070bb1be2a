/* hako engine: container logs written by the monitor.
 *
 * json-file (default): one JSON object per line, as Docker writes it:
 *   {"log":"hello\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}
 * k8s-file (CRI, as podman): "TIME STREAM F|P MESSAGE\n" (P: a partial line).
 * none: nothing.
 *
 * Rotation (max-size, max-file; default 10m and 3): when the next entry
 * would grow ctr.log past max-size, ctr.log.N-2 .. ctr.log.1 move up one,
 * ctr.log becomes ctr.log.1 and a new ctr.log starts.  Readers go from the
 * highest number to ctr.log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/path.h"
#include "util/util.h"

enum log_format { LOG_JSON, LOG_K8S, LOG_NONE };

struct logfile {
	enum log_format format;
	int fd;
	char *path;
	int64_t size;
	int64_t max_size; /* 0: unlimited */
	int max_file;
};

static int parse_log_config(json_object *cfg, enum log_format *fmt, int64_t *max_size,
			    int *max_file, struct hk_error **err)
{
	json_object *type = NULL, *opts = NULL, *v;

	*fmt = LOG_JSON;
	*max_size = 10LL << 20;
	*max_file = 3;
	if (cfg)
		json_object_object_get_ex(cfg, "Type", &type);
	if (type) {
		const char *t = json_object_get_string(type);
		if (!strcmp(t, "json-file") || !*t)
			*fmt = LOG_JSON;
		else if (!strcmp(t, "k8s-file"))
			*fmt = LOG_K8S;
		else if (!strcmp(t, "none"))
			*fmt = LOG_NONE;
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
	enum log_format f;
	int64_t s;
	int n;

	return parse_log_config(cfg, &f, &s, &n, err);
}

int logfile_open(const char *dir, json_object *log_config, struct logfile **out,
		 struct hk_error **err)
{
	struct logfile *l = xzalloc(sizeof(*l));
	struct stat st;

	l->fd = -1;
	if (parse_log_config(log_config, &l->format, &l->max_size, &l->max_file, err) < 0) {
		free(l);
		return -1;
	}
	l->path = path_join(dir, "ctr.log");
	if (l->format != LOG_NONE) {
		l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (l->fd < 0) {
			hk_error_errno(err, "open log %s", l->path);
			logfile_close(l);
			return -1;
		}
		if (fstat(l->fd, &st) == 0)
			l->size = st.st_size;
	}
	*out = l;
	return 0;
}

static void rotate(struct logfile *l)
{
	for (int i = l->max_file - 1; i >= 1; i--) {
		_cleanup_free_ char *from =
			i == 1 ? xstrdup(l->path) : xasprintf("%s.%d", l->path, i - 1);
		_cleanup_free_ char *to = xasprintf("%s.%d", l->path, i);
		rename(from, to);
	}
	close(l->fd);
	/* max-file 1: no rotated files, the one file starts over. */
	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	l->size = 0;
}

static void emit(struct logfile *l, const char *line, size_t len)
{
	if (l->fd < 0)
		return;
	if (l->max_size > 0 && l->size > 0 && l->size + (int64_t)len > l->max_size)
		rotate(l);
	if (l->fd >= 0 && write_all(l->fd, line, len) == (ssize_t)len)
		l->size += (int64_t)len;
}

void logfile_write(struct logfile *l, const char *stream, const char *data, size_t len,
		   bool partial)
{
	_cleanup_free_ char *ts = NULL, *line = NULL;

	if (!l || l->format == LOG_NONE)
		return;
	ts = engine_format_time(engine_now());
	if (l->format == LOG_K8S) {
		size_t n = strlen(ts) + strlen(stream) + len + 8;
		line = xmalloc(n);
		int k = snprintf(line, n, "%s %s %s ", ts, stream, partial ? "P" : "F");
		memcpy(line + k, data, len);
		/* the record ends in exactly one newline; a full line's own is dropped */
		size_t body = len;
		if (body && data[body - 1] == '\n')
			body--;
		line[k + body] = '\n';
		emit(l, line, (size_t)k + body + 1);
		return;
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "log", json_object_new_string_len(data, (int)len));
	json_object_object_add(o, "stream", json_object_new_string(stream));
	json_object_object_add(o, "time", json_object_new_string(ts));
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE);
	line = xasprintf("%s\n", s);
	json_object_put(o);
	emit(l, line, strlen(line));
}

void logfile_close(struct logfile *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	free(l);
}
