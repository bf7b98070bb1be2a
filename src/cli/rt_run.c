/* hako-runtime run */
#include <stdio.h>

#include "cli/command.h"
#include "cli/rt_common.h"

static int rt_run_run(int argc, char **argv, struct hk_error **err)
{
	struct runtime_opts o;
	struct rt_create_args a;
	const char *id;
	int r;

	if (rt_parse_create(argc, argv, true, &o, &a, &id, err) < 0)
		return -1;
	r = runtime_run(id, a.bundle, &o, a.detach, a.keep, err);
	if (r < 0 && runtime_exec_error_status(*err)) {
		/* the program could not run: exit as a shell would (127/126) */
		hk_error_print(*err, "hako-runtime");
		return runtime_exec_error_status(*err);
	}
	return r;
}

static const struct hk_command rt_run = {
	.name = "run",
	.usage = "run [OPTIONS] ID",
	.summary = "Create and start a container, and wait for it",
	.help = "  -b, --bundle DIR          the bundle (default: .)\n"
		"  -d, --detach              return once started\n"
		"      --keep                keep the container after it exits\n"
		"      --console-socket PATH send the terminal's master there\n"
		"      --pid-file FILE       write the container's pid\n"
		"      --preserve-fds N      pass fds 3..3+N-1 to the process\n"
		"      --no-pivot            use MS_MOVE and chroot instead of pivot_root\n"
		"      --no-new-keyring      keep the session keyring\n",
	.run = rt_run_run,
};
HK_COMMAND(runtime, rt_run);
