/* hako-runtime features */
#include <stdio.h>
#include <stdlib.h>

#include "cli/command.h"
#include "cli/rt_common.h"
#include "util/json.h"

static int rt_features_run(int argc, char **argv, struct hk_error **err)
{
	_cleanup_json_ json_object *f = runtime_features();
	char *s = json_to_string(f, true);
	printf("%s\n", s);
	free(s);
	return 0;
}

static const struct hk_command rt_features = {
	.name = "features",
	.usage = "features",
	.summary = "Print what this runtime supports (JSON)",
	.run = rt_features_run,
};
HK_COMMAND(runtime, rt_features);
