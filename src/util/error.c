#include "util/error.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

int hk_error_setv(struct hk_error **err, int errnum, const char *fmt, va_list ap)
{
	char *base = NULL, *full = NULL;

	if (vasprintf(&base, fmt, ap) < 0)
		abort();
	if (errnum) {
		if (asprintf(&full, "%s: %s", base, strerror(errnum)) < 0)
			abort();
		free(base);
	} else {
		full = base;
	}
	if (err) {
		hk_error_free(err);
		*err = xmalloc(sizeof(**err));
		(*err)->errnum = errnum;
		(*err)->msg = full;
	} else {
		free(full);
	}
	return errnum ? -errnum : -1;
}

int hk_error_set(struct hk_error **err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = hk_error_setv(err, errnum, fmt, ap);
	va_end(ap);
	return ret;
}

int hk_error_errno(struct hk_error **err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = hk_error_setv(err, saved ? saved : EIO, fmt, ap);
	va_end(ap);
	errno = saved;
	return ret;
}

int hk_error_wrap(struct hk_error **err, const char *fmt, ...)
{
	char *prefix = NULL, *full = NULL;
	va_list ap;

	if (!err)
		return -1;
	if (!*err)
		hk_error_set(err, 0, "unknown error");
	va_start(ap, fmt);
	if (vasprintf(&prefix, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (asprintf(&full, "%s: %s", prefix, (*err)->msg) < 0)
		abort();
	free(prefix);
	free((*err)->msg);
	(*err)->msg = full;
	return (*err)->errnum ? -(*err)->errnum : -1;
}

void hk_error_free(struct hk_error **err)
{
	if (!err || !*err)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}

const char *hk_error_msg(const struct hk_error *err)
{
	return err && err->msg ? err->msg : "unknown error";
}

void hk_error_print(const struct hk_error *err, const char *prog)
{
	fprintf(stderr, "%s: %s\n", prog, hk_error_msg(err));
}

int hk_error_send(int fd, const struct hk_error *err)
{
	const char *msg = hk_error_msg(err);
	uint32_t hdr[2] = {err ? (uint32_t)err->errnum : 0, (uint32_t)strlen(msg)};

	if (write_all(fd, hdr, sizeof(hdr)) < 0 || write_all(fd, msg, hdr[1]) < 0)
		return -1;
	return 0;
}

int hk_error_recv(int fd, struct hk_error **err)
{
	uint32_t hdr[2];
	ssize_t n = read_all(fd, hdr, sizeof(hdr));
	_cleanup_free_ char *msg = NULL;

	if (n == 0)
		return 0; /* no error was sent */
	if (n != (ssize_t)sizeof(hdr) || hdr[1] > 65536)
		return hk_error_set(err, EIO, "malformed error report from child");
	msg = xmalloc(hdr[1] + 1);
	if (read_all(fd, msg, hdr[1]) != (ssize_t)hdr[1])
		return hk_error_set(err, EIO, "truncated error report from child");
	msg[hdr[1]] = '\0';
	hk_error_free(err);
	*err = xmalloc(sizeof(**err));
	(*err)->errnum = (int)hdr[0];
	(*err)->msg = steal_ptr(&msg);
	return (*err)->errnum ? -(*err)->errnum : -1;
}
