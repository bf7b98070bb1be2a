/* hako runtime: Linux capabilities (all five sets) from process.capabilities. */
#ifndef HAKO_RUNTIME_CAPS_H
#define HAKO_RUNTIME_CAPS_H

#include <json-c/json.h>
#include <stdint.h>

#include "util/error.h"

struct caps {
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

/* Parse process.capabilities (NULL: every set empty).  An unknown name is an
 * error naming the set and the name ("capabilities.bounding: unknown
 * capability CAP_FOO"); a name this kernel lacks is skipped with a warning. */
int caps_parse(json_object *capabilities, struct caps *out, struct hk_error **err);

/* Step 1, before changing uid: drop from the bounding set what is not in it
 * and set PR_SET_KEEPCAPS so permitted caps survive setuid. */
int caps_drop_bounding(const struct caps *c, struct hk_error **err);

/* Step 2, after changing uid/gid: set effective, permitted and inheritable
 * (capset), clear PR_SET_KEEPCAPS, then raise the ambient set. */
int caps_apply(const struct caps *c, struct hk_error **err);

/* Capability name <-> number ("CAP_NET_ADMIN" or "NET_ADMIN", any case). */
int caps_from_name(const char *name);
const char *caps_name(int cap);

/* Docker's default capability set, as a NULL-terminated list of names. */
const char *const *caps_docker_default(void);

#endif
