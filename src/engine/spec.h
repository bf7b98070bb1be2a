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

#endif
