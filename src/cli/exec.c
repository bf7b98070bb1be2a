/* hako exec: run a command in a running container. */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int exec_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"interactive", no_argument, NULL, 'i'},
					     {"tty", no_argument, NULL, 't'},
					     {"detach", no_argument, NULL, 'd'},
					     {"env", required_argument, NULL, 'e'},
					     {"user", required_argument, NULL, 'u'},
					     {"workdir", required_argument, NULL, 'w'},
					     {"privileged", no_argument, NULL, 'P'},
					     {"detach-keys", required_argument, NULL, 'k'},
					     {0}};
	struct engine_exec_opts o = {0};
	_cleanup_strv_ char **env = NULL, **cmd = NULL;
	struct engine e;
	int c, code = 0, r;

	while ((c = getopt_long(argc, argv, "+itde:u:w:", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o.interactive = true;
			break;
		case 't':
			o.tty = true;
			break;
		case 'd':
			o.detach = true;
			break;
		case 'e':
			strv_push(&env, optarg);
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'w':
			o.workdir = optarg;
			break;
		case 'P':
			o.privileged = true;
			break;
		case 'k':
			o.detach_keys = optarg;
			break;
		default:
			return hk_error_set(err, 0, "exec: unknown flag; see 'hako exec --help'");
		}
	}
	if (argc - optind < 2)
		return hk_error_set(err, 0,
				    "exec: requires at least 2 arguments: CONTAINER COMMAND");
	for (int i = optind + 1; i < argc; i++)
		strv_push(&cmd, argv[i]);
	o.cmd = cmd;
	o.env = env;
	if (o.tty && !isatty(STDIN_FILENO))
		fprintf(stderr, "hako: exec -t: the input device is not a TTY\n");
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	/* an error before the process runs (no such container, not running)
	 * is hako's own: 125, as every other command's (it used to exit 0) */
	code = 125;
	r = engine_exec(&e, argv[optind], &o, &code, err);
	engine_close(&e);
	if (r < 0) {
		hk_error_print(*err, "hako");
		return code;
	}
	return code;
}

static const struct hk_command cmd_exec = {
	.name = "exec",
	.aliases = "container exec",
	.usage = "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
	.summary = "Run a command in a running container",
	.help = "  -i, --interactive   keep stdin open (without it: /dev/null)\n"
		"  -t, --tty           allocate a pseudo-terminal\n"
		"  -d, --detach        run in the background\n"
		"  -e, --env K=V       set an environment variable\n"
		"  -u, --user USER     user (name or id)\n"
		"  -w, --workdir DIR   working directory\n",
	.run = exec_run,
};
HK_COMMAND(hako, cmd_exec);
