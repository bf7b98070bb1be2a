/* hako: images.  References, the content store (blobs by sha256), image
 * records in the state database and the OCI image config.
 *
 * On disk, under the root (default /var/lib/hako):
 *   hako.db                     tables images, image_tags, image_digests,
 *                               image_layers, layers, image_users, image_intents
 *   blobs/sha256/<hex>          content-addressed blobs, verified while written
 *   blobs/tmp/                  blobs being written (flock'ed by their writer)
 *   layers/<chain-id hex>/      unpacked layers (see storage/storage.h)
 *
 * Every image is registered by image_commit(), which records its intent
 * first; image_store_open() repairs what a crash left (store_repair()).
 */
#ifndef HAKO_IMAGE_IMAGE_H
#define HAKO_IMAGE_IMAGE_H

#include <json-c/json.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* ------------------------------------------------------------------ digests */

/* "sha256:" + 64 hex digits + NUL. */
#define DIGEST_LEN	 71
#define DIGEST_BUF	 72
#define DIGEST_PREFIX	 "sha256:"
#define DIGEST_HEX_START 7

/* True when d is "sha256:" followed by exactly 64 lowercase hex digits.
 * Other algorithms are refused: the store only knows sha256. */
bool digest_valid(const char *d);

/* Incremental sha256 (OpenSSL EVP). */
struct digester;
struct digester *digester_new(void);
void digester_update(struct digester *d, const void *buf, size_t len);
/* Write "sha256:<hex>" into out; the digester can not be updated after. */
void digester_final(struct digester *d, char out[DIGEST_BUF]);
void digester_free(struct digester *d);
void digester_freep(struct digester **d);
#define _cleanup_digester_ __attribute__((cleanup(digester_freep)))

/* Digest of a buffer. */
void digest_buffer(const void *buf, size_t len, char out[DIGEST_BUF]);

/* The chain ID of a layer (OCI image spec, config.md "Layer ChainID"):
 * parent NULL gives diff_id itself, else sha256("<parent> <diff_id>"). */
void digest_chain_id(const char *parent_chain, const char *diff_id, char out[DIGEST_BUF]);

/* "sha256:ab12cd34ef56" for messages: the algorithm and 12 hex digits. */
const char *digest_short(const char *digest, char buf[32]);

/* --------------------------------------------------------------- references */

/* A reference as Docker's grammar (distribution/reference) normalizes it:
 *   busybox                     -> docker.io/library/busybox:latest
 *   user/app:1.2                -> docker.io/user/app:1.2
 *   localhost:5000/ns/app       -> localhost:5000/ns/app:latest
 *   app@sha256:<64 hex>         -> docker.io/library/app@sha256:...
 * A domain is the first component when it contains '.' or ':' or is
 * "localhost"; path components are [a-z0-9]+ joined by '.', '_', '__' or '-'s;
 * tags are [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; the whole name <= 255 chars. */
struct image_ref {
	char *domain; /* "docker.io", "localhost:5000" */
	char *path;   /* "library/busybox" */
	char *tag;    /* "latest" (NULL only when digest is set and no tag was given) */
	char *digest; /* "sha256:..." or NULL */
};

/* Parse and normalize s.  Uppercase in the name, empty components, a bad tag
 * or digest give an error that names the reference and the problem. */
int image_ref_parse(const char *s, struct image_ref *out, struct hk_error **err);
void image_ref_free(struct image_ref *ref);

/* "docker.io/library/busybox" (domain/path). Caller frees. */
char *image_ref_name(const struct image_ref *ref);
/* The full normalized form: name:tag, name@digest or name:tag@digest. */
char *image_ref_string(const struct image_ref *ref);
/* Docker's short ("familiar") form of a full normalized name[:tag][@digest]:
 * "docker.io/library/busybox:latest" -> "busybox:latest". Caller frees. */
char *image_ref_familiar(const char *full);

/* -------------------------------------------------------------------- store */

