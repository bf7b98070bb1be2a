/* hako rm: remove containers. */
#include <getopt.h>
#include <stdio.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

struct rm_flags {
	bool force, volumes;
};

static int rm_one(struct engine *e, const char *name, void *arg, struct hk_error **err)
{
	const struct rm_flags *f = arg;
	return engine_remove(e, name, f->force, f->volumes, err);
}

static int rm_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'}, {"volumes", no_argument, NULL, 'v'}, {0}};
	struct rm_flags f = {false, false};
	int c;

	while ((c = getopt_long(argc, argv, "+fv", opts, NULL)) != -1) {
		if (c == 'f')
			f.force = true;
		else if (c == 'v')
			f.volumes = true;
		else
			return hk_error_set(err, 0, "rm: unknown flag; see 'hako rm --help'");
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "rm: requires at least 1 container");
	return ctr_for_each(argc - optind, argv + optind, rm_one, &f, err);
}

static const struct hk_command cmd_rm = {
	.name = "rm",
	.aliases = "container rm",
	.usage = "rm [OPTIONS] CONTAINER...",
	.summary = "Remove containers",
	.help = "  -f, --force     kill a running container first\n"
		"  -v, --volumes   also remove its anonymous volumes\n",
	.run = rm_run,
};
HK_COMMAND(hako, cmd_rm);
