/* hako logout: forget the credentials of a registry. */
#include <getopt.h>
#include <stdio.h>

#include "cli/command.h"
#include "cli/registry_cli.h"
#include "registry/registry.h"
#include "util/util.h"

static int logout_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"authfile", required_argument, NULL, REGCLI_OPT_AUTHFILE},
		{0},
	};
	_cleanup_free_ char *host = NULL, *file = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case REGCLI_OPT_AUTHFILE:
			free(file);
			file = xstrdup(optarg);
			break;
		default:
			return hk_error_set(err, 0, "logout: see 'hako logout --help'");
		}
	}
	if (optind + 1 != argc)
		return hk_error_set(err, 0, "logout: exactly one REGISTRY expected");
	host = regcli_host_of(argv[optind]);
	if (!file)
		file = registry_auth_file(hk_globals.root);
	rc = registry_auth_remove(file, host, err);
	if (rc < 0)
		return hk_error_wrap(err, "logout %s", host);
	if (rc == 0) {
		fprintf(stderr, "hako: logout %s: not logged in\n", host);
		return 1;
	}
	printf("Removed login credentials for %s\n", host);
	return 0;
}

static const struct hk_command cmd_logout = {
	.name = "logout",
	.usage = "logout [OPTIONS] REGISTRY",
	.summary = "Log out of a container registry",
	.help = "Options:\n"
		"      --authfile FILE     credentials file (default <root>/auth.json)\n",
	.run = logout_run,
};
HK_COMMAND(hako, cmd_logout);
