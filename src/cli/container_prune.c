/* hako container prune: remove every stopped container. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int prune_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {0}};
	bool force = false;
	struct engine e;
	int c, r;

	while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
		if (c != 'f')
			return hk_error_set(err, 0, "container prune: unknown flag");
		force = true;
	}
	if (!force && !ctr_confirm("This will remove all stopped containers.\n"))
		return 0;
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	r = ctr_prune_stopped(&e, true, err);
	engine_close(&e);
	return r;
}

static const struct hk_command cmd_container_prune = {
	.name = "container prune",
	.usage = "container prune [-f]",
	.summary = "Remove all stopped containers",
	.help = "  -f, --force   do not ask\n",
	.run = prune_run,
};
HK_COMMAND(hako, cmd_container_prune);
