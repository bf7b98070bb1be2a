/* hako registry: push an image from the store.  Blobs go as stored (the
 * compressed layers as pulled), so digests round-trip bit for bit. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "image/archive.h"
#include "image/image.h"
#include "registry/registry_int.h"
#include "util/util.h"

struct up_ud {
	const struct registry_events *ev;
	size_t idx;
	unsigned long long last;
};

static void up_progress(void *ud, int64_t done)
{
	struct up_ud *u = ud;
	unsigned long long now = now_ns();

	if (u->ev && u->ev->blob_update && now - u->last > 100000000ull) {
		u->last = now;
		u->ev->blob_update(u->ev->ud, u->idx, done);
	}
}

static int push_blob(struct image_store *store, struct registry *r, const char *repo,
		     const struct registry_desc *d, const char *verb, size_t idx,
		     const struct registry_xfer_opts *o, struct hk_error **err)
{
	const struct registry_events *ev = o->ev;
	enum registry_blob_result res = REGISTRY_BLOB_DONE;
	_cleanup_free_ char *from = NULL;
	_cleanup_close_ int fd = -1;
	struct up_ud u = {.ev = ev, .idx = idx};
	struct stat st;
	int rc;

	if (ev && ev->blob_start)
		ev->blob_start(ev->ud, idx, verb, d->digest, d->size);
	rc = registry_blob_exists(r, repo, d->digest, err);
	if (rc < 0)
		goto fail;
	if (rc > 0) {
		res = REGISTRY_BLOB_EXISTS;
		goto done;
	}
	from = reg_blobinfo_find(store, registry_host(r), repo, d->digest);
	if (from) {
		rc = registry_blob_mount(r, repo, d->digest, from, err);
		if (rc < 0)
			goto fail;
		if (rc > 0) {
			res = REGISTRY_BLOB_MOUNTED;
			goto done;
		}
	}
	fd = store_blob_open(store, d->digest, err);
	if (fd < 0)
		goto fail;
	if (fstat(fd, &st) < 0) {
		hk_error_errno(err, "stat blob %s", d->digest);
		goto fail;
	}
	if (st.st_size != d->size) {
		hk_error_set(err, 0, "blob %s: %lld bytes in the store, the manifest says %lld",
			     d->digest, (long long)st.st_size, (long long)d->size);
		goto fail;
	}
	if (registry_blob_upload(r, repo, d->digest, d->size, fd, up_progress, &u, err) < 0)
		goto fail;
done:
	if (ev && ev->blob_done)
		ev->blob_done(ev->ud, idx, res);
	return 0;
fail:
	if (ev && ev->blob_done)
		ev->blob_done(ev->ud, idx, REGISTRY_BLOB_FAILED);
	return hk_error_wrap(err, "blob %s", d->digest);
}

int registry_push(struct image_store *store, const char *src, const char *dest,
		  const struct registry_xfer_opts *o, char out_digest[72], struct hk_error **err)
{
	_cleanup_image_ struct image *img = NULL;
	_cleanup_free_ char *gen = NULL, *mt = NULL, *digest = NULL, *name = NULL;
	struct registry_manifest man = {0};
	struct image_ref ref = {0};
	struct registry *r = NULL;
	const char *body;
	size_t len;
	int rc = -1;

	if (image_lookup(store, src, &img, err) < 0)
		return hk_error_wrap(err, "push %s", src);
	if (!dest)
		dest = src;
	if (image_ref_parse(dest, &ref, err) < 0)
		return hk_error_wrap(err, "push %s", src);
	name = image_ref_name(&ref);
	body = img->manifest_json;
	if (!body)
		body = gen = archive_image_manifest(img);
	len = strlen(body);
	if (registry_manifest_media_type(body, len, NULL, &mt, err) < 0 ||
	    registry_manifest_parse(body, len, &man, err) < 0)
		goto out;
	digest = registry_digest_of(body, len);
	if (ref.digest && strcmp(ref.digest, digest)) {
		hk_error_set(err, 0, "the image's manifest is %s, not %s", digest, ref.digest);
		goto out;
	}
	if (reg_open_for(ref.domain, o, store->root, &r, err) < 0)
		goto out;
	if (o->ev && o->ev->note) {
		_cleanup_free_ char *m = xasprintf("Pushing %s to %s...", src, dest);
		o->ev->note(o->ev->ud, m);
	}
	for (size_t i = 0; i < man.n_layers; i++)
		if (push_blob(store, r, ref.path, &man.layers[i], "Copying blob", i, o, err) < 0)
			goto out;
	if (push_blob(store, r, ref.path, &man.config, "Copying config", man.n_layers, o, err) < 0)
		goto out;
	if (o->ev && o->ev->note)
		o->ev->note(o->ev->ud, "Writing manifest to image destination");
	if (registry_put_manifest(r, ref.path, ref.tag ? ref.tag : ref.digest, mt, body, len, err) <
	    0)
		goto out;
	reg_blobinfo_record(store, registry_host(r), ref.path, &man);
	if (out_digest)
		snprintf(out_digest, 72, "%s", digest);
	rc = 0;
out:
	if (rc < 0)
		hk_error_wrap(err, "push %s", dest);
	registry_manifest_free(&man);
	image_ref_free(&ref);
	registry_close(r);
	return rc;
}
