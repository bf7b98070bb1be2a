/* hako registry: pull an image into the store.
 *
 * Order of work, for crash safety: blobs stream into the store's temp files
 * (blobs/tmp, flock'ed by this process) and are renamed into blobs/sha256/
 * only once their digest is verified; the image becomes visible only in
 * image_commit()'s final transaction.  A pull killed at any point leaves
 * temp files and unreferenced blobs that the next store open removes. */
#include <errno.h>
#include <string.h>

#include "image/image.h"
#include "registry/registry_int.h"
#include "util/log.h"
#include "util/util.h"

#define DEFAULT_PARALLEL 4

const char *registry_api_host(const char *domain)
{
	if (!strcmp(domain, "docker.io") || !strcmp(domain, "index.docker.io"))
		return "registry-1.docker.io";
	return domain;
}

static void note(const struct registry_xfer_opts *o, const char *fmt, ...) HK_PRINTF(2, 3);

static void note(const struct registry_xfer_opts *o, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	if (!o->ev || !o->ev->note)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	o->ev->note(o->ev->ud, msg);
}

int reg_open_for(const char *domain, const struct registry_xfer_opts *o, const char *root,
		 struct registry **out, struct hk_error **err)
{
	_cleanup_free_ char *file = o->auth_file ? xstrdup(o->auth_file) : registry_auth_file(root);
	struct registry_opts ro = {.tls_verify = o->tls_verify, .auth_file = file};

	return registry_open(registry_api_host(domain), &ro, out, err);
}

static int blob_sink(void *ud, const void *buf, size_t len, struct hk_error **err)
{
	return store_blob_writer_write(ud, buf, len, err);
}

static int mem_sink(void *ud, const void *buf, size_t len, struct hk_error **err)
{
	struct {
		char *buf;
		size_t len;
	} *m = ud;

	m->buf = xrealloc(m->buf, m->len + len + 1);
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	m->buf[m->len] = '\0';
	return 0;
}

/* The image manifest for ref: an index is resolved to the platform's entry. */
static int fetch_manifest(struct registry *r, const char *repo, const char *reference,
			  const struct registry_xfer_opts *o, char **body, size_t *len,
			  char **digest, struct hk_error **err)
{
	_cleanup_free_ char *b = NULL, *mt = NULL, *dg = NULL;
	struct registry_desc d = {0};
	const char *os, *arch, *variant;
	bool is_index = false;
	size_t l;

	if (registry_get_manifest(r, repo, reference, &b, &l, &mt, &dg, err) < 0)
		return -1;
	registry_manifest_type_known(mt, &is_index);
	if (is_index) {
		image_host_platform(&os, &arch, &variant);
		if (o->os)
			os = o->os;
		if (o->arch)
			arch = o->arch, variant = o->variant;
		if (registry_index_select(b, l, os, arch, variant, &d, err) < 0)
			return -1;
		free(b);
		free(mt);
		free(dg);
		b = mt = dg = NULL;
		if (registry_get_manifest(r, repo, d.digest, &b, &l, &mt, &dg, err) < 0) {
			registry_desc_free(&d);
			return -1;
		}
		registry_desc_free(&d);
		registry_manifest_type_known(mt, &is_index);
		if (is_index)
			return hk_error_set(err, 0, "index entry %s is an index again", dg);
	}
	*body = steal_ptr(&b);
	*len = l;
	*digest = steal_ptr(&dg);
	return 0;
}

struct pull_state {
	struct image_store *store;
	struct registry *reg;
	struct image_ref ref;
	char *name; /* domain/path */
	char *body;
	size_t len;
	char *mdigest;
	struct registry_manifest man;
	char *config;
	size_t config_len;
	struct blob_writer **writers;
	bool op;
};

static void pull_state_free(struct pull_state *s)
{
	if (s->writers)
		for (size_t i = 0; i < s->man.n_layers; i++)
			store_blob_writer_abort(s->writers[i]);
	free(s->writers);
	if (s->op)
		image_store_op_end(s->store);
	registry_close(s->reg);
	image_ref_free(&s->ref);
	free(s->name);
	free(s->body);
	free(s->mdigest);
	registry_manifest_free(&s->man);
	free(s->config);
}

static int fetch_config(struct pull_state *s, const struct registry_xfer_opts *o, size_t idx,
			struct hk_error **err)
{
	struct {
		char *buf;
		size_t len;
	} m = {0};
	struct registry_fetch job = {.digest = s->man.config.digest,
				     .size = s->man.config.size,
				     .write = mem_sink,
				     .ud = &m,
				     .ev_idx = idx};

	if (o->ev && o->ev->blob_start)
		o->ev->blob_start(o->ev->ud, idx, "Copying config", job.digest, job.size);
	if (registry_fetch_blobs(s->reg, s->ref.path, &job, 1, 1, o->ev, err) < 0) {
		free(m.buf);
		return -1;
	}
	s->config = m.buf ? m.buf : xstrdup("");
	s->config_len = m.len;
	return 0;
}

