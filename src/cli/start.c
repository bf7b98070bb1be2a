/* hako start: start created or stopped containers (-a: attached). */
#include <getopt.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int start_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"attach", no_argument, NULL, 'a'},
					     {"interactive", no_argument, NULL, 'i'},
					     {"detach-keys", required_argument, NULL, 'k'},
					     {0}};
	bool attach = false, interactive = false;
	const char *keys = NULL;
	struct engine e;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "+ai", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			attach = true;
			break;
		case 'i':
			interactive = true;
			break;
		case 'k':
			keys = optarg;
			break;
		default:
			return hk_error_set(err, 0, "start: unknown flag; see 'hako start --help'");
		}
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "start: requires at least 1 container");
	if (attach && argc - optind > 1)
		return hk_error_set(err, 0, "start: -a works with one container only");
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	for (int i = optind; i < argc; i++) {
		struct engine_container *ct = NULL;
		int sv[2] = {-1, -1}, status;
		if (engine_lookup(&e, argv[i], &ct, err) < 0) {
			hk_error_print(*err, "hako");
			hk_error_free(err);
			rc = 1;
			continue;
		}
		if (attach && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
			engine_container_free(ct);
			engine_close(&e);
			return hk_error_errno(err, "socketpair");
		}
		if (engine_start(&e, ct->id, sv[1], &status, err) < 0) {
			if (sv[0] >= 0)
				close(sv[0]);
			if (sv[1] >= 0)
				close(sv[1]);
			hk_error_print(*err, "hako");
			hk_error_free(err);
			rc = attach ? status : 1;
			engine_container_free(ct);
			continue;
		}
		if (attach) {
			json_object *cfg = NULL, *v;
			bool tty = false;
			close(sv[1]);
			json_object_object_get_ex(ct->config, "Config", &cfg);
			tty = json_object_object_get_ex(cfg, "Tty", &v) &&
			      json_object_get_boolean(v);
			rc = ctr_attach_and_wait(&e, ct->id, sv[0], tty, interactive, keys, err);
		} else {
			printf("%s\n", argv[i]);
		}
		engine_container_free(ct);
	}
	engine_close(&e);
	return rc;
}

static const struct hk_command cmd_start = {
	.name = "start",
	.aliases = "container start",
	.usage = "start [OPTIONS] CONTAINER...",
	.summary = "Start one or more stopped containers",
	.help = "  -a, --attach           attach stdout/stderr and exit with the status\n"
		"  -i, --interactive      attach stdin too\n"
		"      --detach-keys KEYS detach sequence (default ctrl-p,ctrl-q)\n",
	.run = start_run,
};
HK_COMMAND(hako, cmd_start);
