/* hako stats: live resource usage of containers, as `docker stats`.
 *
 * Every figure is read from the container's cgroup and network namespace
 * (engine_stats_read); CPU % needs two readings, so even --no-stream samples
 * twice, STATS_FIRST_MS apart.  Without --no-stream the table is redrawn every
 * second (clear screen + home, as Docker) until Ctrl-C or, when containers
 * were named, until none of them runs any more. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "cli/format.h"
#include "cli/image_common.h"
#include "util/json.h"
#include "util/util.h"

#define STATS_FIRST_MS 500
#define STATS_EVERY_MS 1000

struct sample {
	char *id, *name;
	struct engine_stats prev, cur;
	bool have_prev;
	bool seen; /* still there at the last refresh */
};

struct stats_opts {
	bool no_stream, no_trunc, all;
	const char *format; /* NULL or "table": the table; "json"; a template */
	char **names;
	int n_names;
};

static struct sample *find_sample(struct sample *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].id, id))
			return &v[i];
	return NULL;
}

/* The containers to show now: the named ones, or every running one (-a:
 * every one).  A named container that is gone is an error on the first
 * refresh and dropped later. */
static int refresh(struct engine *e, const struct stats_opts *o, struct sample **v, size_t *n,
		   bool first, struct hk_error **err)
{
	struct engine_container **list = NULL;
	size_t count = 0;

	for (size_t i = 0; i < *n; i++)
		(*v)[i].seen = false;
	if (o->n_names) {
		list = xzalloc((size_t)o->n_names * sizeof(*list));
		for (int i = 0; i < o->n_names; i++) {
			if (engine_lookup(e, o->names[i], &list[count], err) < 0) {
				if (first) {
					engine_list_free(list, count);
					return -1;
				}
				hk_error_free(err);
				continue;
			}
			count++;
		}
	} else if (engine_list(e, &list, &count, err) < 0) {
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		struct engine_container *c = list[i];
		struct sample *s;
		if (!o->n_names && !o->all && c->state != ENGINE_RUNNING &&
		    c->state != ENGINE_PAUSED)
			continue;
		s = find_sample(*v, *n, c->id);
		if (!s) {
			*v = xrealloc(*v, (*n + 1) * sizeof(**v));
			s = &(*v)[(*n)++];
			memset(s, 0, sizeof(*s));
			s->id = xstrdup(c->id);
		}
		free(s->name);
		s->name = xstrdup(c->name);
		s->seen = true;
		s->prev = s->cur;
		s->have_prev = s->cur.when_ns != 0;
		if (engine_stats_read(e, c, &s->cur, err) < 0) {
			engine_list_free(list, count);
			return -1;
		}
	}
	engine_list_free(list, count);
	return 0;
}

static json_object *sample_json(const struct sample *s, bool no_trunc)
{
	json_object *j = json_object_new_object();
	char a[32], b[32], buf[96];
	const struct engine_stats *st = &s->cur;
	double cpu = engine_stats_cpu_percent(s->have_prev ? &s->prev : NULL, st);
	double mem = st->mem_limit ? (double)st->mem_usage / (double)st->mem_limit * 100.0 : 0.0;

	cli_human_size((int64_t)st->blk_read, a, sizeof(a));
	cli_human_size((int64_t)st->blk_write, b, sizeof(b));
	snprintf(buf, sizeof(buf), "%s / %s", a, b);
	json_object_object_add(j, "BlockIO", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "%.2f%%", cpu);
	json_object_object_add(j, "CPUPerc", json_object_new_string(buf));
	json_object_object_add(j, "Container", json_object_new_string(no_trunc ? s->id : s->name));
	snprintf(buf, sizeof(buf), "%.12s", s->id);
	json_object_object_add(j, "ID", json_object_new_string(no_trunc ? s->id : buf));
	snprintf(buf, sizeof(buf), "%.2f%%", mem);
	json_object_object_add(j, "MemPerc", json_object_new_string(buf));
	cli_size_units((double)st->mem_usage, true, 4, a, sizeof(a));
	cli_size_units((double)st->mem_limit, true, 4, b, sizeof(b));
	snprintf(buf, sizeof(buf), "%s / %s", a, b);
	json_object_object_add(j, "MemUsage", json_object_new_string(buf));
	json_object_object_add(j, "Name", json_object_new_string(s->name));
	cli_human_size((int64_t)st->net_rx, a, sizeof(a));
	cli_human_size((int64_t)st->net_tx, b, sizeof(b));
	snprintf(buf, sizeof(buf), "%s / %s", a, b);
	json_object_object_add(j, "NetIO", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)st->pids);
	json_object_object_add(j, "PIDs", json_object_new_string(buf));
	return j;
}

