/* hako vm run: boot an image (or a rootfs directory) in a micro VM and run a
 * command in it.  `hako run --vm` is the same thing from the engine's run. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/vm_cli.h"
#include "util/util.h"
#include "vm/vm.h"

int vm_cli_run_command(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"rootfs", required_argument, NULL, 'R'},
		{"env", required_argument, NULL, 'e'},
		{"workdir", required_argument, NULL, 'w'},
		{"memory", required_argument, NULL, 'm'},
		{"cpus", required_argument, NULL, 'c'},
		{"kernel", required_argument, NULL, 'k'},
		{"interactive", no_argument, NULL, 'i'},
		{"tty", no_argument, NULL, 't'},
		{"rm", no_argument, NULL, 'r'},
		{"vm", no_argument, NULL, 'V'},
		{0},
	};
	struct vm_cli_run r = {0};
	int c;

	if (command_wants_help(argc, argv)) {
		command_print_help(&cmd_vm_run_ref, "hako");
		return 0;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+e:w:m:itR:", opts, NULL)) != -1) {
		if (c == 'V')
			continue;
		if (c == '?') {
			vm_cli_run_free(&r);
			return hk_error_set(
				err, 0,
				"%s: option '%s' is not supported for micro VMs (see hako "
				"vm run --help)",
				argv[0], argv[optind - 1]);
		}
		if (vm_cli_run_opt(&r, c, optarg, err) < 0) {
			vm_cli_run_free(&r);
			return -1;
		}
	}
	if (!r.rootfs && optind >= argc) {
		vm_cli_run_free(&r);
		return hk_error_set(err, 0, "vm run: an IMAGE (or --rootfs DIR) is required");
	}
	c = vm_cli_run(&r, r.rootfs ? NULL : argv[optind], argc - optind - (r.rootfs ? 0 : 1),
		       argv + optind + (r.rootfs ? 0 : 1), err);
	vm_cli_run_free(&r);
	return c;
}

const struct hk_command cmd_vm_run_ref = {
	.name = "vm run",
	.usage = "vm run [OPTIONS] IMAGE [COMMAND] [ARG...]\n"
		 "       hako vm run [OPTIONS] --rootfs DIR COMMAND [ARG...]",
	.summary = "Run a command of an image in a micro VM",
	.help = "  -e, --env K=V        set an environment variable\n"
		"  -w, --workdir DIR    working directory in the guest\n"
		"  -m, --memory SIZE    guest memory (default 256M)\n"
		"      --cpus N         virtual CPUs (default 1)\n"
		"  -i, --interactive    forward stdin to the guest's console\n"
		"  -t, --tty            the console is a terminal\n"
		"      --rm             (always: a micro VM leaves nothing behind)\n"
		"      --vm             (accepted, so that hako run --vm ... can come here)\n"
		"      --rootfs DIR     boot this directory instead of an image\n"
		"      --kernel FILE    guest kernel (default: $HAKO_VM_KERNEL or\n"
		"                       /var/cache/hako/kernel/vmlinuz)\n"
		"Output of the command (stdout and stderr) comes over the serial console;\n"
		"the exit status is the command's.\n",
	.run = vm_cli_run_command,
};
HK_COMMAND(hako, cmd_vm_run_ref);

bool vm_cli_wants_vm(int argc, char **argv)
{
	/* Only among the options before IMAGE: after it, "--vm" is the command's. */
	for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--vm"))
			return true;
	}
	return false;
}
