/* hako engine: disk usage of images, containers and volumes (system df).
 *
 * Every size is measured on disk when asked (storage_du: apparent bytes, as
 * `du -sb`), not taken from records: a layer dir shared by several images is
 * counted once, a container's size is its writable layer, a volume's its
 * data directory. */
#include <string.h>

#include "engine/internal.h"
#include "image/image.h"
#include "storage/storage.h"
#include "util/json.h"
#include "util/util.h"

void engine_df_free(struct engine_df *df)
{
	for (size_t i = 0; i < df->n_images; i++) {
		free(df->images[i].id);
		strv_free(df->images[i].tags);
	}
	for (size_t i = 0; i < df->n_containers; i++) {
		free(df->containers[i].id);
		free(df->containers[i].name);
		free(df->containers[i].image);
		free(df->containers[i].command);
		free(df->containers[i].status);
	}
	for (size_t i = 0; i < df->n_volumes; i++)
		free(df->volumes[i].name);
	free(df->images);
	free(df->containers);
	free(df->volumes);
	memset(df, 0, sizeof(*df));
}

/* One unpacked layer: its size and how many images use it. */
struct df_layer {
	const char *chain_id;
	int64_t size;
	int images;
	bool in_use; /* an image with containers uses it */
};

static struct df_layer *layer_find(struct df_layer *v, size_t n, const char *chain)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].chain_id, chain))
			return &v[i];
	return NULL;
}

static int df_images(struct engine *e, struct engine_df *df, struct hk_error **err)
{
	_cleanup_image_store_ struct image_store *store = NULL;
	_cleanup_free_ struct df_layer *layers = NULL;
	struct image **list = NULL;
	size_t n = 0, nl = 0;
	int r = -1;

	if (image_store_open(e->root, &store, err) < 0 || image_list(store, &list, &n, err) < 0)
		return -1;
	df->images = xzalloc((n + 1) * sizeof(*df->images));
	for (size_t i = 0; i < n; i++) {
		struct engine_df_image *im = &df->images[df->n_images++];
		int64_t users = 0;
		im->id = xstrdup(list[i]->id);
		im->tags = strv_dup(list[i]->tags);
		im->created = list[i]->created;
		if (image_user_count(store, im->id, &users, err) < 0)
			goto out;
		im->containers = (int)users;
		if (users)
			df->images_active++;
		for (size_t k = 0; k < list[i]->n_layers; k++) {
			const char *chain = list[i]->layers[k].chain_id;
			struct df_layer *l = layer_find(layers, nl, chain);
			if (!l) {
				_cleanup_free_ char *path = image_layer_path(store, chain);
				layers = xrealloc(layers, (nl + 1) * sizeof(*layers));
				l = &layers[nl++];
				memset(l, 0, sizeof(*l));
				l->chain_id = chain;
				if (storage_du(path, &l->size, err) < 0)
					goto out;
				df->images_size += l->size;
			}
			/* an image listing a layer twice counts it once */
			bool again = false;
			for (size_t j = 0; j < k; j++)
				again |= !strcmp(list[i]->layers[j].chain_id, chain);
			if (!again)
				l->images++;
			if (users)
				l->in_use = true;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct engine_df_image *im = &df->images[i];
		for (size_t k = 0; k < list[i]->n_layers; k++) {
			struct df_layer *l = layer_find(layers, nl, list[i]->layers[k].chain_id);
			bool again = false;
			for (size_t j = 0; j < k; j++)
				again |= !strcmp(list[i]->layers[j].chain_id, l->chain_id);
			if (again)
				continue;
			im->size += l->size;
			if (l->images > 1)
				im->shared += l->size;
		}
		im->unique = im->size - im->shared;
	}
	for (size_t i = 0; i < nl; i++)
		if (!layers[i].in_use)
			df->images_reclaimable += layers[i].size;
	r = 0;
out:
	image_list_free(list, n);
	return r;
}

static int df_containers(struct engine *e, struct engine_df *df, struct hk_error **err)
{
	_cleanup_storage_ struct storage *s = NULL;
	struct engine_container **list = NULL;
	size_t n = 0;
	int64_t now = engine_now();
	int r = -1;

	if (storage_open(e->root, NULL, &s, err) < 0 || engine_list(e, &list, &n, err) < 0)
		return -1;
	df->containers = xzalloc((n + 1) * sizeof(*df->containers));
	for (size_t i = 0; i < n; i++) {
		struct engine_container *c = list[i];
		struct engine_df_container *dc = &df->containers[df->n_containers++];
		json_object *mounts = NULL;
		dc->id = xstrdup(c->id);
		dc->name = xstrdup(c->name);
		dc->image = xstrdup(c->image ? c->image : "");
		dc->command = engine_command_string(c);
		dc->status = engine_status_string(c, now);
		dc->created = c->created;
		dc->running = c->state == ENGINE_RUNNING || c->state == ENGINE_PAUSED ||
			      c->state == ENGINE_RESTARTING;
		json_object_object_get_ex(c->config, "Mounts", &mounts);
		for (size_t k = 0; mounts && k < json_object_array_length(mounts); k++) {
			json_object *t = NULL;
			json_object_object_get_ex(json_object_array_get_idx(mounts, k), "Type", &t);
			dc->volumes += str_eq(json_object_get_string(t), "volume");
		}
		if (storage_rw_size(s, c->id, &dc->size, err) < 0)
			goto out;
		df->containers_size += dc->size;
		if (dc->running)
			df->containers_active++;
		else
			df->containers_reclaimable += dc->size;
	}
	r = 0;
out:
	engine_list_free(list, n);
	return r;
}

static int df_volumes(struct engine *e, struct engine_df *df, struct hk_error **err)
{
	struct engine_volume **list = NULL;
	size_t n = 0;
	int r = -1;

	if (engine_volume_list(e, NULL, &list, &n, err) < 0)
		return -1;
	df->volumes = xzalloc((n + 1) * sizeof(*df->volumes));
	for (size_t i = 0; i < n; i++) {
		struct engine_df_volume *v = &df->volumes[df->n_volumes++];
		v->name = xstrdup(list[i]->name);
		v->links = list[i]->users;
		if (storage_du(list[i]->mountpoint, &v->size, err) < 0)
			goto out;
		df->volumes_size += v->size;
		if (v->links)
			df->volumes_active++;
		else
			df->volumes_reclaimable += v->size;
	}
	r = 0;
out:
	engine_volume_list_free(list, n);
	return r;
}

int engine_disk_usage(struct engine *e, struct engine_df *df, struct hk_error **err)
{
	memset(df, 0, sizeof(*df));
	if (df_images(e, df, err) < 0 || df_containers(e, df, err) < 0 ||
	    df_volumes(e, df, err) < 0) {
		engine_df_free(df);
		return hk_error_wrap(err, "disk usage");
	}
	return 0;
}
