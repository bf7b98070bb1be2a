/* hako-runtime state */
#include <stdio.h>
#include <stdlib.h>

#include <getopt.h>

#include "cli/command.h"
#include "cli/rt_common.h"
#include "cli/runtime_cli.h"
#include "util/json.h"

static int rt_state_run(int argc, char **argv, struct hk_error **err)
{
	_cleanup_json_ json_object *st = NULL;
	const char *id;
	char *s;

	optind = 1;
	if (rt_need_id(argc, argv, &id, err) < 0)
		return -1;
	if (runtime_state(runtime_globals.root, id, &st, err) < 0)
		return -1;
	s = json_to_string(st, true);
	printf("%s\n", s);
	free(s);
	return 0;
}

static const struct hk_command rt_state = {
	.name = "state",
	.usage = "state ID",
	.summary = "Print the state of a container (JSON)",
	.run = rt_state_run,
};
HK_COMMAND(runtime, rt_state);
