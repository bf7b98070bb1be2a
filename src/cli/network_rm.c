/* hako network rm / prune */
#include <getopt.h>
#include <stdio.h>

#include "events/events.h"
#include "util/json.h"
#include "cli/command.h"
#include "cli/network_cli.h"
#include "util/util.h"

static int network_rm_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {0}};
	_cleanup_network_cli_ struct network_cli c = {0};
	bool force = false;
	int ch, status = 0;

	while ((ch = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
		if (ch != 'f')
			return hk_error_set(err, 0, "network rm: see 'hako network rm --help'");
		force = true;
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "network rm: expected at least one NETWORK");
	if (network_cli_open(&c, err) < 0)
		return hk_error_wrap(err, "network rm");
	for (int i = optind; i < argc; i++) {
		_cleanup_error_ struct hk_error *e = NULL;
		if (net_remove(c.net, argv[i], force, &e) < 0) {
			hk_error_wrap(&e, "network rm");
			hk_error_print(e, "hako");
			status = 1;
			continue;
		}
		{
			_cleanup_json_ json_object *a = json_object_new_object();
			json_object_object_add(a, "name", json_object_new_string(argv[i]));
			json_object_object_add(a, "type", json_object_new_string("bridge"));
			events_record_root(hk_globals.root, "network", "destroy", argv[i], a);
		}
		printf("%s\n", argv[i]);
	}
	return status;
}

static const struct hk_command cmd_network_rm = {
	.name = "network rm",
	.aliases = "network remove",
	.usage = "network rm [-f] NETWORK...",
	.summary = "Remove networks",
	.help = "  -f, --force          disconnect the containers first\n",
	.run = network_rm_run,
};
HK_COMMAND(hako, cmd_network_rm);

static int network_prune_run(int argc, char **argv, struct hk_error **err)
{
	_cleanup_network_cli_ struct network_cli c = {0};
	_cleanup_strv_ char **removed = NULL;

	for (int i = 1; i < argc; i++)
		if (!str_eq(argv[i], "-f") && !str_eq(argv[i], "--force"))
			return hk_error_set(err, 0, "network prune: unexpected argument '%s'",
					    argv[i]);
	if (network_cli_open(&c, err) < 0 || net_prune(c.net, &removed, err) < 0)
		return hk_error_wrap(err, "network prune");
	if (removed) {
		printf("Deleted Networks:\n");
		for (char **n = removed; *n; n++)
			printf("%s\n", *n);
	}
	return 0;
}

static const struct hk_command cmd_network_prune = {
	.name = "network prune",
	.usage = "network prune [-f]",
	.summary = "Remove every network without containers",
	.run = network_prune_run,
};
HK_COMMAND(hako, cmd_network_prune);
