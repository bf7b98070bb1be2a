/* hako vm create: define a VM (and make its disk). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "util/util.h"
#include "vm/vm.h"

static const struct hk_command cmd_vm_create;

static int vm_create_main(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"vcpus", required_argument, NULL, 'c'},
		{"memory", required_argument, NULL, 'm'},
		{"disk", required_argument, NULL, 'd'},
		{"iso", required_argument, NULL, 'I'},
		{"kernel", required_argument, NULL, 'k'},
		{"initrd", required_argument, NULL, 'r'},
		{"append", required_argument, NULL, 'a'},
		{"import", required_argument, NULL, 'i'},
		{"network", required_argument, NULL, 'n'},
		{"publish", required_argument, NULL, 'p'},
		{"cloud-init", required_argument, NULL, 'C'},
		{"autostart", no_argument, NULL, 'A'},
		{"init-script", required_argument, NULL, 's'},
		{"quiet", no_argument, NULL, 'q'},
		{0},
	};
	struct vm_create_opts o = {.vcpus = 1, .memory = 512ull << 20};
	struct vm_def *d = NULL;
	_cleanup_free_ char *nets = NULL;
	_cleanup_strv_ char **ports = NULL;
	bool quiet = false;
	long long v;
	int c;

	if (command_wants_help(argc, argv)) {
		command_print_help(&cmd_vm_create, "hako");
		return 0;
	}
	/* NAME first (as virt-install --name), options after it. */
	if (argc > 1 && argv[1][0] != '-') {
		o.name = argv[1];
		argv++;
		argc--;
	}
	while ((c = getopt_long(argc, argv, "+c:m:d:n:p:q", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (parse_ll(optarg, 1, 64, &v) < 0)
				return hk_error_set(err, 0, "--vcpus %s: expected 1 to 64", optarg);
			o.vcpus = (int)v;
			break;
		case 'm':
			if (vm_parse_size(optarg, &o.memory, err) < 0)
				return hk_error_wrap(err, "--memory");
			break;
		case 'd':
			o.disk = optarg;
			break;
		case 'I':
			o.iso = optarg;
			break;
		case 'k':
			o.kernel = optarg;
			break;
		case 'r':
			o.initrd = optarg;
			break;
		case 'a':
			o.append = optarg;
			break;
		case 'i':
			o.import = optarg;
			break;
		case 'p':
			strv_push(&ports, optarg);
			o.ports = ports;
			break;
		case 'n':
			/* given again: one more NIC */
			if (o.network) {
				free(nets);
				nets = xasprintf("%s,%s", o.network, optarg);
				o.network = nets;
			} else {
				o.network = optarg;
			}
			break;
		case 'C':
			o.cloud_init = optarg;
			break;
		case 'A':
			o.autostart = true;
			break;
		case 's':
			o.init_script = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			return hk_error_set(err, 0, "vm create: bad option (see --help)");
		}
	}
	if (!o.name && optind < argc)
		o.name = argv[optind++];
	if (!o.name || optind != argc)
		return hk_error_set(err, 0, "vm create: exactly one NAME is required");
	if (vm_create(hk_globals.root, &o, &d, err) < 0)
		return -1;
	if (!quiet)
		printf("%s\n", d->name);
	vm_def_free(d);
	return 0;
}

static const struct hk_command cmd_vm_create = {
	.name = "vm create",
	.usage = "vm create NAME [OPTIONS]",
	.summary = "Define a virtual machine and make its disk",
	.help = "  -c, --vcpus N          virtual CPUs (default 1)\n"
		"  -m, --memory SIZE      memory (default 512M)\n"
		"  -d, --disk SIZE|PATH   a new qcow2 disk of SIZE, or an existing disk image\n"
		"      --import DISK      a new qcow2 disk backed by DISK (grown to --disk SIZE)\n"
		"      --iso FILE         boot an installer/live CD\n"
		"      --kernel FILE      boot a kernel directly (with --initrd, --append)\n"
		"      --init-script SH   with hako's initramfs (hako vm kernel): run SH at boot,\n"
		"                         then power off\n"
		"  -n, --network MODE     user (default), none, NET (a hako network: a tap on\n"
		"                         its bridge, an address by DHCP, the VM's name in its\n"
		"                         DNS) or bridge:BR (qemu-bridge-helper); again: one\n"
		"                         more NIC\n"
		"  -p, --publish [IP:][HOST:]GUEST[/udp]  publish a guest port through the first\n"
		"                         user NIC (QEMU hostfwd; IP 127.0.0.1 unless given) or\n"
		"                         hako network NIC (as a container's -p)\n"
		"      --cloud-init FILE  user-data for cloud-init (a NoCloud \"cidata\" disk)\n"
		"      --autostart        mark the VM to start with the host\n",
	.run = vm_create_main,
};
HK_COMMAND(hako, cmd_vm_create);
