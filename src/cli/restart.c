/* hako restart: stop then start. */
#include <getopt.h>
#include <stdio.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int restart_one(struct engine *e, const char *name, void *arg, struct hk_error **err)
{
	bool killed;
	int status;

	if (engine_stop(e, name, *(int *)arg, &killed, err) < 0 ||
	    engine_start(e, name, -1, &status, err) < 0)
		return -1;
	return 0;
}

static int restart_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"time", required_argument, NULL, 't'}, {0}};
	long long t = -1;
	int c, timeout;

	while ((c = getopt_long(argc, argv, "+t:", opts, NULL)) != -1) {
		if (c != 't' || parse_ll(optarg, 0, 1 << 30, &t) < 0)
			return hk_error_set(err, 0,
					    "restart: bad option; see 'hako restart --help'");
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "restart: requires at least 1 container");
	timeout = (int)t;
	return ctr_for_each(argc - optind, argv + optind, restart_one, &timeout, err);
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
