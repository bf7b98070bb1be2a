/* hako vm list: VMs and their live state (from QMP). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "util/util.h"
#include "vm/vm.h"

static const struct hk_command cmd_vm_list;

static int vm_list_main(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"all", no_argument, NULL, 'a'},
		{"quiet", no_argument, NULL, 'q'},
		{0},
	};
	struct vm_def **l = NULL;
	size_t n = 0;
	bool all = false, quiet = false;
	int c;

	if (command_wants_help(argc, argv)) {
		command_print_help(&cmd_vm_list, "hako");
		return 0;
	}
	while ((c = getopt_long(argc, argv, "+aq", opts, NULL)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'q')
			quiet = true;
		else
			return hk_error_set(err, 0, "vm list: bad option (see --help)");
	}
	if (vm_list(hk_globals.root, &l, &n, err) < 0)
		return -1;
	if (!quiet)
		printf("%-20s %-10s %-6s %-8s %-40s %s\n", "NAME", "STATE", "VCPUS", "MEMORY",
		       "INTERFACES", "DISK");
	for (size_t i = 0; i < n; i++) {
		enum vm_state s = VM_SHUTOFF;
		struct hk_error *e = NULL;
		if (vm_state(hk_globals.root, hk_globals.runroot, l[i]->name, &s, &e) < 0)
			hk_error_free(&e);
		if (!all && s != VM_RUNNING && s != VM_PAUSED && s != VM_STARTING)
			continue;
		if (quiet) {
			printf("%s\n", l[i]->name);
			continue;
		}
		char mem[32];
		snprintf(mem, sizeof(mem), "%lluM", (unsigned long long)(l[i]->memory >> 20));
		/* NETWORK/MAC[/ADDRESS], comma-separated (virsh domifaddr's facts) */
		struct vm_nic *nics = NULL;
		size_t nn = 0;
		_cleanup_free_ char *ifs = NULL;
		if (vm_nics_info(hk_globals.root, hk_globals.runroot, l[i], &nics, &nn, &e) < 0)
			hk_error_free(&e);
		for (size_t k = 0; k < nn; k++) {
			char *t = xasprintf("%s%s%s=%s%s%s", ifs ? ifs : "", ifs ? "," : "",
					    nics[k].network, nics[k].mac, nics[k].ip ? "/" : "",
					    nics[k].ip ? nics[k].ip : "");
			free(ifs);
			ifs = t;
		}
		vm_nics_info_free(nics, nn);
		printf("%-20s %-10s %-6d %-8s %-40s %s\n", l[i]->name, vm_state_name(s),
		       l[i]->vcpus, mem, ifs ? ifs : "-", l[i]->disk ? l[i]->disk : "-");
	}
	vm_list_free(l, n);
	return 0;
}

static const struct hk_command cmd_vm_list = {
	.name = "vm list",
	.aliases = "vm ls",
	.usage = "vm list [--all] [--quiet]",
	.summary = "List virtual machines (running ones; --all: every one)",
	.help = "  -a, --all     also VMs that are shut off or crashed\n"
		"  -q, --quiet   names only\n"
		"States: running, paused, shut off, crashed (QEMU ended unexpectedly).\n",
	.run = vm_list_main,
};
HK_COMMAND(hako, cmd_vm_list);
