/* hako: diagnostics.  Messages go to stderr, or to the --log file in text or
 * JSON form (the shape runc and crun write, so engines can read it). */
#ifndef HAKO_UTIL_LOG_H
#define HAKO_UTIL_LOG_H

#include <stdbool.h>

#include "util/error.h"

enum hk_log_level { HK_LOG_ERROR, HK_LOG_WARN, HK_LOG_INFO, HK_LOG_DEBUG };

/* Configure: path NULL means stderr; json selects {"level","msg","time"} lines. */
int log_open(const char *path, bool json, enum hk_log_level level, struct hk_error **err);
void log_set_level(enum hk_log_level level);
/* From now on to stderr, without closing the file (a child that closed
 * every fd it inherited, the log file among them). */
void log_forget_file(void);
bool log_enabled(enum hk_log_level level);
void log_msg(enum hk_log_level level, const char *fmt, ...) HK_PRINTF(2, 3);

#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_enabled(HK_LOG_DEBUG))                                                     \
			log_msg(HK_LOG_DEBUG, __VA_ARGS__);                                        \
	} while (0)
#define log_info(...)  log_msg(HK_LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(HK_LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(HK_LOG_ERROR, __VA_ARGS__)

#endif
