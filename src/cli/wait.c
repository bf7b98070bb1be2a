/* hako wait: block until containers stop, print their exit codes. */
#include <stdio.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int wait_run(int argc, char **argv, struct hk_error **err)
{
	struct engine e;
	int rc = 0;

	if (argc < 2)
		return hk_error_set(err, 0, "wait: requires at least 1 container");
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	for (int i = 1; i < argc; i++) {
		int code;
		if (engine_wait(&e, argv[i], &code, err) < 0) {
			hk_error_print(*err, "hako");
			hk_error_free(err);
			rc = 1;
			continue;
		}
		printf("%d\n", code);
		fflush(stdout);
	}
	engine_close(&e);
	return rc;
}

static const struct hk_command cmd_wait = {
	.name = "wait",
	.aliases = "container wait",
	.usage = "wait CONTAINER...",
	.summary = "Wait for containers to stop and print their exit codes",
	.run = wait_run,
};
HK_COMMAND(hako, cmd_wait);
