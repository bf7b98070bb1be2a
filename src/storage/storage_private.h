/* hako: helpers shared by the storage drivers only. */
#ifndef HAKO_STORAGE_PRIVATE_H
#define HAKO_STORAGE_PRIVATE_H

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

void storage_change_push(struct storage_change **changes, size_t *count, char kind,
			 const char *path);
void storage_changes_sort(struct storage_change *changes, size_t count);

#endif
