/* hako rm: remove containers. */
#include <getopt.h>
#include <stdio.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int rm_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'}, {"volumes", no_argument, NULL, 'v'}, {0}};
	bool force = false, volumes = false;
	struct engine e;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "+fv", opts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'v')
			volumes = true;
		else
			return hk_error_set(err, 0, "rm: unknown flag; see 'hako rm --help'");
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "rm: requires at least 1 container");
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	for (int i = optind; i < argc; i++) {
		if (engine_remove(&e, argv[i], force, volumes, err) < 0) {
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

static const struct hk_command cmd_rm = {
	.name = "rm",
	.aliases = "container rm",
	.usage = "rm [OPTIONS] CONTAINER...",
	.summary = "Remove containers",
	.help = "  -f, --force     kill a running container first\n"
		"  -v, --volumes   also remove its anonymous volumes\n",
	.run = rm_run,
};
HK_COMMAND(hako, cmd_rm);
