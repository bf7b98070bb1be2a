/* hako images / hako image ls: Docker's image table. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "build/build.h"
#include "cli/command.h"
#include "cli/format.h"
#include "cli/image_common.h"
#include "util/json.h"
#include "util/util.h"

struct ls_opts {
	bool quiet, digests, no_trunc, all;
	const char *format;
	struct cli_format fmt;
	struct image_ref filter; /* domain set when a REPOSITORY[:TAG] was given */
	bool filter_tag;	 /* the filter named a tag */
};

/* "docker.io/library/busybox:latest" -> repository "busybox", tag "latest". */
static void split_tag(const char *full, char **repo, char **tag)
{
	_cleanup_free_ char *fam = image_ref_familiar(full);
	char *slash = strrchr(fam, '/'), *colon = strrchr(slash ? slash : fam, ':');

	if (colon) {
		*tag = xstrdup(colon + 1);
		*colon = '\0';
	} else {
		*tag = xstrdup("<none>");
	}
	*repo = xstrdup(fam);
}

static char *digest_for(const struct image *img, const char *full_tag)
{
	_cleanup_free_ char *name = xstrdup(full_tag);
	char *slash = strrchr(name, '/'), *colon = strrchr(slash ? slash : name, ':');

	if (colon)
		*colon = '\0';
	for (char **d = img->digests; d && *d; d++) {
		const char *at = strchr(*d, '@');
		if (at && (size_t)(at - *d) == strlen(name) && !strncmp(*d, name, strlen(name)))
			return xstrdup(at + 1);
	}
	return xstrdup("<none>");
}

static bool matches(const struct ls_opts *o, const char *full_tag)
{
	_cleanup_free_ char *name = NULL, *want = NULL;
	struct image_ref r;
	struct hk_error *e = NULL;
	bool ok;

	if (!o->filter.domain)
		return true;
	if (!full_tag || image_ref_parse(full_tag, &r, &e) < 0) {
		hk_error_free(&e);
		return false;
	}
	name = image_ref_name(&r);
	want = image_ref_name(&o->filter);
	ok = !strcmp(name, want) && (!o->filter_tag || str_eq(r.tag, o->filter.tag));
	image_ref_free(&r);
	return ok;
}

static int emit_row(const struct image *img, const char *repo, const char *tag, const char *digest,
		    struct ls_opts *o, struct hk_error **err)
{
	_cleanup_json_ json_object *j = json_object_new_object();
	char id[16], size[32], ago[64], at[64];

	cli_human_size(img->size, size, sizeof(size));
	cli_time_ago(img->created, ago, sizeof(ago));
	cli_rfc3339(img->created, at, sizeof(at));
	json_object_object_add(j, "Containers", json_object_new_string("N/A"));
	json_object_object_add(j, "CreatedAt", json_object_new_string(at));
	json_object_object_add(j, "CreatedSince", json_object_new_string(ago));
	json_object_object_add(j, "Digest", json_object_new_string(digest));
	json_object_object_add(
		j, "ID", json_object_new_string(o->no_trunc ? img->id : cli_short_id(img->id, id)));
	json_object_object_add(j, "Repository", json_object_new_string(repo));
	json_object_object_add(j, "Size", json_object_new_string(size));
	json_object_object_add(j, "Tag", json_object_new_string(tag));
	json_object_object_add(j, "VirtualSize", json_object_new_string(size));
	return cli_format_row(&o->fmt, j, err);
}

