/* hako-runtime update */
#include <fcntl.h>
#include <getopt.h>
#include <string.h>

#include "cli/command.h"
#include "cli/rt_common.h"
#include "cli/runtime_cli.h"
#include "util/json.h"
#include "util/util.h"

static int rt_update_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"resources", required_argument, NULL, 'r'}, {0}};
	_cleanup_json_ json_object *res = NULL;
	_cleanup_free_ char *text = NULL;
	const char *file = NULL, *id;
	size_t len;
	int c;

	while ((c = getopt_long(argc, argv, "+r:", opts, NULL)) != -1) {
		if (c != 'r')
			return hk_error_set(err, 0, "update: bad option (see --help)");
		file = optarg;
	}
	if (rt_need_id(argc, argv, &id, err) < 0)
		return -1;
	if (!file)
		return hk_error_set(err, 0, "update: --resources FILE is required");
	if (read_file_at(AT_FDCWD, strcmp(file, "-") ? file : "/dev/stdin", 1 << 20, &text, &len,
			 err) < 0)
		return hk_error_wrap(err, "update: --resources");
	if (json_parse(strcmp(file, "-") ? file : "stdin", text, len, &res, err) < 0)
		return hk_error_wrap(err, "update");
	if (!json_object_is_type(res, json_type_object))
		return hk_error_set(err, 0, "update: %s: expected a linux.resources object", file);
	return runtime_update(runtime_globals.root, id, res, err) < 0 ? -1 : 0;
}

static const struct hk_command rt_update = {
	.name = "update",
	.usage = "update --resources FILE ID",
	.summary = "Change the resources of a running container",
	.help = "  -r, --resources FILE   a linux.resources JSON object ('-': stdin)\n",
	.run = rt_update_run,
};
HK_COMMAND(runtime, rt_update);
