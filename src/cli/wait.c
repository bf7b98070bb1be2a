/* hako wait: block until containers stop, print their exit codes. */
#include <stdio.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int wait_one(struct engine *e, const char *name, void *arg, struct hk_error **err)
{
	int code;

	(void)arg;
	if (engine_wait(e, name, &code, err) < 0)
		return -1;
	printf("%d\n", code);
	return CTR_EACH_PRINTED;
}

static int wait_run(int argc, char **argv, struct hk_error **err)
{
	if (argc < 2)
		return hk_error_set(err, 0, "wait: requires at least 1 container");
	return ctr_for_each(argc - 1, argv + 1, wait_one, NULL, err);
}

static const struct hk_command cmd_wait = {
	.name = "wait",
	.aliases = "container wait",
	.usage = "wait CONTAINER...",
	.summary = "Wait for containers to stop and print their exit codes",
	.run = wait_run,
};
HK_COMMAND(hako, cmd_wait);
