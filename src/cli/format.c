/* hako: --format for list and inspect commands (see format.h). */
#include <stdio.h>
#include <string.h>

#include "cli/format.h"
#include "util/util.h"

/* Go's tabwriter recurses once per column; wider lines are printed as is. */
#define TW_MAX_COLS 256

int cli_format_init(struct cli_format *f, const char *spec, const char *const *headers,
		    struct hk_error **err)
{
	*f = (struct cli_format){.headers = headers};
	if (!spec || !strcmp(spec, "table")) {
		f->kind = CLI_FORMAT_DEFAULT;
		return 0;
	}
	if (!strcmp(spec, "json")) {
		f->kind = CLI_FORMAT_JSON;
		return 0;
	}
	f->kind = CLI_FORMAT_TEMPLATE;
	if (str_has_prefix(spec, "table")) {
		f->kind = CLI_FORMAT_TABLE;
		spec += 5;
	}
	/* Docker's formatter: spaces around trimmed, a typed \t or \n is a tab
	 * or a newline (inspect takes the template as it is) */
	while (*spec == ' ')
		spec++;
	_cleanup_free_ char *text = xmalloc(strlen(spec) + 1);
	size_t n = 0;
	for (const char *p = spec; *p; p++) {
		if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
			text[n++] = p[1] == 't' ? '\t' : '\n';
			p++;
		} else {
			text[n++] = *p;
		}
	}
	while (n && text[n - 1] == ' ')
		n--;
	text[n] = '\0';
	if (tmpl_parse(text, &f->t, err) < 0)
		return hk_error_wrap(err, "--format");
	return 0;
}

int cli_format_init_template(struct cli_format *f, const char *spec, struct hk_error **err)
{
	*f = (struct cli_format){.kind = CLI_FORMAT_TEMPLATE};
	if (tmpl_parse(spec, &f->t, err) < 0)
		return hk_error_wrap(err, "--format");
	return 0;
}

static void build_header(struct cli_format *f)
{
	f->header = json_object_new_object();
	for (const char *const *p = f->headers; p && p[0]; p += 2)
		json_object_object_add(f->header, p[0], json_object_new_string(p[1]));
}

int cli_format_row(struct cli_format *f, json_object *row, struct hk_error **err)
{
	_cleanup_free_ char *s = NULL;

	switch (f->kind) {
	case CLI_FORMAT_DEFAULT:
		return 0;
	case CLI_FORMAT_JSON:
		s = json_to_string(row, false);
		printf("%s\n", s);
		return 0;
	case CLI_FORMAT_TEMPLATE:
		if (tmpl_exec(f->t, row, &s, err) < 0)
			return hk_error_wrap(err, "--format");
		printf("%s\n", s);
		return 0;
	case CLI_FORMAT_TABLE:
		if (tmpl_exec(f->t, row, &s, err) < 0)
			return hk_error_wrap(err, "--format");
		size_t n = strlen(s);
		f->rows = xrealloc(f->rows, f->len + n + 2);
		memcpy(f->rows + f->len, s, n);
		f->len += n;
		f->rows[f->len++] = '\n';
		f->rows[f->len] = '\0';
		return 0;
	}
	return 0;
}

int cli_format_end(struct cli_format *f, struct hk_error **err)
{
	_cleanup_free_ char *head = NULL, *all = NULL;
	int r = 0;

	if (f->kind == CLI_FORMAT_TABLE && f->t) {
		build_header(f);
		if (tmpl_exec_header(f->t, f->header, &head, err) < 0) {
			r = hk_error_wrap(err, "--format");
		} else {
			all = xasprintf("%s\n%s", head, f->rows ? f->rows : "");
			cli_tabwrite(all, strlen(all));
		}
	}
	cli_format_free(f);
	return r;
}

void cli_format_free(struct cli_format *f)
{
	tmpl_free(f->t);
	json_object_put(f->header);
	free(f->rows);
	f->t = NULL;
	f->header = NULL;
	f->rows = NULL;
	f->len = 0;
}

/* ---- Go's text/tabwriter (minwidth 10, tabwidth 1, padding 3, ' ') ---- */

struct tw_cell {
	const char *s;
	size_t len, width; /* bytes, runes */
};

struct tw_line {
	struct tw_cell *c;
	size_t n; /* cells; the last one is not tab-terminated */
};

struct tw {
	struct tw_line *lines;
	size_t n;
	size_t widths[TW_MAX_COLS];
	size_t nw;
	FILE *out;
};

static void tw_write_lines(struct tw *t, size_t line0, size_t line1)
{
	for (size_t i = line0; i < line1; i++) {
		const struct tw_line *l = &t->lines[i];
		for (size_t j = 0; j < l->n; j++) {
			fwrite(l->c[j].s, 1, l->c[j].len, t->out);
			if (j < t->nw)
				for (size_t k = l->c[j].width; k < t->widths[j]; k++)
					fputc(' ', t->out);
		}
		if (i + 1 < t->n)
			fputc('\n', t->out);
	}
}

/* Go's (*Writer).format: a column block is a run of lines that have a
 * terminated cell in this column; its width is the widest cell + padding. */
static void tw_format(struct tw *t, size_t line0, size_t line1)
{
	size_t column = t->nw;

	for (size_t this = line0; this < line1; this ++) {
		if (column + 1 >= t->lines[this].n)
			continue;
		tw_write_lines(t, line0, this);
		line0 = this;
		size_t width = 10;
		for (; this < line1; this ++) {
			const struct tw_line *l = &t->lines[this];
			if (column + 1 >= l->n)
				break;
			if (l->c[column].width + 3 > width)
				width = l->c[column].width + 3;
		}
		t->widths[t->nw++] = width;
		tw_format(t, line0, this);
		t->nw--;
		line0 = this; /* this line has no cell here: the loop may skip it */
	}
	tw_write_lines(t, line0, line1);
}

void cli_tabwrite(const char *text, size_t len)
{
	struct tw t = {.out = stdout};
	bool wide = false;
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n')
			continue;
		struct tw_line l = {0};
		size_t cs = start;
		for (size_t k = start; k <= i; k++) {
			if (k < i && text[k] != '\t')
				continue;
			l.c = xrealloc(l.c, (l.n + 1) * sizeof(*l.c));
			l.c[l.n].s = text + cs;
			l.c[l.n].len = k - cs;
			l.c[l.n].width = 0;
			for (size_t b = cs; b < k; b++)
				l.c[l.n].width += ((unsigned char)text[b] & 0xc0) != 0x80;
			l.n++;
			cs = k + 1;
		}
		wide |= l.n > TW_MAX_COLS;
		t.lines = xrealloc(t.lines, (t.n + 1) * sizeof(*t.lines));
		t.lines[t.n++] = l;
		start = i + 1;
	}
	if (wide)
		fwrite(text, 1, len, stdout);
	else
		tw_format(&t, 0, t.n);
	for (size_t i = 0; i < t.n; i++)
		free(t.lines[i].c);
	free(t.lines);
}
