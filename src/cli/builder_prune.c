/* hako builder prune [-a] [-f]: clear the build cache (src/build/cache.c). */
#include <getopt.h>
#include <stdio.h>

#include "build/build.h"
#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int builder_prune_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"all", no_argument, NULL, 'a'}, {"force", no_argument, NULL, 'f'}, {}};
	bool all = false, force = false;
	int64_t n = 0, freed = 0;
	int c;

	while ((c = getopt_long(argc, argv, "+af", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'f':
			force = true;
			break;
		default:
			return 125;
		}
	}
	if (optind != argc)
		return hk_error_set(err, 0, "builder prune: takes no arguments");
	if (!force && !ctr_confirm(all ? "This will remove all build cache.\n"
				       : "This will remove all dangling build cache.\n"))
		return 0;
	if (build_cache_prune(hk_globals.root, all, &n, &freed, err) < 0)
		return -1;
	printf("Deleted build cache objects: %lld\n", (long long)n);
	printf("Total reclaimed space: %.1fMB\n", (double)freed / 1e6);
	return 0;
}

static const struct hk_command cmd_builder_prune = {
	.name = "builder prune",
	.aliases = "buildx prune",
	.usage = "builder prune [-a] [-f]",
	.summary = "Remove the build cache",
	.help = "  -a, --all     every cache record (by default those whose image is neither\n"
		"                tagged nor used by a container)\n"
		"  -f, --force   do not ask\n"
		"Intermediate images that only the cache kept are removed with it.\n",
	.run = builder_prune_run,
};
HK_COMMAND(hako, cmd_builder_prune);
