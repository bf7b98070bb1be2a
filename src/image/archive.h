/* hako: image archives: `hako save` and `hako load`.
 *
 * Formats:
 *   docker-archive  a tar as `docker save` writes it: manifest.json
 *                   ([{Config, RepoTags, Layers}]), repositories, <config
 *                   hex>.json and <diff-id hex>/layer.tar (uncompressed).
 *   oci-archive     a tar of an OCI image layout (below).
 *   oci-dir         an OCI image layout directory: oci-layout, index.json
 *                   (one manifest per image, org.opencontainers.image.ref.name
 *                   = the full reference), blobs/sha256/<hex> as stored, so
 *                   manifest digests survive a save/load round trip.
 *
 * Loading reads docker-archive and OCI layouts (tar, possibly compressed, or
 * a directory), treats the archive as hostile (entry names with "..",
 * absolute names, links out of the archive, oversized JSON are refused;
 * every blob is verified against its digest) and registers images with
 * image_commit(), so a failed load leaves nothing visible.
 */
#ifndef HAKO_IMAGE_ARCHIVE_H
#define HAKO_IMAGE_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "image/image.h"

enum archive_format {
	ARCHIVE_DOCKER,
	ARCHIVE_OCI,
	ARCHIVE_OCI_DIR,
};

/* "docker-archive", "oci-archive", "oci-dir" (also "oci" for oci-archive). */
int archive_format_parse(const char *s, enum archive_format *out, struct hk_error **err);

/* Save the images names[0..n) (references or ids).  Tar formats are written
 * to out_fd; ARCHIVE_OCI_DIR creates (or adds to) the directory out_dir. */
int archive_save(struct image_store *store, char *const *names, size_t n, enum archive_format fmt,
		 int out_fd, const char *out_dir, struct hk_error **err);

/* What a load registered: per image its id and the references tagged. */
struct archive_loaded {
	char id[DIGEST_BUF];
	char **tags; /* NULL-terminated, may be empty */
};
void archive_loaded_free(struct archive_loaded *l, size_t n);

/* Load from path: a directory (OCI layout) or a tar file; "-" or NULL reads
 * a tar from stdin. */
int archive_load(struct image_store *store, const char *path, struct archive_loaded **out,
		 size_t *n, struct hk_error **err);

/* The manifest an image is pushed and saved with: the stored one, or an OCI
 * manifest made from the record when it has none. Caller frees. */
char *archive_image_manifest(const struct image *img);

#endif
