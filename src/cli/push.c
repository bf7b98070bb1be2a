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
		REGCLI_XFER_LONGOPTS,
		{"digestfile", required_argument, NULL, 'd'},
		{0},
	};
	_cleanup_image_store_ struct image_store *store = NULL;
	struct regcli_xfer x = REGCLI_XFER_INIT;
	const char *digestfile = NULL;
	char digest[72];
	int c, rc;

	while ((c = getopt_long(argc, argv, "+q", opts, NULL)) != -1) {
		rc = regcli_xfer_opt(&x, c, optarg, err);
		if (rc < 0)
			return -1;
		if (rc > 0)
			continue;
		switch (c) {
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
	regcli_xfer_start(&x);
	rc = registry_push(store, argv[optind], optind + 2 == argc ? argv[optind + 1] : NULL, &x.o,
			   digest, err);
	regcli_xfer_done(&x);
	if (rc < 0)
		return -1;
	if (digestfile && write_file_atomic(digestfile, digest, strlen(digest), 0644, err) < 0)
		return -1;
	if (!x.quiet)
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
