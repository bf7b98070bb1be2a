/* hako network inspect */
#include <stdio.h>

#include "cli/command.h"
#include "cli/network_cli.h"
#include "util/json.h"
#include "util/util.h"

static int network_inspect_run(int argc, char **argv, struct hk_error **err)
{
	_cleanup_network_cli_ struct network_cli c = {0};
	_cleanup_json_ json_object *out = NULL;
	_cleanup_free_ char *s = NULL;

	if (argc < 2)
		return hk_error_set(err, 0, "network inspect: expected at least one NETWORK");
	if (network_cli_open(&c, err) < 0 || net_repair(c.net, err) < 0 ||
	    net_inspect(c.net, argv + 1, &out, err) < 0)
		return hk_error_wrap(err, "network inspect");
	s = json_to_string(out, true);
	printf("%s\n", s);
	return 0;
}

static const struct hk_command cmd_network_inspect = {
	.name = "network inspect",
	.usage = "network inspect NETWORK...",
	.summary = "Show networks as JSON (subnet, gateway, bridge, containers)",
	.run = network_inspect_run,
};
HK_COMMAND(hako, cmd_network_inspect);
