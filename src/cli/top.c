/* hako top: the processes of a container (from its cgroup). */
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int top_run(int argc, char **argv, struct hk_error **err)
{
	_cleanup_free_ pid_t *pids = NULL;
	struct engine e;
	size_t n = 0;
	int r;

	if (argc < 2)
		return hk_error_set(err, 0, "top: requires 1 container");
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	r = engine_pids(&e, argv[1], &pids, &n, err);
	engine_close(&e);
	if (r < 0)
		return -1;
	printf("%-8s %-8s %-8s %s\n", "UID", "PID", "PPID", "CMD");
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *status = NULL, *cmdline = NULL;
		_cleanup_free_ char *p1 = xasprintf("/proc/%d/status", (int)pids[i]);
		_cleanup_free_ char *p2 = xasprintf("/proc/%d/cmdline", (int)pids[i]);
		size_t len = 0, clen = 0;
		long uid = -1, ppid = -1;
		if (read_file_at(-100, p1, 1 << 16, &status, &len, NULL) < 0)
			continue;
		const char *u = strstr(status, "\nUid:");
		const char *pp = strstr(status, "\nPPid:");
		if (u)
			uid = strtol(u + 5, NULL, 10);
		if (pp)
			ppid = strtol(pp + 6, NULL, 10);
		if (read_file_at(-100, p2, 1 << 16, &cmdline, &clen, NULL) < 0)
			continue;
		for (size_t k = 0; k + 1 < clen; k++)
			if (!cmdline[k])
				cmdline[k] = ' ';
		printf("%-8ld %-8d %-8ld %s\n", uid, (int)pids[i], ppid, cmdline);
	}
	return 0;
}

static const struct hk_command cmd_top = {
	.name = "top",
	.aliases = "container top",
	.usage = "top CONTAINER",
	.summary = "Show the processes of a container",
	.run = top_run,
};
HK_COMMAND(hako, cmd_top);
