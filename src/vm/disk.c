/* Disks through qemu-img: create (with backing files), resize, info. */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/util.h"
#include "vm/internal.h"
#include "vm/vm.h"

int vm_parse_size(const char *s, uint64_t *out, struct hk_error **err)
{
	char *end;
	double v;
	double mult = 1;

	errno = 0;
	if (!s || !*s || *s == '-')
		return hk_error_set(err, 0, "size '%s': expected a number with K, M, G or T",
				    s ? s : "");
	v = strtod(s, &end);
	if (errno || end == s || v <= 0)
		return hk_error_set(err, 0,
				    "size '%s': expected a positive number with K, M, G or T", s);
	switch (*end) {
	case 0:
		break;
	case 'k':
	case 'K':
		mult = 1024.0;
		end++;
		break;
	case 'm':
	case 'M':
		mult = 1024.0 * 1024;
		end++;
		break;
	case 'g':
	case 'G':
		mult = 1024.0 * 1024 * 1024;
		end++;
		break;
	case 't':
	case 'T':
		mult = 1024.0 * 1024 * 1024 * 1024;
		end++;
		break;
	default:
		return hk_error_set(err, 0, "size '%s': unknown unit '%s'", s, end);
	}
	if (*end == 'i' && end[-1] != 0)
		end++; /* "GiB" */
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return hk_error_set(err, 0, "size '%s': unknown unit '%s'", s, end);
	v *= mult;
	if (v < 1 || v > 1e18)
		return hk_error_set(err, 0, "size '%s': out of range", s);
	*out = (uint64_t)v;
	return 0;
}

static int qemu_img(char *const argv[], const char *what, char **output, struct hk_error **err)
{
	_cleanup_free_ char *out = NULL;
	int r = vm_run_capture(argv, &out, err);

	if (r < 0)
		return hk_error_wrap(err, "%s", what);
	if (r == 127)
		return hk_error_set(err, ENOENT, "%s: qemu-img not found (install qemu-utils)",
				    what);
	if (r != 0) {
		size_t n = strlen(out);
		while (n && out[n - 1] == '\n')
			out[--n] = 0;
		return hk_error_set(err, 0, "%s: %s", what, out);
	}
	if (output)
		*output = steal_ptr(&out);
	return 0;
}

int vm_disk_create(const char *path, uint64_t size, const char *backing, struct hk_error **err)
{
	_cleanup_free_ char *sz = xasprintf("%llu", (unsigned long long)size);
	_cleanup_free_ char *fmt = NULL, *what = xasprintf("qemu-img create %s", path);
	uint64_t bsize = 0;

	if (backing) {
		if (vm_disk_info(backing, &bsize, &fmt, err) < 0)
			return -1;
		char *argv[] = {
			"qemu-img",	 "create", "-q", "-f",	       "qcow2",		 "-b",
			(char *)backing, "-F",	   fmt,	 (char *)path, size ? sz : NULL, NULL};
		return qemu_img(argv, what, NULL, err);
	}
	char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", (char *)path, sz, NULL};
	return qemu_img(argv, what, NULL, err);
}

int vm_disk_resize(const char *path, uint64_t size, struct hk_error **err)
{
	_cleanup_free_ char *sz = xasprintf("%llu", (unsigned long long)size);
	_cleanup_free_ char *what = xasprintf("qemu-img resize %s", path);
	char *argv[] = {"qemu-img", "resize", "-q", (char *)path, sz, NULL};

	return qemu_img(argv, what, NULL, err);
}

int vm_disk_info(const char *path, uint64_t *vsize, char **format, struct hk_error **err)
{
	_cleanup_free_ char *out = NULL, *what = xasprintf("qemu-img info %s", path);
	_cleanup_json_ json_object *doc = NULL;
	const char *fmt = NULL;
	int64_t vs = 0;
	char *argv[] = {"qemu-img", "info", "--output=json", (char *)path, NULL};

	if (qemu_img(argv, what, &out, err) < 0)
		return -1;
	if (json_parse(what, out, strlen(out), &doc, err) < 0 ||
	    json_get_int64(doc, NULL, "virtual-size", &vs, err) < 0 ||
	    json_get_string(doc, NULL, "format", &fmt, err) < 0)
		return -1;
	if (vsize)
		*vsize = (uint64_t)vs;
	if (format)
		*format = xstrdup(fmt ? fmt : "raw");
	return 0;
}
