/* hako: the event log.  One bounded table ("events" module of the shared
 * database, src/db/db.h) that every hako process writes to: the CLI, the
 * container monitors and `hako system service` alike, so `hako events` and
 * the API's /events see the same history whoever made the change.
 *
 * An event is Docker's: a type (container, image, network, volume), an
 * action (create, start, die, ...), the actor's id and attributes (name,
 * image, exitCode, ...), a time in nanoseconds.  Rows get an increasing
 * sequence number, which is how a follower reads only what is new.
 *
 * Bounded: the table keeps the newest EVENTS_KEEP rows; older ones are
 * deleted now and then by the writer (dockerd keeps 256 in memory; a log on
 * disk can keep more, and survives the service).
 *
 * Recording is best effort: an event that cannot be written never fails the
 * operation it describes (a debug message says why).
 */
#ifndef HAKO_EVENTS_EVENTS_H
#define HAKO_EVENTS_EVENTS_H

#include <json-c/json.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

#define EVENTS_KEEP 10000

struct events_event {
	int64_t seq;
	int64_t time_ns;
	const char *type, *action, *actor;
	json_object *attrs; /* object of strings */
};

/* Record one event in db (migrating the table on first use).  attrs:
 * borrowed, may be NULL; values are turned into strings.  Never fails
 * visibly.  Inside a caller's transaction it is one more insert. */
void events_record(sqlite3 *db, const char *type, const char *action, const char *actor,
		   json_object *attrs);

/* Record with a database of root opened for the call (for callers without
 * a handle of their own). */
void events_record_root(const char *root, const char *type, const char *action, const char *actor,
			json_object *attrs);

/* Which events a reader wants.  filters: Docker's {"type":["container"],
 * "event":["start"], "container":["name or id"], "image":[..], "label":
 * ["k" or "k=v"], "network":[..], "volume":[..]} (NULL: all), or the
 * older {"type":{"container":true}} map form. */
struct events_query {
	int64_t since_ns; /* 0: from the oldest kept */
	int64_t until_ns; /* 0: no end */
	json_object *filters;
	int64_t after_seq; /* only rows after this sequence number */
};

/* Call cb for each matching event, oldest first; *last_seq gets the last row
 * read (matching or not).  cb returning non-zero stops the walk. */
int events_read(sqlite3 *db, const struct events_query *q,
		int (*cb)(const struct events_event *ev, void *data), void *data, int64_t *last_seq,
		struct hk_error **err);

/* Check a filters object for unknown keys (the message names the key). */
int events_filters_check(json_object *filters, struct hk_error **err);

/* True when ev passes filters (NULL: every event). */
bool events_match(const struct events_event *ev, json_object *filters);

/* Docker's JSON message for ev (status, id, from, Type, Action, Actor,
 * scope, time, timeNano); a new reference. */
json_object *events_to_json(const struct events_event *ev);

/* Docker CLI's line: "2024-05-01T10:00:00.123456789Z container start ID
 * (image=busybox, name=web)".  Caller frees. */
char *events_to_line(const struct events_event *ev);

/* "1700000000", "1700000000.5", RFC3339 or a duration before now ("10m",
 * "1h30m", "20s") -> unix ns; < 0 on a bad value. */
int events_parse_time(const char *s, int64_t now, int64_t *out);

/* Parse Docker's filters: a JSON map as the API gets it, or the CLI's
 * "key=value" list.  Result: {"key":["v",...]} (new reference). */
json_object *events_filters_from_args(char **kv);

#endif
