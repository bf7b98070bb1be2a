/* hako volume create / ls / rm / inspect / prune. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "cli/format.h"
#include "util/json.h"
#include "util/util.h"

static json_object *volume_json(const struct engine_volume *v)
{
	json_object *o = json_object_new_object(), *labels = NULL;
	_cleanup_free_ char *created = engine_format_time(v->created);

	json_object_object_add(o, "CreatedAt", json_object_new_string(created));
	json_object_object_add(o, "Driver", json_object_new_string(v->driver));
	if (json_parse("labels", v->labels, strlen(v->labels), &labels, NULL) < 0)
		labels = json_object_new_object();
	json_object_object_add(o, "Labels", labels);
	json_object_object_add(o, "Mountpoint", json_object_new_string(v->mountpoint));
	json_object_object_add(o, "Name", json_object_new_string(v->name));
	json_object_object_add(o, "Options", json_object_new_object());
	json_object_object_add(o, "Scope", json_object_new_string("local"));
	return o;
}

static int vcreate_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"label", required_argument, NULL, 'l'},
					     {"driver", required_argument, NULL, 'd'},
					     {0}};
	_cleanup_strv_ char **labels = NULL;
	_cleanup_free_ char *name = NULL;
	struct engine e;
	int c, r;

	while ((c = getopt_long(argc, argv, "+l:d:", opts, NULL)) != -1) {
		if (c == 'l')
			strv_push(&labels, optarg);
		else if (c == 'd' && strcmp(optarg, "local"))
			return hk_error_set(err, 0, "volume create: only the local driver exists");
		else if (c != 'd')
			return hk_error_set(err, 0, "volume create: unknown flag");
	}
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	r = engine_volume_create(&e, optind < argc ? argv[optind] : NULL, labels, &name, err);
	engine_close(&e);
	if (r < 0)
		return -1;
	printf("%s\n", name);
	return 0;
}

static int vls_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"quiet", no_argument, NULL, 'q'}, {"format", required_argument, NULL, 'f'}, {0}};
	static const char *const headers[] = {"Name", "VOLUME NAME", NULL};
	struct engine_volume **list = NULL;
	const char *format = NULL;
	struct cli_format f;
	bool quiet = false;
	struct engine e;
	size_t n = 0;
	int c, r = 0;

	while ((c = getopt_long(argc, argv, "+q", opts, NULL)) != -1) {
		if (c == 'q')
			quiet = true;
		else if (c == 'f')
			format = optarg;
		else
			return hk_error_set(err, 0, "volume ls: unknown flag");
	}
	if (cli_format_init(&f, format, headers, err) < 0)
		return hk_error_wrap(err, "volume ls");
	if (f.kind == CLI_FORMAT_DEFAULT)
		format = NULL;
	if (ctr_engine_open(&e, err) < 0) {
		cli_format_free(&f);
		return -1;
	}
	if (engine_volume_list(&e, NULL, &list, &n, err) < 0) {
		engine_close(&e);
		cli_format_free(&f);
		return -1;
	}
	if (!quiet && !format)
		printf("%-10s%s\n", "DRIVER", "VOLUME NAME");
	for (size_t i = 0; i < n && r == 0; i++) {
		if (quiet) {
			printf("%s\n", list[i]->name);
		} else if (format) {
			json_object *o = volume_json(list[i]);
			r = cli_format_row(&f, o, err);
			json_object_put(o);
		} else {
			printf("%-10s%s\n", list[i]->driver, list[i]->name);
		}
	}
	if (r == 0 && !quiet)
		r = cli_format_end(&f, err);
	engine_volume_list_free(list, n);
	engine_close(&e);
	cli_format_free(&f);
	return r < 0 ? hk_error_wrap(err, "volume ls") : 0;
}

static int vrm_one(struct engine *e, const char *name, void *arg, struct hk_error **err)
{
	return engine_volume_remove(e, name, *(bool *)arg, err);
}

static int vrm_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {0}};
	bool force = false;
	int c;

	while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
		if (c != 'f')
			return hk_error_set(err, 0, "volume rm: unknown flag");
		force = true;
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "volume rm: requires at least 1 volume");
	return ctr_for_each(argc - optind, argv + optind, vrm_one, &force, err);
}

static int vinspect_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, {0}};
	_cleanup_json_ json_object *arr = json_object_new_array();
	const char *format = NULL;
	struct cli_format f = {0};
	struct engine e;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c != 'f')
			return hk_error_set(err, 0, "volume inspect: unknown flag");
		format = optarg;
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "volume inspect: requires at least 1 volume");
	if (str_eq(format, "json"))
		format = NULL;
	if (format && cli_format_init_template(&f, format, err) < 0)
		return hk_error_wrap(err, "volume inspect");
	if (ctr_engine_open(&e, err) < 0) {
		cli_format_free(&f);
		return -1;
	}
	for (int i = optind; i < argc; i++) {
		struct engine_volume **list = NULL;
		json_object *o;
		size_t n = 0;
		if (engine_volume_list(&e, argv[i], &list, &n, err) < 0) {
			hk_error_print(*err, "hako");
			hk_error_free(err);
			rc = 1;
			continue;
		}
		o = volume_json(list[0]);
		engine_volume_list_free(list, n);
		if (!format) {
			json_object_array_add(arr, o);
			continue;
		}
		int r = cli_format_row(&f, o, err);
		json_object_put(o);
		if (r < 0) {
			rc = hk_error_wrap(err, "volume inspect");
			break;
		}
	}
	if (!format) {
		_cleanup_free_ char *s = json_to_string(arr, true);
		printf("%s\n", s);
	}
	cli_format_free(&f);
	engine_close(&e);
	return rc;
}

static int vprune_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'}, {"all", no_argument, NULL, 'a'}, {0}};
	struct engine_volume **list = NULL;
	bool force = false, all = false;
	struct engine e;
	size_t n = 0;
	int c;

	while ((c = getopt_long(argc, argv, "+fa", opts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'a')
			all = true;
		else
			return hk_error_set(err, 0, "volume prune: unknown flag");
	}
	if (!force && !ctr_confirm(all ? "This will remove all volumes not used by a container.\n"
				       : "This will remove anonymous volumes not used by a "
					 "container.\n"))
		return 0;
	if (ctr_engine_open(&e, err) < 0)
		return -1;
	if (engine_volume_list(&e, NULL, &list, &n, err) < 0) {
		engine_close(&e);
		return -1;
	}
	printf("Deleted Volumes:\n");
	for (size_t i = 0; i < n; i++) {
		if (list[i]->users || (!all && !list[i]->anonymous))
			continue;
		if (engine_volume_remove(&e, list[i]->name, false, err) == 0)
			printf("%s\n", list[i]->name);
		hk_error_free(err);
	}
	engine_volume_list_free(list, n);
	engine_close(&e);
	return 0;
}

static const struct hk_command cmd_vcreate = {
	.name = "volume create",
	.usage = "volume create [--label K=V] [NAME]",
	.summary = "Create a named volume",
	.run = vcreate_run,
};
HK_COMMAND(hako, cmd_vcreate);

static const struct hk_command cmd_vls = {
	.name = "volume ls",
	.aliases = "volume list",
	.usage = "volume ls [-q] [--format json|TEMPLATE|'table TEMPLATE']",
	.summary = "List volumes",
	.run = vls_run,
};
HK_COMMAND(hako, cmd_vls);

static const struct hk_command cmd_vrm = {
	.name = "volume rm",
	.usage = "volume rm [-f] VOLUME...",
	.summary = "Remove volumes (refused while a container uses one, unless -f)",
	.run = vrm_run,
};
HK_COMMAND(hako, cmd_vrm);

static const struct hk_command cmd_vinspect = {
	.name = "volume inspect",
	.usage = "volume inspect [-f TEMPLATE] VOLUME...",
	.summary = "Show volumes as JSON (or a Go template per volume: docs/format.md)",
	.run = vinspect_run,
};
HK_COMMAND(hako, cmd_vinspect);

static const struct hk_command cmd_vprune = {
	.name = "volume prune",
	.usage = "volume prune [-f] [-a]",
	.summary = "Remove unused anonymous volumes (-a: all unused)",
	.run = vprune_run,
};
HK_COMMAND(hako, cmd_vprune);
