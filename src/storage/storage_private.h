/* hako: helpers shared by the storage drivers only. */
#ifndef HAKO_STORAGE_PRIVATE_H
#define HAKO_STORAGE_PRIVATE_H

#include <stdbool.h>
#include <sys/stat.h>

#include "storage/storage.h"

/* Mount an overlay of lowers (lowest first) with upper/work (upper NULL for a
 * read-only overlay) on merged. */
int overlay_mount_dirs(const char *const *lowers, size_t n, const char *upper, const char *work,
		       const char *merged, struct hk_error **err);

/* Look rel (no leading '/') up in the stacked layer dirs, the highest first,
 * honouring whiteouts and opaque dirs, never following a symlink: 1 and *st
 * when the image has it, 0 when not. */
int storage_lower_lookup(const char *const *lowers, size_t n, const char *rel, struct stat *st);

/* The change an entry of a container's tree makes: 'A', 'C', 'D', or 0 for
 * none.  in_image tells whether the image has its path (then lst is the
 * image's entry). */
typedef char (*storage_diff_kind_fn)(const struct stat *st, bool in_image, const struct stat *lst);

/* Walk the tree under the directory dfd (depth-first, never following a
 * symlink, "." and ".." left out, entries that vanish meanwhile passed over),
 * look each entry up in the image's layers, and push the change kind()
 * says onto changes. */
int storage_diff_tree(int dfd, const char *const *lowers, size_t n, storage_diff_kind_fn kind,
		      struct storage_change **changes, size_t *count, struct hk_error **err);

void storage_change_push(struct storage_change **changes, size_t *count, char kind,
			 const char *path);
void storage_changes_sort(struct storage_change *changes, size_t count);

#endif
