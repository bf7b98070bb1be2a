/* hako-runtime start */
#include <getopt.h>

#include "cli/command.h"
#include "cli/rt_common.h"
#include "cli/runtime_cli.h"

static int rt_start_run(int argc, char **argv, struct hk_error **err)
{
	const char *id;

	optind = 1;
	if (rt_need_id(argc, argv, &id, err) < 0)
		return -1;
	return runtime_start(runtime_globals.root, id, err) < 0 ? -1 : 0;
}

static const struct hk_command rt_start = {
	.name = "start",
	.usage = "start ID",
	.summary = "Start a created container",
	.run = rt_start_run,
};
HK_COMMAND(runtime, rt_start);
