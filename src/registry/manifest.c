/* hako registry: manifests and indexes: media types, parsing, platform
 * selection, and their GET / PUT. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "registry/registry_int.h"
#include "util/json.h"
#include "util/util.h"

static const char *const manifest_types[] = {MT_OCI_MANIFEST, MT_DOCKER_MANIFEST, MT_OCI_INDEX,
					     MT_DOCKER_LIST};

void registry_desc_free(struct registry_desc *d)
{
	free(d->media_type);
	free(d->digest);
	memset(d, 0, sizeof(*d));
}

void registry_manifest_free(struct registry_manifest *m)
{
	free(m->media_type);
	registry_desc_free(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		registry_desc_free(&m->layers[i]);
	free(m->layers);
	memset(m, 0, sizeof(*m));
}

bool registry_manifest_type_known(const char *mt, bool *is_index)
{
	for (size_t i = 0; i < ARRAY_SIZE(manifest_types); i++) {
		if (mt && !strcmp(mt, manifest_types[i])) {
			if (is_index)
				*is_index = i >= 2;
			return true;
		}
	}
	return false;
}

int registry_manifest_media_type(const char *body, size_t len, const char *content_type, char **out,
				 struct hk_error **err)
{
	_cleanup_json_ json_object *doc = NULL;
	_cleanup_free_ char *ct = NULL;
	const char *mt = NULL;
	int64_t schema = 0;

	if (json_parse("manifest", body, len, &doc, err) < 0)
		return -1;
	if (!json_object_is_type(doc, json_type_object))
		return hk_error_set(err, 0, "manifest: not a JSON object");
	if (json_get_int64(doc, "manifest", "schemaVersion", &schema, err) < 0 ||
	    json_get_string(doc, "manifest", "mediaType", &mt, err) < 0)
		return -1;
	if (schema == 1)
		return hk_error_set(err, 0, "manifest: schema 1 manifests are not supported");
	if (schema != 2)
		return hk_error_set(err, 0, "manifest: schemaVersion %lld, want 2",
				    (long long)schema);
	if (content_type) {
		/* "application/...+json; charset=utf-8" */
		ct = xstrndup(content_type, strcspn(content_type, "; "));
	}
	if (!mt) {
		mt = ct;
		if (!mt)
			return hk_error_set(err, 0, "manifest: no mediaType");
	}
	if (!registry_manifest_type_known(mt, NULL))
		return hk_error_set(err, 0, "manifest: unsupported media type '%.100s'", mt);
	*out = xstrdup(mt);
	return 0;
}

static int parse_desc(json_object *o, const char *ctx, struct registry_desc *d,
		      struct hk_error **err)
{
	const char *mt = NULL, *dg = NULL;
	int64_t size = -1;

	if (!o || !json_object_is_type(o, json_type_object))
		return hk_error_set(err, 0, "%s: expected an object", ctx);
	if (json_get_string(o, ctx, "mediaType", &mt, err) < 0 ||
	    json_get_string(o, ctx, "digest", &dg, err) < 0 ||
	    json_get_int64(o, ctx, "size", &size, err) < 0)
		return -1;
	if (!mt || !*mt || strlen(mt) > 255 || strpbrk(mt, " \t\r\n"))
		return hk_error_set(err, 0, "%s.mediaType: missing or invalid", ctx);
	if (!registry_digest_valid(dg))
		return hk_error_set(err, 0, "%s.digest: '%.80s' is not a sha256 digest", ctx,
				    dg ? dg : "");
	if (size < 0)
		return hk_error_set(err, 0, "%s.size: missing or negative", ctx);
	d->media_type = xstrdup(mt);
	d->digest = xstrdup(dg);
	d->size = size;
	return 0;
}

static bool layer_type_known(const char *mt)
{
	static const char *const known[] = {
		MT_OCI_LAYER,
		MT_OCI_LAYER_GZIP,
		MT_OCI_LAYER_ZSTD,
		MT_DOCKER_LAYER,
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	};
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (!strcmp(mt, known[i]))
			return true;
	return false;
}

int registry_manifest_parse(const char *body, size_t len, struct registry_manifest *out,
			    struct hk_error **err)
{
	_cleanup_json_ json_object *doc = NULL;
	_cleanup_free_ char *mt = NULL;
	json_object *cfg = NULL, *layers = NULL;
	struct registry_manifest m = {0};
	bool is_index = false;
	size_t n;

