/* hako image mount / unmount: an image's root filesystem, assembled by the
 * storage driver (overlay, or vfs when overlayfs is unusable or
 * HAKO_STORAGE_DRIVER=vfs), for looking at it from the host. */
#include <errno.h>
#include <stdio.h>

#include "cli/command.h"
#include "cli/image_common.h"
#include "storage/storage.h"
#include "util/util.h"

static char *mount_id(const struct image *img)
{
	char id[16];

	return xasprintf("image-mount-%s", cli_short_id(img->id, id));
}

static int mount_run(int argc, char **argv, struct hk_error **err)
{
	_cleanup_image_store_ struct image_store *s = NULL;
	_cleanup_image_ struct image *img = NULL;
	_cleanup_storage_ struct storage *st = NULL;
	_cleanup_free_ char *id = NULL, *mp = NULL;
	_cleanup_free_ const char **chains = NULL;

	if (argc != 2)
		return hk_error_set(err, EINVAL, "image mount: requires exactly one IMAGE");
	if (cli_image_store(&s, err) < 0 || image_lookup(s, argv[1], &img, err) < 0 ||
	    storage_open(hk_globals.root, NULL, &st, err) < 0)
		return -1;
	id = mount_id(img);
	/* Held like a container's: rmi refuses a mounted image. */
	if (image_user_add(s, img->id, id, err) < 0)
		return -1;
	if (storage_mount(st, id, &mp, err) < 0) {
		hk_error_free(err);
		chains = xzalloc((img->n_layers + 1) * sizeof(char *));
		for (size_t i = 0; i < img->n_layers; i++)
			chains[i] = img->layers[i].chain_id;
		if (storage_create_rootfs(st, chains, img->n_layers, id, &mp, err) < 0) {
			struct hk_error *e = NULL;
			image_user_remove(s, id, &e);
			hk_error_free(&e);
			return -1;
		}
	}
	printf("%s\n", mp);
	return 0;
}

static int unmount_run(int argc, char **argv, struct hk_error **err)
{
	_cleanup_image_store_ struct image_store *s = NULL;
	_cleanup_image_ struct image *img = NULL;
	_cleanup_storage_ struct storage *st = NULL;
	_cleanup_free_ char *id = NULL;

	if (argc != 2)
		return hk_error_set(err, EINVAL, "image unmount: requires exactly one IMAGE");
	if (cli_image_store(&s, err) < 0 || image_lookup(s, argv[1], &img, err) < 0 ||
	    storage_open(hk_globals.root, NULL, &st, err) < 0)
		return -1;
	id = mount_id(img);
	if (storage_remove(st, id, err) < 0 || image_user_remove(s, id, err) < 0)
		return -1;
	return 0;
}

static const struct hk_command cmd_image_mount = {
	.name = "image mount",
	.usage = "image mount IMAGE",
	.summary = "Mount an image's root filesystem and print where",
	.run = mount_run,
};
HK_COMMAND(hako, cmd_image_mount);

static const struct hk_command cmd_image_unmount = {
	.name = "image unmount",
	.usage = "image unmount IMAGE",
	.summary = "Unmount and remove what image mount made",
	.run = unmount_run,
};
HK_COMMAND(hako, cmd_image_unmount);
