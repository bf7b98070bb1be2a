/* hako vm start / shutdown / reboot / suspend / resume / destroy. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "util/util.h"
#include "vm/vm.h"

enum op { OP_START, OP_SHUTDOWN, OP_REBOOT, OP_SUSPEND, OP_RESUME, OP_DESTROY };

static int do_op(enum op op, const char *name, int timeout, struct hk_error **err)
{
	const char *root = hk_globals.root, *run = hk_globals.runroot;

	switch (op) {
	case OP_START:
		return vm_start(root, run, name, err);
	case OP_SHUTDOWN:
		return vm_shutdown(root, run, name, timeout, err);
	case OP_REBOOT:
		return vm_reboot(root, run, name, err);
	case OP_SUSPEND:
		return vm_suspend(root, run, name, err);
	case OP_RESUME:
		return vm_resume(root, run, name, err);
	case OP_DESTROY:
		return vm_destroy(root, run, name, err);
	}
	return -1;
}

static int lifecycle(enum op op, const struct hk_command *cmd, int argc, char **argv,
		     struct hk_error **err)
{
	static const struct option opts[] = {
		{"timeout", required_argument, NULL, 't'},
		{0},
	};
	long long timeout = 60;
	int c, failed = 0;

	if (command_wants_help(argc, argv)) {
		command_print_help(cmd, "hako");
		return 0;
	}
	/* Options may follow the names ("vm shutdown web --timeout 30"). */
	while ((c = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
		if (c == 't' && op == OP_SHUTDOWN && parse_ll(optarg, 1, 86400, &timeout) == 0)
			continue;
		return hk_error_set(err, 0, "%s: bad option (see --help)", cmd->name);
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "%s: a NAME is required", cmd->name);
	for (int i = optind; i < argc; i++) {
		struct hk_error *e = NULL;
		if (do_op(op, argv[i], (int)timeout, &e) < 0) {
			if (argc - optind == 1) {
				*err = e;
				return -1;
			}
			hk_error_print(e, "hako");
			hk_error_free(&e);
			failed = 1;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return failed;
}

#define LIFECYCLE(var, op, verb, use, sum, hlp)                                                    \
	static const struct hk_command var;                                                        \
	static int var##_run(int argc, char **argv, struct hk_error **err)                         \
	{                                                                                          \
		return lifecycle(op, &var, argc, argv, err);                                       \
	}                                                                                          \
	static const struct hk_command var = {                                                     \
		.name = verb, .usage = use, .summary = sum, .help = hlp, .run = var##_run};        \
	HK_COMMAND(hako, var)

LIFECYCLE(cmd_vm_start, OP_START, "vm start", "vm start NAME...",
	  "Start virtual machines (a monitor process owns each QEMU)", NULL);
LIFECYCLE(cmd_vm_shutdown, OP_SHUTDOWN, "vm shutdown", "vm shutdown [--timeout S] NAME...",
	  "Press the ACPI power button and wait for the guest to power off",
	  "  -t, --timeout S   give up after S seconds (default 60) with an error\n");
LIFECYCLE(cmd_vm_reboot, OP_REBOOT, "vm reboot", "vm reboot NAME...",
	  "Reset virtual machines (like a reset button)", NULL);
LIFECYCLE(cmd_vm_suspend, OP_SUSPEND, "vm suspend", "vm suspend NAME...",
	  "Pause virtual machines' CPUs (QMP stop)", NULL);
LIFECYCLE(cmd_vm_resume, OP_RESUME, "vm resume", "vm resume NAME...",
	  "Resume paused virtual machines (QMP cont)", NULL);
LIFECYCLE(cmd_vm_destroy, OP_DESTROY, "vm destroy", "vm destroy NAME...",
	  "Power virtual machines off hard (QMP quit, else SIGKILL of their QEMU)", NULL);
