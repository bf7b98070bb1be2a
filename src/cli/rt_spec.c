/* hako-runtime spec */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/rt_common.h"
#include "util/json.h"
#include "util/util.h"

static int rt_spec_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"bundle", required_argument, NULL, 'b'},
		{"rootless", no_argument, NULL, 'r'},
		{0},
	};
	_cleanup_json_ json_object *spec = NULL;
	_cleanup_free_ char *path = NULL, *text = NULL;
	const char *bundle = ".";
	bool rootless = false;
	int c;

	while ((c = getopt_long(argc, argv, "+b:", opts, NULL)) != -1) {
		if (c == 'b')
			bundle = optarg;
		else if (c == 'r')
			rootless = true;
		else
			return hk_error_set(err, 0, "spec: bad option (see --help)");
	}
	path = xasprintf("%s/config.json", bundle);
	if (access(path, F_OK) == 0)
		return hk_error_set(err, EEXIST, "spec: %s already exists", path);
	spec = runtime_default_spec(rootless);
	text = json_to_string(spec, true);
	char *t = xasprintf("%s\n", text);
	free(text);
	text = t;
	return write_file_at(AT_FDCWD, path, text, strlen(text), 0644, err) < 0 ? -1 : 0;
}

static const struct hk_command rt_spec = {
	.name = "spec",
	.usage = "spec [--bundle DIR] [--rootless]",
	.summary = "Write a default config.json",
	.help = "  -b, --bundle DIR   where to write config.json (default: .)\n"
		"      --rootless     a spec for a user namespace mapping the caller\n",
	.run = rt_spec_run,
};
HK_COMMAND(runtime, rt_spec);
