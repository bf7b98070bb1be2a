/* hako pull: an image from a registry into the store. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/registry_cli.h"
#include "image/image.h"
#include "registry/registry.h"
#include "util/util.h"

static int pull_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"quiet", no_argument, NULL, 'q'},
		{"tls-verify", optional_argument, NULL, REGCLI_OPT_TLS},
		{"authfile", required_argument, NULL, REGCLI_OPT_AUTHFILE},
		{"platform", required_argument, NULL, 'P'},
		{"parallel", required_argument, NULL, 'j'},
		{0},
	};
	_cleanup_image_store_ struct image_store *store = NULL;
	_cleanup_free_ char *plat = NULL;
	struct registry_xfer_opts o = {.tls_verify = -1};
	struct regcli_progress *prog;
	struct registry_events ev;
	char id[72];
	bool quiet = false;
	long long par;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+q", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case REGCLI_OPT_TLS:
			if (regcli_parse_tls(optarg, &o.tls_verify, err) < 0)
				return -1;
			break;
		case REGCLI_OPT_AUTHFILE:
			o.auth_file = optarg;
			break;
		case 'P': {
			/* os/arch[/variant] */
			char *a, *v;
			free(plat);
			plat = xstrdup(optarg);
			a = strchr(plat, '/');
			if (!a)
				return hk_error_set(err, 0, "--platform: want OS/ARCH[/VARIANT]");
			*a++ = '\0';
			v = strchr(a, '/');
			if (v)
				*v++ = '\0';
			o.os = plat, o.arch = a, o.variant = v;
			break;
		}
		case 'j':
			if (parse_ll(optarg, 1, 8, &par) < 0)
				return hk_error_set(err, 0, "--parallel: '%s' is not 1..8", optarg);
			o.parallel = (int)par;
			break;
		default:
			return hk_error_set(err, 0, "pull: see 'hako pull --help'");
		}
	}
	if (optind + 1 != argc)
		return hk_error_set(err, 0, "pull: exactly one IMAGE expected");
	if (image_store_open(hk_globals.root, &store, err) < 0)
		return -1;
	prog = regcli_progress_new(quiet);
	ev = regcli_progress_events(prog);
	o.ev = &ev;
	rc = registry_pull(store, argv[optind], &o, id, err);
	regcli_progress_flush(prog);
	regcli_progress_free(prog);
	if (rc < 0)
		return -1;
	printf("%s\n", id + 7);
	return 0;
}

static const struct hk_command cmd_pull = {
	.name = "pull",
	.aliases = "image pull",
	.usage = "pull [OPTIONS] IMAGE",
	.summary = "Pull an image from a registry",
	.help = "Options:\n"
		"  -q, --quiet             no progress output\n"
		"      --tls-verify=BOOL   verify TLS certificates; false also allows http\n"
		"                          (loopback registries may use http anyway)\n"
		"      --authfile FILE     credentials file (default <root>/auth.json)\n"
		"      --platform OS/ARCH[/VARIANT]  from a multi-platform image\n"
		"                          (default: this host's)\n"
		"      --parallel N        concurrent layer downloads (default 4)\n",
	.run = pull_run,
};
HK_COMMAND(hako, cmd_pull);
