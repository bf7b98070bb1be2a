/* hako network ls: docker's columns, filters and --format. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/format.h"
#include "cli/image_common.h"
#include "cli/network_cli.h"
#include "util/json.h"
#include "util/util.h"

static const char *jstr(json_object *o, const char *k)
{
	const char *s = json_str(o, k);

	return s ? s : "";
}

static bool jbool(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

/* One of docker's filters: name= (substring), id= (prefix), driver=,
 * label=K or label=K=V, type=builtin|custom, dangling=true|false. */
static int filter_check(const char *f, struct hk_error **err)
{
	static const char *const keys[] = {
		"name=", "id=", "driver=", "label=", "type=", "dangling="};
	const char *v = strchr(f, '=');

	for (size_t i = 0; v && i < ARRAY_SIZE(keys); i++)
		if (str_has_prefix(f, keys[i])) {
			if (str_has_prefix(f, "type=") && !str_eq(v + 1, "builtin") &&
			    !str_eq(v + 1, "custom"))
				break;
			if (str_has_prefix(f, "dangling=") && !str_eq(v + 1, "true") &&
			    !str_eq(v + 1, "false") && !str_eq(v + 1, "1") && !str_eq(v + 1, "0"))
				break;
			return 0;
		}
	return hk_error_set(err, 0,
			    "network ls: invalid filter '%s' (name=, id=, driver=, label=K[=V], "
			    "type=builtin|custom, dangling=true|false)",
			    f);
}

static bool label_matches(json_object *n, const char *want)
{
	json_object *labels = NULL, *v;
	const char *eq = strchr(want, '=');
	_cleanup_free_ char *key = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);

	json_object_object_get_ex(n, "Labels", &labels);
	if (!json_object_object_get_ex(labels, key, &v))
		return false;
	return !eq || str_eq(json_object_get_string(v), eq + 1);
}

/* Filters of one key are OR'ed, different keys AND'ed (docker's rule). */
static bool matches(json_object *n, char **filters)
{
	static const char *const keys[] = {
		"name=", "id=", "driver=", "label=", "type=", "dangling="};

	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		bool seen = false, ok = false;
		for (char **f = filters; f && *f; f++) {
			const char *v = *f + strlen(keys[k]);
			json_object *ctrs = NULL;
			if (!str_has_prefix(*f, keys[k]))
				continue;
			seen = true;
			if (k == 0)
				ok |= strstr(jstr(n, "Name"), v) != NULL;
			else if (k == 1)
				ok |= str_has_prefix(jstr(n, "Id"), v);
			else if (k == 2)
				ok |= str_eq(jstr(n, "Driver"), v);
			else if (k == 3)
				ok |= label_matches(n, v);
			else if (k == 4)
				ok |= str_eq(v, "builtin") ==
				      str_eq(jstr(n, "Name"), NET_DEFAULT_NAME);
			else {
				bool dangling = str_eq(v, "true") || str_eq(v, "1");
				json_object_object_get_ex(n, "Containers", &ctrs);
				/* docker: the built-in networks never dangle */
				ok |= dangling == (!str_eq(jstr(n, "Name"), NET_DEFAULT_NAME) &&
						   json_object_object_length(ctrs) == 0);
			}
		}
		if (seen && !ok)
			return false;
	}
	return true;
}

/* The fields docker's `network ls --format` knows, for a template. */
static json_object *ls_row(json_object *n, bool trunc)
{
	json_object *row = json_object_new_object(), *labels = NULL;
	char created[64];
	_cleanup_free_ char *lbl = NULL;
	size_t len = 0;

	json_object_object_get_ex(n, "Labels", &labels);
	json_object_object_foreach(labels, k, v)
	{
		const char *s = json_object_get_string(v);
		lbl = xrealloc(lbl, len + strlen(k) + strlen(s) + 3);
		len += (size_t)sprintf(lbl + len, "%s%s=%s", len ? "," : "", k, s);
	}
	cli_rfc3339(json_object_get_int64(json_object_object_get(n, "Created")), created,
		    sizeof(created));
	json_object_object_add(row, "ID",
			       json_object_new_string_len(jstr(n, "Id"), trunc ? 12 : 64));
	json_object_object_add(row, "Name", json_object_new_string(jstr(n, "Name")));
	json_object_object_add(row, "Driver", json_object_new_string(jstr(n, "Driver")));
	json_object_object_add(row, "Scope", json_object_new_string("local"));
	json_object_object_add(row, "IPv6",
			       json_object_new_string(jbool(n, "EnableIPv6") ? "true" : "false"));
	json_object_object_add(row, "Internal",
			       json_object_new_string(jbool(n, "Internal") ? "true" : "false"));
	json_object_object_add(row, "Labels", json_object_new_string(lbl ? lbl : ""));
	json_object_object_add(row, "CreatedAt", json_object_new_string(created));
	json_object_object_add(row, "Subnet", json_object_new_string(jstr(n, "Subnet")));
	return row;
}

