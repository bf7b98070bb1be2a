/* hako-runtime ps */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/rt_common.h"
#include "cli/runtime_cli.h"
#include "util/util.h"

static int rt_ps_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, {0}};
	_cleanup_free_ pid_t *pids = NULL;
	const char *format = "table", *id;
	size_t n;
	int c;

	while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c != 'f')
			return hk_error_set(err, 0, "ps: bad option (see --help)");
		format = optarg;
	}
	if (strcmp(format, "table") && strcmp(format, "json"))
		return hk_error_set(err, 0, "ps: --format: unknown format \"%s\" (table or json)",
				    format);
	if (optind >= argc)
		return hk_error_set(err, 0, "ps: missing container id");
	id = argv[optind];
	if (runtime_pids(runtime_globals.root, id, &pids, &n, err) < 0)
		return -1;
	if (!strcmp(format, "json")) {
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
		return 0;
	}
	printf("PID\tCMD\n");
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *comm = NULL, *path = xasprintf("/proc/%d/comm", (int)pids[i]);
		size_t len;
		if (read_file_at(AT_FDCWD, path, 4096, &comm, &len, NULL) < 0)
			comm = xstrdup("?\n");
		printf("%d\t%s", (int)pids[i], comm);
	}
	return 0;
}

static const struct hk_command rt_ps = {
	.name = "ps",
	.usage = "ps [--format table|json] ID",
	.summary = "List the processes of a container",
	.run = rt_ps_run,
};
HK_COMMAND(runtime, rt_ps);
