/* hako vm console: attach to a VM's serial console. */
#include <stdio.h>

#include "cli/command.h"
#include "vm/vm.h"

static const struct hk_command cmd_vm_console;

static int vm_console_main(int argc, char **argv, struct hk_error **err)
{
	if (command_wants_help(argc, argv)) {
		command_print_help(&cmd_vm_console, "hako");
		return 0;
	}
	if (argc != 2)
		return hk_error_set(err, 0, "vm console: exactly one NAME is required");
	return vm_console(hk_globals.root, hk_globals.runroot, argv[1], err);
}

static const struct hk_command cmd_vm_console = {
	.name = "vm console",
	.usage = "vm console NAME",
	.summary = "Attach to a virtual machine's serial console (Ctrl-] leaves)",
	.help = "Everything the console printed is also in the VM's console log\n"
		"(hako vm inspect NAME: console_log).\n",
	.run = vm_console_main,
};
HK_COMMAND(hako, cmd_vm_console);
