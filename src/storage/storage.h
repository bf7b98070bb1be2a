/* hako: storage.  Unpacked layers and container root filesystems.
 *
 *   <root>/layers/<chain-id hex>/     one unpacked layer, shared read-only
 *   <root>/layers/tmp-<random>/       a layer being unpacked (flock'ed)
 *   <root>/rootfs/<id>/               a container's writable rootfs:
 *        layers                       the chain ids, lowest first, one a line
 *        driver                       "overlay" or "vfs"
 *        upper/ work/                 (overlay) the writable layer
 *        merged/                      the mount point / the copied tree (vfs)
 *
 * Layers are OCI tar changesets; whiteouts are stored the way overlayfs reads
 * them (".wh.NAME" -> a 0/0 character device NAME, ".wh..wh..opq" -> the
 * xattr trusted.overlay.opaque=y on the directory), so the overlay driver can
 * stack layer dirs directly and the vfs driver applies them when copying.
 *
 * Layer tars are hostile input: every entry is created relative to the layer
 * directory by openat() walks with O_NOFOLLOW; "..", absolute names, paths
 * through symlinks, hard links out of the layer and absurd sizes are refused
 * with an error naming the entry, and nothing is left behind.
 */
#ifndef HAKO_STORAGE_STORAGE_H
#define HAKO_STORAGE_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* Refused entry sizes: larger than any real file in an image layer. */
#define STORAGE_MAX_ENTRY_SIZE (1LL << 40)

struct storage;

/* Open the storage under root with a driver: "overlay", "vfs" or NULL for
 * automatic (the env var HAKO_STORAGE_DRIVER, else overlay when this kernel
 * can mount it here, else vfs). */
int storage_open(const char *root, const char *driver, struct storage **out, struct hk_error **err);
void storage_close(struct storage *s);
void storage_closep(struct storage **s);
#define _cleanup_storage_ __attribute__((cleanup(storage_closep)))

/* "overlay" or "vfs". */
const char *storage_driver_name(const struct storage *s);

/* ------------------------------------------------------------------ layers */

struct layer_unpack_result {
	char diff_id[72]; /* "sha256:" of the uncompressed tar stream */
	int64_t size;	  /* bytes of regular file content */
	int64_t entries;
};

/* Unpack a layer tar (gzip, zstd or uncompressed, detected by magic) read
 * from fd into <root>/layers/<hex of chain_id>; what names the layer in
 * errors ("layer sha256:ab12...").  Unpacks into a temp dir renamed at the
 * end; an existing layer dir is left as is (EEXIST is not an error: result
 * is then zeroed).  When expected_diff_id is set a mismatch is an error and
 * nothing is kept. */
int storage_layer_unpack(struct storage *s, int fd, const char *chain_id,
			 const char *expected_diff_id, const char *what,
			 struct layer_unpack_result *res, struct hk_error **err);

/* Unpack a tar stream into an existing directory fd (the core of the above,
 * exposed for tests and for import of rootfs tarballs into a dir). */
int storage_unpack_into(int dirfd, int fd, const char *what, struct layer_unpack_result *res,
			struct hk_error **err);

bool storage_layer_exists(struct storage *s, const char *chain_id);
/* <root>/layers/<hex>. Caller frees. */
char *storage_layer_path(struct storage *s, const char *chain_id);
/* rm -rf the layer dir (no error when missing). */
int storage_layer_remove(struct storage *s, const char *chain_id, struct hk_error **err);
/* Remove layers/tmp-* dirs no live process holds; returns how many. */
int storage_repair(struct storage *s, struct hk_error **err);

/* ------------------------------------------------------------ root filesystems */

/* Create rootfs/<id> over the given layers (lowest first) and mount it;
 * *mountpoint (caller frees) is where the container's root is.  id is a
 * [A-Za-z0-9_.-] name (a container id).  Fails with EEXIST when id exists. */
int storage_create_rootfs(struct storage *s, const char *const *chain_ids, size_t n, const char *id,
			  char **mountpoint, struct hk_error **err);
