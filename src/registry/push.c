/* hako registry: push an image from the store.  Blobs go as stored (the
 * compressed layers as pulled), so digests round-trip bit for bit. */
#include <errno.h>
#include <pthread.h>
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

/* One blob to push; from (may be NULL) is a repository of the same registry
 * known to have it. */
struct push_job {
	const struct registry_desc *d;
	const char *verb;
	char *from;
	int rc;
	struct hk_error *err;
};

static int push_blob(struct image_store *store, struct registry *r, const char *repo,
		     const struct push_job *j, size_t idx, const struct registry_xfer_opts *o,
		     struct hk_error **err)
{
	const struct registry_events *ev = o->ev;
	const struct registry_desc *d = j->d;
	const char *from = j->from;
	enum registry_blob_result res = REGISTRY_BLOB_DONE;
	_cleanup_close_ int fd = -1;
	struct up_ud u = {.ev = ev, .idx = idx};
	struct stat st;
	int rc;

	rc = registry_blob_exists(r, repo, d->digest, err);
	if (rc < 0)
		goto fail;
	if (rc > 0) {
		res = REGISTRY_BLOB_EXISTS;
		goto done;
	}
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

/* Blobs go up PUSH_PARALLEL at once by default: uploads are bound by the
 * registry's side (hashing, storage), so a few streams fill the link
 * without the registry throttling us. */
#define PUSH_PARALLEL 3

struct push_pool {
	struct image_store *store;
	struct registry *r;
	const char *repo;
	const struct registry_xfer_opts *o;
	struct push_job *jobs;
	size_t n, next;
	bool failed;
	pthread_mutex_t lock;
};

static void *push_worker(void *arg)
{
	struct push_pool *p = arg;

	for (;;) {
		size_t i;
		pthread_mutex_lock(&p->lock);
		/* after a failure nothing new starts; what runs finishes */
		if (p->failed || p->next >= p->n) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		p->jobs[i].rc =
			push_blob(p->store, p->r, p->repo, &p->jobs[i], i, p->o, &p->jobs[i].err);
		if (p->jobs[i].rc < 0) {
			pthread_mutex_lock(&p->lock);
			p->failed = true;
			pthread_mutex_unlock(&p->lock);
		}
	}
}

/* Push the n blobs, up to o->parallel (default PUSH_PARALLEL) at once: the
 * first in this thread alone, so that the token for the repository is got
 * once, then the others from a pool.  The first failure (in blob order)
 * comes back in *err. */
static int push_blobs(struct push_pool *p, struct hk_error **err)
{
	const struct registry_events *ev = p->o->ev;
	pthread_t tids[8];
	int nt = 0, par = p->o->parallel > 0 ? p->o->parallel : PUSH_PARALLEL;
	bool first_ok = false;
	int rc = 0;

	if (par > (int)ARRAY_SIZE(tids))
		par = ARRAY_SIZE(tids);
	/* blob_start from the calling thread, as registry_events asks; the
	 * state database is read here too, never from the workers */
	for (size_t i = 0; i < p->n; i++) {
		struct push_job *j = &p->jobs[i];
		j->rc = 1; /* not started */
		j->from = reg_blobinfo_find(p->store, registry_host(p->r), p->repo, j->d->digest);
		if (ev && ev->blob_start)
			ev->blob_start(ev->ud, i, j->verb, j->d->digest, j->d->size);
	}
	pthread_mutex_init(&p->lock, NULL);
	if (p->n) {
		p->next = 1;
		p->jobs[0].rc =
			push_blob(p->store, p->r, p->repo, &p->jobs[0], 0, p->o, &p->jobs[0].err);
		p->failed = p->jobs[0].rc < 0;
	}
	/* read before any worker runs: no race on p->failed */
	first_ok = !p->failed;
	for (int i = 1; first_ok && i < par && (size_t)i < p->n - 1; i++) {
		if (pthread_create(&tids[nt], NULL, push_worker, p) != 0)
			break;
		nt++;
	}
	push_worker(p);
	for (int i = 0; i < nt; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&p->lock);
	for (size_t i = 0; i < p->n; i++) {
		struct push_job *j = &p->jobs[i];
		if (j->rc < 0 && rc == 0) {
			hk_error_free(err);
			*err = steal_ptr(&j->err);
			rc = -1;
		} else if (j->rc == 1 && rc == 0) {
			/* not started: an earlier failure stopped the pool */
			rc = hk_error_set(err, 0, "blob %s: not pushed", j->d->digest);
		}
		hk_error_free(&j->err);
		free(j->from);
		j->from = NULL;
	}
	return rc;
}

int registry_push(struct image_store *store, const char *src, const char *dest,
		  const struct registry_xfer_opts *o, char out_digest[72], struct hk_error **err)
{
	_cleanup_image_ struct image *img = NULL;
	_cleanup_free_ char *gen = NULL, *mt = NULL, *digest = NULL, *name = NULL;
	_cleanup_free_ struct push_job *jobs = NULL;
	struct registry_manifest man = {0};
	struct push_pool pool;
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
	jobs = xzalloc((man.n_layers + 1) * sizeof(*jobs));
	for (size_t i = 0; i < man.n_layers; i++)
		jobs[i] = (struct push_job){.d = &man.layers[i], .verb = "Copying blob"};
	jobs[man.n_layers] = (struct push_job){.d = &man.config, .verb = "Copying config"};
	pool = (struct push_pool){.store = store,
				  .r = r,
				  .repo = ref.path,
				  .o = o,
				  .jobs = jobs,
				  .n = man.n_layers + 1};
	if (push_blobs(&pool, err) < 0)
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
