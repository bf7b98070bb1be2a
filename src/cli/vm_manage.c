/* hako vm rm / inspect / set / kernel. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "util/json.h"
#include "util/util.h"
#include "vm/vm.h"

static const struct hk_command cmd_vm_rm, cmd_vm_inspect, cmd_vm_set, cmd_vm_kernel,
	cmd_vm_attach_interface, cmd_vm_detach_interface;

static int vm_rm_main(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"disks", no_argument, NULL, 'd'}, {0}};
	bool disks = false;
	int c, failed = 0;

	if (command_wants_help(argc, argv)) {
		command_print_help(&cmd_vm_rm, "hako");
		return 0;
	}
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c != 'd')
			return hk_error_set(err, 0, "vm rm: bad option (see --help)");
		disks = true;
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "vm rm: a NAME is required");
	for (int i = optind; i < argc; i++) {
		struct hk_error *e = NULL;
		if (vm_remove(hk_globals.root, hk_globals.runroot, argv[i], disks, &e) < 0) {
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

static const struct hk_command cmd_vm_rm = {
	.name = "vm rm",
	.aliases = "vm undefine",
	.usage = "vm rm [--disks] NAME...",
	.summary = "Remove virtual machines that are not running",
	.help = "      --disks   also delete the disks hako made for them\n",
	.run = vm_rm_main,
};
HK_COMMAND(hako, cmd_vm_rm);

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static json_object *inspect_one(const struct vm_def *d, struct hk_error **err)
{
	json_object *o = json_object_new_object();
	enum vm_state s = VM_SHUTOFF;
	pid_t mon = 0, qemu = 0;
	uint64_t vsize = 0;
	struct hk_error *e = NULL;
	_cleanup_free_ char *log = vm_console_log_path(hk_globals.root, d->name);

	if (vm_state(hk_globals.root, hk_globals.runroot, d->name, &s, &e) < 0)
		hk_error_free(&e);
	if (vm_pids(hk_globals.root, hk_globals.runroot, d->name, &mon, &qemu, &e) < 0)
		hk_error_free(&e);
	add_str(o, "name", d->name);
	add_str(o, "id", d->id);
	add_str(o, "state", vm_state_name(s));
	add_str(o, "reason", d->reason);
	json_object_object_add(o, "vcpus", json_object_new_int(d->vcpus));
	json_object_object_add(o, "memory", json_object_new_int64((int64_t)d->memory));
	add_str(o, "disk", d->disk);
	json_object_object_add(o, "disk_owned", json_object_new_boolean(d->disk_owned));
	if (d->disk && vm_disk_info(d->disk, &vsize, NULL, &e) == 0)
		json_object_object_add(o, "disk_size", json_object_new_int64((int64_t)vsize));
	hk_error_free(&e);
	add_str(o, "iso", d->iso);
	add_str(o, "kernel", d->kernel);
	add_str(o, "initrd", d->initrd);
	add_str(o, "append", d->append);
	{
		_cleanup_free_ char *specs = vm_network_specs(d->network);
		add_str(o, "network", specs);
	}
	add_str(o, "ports", d->ports);
	{
		struct vm_nic *nics = NULL;
		size_t n = 0;
		json_object *a = json_object_new_array();
		if (vm_nics_info(hk_globals.root, hk_globals.runroot, d, &nics, &n, &e) < 0)
			hk_error_free(&e);
		for (size_t i = 0; i < n; i++) {
			json_object *nic = json_object_new_object();
			add_str(nic, "network", nics[i].network);
			add_str(nic, "mac", nics[i].mac);
			add_str(nic, "ip", nics[i].ip);
			json_object_object_add(nic, "prefix",
					       nics[i].ip ? json_object_new_int(nics[i].prefix)
							  : NULL);
			json_object_array_add(a, nic);
		}
		vm_nics_info_free(nics, n);
		json_object_object_add(o, "interfaces", a);
	}
	add_str(o, "cloud_init", d->cloud_init);
	json_object_object_add(o, "autostart", json_object_new_boolean(d->autostart));
	json_object_object_add(o, "created", json_object_new_int64(d->created));
	json_object_object_add(o, "monitor_pid", json_object_new_int(mon));
	json_object_object_add(o, "qemu_pid", json_object_new_int(qemu));
	add_str(o, "console_log", log);
	return o;
}

static int vm_inspect_main(int argc, char **argv, struct hk_error **err)
{
	_cleanup_json_ json_object *arr = NULL;
	_cleanup_free_ char *text = NULL;

	if (command_wants_help(argc, argv)) {
		command_print_help(&cmd_vm_inspect, "hako");
		return 0;
	}
	if (argc < 2)
		return hk_error_set(err, 0, "vm inspect: a NAME is required");
	arr = json_object_new_array();
	for (int i = 1; i < argc; i++) {
		_cleanup_(vm_def_freep) struct vm_def *d = NULL;
		if (vm_get(hk_globals.root, argv[i], &d, err) < 0)
			return -1;
		json_object_array_add(arr, inspect_one(d, err));
	}
	text = json_to_string(arr, true);
	printf("%s\n", text);
	return 0;
}

static const struct hk_command cmd_vm_inspect = {
	.name = "vm inspect",
	.aliases = "vm dominfo",
	.usage = "vm inspect NAME...",
	.summary = "Show virtual machines' definition and state as JSON",
	.run = vm_inspect_main,
};
HK_COMMAND(hako, cmd_vm_inspect);

static int vm_set_main(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"vcpus", required_argument, NULL, 'c'},
		{"memory", required_argument, NULL, 'm'},
		{"init-script", required_argument, NULL, 's'},
		{0},
	};
	uint64_t mem = 0;
	long long v;
	int c, vcpus = 0;
	const char *script = NULL, *name = NULL;

	if (command_wants_help(argc, argv)) {
		command_print_help(&cmd_vm_set, "hako");
		return 0;
	}
	if (argc > 1 && argv[1][0] != '-') {
		name = argv[1];
		argv++;
		argc--;
	}
	while ((c = getopt_long(argc, argv, "+c:m:", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (parse_ll(optarg, 1, 64, &v) < 0)
				return hk_error_set(err, 0, "--vcpus %s: expected 1 to 64", optarg);
			vcpus = (int)v;
			break;
		case 'm':
			if (vm_parse_size(optarg, &mem, err) < 0)
				return hk_error_wrap(err, "--memory");
			break;
		case 's':
			script = optarg;
			break;
		default:
			return hk_error_set(err, 0, "vm set: bad option (see --help)");
		}
	}
	if (!name && optind < argc)
		name = argv[optind++];
	if (!name || optind != argc)
		return hk_error_set(err, 0, "vm set: exactly one NAME is required");
	if (!vcpus && !mem && !script)
		return hk_error_set(err, 0, "vm set: nothing to change (--vcpus, --memory)");
	if (vm_set(hk_globals.root, hk_globals.runroot, name, vcpus, mem, script, err) < 0)
		return -1;
	return 0;
}

static const struct hk_command cmd_vm_set = {
	.name = "vm set",
	.usage = "vm set NAME [--vcpus N] [--memory SIZE] [--init-script SH]",
	.summary = "Change a shut-off virtual machine's CPUs or memory",
	.run = vm_set_main,
};
HK_COMMAND(hako, cmd_vm_set);

/* vm attach-interface / detach-interface NAME --network NET --mac MAC */
static int vm_iface_main(int argc, char **argv, bool attach, struct hk_error **err)
{
	static const struct option opts[] = {
		{"network", required_argument, NULL, 'n'},
		{"source", required_argument, NULL, 'n'}, /* virsh's word */
		{"mac", required_argument, NULL, 'M'},
		{0},
	};
	const struct hk_command *cmd = attach ? &cmd_vm_attach_interface : &cmd_vm_detach_interface;
	const char *name = NULL, *net = NULL, *mac = NULL;
	int c;

	if (command_wants_help(argc, argv)) {
		command_print_help(cmd, "hako");
		return 0;
	}
	if (argc > 1 && argv[1][0] != '-') {
		name = argv[1];
		argv++;
		argc--;
	}
	while ((c = getopt_long(argc, argv, "+n:", opts, NULL)) != -1) {
		if (c == 'n')
			net = optarg;
		else if (c == 'M')
			mac = optarg;
		else
			return hk_error_set(err, 0, "%s: bad option (see --help)", cmd->name);
	}
	if (!name && optind < argc)
		name = argv[optind++];
	if (!name || optind != argc)
		return hk_error_set(err, 0, "%s: exactly one NAME is required", cmd->name);
	if (attach) {
		if (!net)
			return hk_error_set(err, 0, "%s: --network is required", cmd->name);
		return vm_attach_interface(hk_globals.root, hk_globals.runroot, name, net, mac,
					   err);
	}
	return vm_detach_interface(hk_globals.root, hk_globals.runroot, name, mac, net, err);
}

