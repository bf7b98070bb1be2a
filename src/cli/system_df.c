/* hako system df [-v] [--format json|TEMPLATE]: disk usage of images,
 * containers and volumes, as `docker system df` (engine_disk_usage). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "build/build.h"
#include "cli/command.h"
#include "cli/ctr_common.h"
#include "cli/format.h"
#include "cli/image_common.h"
#include "util/json.h"
#include "util/util.h"

/* Docker's units.HumanSize: decimal units, 4 significant digits. */
static void human4(int64_t b, char *buf, size_t len)
{
	cli_size_units((double)b, false, 4, buf, len);
}

static char *reclaimable(int64_t r, int64_t total)
{
	char h[32];

	human4(r, h, sizeof(h));
	if (total <= 0)
		return xstrdup(h);
	return xasprintf("%s (%lld%%)", h, (long long)(r * 100 / total));
}

static json_object *row_json(const char *type, size_t total, size_t active, int64_t size,
			     int64_t recl)
{
	json_object *j = json_object_new_object();
	char h[32];
	_cleanup_free_ char *rc = reclaimable(recl, size);

	json_object_object_add(j, "Type", json_object_new_string(type));
	json_object_object_add(j, "TotalCount", json_object_new_int64((int64_t)total));
	json_object_object_add(j, "Active", json_object_new_int64((int64_t)active));
	human4(size, h, sizeof(h));
	json_object_object_add(j, "Size", json_object_new_string(h));
	json_object_object_add(j, "Reclaimable", json_object_new_string(rc));
	/* hako: the exact figures (apparent bytes) */
	json_object_object_add(j, "SizeBytes", json_object_new_int64(size));
	json_object_object_add(j, "ReclaimableBytes", json_object_new_int64(recl));
	return j;
}

static void push_row(char ****rows, size_t *n, json_object *j)
{
	static const char *const keys[] = {"Type", "TotalCount", "Active", "Size", "Reclaimable"};
	*rows = xrealloc(*rows, (*n + 1) * sizeof(**rows));
	(*rows)[*n] = xzalloc((ARRAY_SIZE(keys) + 1) * sizeof(char *));
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		json_object *x = NULL;
		json_object_object_get_ex(j, keys[k], &x);
		(*rows)[*n][k] = xstrdup(json_object_get_string(x));
	}
	(*n)++;
}

static void split_tag(const char *full, char **repo, char **tag)
{
	_cleanup_free_ char *fam = image_ref_familiar(full);
	char *colon = strrchr(fam, ':');

	if (colon && !strchr(colon, '/')) {
		*repo = xstrndup(fam, (size_t)(colon - fam));
		*tag = xstrdup(colon + 1);
	} else {
		*repo = xstrdup(fam);
		*tag = xstrdup("<none>");
	}
}

static void print_verbose(const struct engine_df *df)
{
	char ***rows = NULL;
	size_t n = 0;

	printf("Images space usage:\n\n");
	for (size_t i = 0; i < df->n_images; i++) {
		const struct engine_df_image *im = &df->images[i];
		size_t ntags = strv_len(im->tags);
		for (size_t t = 0; t < (ntags ? ntags : 1); t++) {
			char id[16], ago[64], s1[32], s2[32], s3[32];
			char *repo, *tag;
			if (ntags) {
				split_tag(im->tags[t], &repo, &tag);
			} else {
				repo = xstrdup("<none>");
				tag = xstrdup("<none>");
			}
			cli_time_ago(im->created, ago, sizeof(ago));
			human4(im->size, s1, sizeof(s1));
			human4(im->shared, s2, sizeof(s2));
			human4(im->unique, s3, sizeof(s3));
			rows = xrealloc(rows, (n + 1) * sizeof(*rows));
			rows[n] = xzalloc(9 * sizeof(char *));
			rows[n][0] = repo;
			rows[n][1] = tag;
			rows[n][2] = xstrdup(cli_short_id(im->id, id));
			rows[n][3] = xstrdup(ago);
			rows[n][4] = xstrdup(s1);
			rows[n][5] = xstrdup(s2);
			rows[n][6] = xstrdup(s3);
			rows[n][7] = xasprintf("%d", im->containers);
			n++;
		}
	}
	{
		const char *hd[] = {"REPOSITORY", "TAG",	 "IMAGE ID",	"CREATED",
				    "SIZE",	  "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS"};
		cli_print_table(hd, 8, rows, n);
	}
	cli_rows_free(rows, n);
	rows = NULL;
	n = 0;
	printf("\nContainers space usage:\n\n");
	for (size_t i = 0; i < df->n_containers; i++) {
		const struct engine_df_container *c = &df->containers[i];
		char ago[64], s[32];
		_cleanup_free_ char *cmd = xasprintf("\"%s\"", c->command ? c->command : "");
		if (strlen(cmd) > 20)
			strcpy(cmd + 19, "…");
		cli_time_ago(c->created / 1000000000, ago, sizeof(ago));
		human4(c->size, s, sizeof(s));
		rows = xrealloc(rows, (n + 1) * sizeof(*rows));
		rows[n] = xzalloc(9 * sizeof(char *));
		rows[n][0] = xasprintf("%.12s", c->id);
		rows[n][1] = xstrdup(c->image);
		rows[n][2] = xstrdup(cmd);
		rows[n][3] = xasprintf("%d", c->volumes);
		rows[n][4] = xstrdup(s);
		rows[n][5] = xstrdup(ago);
		rows[n][6] = xstrdup(c->status ? c->status : "");
		rows[n][7] = xstrdup(c->name);
		n++;
	}
	{
		const char *hd[] = {"CONTAINER ID", "IMAGE",   "COMMAND", "LOCAL VOLUMES",
				    "SIZE",	    "CREATED", "STATUS",  "NAMES"};
		cli_print_table(hd, 8, rows, n);
	}
	cli_rows_free(rows, n);
	rows = NULL;
	n = 0;
	printf("\nLocal Volumes space usage:\n\n");
	for (size_t i = 0; i < df->n_volumes; i++) {
		char s[32];
		human4(df->volumes[i].size, s, sizeof(s));
		rows = xrealloc(rows, (n + 1) * sizeof(*rows));
		rows[n] = xzalloc(4 * sizeof(char *));
		rows[n][0] = xstrdup(df->volumes[i].name);
		rows[n][1] = xasprintf("%d", df->volumes[i].links);
		rows[n][2] = xstrdup(s);
		n++;
	}
	{
		const char *hd[] = {"VOLUME NAME", "LINKS", "SIZE"};
		cli_print_table(hd, 3, rows, n);
	}
	cli_rows_free(rows, n);
	printf("\nBuild cache usage: 0B\n\n");
	{
		const char *hd[] = {"CACHE ID",	 "CACHE TYPE", "SIZE",	"CREATED",
				    "LAST USED", "USAGE",      "SHARED"};
		cli_print_table(hd, 7, NULL, 0);
	}
}

