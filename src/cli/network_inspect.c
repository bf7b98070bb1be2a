/* hako network inspect */
#include <getopt.h>
#include <stdio.h>

#include "cli/command.h"
#include "cli/format.h"
#include "cli/network_cli.h"
#include "util/json.h"
#include "util/util.h"

static int network_inspect_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{0},
	};
	_cleanup_network_cli_ struct network_cli c = {0};
	_cleanup_json_ json_object *out = NULL;
	const char *format = NULL;
	struct cli_format f = {0};
	int ch, r = 0;

	while ((ch = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		if (ch != 'f')
			return hk_error_set(err, 0,
					    "network inspect: see 'hako network inspect --help'");
		format = optarg;
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "network inspect: expected at least one NETWORK");
	if (format && !str_eq(format, "json") && cli_format_init_template(&f, format, err) < 0)
		return hk_error_wrap(err, "network inspect");
	if (network_cli_open(&c, err) < 0 || net_repair(c.net, err) < 0 ||
	    net_inspect(c.net, argv + optind, &out, err) < 0) {
		cli_format_free(&f);
		return hk_error_wrap(err, "network inspect");
	}
	if (f.t) {
		/* one line per network, as docker */
		for (size_t i = 0; i < json_object_array_length(out) && r == 0; i++)
			r = cli_format_row(&f, json_object_array_get_idx(out, i), err);
		cli_format_free(&f);
		return r < 0 ? hk_error_wrap(err, "network inspect") : 0;
	}
	_cleanup_free_ char *s = json_to_string(out, true);
	printf("%s\n", s);
	return 0;
}

static const struct hk_command cmd_network_inspect = {
	.name = "network inspect",
	.usage = "network inspect [-f FORMAT] NETWORK...",
	.summary = "Show networks as JSON (subnet, gateway, bridge, containers)",
	.help = "  -f, --format FMT     json (default) or a Go template, e.g. '{{.Subnet}}'\n"
		"                       (docs/format.md)\n",
	.run = network_inspect_run,
};
HK_COMMAND(hako, cmd_network_inspect);
