/* hako create: make a container (record, rootfs, spec) without starting it. */
#include <stdio.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int create_run(int argc, char **argv, struct hk_error **err)
{
	struct ctr_create_cli cc;
	struct engine e;
	_cleanup_free_ char *id = NULL;
	int r = -1;

	if (ctr_parse_create(argc, argv, false, &cc, err) < 0) {
		ctr_create_cli_free(&cc);
		return -1;
	}
	if (ctr_cidfile_check(cc.cidfile, err) < 0 || ctr_check_image(&cc, err) < 0) {
		ctr_create_cli_free(&cc);
		return -1;
	}
	if (ctr_engine_open(&e, err) < 0) {
		ctr_create_cli_free(&cc);
		return -1;
	}
	if (ctr_create(&e, &cc, &id, err) == 0) {
		if (ctr_cidfile_write(cc.cidfile, id, err) < 0) {
			engine_remove(&e, id, true, true, NULL);
		} else {
			printf("%s\n", id);
			r = 0;
		}
	}
	ctr_create_cli_free(&cc);
	engine_close(&e);
	return r;
}

static const struct hk_command cmd_create = {
	.name = "create",
	.aliases = "container create",
	.usage = "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
	.summary = "Create a container without starting it",
	.help = ctr_create_help,
	.h_is_option = true,
	.run = create_run,
};
HK_COMMAND(hako, cmd_create);
