/* config.json (src/runtime/spec.c): hako-runtime reads the bundle's
 * config.json, which whoever calls the runtime wrote. */
#include "fuzz.h"
#include "runtime/spec.h"
#include "util/json.h"

FUZZ(spec)
{
	_cleanup_json_ json_object *doc = NULL;
	struct rt_spec s = {0};
	struct hk_error *err = NULL;

	if (json_parse("config.json", (const char *)data, size, &doc, &err) < 0) {
		hk_error_free(&err);
		return;
	}
	if (spec_parse(doc, &s, &err) < 0)
		hk_error_free(&err);
	spec_free(&s);
}
