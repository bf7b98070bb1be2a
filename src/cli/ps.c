/* hako ps: list containers, in Docker's columns and words. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "cli/format.h"
#include "util/json.h"
#include "util/util.h"

static bool label_match(const struct engine_container *c, const char *want)
{
	json_object *cfg = NULL, *labels = NULL, *v;
	const char *eq = strchr(want, '=');
	_cleanup_free_ char *k = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);

	json_object_object_get_ex(c->config, "Config", &cfg);
	json_object_object_get_ex(cfg, "Labels", &labels);
	if (!json_object_object_get_ex(labels, k, &v))
		return false;
	return !eq || !strcmp(json_object_get_string(v), eq + 1);
}

static bool matches(const struct engine_container *c, char **filters)
{
	for (char **f = filters; f && *f; f++) {
		const char *eq = strchr(*f, '=');
		const char *val = eq + 1;
		if (str_has_prefix(*f, "name=") && !strstr(c->name, val))
			return false;
		if (str_has_prefix(*f, "id=") && !str_has_prefix(c->id, val))
			return false;
		if (str_has_prefix(*f, "status=") && strcmp(engine_state_name(c->state), val))
			return false;
		if (str_has_prefix(*f, "label=") && !label_match(c, val))
			return false;
		if (str_has_prefix(*f, "ancestor=") && strcmp(c->image, val) &&
		    !str_has_prefix(c->image_id, val))
			return false;
		if (str_has_prefix(*f, "exited=") &&
		    (c->state != ENGINE_EXITED || c->exit_code != atoi(val)))
			return false;
	}
	return true;
}

static json_object *row_json(struct engine *e, const struct engine_container *c, int64_t now,
			     bool trunc)
{
	json_object *o = json_object_new_object(), *cfg = NULL, *labels = NULL;
	_cleanup_free_ char *cmd = engine_command_string(c);
	_cleanup_free_ char *status = engine_status_string(c, now);
	_cleanup_free_ char *ago = engine_human_duration(now - c->created);
	_cleanup_free_ char *running_for = xasprintf("%s ago", ago);
	_cleanup_free_ char *created = engine_format_time(c->created);
	_cleanup_free_ char *ports = engine_ports_summary(e, c);
	_cleanup_free_ char *qcmd = NULL;
	_cleanup_free_ char *lab = NULL;

	if (trunc && strlen(cmd) > 20)
		qcmd = xasprintf("\"%.19s…\"", cmd);
	else
		qcmd = xasprintf("\"%s\"", cmd);
	json_object_object_get_ex(c->config, "Config", &cfg);
	json_object_object_get_ex(cfg, "Labels", &labels);
	{
		size_t cap = 16, len = 0;
		lab = xzalloc(cap);
		json_object_object_foreach(labels, k, v)
		{
			const char *s = json_object_get_string(v);
			size_t need = strlen(k) + strlen(s) + 3;
			if (len + need >= cap) {
				cap = (len + need) * 2;
				lab = xrealloc(lab, cap);
			}
			len += (size_t)snprintf(lab + len, cap - len, "%s%s=%s", len ? "," : "", k,
						s);
		}
	}
	json_object_object_add(o, "ID", json_object_new_string_len(c->id, trunc ? 12 : 64));
	json_object_object_add(o, "Image", json_object_new_string(c->image));
	json_object_object_add(o, "Command", json_object_new_string(qcmd));
	json_object_object_add(o, "CreatedAt", json_object_new_string(created));
	json_object_object_add(o, "RunningFor", json_object_new_string(running_for));
	json_object_object_add(o, "Status", json_object_new_string(status));
	json_object_object_add(o, "State", json_object_new_string(engine_state_name(c->state)));
	json_object_object_add(o, "Ports", json_object_new_string(ports));
	json_object_object_add(o, "Names", json_object_new_string(c->name));
	json_object_object_add(o, "Labels", json_object_new_string(lab));
	return o;
}

static int ps_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"all", no_argument, NULL, 'a'},	  {"quiet", no_argument, NULL, 'q'},
		{"latest", no_argument, NULL, 'l'},	  {"no-trunc", no_argument, NULL, 'T'},
		{"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
		{"last", required_argument, NULL, 'n'},	  {0}};
	static const char *const cols[] = {"ID",     "Image", "Command", "RunningFor",
					   "Status", "Ports", "Names"};
	static const char *const heads[] = {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
					    "STATUS",	    "PORTS", "NAMES"};
	static const char *const headers[] = {"ID", "CONTAINER ID", "RunningFor", "CREATED", NULL};
	bool all = false, quiet = false, latest = false, trunc = true;
	struct cli_format fmt;
	_cleanup_strv_ char **filters = NULL;
	const char *format = NULL;
	struct engine_container **list = NULL;
	json_object *rows;
	size_t n = 0, width[7];
	long long last = -1;
	struct engine e;
	int64_t now;
	int c;

	while ((c = getopt_long(argc, argv, "+aqlf:n:", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'l':
			latest = true;
			break;
		case 'T':
			trunc = false;
			break;
		case 'n':
			if (parse_ll(optarg, 0, 1 << 30, &last) < 0)
				return hk_error_set(err, 0, "ps: invalid --last value '%s'",
						    optarg);
			break;
		case 'f': {
			static const char *const keys[] = {
				"name=", "id=", "status=", "label=", "ancestor=", "exited="};
			bool ok = false;
			for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
				ok |= str_has_prefix(optarg, keys[i]);
			if (!ok)
				return hk_error_set(err, 0,
						    "ps: invalid filter '%s' (name=, id=, status=, "
						    "label=, ancestor=, exited=)",
						    optarg);
			if (str_has_prefix(optarg, "status=") || str_has_prefix(optarg, "exited="))
				all = true;
			strv_push(&filters, optarg);
			break;
		}
		case 'F':
			format = optarg;
			break;
		default:
			return hk_error_set(err, 0, "ps: unknown flag; see 'hako ps --help'");
		}
	}
	if (latest || last >= 0)
		all = true;
	if (cli_format_init(&fmt, format, headers, err) < 0)
		return hk_error_wrap(err, "ps");
	if (ctr_engine_open(&e, err) < 0) {
		cli_format_free(&fmt);
		return -1;
	}
	if (engine_list(&e, &list, &n, err) < 0) {
		engine_close(&e);
		cli_format_free(&fmt);
		return -1;
	}
	now = engine_now();
	rows = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct engine_container *ct = list[i];
		bool live = ct->state == ENGINE_RUNNING || ct->state == ENGINE_PAUSED ||
			    ct->state == ENGINE_RESTARTING;
		if (!all && !live)
			continue;
		if (!matches(ct, filters))
			continue;
		if (latest && json_object_array_length(rows) >= 1)
			break;
		if (last >= 0 && (long long)json_object_array_length(rows) >= last)
			break;
		json_object_array_add(rows, row_json(&e, ct, now, trunc));
	}
	engine_list_free(list, n);
	engine_close(&e);
	n = json_object_array_length(rows);
	if (quiet) {
		for (size_t i = 0; i < n; i++) {
			json_object *v;
			json_object_object_get_ex(json_object_array_get_idx(rows, i), "ID", &v);
			printf("%s\n", json_object_get_string(v));
		}
	} else if (fmt.kind != CLI_FORMAT_DEFAULT) {
		int r = 0;
		for (size_t i = 0; i < n && r == 0; i++)
			r = cli_format_row(&fmt, json_object_array_get_idx(rows, i), err);
		if (r == 0)
			r = cli_format_end(&fmt, err);
		if (r < 0) {
			json_object_put(rows);
			cli_format_free(&fmt);
			return hk_error_wrap(err, "ps");
		}
	} else {
		for (size_t k = 0; k < 7; k++)
			width[k] = strlen(heads[k]);
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < 7; k++) {
				json_object *v;
				json_object_object_get_ex(json_object_array_get_idx(rows, i),
							  cols[k], &v);
				/* "…" is one column but three bytes */
				size_t l = strlen(json_object_get_string(v));
				if (strstr(json_object_get_string(v), "…"))
					l -= 2;
				if (l > width[k])
					width[k] = l;
			}
		for (size_t k = 0; k < 7; k++) {
			if (k < 6)
				printf("%-*s   ", (int)width[k], heads[k]);
			else
				printf("%s\n", heads[k]);
		}
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < 7; k++) {
				json_object *v;
				json_object_object_get_ex(json_object_array_get_idx(rows, i),
							  cols[k], &v);
				const char *s = json_object_get_string(v);
				int pad = (int)width[k] + (strstr(s, "…") ? 2 : 0);
				if (k < 6)
					printf("%-*s   ", pad, s);
				else
					printf("%s\n", s);
			}
	}
	json_object_put(rows);
	cli_format_free(&fmt);
	return 0;
}

static const struct hk_command cmd_ps = {
	.name = "ps",
	.aliases = "container ls, container list",
	.usage = "ps [OPTIONS]",
	.summary = "List containers",
	.help = "  -a, --all             all containers (default: running ones)\n"
		"  -q, --quiet           ids only\n"
		"  -l, --latest          the newest container only\n"
		"  -n, --last N          the N newest\n"
		"      --no-trunc        full ids and commands\n"
		"  -f, --filter K=V      name=, id=, status=, label=K[=V], ancestor=, exited=\n"
		"      --format FMT      table (default), json, a Go template such as\n"
		"                        '{{.Names}}: {{.Status}}', or 'table "
		"{{.Names}}\\t{{.Status}}'\n"
		"                        (docs/format.md)\n",
	.run = ps_run,
};
HK_COMMAND(hako, cmd_ps);
