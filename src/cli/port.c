/* hako port */
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int port_run(int argc, char **argv, struct hk_error **err)
{
	struct engine e;
	_cleanup_strv_ char **lines = NULL;
	int r;

	if (argc < 2 || argc > 3)
		return hk_error_set(err, 0, "port: expected CONTAINER [PRIVATE_PORT[/PROTO]]");
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	r = engine_ports(&e, argv[1], &lines, err);
	engine_close(&e);
	if (r < 0)
		return hk_error_wrap(err, "port");
	for (char **l = lines; l && *l; l++) {
		if (argc == 3) {
			/* "80" means 80/tcp, as docker */
			_cleanup_free_ char *want = strchr(argv[2], '/')
							    ? xstrdup(argv[2])
							    : xasprintf("%s/tcp", argv[2]);
			size_t n = strlen(want);
			if (strncmp(*l, want, n) || strncmp(*l + n, " -> ", 4))
				continue;
			printf("%s\n", *l + n + 4);
			continue;
		}
		printf("%s\n", *l);
	}
	return 0;
}

static const struct hk_command cmd_port = {
	.name = "port",
	.usage = "port CONTAINER [PRIVATE_PORT[/PROTO]]",
	.summary = "List a container's published ports",
	.help = "  Lines \"80/tcp -> 0.0.0.0:8080\" (a range shows one line per port);\n"
		"  with PRIVATE_PORT, only its host address and port.\n",
	.run = port_run,
};
HK_COMMAND(hako, cmd_port);