static int df_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"verbose", no_argument, NULL, 'v'}, {"format", required_argument, NULL, 'f'}, {}};
	struct engine_df df;
	struct engine e;
	static const char *const headers[] = {"TotalCount", "TOTAL", NULL};
	const char *format = NULL;
	struct cli_format f = {0};
	bool verbose = false;
	json_object *j[4];
	char ***rows = NULL;
	size_t nrows = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "+v", opts, NULL)) != -1) {
		if (c == 'v')
			verbose = true;
		else if (c == 'f')
			format = optarg;
		else
			return 125;
	}
	if (optind != argc)
		return hk_error_set(err, EINVAL, "system df: takes no arguments");
	if (cli_format_init(&f, format, headers, err) < 0)
		return hk_error_wrap(err, "system df");
	if (ctr_engine_open(&e, err) < 0) {
		cli_format_free(&f);
		return -1;
	}
	r = engine_disk_usage(&e, &df, err);
	engine_close(&e);
	if (r < 0) {
		cli_format_free(&f);
		return -1;
	}
	j[0] = row_json("Images", df.n_images, df.images_active, df.images_size,
			df.images_reclaimable);
	j[1] = row_json("Containers", df.n_containers, df.containers_active, df.containers_size,
			df.containers_reclaimable);
	j[2] = row_json("Local Volumes", df.n_volumes, df.volumes_active, df.volumes_size,
			df.volumes_reclaimable);
	{
		/* the build cache's intermediate images: their own (top) layers */
		int64_t n_cache = 0, cache_size = 0, cache_recl = 0;
		struct hk_error *e2 = NULL;
		if (build_cache_usage(hk_globals.root, &n_cache, &cache_size, &cache_recl, &e2) < 0)
			hk_error_free(&e2);
		j[3] = row_json("Build Cache", (size_t)n_cache, 0, cache_size, cache_recl);
	}
	r = 0;
	if (verbose && f.kind == CLI_FORMAT_DEFAULT) {
		print_verbose(&df);
	} else if (f.kind != CLI_FORMAT_DEFAULT) {
		for (size_t i = 0; i < 4 && r == 0; i++)
			r = cli_format_row(&f, j[i], err);
		if (r == 0)
			r = cli_format_end(&f, err);
		if (r < 0)
			r = hk_error_wrap(err, "system df");
	} else {
		const char *hd[] = {"TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"};
		for (size_t i = 0; i < 4; i++)
			push_row(&rows, &nrows, j[i]);
		cli_print_table(hd, 5, rows, nrows);
		cli_rows_free(rows, nrows);
	}
	for (size_t i = 0; i < 4; i++)
		json_object_put(j[i]);
	engine_df_free(&df);
	cli_format_free(&f);
	return r;
}

static const struct hk_command cmd_system_df = {
	.name = "system df",
	.usage = "system df [OPTIONS]",
	.summary = "Show the disk space used by images, containers and volumes",
	.help = "  -v, --verbose     one line per image, container and volume\n"
		"      --format F    json (one object a line, with the exact SizeBytes and\n"
		"                    ReclaimableBytes), a Go template ({{.Type}} {{.Size}} ...)\n"
		"                    or 'table TEMPLATE' (docs/format.md)\n"
		"Sizes are apparent bytes, as `du -sb` (every entry's size, hard links once):\n"
		"images = their unpacked layers, each shared layer once; containers = their\n"
		"writable layers; volumes = their data.  RECLAIMABLE: images no container\n"
		"uses, stopped containers, volumes no container uses.\n",
	.run = df_run,
};
HK_COMMAND(hako, cmd_system_df);