static int vm_attach_main(int argc, char **argv, struct hk_error **err)
{
	return vm_iface_main(argc, argv, true, err);
}

static int vm_detach_main(int argc, char **argv, struct hk_error **err)
{
	return vm_iface_main(argc, argv, false, err);
}

static const struct hk_command cmd_vm_attach_interface = {
	.name = "vm attach-interface",
	.usage = "vm attach-interface NAME --network user|NET|bridge:BR [--mac MAC]",
	.summary = "Add a NIC to a shut-off virtual machine (a random MAC unless given)",
	.run = vm_attach_main,
};
HK_COMMAND(hako, cmd_vm_attach_interface);

static const struct hk_command cmd_vm_detach_interface = {
	.name = "vm detach-interface",
	.usage = "vm detach-interface NAME --mac MAC | --network NET",
	.summary = "Remove a NIC (by MAC, or the first on a network) from a shut-off VM",
	.run = vm_detach_main,
};
HK_COMMAND(hako, cmd_vm_detach_interface);

static int vm_kernel_main(int argc, char **argv, struct hk_error **err)
{
	struct vm_kernel k = {0};
	_cleanup_free_ char *initrd = NULL;
	bool want_initrd = argc > 1 && !strcmp(argv[1], "--initramfs");

	if (command_wants_help(argc, argv)) {
		command_print_help(&cmd_vm_kernel, "hako");
		return 0;
	}
	if (argc > 2 || (argc == 2 && !want_initrd))
		return hk_error_set(err, 0, "vm kernel: unexpected argument '%s'", argv[1]);
	if (vm_kernel_find(NULL, &k, err) < 0)
		return -1;
	if (want_initrd) {
		if (vm_initramfs_build(hk_globals.root, &k, &initrd, err) < 0) {
			vm_kernel_free(&k);
			return -1;
		}
		printf("%s\n", initrd);
	} else {
		printf("%s\n", k.vmlinuz);
	}
	vm_kernel_free(&k);
	return 0;
}

static const struct hk_command cmd_vm_kernel = {
	.name = "vm kernel",
	.usage = "vm kernel [--initramfs]",
	.summary = "Print the guest kernel's path (or build hako's initramfs and print its path)",
	.help = "The kernel: $HAKO_VM_KERNEL or /var/cache/hako/kernel/vmlinuz\n"
		"(scripts/fetch-kernel.sh).  The initramfs holds hako-vminit and the kernel's\n"
		"virtio modules; it is cached by content under the root.\n",
	.run = vm_kernel_main,
};
HK_COMMAND(hako, cmd_vm_kernel);
