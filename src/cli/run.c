/* hako run: create a container from an image and start it; without -d,
 * stay attached and exit with its status. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "cli/vm_cli.h"
#include "util/util.h"

/* Attached to the streams -a named (all without -a): the others go to
 * /dev/null for the time of the attach. */
static int attach_streams(struct engine *e, struct ctr_create_cli *cc, const char *id, int fd,
			  struct hk_error **err)
{
	int a = cc->o.attach, saved[3] = {-1, -1, -1}, r;
	bool in = cc->o.interactive && (!a || (a & ENGINE_ATTACH_STDIN));

	for (int s = 1; a && s <= 2; s++) {
		int bit = s == 1 ? ENGINE_ATTACH_STDOUT : ENGINE_ATTACH_STDERR;
		int nul;
		if (a & bit)
			continue;
		nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
		saved[s] = fcntl(s, F_DUPFD_CLOEXEC, 3);
		if (nul >= 0) {
			dup2(nul, s);
			close(nul);
		}
	}
	r = ctr_attach_and_wait(e, id, fd, cc->o.tty, in, cc->detach_keys, err);
	for (int s = 1; s <= 2; s++)
		if (saved[s] >= 0) {
			dup2(saved[s], s);
			close(saved[s]);
		}
	return r;
}

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
	if (ctr_cidfile_check(cc.cidfile, err) < 0 || ctr_check_image(&cc, err) < 0) {
		ctr_create_cli_free(&cc);
		return -1;
	}
	if (ctr_engine_open(&e, err) < 0) {
		ctr_create_cli_free(&cc);
		return -1;
	}
	/* the start follows at once: no unmount and mount again between */
	cc.o.keep_mounted = true;
	if (ctr_create(&e, &cc, &id, err) < 0) {
		r = -1;
		goto out;
	}
	if (ctr_cidfile_write(cc.cidfile, id, err) < 0) {
		engine_remove(&e, id, true, true, NULL);
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
	if (cc.sig_proxy && !cc.o.tty)
		ctr_sig_proxy_start(id);
	r = attach_streams(&e, &cc, id, sv[0], err);
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
	.h_is_option = true,
	.run = run_run,
};
HK_COMMAND(hako, cmd_run);
