/* hako pause / unpause: freeze and thaw containers (cgroup freezer). */
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int pause_one(struct engine *e, const char *name, void *arg, struct hk_error **err)
{
	return engine_pause(e, name, *(bool *)arg, err);
}

static int pause_common(int argc, char **argv, bool pause, struct hk_error **err)
{

	if (argc < 2 || argv[1][0] == '-')
		return hk_error_set(err, 0, "%s: requires at least 1 container", argv[0]);
	return ctr_for_each(argc - 1, argv + 1, pause_one, &pause, err);
}

static int pause_run(int argc, char **argv, struct hk_error **err)
{
	return pause_common(argc, argv, true, err);
}

static int unpause_run(int argc, char **argv, struct hk_error **err)
{
	return pause_common(argc, argv, false, err);
}

static const struct hk_command cmd_pause = {
	.name = "pause",
	.aliases = "container pause",
	.usage = "pause CONTAINER...",
	.summary = "Freeze every process of containers",
	.run = pause_run,
};
HK_COMMAND(hako, cmd_pause);

static const struct hk_command cmd_unpause = {
	.name = "unpause",
	.aliases = "container unpause",
	.usage = "unpause CONTAINER...",
	.summary = "Thaw paused containers",
	.run = unpause_run,
};
HK_COMMAND(hako, cmd_unpause);