struct image_store {
	char *root;	     /* the hako root */
	sqlite3 *db;	     /* shared handle; other modules may use it */
	int root_fd;	     /* O_PATH of root */
	int lock_fd;	     /* <root>/layers/.lock, see image_store_op_begin() */
	int op_depth;	     /* nesting of image_store_op_begin() */
	int64_t blob_intent; /* image_intents row listing the blobs this process wrote */
};

/* Open the store under root: the database (migrating the "images" tables),
 * the directories, and a repair of what a crashed hako left behind (cheap when
 * there is nothing to repair). */
int image_store_open(const char *root, struct image_store **out, struct hk_error **err);
void image_store_close(struct image_store *store);
void image_store_closep(struct image_store **store);
#define _cleanup_image_store_ __attribute__((cleanup(image_store_closep)))

/* Remove what a crash left: temp blobs and half-unpacked layer dirs no live
 * process holds, and the layer dirs/blobs of commits that never finished.
 * Called by image_store_open().
 *
 * Every blob a process writes is listed in an intent row of that process
 * before it becomes visible; image_store_close() deletes the ones no image
 * refers to by then (a failed pull or import leaves no garbage), and repair
 * does it for a process that died.  So a pull should keep one store open
 * from its first blob to its image_commit(), inside image_store_op_begin(). */
int store_repair(struct image_store *store, struct hk_error **err);

/* Long store operations (a pull downloading blobs, a commit unpacking layers)
 * hold a shared lock so that a concurrent repair or prune does not remove
 * their not-yet-registered files.  Nestable.  Prune and repair take the
 * lock exclusively and skip (repair) or wait (prune) while it is held. */
int image_store_op_begin(struct image_store *store, struct hk_error **err);
void image_store_op_end(struct image_store *store);

/* --------------------------------------------------------------------- blobs */

/* Path of a blob (whether or not it exists). Caller frees. */
char *store_blob_path(struct image_store *store, const char *digest);
bool store_blob_exists(struct image_store *store, const char *digest);
/* Open a blob read-only; a missing blob is ENOENT with a message naming it. */
int store_blob_open(struct image_store *store, const char *digest, struct hk_error **err);

/* A streaming blob writer, for downloads: data goes to blobs/tmp/<random>
 * (flock'ed so repair leaves it alone), hashed while written.  commit checks
 * the digest and size and renames into blobs/sha256/; any failure or abort
 * removes the temp file. */
struct blob_writer;
/* expected_digest may be NULL (the digest is then whatever was written);
 * expected_size < 0 means unknown.  Writing past expected_size fails early. */
int store_blob_writer_open(struct image_store *store, const char *expected_digest,
			   int64_t expected_size, struct blob_writer **out, struct hk_error **err);
int store_blob_writer_write(struct blob_writer *w, const void *buf, size_t len,
			    struct hk_error **err);
/* Verify and publish; out_digest (may be NULL) receives the digest.  The
 * writer is freed in every case. */
int store_blob_writer_commit(struct blob_writer *w, char out_digest[DIGEST_BUF], int64_t *out_size,
			     struct hk_error **err);
/* Drop the temp file and free the writer; NULL is fine. */
void store_blob_writer_abort(struct blob_writer *w);

/* Copy fd (read to EOF) / a file / a buffer into the store, same checks.
 * path "-" is stdin. */
int store_blob_put_fd(struct image_store *store, int fd, const char *expected_digest,
		      int64_t expected_size, char out_digest[DIGEST_BUF], int64_t *out_size,
		      struct hk_error **err);
int store_blob_put_file(struct image_store *store, const char *path, const char *expected_digest,
			int64_t expected_size, char out_digest[DIGEST_BUF], int64_t *out_size,
			struct hk_error **err);
int store_blob_put_buffer(struct image_store *store, const void *buf, size_t len,
			  char out_digest[DIGEST_BUF], struct hk_error **err);
/* Read a whole (small) blob, at most max bytes, NUL-terminated. */
int store_blob_read(struct image_store *store, const char *digest, size_t max, char **out,
		    size_t *len, struct hk_error **err);

/* The diff ID of a layer blob: sha256 of its uncompressed tar stream
 * (gzip, zstd or none, detected by magic). */
