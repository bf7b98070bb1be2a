/* hako image prune: remove dangling (or, with -a, all unused) images. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "cli/command.h"
#include "cli/image_common.h"
#include "util/util.h"

static void print_deleted(const char *id, void *data)
{
	bool *first = data;

	if (*first)
		printf("Deleted Images:\n");
	*first = false;
	printf("deleted: %s\n", id);
}

static int prune_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"all", no_argument, NULL, 'a'}, {"force", no_argument, NULL, 'f'}, {}};
	_cleanup_image_store_ struct image_store *s = NULL;
	bool all = false, first = true;
	int64_t freed = 0;
	char size[32];
	int c;

	while ((c = getopt_long(argc, argv, "+af", opts, NULL)) != -1) {
		if (c == 'a')
			all = true;
		else if (c != 'f')
			return 125;
	}
	if (optind != argc)
		return hk_error_set(err, EINVAL, "image prune: takes no arguments");
	if (cli_image_store(&s, err) < 0 ||
	    image_prune(s, all, print_deleted, &first, &freed, err) < 0)
		return -1;
	if (!first)
		printf("\n");
	cli_human_size(freed, size, sizeof(size));
	printf("Total reclaimed space: %s\n", size);
	return 0;
}

static const struct hk_command cmd_image_prune = {
	.name = "image prune",
	.usage = "image prune [-a] [-f]",
	.summary = "Remove unused images",
	.help = "  -a, --all     every image no container uses, not only untagged ones\n"
		"  -f, --force   (accepted for Docker compatibility; hako does not ask)\n",
	.run = prune_run,
};
HK_COMMAND(hako, cmd_image_prune);
