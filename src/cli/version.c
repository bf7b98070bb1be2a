#include <stdio.h>
#include <sys/utsname.h>

#include "cli/command.h"

static int version_run(int argc, char **argv, struct hk_error **err)
{
	struct utsname u;

	uname(&u);
	printf("hako version %s\n", HAKO_VERSION);
	printf("kernel: %s %s %s\n", u.sysname, u.release, u.machine);
	return 0;
}

static const struct hk_command cmd_version = {
	.name = "version",
	.usage = "version",
	.summary = "Show the version of hako and of the kernel",
	.run = version_run,
};
HK_COMMAND(hako, cmd_version);
