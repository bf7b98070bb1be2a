/* hako: helpers shared by the image commands. */
#include <errno.h>
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

void cli_size_units(double v, bool binary, int digits, char *buf, size_t len)
{
	static const char *const dec[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
	static const char *const bin[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	const char *const *units = binary ? bin : dec;
	double base = binary ? 1024.0 : 1000.0;
	size_t u = 0;

	while (v >= base && u + 1 < ARRAY_SIZE(dec)) {
		v /= base;
		u++;
	}
	snprintf(buf, len, "%.*g%s", digits, v, units[u]);
}

void cli_human_size(int64_t bytes, char *buf, size_t len)
{
	/* Docker prints 3 significant digits: "1.23MB", "12.3kB", "123B". */
	cli_size_units((double)bytes, false, 3, buf, len);
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

void cli_print_table(const char *const *headers, size_t ncols, char ***rows, size_t nrows)
{
	_cleanup_free_ size_t *w = xzalloc(ncols * sizeof(size_t));

	for (size_t c = 0; c < ncols; c++) {
		w[c] = strlen(headers[c]);
		for (size_t r = 0; r < nrows; r++)
			if (strlen(rows[r][c]) > w[c])
				w[c] = strlen(rows[r][c]);
	}
	for (size_t c = 0; c < ncols; c++)
		printf("%-*s%s", c + 1 < ncols ? (int)w[c] : 0, headers[c],
		       c + 1 < ncols ? "   " : "\n");
	for (size_t r = 0; r < nrows; r++)
		for (size_t c = 0; c < ncols; c++)
			printf("%-*s%s", c + 1 < ncols ? (int)w[c] : 0, rows[r][c],
			       c + 1 < ncols ? "   " : "\n");
}

void cli_rows_free(char ***rows, size_t nrows)
{
	for (size_t r = 0; r < nrows; r++)
		strv_free(rows[r]);
	free(rows);
}
