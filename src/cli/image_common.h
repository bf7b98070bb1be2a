/* hako: helpers shared by the image commands (images, rmi, tag, history,
 * import, image inspect/prune/build-default). */
#ifndef HAKO_CLI_IMAGE_COMMON_H
#define HAKO_CLI_IMAGE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "image/image.h"
#include "util/json.h"

/* Open the image store under --root. */
int cli_image_store(struct image_store **out, struct hk_error **err);

/* Docker's go-units sizes with `digits` significant digits: powers of 1000
 * ("1.23MB", "567kB", "12B") or, with binary, of 1024 ("1.5GiB"). */
void cli_size_units(double v, bool binary, int digits, char *buf, size_t len);

/* Docker's sizes: "1.23MB", "567kB", "12B" (powers of 1000, 3 digits). */
void cli_human_size(int64_t bytes, char *buf, size_t len);

/* Docker's "2 minutes ago", "About an hour ago", "3 days ago". */
void cli_time_ago(int64_t when, char *buf, size_t len);

/* RFC 3339 UTC with nanoseconds zero: "2024-01-02T03:04:05Z". */
void cli_rfc3339(int64_t when, char *buf, size_t len);

/* The 12 hex digits Docker shows for an id ("sha256:" dropped). */
const char *cli_short_id(const char *id, char buf[16]);

/* Print rows as Docker's tables: columns padded to their widest cell plus
 * three spaces.  rows[r][c], cells may not be NULL. */
void cli_print_table(const char *const *headers, size_t ncols, char ***rows, size_t nrows);

/* Free a rows array made of strv rows. */
void cli_rows_free(char ***rows, size_t nrows);

#endif
