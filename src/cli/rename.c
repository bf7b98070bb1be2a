/* hako rename: give a container a new name. */
#include "cli/command.h"
#include "cli/ctr_common.h"

static int rename_run(int argc, char **argv, struct hk_error **err)
{
	struct engine e;
	int r;

	if (argc != 3)
		return hk_error_set(err, 0,
				    "rename: requires exactly 2 arguments: CONTAINER NEW_NAME");
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	r = engine_rename(&e, argv[1], argv[2], err);
	engine_close(&e);
	return r < 0 ? -1 : 0;
}

static const struct hk_command cmd_rename = {
	.name = "rename",
	.aliases = "container rename",
	.usage = "rename CONTAINER NEW_NAME",
	.summary = "Rename a container",
	.run = rename_run,
};
HK_COMMAND(hako, cmd_rename);
