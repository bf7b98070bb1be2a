/* hako pause / unpause: freeze and thaw containers (cgroup freezer). */
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int pause_common(int argc, char **argv, bool pause, struct hk_error **err)
{
	struct engine e;
	int rc = 0;

	if (argc < 2 || argv[1][0] == '-')
		return hk_error_set(err, 0, "%s: requires at least 1 container", argv[0]);
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	for (int i = 1; i < argc; i++) {
		if (engine_pause(&e, argv[i], pause, err) < 0) {
			hk_error_print(*err, "hako");
			hk_error_free(err);
			rc = 1;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	engine_close(&e);
	return rc;
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
