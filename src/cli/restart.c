/* hako restart: stop then start. */
#include <getopt.h>
#include <stdio.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int restart_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"time", required_argument, NULL, 't'}, {0}};
	long long t = -1;
	struct engine e;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "+t:", opts, NULL)) != -1) {
		if (c != 't' || parse_ll(optarg, 0, 1 << 30, &t) < 0)
			return hk_error_set(err, 0,
					    "restart: bad option; see 'hako restart --help'");
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "restart: requires at least 1 container");
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	for (int i = optind; i < argc; i++) {
		bool killed;
		int status;
		if (engine_stop(&e, argv[i], (int)t, &killed, err) < 0 ||
		    engine_start(&e, argv[i], -1, &status, err) < 0) {
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

static const struct hk_command cmd_restart = {
	.name = "restart",
	.aliases = "container restart",
	.usage = "restart [OPTIONS] CONTAINER...",
	.summary = "Restart containers",
	.help = "  -t, --time N   seconds to wait before SIGKILL\n",
	.run = restart_run,
};
HK_COMMAND(hako, cmd_restart);
