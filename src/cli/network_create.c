/* hako network create */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "events/events.h"
#include "util/json.h"
#include "cli/command.h"
#include "cli/network_cli.h"
#include "util/util.h"

/* -o K=V: the bridge driver's options docker users set most. */
static int driver_opt(struct net_create_opts *o, const char *kv, struct hk_error **err)
{
	const char *eq = strchr(kv, '=');
	long long mtu;

	if (eq && str_has_prefix(kv, "com.docker.network.bridge.name=")) {
		o->bridge = eq + 1;
		return 0;
	}
	if (eq && str_has_prefix(kv, "com.docker.network.driver.mtu=")) {
		if (parse_ll(eq + 1, 68, 65535, &mtu) < 0)
			return hk_error_set(
				err, 0, "network create: invalid MTU '%s' (68 to 65535)", eq + 1);
		o->mtu = (int)mtu;
		return 0;
	}
	return hk_error_set(err, 0,
			    "network create: unsupported driver option '%s' (known:"
			    " com.docker.network.bridge.name=NAME,"
			    " com.docker.network.driver.mtu=N)",
			    kv);
}

static int network_create_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"subnet", required_argument, NULL, 's'},
		{"gateway", required_argument, NULL, 'g'},
		{"internal", no_argument, NULL, 'i'},
		{"label", required_argument, NULL, 'l'},
		{"driver", required_argument, NULL, 'd'},
		{"ipv6", no_argument, NULL, '6'},
		{"ip-range", required_argument, NULL, 'r'},
		{"aux-address", required_argument, NULL, 'a'},
		{"opt", required_argument, NULL, 'o'},
		{"attachable", no_argument, NULL, 'A'},
		{0},
	};
	_cleanup_network_cli_ struct network_cli c = {0};
	_cleanup_strv_ char **labels = NULL, **aux = NULL;
	_cleanup_free_ char *id = NULL;
	struct net_create_opts o = {0};
	int ch;

	while ((ch = getopt_long(argc, argv, "+d:l:o:", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
		case 'g': {
			/* given twice, one per family, as docker's */
			bool v6 = strchr(optarg, ':') != NULL;
			const char **slot = ch == 's' ? (v6 ? &o.subnet6 : &o.subnet)
						      : (v6 ? &o.gateway6 : &o.gateway);
			if (*slot)
				return hk_error_set(
					err, 0, "network create: --%s given twice for IPv%c",
					ch == 's' ? "subnet" : "gateway", v6 ? '6' : '4');
			*slot = optarg;
			break;
		}
		case '6':
			o.ipv6 = true;
			break;
		case 'r':
			o.ip_range = optarg;
			break;
		case 'a':
			strv_push(&aux, optarg);
			break;
		case 'o':
			if (driver_opt(&o, optarg, err) < 0)
				return -1;
			break;
		case 'A':
			break; /* every network is attachable: containers join by name */
		case 'i':
			o.internal = true;
			break;
		case 'l':
			strv_push(&labels, optarg);
			break;
		case 'd':
			if (!str_eq(optarg, "bridge"))
				return hk_error_set(err, 0,
						    "network driver '%s' is not supported"
						    " (only bridge)",
						    optarg);
			break;
		default:
			return hk_error_set(err, 0,
					    "network create: see 'hako network create --help'");
		}
	}
	if (argc - optind != 1)
		return hk_error_set(err, 0, "network create: expected exactly one NAME");
	o.labels = labels;
	o.aux_addresses = aux;
	if (network_cli_open(&c, err) < 0 || net_create(c.net, argv[optind], &o, &id, err) < 0)
		return hk_error_wrap(err, "network create");
	{
		_cleanup_json_ json_object *a = json_object_new_object();
		json_object_object_add(a, "name", json_object_new_string(argv[optind]));
		json_object_object_add(a, "type", json_object_new_string("bridge"));
		events_record_root(hk_globals.root, "network", "create", id, a);
	}
	printf("%s\n", id);
	return 0;
}

static const struct hk_command cmd_network_create = {
	.name = "network create",
	.usage = "network create [OPTIONS] NAME",
	.summary = "Create a network",
	.help = "      --subnet CIDR    the network's IPv4 subnet (default: the next free /24 "
		"of " NET_USER_POOL "),\n"
		"                       or its IPv6 one with --ipv6 (default: the next free\n"
		"                       /64 of " NET_USER_POOL6 "); give it once per family\n"
		"      --gateway IP     the bridge's address (default: the subnet's first),\n"
		"                       IPv4 or IPv6\n"
		"      --ipv6           dual-stack: an IPv6 subnet too (addresses, routes, NAT,\n"
		"                       published ports and DNS AAAA for the containers)\n"
		"      --internal       no route out: no NAT, no forwarding to other networks\n"
		"      --ip-range CIDR  where containers' addresses come from (inside --subnet;\n"
		"                       a fixed --ip may be anywhere in the subnet)\n"
		"      --aux-address NAME=IP  an address never handed out (repeatable)\n"
		"  -o, --opt K=V        com.docker.network.bridge.name=NAME (the bridge device),\n"
		"                       com.docker.network.driver.mtu=N (bridge and veths)\n"
		"      --attachable     accepted (every network is)\n"
		"  -l, --label K=V      set a label (repeatable)\n"
		"  -d, --driver bridge  the only driver there is\n",
	.run = network_create_run,
};
HK_COMMAND(hako, cmd_network_create);