	if (registry_manifest_media_type(body, len, NULL, &mt, err) < 0) {
		/* an OCI manifest may omit mediaType: it is then known by its
		 * config field */
		_cleanup_error_ struct hk_error *e2 = NULL;
		if (json_parse("manifest", body, len, &doc, &e2) < 0 ||
		    !json_object_object_get_ex(doc, "config", NULL))
			return -1;
		hk_error_free(err);
		mt = xstrdup(MT_OCI_MANIFEST);
	}
	registry_manifest_type_known(mt, &is_index);
	if (is_index)
		return hk_error_set(err, 0, "manifest: an index, not an image manifest");
	if (!doc && json_parse("manifest", body, len, &doc, err) < 0)
		return -1;
	if (json_get_object(doc, "manifest", "config", &cfg, err) < 0 ||
	    json_get_array(doc, "manifest", "layers", &layers, err) < 0)
		return -1;
	if (!cfg)
		return hk_error_set(err, 0, "manifest: no config");
	if (!layers)
		return hk_error_set(err, 0, "manifest: no layers");
	m.media_type = steal_ptr(&mt);
	if (parse_desc(cfg, "manifest.config", &m.config, err) < 0)
		goto fail;
	if (strcmp(m.config.media_type, MT_OCI_CONFIG) &&
	    strcmp(m.config.media_type, MT_DOCKER_CONFIG)) {
		hk_error_set(err, 0, "manifest.config.mediaType: '%.100s' is not an image config",
			     m.config.media_type);
		goto fail;
	}
	if (m.config.size > REGISTRY_MAX_CONFIG) {
		hk_error_set(err, 0, "manifest.config.size: %lld bytes is too large",
			     (long long)m.config.size);
		goto fail;
	}
	n = json_object_array_length(layers);
	if (n > REGISTRY_MAX_LAYERS) {
		hk_error_set(err, 0, "manifest.layers: %zu layers, at most %d", n,
			     REGISTRY_MAX_LAYERS);
		goto fail;
	}
	m.layers = xzalloc(sizeof(*m.layers) * (n ? n : 1));
	for (size_t i = 0; i < n; i++) {
		char ctx[48];
		snprintf(ctx, sizeof(ctx), "manifest.layers[%zu]", i);
		if (parse_desc(json_object_array_get_idx(layers, i), ctx, &m.layers[i], err) < 0)
			goto fail;
		m.n_layers++;
		if (!layer_type_known(m.layers[i].media_type)) {
			hk_error_set(err, 0, "%s.mediaType: unsupported layer type '%.100s'", ctx,
				     m.layers[i].media_type);
			goto fail;
		}
	}
	*out = m;
	return 0;
fail:
	registry_manifest_free(&m);
	return -1;
}

int registry_index_select(const char *body, size_t len, const char *os, const char *arch,
			  const char *variant, struct registry_desc *out, struct hk_error **err)
{
	_cleanup_json_ json_object *doc = NULL;
	_cleanup_free_ char *seen = xstrdup("");
	json_object *mans = NULL;
	int best = -1;
	size_t n;

	if (json_parse("index", body, len, &doc, err) < 0)
		return -1;
	if (json_get_array(doc, "index", "manifests", &mans, err) < 0)
		return -1;
	if (!mans)
		return hk_error_set(err, 0, "index: no manifests");
	n = json_object_array_length(mans);
	if (n > REGISTRY_MAX_LAYERS)
		return hk_error_set(err, 0, "index: %zu manifests is too many", n);
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(mans, i), *plat = NULL;
		const char *pos = NULL, *parch = NULL, *pvar = NULL, *mt = NULL;
		char ctx[48];

		snprintf(ctx, sizeof(ctx), "index.manifests[%zu]", i);
		if (json_get_object(m, ctx, "platform", &plat, err) < 0 ||
		    json_get_string(m, ctx, "mediaType", &mt, err) < 0)
			return -1;
		if (!plat)
			continue;
		if (json_get_string(plat, ctx, "os", &pos, err) < 0 ||
		    json_get_string(plat, ctx, "architecture", &parch, err) < 0 ||
		    json_get_string(plat, ctx, "variant", &pvar, err) < 0)
			return -1;
		if (!pos || !parch || !strcmp(pos, "unknown"))
			continue; /* attestations and other non-images */
		if (mt && registry_manifest_type_known(mt, NULL)) {
			bool idx = false;
			registry_manifest_type_known(mt, &idx);
			if (idx)
				continue;
		}
		if (strlen(seen) < 400) {
			char *s = xasprintf("%s%s%.20s/%.20s%s%.10s", seen, *seen ? ", " : "", pos,
					    parch, pvar ? "/" : "", pvar ? pvar : "");
			free(seen);
			seen = s;
		}
		if (strcmp(pos, os) || strcmp(parch, arch))
			continue;
		if (variant && pvar && strcmp(variant, pvar))
			continue;
		/* an exact variant match beats an entry without a variant */
		if (best < 0 || (variant && pvar))
			best = (int)i;
	}
	if (best < 0)
		return hk_error_set(err, 0, "no image for %s/%s%s%s in the index (it has: %s)", os,
				    arch, variant ? "/" : "", variant ? variant : "",
				    *seen ? seen : "nothing");
	return parse_desc(json_object_array_get_idx(mans, (size_t)best), "index.manifests", out,
			  err);
}

