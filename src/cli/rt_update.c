/* hako-runtime update: --resources FILE|- and runc's (and crun's) flags for
 * one value each; a flag wins over the same value in the file, as with runc. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/rt_common.h"
#include "cli/runtime_cli.h"
#include "util/json.h"
#include "util/util.h"

enum value_kind { V_INT, V_BYTES, V_STRING };

/* The flags: where each value goes in linux.resources, and its kind. */
static const struct update_flag {
	const char *name, *section, *key;
	enum value_kind kind;
} update_flags[] = {
	{"memory", "memory", "limit", V_BYTES},
	{"memory-reservation", "memory", "reservation", V_BYTES},
	{"memory-swap", "memory", "swap", V_BYTES},
	{"kernel-memory", "memory", "kernel", V_BYTES},
	{"kernel-memory-tcp", "memory", "kernelTCP", V_BYTES},
	{"cpu-period", "cpu", "period", V_INT},
	{"cpu-quota", "cpu", "quota", V_INT},
	{"cpu-share", "cpu", "shares", V_INT},
	{"cpu-rt-period", "cpu", "realtimePeriod", V_INT},
	{"cpu-rt-runtime", "cpu", "realtimeRuntime", V_INT},
	{"cpuset-cpus", "cpu", "cpus", V_STRING},
	{"cpuset-mems", "cpu", "mems", V_STRING},
	{"blkio-weight", "blockIO", "weight", V_INT},
	{"pids-limit", "pids", "limit", V_INT},
};

/* An integer, or for memory a size with runc's units ("512m", "1G",
 * "-1" for unlimited swap). */
static int parse_value(const struct update_flag *f, const char *arg, json_object **out,
		       struct hk_error **err)
{
	char *end = NULL;
	long long v;

	if (f->kind == V_STRING) {
		*out = json_object_new_string(arg);
		return 0;
	}
	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno || end == arg)
		return hk_error_set(err, 0, "update: --%s: \"%s\" is not a number", f->name, arg);
	if (f->kind == V_BYTES && *end && v >= 0) {
		static const char units[] = "bkmgtp";
		const char *u = strchr(units, tolower((unsigned char)*end));
		if (!u || (end[1] && !(tolower((unsigned char)end[1]) == 'b' && !end[2])))
			return hk_error_set(err, 0, "update: --%s: bad size \"%s\"", f->name, arg);
		for (long i = 0; i < u - units; i++) {
			if (v > INT64_MAX / 1024)
				return hk_error_set(err, 0, "update: --%s: \"%s\" is too large",
						    f->name, arg);
			v *= 1024;
		}
	} else if (*end) {
		return hk_error_set(err, 0, "update: --%s: \"%s\" is not a number", f->name, arg);
	}
	*out = json_object_new_int64(v);
	return 0;
}

static int read_resources(const char *file, json_object **out, struct hk_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (read_file_at(AT_FDCWD, strcmp(file, "-") ? file : "/dev/stdin", 1 << 20, &text, &len,
			 err) < 0)
		return hk_error_wrap(err, "update: --resources");
	if (json_parse(strcmp(file, "-") ? file : "stdin", text, len, out, err) < 0)
		return hk_error_wrap(err, "update");
	if (!json_object_is_type(*out, json_type_object))
		return hk_error_set(err, 0, "update: %s: expected a linux.resources object", file);
	return 0;
}

static void set_value(json_object *res, const struct update_flag *f, json_object *v)
{
	json_object *sec = NULL;

	if (!json_object_object_get_ex(res, f->section, &sec) ||
	    !json_object_is_type(sec, json_type_object)) {
		sec = json_object_new_object();
		json_object_object_add(res, f->section, sec);
	}
	json_object_object_add(sec, f->key, v);
}

static int rt_update_run(int argc, char **argv, struct hk_error **err)
{
	enum { N = ARRAY_SIZE(update_flags) };
	struct option opts[N + 2];
	const char *values[N] = {0};
	_cleanup_json_ json_object *res = NULL;
	const char *file = NULL, *id;
	bool any = false;
	int c;

	for (size_t i = 0; i < N; i++)
		opts[i] = (struct option){update_flags[i].name, required_argument, NULL,
					  256 + (int)i};
	opts[N] = (struct option){"resources", required_argument, NULL, 'r'};
	opts[N + 1] = (struct option){0};
	while ((c = getopt_long(argc, argv, "+r:", opts, NULL)) != -1) {
		if (c == 'r')
			file = optarg;
		else if (c >= 256 && c < 256 + N)
			values[c - 256] = optarg, any = true;
		else
			return hk_error_set(err, 0, "update: bad option (see --help)");
	}
	if (rt_need_id(argc, argv, &id, err) < 0)
		return -1;
	if (!file && !any)
		return hk_error_set(err, 0, "update: give --resources FILE or a flag (see --help)");
	if (file && read_resources(file, &res, err) < 0)
		return -1;
	if (!res)
		res = json_object_new_object();
	for (size_t i = 0; i < N; i++) {
		json_object *v = NULL;
		if (!values[i])
			continue;
		if (parse_value(&update_flags[i], values[i], &v, err) < 0)
			return -1;
		set_value(res, &update_flags[i], v);
	}
	return runtime_update(runtime_globals.root, id, res, err) < 0 ? -1 : 0;
}

static const struct hk_command rt_update = {
	.name = "update",
	.usage = "update [--resources FILE] [FLAGS] ID",
	.summary = "Change the resources of a running container",
	.help = "  -r, --resources FILE        a linux.resources JSON object ('-': stdin)\n"
		"      --memory BYTES          memory limit (units: 512m, 1g)\n"
		"      --memory-reservation BYTES  soft limit\n"
		"      --memory-swap BYTES     memory + swap (-1: unlimited swap)\n"
		"      --kernel-memory BYTES, --kernel-memory-tcp BYTES  (v1 only)\n"
		"      --cpu-period US         CFS period\n"
		"      --cpu-quota US          CFS quota per period (-1: unlimited)\n"
		"      --cpu-share N           CPU shares (v2: converted to cpu.weight)\n"
		"      --cpu-rt-period US, --cpu-rt-runtime US  realtime (v1 only)\n"
		"      --cpuset-cpus LIST, --cpuset-mems LIST\n"
		"      --blkio-weight N        10 to 1000\n"
		"      --pids-limit N          most tasks at once (-1: unlimited)\n"
		"A flag wins over the same value in --resources.\n",
	.run = rt_update_run,
};
HK_COMMAND(runtime, rt_update);