static int network_ls_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"quiet", no_argument, NULL, 'q'},
		{"filter", required_argument, NULL, 'f'},
		{"format", required_argument, NULL, 'F'},
		{"no-trunc", no_argument, NULL, 'T'},
		{0},
	};
	_cleanup_network_cli_ struct network_cli c = {0};
	_cleanup_json_ json_object *all = NULL;
	_cleanup_strv_ char **filters = NULL;
	static const char *const headers[] = {"ID", "NETWORK ID", NULL};
	const char *format = NULL;
	struct cli_format fmt = {0};
	bool quiet = false, trunc = true;
	int ch, r = 0;

	while ((ch = getopt_long(argc, argv, "+qf:", opts, NULL)) != -1) {
		switch (ch) {
		case 'q':
			quiet = true;
			break;
		case 'f':
			if (filter_check(optarg, err) < 0)
				return -1;
			strv_push(&filters, optarg);
			break;
		case 'F':
			format = optarg;
			break;
		case 'T':
			trunc = false;
			break;
		default:
			return hk_error_set(err, 0, "network ls: see 'hako network ls --help'");
		}
	}
	if (optind < argc)
		return hk_error_set(err, 0, "network ls: unexpected argument '%s'", argv[optind]);
	if (cli_format_init(&fmt, format, headers, err) < 0)
		return hk_error_wrap(err, "network ls");
	if (fmt.kind == CLI_FORMAT_DEFAULT)
		format = NULL;
	if (network_cli_open(&c, err) < 0 || net_repair(c.net, err) < 0 ||
	    net_ensure_default(c.net, err) < 0 || net_inspect(c.net, NULL, &all, err) < 0) {
		cli_format_free(&fmt);
		return hk_error_wrap(err, "network ls");
	}
	if (!quiet && !format)
		printf("%-*s  %-20s  %-7s  %-18s  %s\n", trunc ? 12 : 64, "NETWORK ID", "NAME",
		       "DRIVER", "SUBNET", "INTERNAL");
	for (size_t i = 0; i < json_object_array_length(all) && r == 0; i++) {
		json_object *n = json_object_array_get_idx(all, i);
		const char *id = jstr(n, "Id");
		if (!matches(n, filters))
			continue;
		if (quiet) {
			printf("%.*s\n", trunc ? 12 : 64, id);
		} else if (format) {
			_cleanup_json_ json_object *row = ls_row(n, trunc);
			r = cli_format_row(&fmt, row, err);
		} else {
			printf("%-*.*s  %-20s  %-7s  %-18s  %s\n", trunc ? 12 : 64, trunc ? 12 : 64,
			       id, jstr(n, "Name"), jstr(n, "Driver"), jstr(n, "Subnet"),
			       jbool(n, "Internal") ? "true" : "false");
		}
	}
	if (r == 0 && !quiet)
		r = cli_format_end(&fmt, err);
	cli_format_free(&fmt);
	return r < 0 ? hk_error_wrap(err, "network ls") : 0;
}

static const struct hk_command cmd_network_ls = {
	.name = "network ls",
	.aliases = "network list",
	.usage = "network ls [OPTIONS]",
	.summary = "List networks",
	.help = "  -q, --quiet          only the ids\n"
		"  -f, --filter K=V     name=, id=, driver=, label=K[=V], type=builtin|custom,\n"
		"                       dangling=true|false (repeatable: the same key ORs,\n"
		"                       different keys AND)\n"
		"      --format FMT     table (default), json (one object a line), a Go\n"
		"                       template or 'table TEMPLATE' (docs/format.md) over\n"
		"                       .ID .Name .Driver .Scope .IPv6 .Internal .Labels\n"
		"                       .CreatedAt .Subnet\n"
		"      --no-trunc       full ids\n",
	.run = network_ls_run,
};
HK_COMMAND(hako, cmd_network_ls);
