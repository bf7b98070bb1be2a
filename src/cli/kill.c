/* hako kill: send a signal to containers' init processes. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int kill_one(struct engine *e, const char *name, void *arg, struct hk_error **err)
{
	return engine_kill(e, name, *(int *)arg, err);
}

static int kill_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"signal", required_argument, NULL, 's'}, {0}};
	int sig = SIGKILL, c;

	while ((c = getopt_long(argc, argv, "+s:", opts, NULL)) != -1) {
		if (c != 's')
			return hk_error_set(err, 0, "kill: unknown flag; see 'hako kill --help'");
		sig = engine_parse_signal(optarg);
		if (sig < 0)
			return hk_error_set(err, 0, "kill: invalid signal '%s'", optarg);
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "kill: requires at least 1 container");
	return ctr_for_each(argc - optind, argv + optind, kill_one, &sig, err);
}

static const struct hk_command cmd_kill = {
	.name = "kill",
	.aliases = "container kill",
	.usage = "kill [OPTIONS] CONTAINER...",
	.summary = "Send a signal to running containers (default SIGKILL)",
	.help = "  -s, --signal SIG   the signal (name or number)\n",
	.run = kill_run,
};
HK_COMMAND(hako, cmd_kill);
