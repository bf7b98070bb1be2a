/* hako export [-o FILE] CONTAINER: the container's filesystem as a tar, to
 * stdout or a file (written beside it and renamed, so a failed export
 * leaves no partial file). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

static int export_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'}, {}};
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	const char *out = NULL;
	struct engine e;
	int c, r;

	while ((c = getopt_long(argc, argv, "+o:", opts, NULL)) != -1) {
		if (c == 'o')
			out = optarg;
		else
			return 125;
	}
	if (argc - optind != 1)
		return hk_error_set(err, EINVAL, "export: requires exactly 1 container");
	if (!out && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "hako: export: cowardly refusing to write a tar to a terminal; "
				"use -o FILE or redirect the output\n");
		return 1;
	}
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	if (out) {
		tmp = xasprintf("%s.tmp-%d", out, (int)getpid());
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			hk_error_errno(err, "export: create %s", tmp);
			engine_close(&e);
			hk_error_print(*err, "hako");
			hk_error_free(err);
			return 1;
		}
	}
	r = engine_export(&e, argv[optind], out ? fd : STDOUT_FILENO, err);
	engine_close(&e);
	if (r == 0 && out && (fsync(fd) < 0 || rename(tmp, out) < 0))
		r = hk_error_errno(err, "export: write %s", out);
	if (r < 0) {
		if (out)
			unlink(tmp);
		/* as docker: an error of the daemon's side is exit status 1 */
		hk_error_print(*err, "hako");
		hk_error_free(err);
		return 1;
	}
	return 0;
}

static const struct hk_command cmd_export = {
	.name = "export",
	.aliases = "container export",
	.usage = "export [OPTIONS] CONTAINER",
	.summary = "Write a container's filesystem as a tar archive",
	.help = "  -o, --output FILE   write to FILE instead of stdout\n"
		"Works on running and stopped containers; volumes and bind mounts are not\n"
		"included (as docker export).\n",
	.run = export_run,
};
HK_COMMAND(hako, cmd_export);