static int images_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"all", no_argument, NULL, 'a'},	  {"quiet", no_argument, NULL, 'q'},
		{"digests", no_argument, NULL, 'D'},	  {"no-trunc", no_argument, NULL, 'T'},
		{"format", required_argument, NULL, 'f'}, {}};
	_cleanup_image_store_ struct image_store *s = NULL;
	struct image **list = NULL;
	struct ls_opts o = {0};
	char ***rows = NULL;
	size_t n = 0, nrows = 0;
	_cleanup_strv_ char **seen = xzalloc(sizeof(char *));
	int c, r = 0;

	while ((c = getopt_long(argc, argv, "+aq", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o.all = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'D':
			o.digests = true;
			break;
		case 'T':
			o.no_trunc = true;
			break;
		case 'f':
			o.format = optarg;
			break;
		default:
			return 125;
		}
	}
	if (argc - optind > 1)
		return hk_error_set(err, EINVAL, "images: at most one REPOSITORY[:TAG]");
	static const char *const headers[] = {"ID", "IMAGE ID", "CreatedSince", "CREATED", NULL};
	if (cli_format_init(&o.fmt, o.format, headers, err) < 0)
		return hk_error_wrap(err, "images");
	if (o.fmt.kind == CLI_FORMAT_DEFAULT)
		o.format = NULL;
	if (optind < argc) {
		const char *a = argv[optind];
		const char *slash = strrchr(a, '/');
		o.filter_tag = strchr(slash ? slash : a, ':') != NULL;
		if (image_ref_parse(a, &o.filter, err) < 0) {
			cli_format_free(&o.fmt);
			return -1;
		}
	}
	if (cli_image_store(&s, err) < 0 || image_list(s, &list, &n, err) < 0) {
		cli_format_free(&o.fmt);
		image_ref_free(&o.filter);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct image *img = list[i];
		size_t ntags = strv_len(img->tags);
		/* a build step's result, untagged: shown with -a only, as
		 * Docker's intermediate images */
		if (!ntags && !o.all && build_cache_has_image(s->db, img->id))
			continue;
		for (size_t t = 0; t < (ntags ? ntags : 1); t++) {
			const char *full = ntags ? img->tags[t] : NULL;
			_cleanup_free_ char *repo = NULL, *tag = NULL, *digest = NULL;
			char id[16], size[32], ago[64];
			if (!matches(&o, full))
				continue;
			if (full) {
				split_tag(full, &repo, &tag);
				digest = digest_for(img, full);
			} else {
				repo = xstrdup("<none>");
				tag = xstrdup("<none>");
				digest = xstrdup(img->digests && img->digests[0]
							 ? strchr(img->digests[0], '@') + 1
							 : "<none>");
			}
			if (o.quiet) {
				const char *shown =
					o.no_trunc ? img->id : cli_short_id(img->id, id);
				bool dup = false;
				for (char **x = seen; *x; x++)
					dup = dup || !strcmp(*x, shown);
				if (!dup) {
					strv_push(&seen, shown);
					printf("%s\n", shown);
				}
				continue;
			}
			if (o.format) {
				r = emit_row(img, repo, tag, digest, &o, err);
				if (r < 0)
					goto out;
				continue;
			}
			cli_human_size(img->size, size, sizeof(size));
			cli_time_ago(img->created, ago, sizeof(ago));
			rows = xrealloc(rows, (nrows + 1) * sizeof(*rows));
			rows[nrows] = xzalloc(7 * sizeof(char *));
			rows[nrows][0] = steal_ptr(&repo);
			rows[nrows][1] = steal_ptr(&tag);
			if (o.digests)
				rows[nrows][2] = steal_ptr(&digest);
			else
				rows[nrows][2] = xstrdup("");
			rows[nrows][3] = xstrdup(o.no_trunc ? img->id : cli_short_id(img->id, id));
			rows[nrows][4] = xstrdup(ago);
			rows[nrows][5] = xstrdup(size);
			nrows++;
		}
	}
	if (!o.quiet && !o.format) {
		if (o.digests) {
			const char *h[] = {"REPOSITORY", "TAG",	    "DIGEST",
					   "IMAGE ID",	 "CREATED", "SIZE"};
			cli_print_table(h, 6, rows, nrows);
		} else {
			/* Drop the empty digest column. */
			const char *h[] = {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"};
			for (size_t i = 0; i < nrows; i++) {
				free(rows[i][2]);
				memmove(&rows[i][2], &rows[i][3], 4 * sizeof(char *));
			}
			cli_print_table(h, 5, rows, nrows);
		}
	}
	r = o.quiet ? 0 : cli_format_end(&o.fmt, err);
out:
	cli_format_free(&o.fmt);
	cli_rows_free(rows, nrows);
	image_list_free(list, n);
	image_ref_free(&o.filter);
	return r;
}

static const struct hk_command cmd_images = {
	.name = "image ls",
	.aliases = "images",
	.usage = "images [OPTIONS] [REPOSITORY[:TAG]]",
	.summary = "List images",
	.help = "  -a, --all          show all images (with the intermediate ones of builds)\n"
		"  -q, --quiet        only image ids\n"
		"      --digests      show digests\n"
		"      --no-trunc     full image ids\n"
		"      --format F     'table' (default), 'json' (one object a line), a Go\n"
		"                     template such as '{{.Repository}}:{{.Tag}}', or\n"
		"                     'table {{.Repository}}\\t{{.Size}}' (docs/format.md)\n",
	.run = images_run,
};
HK_COMMAND(hako, cmd_images);
