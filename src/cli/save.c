/* hako save: images to a docker-archive, an OCI archive or an OCI layout. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/command.h"
#include "image/archive.h"
#include "image/image.h"
#include "util/util.h"

static int save_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},
		{0},
	};
	_cleanup_image_store_ struct image_store *store = NULL;
	_cleanup_free_ char *tmp = NULL;
	enum archive_format fmt = ARCHIVE_DOCKER;
	const char *output = NULL;
	int c, fd = STDOUT_FILENO, rc;

	while ((c = getopt_long(argc, argv, "+o:q", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'f':
			if (archive_format_parse(optarg, &fmt, err) < 0)
				return -1;
			break;
		case 'q':
			break;
		default:
			return hk_error_set(err, 0, "save: see 'hako save --help'");
		}
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "save: at least one IMAGE expected");
	if (fmt == ARCHIVE_OCI_DIR && !output)
		return hk_error_set(err, 0, "save: --format oci-dir needs -o DIR");
	if (!output && isatty(STDOUT_FILENO))
		return hk_error_set(err, 0,
				    "save: refusing to write an archive to a terminal; "
				    "use -o FILE or a redirection");
	if (image_store_open(hk_globals.root, &store, err) < 0)
		return -1;
	if (output && fmt != ARCHIVE_OCI_DIR) {
		/* written next to the target and renamed: no half archive under
		 * the name on failure */
		tmp = xasprintf("%s.tmp-XXXXXX", output);
		fd = mkostemp(tmp, O_CLOEXEC);
		if (fd < 0)
			return hk_error_errno(err, "save: create %s", tmp);
	}
	rc = archive_save(store, argv + optind, (size_t)(argc - optind), fmt, fd,
			  fmt == ARCHIVE_OCI_DIR ? output : NULL, err);
	if (tmp) {
		if (rc == 0 && fsync(fd) < 0)
			rc = hk_error_errno(err, "fsync %s", tmp);
		close(fd);
		if (rc == 0 && rename(tmp, output) < 0)
			rc = hk_error_errno(err, "rename %s", tmp);
		if (rc < 0)
			unlink(tmp);
	}
	if (rc < 0)
		return hk_error_wrap(err, "save");
	return 0;
}

static const struct hk_command cmd_save = {
	.name = "save",
	.aliases = "image save",
	.usage = "save [OPTIONS] IMAGE...",
	.summary = "Save images to an archive (docker-archive or OCI)",
	.help = "Options:\n"
		"  -o, --output FILE       write to FILE (a directory for oci-dir);\n"
		"                          default: stdout, when it is not a terminal\n"
		"      --format FORMAT     docker-archive (default), oci-archive, oci-dir\n",
	.run = save_run,
};
HK_COMMAND(hako, cmd_save);