static int fetch_layers(struct pull_state *s, const struct registry_xfer_opts *o,
			struct hk_error **err)
{
	_cleanup_free_ struct registry_fetch *jobs = NULL;
	_cleanup_free_ size_t *which = NULL;
	size_t n = 0;
	int rc;

	s->writers = xzalloc(sizeof(*s->writers) * (s->man.n_layers + 1));
	jobs = xzalloc(sizeof(*jobs) * (s->man.n_layers + 1));
	which = xzalloc(sizeof(*which) * (s->man.n_layers + 1));
	for (size_t i = 0; i < s->man.n_layers; i++) {
		const struct registry_desc *l = &s->man.layers[i];
		bool dup = false;

		if (o->ev && o->ev->blob_start)
			o->ev->blob_start(o->ev->ud, i, "Copying blob", l->digest, l->size);
		for (size_t k = 0; k < i; k++)
			dup |= !strcmp(s->man.layers[k].digest, l->digest);
		if (dup || store_blob_exists(s->store, l->digest)) {
			if (o->ev && o->ev->blob_done)
				o->ev->blob_done(o->ev->ud, i, REGISTRY_BLOB_EXISTS);
			continue;
		}
		if (store_blob_writer_open(s->store, l->digest, l->size, &s->writers[i], err) < 0)
			return -1;
		jobs[n] = (struct registry_fetch){.digest = l->digest,
						  .size = l->size,
						  .write = blob_sink,
						  .ud = s->writers[i],
						  .ev_idx = i};
		which[n++] = i;
	}
	if (!n)
		return 0;
	rc = registry_fetch_blobs(s->reg, s->ref.path, jobs, n,
				  o->parallel > 0 ? o->parallel : DEFAULT_PARALLEL, o->ev, err);
	if (rc < 0)
		return -1;
	for (size_t k = 0; k < n; k++) {
		size_t i = which[k];
		struct blob_writer *w = steal_ptr(&s->writers[i]);
		if (store_blob_writer_commit(w, NULL, NULL, err) < 0)
			return hk_error_wrap(err, "blob %s", s->man.layers[i].digest);
	}
	return 0;
}

int registry_pull(struct image_store *store, const char *refstr, const struct registry_xfer_opts *o,
		  char out_id[72], struct hk_error **err)
{
	struct pull_state s = {.store = store};
	_cleanup_free_ char *full = NULL, *tag = NULL;
	_cleanup_free_ struct image_commit_layer *cl = NULL;
	const char *tags[2] = {NULL, NULL};
	struct image_commit c = {0};
	unsigned long long t0 = 0, t1 = 0;
	int rc = -1;

	if (image_ref_parse(refstr, &s.ref, err) < 0)
		return -1;
	s.name = image_ref_name(&s.ref);
	full = image_ref_string(&s.ref);
	if (reg_open_for(s.ref.domain, o, store->root, &s.reg, err) < 0)
		goto out;
	note(o, "Trying to pull %s...", full);
	if (fetch_manifest(s.reg, s.ref.path, s.ref.digest ? s.ref.digest : s.ref.tag, o, &s.body,
			   &s.len, &s.mdigest, err) < 0)
		goto out;
	if (registry_manifest_parse(s.body, s.len, &s.man, err) < 0)
		goto out;
	if (image_store_op_begin(store, err) < 0)
		goto out;
	s.op = true;
	t0 = now_ns();
	if (fetch_layers(&s, o, err) < 0)
		goto out;
	if (fetch_config(&s, o, s.man.n_layers, err) < 0)
		goto out;
	note(o, "Writing manifest to image destination");

	cl = xzalloc(sizeof(*cl) * (s.man.n_layers + 1));
	for (size_t i = 0; i < s.man.n_layers; i++)
		cl[i] = (struct image_commit_layer){.blob_digest = s.man.layers[i].digest,
						    .blob_size = s.man.layers[i].size,
						    .media_type = s.man.layers[i].media_type};
	if (s.ref.tag)
		tags[0] = tag = xasprintf("%s:%s", s.name, s.ref.tag);
	c = (struct image_commit){.config_json = s.config,
				  .config_len = s.config_len,
				  .manifest_json = s.body,
				  .manifest_len = s.len,
				  .layers = cl,
				  .n_layers = s.man.n_layers,
				  .tags = tags[0] ? tags : NULL,
				  .repo_digest_name = s.name};
	t1 = now_ns();
	if (image_commit(store, &c, out_id, err) < 0)
		goto out;
	log_debug("pull %s: blobs in %llu ms, commit (unpack) in %llu ms", refstr,
		  (t1 - t0) / 1000000, (now_ns() - t1) / 1000000);
	reg_blobinfo_record(store, registry_host(s.reg), s.ref.path, &s.man);
	rc = 0;
out:
	if (rc < 0)
		hk_error_wrap(err, "pull %s", refstr);
	pull_state_free(&s);
	return rc;
}
