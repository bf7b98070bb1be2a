/* hako network connect / disconnect */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "cli/network_cli.h"
#include "util/util.h"

static int network_connect_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"ip", required_argument, NULL, 'i'},
		{"ip6", required_argument, NULL, '6'},
		{"alias", required_argument, NULL, 'a'},
		{"mac-address", required_argument, NULL, 'm'},
		{"netns", required_argument, NULL, 'n'},
		{"name", required_argument, NULL, 'N'},
		{"publish", required_argument, NULL, 'p'},
		{"hosts-file", required_argument, NULL, 'H'},
		{0},
	};
	_cleanup_network_cli_ struct network_cli c = {0};
	_cleanup_strv_ char **aliases = NULL;
	_cleanup_free_ char *nspath = NULL;
	_cleanup_free_ struct net_port *ports = NULL;
	_cleanup_endpoint_ struct net_endpoint *ep = NULL;
	struct net_connect_opts o = {0};
	const char *netns = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "+p:", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			o.ip = optarg;
			break;
		case '6':
			o.ip6 = optarg;
			break;
		case 'a':
			strv_push(&aliases, optarg);
			break;
		case 'm':
			o.mac = optarg;
			break;
		case 'n':
			netns = optarg;
			break;
		case 'N':
			o.name = optarg;
			break;
		case 'H':
			o.hosts_path = optarg;
			break;
		case 'p':
			if (net_ports_parse(optarg, &ports, &o.n_ports, err) < 0)
				return hk_error_wrap(err, "network connect");
			break;
		default:
			return hk_error_set(err, 0,
					    "network connect: see 'hako network connect --help'");
		}
	}
	if (argc - optind != 2)
		return hk_error_set(err, 0, "network connect: expected NETWORK CONTAINER");
	o.aliases = aliases;
	o.ports = ports;
	if (!o.name)
		o.name = argv[optind + 1];
	if (!netns) {
		/* a container of the engine */
		struct engine e;
		int r;
		if (o.n_ports || o.hosts_path)
			return hk_error_set(err, 0,
					    "network connect: -p and --hosts-file go with "
					    "--netns only");
		if (ctr_engine_open(&e, err) < 0)
			return hk_error_wrap(err, "network connect");
		r = engine_network_connect(&e, argv[optind + 1], argv[optind], o.ip, o.ip6, aliases,
					   err);
		engine_close(&e);
		return r < 0 ? hk_error_wrap(err, "network connect") : 0;
	}
	/* --netns: any namespace file (/run/netns/X, /proc/PID/ns/net), for
	 * tests and tools that manage their own namespaces; CONTAINER is an id */
	nspath = xstrdup(netns);
	if (network_cli_open(&c, err) < 0 ||
	    net_connect(c.net, argv[optind + 1], argv[optind], nspath, &o, &ep, err) < 0)
		return hk_error_wrap(err, "network connect");
	for (size_t i = 0; i < ep->n_ports; i++)
		printf("%u/%s -> %s:%u\n", ep->ports[i].container_port, ep->ports[i].proto,
		       *ep->ports[i].host_ip ? ep->ports[i].host_ip : "0.0.0.0",
		       ep->ports[i].host_port);
	return 0;
}

static const struct hk_command cmd_network_connect = {
	.name = "network connect",
	.usage = "network connect [OPTIONS] NETWORK CONTAINER",
	.summary = "Connect a container to a network",
	.help = "The container keeps the network across restarts; one that is not running\n"
		"joins it at its next start.\n\n"
		"      --ip IP          a fixed address on the network\n"
		"      --ip6 IP         a fixed IPv6 address (a network made with --ipv6)\n"
		"      --alias NAME     another name of the container on the network\n"
		"      --mac-address M  the interface's MAC address\n"
		"      --netns PATH     the network namespace to connect (instead of a\n"
		"                       container's; CONTAINER is then any id)\n"
		"      --name NAME      the name peers resolve (with --netns)\n"
		"  -p, --publish SPEC   publish a port or range, as run's -p (with --netns;\n"
		"                       a container keeps the ports of its run -p)\n"
		"      --hosts-file F   a hosts file to keep current (with --netns)\n",
	.run = network_connect_run,
};
HK_COMMAND(hako, cmd_network_connect);

static int network_disconnect_run(int argc, char **argv, struct hk_error **err)
{
	_cleanup_network_cli_ struct network_cli c = {0};
	int i = 1;

	if (i < argc && (str_eq(argv[i], "-f") || str_eq(argv[i], "--force")))
		i++;
	if (argc - i != 2)
		return hk_error_set(err, 0, "network disconnect: expected NETWORK CONTAINER");
	{
		/* a container of the engine first, then a bare id (--netns ones) */
		struct engine e;
		int r;
		if (ctr_engine_open(&e, err) < 0)
			return hk_error_wrap(err, "network disconnect");
		r = engine_network_disconnect(&e, argv[i + 1], argv[i], err);
		engine_close(&e);
		if (r == 0)
			return 0;
		if (!err || !*err || !strstr(hk_error_msg(*err), "no such container"))
			return hk_error_wrap(err, "network disconnect");
		hk_error_free(err);
	}
	if (network_cli_open(&c, err) < 0 || net_disconnect(c.net, argv[i + 1], argv[i], err) < 0)
		return hk_error_wrap(err, "network disconnect");
	return 0;
}

static const struct hk_command cmd_network_disconnect = {
	.name = "network disconnect",
	.usage = "network disconnect [-f] NETWORK CONTAINER",
	.summary = "Disconnect a container from a network",
	.run = network_disconnect_run,
};
HK_COMMAND(hako, cmd_network_disconnect);
