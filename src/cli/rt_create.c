/* hako-runtime create */
#include "cli/command.h"
#include "cli/rt_common.h"

static int rt_create_run(int argc, char **argv, struct hk_error **err)
{
	struct runtime_opts o;
	struct rt_create_args a;
	const char *id;

	if (rt_parse_create(argc, argv, false, &o, &a, &id, err) < 0)
		return -1;
	return runtime_create(id, a.bundle, &o, NULL, err) < 0 ? -1 : 0;
}

static const struct hk_command rt_create = {
	.name = "create",
	.usage = "create [OPTIONS] ID",
	.summary = "Create a container from a bundle, waiting for start",
	.help = "  -b, --bundle DIR          the bundle (default: .)\n"
		"      --console-socket PATH send the terminal's master there\n"
		"      --pid-file FILE       write the container's pid\n"
		"      --preserve-fds N      pass fds 3..3+N-1 to the process\n"
		"      --no-pivot            use MS_MOVE and chroot instead of pivot_root\n"
		"      --no-new-keyring      keep the session keyring\n",
	.run = rt_create_run,
};
HK_COMMAND(runtime, rt_create);
