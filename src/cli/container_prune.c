/* hako container prune: remove every stopped container. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int prune_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {0}};
	struct engine_container **list = NULL;
	bool force = false;
	struct engine e;
	size_t n = 0;
	int c;

	while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
		if (c != 'f')
			return hk_error_set(err, 0, "container prune: unknown flag");
		force = true;
	}
	if (!force) {
		char answer[16] = "";
		fprintf(stderr, "WARNING! This will remove all stopped containers.\n"
				"Are you sure you want to continue? [y/N] ");
		if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
			return 0;
	}
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	if (engine_list(&e, &list, &n, err) < 0) {
		engine_close(&e);
		return -1;
	}
	printf("Deleted Containers:\n");
	for (size_t i = 0; i < n; i++) {
		if (list[i]->state != ENGINE_EXITED && list[i]->state != ENGINE_CREATED &&
		    list[i]->state != ENGINE_DEAD)
			continue;
		if (engine_remove(&e, list[i]->id, false, false, err) < 0) {
			hk_error_print(*err, "hako");
			hk_error_free(err);
			continue;
		}
		printf("%s\n", list[i]->id);
	}
	engine_list_free(list, n);
	engine_close(&e);
	return 0;
}

static const struct hk_command cmd_container_prune = {
	.name = "container prune",
	.usage = "container prune [-f]",
	.summary = "Remove all stopped containers",
	.help = "  -f, --force   do not ask\n",
	.run = prune_run,
};
HK_COMMAND(hako, cmd_container_prune);
