/* hako stop: the stop signal, then SIGKILL after a timeout. */
#include <getopt.h>
#include <stdio.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int stop_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"time", required_argument, NULL, 't'},
					     {"timeout", required_argument, NULL, 't'},
					     {0}};
	long long t = -1;
	struct engine e;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "+t:", opts, NULL)) != -1) {
		if (c != 't')
			return hk_error_set(err, 0, "stop: unknown flag; see 'hako stop --help'");
		if (parse_ll(optarg, 0, 1 << 30, &t) < 0)
			return hk_error_set(err, 0, "stop: invalid -t value '%s'", optarg);
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "stop: requires at least 1 container");
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	for (int i = optind; i < argc; i++) {
		bool killed = false;
		if (engine_stop(&e, argv[i], (int)t, &killed, err) < 0) {
			hk_error_print(*err, "hako");
			hk_error_free(err);
			rc = 1;
			continue;
		}
		if (killed)
			fprintf(stderr,
				"hako: %s did not exit within the stop timeout after its stop "
				"signal (a shell as PID 1 ignores SIGTERM unless it traps it; use "
				"--init or exec form), so it was killed with SIGKILL\n",
				argv[i]);
		printf("%s\n", argv[i]);
	}
	engine_close(&e);
	return rc;
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
