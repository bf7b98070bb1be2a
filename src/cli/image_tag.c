/* hako tag SOURCE TARGET: another name for an image. */
#include <errno.h>
#include <stdio.h>

#include "events/events.h"
#include "util/json.h"
#include "cli/command.h"
#include "cli/image_common.h"
#include "util/util.h"

static int tag_run(int argc, char **argv, struct hk_error **err)
{
	_cleanup_image_store_ struct image_store *s = NULL;
	_cleanup_image_ struct image *img = NULL;
	struct image_ref r;

	if (argc != 3)
		return hk_error_set(err, EINVAL, "tag: requires SOURCE_IMAGE and TARGET_IMAGE");
	/* Refuse a bad target before touching the store. */
	if (image_ref_parse(argv[2], &r, err) < 0)
		return -1;
	image_ref_free(&r);
	if (cli_image_store(&s, err) < 0 || image_lookup(s, argv[1], &img, err) < 0)
		return -1;
	if (image_tag(s, img->id, argv[2], err) < 0)
		return -1;
	{
		_cleanup_json_ json_object *a = json_object_new_object();
		json_object_object_add(a, "name", json_object_new_string(argv[2]));
		events_record(s->db, "image", "tag", img->id, a);
	}
	return 0;
}

static const struct hk_command cmd_tag = {
	.name = "image tag",
	.aliases = "tag",
	.usage = "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
	.summary = "Give an image another name",
	.run = tag_run,
};
HK_COMMAND(hako, cmd_tag);
