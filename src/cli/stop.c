/* hako stop: the stop signal, then SIGKILL after a timeout. */
#include <getopt.h>
#include <stdio.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int stop_one(struct engine *e, const char *name, void *arg, struct hk_error **err)
{
	bool killed = false;

	if (engine_stop(e, name, *(int *)arg, &killed, err) < 0)
		return -1;
	if (killed)
		fprintf(stderr,
			"hako: %s did not exit within the stop timeout after its stop "
			"signal (a shell as PID 1 ignores SIGTERM unless it traps it; use "
			"--init or exec form), so it was killed with SIGKILL\n",
			name);
	return 0;
}

static int stop_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"time", required_argument, NULL, 't'},
					     {"timeout", required_argument, NULL, 't'},
					     {0}};
	long long t = -1;
	int c, timeout;

	while ((c = getopt_long(argc, argv, "+t:", opts, NULL)) != -1) {
		if (c != 't')
			return hk_error_set(err, 0, "stop: unknown flag; see 'hako stop --help'");
		if (parse_ll(optarg, 0, 1 << 30, &t) < 0)
			return hk_error_set(err, 0, "stop: invalid -t value '%s'", optarg);
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "stop: requires at least 1 container");
	timeout = (int)t;
	return ctr_for_each(argc - optind, argv + optind, stop_one, &timeout, err);
}

static const struct hk_command cmd_stop = {
	.name = "stop",
	.aliases = "container stop",
	.usage = "stop [OPTIONS] CONTAINER...",
	.summary = "Stop running containers (stop signal, then SIGKILL)",
	.help = "  -t, --time N   seconds to wait before SIGKILL (default: the container's, 10)\n",
	.run = stop_run,
};
HK_COMMAND(hako, cmd_stop);
