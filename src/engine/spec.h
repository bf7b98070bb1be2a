/* hako engine: spec building (private to src/engine/). */
#ifndef HAKO_ENGINE_SPEC_H
#define HAKO_ENGINE_SPEC_H

#include <json-c/json.h>

#include "engine/engine.h"
#include "image/image.h"

int spec_build_config(struct engine *e, const struct engine_create_opts *o,
		      const struct image_config *ic, const char *id, json_object **out,
		      struct hk_error **err);
int spec_parse_restart(const char *s, const char **name, int *max, struct hk_error **err);
char *engine_find_init(void);
/* A helper program of hako (hako-init, hako-monitor): next to the running
 * binary, in ../libexec/hako/ from it, or in /usr[/local]/libexec/hako/;
 * NULL when none is found. */
char *engine_find_helper(const char *name);

#endif
