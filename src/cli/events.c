/* hako events: the event log (src/events/events.h) as `docker events`
 * prints it; follows new events until interrupted unless --until is given. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/format.h"
#include "db/db.h"
#include "events/events.h"
#include "util/json.h"
#include "util/util.h"

struct ev_out {
	struct cli_format f;
	bool json;
	struct hk_error **err;
	int rc;
};

/* The fields of Docker's events.Message as a Go template sees them. */
static json_object *template_row(const struct events_event *ev)
{
	json_object *o = events_to_json(ev), *v;
	static const char *const alias[][2] = {
		{"status", "Status"}, {"id", "ID"},	{"from", "From"},
		{"scope", "Scope"},   {"time", "Time"}, {"timeNano", "TimeNano"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(alias); i++)
		if (json_object_object_get_ex(o, alias[i][0], &v))
			json_object_object_add(o, alias[i][1], json_object_get(v));
	return o;
}

static int print_event(const struct events_event *ev, void *data)
{
	struct ev_out *out = data;

	if (out->json) {
		_cleanup_json_ json_object *o = events_to_json(ev);
		_cleanup_free_ char *s = json_to_string(o, false);
		printf("%s\n", s);
	} else if (out->f.kind != CLI_FORMAT_DEFAULT) {
		_cleanup_json_ json_object *o = template_row(ev);
		if (cli_format_row(&out->f, o, out->err) < 0) {
			out->rc = -1;
			return 1;
		}
	} else {
		_cleanup_free_ char *line = events_to_line(ev);
		printf("%s\n", line);
	}
	return 0;
}

static int64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int events_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"since", required_argument, NULL, 's'},
		{"until", required_argument, NULL, 'u'},
		{"filter", required_argument, NULL, 'f'},
		{"format", required_argument, NULL, 'F'},
		{0},
	};
	_cleanup_strv_ char **filters = NULL;
	_cleanup_json_ json_object *fobj = NULL;
	_cleanup_db_ sqlite3 *db = NULL;
	const char *since = NULL, *until = NULL, *format = NULL;
	struct events_query q = {0};
	struct ev_out out = {.err = err};
	int64_t now = wall_ns();
	int c;

	while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			since = optarg;
			break;
		case 'u':
			until = optarg;
			break;
		case 'f':
			strv_push(&filters, optarg);
			break;
		case 'F':
			format = optarg;
			break;
		default:
			return hk_error_set(err, 0, "events: see 'hako events --help'");
		}
	}
	if (optind != argc)
		return hk_error_set(err, 0, "events: accepts no arguments");
	if (since && events_parse_time(since, now, &q.since_ns) < 0)
		return hk_error_set(err, 0, "events: bad --since %s (a time or a duration)", since);
	if (until && events_parse_time(until, now, &q.until_ns) < 0)
		return hk_error_set(err, 0, "events: bad --until %s (a time or a duration)", until);
	fobj = events_filters_from_args(filters);
	if (events_filters_check(fobj, err) < 0)
		return hk_error_wrap(err, "events");
	q.filters = fobj;
	if (format && !strcmp(format, "json"))
		out.json = true;
	else if (format && cli_format_init_template(&out.f, format, err) < 0)
		return hk_error_wrap(err, "events");
	if (db_open(hk_globals.root, &db, err) < 0)
		return hk_error_wrap(err, "events");
	for (;;) {
		if (events_read(db, &q, print_event, &out, &q.after_seq, err) < 0 || out.rc < 0) {
			cli_format_free(&out.f);
			return hk_error_wrap(err, "events");
		}
		fflush(stdout);
		/* with --until, stop once that time has passed; without, follow */
		if (q.until_ns && wall_ns() >= q.until_ns)
			break;
		usleep(100 * 1000);
	}
	cli_format_free(&out.f);
	return 0;
}

static const struct hk_command cmd_events = {
	.name = "events",
	.aliases = "system events",
	.usage = "events [OPTIONS]",
	.summary = "Show the event log (containers, images, networks, volumes)",
	.help = "      --since TIME      events from this time (RFC3339, unix seconds or a\n"
		"                        duration before now: 10m, 1h)\n"
		"      --until TIME      events up to this time, then exit (without it: follow\n"
		"                        new events until interrupted)\n"
		"  -f, --filter K=V      type, event, container, image, label, network, volume\n"
		"                        (again for more; the same key twice means either)\n"
		"      --format FORMAT   json, or a Go template ({{.Type}} {{.Action}}\n"
		"                        {{.Actor.ID}} {{.Actor.Attributes.name}})\n",
	.run = events_run,
};
HK_COMMAND(hako, cmd_events);
