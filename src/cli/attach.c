/* hako attach: connect our terminal to a running container. */
#include <getopt.h>
#include <stdio.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int attach_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"no-stdin", no_argument, NULL, 'n'},
					     {"detach-keys", required_argument, NULL, 'k'},
					     {"sig-proxy", required_argument, NULL, 's'},
					     {0}};
	const char *keys = NULL;
	bool no_stdin = false, tty, open_stdin;
	struct engine_container *ct = NULL;
	json_object *cfg = NULL, *v;
	struct engine e;
	int c, fd, r;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'n')
			no_stdin = true;
		else if (c == 'k')
			keys = optarg;
		else if (c != 's')
			return hk_error_set(err, 0,
					    "attach: unknown flag; see 'hako attach --help'");
	}
	if (optind != argc - 1)
		return hk_error_set(err, 0, "attach: requires exactly 1 container");
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	if (engine_lookup(&e, argv[optind], &ct, err) < 0 ||
	    engine_attach_connect(&e, ct, &fd, err) < 0) {
		engine_container_free(ct);
		engine_close(&e);
		return -1;
	}
	json_object_object_get_ex(ct->config, "Config", &cfg);
	tty = json_object_object_get_ex(cfg, "Tty", &v) && json_object_get_boolean(v);
	open_stdin = json_object_object_get_ex(cfg, "OpenStdin", &v) && json_object_get_boolean(v);
	r = ctr_attach_and_wait(&e, ct->id, fd, tty, open_stdin && !no_stdin, keys, err);
	engine_container_free(ct);
	engine_close(&e);
	return r;
}

static const struct hk_command cmd_attach = {
	.name = "attach",
	.aliases = "container attach",
	.usage = "attach [OPTIONS] CONTAINER",
	.summary = "Attach to a running container's console",
	.help = "      --no-stdin         do not forward stdin\n"
		"      --detach-keys KEYS detach sequence (default ctrl-p,ctrl-q)\n",
	.run = attach_run,
};
HK_COMMAND(hako, cmd_attach);
