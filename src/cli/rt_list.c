/* hako-runtime list */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/rt_common.h"
#include "cli/runtime_cli.h"
#include "util/json.h"

static const char *str(json_object *o, const char *k)
{
	const char *s = json_str(o, k);
	return s ? s : "";
}

static int rt_list_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},
		{0},
	};
	_cleanup_json_ json_object *arr = NULL;
	const char *format = "table";
	bool quiet = false;
	int c;

	while ((c = getopt_long(argc, argv, "+f:q", opts, NULL)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'q')
			quiet = true;
		else
			return hk_error_set(err, 0, "list: bad option (see --help)");
	}
	if (strcmp(format, "table") && strcmp(format, "json"))
		return hk_error_set(err, 0, "list: --format: unknown format \"%s\" (table or json)",
				    format);
	if (runtime_list(runtime_globals.root, &arr, err) < 0)
		return -1;
	if (!strcmp(format, "json")) {
		char *s = json_to_string(arr, false);
		printf("%s\n", s);
		free(s);
		return 0;
	}
	if (!quiet)
		printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		if (quiet)
			printf("%s\n", str(o, "id"));
		else
			printf("%-20s %-8s %-10s %-40s %-30s %s\n", str(o, "id"), str(o, "pid"),
			       str(o, "status"), str(o, "bundle"), str(o, "created"),
			       *str(o, "owner") ? str(o, "owner") : "root");
	}
	return 0;
}

static const struct hk_command rt_list = {
	.name = "list",
	.usage = "list [--format table|json] [-q]",
	.summary = "List the containers",
	.help = "  -f, --format table|json   output format\n"
		"  -q, --quiet               ids only\n",
	.run = rt_list_run,
};
HK_COMMAND(runtime, rt_list);
