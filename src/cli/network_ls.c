/* hako network ls */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/network_cli.h"
#include "util/json.h"
#include "util/util.h"

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static int network_ls_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"quiet", no_argument, NULL, 'q'},
		{"format", required_argument, NULL, 'f'},
		{"no-trunc", no_argument, NULL, 'T'},
		{0},
	};
	_cleanup_network_cli_ struct network_cli c = {0};
	_cleanup_json_ json_object *all = NULL;
	const char *format = NULL;
	bool quiet = false, trunc = true;
	int ch;

	while ((ch = getopt_long(argc, argv, "+qf:", opts, NULL)) != -1) {
		switch (ch) {
		case 'q':
			quiet = true;
			break;
		case 'f':
			format = optarg;
			break;
		case 'T':
			trunc = false;
			break;
		default:
			return hk_error_set(err, 0, "network ls: see 'hako network ls --help'");
		}
	}
	if (format && strcmp(format, "json") && strcmp(format, "table"))
		return hk_error_set(err, 0, "network ls: --format must be json or table");
	if (optind < argc)
		return hk_error_set(err, 0, "network ls: unexpected argument '%s'", argv[optind]);
	if (network_cli_open(&c, err) < 0 || net_repair(c.net, err) < 0 ||
	    net_ensure_default(c.net, err) < 0 || net_inspect(c.net, NULL, &all, err) < 0)
		return hk_error_wrap(err, "network ls");
	if (format && !strcmp(format, "json")) {
		_cleanup_free_ char *s = json_to_string(all, true);
		printf("%s\n", s);
		return 0;
	}
	if (!quiet)
		printf("%-*s  %-20s  %-7s  %-18s  %s\n", trunc ? 12 : 64, "NETWORK ID", "NAME",
		       "DRIVER", "SUBNET", "INTERNAL");
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *n = json_object_array_get_idx(all, i), *in = NULL;
		const char *id = jstr(n, "Id");
		if (quiet) {
			printf("%.*s\n", trunc ? 12 : 64, id);
			continue;
		}
		json_object_object_get_ex(n, "Internal", &in);
		printf("%-*.*s  %-20s  %-7s  %-18s  %s\n", trunc ? 12 : 64, trunc ? 12 : 64, id,
		       jstr(n, "Name"), jstr(n, "Driver"), jstr(n, "Subnet"),
		       json_object_get_boolean(in) ? "true" : "false");
	}
	return 0;
}

static const struct hk_command cmd_network_ls = {
	.name = "network ls",
	.aliases = "network list",
	.usage = "network ls [OPTIONS]",
	.summary = "List networks",
	.help = "  -q, --quiet          only the ids\n"
		"  -f, --format FMT     table (default) or json\n"
		"      --no-trunc       full ids\n",
	.run = network_ls_run,
};
HK_COMMAND(hako, cmd_network_ls);
