/* hako diff: changes of a container's filesystem against its image. */
#include <stdio.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "storage/storage.h"
#include "util/util.h"

static int diff_run(int argc, char **argv, struct hk_error **err)
{
	struct engine_container *c = NULL;
	struct storage_change *ch = NULL;
	struct storage *s = NULL;
	struct engine e;
	size_t n = 0;
	int r = -1;

	if (argc != 2)
		return hk_error_set(err, 0, "diff: requires exactly 1 container");
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	if (engine_lookup(&e, argv[1], &c, err) == 0 && storage_open(e.root, NULL, &s, err) == 0 &&
	    storage_diff(s, c->id, &ch, &n, err) == 0) {
		for (size_t i = 0; i < n; i++)
			printf("%c %s\n", ch[i].kind, ch[i].path);
		storage_changes_free(ch, n);
		r = 0;
	}
	if (s)
		storage_close(s);
	engine_container_free(c);
	engine_close(&e);
	return r;
}

static const struct hk_command cmd_diff = {
	.name = "diff",
	.aliases = "container diff",
	.usage = "diff CONTAINER",
	.summary = "Show changes to a container's filesystem (A added, C changed, D deleted)",
	.run = diff_run,
};
HK_COMMAND(hako, cmd_diff);
