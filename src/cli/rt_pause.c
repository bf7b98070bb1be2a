/* hako-runtime pause and resume */
#include <getopt.h>

#include "cli/command.h"
#include "cli/rt_common.h"
#include "cli/runtime_cli.h"

static int rt_pause_run(int argc, char **argv, struct hk_error **err)
{
	const char *id;

	optind = 1;
	if (rt_need_id(argc, argv, &id, err) < 0)
		return -1;
	return runtime_pause(runtime_globals.root, id, err) < 0 ? -1 : 0;
}

static int rt_resume_run(int argc, char **argv, struct hk_error **err)
{
	const char *id;

	optind = 1;
	if (rt_need_id(argc, argv, &id, err) < 0)
		return -1;
	return runtime_resume(runtime_globals.root, id, err) < 0 ? -1 : 0;
}

static const struct hk_command rt_pause = {
	.name = "pause",
	.usage = "pause ID",
	.summary = "Freeze every process of a container",
	.run = rt_pause_run,
};
HK_COMMAND(runtime, rt_pause);

static const struct hk_command rt_resume = {
	.name = "resume",
	.usage = "resume ID",
	.summary = "Thaw a paused container",
	.run = rt_resume_run,
};
HK_COMMAND(runtime, rt_resume);
