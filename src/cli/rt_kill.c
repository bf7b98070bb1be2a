/* hako-runtime kill */
#include <getopt.h>
#include <signal.h>

#include "cli/command.h"
#include "cli/rt_common.h"
#include "cli/runtime_cli.h"

static int rt_kill_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"all", no_argument, NULL, 'a'}, {0}};
	const char *id;
	bool all = false;
	int c, sig = SIGTERM;

	while ((c = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
		if (c != 'a')
			return hk_error_set(err, 0, "kill: bad option (see --help)");
		all = true;
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "kill: missing container id");
	id = argv[optind];
	if (optind + 1 < argc) {
		sig = rt_parse_signal(argv[optind + 1]);
		if (sig < 0)
			return hk_error_set(err, 0, "kill: unknown signal \"%s\"",
					    argv[optind + 1]);
		if (optind + 2 < argc)
			return hk_error_set(err, 0, "kill: unexpected argument \"%s\"",
					    argv[optind + 2]);
	}
	return runtime_kill(runtime_globals.root, id, sig, all, err) < 0 ? -1 : 0;
}

static const struct hk_command rt_kill = {
	.name = "kill",
	.usage = "kill [--all] ID [SIGNAL]",
	.summary = "Send a signal (default TERM) to a container",
	.help = "  -a, --all   signal every process of the container\n"
		"SIGNAL is a name (KILL, SIGKILL) or a number.\n",
	.run = rt_kill_run,
};
HK_COMMAND(runtime, rt_kill);
