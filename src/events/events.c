/* hako: the event log (see events.h). */
#include "events/events.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "util/json.h"
#include "util/log.h"
#include "util/util.h"

static const struct db_migration events_migrations[] = {
	/* AUTOINCREMENT: a sequence number is never reused after the oldest rows
	 * are trimmed, so a follower's "after seq" stays right. */
	{"CREATE TABLE events ("
	 " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	 " time INTEGER NOT NULL,"
	 " type TEXT NOT NULL,"
	 " action TEXT NOT NULL,"
	 " actor TEXT NOT NULL,"
	 " attrs TEXT NOT NULL DEFAULT '{}');"
	 "CREATE INDEX events_time ON events(time);"},
};

/* The handle last migrated by this process: one check per handle, not one
 * per event (a `run --rm` records four). */
static __thread sqlite3 *migrated;

static int events_migrate(sqlite3 *db, struct hk_error **err)
{
	if (db == migrated)
		return 0;
	/* inside a caller's transaction (the monitor's exit record) a schema
	 * step cannot run: the table exists by then (a create came first) */
	if (!sqlite3_get_autocommit(db))
		return 0;
	if (db_migrate(db, "events", events_migrations, ARRAY_SIZE(events_migrations), err) < 0)
		return -1;
	migrated = db;
	return 0;
}

static int64_t ev_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int record(sqlite3 *db, const char *type, const char *action, const char *actor,
		  json_object *attrs, struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_json_ json_object *a = json_object_new_object();
	_cleanup_free_ char *text = NULL;
	int64_t seq;

	if (events_migrate(db, err) < 0)
		return -1;
	if (attrs) {
		json_object_object_foreach(attrs, k, v)
		{
			if (json_object_is_type(v, json_type_null))
				continue;
			json_object_object_add(a, k,
					       json_object_new_string(json_object_get_string(v)));
		}
	}
	text = json_to_string(a, false);
	if (db_prepare(db,
		       "INSERT INTO events (time, type, action, actor, attrs) VALUES (?,?,?,?,?)",
		       &st, err) < 0)
		return -1;
	db_bind_int64(st, 1, ev_now());
	db_bind_text(st, 2, type);
	db_bind_text(st, 3, action);
	db_bind_text(st, 4, actor ? actor : "");
	db_bind_text(st, 5, text);
	if (db_step(st, "insert event", err) < 0)
		return -1;
	seq = sqlite3_last_insert_rowid(db);
	/* trim now and then, not at each insert: one index range delete per
	 * 256 events keeps the table between KEEP and KEEP + 256 rows */
	if (seq % 256 == 0) {
		_cleanup_sqlite_stmt_ sqlite3_stmt *del = NULL;
		if (db_prepare(db, "DELETE FROM events WHERE seq <= ?", &del, err) < 0)
			return -1;
		db_bind_int64(del, 1, seq - EVENTS_KEEP);
		if (db_step(del, "trim events", err) < 0)
			return -1;
	}
	return 0;
}

void events_record(sqlite3 *db, const char *type, const char *action, const char *actor,
		   json_object *attrs)
{
	struct hk_error *err = NULL;

	if (!db)
		return;
	if (record(db, type, action, actor, attrs, &err) < 0) {
		log_msg(HK_LOG_DEBUG, "event %s %s: %s", type, action, hk_error_msg(err));
		hk_error_free(&err);
	}
}

void events_record_root(const char *root, const char *type, const char *action, const char *actor,
			json_object *attrs)
{
	sqlite3 *db = NULL;
	struct hk_error *err = NULL;

	if (db_open(root, &db, &err) < 0) {
		log_msg(HK_LOG_DEBUG, "event %s %s: %s", type, action, hk_error_msg(err));
		hk_error_free(&err);
		return;
	}
	events_record(db, type, action, actor, attrs);
	if (migrated == db)
		migrated = NULL;
	db_close(db);
}

/* ------------------------------------------------------------------ filters */

static const char *const filter_keys[] = {"type",    "event",  "container", "image", "label",
					  "network", "volume", "scope",	    NULL};

int events_filters_check(json_object *filters, struct hk_error **err)
{
	if (!filters)
		return 0;
	if (!json_object_is_type(filters, json_type_object))
		return hk_error_set(err, 0, "invalid filter: expected an object");
	json_object_object_foreach(filters, k, v)
	{
		(void)v;
		if (!strv_has((char *const *)filter_keys, k))
			return hk_error_set(err, 0, "invalid filter '%s'", k);
	}
	return 0;
}

/* Call f for each value of key in filters (list or {"v":true} form);
 * returns -1 when the key is absent, else whether any value matched. */
