/* hako image inspect: Docker's JSON for images. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/format.h"
#include "cli/image_common.h"
#include "util/json.h"
#include "util/util.h"

/* Docker's shape: Id, RepoTags, RepoDigests, Parent, Comment, Created,
 * Config, Architecture, Os, Size, RootFS{Type, Layers}, Metadata. */
static int image_json(const struct image *img, json_object **out, struct hk_error **err)
{
	_cleanup_json_ json_object *cfg = NULL, *j = json_object_new_object();
	json_object *tags = json_object_new_array(), *digests = json_object_new_array();
	json_object *rootfs = json_object_new_object(), *layers = json_object_new_array(), *v;
	json_object *meta = json_object_new_object();
	char added[64];

	if (json_parse("image config", img->config_json, strlen(img->config_json), &cfg, err) < 0)
		goto fail;
	json_object_object_add(j, "Id", json_object_new_string(img->id));
	for (char **t = img->tags; t && *t; t++) {
		_cleanup_free_ char *f = image_ref_familiar(*t);
		json_object_array_add(tags, json_object_new_string(f));
	}
	json_object_object_add(j, "RepoTags", tags);
	tags = NULL;
	for (char **d = img->digests; d && *d; d++) {
		_cleanup_free_ char *f = image_ref_familiar(*d);
		json_object_array_add(digests, json_object_new_string(f));
	}
	json_object_object_add(j, "RepoDigests", digests);
	digests = NULL;
	json_object_object_add(j, "Parent", json_object_new_string(""));
	json_object_object_add(j, "Comment", json_object_new_string(""));
	if (json_object_object_get_ex(cfg, "created", &v) &&
	    json_object_is_type(v, json_type_string))
		json_object_object_add(j, "Created", json_object_get(v));
	else
		json_object_object_add(j, "Created", json_object_new_string(""));
	if (json_object_object_get_ex(cfg, "author", &v))
		json_object_object_add(j, "Author", json_object_get(v));
	if (json_object_object_get_ex(cfg, "config", &v) && v)
		json_object_object_add(j, "Config", json_object_get(v));
	else
		json_object_object_add(j, "Config", json_object_new_object());
	json_object_object_add(j, "Architecture",
			       json_object_object_get_ex(cfg, "architecture", &v)
				       ? json_object_get(v)
				       : json_object_new_string(""));
	if (json_object_object_get_ex(cfg, "variant", &v))
		json_object_object_add(j, "Variant", json_object_get(v));
	json_object_object_add(j, "Os",
			       json_object_object_get_ex(cfg, "os", &v)
				       ? json_object_get(v)
				       : json_object_new_string(""));
	json_object_object_add(j, "Size", json_object_new_int64(img->size));
	json_object_object_add(rootfs, "Type", json_object_new_string("layers"));
	for (size_t i = 0; i < img->n_layers; i++)
		json_object_array_add(layers, json_object_new_string(img->layers[i].diff_id));
	json_object_object_add(rootfs, "Layers", layers);
	layers = NULL;
	json_object_object_add(j, "RootFS", rootfs);
	rootfs = NULL;
	cli_rfc3339(img->added, added, sizeof(added));
	json_object_object_add(meta, "LastTagTime", json_object_new_string(added));
	json_object_object_add(j, "Metadata", meta);
	meta = NULL;
	*out = steal_ptr(&j);
	return 0;
fail:
	json_object_put(tags);
	json_object_put(digests);
	json_object_put(rootfs);
	json_object_put(layers);
	json_object_put(meta);
	return -1;
}

static int inspect_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, {}};
	_cleanup_image_store_ struct image_store *s = NULL;
	_cleanup_json_ json_object *arr = json_object_new_array();
	const char *format = NULL;
	struct cli_format f = {0};
	int c, status = 0;

	while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c != 'f')
			return 125;
		format = optarg;
	}
	if (optind >= argc)
		return hk_error_set(err, EINVAL, "image inspect: requires at least one IMAGE");
	if (str_eq(format, "json"))
		format = NULL;
	if (format && cli_format_init_template(&f, format, err) < 0)
		return hk_error_wrap(err, "image inspect");
	if (cli_image_store(&s, err) < 0) {
		cli_format_free(&f);
		return -1;
	}
	for (int i = optind; i < argc; i++) {
		_cleanup_image_ struct image *img = NULL;
		struct hk_error *e = NULL;
		json_object *j = NULL;
		if (image_lookup(s, argv[i], &img, &e) < 0 || image_json(img, &j, &e) < 0) {
			fprintf(stderr, "hako: image inspect: %s\n", hk_error_msg(e));
			hk_error_free(&e);
			status = 1;
			continue;
		}
		if (format) {
			int r = cli_format_row(&f, j, err);
			json_object_put(j);
			if (r < 0) {
				cli_format_free(&f);
				return hk_error_wrap(err, "image inspect");
			}
			continue;
		}
		json_object_array_add(arr, j);
	}
	cli_format_free(&f);
	if (!format) {
		_cleanup_free_ char *t = json_to_string(arr, true);
		printf("%s\n", t);
	}
	return status;
}

static const struct hk_command cmd_image_inspect = {
	.name = "image inspect",
	.usage = "image inspect [-f FORMAT] IMAGE [IMAGE...]",
	.summary = "Show images as JSON",
	.help = "  -f, --format F   a template such as '{{.Id}}' or '{{json .Config}}'\n",
	.run = inspect_run,
};
HK_COMMAND(hako, cmd_image_inspect);
