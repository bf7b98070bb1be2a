/* hako logs: print a container's log (-f to follow). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "util/util.h"

/* RFC3339, a unix time (seconds[.frac]) or a duration back from now (10m). */
static int parse_when(const char *s, int64_t *out)
{
	struct tm tm = {0};
	char *end;
	double d;

	if (strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) || strptime(s, "%Y-%m-%d", &tm)) {
		char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
		if (!p) {
			memset(&tm, 0, sizeof(tm));
			strptime(s, "%Y-%m-%d", &tm);
		}
		*out = (int64_t)timegm(&tm) * 1000000000LL;
		return 0;
	}
	d = strtod(s, &end);
	if (end == s || d < 0)
		return -1;
	if (!*end) {
		*out = (int64_t)(d * 1e9);
		return 0;
	}
	double mult = !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 : !strcmp(end, "h") ? 3600 : 0;
	if (!strcmp(end, "ms"))
		mult = 0.001;
	if (!mult)
		return -1;
	*out = engine_now() - (int64_t)(d * mult * 1e9);
	return 0;
}

static int logs_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"follow", no_argument, NULL, 'f'},	 {"timestamps", no_argument, NULL, 't'},
		{"tail", required_argument, NULL, 'n'},	 {"since", required_argument, NULL, 'S'},
		{"until", required_argument, NULL, 'U'}, {0}};
	struct engine_logs_opts o = {.tail = -1};
	struct engine e;
	long long n;
	int c, r;

	while ((c = getopt_long(argc, argv, "+ftn:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o.follow = true;
			break;
		case 't':
			o.timestamps = true;
			break;
		case 'n':
			if (!strcmp(optarg, "all"))
				o.tail = -1;
			else if (parse_ll(optarg, 0, 1 << 30, &n) < 0)
				return hk_error_set(err, 0, "logs: invalid --tail value '%s'",
						    optarg);
			else
				o.tail = n;
			break;
		case 'S':
			if (parse_when(optarg, &o.since) < 0)
				return hk_error_set(err, 0, "logs: invalid --since value '%s'",
						    optarg);
			break;
		case 'U':
			if (parse_when(optarg, &o.until) < 0)
				return hk_error_set(err, 0, "logs: invalid --until value '%s'",
						    optarg);
			break;
		default:
			return hk_error_set(err, 0, "logs: unknown flag; see 'hako logs --help'");
		}
	}
	if (optind != argc - 1)
		return hk_error_set(err, 0, "logs: requires exactly 1 container");
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	r = engine_logs(&e, argv[optind], &o, err);
	engine_close(&e);
	return r < 0 ? -1 : 0;
}

static const struct hk_command cmd_logs = {
	.name = "logs",
	.aliases = "container logs",
	.usage = "logs [OPTIONS] CONTAINER",
	.summary = "Print a container's logs",
	.help = "  -f, --follow         keep printing new output until the container stops\n"
		"  -t, --timestamps     prefix each line with its time\n"
		"  -n, --tail N         only the last N lines\n"
		"      --since WHEN     from WHEN (RFC3339, unix time, or 10m back)\n"
		"      --until WHEN     up to WHEN\n",
	.run = logs_run,
};
HK_COMMAND(hako, cmd_logs);