static int any_value(json_object *filters, const char *key, const struct events_event *ev,
		     bool (*f)(const struct events_event *, const char *))
{
	json_object *v;

	if (!filters || !json_object_object_get_ex(filters, key, &v))
		return -1;
	if (json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);
		if (n == 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (f(ev, json_object_get_string(json_object_array_get_idx(v, i))))
				return 1;
		return 0;
	}
	if (json_object_is_type(v, json_type_object)) {
		bool any = false;
		json_object_object_foreach(v, k, b)
		{
			(void)b;
			any = true;
			if (f(ev, k))
				return 1;
		}
		return any ? 0 : -1;
	}
	if (json_object_is_type(v, json_type_string))
		return f(ev, json_object_get_string(v));
	return -1;
}

static const char *attr(const struct events_event *ev, const char *k)
{
	json_object *v;
	if (!ev->attrs || !json_object_object_get_ex(ev->attrs, k, &v))
		return NULL;
	return json_object_get_string(v);
}

static bool id_or_name(const struct events_event *ev, const char *want)
{
	const char *name = attr(ev, "name");
	size_t n = strlen(want);
	if (n && !strncmp(ev->actor, want, n))
		return true; /* a full id or a prefix, as dockerd */
	return name && !strcmp(name, want);
}

static bool m_type(const struct events_event *ev, const char *v)
{
	return !strcmp(ev->type, v);
}

static bool m_event(const struct events_event *ev, const char *v)
{
	size_t n = strlen(v);
	/* "exec_start: sh -c ..." matches "exec_start" */
	return !strncmp(ev->action, v, n) && (ev->action[n] == 0 || ev->action[n] == ':');
}

static bool m_container(const struct events_event *ev, const char *v)
{
	if (!strcmp(ev->type, "container"))
		return id_or_name(ev, v);
	const char *c = attr(ev, "container");
	return c && !strncmp(c, v, strlen(v));
}

static bool m_image(const struct events_event *ev, const char *v)
{
	const char *img = attr(ev, "image");
	if (!strcmp(ev->type, "image"))
		return id_or_name(ev, v) || !strcmp(ev->actor, v);
	return img && !strcmp(img, v);
}

static bool m_label(const struct events_event *ev, const char *v)
{
	const char *eq = strchr(v, '=');
	if (!eq)
		return attr(ev, v) != NULL;
	_cleanup_free_ char *k = strndup(v, (size_t)(eq - v));
	const char *have = attr(ev, k);
	return have && !strcmp(have, eq + 1);
}

static bool m_network(const struct events_event *ev, const char *v)
{
	return !strcmp(ev->type, "network") && id_or_name(ev, v);
}

static bool m_volume(const struct events_event *ev, const char *v)
{
	return !strcmp(ev->type, "volume") && !strcmp(ev->actor, v);
}

static bool m_scope(const struct events_event *ev, const char *v)
{
	return !strcmp(v, "local");
}

bool events_match(const struct events_event *ev, json_object *filters)
{
	static const struct {
		const char *key;
		bool (*f)(const struct events_event *, const char *);
	} tests[] = {
		{"type", m_type},     {"event", m_event}, {"container", m_container},
		{"image", m_image},   {"label", m_label}, {"network", m_network},
		{"volume", m_volume}, {"scope", m_scope},
	};
	for (size_t i = 0; i < ARRAY_SIZE(tests); i++)
		if (any_value(filters, tests[i].key, ev, tests[i].f) == 0)
			return false;
	return true;
}

/* ------------------------------------------------------------------ reading */

int events_read(sqlite3 *db, const struct events_query *q,
		int (*cb)(const struct events_event *ev, void *data), void *data, int64_t *last_seq,
		struct hk_error **err)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if (events_migrate(db, err) < 0)
		return -1;
	if (db_prepare(db,
		       "SELECT seq, time, type, action, actor, attrs FROM events"
		       " WHERE seq > ? AND time >= ? AND (? = 0 OR time <= ?) ORDER BY seq",
		       &st, err) < 0)
		return -1;
	db_bind_int64(st, 1, q->after_seq);
	db_bind_int64(st, 2, q->since_ns);
	db_bind_int64(st, 3, q->until_ns);
	db_bind_int64(st, 4, q->until_ns);
	while ((r = db_step(st, "read events", err)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 5);
		_cleanup_json_ json_object *attrs = text ? json_tokener_parse(text) : NULL;
		struct events_event ev = {
			.seq = sqlite3_column_int64(st, 0),
			.time_ns = sqlite3_column_int64(st, 1),
			.type = (const char *)sqlite3_column_text(st, 2),
			.action = (const char *)sqlite3_column_text(st, 3),
			.actor = (const char *)sqlite3_column_text(st, 4),
			.attrs = attrs,
		};
		if (last_seq)
			*last_seq = ev.seq;
		if (!events_match(&ev, q->filters))
			continue;
		if (cb(&ev, data))
			return 0;
	}
	return r < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ output */

