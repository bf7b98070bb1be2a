/* hako load: images from a docker-archive or an OCI layout (tar or dir). */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/command.h"
#include "image/archive.h"
#include "image/image.h"
#include "util/util.h"

static int load_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"input", required_argument, NULL, 'i'},
		{"quiet", no_argument, NULL, 'q'},
		{0},
	};
	_cleanup_image_store_ struct image_store *store = NULL;
	struct archive_loaded *loaded = NULL;
	const char *input = NULL;
	bool quiet = false;
	size_t n = 0;
	int c;

	while ((c = getopt_long(argc, argv, "+i:q", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			input = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			return hk_error_set(err, 0, "load: see 'hako load --help'");
		}
	}
	if (optind != argc)
		return hk_error_set(err, 0, "load: unexpected argument '%s'", argv[optind]);
	if (!input && isatty(STDIN_FILENO))
		return hk_error_set(err, 0, "load: no input: use -i FILE or a redirection");
	if (image_store_open(hk_globals.root, &store, err) < 0)
		return -1;
	if (archive_load(store, input, &loaded, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!loaded[i].tags[0] && !quiet)
			printf("Loaded image ID: %s\n", loaded[i].id);
		for (char **t = loaded[i].tags; *t && !quiet; t++)
			printf("Loaded image: %s\n", *t);
		if (quiet)
			printf("%s\n", loaded[i].id);
	}
	archive_loaded_free(loaded, n);
	return 0;
}

static const struct hk_command cmd_load = {
	.name = "load",
	.aliases = "image load",
	.usage = "load [OPTIONS]",
	.summary = "Load images from a docker-archive or an OCI layout",
	.help = "Options:\n"
		"  -i, --input PATH        a tar (docker-archive or OCI, maybe compressed)\n"
		"                          or an OCI layout directory; default: stdin\n"
		"  -q, --quiet             print only the image ids\n",
	.run = load_run,
};
HK_COMMAND(hako, cmd_load);
