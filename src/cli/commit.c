/* hako commit [OPTIONS] CONTAINER [REPO[:TAG]]: a new image from a
 * container's changes (engine_commit). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int commit_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"author", required_argument, NULL, 'a'},
					     {"message", required_argument, NULL, 'm'},
					     {"change", required_argument, NULL, 'c'},
					     {"pause", optional_argument, NULL, 'p'},
					     {}};
	_cleanup_strv_ char **changes = NULL;
	struct engine_commit_opts o = {.pause = true};
	char id[72];
	struct engine e;
	int c, r;

	while ((c = getopt_long(argc, argv, "+a:m:c:p", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o.author = optarg;
			break;
		case 'm':
			o.message = optarg;
			break;
		case 'c':
			strv_push(&changes, optarg);
			break;
		case 'p':
			if (!optarg || !strcmp(optarg, "true") || !strcmp(optarg, "1"))
				o.pause = true;
			else if (!strcmp(optarg, "false") || !strcmp(optarg, "0"))
				o.pause = false;
			else
				return hk_error_set(err, EINVAL,
						    "commit: --pause '%s': expected true or false",
						    optarg);
			break;
		default:
			return 125;
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return hk_error_set(err, EINVAL,
				    "commit: requires a CONTAINER and at most a REPOSITORY[:TAG]");
	o.changes = changes;
	o.tag = argc - optind == 2 ? argv[optind + 1] : NULL;
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	r = engine_commit(&e, argv[optind], &o, id, err);
	engine_close(&e);
	if (r < 0) {
		/* as docker: an error of the daemon's side is exit status 1 */
		hk_error_print(*err, "hako");
		hk_error_free(err);
		return 1;
	}
	printf("%s\n", id);
	return 0;
}

static const struct hk_command cmd_commit = {
	.name = "commit",
	.aliases = "container commit",
	.usage = "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
	.summary = "Make a new image from a container's changes",
	.help = "  -a, --author TEXT    the author (\"Jane <jane@example.com>\")\n"
		"  -m, --message TEXT   the history comment\n"
		"  -c, --change INSTR   apply a Dockerfile instruction: CMD, ENTRYPOINT, ENV,\n"
		"                       EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR\n"
		"  -p, --pause[=BOOL]   freeze a running container while its layer is read\n"
		"                       (default true; --pause=false to keep it running)\n"
		"The new layer holds the container's writable layer: added and changed files,\n"
		"OCI whiteouts for deletions and opaque directories.  Volumes and bind mounts\n"
		"are not included.\n",
	.run = commit_run,
};
HK_COMMAND(hako, cmd_commit);
