/* hako: typed access to JSON documents (json-c) with errors that name the
 * field: "config.json: process.args[2]: expected a string". */
#ifndef HAKO_UTIL_JSON_H
#define HAKO_UTIL_JSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

void hk_json_putp(json_object **o);
#define _cleanup_json_ __attribute__((cleanup(hk_json_putp)))

/* Parse a whole buffer; the error names what (a file name) and the position. */
int json_parse(const char *what, const char *text, size_t len, json_object **out,
	       struct hk_error **err);
int json_parse_file(const char *path, size_t max, json_object **out, struct hk_error **err);

/* Field getters.  A missing field is not an error: *out is left as is and 0 is
 * returned (1 when found).  A field of the wrong type is an error naming
 * "ctx.key".  ctx may be NULL. */
int json_get_string(json_object *obj, const char *ctx, const char *key, const char **out,
		    struct hk_error **err);
int json_get_int64(json_object *obj, const char *ctx, const char *key, int64_t *out,
		   struct hk_error **err);
int json_get_uint64(json_object *obj, const char *ctx, const char *key, uint64_t *out,
		    struct hk_error **err);
int json_get_bool(json_object *obj, const char *ctx, const char *key, bool *out,
		  struct hk_error **err);
int json_get_object(json_object *obj, const char *ctx, const char *key, json_object **out,
		    struct hk_error **err);
int json_get_array(json_object *obj, const char *ctx, const char *key, json_object **out,
		   struct hk_error **err);
/* An array of strings as a NULL-terminated vector (caller frees). */
int json_get_strv(json_object *obj, const char *ctx, const char *key, char ***out,
		  struct hk_error **err);

/* Lenient: obj[key] as a string (json-c's text of a number or boolean),
 * NULL when obj is NULL or the key is absent or null.  For documents hako
 * wrote itself; outside input goes through json_get_string(). */
const char *json_str(json_object *obj, const char *key);

/* A new JSON array of the strings of the NULL-terminated v (NULL: empty). */
json_object *json_strv_new(char *const *v);

/* Serialize compactly (no spaces) or pretty; caller frees. */
char *json_to_string(json_object *obj, bool pretty);

#endif
