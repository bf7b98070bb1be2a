/* hako: helpers shared inside src/image/ only. */
#ifndef HAKO_IMAGE_PRIVATE_H
#define HAKO_IMAGE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "image/image.h"

/* flock the store exclusively (wait or not); 1 when busy and !wait. */
int store_lock_exclusive(struct image_store *s, bool wait, struct hk_error **err);
void store_unlock(struct image_store *s);
/* True when an image still refers to the blob (config, manifest or layer). */
bool store_blob_referenced(struct image_store *s, const char *digest);
/* Delete the layers (chain ids) without a row in `layers` and the blobs no
 * image references; both newline-separated, may be NULL. */
int store_release_files(struct image_store *s, const char *layers, const char *blobs,
			struct hk_error **err);
/* Split newline-separated text into a (possibly empty) vector. */
char **str_split_lines(const char *s);

/* RFC 3339 ("2024-01-02T03:04:05.5Z") to seconds; 0 when unparsable. */
int64_t image_parse_time(const char *s);

/* Load one image record by its full id. */
int image_load(struct image_store *s, const char *id, struct image **out, struct hk_error **err);

/* image_remove() without taking the store lock (caller holds it). */
int image_remove_locked(struct image_store *s, const char *id, bool force, int64_t *freed,
			struct hk_error **err);

/* Point ref at image_id inside the caller's transaction. */
int image_tag_locked(struct image_store *s, const char *image_id, const char *ref,
		     struct hk_error **err);

/* Insert an intent row (kind, this process, lists) outside or inside the
 * caller's transaction. */
int store_intent_insert(struct image_store *s, const char *kind, const char *layers,
			const char *blobs, int64_t *id, struct hk_error **err);
int store_intent_drop(struct image_store *s, int64_t id, struct hk_error **err);
/* List a blob about to become visible in this process' blob intent. */
int store_note_blob(struct image_store *s, const char *digest, struct hk_error **err);

#endif
