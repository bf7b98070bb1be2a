/* hako engine: the events of containers and volumes (src/events/events.h
 * keeps the log; this file knows what a container event carries). */
#include <string.h>

#include "engine/internal.h"
#include "events/events.h"
#include "util/json.h"
#include "util/util.h"

/* Docker's attributes of a container event: image, name, and the labels. */
static json_object *container_attrs(const struct engine_container *c)
{
	json_object *a = json_object_new_object();
	json_object *cfg = NULL, *labels = NULL;

	if (json_object_object_get_ex(c->config, "Config", &cfg) &&
	    json_object_object_get_ex(cfg, "Labels", &labels) &&
	    json_object_is_type(labels, json_type_object)) {
		json_object_object_foreach(labels, k, v)
			json_object_object_add(a, k, json_object_get(v));
	}
	json_object_object_add(a, "image", json_object_new_string(c->image ? c->image : ""));
	json_object_object_add(a, "name", json_object_new_string(c->name ? c->name : ""));
	return a;
}

void engine_event(struct engine *e, const struct engine_container *c, const char *action,
		  const char *key, const char *value)
{
	_cleanup_json_ json_object *a = container_attrs(c);
	sqlite3 *db = NULL;

	if (key)
		json_object_object_add(a, key, json_object_new_string(value ? value : ""));
	if (store_db(e, &db, NULL) < 0)
		return;
	events_record(db, "container", action, c->id, a);
}

void engine_event_record(struct engine *e, const char *type, const char *action, const char *actor,
			 json_object *attrs)
{
	sqlite3 *db = NULL;

	if (store_db(e, &db, NULL) < 0)
		return;
	events_record(db, type, action, actor, attrs);
}
