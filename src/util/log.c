#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/json.h"
#include "util/util.h"

static int log_fd = 2;
static bool log_json;
static enum hk_log_level log_level = HK_LOG_WARN;
static const char *const level_names[] = {"error", "warning", "info", "debug"};

int log_open(const char *path, bool json, enum hk_log_level level, struct hk_error **err)
{
	log_json = json;
	log_level = level;
	if (path) {
		int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0)
			return hk_error_errno(err, "open log file %s", path);
		if (log_fd > 2)
			close(log_fd);
		log_fd = fd;
	}
	return 0;
}

void log_set_level(enum hk_log_level level)
{
	log_level = level;
}

void log_forget_file(void)
{
	log_fd = 2;
}

bool log_enabled(enum hk_log_level level)
{
	return level <= log_level;
}

void log_msg(enum hk_log_level level, const char *fmt, ...)
{
	int saved = errno;
	_cleanup_free_ char *msg = NULL, *line = NULL;
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (log_json) {
		char ts[64];
		struct timespec now;
		struct tm tm;
		json_object *o = json_object_new_object();
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_object_add(o, "level", json_object_new_string(level_names[level]));
		json_object_object_add(o, "msg", json_object_new_string(msg));
		json_object_object_add(o, "time", json_object_new_string(ts));
		line = xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		line = xasprintf("%s: %s\n", level_names[level], msg);
	}
	(void)write_all(log_fd, line, strlen(line));
	errno = saved;
}