/* ---- network ---- */

bool reg_repo_valid(const char *repo)
{
	/* distribution-spec name grammar, loosely: lower-case components */
	if (!repo || !*repo || strlen(repo) > 255 || repo[0] == '/' || strstr(repo, "//") ||
	    strstr(repo, ".."))
		return false;
	for (const char *p = repo; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("._-/", *p)))
			return false;
	return true;
}

static bool reference_valid(const char *ref)
{
	return registry_digest_valid(ref) || reg_tag_valid(ref);
}

char *reg_url(struct registry *r, const char *fmt, ...)
{
	_cleanup_free_ char *path = NULL;
	va_list ap;
	char *v;

	va_start(ap, fmt);
	if (vasprintf(&path, fmt, ap) < 0)
		abort();
	va_end(ap);
	pthread_mutex_lock(&r->lock);
	v = xasprintf("%s%s", r->base, path);
	pthread_mutex_unlock(&r->lock);
	return v;
}

int registry_get_manifest(struct registry *r, const char *repo, const char *reference, char **body,
			  size_t *len, char **media_type, char **digest, struct hk_error **err)
{
	_cleanup_free_ char *url = NULL, *mt = NULL, *dg = NULL;
	struct reg_resp resp;
	struct reg_req req = {
		.method = "GET",
		.body_fd = -1,
		.accept = MT_OCI_INDEX ", " MT_DOCKER_LIST ", " MT_OCI_MANIFEST
				       ", " MT_DOCKER_MANIFEST,
		.max_resp = REGISTRY_MAX_MANIFEST,
	};

	if (!reg_repo_valid(repo))
		return hk_error_set(err, 0, "invalid repository name '%.100s'", repo);
	if (!reference_valid(reference))
		return hk_error_set(err, 0, "invalid tag or digest '%.100s'", reference);
	if (reg_base(r, err) < 0)
		return -1;
	req.url = url = reg_url(r, "/v2/%s/manifests/%s", repo, reference);
	if (reg_request(r, &req, &resp, err) < 0)
		return -1;
	if (resp.status != 200) {
		_cleanup_free_ char *m = reg_status_msg(&resp);
		reg_resp_free(&resp);
		return hk_error_set(err, 0, "%s", m);
	}
	if (!resp.body || !resp.len) {
		reg_resp_free(&resp);
		return hk_error_set(err, 0, "empty manifest");
	}
	dg = registry_digest_of(resp.body, resp.len);
	if (registry_digest_valid(reference) && strcmp(dg, reference)) {
		reg_resp_free(&resp);
		return hk_error_set(err, 0, "manifest digest mismatch: got %s, want %s", dg,
				    reference);
	}
	if (resp.docker_digest && registry_digest_valid(resp.docker_digest) &&
	    strcmp(resp.docker_digest, dg)) {
		int rc = hk_error_set(err, 0,
				      "manifest digest mismatch: computed %s, registry says %.80s",
				      dg, resp.docker_digest);
		reg_resp_free(&resp);
		return rc;
	}
	if (registry_manifest_media_type(resp.body, resp.len, resp.content_type, &mt, err) < 0) {
		reg_resp_free(&resp);
		return -1;
	}
	*body = steal_ptr(&resp.body);
	*len = resp.len;
	*media_type = steal_ptr(&mt);
	*digest = steal_ptr(&dg);
	reg_resp_free(&resp);
	return 0;
}

int registry_put_manifest(struct registry *r, const char *repo, const char *reference,
			  const char *media_type, const char *body, size_t len,
			  struct hk_error **err)
{
	_cleanup_free_ char *url = NULL, *dg = registry_digest_of(body, len);
	struct reg_resp resp;
	struct reg_req req = {.method = "PUT",
			      .body = body,
			      .body_len = len,
			      .body_fd = -1,
			      .content_type = media_type};

	if (!reg_repo_valid(repo))
		return hk_error_set(err, 0, "invalid repository name '%.100s'", repo);
	if (!reference_valid(reference))
		return hk_error_set(err, 0, "invalid tag or digest '%.100s'", reference);
	if (reg_base(r, err) < 0)
		return -1;
	req.url = url = reg_url(r, "/v2/%s/manifests/%s", repo, reference);
	if (reg_request(r, &req, &resp, err) < 0)
		return -1;
	if (resp.status != 201 && resp.status != 200) {
		_cleanup_free_ char *m = reg_status_msg(&resp);
		reg_resp_free(&resp);
		return hk_error_set(err, 0, "put manifest: %s", m);
	}
	if (resp.docker_digest && strcmp(resp.docker_digest, dg)) {
		int rc = hk_error_set(err, 0, "put manifest: registry stored %.80s, we sent %s",
				      resp.docker_digest, dg);
		reg_resp_free(&resp);
		return rc;
	}
	reg_resp_free(&resp);
	return 0;
}
