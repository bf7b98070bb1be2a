/* hako rmi / hako image rm: untag and delete images. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "events/events.h"
#include "util/json.h"
#include "cli/command.h"
#include "cli/image_common.h"
#include "util/util.h"

/* The full tag `arg` names, when it names one the image has. */
static void rm_event(struct image_store *s, const char *action, const char *id, const char *name)
{
	_cleanup_json_ json_object *a = json_object_new_object();
	if (name)
		json_object_object_add(a, "name", json_object_new_string(name));
	events_record(s->db, "image", action, id, a);
}

static char *tag_named(const struct image *img, const char *arg)
{
	struct image_ref r;
	struct hk_error *e = NULL;
	char *full;

	if (image_ref_parse(arg, &r, &e) < 0) {
		hk_error_free(&e);
		return NULL;
	}
	if (r.digest) {
		image_ref_free(&r);
		return NULL;
	}
	full = image_ref_string(&r);
	image_ref_free(&r);
	for (char **t = img->tags; t && *t; t++)
		if (!strcmp(*t, full))
			return full;
	free(full);
	return NULL;
}

static int rmi_one(struct image_store *s, const char *arg, bool force, struct hk_error **err)
{
	_cleanup_image_ struct image *img = NULL;
	_cleanup_free_ char *tag = NULL;
	int64_t users = 0;
	size_t ntags;

	if (image_lookup(s, arg, &img, err) < 0)
		return -1;
	ntags = strv_len(img->tags);
	tag = tag_named(img, arg);
	if (image_user_count(s, img->id, &users, err) < 0)
		return -1;
	/* By name, with other names or users left: only the name goes. */
	if (tag && (ntags > 1 || (users > 0 && force))) {
		_cleanup_free_ char *fam = image_ref_familiar(tag);
		if (image_untag(s, tag, err) < 0)
			return -1;
		rm_event(s, "untag", img->id, fam);
		printf("Untagged: %s\n", fam);
		return 0;
	}
	if (!tag && ntags > 1 && !force)
		return hk_error_set(err, 0,
				    "conflict: unable to delete %.12s (must be forced) - image is "
				    "referenced in multiple repositories",
				    img->id + 7);
	if (users > 0 && !force)
		return hk_error_set(
			err, 0,
			"conflict: unable to remove '%s' (must force) - image is used by "
			"%lld container(s)",
			arg, (long long)users);
	if (image_remove(s, img->id, force, err) < 0)
		return -1;
	for (char **t = img->tags; t && *t; t++) {
		_cleanup_free_ char *fam = image_ref_familiar(*t);
		rm_event(s, "untag", img->id, fam);
		printf("Untagged: %s\n", fam);
	}
	if (users > 0)
		return 0; /* forced: untagged, kept for its containers */
	for (char **d = img->digests; d && *d; d++) {
		_cleanup_free_ char *fam = image_ref_familiar(*d);
		printf("Untagged: %s\n", fam);
	}
	rm_event(s, "delete", img->id, NULL);
	printf("Deleted: %s\n", img->id);
	return 0;
}

static int rmi_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'}, {"no-prune", no_argument, NULL, 'P'}, {}};
	_cleanup_image_store_ struct image_store *s = NULL;
	bool force = false;
	int c, status = 0;

	while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c != 'P')
			return 125;
	}
	if (optind >= argc)
		return hk_error_set(err, EINVAL, "rmi: requires at least one IMAGE");
	if (cli_image_store(&s, err) < 0)
		return -1;
	for (int i = optind; i < argc; i++) {
		struct hk_error *e = NULL;
		if (rmi_one(s, argv[i], force, &e) < 0) {
			fprintf(stderr, "hako: rmi %s: %s\n", argv[i], hk_error_msg(e));
			hk_error_free(&e);
			status = 1;
		}
	}
	return status;
}

static const struct hk_command cmd_rmi = {
	.name = "image rm",
	.aliases = "rmi",
	.usage = "rmi [OPTIONS] IMAGE [IMAGE...]",
	.summary = "Remove images",
	.help = "  -f, --force   remove an image with several names given by id, or untag\n"
		"                one used by containers\n",
	.run = rmi_run,
};
HK_COMMAND(hako, cmd_rmi);
