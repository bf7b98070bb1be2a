/* hako import FILE|- [REPOSITORY[:TAG]]: a root filesystem tarball (gzip,
 * zstd, xz or plain) becomes a one-layer image; --change applies Dockerfile
 * instructions (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR,
 * STOPSIGNAL) to its config. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/command.h"
#include "cli/image_common.h"
#include "image/image.h"
#include "util/json.h"
#include "util/util.h"

static int import_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"change", required_argument, NULL, 'c'},
					     {"message", required_argument, NULL, 'm'},
					     {}};
	_cleanup_image_store_ struct image_store *s = NULL;
	_cleanup_json_ json_object *root = json_object_new_object();
	_cleanup_strv_ char **changes = xzalloc(sizeof(char *));
	_cleanup_free_ char *config = NULL, *by = NULL;
	json_object *cfg = json_object_new_object(), *rootfs = json_object_new_object();
	json_object *hist = json_object_new_array(), *h = json_object_new_object();
	const char *message = NULL, *src, *tag = NULL;
	char blob[DIGEST_BUF], diff[DIGEST_BUF], id[DIGEST_BUF], created[64];
	int c;

	json_object_object_add(root, "config", cfg);
	json_object_object_add(root, "rootfs", rootfs);
	json_object_object_add(root, "history", hist);
	json_object_array_add(hist, h);
	while ((c = getopt_long(argc, argv, "+c:m:", opts, NULL)) != -1) {
		if (c == 'c')
			strv_push(&changes, optarg);
		else if (c == 'm')
			message = optarg;
		else
			return 125;
	}
	if (argc - optind < 1 || argc - optind > 2)
		return hk_error_set(err, EINVAL, "import: requires FILE|- and at most a REFERENCE");
	src = argv[optind];
	tag = argc - optind == 2 ? argv[optind + 1] : NULL;
	/* Check everything cheap before storing anything. */
	if (tag) {
		struct image_ref r;
		if (image_ref_parse(tag, &r, err) < 0)
			return hk_error_wrap(err, "import");
		image_ref_free(&r);
	}
	for (char **ch = changes; *ch; ch++)
		if (image_config_apply_change(cfg, *ch, err) < 0)
			return hk_error_wrap(err, "import: --change '%s'", *ch);
	if (cli_image_store(&s, err) < 0)
		return -1;
	if (store_blob_put_file(s, src, NULL, -1, blob, NULL, err) < 0)
		return hk_error_wrap(err, "import");
	if (store_blob_diff_id(s, blob, diff, err) < 0)
		return hk_error_wrap(err, "import");
	cli_rfc3339((int64_t)time(NULL), created, sizeof(created));
	json_object_object_add(root, "created", json_object_new_string(created));
	image_config_set_platform(root);
	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	{
		char *ids[] = {diff, NULL};
		json_object_object_add(rootfs, "diff_ids", json_strv_new(ids));
	}
	by = xasprintf("hako import %s", src);
	json_object_object_add(h, "created", json_object_new_string(created));
	json_object_object_add(h, "created_by", json_object_new_string(by));
	{
		_cleanup_free_ char *cm =
			message ? xstrdup(message) : xasprintf("Imported from %s", src);
		json_object_object_add(h, "comment", json_object_new_string(cm));
	}
	config = json_to_string(root, false);
	{
		const char *tags[] = {tag, NULL};
		struct image_commit_layer layer = {.blob_digest = blob, .blob_size = -1};
		struct image_commit ci = {.config_json = config,
					  .config_len = strlen(config),
					  .layers = &layer,
					  .n_layers = 1,
					  .tags = tag ? tags : NULL};
		if (image_commit(s, &ci, id, err) < 0)
			return hk_error_wrap(err, "import %s", src);
	}
	printf("%s\n", id);
	return 0;
}

static const struct hk_command cmd_import = {
	.name = "image import",
	.aliases = "import",
	.usage = "import [OPTIONS] FILE|- [REPOSITORY[:TAG]]",
	.summary = "Make an image from a root filesystem tarball",
	.help = "  -c, --change INSTR   apply a Dockerfile instruction: CMD, ENTRYPOINT, ENV,\n"
		"                       EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR\n"
		"  -m, --message MSG    the history comment\n",
	.run = import_run,
};
HK_COMMAND(hako, cmd_import);
