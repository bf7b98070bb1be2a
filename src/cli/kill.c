/* hako kill: send a signal to containers' init processes. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int kill_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"signal", required_argument, NULL, 's'}, {0}};
	int sig = SIGKILL, c, rc = 0;
	struct engine e;

	while ((c = getopt_long(argc, argv, "+s:", opts, NULL)) != -1) {
		if (c != 's')
			return hk_error_set(err, 0, "kill: unknown flag; see 'hako kill --help'");
		sig = engine_parse_signal(optarg);
		if (sig < 0)
			return hk_error_set(err, 0, "kill: invalid signal '%s'", optarg);
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "kill: requires at least 1 container");
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	for (int i = optind; i < argc; i++) {
		if (engine_kill(&e, argv[i], sig, err) < 0) {
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

static const struct hk_command cmd_kill = {
	.name = "kill",
	.aliases = "container kill",
	.usage = "kill [OPTIONS] CONTAINER...",
	.summary = "Send a signal to running containers (default SIGKILL)",
	.help = "  -s, --signal SIG   the signal (name or number)\n",
	.run = kill_run,
};
HK_COMMAND(hako, cmd_kill);