int store_blob_diff_id(struct image_store *store, const char *digest, char out[DIGEST_BUF],
		       struct hk_error **err);

/* ------------------------------------------------------------------- images */

#define IMAGE_MEDIA_MANIFEST_OCI  "application/vnd.oci.image.manifest.v1+json"
#define IMAGE_MEDIA_CONFIG_OCI	  "application/vnd.oci.image.config.v1+json"
#define IMAGE_MEDIA_LAYER_TAR	  "application/vnd.oci.image.layer.v1.tar"
#define IMAGE_MEDIA_LAYER_GZIP	  "application/vnd.oci.image.layer.v1.tar+gzip"
#define IMAGE_MEDIA_LAYER_ZSTD	  "application/vnd.oci.image.layer.v1.tar+zstd"
#define IMAGE_MEDIA_MANIFEST_V2	  "application/vnd.docker.distribution.manifest.v2+json"
#define IMAGE_MEDIA_LAYER_DOCKER  "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define IMAGE_MEDIA_CONFIG_DOCKER "application/vnd.docker.container.image.v1+json"

struct image_layer {
	char chain_id[DIGEST_BUF];
	char diff_id[DIGEST_BUF];     /* sha256 of the uncompressed tar */
	char blob_digest[DIGEST_BUF]; /* the blob as stored (compressed or not) */
	int64_t blob_size;
	char *media_type;
	int64_t size; /* unpacked size in bytes */
};

struct image {
	char id[DIGEST_BUF];	    /* the config digest */
	char *manifest_digest;	    /* NULL when the image has no stored manifest */
	char *config_json;	    /* the config blob, as stored */
	char *manifest_json;	    /* the manifest blob, or NULL */
	int64_t created;	    /* config "created", seconds since the epoch (0 if none) */
	int64_t added;		    /* when this store registered it */
	int64_t size;		    /* sum of the unpacked layer sizes */
	char **tags;		    /* full normalized "domain/path:tag", may be empty */
	char **digests;		    /* "domain/path@sha256:..." (RepoDigests) */
	struct image_layer *layers; /* lowest first */
	size_t n_layers;
};

void image_free(struct image *img);
void image_freep(struct image **img);
#define _cleanup_image_ __attribute__((cleanup(image_freep)))

/* Find an image by a reference ("busybox", "docker.io/library/busybox:latest",
 * "name@sha256:..."), by its full id ("sha256:<hex>") or by a unique id
 * prefix of at least 3 hex digits (with or without "sha256:").  Not found is
 * ENOENT ("image 'x' not found"); an ambiguous prefix is EINVAL. */
int image_lookup(struct image_store *store, const char *name, struct image **out,
		 struct hk_error **err);

/* Every image, newest first (tagged and untagged). */
int image_list(struct image_store *store, struct image ***out, size_t *n, struct hk_error **err);
void image_list_free(struct image **list, size_t n);

/* The parts of the OCI image config a container needs.  Vectors are
 * NULL-terminated and may be NULL when absent. */
struct image_config {
	char **env; /* "K=V" */
	char **cmd;
	char **entrypoint;
	char *working_dir;
	char *user;
	char **exposed_ports; /* "80/tcp" */
	char **volumes;	      /* "/data" */
	char **labels;	      /* "k=v" */
	char *stop_signal;
	char *architecture;
	char *os;
	int64_t created;
};
/* Parse img->config_json (hostile input: types are checked). */
int image_config(const struct image *img, struct image_config **out, struct hk_error **err);
int image_config_parse(const char *json, size_t len, struct image_config **out,
		       struct hk_error **err);
void image_config_free(struct image_config *cfg);
void image_config_freep(struct image_config **cfg);
#define _cleanup_image_config_ __attribute__((cleanup(image_config_freep)))

/* Apply one Dockerfile instruction to cfg, the "config" object of an image
 * config (Docker's names: Cmd, Entrypoint, Env, ExposedPorts, Labels,
 * StopSignal, User, Volumes, WorkingDir): CMD and ENTRYPOINT (JSON or shell
 * form), ENV and LABEL ("k=v k2=v2" or "k v"), EXPOSE, USER, WORKDIR
 * (absolute), VOLUME, STOPSIGNAL.  Others are refused by name. */
