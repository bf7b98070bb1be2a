/* hako: the container log written by a monitor (formats in mon.h).
 * libc only and no stdio: this runs in the small static hako-monitor. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h> /* rename() only */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "monitor/mon.h"
#include "util/util.h"

int mon_log_open(struct mon_log *l, const char *path, int fd, enum mon_log_format format,
		 int64_t max_size, int max_file)
{
	struct stat st;

	*l = (struct mon_log){.format = format,
			      .fd = -1,
			      .max_size = max_size,
			      .max_file = max_file < 1 ? 1 : max_file};
	l->path = strdup(path);
	if (!l->path) {
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	if (format == MON_LOG_NONE) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	l->fd = fd >= 0 ? fd : open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (l->fd < 0) {
		int e = errno;
		mon_log_close(l);
		return -e;
	}
	if (fstat(l->fd, &st) == 0)
		l->size = st.st_size;
	return 0;
}

void mon_log_close(struct mon_log *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	free(l->path);
	l->path = NULL;
}

/* path + "." + n, into buf (PATH_MAX is plenty: path is ours) */
static void numbered(char *buf, size_t size, const char *path, int n)
{
	size_t k = strlen(path);
	char digits[12];
	int d = 0;

	if (k + 13 > size) {
		buf[0] = '\0';
		return;
	}
	memcpy(buf, path, k);
	buf[k++] = '.';
	do {
		digits[d++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	while (d)
		buf[k++] = digits[--d];
	buf[k] = '\0';
}

static void rotate(struct mon_log *l)
{
	char from[4096], to[4096];

	for (int i = l->max_file - 1; i >= 1; i--) {
		if (i == 1) {
			size_t k = strlen(l->path);
			if (k >= sizeof(from))
				continue;
			memcpy(from, l->path, k + 1);
		} else {
			numbered(from, sizeof(from), l->path, i - 1);
		}
		numbered(to, sizeof(to), l->path, i);
		if (*from && *to)
			rename(from, to);
	}
	close(l->fd);
	/* max-file 1: no rotated files, the one file starts over. */
	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	l->size = 0;
}

static void emit(struct mon_log *l, const char *line, size_t len)
{
	if (l->fd < 0)
		return;
	if (l->max_size > 0 && l->size > 0 && l->size + (int64_t)len > l->max_size)
		rotate(l);
	if (l->fd >= 0 && write_all(l->fd, line, len) == (ssize_t)len)
		l->size += (int64_t)len;
}

static char *put_num(char *p, long long v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* RFC 3339 with nanoseconds in UTC, "2024-05-01T10:00:00.123456789Z" (30
 * bytes); the civil date from days since 1970 as in H. Hinnant's
 * "chrono-compatible low-level date algorithms" (no gmtime: it may read the
 * time zone files). */
static size_t format_now(char out[32])
{
	struct timespec ts;
	long long days, secs, z, era, doe, yoe, y, doy, mp, d, m;
	char *p = out;

	clock_gettime(CLOCK_REALTIME, &ts);
	days = ts.tv_sec / 86400;
	secs = ts.tv_sec % 86400;
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	p = put_num(p, y, 4);
	*p++ = '-';
	p = put_num(p, m, 2);
	*p++ = '-';
	p = put_num(p, d, 2);
	*p++ = 'T';
	p = put_num(p, secs / 3600, 2);
	*p++ = ':';
	p = put_num(p, secs / 60 % 60, 2);
	*p++ = ':';
	p = put_num(p, secs % 60, 2);
	*p++ = '.';
	p = put_num(p, ts.tv_nsec, 9);
	*p++ = 'Z';
	*p = '\0';
	return (size_t)(p - out);
}

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/* JSON string body of data, escaped as json-c does (the reader parses it) */
static char *put_json(char *p, const char *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		switch (c) {
		case '"':
			p = put_str(p, "\\\"");
			break;
		case '\\':
			p = put_str(p, "\\\\");
			break;
		case '\b':
			p = put_str(p, "\\b");
			break;
		case '\f':
			p = put_str(p, "\\f");
			break;
		case '\n':
			p = put_str(p, "\\n");
			break;
		case '\r':
			p = put_str(p, "\\r");
			break;
		case '\t':
			p = put_str(p, "\\t");
			break;
		default:
			if (c < 0x20) {
				p = put_str(p, "\\u00");
				*p++ = hex[c >> 4];
				*p++ = hex[c & 15];
			} else {
				*p++ = (char)c;
			}
		}
	}
	return p;
}

void mon_log_write(struct mon_log *l, const char *stream, const char *data, size_t len,
		   bool partial)
{
	char ts[32], *line, *p;
	size_t tl;

	if (!l || l->format == MON_LOG_NONE || l->fd < 0)
		return;
	tl = format_now(ts);
	/* worst case: every byte a \u00XX escape */
	line = malloc(len * 6 + tl + strlen(stream) + 64);
	if (!line)
		return;
	p = line;
	if (l->format == MON_LOG_K8S) {
		p = put_str(p, ts);
		*p++ = ' ';
		p = put_str(p, stream);
		p = put_str(p, partial ? " P " : " F ");
		/* the record ends in exactly one newline; a full line's own is dropped */
		if (len && data[len - 1] == '\n')
			len--;
		memcpy(p, data, len);
		p += len;
		*p++ = '\n';
	} else {
		p = put_str(p, "{\"log\":\"");
		p = put_json(p, data, len);
		p = put_str(p, "\",\"stream\":\"");
		p = put_str(p, stream);
		p = put_str(p, "\",\"time\":\"");
		p = put_str(p, ts);
		p = put_str(p, "\"}\n");
	}
	emit(l, line, (size_t)(p - line));
	free(line);
}
