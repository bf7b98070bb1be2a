/* hako __monitor-exit: internal.  The small hako-monitor exec()s this when
 * the container's init exited, to record the exit, apply the restart policy
 * and --rm (src/engine/monitor.c). */
#include <getopt.h>
#include <stdlib.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

#define MAX_CLIENTS 16

static int fd_arg(const char *opt, const char *s, int *out, struct hk_error **err)
{
	long long v;

	if (parse_ll(s, 0, 1 << 30, &v) < 0)
		return hk_error_set(err, 0, "%s: bad number '%s'", opt, s);
	*out = (int)v;
	return 0;
}

static int monitor_exit_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"code", required_argument, NULL, 'c'},
		{"lock", required_argument, NULL, 'l'},
		{"listen", required_argument, NULL, 's'},
		{"client", required_argument, NULL, 'a'},
		{0},
	};
	int code = -1, lock_fd = -1, listen_fd = -1, clients[MAX_CLIENTS], n = 0, o;
	struct engine e;

	while ((o = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		int r = 0;
		switch (o) {
		case 'c':
			r = fd_arg("--code", optarg, &code, err);
			break;
		case 'l':
			r = fd_arg("--lock", optarg, &lock_fd, err);
			break;
		case 's':
			r = fd_arg("--listen", optarg, &listen_fd, err);
			break;
		case 'a':
			if (n < MAX_CLIENTS)
				r = fd_arg("--client", optarg, &clients[n++], err);
			break;
		default:
			return hk_error_set(err, 0, "__monitor-exit: bad option");
		}
		if (r < 0)
			return -1;
	}
	if (optind + 1 != argc || code < 0 || lock_fd < 0 || listen_fd < 0)
		return hk_error_set(err, 0, "__monitor-exit is run by hako-monitor, not by people");
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	engine_monitor_resume(&e, argv[optind], code, lock_fd, listen_fd, clients, (size_t)n);
}

static const struct hk_command cmd_monitor_exit = {
	.name = "__monitor-exit",
	.usage = "__monitor-exit --code N --lock FD --listen FD [--client FD]... ID",
	.summary = "internal: a container monitor records its container's exit",
	.run = monitor_exit_run,
};
HK_COMMAND(hako, cmd_monitor_exit);
