/* hako: helpers shared by the image commands. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/command.h"
#include "cli/image_common.h"
#include "util/util.h"

/* The unit-test binary links the commands without main.c: this weak
 * definition stands in there; main.c's real one wins in hako. */
__attribute__((weak)) struct hk_globals hk_globals = {
	.root = "/var/lib/hako",
	.runroot = "/run/hako",
};

int cli_image_store(struct image_store **out, struct hk_error **err)
{
	return image_store_open(hk_globals.root, out, err);
}

void cli_human_size(int64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1000.0 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1000.0;
		u++;
	}
	/* Docker prints 4 significant digits: "1.234MB", "12.3kB", "123B". */
	if (u == 0)
		snprintf(buf, len, "%lldB", (long long)bytes);
	else
		snprintf(buf, len, "%.4g%s", v, units[u]);
}

void cli_time_ago(int64_t when, char *buf, size_t len)
{
	int64_t d = (int64_t)time(NULL) - when;

	if (when <= 0) {
		snprintf(buf, len, "N/A");
		return;
	}
	if (d < 1)
		snprintf(buf, len, "Less than a second ago");
	else if (d < 60)
		snprintf(buf, len, "%lld second%s ago", (long long)d, d == 1 ? "" : "s");
	else if (d < 120)
		snprintf(buf, len, "About a minute ago");
	else if (d < 3600)
		snprintf(buf, len, "%lld minutes ago", (long long)(d / 60));
	else if (d < 7200)
		snprintf(buf, len, "About an hour ago");
	else if (d < 2 * 86400)
		snprintf(buf, len, "%lld hours ago", (long long)(d / 3600));
	else if (d < 14 * 86400)
		snprintf(buf, len, "%lld days ago", (long long)(d / 86400));
	else if (d < 60 * 86400)
		snprintf(buf, len, "%lld weeks ago", (long long)(d / (7 * 86400)));
	else if (d < 2 * 365 * 86400)
		snprintf(buf, len, "%lld months ago", (long long)(d / (30 * 86400)));
	else
		snprintf(buf, len, "%lld years ago", (long long)(d / (365 * 86400)));
}

void cli_rfc3339(int64_t when, char *buf, size_t len)
{
	time_t t = (time_t)when;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const char *cli_short_id(const char *id, char buf[16])
{
	const char *hex = str_has_prefix(id, "sha256:") ? id + 7 : id;

	snprintf(buf, 16, "%.12s", hex);
	return buf;
}
