/* A small QMP client: one JSON object per line over a unix socket; events
 * (objects with "event") are skipped while waiting for a command's answer. */
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/json.h"
#include "util/util.h"
#include "util/sock.h"
#include "vm/vm.h"

#define QMP_MAX_LINE (1u << 20)

struct qmp {
	int fd;
	char *buf;
	size_t len;
	int timeout_ms;
};

void qmp_close(struct qmp *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	free(q->buf);
	free(q);
}

void qmp_closep(struct qmp **q)
{
	qmp_close(*q);
	*q = NULL;
}

/* Read one line (without the newline) into *out. */
static int read_line(struct qmp *q, char **out, struct hk_error **err)
{
	for (;;) {
		char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - q->buf);
			*out = xstrndup(q->buf, n);
			memmove(q->buf, nl + 1, q->len - n - 1);
			q->len -= n + 1;
			return 0;
		}
		if (q->len >= QMP_MAX_LINE)
			return hk_error_set(err, 0, "QMP: a line longer than %u bytes",
					    QMP_MAX_LINE);
		struct pollfd p = {.fd = q->fd, .events = POLLIN};
		int r = poll(&p, 1, q->timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return hk_error_set(err, ETIMEDOUT, "QMP: no answer from QEMU");
		q->buf = xrealloc(q->buf, q->len + 65536);
		ssize_t n = read(q->fd, q->buf + q->len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hk_error_errno(err, "QMP: read");
		if (n == 0)
			return hk_error_set(err, ECONNRESET, "QMP: QEMU closed the connection");
		q->len += (size_t)n;
	}
}

/* Wait for the answer to a command: {"return": ...} or {"error": ...}. */
static int read_answer(struct qmp *q, json_object **out, struct hk_error **err)
{
	for (;;) {
		_cleanup_free_ char *line = NULL;
		json_object *doc = NULL, *v;
		if (read_line(q, &line, err) < 0)
			return -1;
		if (json_parse("QMP", line, strlen(line), &doc, err) < 0)
			return -1;
		if (json_object_object_get_ex(doc, "event", &v)) {
			json_object_put(doc);
			continue;
		}
		if (json_object_object_get_ex(doc, "error", &v)) {
			const char *desc = NULL;
			struct hk_error *e2 = NULL;
			json_get_string(v, "error", "desc", &desc, &e2);
			hk_error_free(&e2);
			hk_error_set(err, 0, "QMP: %s", desc ? desc : "error");
			json_object_put(doc);
			return -1;
		}
		*out = doc;
		return 0;
	}
}

int qmp_connect(const char *path, int timeout_ms, struct qmp **out, struct hk_error **err)
{
	struct qmp *q;
	_cleanup_free_ char *greeting = NULL;

	q = xzalloc(sizeof(*q));
	q->timeout_ms = timeout_ms;
	q->fd = sock_unix_connect(path, 0, err);
	if (q->fd < 0) {
		hk_error_wrap(err, "QMP");
		qmp_close(q);
		return -1;
	}
	if (read_line(q, &greeting, err) < 0 || !strstr(greeting, "\"QMP\"")) {
		if (!*err)
			hk_error_set(err, 0, "QMP: %s: not a QMP greeting", path);
		qmp_close(q);
		return -1;
	}
	if (qmp_execute(q, "qmp_capabilities", NULL, NULL, err) < 0) {
		qmp_close(q);
		return -1;
	}
	*out = q;
	return 0;
}

int qmp_execute(struct qmp *q, const char *cmd, const char *args_json, char **ret,
		struct hk_error **err)
{
	_cleanup_free_ char *req =
		args_json ? xasprintf("{\"execute\":\"%s\",\"arguments\":%s}\n", cmd, args_json)
			  : xasprintf("{\"execute\":\"%s\"}\n", cmd);
	json_object *doc = NULL, *v;

	if (write_all(q->fd, req, strlen(req)) < 0)
		return hk_error_errno(err, "QMP: send %s", cmd);
	if (read_answer(q, &doc, err) < 0)
		return hk_error_wrap(err, "%s", cmd);
	if (ret) {
		*ret = json_object_object_get_ex(doc, "return", &v)
			       ? xstrdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN))
			       : xstrdup("{}");
	}
	json_object_put(doc);
	return 0;
}

int qmp_status(struct qmp *q, char **status, struct hk_error **err)
{
	_cleanup_free_ char *ret = NULL;
	_cleanup_json_ json_object *doc = NULL;
	const char *st = NULL;

	if (qmp_execute(q, "query-status", NULL, &ret, err) < 0)
		return -1;
	if (json_parse("query-status", ret, strlen(ret), &doc, err) < 0 ||
	    json_get_string(doc, "query-status", "status", &st, err) < 0)
		return -1;
	if (!st)
		return hk_error_set(err, 0, "query-status: no status");
	*status = xstrdup(st);
	return 0;
}