static int print_frame(const struct stats_opts *o, struct sample *v, size_t n,
		       struct hk_error **err)
{
	static const char *const hd[] = {"CONTAINER ID",      "NAME",  "CPU %",
					 "MEM USAGE / LIMIT", "MEM %", "NET I/O",
					 "BLOCK I/O",	      "PIDS"};
	static const char *const keys[] = {"ID",      "Name",  "CPUPerc", "MemUsage",
					   "MemPerc", "NetIO", "BlockIO", "PIDs"};
	static const char *const headers[] = {
		"ID",	   "CONTAINER ID", "CPUPerc", "CPU %",	 "MemUsage", "MEM USAGE / LIMIT",
		"MemPerc", "MEM %",	   "NetIO",   "NET I/O", "BlockIO",  "BLOCK I/O",
		"PIDs",	   "PIDS",	   NULL};
	struct cli_format f;
	bool table;
	char ***rows = NULL;
	size_t nrows = 0;

	if (cli_format_init(&f, o->format, headers, err) < 0)
		return hk_error_wrap(err, "stats");
	table = f.kind == CLI_FORMAT_DEFAULT;

	for (size_t i = 0; i < n; i++) {
		_cleanup_json_ json_object *j = NULL;
		if (!v[i].seen)
			continue;
		j = sample_json(&v[i], o->no_trunc);
		if (table) {
			rows = xrealloc(rows, (nrows + 1) * sizeof(*rows));
			rows[nrows] = xzalloc((ARRAY_SIZE(keys) + 1) * sizeof(char *));
			for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
				json_object *x = NULL;
				json_object_object_get_ex(j, keys[k], &x);
				rows[nrows][k] = xstrdup(json_object_get_string(x));
			}
			nrows++;
		} else if (cli_format_row(&f, j, err) < 0) {
			cli_format_free(&f);
			return hk_error_wrap(err, "stats");
		}
	}
	if (table)
		cli_print_table(hd, ARRAY_SIZE(hd), rows, nrows);
	else if (cli_format_end(&f, err) < 0)
		return hk_error_wrap(err, "stats");
	cli_rows_free(rows, nrows);
	fflush(stdout);
	return 0;
}

static bool any_running(struct sample *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].seen && v[i].cur.running)
			return true;
	return false;
}

static void samples_free(struct sample *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].name);
	}
	free(v);
}

static int stats_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"no-stream", no_argument, NULL, 'S'},
					     {"no-trunc", no_argument, NULL, 'T'},
					     {"format", required_argument, NULL, 'f'},
					     {"all", no_argument, NULL, 'a'},
					     {}};
	struct stats_opts o = {0};
	struct sample *v = NULL;
	size_t n = 0;
	struct engine e;
	int c, r = -1;

	while ((c = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			o.no_stream = true;
			break;
		case 'T':
			o.no_trunc = true;
			break;
		case 'f':
			o.format = optarg;
			break;
		case 'a':
			o.all = true;
			break;
		default:
			return 125;
		}
	}
	o.names = argv + optind;
	o.n_names = argc - optind;
	if (o.format && strcmp(o.format, "table") && strcmp(o.format, "json") &&
	    !strstr(o.format, "{{"))
		return hk_error_set(err, EINVAL,
				    "stats: --format '%s': expected table, json or a template such "
				    "as '{{.Name}} {{.CPUPerc}}'",
				    o.format);
	{
		/* a bad template fails before any sampling */
		struct cli_format f;
		if (cli_format_init(&f, o.format, NULL, err) < 0)
			return hk_error_wrap(err, "stats");
		cli_format_free(&f);
	}
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	if (refresh(&e, &o, &v, &n, true, err) < 0) {
		/* Docker: "No such container" is exit status 1 */
		hk_error_print(*err, "hako");
		hk_error_free(err);
		r = 1;
		goto out;
	}
	sleep_ms(STATS_FIRST_MS);
	for (;;) {
		if (refresh(&e, &o, &v, &n, false, err) < 0)
			goto out;
		if (!o.no_stream)
			fputs("\033[2J\033[H", stdout);
		if (print_frame(&o, v, n, err) < 0)
			goto out;
		if (o.no_stream || (o.n_names && !any_running(v, n)))
			break;
		sleep_ms(STATS_EVERY_MS);
	}
	r = 0;
out:
	samples_free(v, n);
	engine_close(&e);
	return r;
}

static const struct hk_command cmd_stats = {
	.name = "stats",
	.aliases = "container stats",
	.usage = "stats [OPTIONS] [CONTAINER...]",
	.summary = "Show a live stream of containers' resource usage",
	.help = "  -a, --all          every container (default: the running ones)\n"
		"      --no-stream    print one sample and exit\n"
		"      --no-trunc     full container ids\n"
		"      --format F     table (default), json (one object a line), a Go template\n"
		"                     or 'table TEMPLATE' (docs/format.md) over {{.ID}}\n"
		"                     {{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.MemPerc}}\n"
		"                     {{.NetIO}} {{.BlockIO}} {{.PIDs}}\n"
		"Figures come from the container's cgroup (v1, v2 or hybrid) and network\n"
		"namespace; CPU % is CPU time over wall time x 100 (200% = two busy CPUs);\n"
		"LIMIT is the memory limit or, without one, the host's memory.\n",
	.run = stats_run,
};
HK_COMMAND(hako, cmd_stats);