/* Mount an existing rootfs again (after a reboot or an unmount); idempotent:
 * an overlay already mounted there (a leftover of a crash) is kept, never
 * stacked. */
int storage_mount(struct storage *s, const char *id, char **mountpoint, struct hk_error **err);
/* Whether rootfs id is available at its path now: an overlay mounted
 * there (by anyone), always for vfs (a plain directory). */
bool storage_mounted(struct storage *s, const char *id);
/* Unmount (lazy when busy); idempotent. */
int storage_unmount(struct storage *s, const char *id, struct hk_error **err);
/* Unmount and delete rootfs/<id>; no error when missing. */
int storage_remove(struct storage *s, const char *id, struct hk_error **err);
/* The directory a rootfs is mounted at (whether mounted or not). Caller frees. */
char *storage_rootfs_path(struct storage *s, const char *id);

/* Changes of a container's rootfs against its image, as `docker diff`:
 * 'A' added, 'C' changed, 'D' deleted; paths are absolute inside the rootfs.
 * Overlay: from the upper dir (whiteouts are deletions). */
struct storage_change {
	char kind; /* 'A', 'C', 'D' */
	char *path;
};
int storage_diff(struct storage *s, const char *id, struct storage_change **changes, size_t *n,
		 struct hk_error **err);
void storage_changes_free(struct storage_change *changes, size_t n);

/* ------------------------------------------------------------ tar streams */

/* Where a tar stream goes: called with the bytes in order; < 0 with *err
 * stops the archive. */
typedef int (*storage_write_fn)(void *arg, const void *buf, size_t len, struct hk_error **err);

/* docker export: a tar (pax) of the whole tree of rootfs id, mounted for the
 * time of the call when it is not.  Entries are never followed (symlinks are
 * archived as symlinks), hard links are kept, sockets skipped. */
int storage_export(struct storage *s, const char *id, storage_write_fn fn, void *arg,
		   struct hk_error **err);

/* docker commit: the changes of rootfs id against its layers as an OCI layer
 * tar: added and changed entries (with their parent directories), ".wh.NAME"
 * for a deletion, ".wh..wh..opq" in an overlay opaque directory.  Overlay
 * reads the upper dir (no mount needed); vfs compares the copy.  skip
 * (absolute paths, NULL-terminated, may be NULL) are left out when they were
 * added as empty files or directories: the placeholders of the engine's bind
 * mounts, the mount targets of a build's RUN --mount. */
int storage_diff_tar(struct storage *s, const char *id, const char *const *skip,
		     storage_write_fn fn, void *arg, struct hk_error **err);

/* ------------------------------------------------------------ disk usage */

/* Apparent bytes under and including path, as `du -sb`: every entry's
 * st_size, a file with several hard links once, symlinks not followed.  A
 * missing path is 0 bytes. */
int storage_du(const char *path, int64_t *bytes, struct hk_error **err);
/* The writable layer of rootfs id: overlay's upper dir (du); vfs: the
 * changed and added entries of its copy.  A missing rootfs is 0 bytes. */
int storage_rw_size(struct storage *s, const char *id, int64_t *bytes, struct hk_error **err);

/* ------------------------------------------------------------------ drivers */

/* A driver: how a rootfs is assembled from layer dirs.  Paths are absolute. */
struct storage_ops {
	const char *name;
	/* Can this driver work under root on this kernel? */
	bool (*supported)(const char *root);
	/* Assemble: lower dirs (lowest first) + rootfs dir (with upper/ work/
	 * merged/ for overlay) -> a tree at dir/merged. Called once at create. */
	int (*create)(const char *const *lowers, size_t n, const char *dir, struct hk_error **err);
	/* Make dir/merged available (mount); idempotent. */
	int (*mount)(const char *const *lowers, size_t n, const char *dir, struct hk_error **err);
	int (*unmount)(const char *dir, struct hk_error **err);
	int (*diff)(const char *const *lowers, size_t n, const char *dir,
		    struct storage_change **changes, size_t *count, struct hk_error **err);
};

extern const struct storage_ops storage_overlay_ops;
extern const struct storage_ops storage_vfs_ops;

#endif
