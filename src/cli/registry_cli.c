/* hako cli: shared parts of the registry commands (see registry_cli.h). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/registry_cli.h"
#include "util/util.h"

int regcli_parse_tls(const char *arg, int *out, struct hk_error **err)
{
	if (!arg || !strcmp(arg, "true") || !strcmp(arg, "1")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(arg, "false") || !strcmp(arg, "0")) {
		*out = 0;
		return 0;
	}
	return hk_error_set(err, 0, "--tls-verify: '%s' is not true or false", arg);
}

char *regcli_host_of(const char *arg)
{
	const char *p = arg;

	if (str_has_prefix(p, "https://"))
		p += 8;
	else if (str_has_prefix(p, "http://"))
		p += 7;
	return xstrndup(p, strcspn(p, "/"));
}

struct pline {
	char *label; /* "Copying blob sha256:ab12cd34ef56" */
	int64_t done, total;
	int state; /* 0 running, 1 finished */
	int rc;
	unsigned long long start;
};

struct regcli_progress {
	pthread_mutex_t lock;
	bool quiet, tty;
	struct pline *lines;
	size_t n;
	size_t drawn; /* lines printed by the last redraw */
	unsigned long long last;
};

struct regcli_progress *regcli_progress_new(bool quiet)
{
	struct regcli_progress *p = xzalloc(sizeof(*p));

	pthread_mutex_init(&p->lock, NULL);
	p->quiet = quiet;
	p->tty = isatty(STDERR_FILENO);
	return p;
}

static void human(char *buf, size_t size, double v)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (v >= 1024 && u < 4)
		v /= 1024, u++;
	snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static const char *result(int rc)
{
	switch (rc) {
	case 0:
		return "done";
	case 1:
		return "skipped: already exists";
	case 2:
		return "mounted";
	default:
		return "failed";
	}
}

static void draw_line(struct pline *l)
{
	char d[32], t[32], s[32];
	double secs = (double)(now_ns() - l->start) / 1e9;
	int width = 30, fill = 0;

	human(d, sizeof(d), (double)l->done);
	human(t, sizeof(t), (double)(l->total > 0 ? l->total : 0));
	human(s, sizeof(s), secs > 0 ? (double)l->done / secs : 0);
	if (l->state) {
		fprintf(stderr, "\r\033[K%s %s\n", l->label, result(l->rc));
		return;
	}
	if (l->total > 0)
		fill = (int)((double)l->done * width / (double)l->total);
	if (fill > width)
		fill = width;
	fprintf(stderr, "\r\033[K%s [%.*s%*s] %s / %s | %s/s\n", l->label, fill,
		"==============================", width - fill, "", d, t, s);
}

/* Redraw every line in place (cursor up over the last drawing). */
static void redraw(struct regcli_progress *p, bool force)
{
	unsigned long long now = now_ns();

	if (!force && now - p->last < 100000000ull)
		return;
	p->last = now;
	if (p->drawn)
		fprintf(stderr, "\033[%zuA", p->drawn);
	for (size_t i = 0; i < p->n; i++)
		draw_line(&p->lines[i]);
	p->drawn = p->n;
	fflush(stderr);
}

size_t regcli_progress_add(struct regcli_progress *p, const char *verb, const char *digest,
			   int64_t total)
{
	size_t i;

	pthread_mutex_lock(&p->lock);
	i = p->n++;
	p->lines = xrealloc(p->lines, p->n * sizeof(*p->lines));
	p->lines[i] = (struct pline){
		.label = xasprintf("%s %.19s", verb, digest),
		.total = total,
		.start = now_ns(),
	};
	if (p->tty && !p->quiet)
		redraw(p, true);
	pthread_mutex_unlock(&p->lock);
	return i;
}

void regcli_progress_update(struct regcli_progress *p, size_t idx, int64_t done)
{
	pthread_mutex_lock(&p->lock);
	if (idx < p->n) {
		p->lines[idx].done = done;
		if (p->tty && !p->quiet)
			redraw(p, false);
	}
	pthread_mutex_unlock(&p->lock);
}

void regcli_progress_finish(struct regcli_progress *p, size_t idx, int rc)
{
	pthread_mutex_lock(&p->lock);
	if (idx < p->n) {
		struct pline *l = &p->lines[idx];
		l->state = 1;
		l->rc = rc;
		if (rc == 0 && l->total > 0)
			l->done = l->total;
		if (p->quiet)
			;
		else if (p->tty)
			redraw(p, true);
		else
			fprintf(stderr, "%s %s\n", l->label, result(rc));
	}
	pthread_mutex_unlock(&p->lock);
}

void regcli_progress_note(struct regcli_progress *p, const char *fmt, ...)
{
	va_list ap;

	if (p->quiet)
		return;
	pthread_mutex_lock(&p->lock);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	/* notes scroll the bars away: start a fresh block below them */
	for (size_t i = 0; i < p->n; i++)
		free(p->lines[i].label);
	p->n = 0;
	p->drawn = 0;
	pthread_mutex_unlock(&p->lock);
}

void regcli_progress_free(struct regcli_progress *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->lines[i].label);
	free(p->lines);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static void hook_update(void *ud, size_t idx, int64_t done, int64_t total)
{
	struct regcli_progress *p = ud;
	(void)total;
	regcli_progress_update(p, idx, done);
}

static void hook_finish(void *ud, size_t idx, int rc)
{
	regcli_progress_finish(ud, idx, rc < 0 ? -1 : 0);
}

struct registry_progress regcli_progress_hooks(struct regcli_progress *p)
{
	return (struct registry_progress){.update = hook_update, .finish = hook_finish, .ud = p};
}
