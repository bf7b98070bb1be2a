/* hako cli: shared parts of the registry commands (see registry_cli.h). */
#include <pthread.h>
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
	bool finished;
	int result;
	unsigned long long start;
};

struct regcli_progress {
	pthread_mutex_t lock;
	bool quiet, tty;
	struct pline *lines; /* by event index */
	size_t n;
	size_t first; /* lines before it scrolled away (a note came after them) */
	size_t drawn; /* screen lines of the last redraw */
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

static const char *result_text(int r)
{
	switch (r) {
	case REGISTRY_BLOB_DONE:
		return "done";
	case REGISTRY_BLOB_EXISTS:
		return "skipped: already exists";
	case REGISTRY_BLOB_MOUNTED:
		return "mounted";
	default:
		return "failed";
	}
}

static void draw_line(const struct pline *l)
{
	static const char bar[] = "==============================";
	char d[32], t[32], s[32];
	double secs = (double)(now_ns() - l->start) / 1e9;
	int width = 30, fill = 0;

	if (!l->label) {
		fputs("\r\033[K\n", stderr);
		return;
	}
	if (l->finished) {
		fprintf(stderr, "\r\033[K%s %s\n", l->label, result_text(l->result));
		return;
	}
	human(d, sizeof(d), (double)l->done);
	human(t, sizeof(t), (double)(l->total > 0 ? l->total : 0));
	human(s, sizeof(s), secs > 0 ? (double)l->done / secs : 0);
	if (l->total > 0)
		fill = (int)((double)l->done * width / (double)l->total);
	if (fill > width)
		fill = width;
	fprintf(stderr, "\r\033[K%s [%.*s%*s] %s / %s | %s/s\n", l->label, fill, bar, width - fill,
		"", d, t, s);
}

/* Redraw the live lines in place: cursor up over the last drawing. */
static void redraw(struct regcli_progress *p, bool force)
{
	unsigned long long now = now_ns();

	if (p->quiet || !p->tty || (!force && now - p->last < 100000000ull))
		return;
	p->last = now;
	if (p->drawn)
		fprintf(stderr, "\033[%zuA", p->drawn);
	for (size_t i = p->first; i < p->n; i++)
		draw_line(&p->lines[i]);
	p->drawn = p->n - p->first;
	fflush(stderr);
}

static struct pline *line_at(struct regcli_progress *p, size_t idx)
{
	if (idx >= p->n) {
		p->lines = xrealloc(p->lines, (idx + 1) * sizeof(*p->lines));
		memset(p->lines + p->n, 0, (idx + 1 - p->n) * sizeof(*p->lines));
		p->n = idx + 1;
	}
	return &p->lines[idx];
}

static void ev_start(void *ud, size_t idx, const char *verb, const char *digest, int64_t size)
{
	struct regcli_progress *p = ud;
	struct pline *l;

	pthread_mutex_lock(&p->lock);
	if (idx >= p->first) {
		l = line_at(p, idx);
		free(l->label);
		*l = (struct pline){.label = xasprintf("%s %.19s", verb, digest),
				    .total = size,
				    .start = now_ns()};
		redraw(p, true);
	}
	pthread_mutex_unlock(&p->lock);
}

static void ev_update(void *ud, size_t idx, int64_t done)
{
	struct regcli_progress *p = ud;

	pthread_mutex_lock(&p->lock);
	if (idx >= p->first && idx < p->n) {
		p->lines[idx].done = done;
		redraw(p, false);
	}
	pthread_mutex_unlock(&p->lock);
}

static void ev_done(void *ud, size_t idx, enum registry_blob_result r)
{
	struct regcli_progress *p = ud;
	struct pline *l;

	pthread_mutex_lock(&p->lock);
	if (idx >= p->first && idx < p->n && p->lines[idx].label) {
		l = &p->lines[idx];
		l->finished = true;
		l->result = r;
		if (p->tty)
			redraw(p, true);
		else if (!p->quiet)
			fprintf(stderr, "%s %s\n", l->label, result_text(r));
	}
	pthread_mutex_unlock(&p->lock);
}

static void ev_note(void *ud, const char *msg)
{
	struct regcli_progress *p = ud;

	pthread_mutex_lock(&p->lock);
	redraw(p, true);
	if (!p->quiet)
		fprintf(stderr, "%s\n", msg);
	/* the bars above the note stay as they are; new ones start below */
	p->first = p->n;
	p->drawn = 0;
	pthread_mutex_unlock(&p->lock);
}

struct registry_events regcli_progress_events(struct regcli_progress *p)
{
	return (struct registry_events){.blob_start = ev_start,
					.blob_update = ev_update,
					.blob_done = ev_done,
					.note = ev_note,
					.ud = p};
}

void regcli_progress_flush(struct regcli_progress *p)
{
	pthread_mutex_lock(&p->lock);
	redraw(p, true);
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

int regcli_xfer_opt(struct regcli_xfer *x, int c, const char *arg, struct hk_error **err)
{
	switch (c) {
	case 'q':
		x->quiet = true;
		return 1;
	case REGCLI_OPT_TLS:
		return regcli_parse_tls(arg, &x->o.tls_verify, err) < 0 ? -1 : 1;
	case REGCLI_OPT_AUTHFILE:
		x->o.auth_file = arg;
		return 1;
	default:
		return 0;
	}
}

void regcli_xfer_start(struct regcli_xfer *x)
{
	x->prog = regcli_progress_new(x->quiet);
	x->ev = regcli_progress_events(x->prog);
	x->o.ev = &x->ev;
}

void regcli_xfer_done(struct regcli_xfer *x)
{
	if (!x->prog)
		return;
	regcli_progress_flush(x->prog);
	regcli_progress_free(x->prog);
	x->prog = NULL;
	x->o.ev = NULL;
}
