/* hako start: start created or stopped containers (-a: attached). */
#include <getopt.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

struct start_args {
	bool attach, interactive;
	const char *keys;
	int rc; /* with -a: the exit status */
};

/* start -a: one container, its output on our terminal until it exits. */
static int start_attached(struct engine *e, const char *name, struct start_args *a,
			  struct hk_error **err)
{
	_cleanup_container_ struct engine_container *ct = NULL;
	json_object *cfg = NULL, *v;
	int sv[2], status;
	bool tty;

	a->rc = 1;
	if (engine_lookup(e, name, &ct, err) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		a->rc = 125;
		return hk_error_errno(err, "socketpair");
	}
	if (engine_start(e, ct->id, sv[1], &status, err) < 0) {
		close(sv[0]);
		close(sv[1]);
		a->rc = status;
		return -1;
	}
	close(sv[1]);
	json_object_object_get_ex(ct->config, "Config", &cfg);
	tty = json_object_object_get_ex(cfg, "Tty", &v) && json_object_get_boolean(v);
	a->rc = ctr_attach_and_wait(e, ct->id, sv[0], tty, a->interactive, a->keys, err);
	return CTR_EACH_PRINTED;
}

static int start_one(struct engine *e, const char *name, void *arg, struct hk_error **err)
{
	struct start_args *a = arg;
	int status;

	if (a->attach)
		return start_attached(e, name, a, err);
	return engine_start(e, name, -1, &status, err) < 0 ? -1 : 0;
}

static int start_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"attach", no_argument, NULL, 'a'},
					     {"interactive", no_argument, NULL, 'i'},
					     {"detach-keys", required_argument, NULL, 'k'},
					     {0}};
	struct start_args a = {0};
	int c, r;

	while ((c = getopt_long(argc, argv, "+ai", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			a.attach = true;
			break;
		case 'i':
			a.interactive = true;
			break;
		case 'k':
			a.keys = optarg;
			break;
		default:
			return hk_error_set(err, 0, "start: unknown flag; see 'hako start --help'");
		}
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "start: requires at least 1 container");
	if (a.attach && argc - optind > 1)
		return hk_error_set(err, 0, "start: -a works with one container only");
	r = ctr_for_each(argc - optind, argv + optind, start_one, &a, err);
	return r >= 0 && a.attach ? a.rc : r;
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
