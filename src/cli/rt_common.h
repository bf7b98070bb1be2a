/* hako-runtime commands (private): what the rt_*.c files share. */
#ifndef HAKO_CLI_RT_COMMON_H
#define HAKO_CLI_RT_COMMON_H

#include <stdbool.h>

#include "runtime/runtime.h"
#include "util/error.h"

/* runtime_opts from the global flags (--root, --cgroup-manager). */
void rt_cli_opts(struct runtime_opts *o);

/* The create/run options shared by both commands; returns the getopt result
 * handling, or -1 when c is not one of them. */
struct rt_create_args {
	const char *bundle;
	bool detach, keep;
};
int rt_parse_create(int argc, char **argv, bool run, struct runtime_opts *o,
		    struct rt_create_args *a, const char **id, struct hk_error **err);

/* "KILL", "SIGKILL", "9" -> 9; -1 when unknown. */
int rt_parse_signal(const char *s);

/* The one container id argument at argv[optind]. */
int rt_need_id(int argc, char **argv, const char **id, struct hk_error **err);

#endif
