/* hako: the one error convention of the code base.
 *
 * A function that can fail returns int (< 0 on failure) and fills *err with an
 * errno value and a message.  Callers add context on the way up with
 * hk_error_wrap(), so the user reads "run: mount /proc on /x: Operation not
 * permitted" rather than "error -1".  Only main() (or a child about to _exit)
 * prints an error.
 */
#ifndef HAKO_UTIL_ERROR_H
#define HAKO_UTIL_ERROR_H

#include <stdarg.h>

struct hk_error {
	int errnum; /* errno value, 0 when the failure has none */
	char *msg;  /* complete message, strerror(errnum) already appended */
};

#define HK_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Set *err (freeing an earlier one) to fmt; errnum 0 means "no errno".
 * Returns -errnum, or -1 when errnum is 0. */
/* Input errors (a bad field, a malformed file) use errnum 0: the message
 * then says all there is to say, without a strerror() tail. */
int hk_error_set(struct hk_error **err, int errnum, const char *fmt, ...) HK_PRINTF(3, 4);
int hk_error_setv(struct hk_error **err, int errnum, const char *fmt, va_list ap);

/* Like hk_error_set() with the current errno; errno is preserved. */
int hk_error_errno(struct hk_error **err, const char *fmt, ...) HK_PRINTF(2, 3);

/* Prefix the message in *err with "fmt: ".  Returns -errnum (or -1).
 * When *err is NULL (a caller forgot to set it) a generic error is made. */
int hk_error_wrap(struct hk_error **err, const char *fmt, ...) HK_PRINTF(2, 3);

/* Free *err and set it to NULL; safe on NULL. */
void hk_error_free(struct hk_error **err);

/* The message, or "unknown error" when err is NULL. */
const char *hk_error_msg(const struct hk_error *err);

/* Print "prog: message" to stderr. */
void hk_error_print(const struct hk_error *err, const char *prog);

/* Transfer an error from a child process: write to fd / read from fd.
 * The wire form is a 4-byte errnum, a 4-byte length and the message. */
int hk_error_send(int fd, const struct hk_error *err);
int hk_error_recv(int fd, struct hk_error **err);

#endif
