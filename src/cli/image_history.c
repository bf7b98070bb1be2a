/* hako history IMAGE: the config's history with the layer sizes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/format.h"
#include "cli/image_common.h"
#include "image/image.h"
#include "util/json.h"
#include "util/util.h"

struct hist {
	char *created_by, *comment;
	int64_t created, size;
	bool empty;
};

int64_t image_parse_time(const char *s);

static int load_history(const struct image *img, struct hist **out, size_t *n,
			struct hk_error **err)
{
	_cleanup_json_ json_object *cfg = NULL;
	json_object *h = NULL;
	struct hist *v = NULL;
	size_t count = 0, layer = 0;

	if (json_parse("image config", img->config_json, strlen(img->config_json), &cfg, err) < 0)
		return -1;
	if (json_get_array(cfg, NULL, "history", &h, err) < 0)
		return -1;
	for (size_t i = 0; h && i < json_object_array_length(h); i++) {
		json_object *e = json_object_array_get_idx(h, i), *x;
		struct hist *r;
		v = xrealloc(v, (count + 1) * sizeof(*v));
		r = &v[count++];
		memset(r, 0, sizeof(*r));
		if (!json_object_is_type(e, json_type_object))
			continue;
		if (json_object_object_get_ex(e, "created_by", &x))
			r->created_by = xstrdup(json_object_get_string(x));
		if (json_object_object_get_ex(e, "comment", &x))
			r->comment = xstrdup(json_object_get_string(x));
		if (json_object_object_get_ex(e, "created", &x))
			r->created = image_parse_time(json_object_get_string(x));
		r->empty = json_object_object_get_ex(e, "empty_layer", &x) &&
			   json_object_get_boolean(x);
		if (!r->empty && layer < img->n_layers)
			r->size = img->layers[layer++].size;
	}
	/* No history: one line per layer. */
	for (; layer < img->n_layers; layer++) {
		v = xrealloc(v, (count + 1) * sizeof(*v));
		memset(&v[count], 0, sizeof(*v));
		v[count].created = img->created;
		v[count++].size = img->layers[layer].size;
	}
	*out = v;
	*n = count;
	return 0;
}

static int history_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"no-trunc", no_argument, NULL, 'T'},
					     {"quiet", no_argument, NULL, 'q'},
					     {"human", required_argument, NULL, 'H'},
					     {"format", required_argument, NULL, 'f'},
					     {}};
	_cleanup_image_store_ struct image_store *s = NULL;
	_cleanup_image_ struct image *img = NULL;
	struct hist *h = NULL;
	size_t n = 0, nrows = 0;
	char ***rows = NULL;
	bool no_trunc = false, quiet = false, human = true;
	static const char *const headers[] = {"ID", "IMAGE", "CreatedSince", "CREATED", NULL};
	const char *format = NULL;
	struct cli_format f = {0};
	int c;

	while ((c = getopt_long(argc, argv, "+qH:", opts, NULL)) != -1) {
		switch (c) {
		case 'T':
			no_trunc = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'H':
			human = !str_eq(optarg, "false");
			break;
		case 'f':
			format = optarg;
			break;
		default:
			return 125;
		}
	}
	if (argc - optind != 1)
		return hk_error_set(err, EINVAL, "history: requires exactly one IMAGE");
	if (cli_format_init(&f, format, headers, err) < 0)
		return hk_error_wrap(err, "history");
	if (f.kind == CLI_FORMAT_DEFAULT)
		format = NULL;
	if (cli_image_store(&s, err) < 0 || image_lookup(s, argv[optind], &img, err) < 0 ||
	    load_history(img, &h, &n, err) < 0) {
		cli_format_free(&f);
		return -1;
	}
	for (size_t k = n; k-- > 0;) {
		char id[16], ago[64], size[32];
		const char *shown =
			k == n - 1 ? (no_trunc ? img->id : cli_short_id(img->id, id)) : "<missing>";
		_cleanup_free_ char *by = xstrdup(h[k].created_by ? h[k].created_by : "");
		if (quiet) {
			printf("%s\n", shown);
			continue;
		}
		if (!no_trunc && strlen(by) > 45)
			strcpy(by + 44, "…");
		if (human) {
			cli_time_ago(h[k].created, ago, sizeof(ago));
			cli_human_size(h[k].size, size, sizeof(size));
		} else {
			cli_rfc3339(h[k].created, ago, sizeof(ago));
			snprintf(size, sizeof(size), "%lld", (long long)h[k].size);
		}
		if (format) {
			_cleanup_json_ json_object *j = json_object_new_object();
			json_object_object_add(j, "ID", json_object_new_string(shown));
			json_object_object_add(j, "CreatedSince", json_object_new_string(ago));
			json_object_object_add(j, "CreatedBy", json_object_new_string(by));
			json_object_object_add(j, "Size", json_object_new_string(size));
			json_object_object_add(
				j, "Comment",
				json_object_new_string(h[k].comment ? h[k].comment : ""));
			if (cli_format_row(&f, j, err) < 0)
				goto fail;
			continue;
		}
		rows = xrealloc(rows, (nrows + 1) * sizeof(*rows));
		rows[nrows] = xzalloc(6 * sizeof(char *));
		rows[nrows][0] = xstrdup(shown);
		rows[nrows][1] = xstrdup(ago);
		rows[nrows][2] = steal_ptr(&by);
		rows[nrows][3] = xstrdup(size);
		rows[nrows][4] = xstrdup(h[k].comment ? h[k].comment : "");
		nrows++;
	}
	if (!quiet && !format) {
		const char *hd[] = {"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"};
		cli_print_table(hd, 5, rows, nrows);
	}
	if (!quiet && cli_format_end(&f, err) < 0)
		goto fail;
	cli_rows_free(rows, nrows);
	for (size_t k = 0; k < n; k++) {
		free(h[k].created_by);
		free(h[k].comment);
	}
	free(h);
	cli_format_free(&f);
	return 0;
fail:
	cli_format_free(&f);
	cli_rows_free(rows, nrows);
	for (size_t k = 0; k < n; k++) {
		free(h[k].created_by);
		free(h[k].comment);
	}
	free(h);
	return -1;
}

static const struct hk_command cmd_history = {
	.name = "image history",
	.aliases = "history",
	.usage = "history [OPTIONS] IMAGE",
	.summary = "Show the history of an image",
	.help = "      --no-trunc    do not shorten\n"
		"  -q, --quiet       only image ids\n"
		"  -H, --human BOOL  human sizes and dates (default true)\n"
		"      --format F    'json', a Go template or 'table TEMPLATE' (docs/format.md)\n",
	.run = history_run,
};
HK_COMMAND(hako, cmd_history);
