/* hako engine: export (a tar of a container's filesystem) and commit (a new
 * image from a container's changes). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "engine/internal.h"
#include "image/image.h"
#include "storage/storage.h"
#include "util/json.h"
#include "util/util.h"

static int fd_writer(void *arg, const void *buf, size_t len, struct hk_error **err)
{
	int fd = *(int *)arg;

	if (write_all(fd, buf, len) != (ssize_t)len)
		return hk_error_errno(err, "write the archive");
	return 0;
}

static int usable(const struct engine_container *c, const char *what, struct hk_error **err)
{
	if (c->state == ENGINE_REMOVING || c->state == ENGINE_DEAD)
		return hk_error_set(err, 0, "%s: container %s is being removed", what, c->name);
	return 0;
}

int engine_export(struct engine *e, const char *ref, int fd, struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_storage_ struct storage *s = NULL;
	bool mounted = false;
	int r;

	if (engine_lookup(e, ref, &c, err) < 0 || usable(c, "export", err) < 0)
		return -1;
	if (storage_open(e->root, NULL, &s, err) < 0)
		return -1;
	/* a stopped container's rootfs is mounted for the export only */
	if (engine_rootfs_hold(e, c, &mounted, err) < 0)
		return hk_error_wrap(err, "export %s", c->name);
	store_close(e);
	r = storage_export(s, c->id, fd_writer, &fd, err);
	engine_rootfs_release(e, c, mounted);
	return r < 0 ? hk_error_wrap(err, "export %s", c->name) : 0;
}

/* ---- commit ---- */

static int blob_writer_fn(void *arg, const void *buf, size_t len, struct hk_error **err)
{
	return store_blob_writer_write(arg, buf, len, err);
}

/* The OCI image config's "config" from the container's Config (Docker's
 * names), then the --change instructions. */
static int commit_config(const struct engine_container *c, char **changes, json_object **out,
			 struct hk_error **err)
{
	static const char *const keys[] = {"User",	 "ExposedPorts", "Env",	       "Entrypoint",
					   "Cmd",	 "Volumes",	 "WorkingDir", "Labels",
					   "StopSignal", "Healthcheck",	 "OnBuild",    "Shell"};
	_cleanup_json_ json_object *cfg = json_object_new_object();
	json_object *cc = NULL, *v = NULL;
	const char *hostname = NULL;

	json_object_object_get_ex(c->config, "Config", &cc);
	if (json_object_object_get_ex(cc, "Hostname", &v))
		hostname = json_object_get_string(v);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!json_object_object_get_ex(cc, keys[i], &v) || !v)
			continue;
		if (!strcmp(keys[i], "Env") && json_object_is_type(v, json_type_array)) {
			/* HOSTNAME is the container's, set at run time */
			json_object *env = json_object_new_array();
			_cleanup_free_ char *hn =
				xasprintf("HOSTNAME=%s", hostname ? hostname : "");
			for (size_t k = 0; k < json_object_array_length(v); k++) {
				json_object *x = json_object_array_get_idx(v, k);
				if (!str_eq(json_object_get_string(x), hn))
					json_object_array_add(env, json_object_get(x));
			}
			json_object_object_add(cfg, "Env", env);
			continue;
		}
		if (json_object_is_type(v, json_type_string) && !*json_object_get_string(v))
			continue;
		json_object_object_add(cfg, keys[i], json_object_get(v));
	}
	for (char **ch = changes; ch && *ch; ch++)
		if (image_config_apply_change(cfg, *ch, err) < 0)
			return hk_error_wrap(err, "--change '%s'", *ch);
	*out = steal_ptr(&cfg);
	return 0;
}

/* The new image config: the base image's, with the container's config, one
 * more diff id and one more history entry. */
static int commit_image_config(const struct image *base, const struct engine_container *c,
			       const struct engine_commit_opts *o, json_object *cfg,
			       const char *diff_id, char **out, struct hk_error **err)
{
	_cleanup_json_ json_object *root = NULL;
	json_object *rootfs = NULL, *ids = NULL, *hist = NULL, *h = json_object_new_object();
	_cleanup_free_ char *now = engine_format_time(engine_now() / 1000000000 * 1000000000);
	_cleanup_free_ char *cmd = engine_command_string(c);

	if (json_parse("image config", base->config_json, strlen(base->config_json), &root, err) <
		    0 ||
	    !json_object_is_type(root, json_type_object)) {
		json_object_put(h);
		return *err ? -1 : hk_error_set(err, 0, "image config: expected an object");
	}
	json_object_object_add(root, "config", json_object_get(cfg));
	json_object_object_add(root, "created", json_object_new_string(now));
	json_object_object_add(root, "container", json_object_new_string(c->id));
	json_object_object_del(root, "container_config");
	if (o->author)
		json_object_object_add(root, "author", json_object_new_string(o->author));
	else
		json_object_object_del(root, "author");
	if (!json_object_object_get_ex(root, "rootfs", &rootfs) ||
	    !json_object_is_type(rootfs, json_type_object)) {
		rootfs = json_object_new_object();
		json_object_object_add(rootfs, "type", json_object_new_string("layers"));
		json_object_object_add(root, "rootfs", rootfs);
	}
	if (!json_object_object_get_ex(rootfs, "diff_ids", &ids) ||
	    !json_object_is_type(ids, json_type_array)) {
		ids = json_object_new_array();
		json_object_object_add(rootfs, "diff_ids", ids);
	}
	json_object_array_add(ids, json_object_new_string(diff_id));
	if (!json_object_object_get_ex(root, "history", &hist) ||
	    !json_object_is_type(hist, json_type_array)) {
		hist = json_object_new_array();
		json_object_object_add(root, "history", hist);
	}
	json_object_object_add(h, "created", json_object_new_string(now));
	json_object_object_add(h, "created_by", json_object_new_string(cmd ? cmd : ""));
	if (o->author)
		json_object_object_add(h, "author", json_object_new_string(o->author));
	if (o->message)
		json_object_object_add(h, "comment", json_object_new_string(o->message));
	json_object_array_add(hist, h);
	*out = json_to_string(root, false);
	return 0;
}

