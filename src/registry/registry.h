/* hako: the OCI distribution client (https://github.com/opencontainers/distribution-spec).
 *
 * A struct registry is one registry host: its base URL (https, or http for
 * loopback and insecure registries), its credentials from the auth file and the
 * bearer tokens it handed out.  Requests retry once after a 401 with the
 * challenge's scheme (Bearer: a token from the realm; Basic: the stored
 * credentials).  Every length read from the network is bounded and every
 * blob and manifest is checked against its digest while it is read.
 *
 * The functions are thread-safe for one struct registry (downloads run in
 * parallel on it); each call uses its own curl handle.
 */
#ifndef HAKO_REGISTRY_REGISTRY_H
#define HAKO_REGISTRY_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* The four manifest media types hako reads, and the ones it writes. */
#define MT_OCI_MANIFEST	   "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX	   "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST	   "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI_CONFIG	   "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_CONFIG   "application/vnd.docker.container.image.v1+json"
#define MT_OCI_LAYER	   "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP  "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD  "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_LAYER	   "application/vnd.docker.image.rootfs.diff.tar.gzip"

/* Upper bounds on what the network may send. */
#define REGISTRY_MAX_MANIFEST (4u << 20)
#define REGISTRY_MAX_CONFIG   (8u << 20)
#define REGISTRY_MAX_LAYERS   1024

/* ---- descriptors and manifests ---- */

struct registry_desc {
	char *media_type;
	char *digest; /* "sha256:<64 hex>" */
	int64_t size;
};

struct registry_manifest {
	char *media_type; /* one of MT_OCI_MANIFEST, MT_DOCKER_MANIFEST */
	struct registry_desc config;
	struct registry_desc *layers;
	size_t n_layers;
};

void registry_desc_free(struct registry_desc *d);
void registry_manifest_free(struct registry_manifest *m);

/* True for "sha256:" followed by 64 lower-case hex digits. */
bool registry_digest_valid(const char *digest);

/* "sha256:<hex>" of buf. Caller frees. */
char *registry_digest_of(const void *buf, size_t len);

/* True for one of the four manifest media types; *is_index tells the lists. */
bool registry_manifest_type_known(const char *media_type, bool *is_index);

/* The media type of a manifest body: its "mediaType" field, or content_type
 * (the HTTP header, may be NULL) when the body has none.  Schema 1 and
 * unknown types are refused.  Caller frees *out. */
int registry_manifest_media_type(const char *body, size_t len, const char *content_type, char **out,
				 struct hk_error **err);

/* Parse an image manifest (OCI or Docker schema 2).  Digests, sizes and media
 * types of the config and the layers are validated. */
int registry_manifest_parse(const char *body, size_t len, struct registry_manifest *out,
			    struct hk_error **err);

/* From an index / manifest list, pick the manifest for os/arch (variant may be
 * NULL: any).  The error lists the platforms the index has. */
int registry_index_select(const char *body, size_t len, const char *os, const char *arch,
			  const char *variant, struct registry_desc *out, struct hk_error **err);

/* ---- authentication ---- */

/* One WWW-Authenticate challenge (RFC 7235): the scheme and its parameters. */
struct registry_challenge {
	char *scheme; /* "Bearer" or "Basic", as sent */
	char *realm;
	char *service;
	char *scope;
	char *error;
};
void registry_challenge_free(struct registry_challenge *c);
int registry_challenge_parse(const char *header, struct registry_challenge *out,
			     struct hk_error **err);

/* The credentials file: REGISTRY_AUTH_FILE, else <root>/auth.json.  Caller frees. */
char *registry_auth_file(const char *root);

/* Credentials for host from an auth file in docker config.json form
 * ({"auths":{"host":{"auth":"base64(user:pass)"}}}).  Returns 1 when found,
 * 0 when the file or the entry is missing. */
int registry_auth_get(const char *file, const char *host, char **user, char **pass,
		      struct hk_error **err);
/* Store (replace) host's entry, keeping the others; the file is written
 * atomically with mode 0600. */
int registry_auth_set(const char *file, const char *host, const char *user, const char *pass,
		      struct hk_error **err);
/* Remove host's entry: 1 when removed, 0 when there was none. */
int registry_auth_remove(const char *file, const char *host, struct hk_error **err);

/* ---- a registry host ---- */

struct registry_opts {
	int tls_verify;	       /* 1 verify (default), 0 off and http allowed, -1 unset */
	const char *auth_file; /* NULL: no stored credentials */
	const char *user;      /* explicit credentials (login), override the file */
	const char *pass;
};

struct registry;

/* Open host ("127.0.0.1:5000", "quay.io").  Nothing is sent yet. */
int registry_open(const char *host, const struct registry_opts *opts, struct registry **out,
		  struct hk_error **err);
void registry_close(struct registry *r);
const char *registry_host(const struct registry *r);

/* GET /v2/: picks https or (when allowed) http and checks the credentials
 * when there are any. */
int registry_ping(struct registry *r, struct hk_error **err);

