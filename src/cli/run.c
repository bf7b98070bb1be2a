/* hako run: create a container from an image and start it; without -d,
 * stay attached and exit with its status. */
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "cli/vm_cli.h"
#include "util/util.h"

static int run_run(int argc, char **argv, struct hk_error **err)
{
	struct ctr_create_cli cc;
	struct engine e;
	_cleanup_free_ char *id = NULL;
	int sv[2] = {-1, -1}, status = 125, r;

	/* hako run --vm: the image booted in a micro VM (src/cli/vm_run.c). */
	if (vm_cli_wants_vm(argc, argv))
		return vm_cli_run_command(argc, argv, err);
	if (ctr_parse_create(argc, argv, true, &cc, err) < 0) {
		ctr_create_cli_free(&cc);
		return -1;
	}
	if (ctr_ensure_image(&cc, err) < 0) {
		ctr_create_cli_free(&cc);
		return -1;
	}
	if (ctr_engine_open(&e, err) < 0) {
		ctr_create_cli_free(&cc);
		return -1;
	}
	if (engine_create(&e, &cc.o, &id, err) < 0) {
		r = -1;
		goto out;
	}
	if (!cc.detach && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		r = hk_error_errno(err, "socketpair");
		goto out;
	}
	if (engine_start(&e, id, sv[1], &status, err) < 0) {
		if (sv[0] >= 0)
			close(sv[0]);
		if (sv[1] >= 0)
			close(sv[1]);
		if (cc.o.auto_remove)
			engine_remove(&e, id, true, true, NULL);
		r = ctr_start_failed(status, err);
		goto out;
	}
	if (cc.detach) {
		printf("%s\n", id);
		r = 0;
		goto out;
	}
	close(sv[1]);
	r = ctr_attach_and_wait(&e, id, sv[0], cc.o.tty, cc.o.interactive, cc.detach_keys, err);
out:
	ctr_create_cli_free(&cc);
	engine_close(&e);
	return r;
}

static const struct hk_command cmd_run = {
	.name = "run",
	.aliases = "container run",
	.usage = "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
	.summary = "Create and start a container from an image",
	.help = ctr_create_help,
	.run = run_run,
};
HK_COMMAND(hako, cmd_run);
