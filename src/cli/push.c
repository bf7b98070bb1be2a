/* hako push: an image from the store to a registry. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/registry_cli.h"
#include "image/image.h"
#include "registry/registry.h"
#include "util/util.h"

static int push_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"quiet", no_argument, NULL, 'q'},
		{"tls-verify", optional_argument, NULL, REGCLI_OPT_TLS},
		{"authfile", required_argument, NULL, REGCLI_OPT_AUTHFILE},
		{"digestfile", required_argument, NULL, 'd'},
		{0},
	};
	_cleanup_image_store_ struct image_store *store = NULL;
	struct registry_xfer_opts o = {.tls_verify = -1};
	const char *digestfile = NULL;
	struct regcli_progress *prog;
	struct registry_events ev;
	char digest[72];
	bool quiet = false;
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
		case 'd':
			digestfile = optarg;
			break;
		default:
			return hk_error_set(err, 0, "push: see 'hako push --help'");
		}
	}
	if (optind + 1 != argc && optind + 2 != argc)
		return hk_error_set(err, 0, "push: IMAGE [DESTINATION] expected");
	if (image_store_open(hk_globals.root, &store, err) < 0)
		return -1;
	prog = regcli_progress_new(quiet);
	ev = regcli_progress_events(prog);
	o.ev = &ev;
	rc = registry_push(store, argv[optind], optind + 2 == argc ? argv[optind + 1] : NULL, &o,
			   digest, err);
	regcli_progress_flush(prog);
	regcli_progress_free(prog);
	if (rc < 0)
		return -1;
	if (digestfile && write_file_atomic(digestfile, digest, strlen(digest), 0644, err) < 0)
		return -1;
	if (!quiet)
		fprintf(stderr, "Pushed %s\n", digest);
	return 0;
}

static const struct hk_command cmd_push = {
	.name = "push",
	.aliases = "image push",
	.usage = "push [OPTIONS] IMAGE [DESTINATION]",
	.summary = "Push an image to a registry",
	.help = "Options:\n"
		"  -q, --quiet             no progress output\n"
		"      --tls-verify=BOOL   verify TLS certificates; false also allows http\n"
		"      --authfile FILE     credentials file (default <root>/auth.json)\n"
		"      --digestfile FILE   write the manifest digest to FILE\n",
	.run = push_run,
};
HK_COMMAND(hako, cmd_push);
