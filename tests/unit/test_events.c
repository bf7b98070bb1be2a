/* Unit tests of the event log (src/events/) and the API's status mapping. */
#include <string.h>
#include <unistd.h>

#include "api/internal.h"
#include "db/db.h"
#include "events/events.h"
#include "test.h"
#include "util/json.h"
#include "util/util.h"

TEST(events_parse_time)
{
	int64_t t = 0, now = 2000 * 1000000000LL;

	CHECK(events_parse_time("1700000000", now, &t) == 0 && t == 1700000000LL * 1000000000LL);
	CHECK(events_parse_time("1700000000.5", now, &t) == 0 &&
	      t == 1700000000LL * 1000000000LL + 500000000);
	CHECK(events_parse_time("10s", now, &t) == 0 && t == now - 10 * 1000000000LL);
	CHECK(events_parse_time("1h30m", now, &t) == 0 && t == now - 5400 * 1000000000LL);
	CHECK(events_parse_time("2024-05-01T10:00:00.25Z", now, &t) == 0 &&
	      t == 1714557600LL * 1000000000LL + 250000000);
	CHECK(events_parse_time("yesterday", now, &t) < 0);
	CHECK(events_parse_time("", now, &t) < 0);
}

TEST(events_match_and_format)
{
	_cleanup_json_ json_object *attrs = json_object_new_object();
	char *filters_kv[] = {"type=container", "event=exec_start", "label=app=web", NULL};
	char *other_kv[] = {"container=other", NULL};
	_cleanup_json_ json_object *f = events_filters_from_args(filters_kv);
	_cleanup_json_ json_object *g = events_filters_from_args(other_kv);
	_cleanup_free_ char *line = NULL;
	struct events_event ev = {.seq = 1,
				  .time_ns = 1714557600LL * 1000000000LL + 5,
				  .type = "container",
				  .action = "exec_start: sh -c true",
				  .actor = "abcdef",
				  .attrs = attrs};

	json_object_object_add(attrs, "name", json_object_new_string("web1"));
	json_object_object_add(attrs, "app", json_object_new_string("web"));
	CHECK(events_match(&ev, NULL));
	CHECK(events_match(&ev, f));
	CHECK(!events_match(&ev, g));
	json_object_object_add(g, "container", json_object_new_array());
	json_object_array_add(json_object_object_get(g, "container"),
			      json_object_new_string("web1"));
	CHECK(events_match(&ev, g));
	CHECK(events_filters_check(f, NULL) == 0);
	line = events_to_line(&ev);
	CHECK_STR(line, "2024-05-01T10:00:00.000000005Z container exec_start: sh -c true abcdef "
			"(app=web, name=web1)");
}

static int count_cb(const struct events_event *ev, void *data)
{
	(*(int *)data)++;
	return 0;
}

TEST(events_log_is_bounded)
{
	char dir[] = "/tmp/hako-unit-events-XXXXXX";
	sqlite3 *db = NULL;
	int64_t n = 0, last = 0;
	struct events_query q = {0};
	int seen = 0;

	REQUIRE(mkdtemp(dir));
	REQUIRE(db_open(dir, &db, NULL) == 0);
	events_record(db, "volume", "create", "v", NULL);
	REQUIRE(db_begin_immediate(db, NULL) == 0);
	for (int i = 1; i < EVENTS_KEEP + 600; i++)
		events_record(db, "volume", "create", "v", NULL);
	REQUIRE(db_commit(db, NULL) == 0);
	CHECK(db_query_int64(db, "SELECT count(*) FROM events", NULL, NULL, &n, NULL) == 0);
	CHECK(n >= EVENTS_KEEP && n < EVENTS_KEEP + 256);
	/* a follower reads only what is after its sequence number */
	q.after_seq = EVENTS_KEEP + 590;
	CHECK(events_read(db, &q, count_cb, &seen, &last, NULL) == 0);
	CHECK(seen == 10);
	CHECK(last == EVENTS_KEEP + 600);
	db_close(db);
	rm_rf(dir, NULL);
}

TEST(api_status_of)
{
	CHECK(api_status_of("no such container: x", 0) == 404);
	CHECK(api_status_of("container web is not running", 0) == 409);
	CHECK(api_status_of("the name \"a\" is already in use", 0) == 409);
	CHECK(api_status_of("invalid container name", 0) == 400);
	CHECK(api_status_of("mount failed", 0) == 500);
	CHECK(api_status_of("mount failed", 501) == 501);
}
