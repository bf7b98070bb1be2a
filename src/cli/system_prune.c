/* hako system prune: stopped containers, unused images (dangling, or all
 * with -a), and with --volumes unused volumes. */
#include <getopt.h>
#include <stdio.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "image/image.h"
#include "util/util.h"

static void print_image(const char *id, void *data)
{
	(void)data;
	printf("deleted: %s\n", id);
}

static int sprune_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
					     {"all", no_argument, NULL, 'a'},
					     {"volumes", no_argument, NULL, 'V'},
					     {0}};
	struct image_store *store = NULL;
	bool force = false, all = false, volumes = false;
	int64_t reclaimed = 0;
	struct engine e;
	int c;

	while ((c = getopt_long(argc, argv, "+fa", opts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'a')
			all = true;
		else if (c == 'V')
			volumes = true;
		else
			return hk_error_set(err, 0, "system prune: unknown flag");
	}
	if (!force) {
		_cleanup_free_ char *what = xasprintf(
			"This will remove:\n  - all stopped containers\n"
			"  - all networks not used by at least one container\n%s%s",
			volumes ? "  - all volumes not used by at least one container\n" : "",
			all ? "  - all images without at least one container associated to them\n"
			    : "  - all dangling images\n");
		if (!ctr_confirm(what))
			return 0;
	}
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	if (ctr_prune_stopped(&e, false, err) < 0) {
		engine_close(&e);
		return -1;
	}
	if (volumes) {
		struct engine_volume **vl = NULL;
		size_t vn = 0;
		printf("\nDeleted Volumes:\n");
		if (engine_volume_list(&e, NULL, &vl, &vn, err) == 0) {
			for (size_t i = 0; i < vn; i++)
				if (!vl[i]->users &&
				    engine_volume_remove(&e, vl[i]->name, false, err) == 0)
					printf("%s\n", vl[i]->name);
			engine_volume_list_free(vl, vn);
		}
		hk_error_free(err);
	}
	{
		_cleanup_strv_ char **nets = NULL;
		printf("\nDeleted Networks:\n");
		if (engine_network_prune(&e, &nets, err) == 0)
			for (char **net = nets; net && *net; net++)
				printf("%s\n", *net);
		hk_error_free(err);
	}
	engine_close(&e);
	printf("\nDeleted Images:\n");
	if (image_store_open(hk_globals.root, &store, err) < 0)
		return -1;
	if (image_prune(store, all, print_image, NULL, &reclaimed, err) < 0) {
		image_store_close(store);
		return -1;
	}
	image_store_close(store);
	printf("\nTotal reclaimed space: %.1fMB\n", (double)reclaimed / 1e6);
	return 0;
}

static const struct hk_command cmd_system_prune = {
	.name = "system prune",
	.usage = "system prune [-f] [-a] [--volumes]",
	.summary = "Remove stopped containers, unused networks and images, (--volumes) volumes",
	.help = "  -f, --force    do not ask\n"
		"  -a, --all      every image no container uses, not only dangling ones\n"
		"      --volumes  also volumes no container uses\n",
	.run = sprune_run,
};
HK_COMMAND(hako, cmd_system_prune);
