/* hako-runtime delete */
#include <getopt.h>

#include "cli/command.h"
#include "cli/rt_common.h"
#include "cli/runtime_cli.h"

static int rt_delete_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {0}};
	const char *id;
	bool force = false;
	int c;

	while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
		if (c != 'f')
			return hk_error_set(err, 0, "delete: bad option (see --help)");
		force = true;
	}
	if (rt_need_id(argc, argv, &id, err) < 0)
		return -1;
	return runtime_delete(runtime_globals.root, id, force, err) < 0 ? -1 : 0;
}

static const struct hk_command rt_delete = {
	.name = "delete",
	.usage = "delete [--force] ID",
	.summary = "Delete a stopped container (--force: any)",
	.help = "  -f, --force   kill the container first if it runs\n",
	.run = rt_delete_run,
};
HK_COMMAND(runtime, rt_delete);
