/* hako inspect: Docker's JSON of containers (or one field with -f). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "cli/format.h"
#include "util/json.h"
#include "util/util.h"

static int inspect_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
					     {"type", required_argument, NULL, 'T'},
					     {0}};
	const char *fmt = NULL;
	struct cli_format f = {0};
	json_object *arr;
	struct engine e;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c == 'f')
			fmt = optarg;
		else if (c == 'T') {
			if (strcmp(optarg, "container"))
				return hk_error_set(err, 0, "inspect: only --type container here");
		} else
			return hk_error_set(err, 0,
					    "inspect: unknown flag; see 'hako inspect --help'");
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "inspect: requires at least 1 container");
	/* "json" is the default output, as Docker's */
	if (fmt && !strcmp(fmt, "json"))
		fmt = NULL;
	if (fmt && cli_format_init_template(&f, fmt, err) < 0)
		return hk_error_wrap(err, "inspect");
	if (ctr_engine_open(&e, err) < 0) {
		cli_format_free(&f);
		return -1;
	}
	arr = json_object_new_array();
	for (int i = optind; i < argc; i++) {
		struct engine_container *ct = NULL;
		if (engine_lookup(&e, argv[i], &ct, err) < 0) {
			hk_error_print(*err, "hako");
			hk_error_free(err);
			rc = 1;
			continue;
		}
		json_object *o = engine_inspect_json(&e, ct);
		engine_container_free(ct);
		if (fmt) {
			int r = cli_format_row(&f, o, err);
			json_object_put(o);
			if (r < 0) {
				rc = hk_error_wrap(err, "inspect");
				break;
			}
		} else {
			json_object_array_add(arr, o);
		}
	}
	if (!fmt) {
		_cleanup_free_ char *s = json_to_string(arr, true);
		printf("%s\n", s);
	}
	json_object_put(arr);
	engine_close(&e);
	cli_format_free(&f);
	return rc;
}

static const struct hk_command cmd_inspect = {
	.name = "inspect",
	.aliases = "container inspect",
	.usage = "inspect [OPTIONS] CONTAINER...",
	.summary = "Show containers' configuration and state as JSON",
	.help = "  -f, --format TEMPLATE   a Go template per container (docs/format.md):\n"
		"                          '{{.State.Status}}', '{{json .Config}}',\n"
		"                          '{{range .Mounts}}{{.Destination}} {{end}}'\n",
	.run = inspect_run,
};
HK_COMMAND(hako, cmd_inspect);
