/* hako cp: copy files between a container and the host. */
#include <string.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

/* "name:/path" -> container part and path; NULL when a host path. */
static char *split_ref(const char *arg, const char **path)
{
	const char *colon = strchr(arg, ':');

	if (!colon || arg[0] == '/' || arg[0] == '.' || colon == arg)
		return NULL;
	*path = colon + 1;
	return xstrndup(arg, (size_t)(colon - arg));
}

static int cp_run(int argc, char **argv, struct hk_error **err)
{
	_cleanup_free_ char *c1 = NULL, *c2 = NULL;
	const char *p1 = NULL, *p2 = NULL;
	struct engine e;
	int r;

	if (argc != 3)
		return hk_error_set(err, 0,
				    "cp: requires 2 arguments: SRC DEST (one as CONTAINER:PATH)");
	c1 = split_ref(argv[1], &p1);
	c2 = split_ref(argv[2], &p2);
	if (!!c1 == !!c2)
		return hk_error_set(err, 0,
				    "cp: exactly one of SRC and DEST must be CONTAINER:PATH");
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	if (c1)
		r = engine_cp(&e, c1, *p1 ? p1 : "/", argv[2], false, err);
	else
		r = engine_cp(&e, c2, argv[1], *p2 ? p2 : "/", true, err);
	engine_close(&e);
	return r < 0 ? -1 : 0;
}

static const struct hk_command cmd_cp = {
	.name = "cp",
	.aliases = "container cp",
	.usage = "cp CONTAINER:SRC DEST | cp SRC CONTAINER:DEST",
	.summary = "Copy files between a container and the host",
	.run = cp_run,
};
HK_COMMAND(hako, cmd_cp);