/* GET a manifest by tag or digest.  *body is the exact bytes (the digest is
 * computed on them and checked against a digest reference and the
 * Docker-Content-Digest header).  Caller frees body, media_type, digest. */
int registry_get_manifest(struct registry *r, const char *repo, const char *reference, char **body,
			  size_t *len, char **media_type, char **digest, struct hk_error **err);

/* PUT a manifest under a tag (or its digest) with media_type as Content-Type. */
int registry_put_manifest(struct registry *r, const char *repo, const char *reference,
			  const char *media_type, const char *body, size_t len,
			  struct hk_error **err);

/* HEAD a blob: 1 when the registry has it, 0 when not. */
int registry_blob_exists(struct registry *r, const char *repo, const char *digest,
			 struct hk_error **err);

/* Cross-repository mount from repository from: 1 mounted, 0 when the registry
 * declined (the caller uploads instead). */
int registry_blob_mount(struct registry *r, const char *repo, const char *digest, const char *from,
			struct hk_error **err);

/* Upload size bytes from fd (read from offset 0) as blob digest: monolithic
 * (POST + PUT) up to chunk_threshold, chunked PATCHes above it. */
int registry_blob_upload(struct registry *r, const char *repo, const char *digest, int64_t size,
			 int fd, void (*progress)(void *ud, int64_t done), void *ud,
			 struct hk_error **err);

/* A blob download: the bytes go to write() as they arrive; the digest and the
 * size are verified on the way (more than size aborts at once), so a sink
 * that publishes only on success never shows a partial or wrong blob. */
struct registry_fetch {
	const char *digest;
	int64_t size; /* -1: unknown (bounded by max) */
	int64_t max;  /* used when size is -1 */
	int (*write)(void *ud, const void *buf, size_t len, struct hk_error **err);
	void *ud;
	size_t ev_idx; /* the index its events carry */
	/* results */
	int64_t done;
	int rc;
	struct hk_error *err;
};

/* What pull and push report, for progress lines.  idx numbers the blobs of
 * one operation from 0 in the order blob_start is called (always from the
 * calling thread); update and done may come from download threads. */
enum registry_blob_result {
	REGISTRY_BLOB_DONE = 0,
	REGISTRY_BLOB_EXISTS = 1,  /* already in the store / the registry */
	REGISTRY_BLOB_MOUNTED = 2, /* cross-repository mount */
	REGISTRY_BLOB_FAILED = -1,
};
struct registry_events {
	void (*blob_start)(void *ud, size_t idx, const char *verb, const char *digest,
			   int64_t size);
	void (*blob_update)(void *ud, size_t idx, int64_t done);
	void (*blob_done)(void *ud, size_t idx, enum registry_blob_result result);
	void (*note)(void *ud, const char *msg);
	void *ud;
};

/* Download n blobs, up to parallel at once (events as jobs[i].ev_idx).
 * Every job's rc/err is filled; the call returns < 0 with the first failure
 * in *err. */
int registry_fetch_blobs(struct registry *r, const char *repo, struct registry_fetch *jobs,
			 size_t n, int parallel, const struct registry_events *ev,
			 struct hk_error **err);

/* ---- pull and push between a registry and the image store ---- */

struct image_store;

struct registry_xfer_opts {
	int tls_verify;			  /* as registry_opts */
	const char *auth_file;		  /* NULL: <root>/auth.json or $REGISTRY_AUTH_FILE */
	int parallel;			  /* concurrent blob transfers (0: 4) */
	const char *os, *arch, *variant;  /* platform for indexes (NULL: the host's) */
	const struct registry_events *ev; /* may be NULL */
};

/* Pull ref ("127.0.0.1:5000/app:1") into the store: the manifest (selecting
 * the platform from an index), the config and the missing layers, each
 * verified, then image_commit().  The manifest and blobs are kept bit for
 * bit.  out_id receives the image id. */
int registry_pull(struct image_store *store, const char *ref, const struct registry_xfer_opts *o,
		  char out_id[72], struct hk_error **err);

/* Push the stored image src (a name or id) to dest (a reference with a
 * registry; NULL: src's own name).  Blobs the registry has are skipped,
 * blobs known in another repository of the same registry are mounted.
 * out_digest (may be NULL) receives the manifest digest. */
int registry_push(struct image_store *store, const char *src, const char *dest,
		  const struct registry_xfer_opts *o, char out_digest[72], struct hk_error **err);

/* Upper bound on the tags of one repository that hako reads. */
#define REGISTRY_MAX_TAGS 10000

/* The tags of the repository ref names ("127.0.0.1:5000/app"; a tag or
 * digest in ref is an error), from GET /v2/<name>/tags/list, following the
 * Link rel="next" pages.  Each tag is checked against the spec's grammar;
 * *tags is NULL-terminated, in the registry's order.  Caller frees (strv). */
int registry_list_tags(struct image_store *store, const char *ref,
		       const struct registry_xfer_opts *o, char ***tags, struct hk_error **err);

/* The API host of a reference's domain ("docker.io" is served by
 * "registry-1.docker.io"). */
const char *registry_api_host(const char *domain);

#endif
