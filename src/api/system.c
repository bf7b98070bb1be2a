/* hako API service: /_ping, /version, /info, /events, /system/df, /auth. */
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "api/internal.h"
#include "db/db.h"
#include "events/events.h"
#include "util/json.h"
#include "util/util.h"

enum MHD_Result api_ping(struct api_req *r)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(2, (void *)"OK", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
	MHD_add_response_header(resp, "Cache-Control", "no-cache, no-store, must-revalidate");
	MHD_add_response_header(resp, "Pragma", "no-cache");
	MHD_add_response_header(resp, "Builder-Version", "1");
	return api_queue(r, MHD_HTTP_OK, resp);
}

enum MHD_Result api_version(struct api_req *r)
{
	json_object *o = json_object_new_object(), *comps = json_object_new_array();
	json_object *c = json_object_new_object(), *plat = json_object_new_object();
	struct utsname u;

	uname(&u);
	json_object_object_add(plat, "Name", json_object_new_string("hako"));
	json_object_object_add(o, "Platform", plat);
	json_object_object_add(c, "Name", json_object_new_string("Engine"));
	json_object_object_add(c, "Version", json_object_new_string(HAKO_VERSION));
	json_object_array_add(comps, c);
	json_object_object_add(o, "Components", comps);
	json_object_object_add(o, "Version", json_object_new_string(HAKO_VERSION));
	json_object_object_add(o, "ApiVersion", json_object_new_string(API_VERSION));
	json_object_object_add(o, "MinAPIVersion", json_object_new_string(API_MIN_VERSION));
	json_object_object_add(o, "GitCommit", json_object_new_string(""));
	json_object_object_add(o, "GoVersion", json_object_new_string("none (C)"));
	json_object_object_add(o, "Os", json_object_new_string("linux"));
	json_object_object_add(o, "Arch",
			       json_object_new_string(!strcmp(u.machine, "x86_64")    ? "amd64"
						      : !strcmp(u.machine, "aarch64") ? "arm64"
										      : u.machine));
	json_object_object_add(o, "KernelVersion", json_object_new_string(u.release));
	json_object_object_add(o, "BuildTime", json_object_new_string(""));
	{
		/* the docker CLI prints the Engine component's details */
		json_object *d = json_object_new_object();
		static const char *const keys[] = {"ApiVersion",    "Arch",	 "BuildTime",
						   "GitCommit",	    "GoVersion", "KernelVersion",
						   "MinAPIVersion", "Os"};
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
			json_object_object_add(d, keys[i],
					       json_object_get(json_object_object_get(o, keys[i])));
		json_object_object_add(d, "Experimental", json_object_new_string("false"));
		json_object_object_add(c, "Details", d);
	}
	return api_json(r, MHD_HTTP_OK, o);
}

enum MHD_Result api_info(struct api_req *r)
{
	struct engine *e = api_engine(r);
	struct hk_error *err = NULL;
	json_object *o;

	if (!e)
		return api_error(r, 500, "cannot open the engine");
	o = api_info_json(e, &err);
	if (!o) {
		enum MHD_Result ret = api_fail(r, err, 500);
		hk_error_free(&err);
		return ret;
	}
	return api_json(r, MHD_HTTP_OK, o);
}

enum MHD_Result api_auth(struct api_req *r)
{
	/* hako logs in per pull (hako login keeps the credentials); the CLI's
	 * check of a login succeeds without a token */
	json_object *o = json_object_new_object();
	json_object_object_add(o, "Status", json_object_new_string("Login Succeeded"));
	json_object_object_add(o, "IdentityToken", json_object_new_string(""));
	return api_json(r, MHD_HTTP_OK, o);
}

enum MHD_Result api_system_df(struct api_req *r)
{
	static char *const args[] = {"system", "df", "--format", "json", NULL};
	_cleanup_free_ char *out = NULL, *errs = NULL;
	json_object *o = json_object_new_object();
	int st = api_run(r->srv, args, &out, &errs);

	/* the summary of hako's own df; per-object lists as empty arrays */
	json_object_object_add(o, "LayersSize", json_object_new_int64(0));
	json_object_object_add(o, "Images", json_object_new_array());
	json_object_object_add(o, "Containers", json_object_new_array());
	json_object_object_add(o, "Volumes", json_object_new_array());
	json_object_object_add(o, "BuildCache", json_object_new_array());
	if (st != 0) {
		json_object_put(o);
		return api_error(r, 500, "system df: %s", errs ? errs : "failed");
	}
	return api_json(r, MHD_HTTP_OK, o);
}

/* ------------------------------------------------------------------ events */

struct ev_stream {
	struct MHD_Connection *conn;
	sqlite3 *db;
	struct events_query q;
	json_object *filters;
	char *pending;
	size_t plen, poff;
};

static int64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int collect(const struct events_event *ev, void *data)
{
	struct ev_stream *s = data;
	_cleanup_json_ json_object *o = events_to_json(ev);
	_cleanup_free_ char *line = json_to_string(o, false);
	size_t n = strlen(line);

	s->pending = xrealloc(s->pending, s->plen + n + 2);
	memcpy(s->pending + s->plen, line, n);
	s->plen += n;
	s->pending[s->plen++] = '\n';
	return 0;
}

static ssize_t ev_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct ev_stream *s = cls;

	while (s->poff == s->plen) {
		free(s->pending);
		s->pending = NULL;
		s->plen = s->poff = 0;
		if (events_read(s->db, &s->q, collect, s, &s->q.after_seq, NULL) < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (s->plen)
			break;
		if (s->q.until_ns && wall_ns() >= s->q.until_ns)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (api_client_gone(s->conn))
			return MHD_CONTENT_READER_END_WITH_ERROR;
		usleep(100 * 1000);
	}
	size_t n = s->plen - s->poff < max ? s->plen - s->poff : max;
	memcpy(buf, s->pending + s->poff, n);
	s->poff += n;
	return (ssize_t)n;
}

static void ev_free(void *cls)
{
	struct ev_stream *s = cls;
	db_close(s->db);
	json_object_put(s->filters);
	free(s->pending);
	free(s);
}

enum MHD_Result api_events(struct api_req *r)
{
	struct ev_stream *s = xzalloc(sizeof(*s));
	struct hk_error *err = NULL;
	struct MHD_Response *resp;
	const char *since = api_query(r, "since"), *until = api_query(r, "until");
	int64_t now = wall_ns();
	bool bad;

	s->conn = r->conn;
	s->filters = api_filters(r, &bad);
	if (bad || events_filters_check(s->filters, &err) < 0) {
		enum MHD_Result ret = api_error(
			r, 400, "%s", err ? hk_error_msg(err) : "invalid filters: not JSON");
		hk_error_free(&err);
		ev_free(s);
		return ret;
	}
	s->q.filters = s->filters;
	if ((since && *since && events_parse_time(since, now, &s->q.since_ns) < 0) ||
	    (until && *until && events_parse_time(until, now, &s->q.until_ns) < 0)) {
		ev_free(s);
		return api_error(r, 400, "invalid since/until: %s", since ? since : until);
	}
	/* without since: what happens from now on, as dockerd */
	if (!since || !*since)
		s->q.since_ns = now;
	if (db_open(r->srv->root, &s->db, &err) < 0) {
		enum MHD_Result ret = api_fail(r, err, 500);
		hk_error_free(&err);
		ev_free(s);
		return ret;
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, ev_read, s, ev_free);
	if (!resp) {
		ev_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	return api_queue(r, MHD_HTTP_OK, resp);
}