json_object *events_to_json(const struct events_event *ev)
{
	json_object *o = json_object_new_object();
	json_object *actor = json_object_new_object();
	json_object *attrs = ev->attrs ? json_object_get(ev->attrs) : json_object_new_object();
	const char *from = attr(ev, "image");

	/* the pre-1.22 fields, which the docker CLI still reads for containers */
	if (!strcmp(ev->type, "container")) {
		json_object_object_add(o, "status", json_object_new_string(ev->action));
		json_object_object_add(o, "id", json_object_new_string(ev->actor));
		if (from)
			json_object_object_add(o, "from", json_object_new_string(from));
	}
	json_object_object_add(o, "Type", json_object_new_string(ev->type));
	json_object_object_add(o, "Action", json_object_new_string(ev->action));
	json_object_object_add(actor, "ID", json_object_new_string(ev->actor));
	json_object_object_add(actor, "Attributes", attrs);
	json_object_object_add(o, "Actor", actor);
	json_object_object_add(o, "scope", json_object_new_string("local"));
	json_object_object_add(o, "time", json_object_new_int64(ev->time_ns / 1000000000LL));
	json_object_object_add(o, "timeNano", json_object_new_int64(ev->time_ns));
	return o;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *events_to_line(const struct events_event *ev)
{
	time_t secs = (time_t)(ev->time_ns / 1000000000LL);
	struct tm tm;
	char when[40];
	_cleanup_strv_ char **keys = NULL;
	char *line;
	size_t n;

	gmtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	line = xasprintf("%s.%09lldZ %s %s %s", when, (long long)(ev->time_ns % 1000000000LL),
			 ev->type, ev->action, ev->actor);
	if (ev->attrs) {
		json_object_object_foreach(ev->attrs, k, v)
		{
			(void)v;
			strv_push(&keys, k);
		}
	}
	n = strv_len(keys);
	if (!n)
		return line;
	/* attributes sorted by key, as the docker CLI prints them */
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *next =
			xasprintf("%s%s%s=%s", line, i ? ", " : " (", keys[i], attr(ev, keys[i]));
		free(line);
		line = next;
	}
	char *done = xasprintf("%s)", line);
	free(line);
	return done;
}

/* ------------------------------------------------------------------ parsing */

/* "1h30m", "10s", "500ms" -> ns; < 0 when not a duration. */
static int64_t parse_duration(const char *s)
{
	int64_t total = 0;
	if (!*s)
		return -1;
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		int64_t unit;
		if (end == s)
			return -1;
		if (!strncmp(end, "ns", 2))
			unit = 1, end += 2;
		else if (!strncmp(end, "us", 2))
			unit = 1000, end += 2;
		else if (!strncmp(end, "ms", 2))
			unit = 1000000, end += 2;
		else if (*end == 's')
			unit = 1000000000LL, end++;
		else if (*end == 'm')
			unit = 60 * 1000000000LL, end++;
		else if (*end == 'h')
			unit = 3600 * 1000000000LL, end++;
		else
			return -1;
		total += (int64_t)(v * (double)unit);
		s = end;
	}
	return total;
}

int events_parse_time(const char *s, int64_t now_ns_arg, int64_t *out)
{
	char *end;
	struct tm tm = {0};
	const char *p;
	int64_t d;

	if (!s || !*s)
		return -1;
	/* unix seconds, with an optional fraction (the API's form) */
	if (isdigit((unsigned char)s[0])) {
		long long secs = strtoll(s, &end, 10);
		if (*end == 0 || *end == '.') {
			int64_t frac = 0;
			int digits = 0;
			if (*end == '.') {
				for (end++; isdigit((unsigned char)*end); end++)
					if (digits < 9)
						frac = frac * 10 + (*end - '0'), digits++;
				if (*end)
					goto rfc3339;
				while (digits++ < 9)
					frac *= 10;
			}
			*out = (int64_t)secs * 1000000000LL + frac;
			return 0;
		}
	}
rfc3339:
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		p = strptime(s, "%Y-%m-%d", &tm);
	if (p) {
		int64_t frac = 0;
		int digits = 0;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				if (digits < 9)
					frac = frac * 10 + (*p - '0'), digits++;
		while (digits > 0 && digits++ < 9)
			frac *= 10;
		if (*p && *p != 'Z' && *p != '+' && *p != '-')
			return -1;
		*out = (int64_t)timegm(&tm) * 1000000000LL + frac;
		return 0;
	}
	d = parse_duration(s);
	if (d < 0)
		return -1;
	*out = now_ns_arg - d;
	return 0;
}

json_object *events_filters_from_args(char **kv)
{
	json_object *f = json_object_new_object();

	for (size_t i = 0; kv && kv[i]; i++) {
		const char *eq = strchr(kv[i], '=');
		_cleanup_free_ char *k = eq ? strndup(kv[i], (size_t)(eq - kv[i])) : xstrdup(kv[i]);
		json_object *list;
		if (!json_object_object_get_ex(f, k, &list)) {
			list = json_object_new_array();
			json_object_object_add(f, k, list);
		}
		json_object_array_add(list, json_object_new_string(eq ? eq + 1 : ""));
	}
	return f;
}