int image_config_apply_change(json_object *cfg, const char *change, struct hk_error **err);

/* A new image to register.  Blobs of the layers must already be in the store
 * (store_blob_put_*); the config and manifest are given as bytes and stored by
 * the commit.  The config's rootfs.diff_ids must match the unpacked layers. */
struct image_commit_layer {
	const char *blob_digest;
	int64_t blob_size;	/* -1: take the blob's size */
	const char *media_type; /* NULL: IMAGE_MEDIA_LAYER_TAR/GZIP as detected */
};
struct image_commit {
	const char *config_json;
	size_t config_len;
	const char *manifest_json; /* NULL: an OCI manifest is generated */
	size_t manifest_len;
	const struct image_commit_layer *layers; /* lowest first */
	size_t n_layers;
	const char *const *tags;      /* references to point at the image (parsed and
				       * normalized here), NULL-terminated or NULL */
	const char *repo_digest_name; /* "docker.io/library/busybox" for RepoDigests
				       * (with the manifest digest), or NULL */
};

/* Register an image atomically:
 *   1. record an intent (its blobs and layers) in image_intents;
 *   2. store config + manifest blobs, unpack missing layers (verifying each
 *      diff ID against the config);
 *   3. one transaction inserts the image, layers and tags, and drops the intent.
 * A crash before 3 leaves no visible image; the next open removes the files.
 * An existing identical image only gets the tags.  out_id (may be NULL)
 * receives the image id.  Test hook: HAKO_TEST_CRASH_COMMIT=1 makes the
 * process _exit(99) right before step 3. */
int image_commit(struct image_store *store, const struct image_commit *c, char out_id[DIGEST_BUF],
		 struct hk_error **err);

/* Point ref at image_id (replacing an earlier target of ref). */
int image_tag(struct image_store *store, const char *image_id, const char *ref,
	      struct hk_error **err);
/* Remove one tag (a full normalized or short reference); ENOENT if absent. */
int image_untag(struct image_store *store, const char *ref, struct hk_error **err);

/* Remove an image record (tags, digests, its layer references); layers no
 * longer used by any image are deleted from disk.  Refused (EBUSY) while
 * image_users has rows for it unless force (then the users keep their
 * rootfs, but the record goes).  Unused blobs are removed too. */
int image_remove(struct image_store *store, const char *image_id, bool force,
		 struct hk_error **err);

/* Containers (or anything) using an image: the engine adds a row when a
 * container is created from an image and removes it when the container is
 * removed; rmi refuses images with users.  Run inside or outside the caller's
 * transaction. */
int image_user_add(struct image_store *store, const char *image_id, const char *user_id,
		   struct hk_error **err);
int image_user_remove(struct image_store *store, const char *user_id, struct hk_error **err);
int image_user_count(struct image_store *store, const char *image_id, int64_t *count,
		     struct hk_error **err);

/* Remove dangling images (no tag, no user), or with all every image without a
 * user; then unreferenced layers and blobs.  Calls cb (may be NULL) per
 * deleted image id; *reclaimed gets bytes freed (layers). */
int image_prune(struct image_store *store, bool all, void (*cb)(const char *image_id, void *data),
		void *data, int64_t *reclaimed, struct hk_error **err);

/* Path of an unpacked layer dir: <root>/layers/<hex of chain id>. Caller frees. */
char *image_layer_path(struct image_store *store, const char *chain_id);

/* This host's platform as OCI indexes name it, from uname(2): "linux" and
 * "amd64" on x86_64, "arm64" on aarch64, "arm" + "v7" on armv7l, "386"
 * under a 32-bit personality on x86_64; variant may be NULL.  Static
 * strings, for pull, load, import and build-default alike. */
void image_host_platform(const char **os, const char **arch, const char **variant);

/* Set "architecture", "os" (and "variant") of an image config to this
 * host's, for images made here (import, build-default). */
void image_config_set_platform(json_object *config);

#endif