/* the mount targets of the files spec_write_etc_files() makes: Docker
 * keeps them out of the rootfs, so out of commits */
static const char *const placeholders[] = {"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", NULL};

int engine_diff_layer(struct engine *e, const char *id, struct image_store *store,
		      const char *const *extra_skip, char blob[72], int64_t *size,
		      struct hk_error **err)
{
	_cleanup_storage_ struct storage *s = NULL;
	_cleanup_free_ const char **skip = NULL;
	struct blob_writer *w = NULL;
	size_t n = 0;
	int r = -1;

	for (size_t i = 0; extra_skip && extra_skip[i]; i++)
		n++;
	skip = xzalloc((n + ARRAY_SIZE(placeholders)) * sizeof(*skip));
	n = 0;
	for (size_t i = 0; placeholders[i]; i++)
		skip[n++] = placeholders[i];
	for (size_t i = 0; extra_skip && extra_skip[i]; i++)
		skip[n++] = extra_skip[i];

	if (storage_open(e->root, NULL, &s, err) < 0)
		return -1;
	if (image_store_op_begin(store, err) < 0)
		return -1;
	if (store_blob_writer_open(store, NULL, -1, &w, err) < 0)
		goto out;
	if (storage_diff_tar(s, id, skip, blob_writer_fn, w, err) < 0) {
		store_blob_writer_abort(w);
		goto out;
	}
	if (store_blob_writer_commit(w, blob, size, err) < 0)
		goto out;
	r = 0;
out:
	image_store_op_end(store);
	return r;
}

int engine_commit(struct engine *e, const char *ref, const struct engine_commit_opts *o,
		  char out_id[72], struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_image_store_ struct image_store *store = NULL;
	_cleanup_image_ struct image *base = NULL;
	_cleanup_json_ json_object *cfg = NULL;
	_cleanup_free_ char *config = NULL;
	_cleanup_free_ struct image_commit_layer *layers = NULL;
	char blob[DIGEST_BUF];
	int64_t size = 0;
	bool paused = false;
	int r = -1;

	if (engine_lookup(e, ref, &c, err) < 0 || usable(c, "commit", err) < 0)
		return -1;
	if (o->tag) {
		struct image_ref ir;
		if (image_ref_parse(o->tag, &ir, err) < 0)
			return hk_error_wrap(err, "commit");
		image_ref_free(&ir);
	}
	/* the config first: a bad --change fails before anything is written */
	if (commit_config(c, o->changes, &cfg, err) < 0)
		return hk_error_wrap(err, "commit");
	if (image_store_open(e->root, &store, err) < 0)
		return -1;
	if (image_lookup(store, c->image_id, &base, err) < 0)
		return hk_error_wrap(err, "commit %s: its image %s", c->name, c->image_id);
	if (o->pause && c->state == ENGINE_RUNNING) {
		/* a consistent layer: nothing writes while it is read */
		if (engine_pause(e, c->id, true, err) < 0)
			return hk_error_wrap(err, "commit");
		paused = true;
	}
	if (engine_diff_layer(e, c->id, store, NULL, blob, &size, err) < 0)
		goto out;
	if (paused) {
		paused = false;
		if (engine_pause(e, c->id, false, err) < 0)
			goto out;
	}
	if (commit_image_config(base, c, o, cfg, blob, &config, err) < 0)
		goto out;
	layers = xzalloc((base->n_layers + 1) * sizeof(*layers));
	for (size_t i = 0; i < base->n_layers; i++) {
		layers[i].blob_digest = base->layers[i].blob_digest;
		layers[i].blob_size = base->layers[i].blob_size;
		layers[i].media_type = base->layers[i].media_type;
	}
	layers[base->n_layers].blob_digest = blob;
	layers[base->n_layers].blob_size = size;
	layers[base->n_layers].media_type = IMAGE_MEDIA_LAYER_TAR;
	{
		const char *tags[] = {o->tag, NULL};
		struct image_commit ci = {.config_json = config,
					  .config_len = strlen(config),
					  .layers = layers,
					  .n_layers = base->n_layers + 1,
					  .tags = o->tag ? tags : NULL};
		char id[DIGEST_BUF];
		if (image_commit(store, &ci, id, err) < 0)
			goto out;
		snprintf(out_id, 72, "%s", id);
	}
	r = 0;
out:
	if (paused) {
		struct hk_error *e2 = NULL;
		engine_pause(e, c->id, false, &e2);
		hk_error_free(&e2);
	}
	return r < 0 ? hk_error_wrap(err, "commit %s", c->name) : 0;
}
