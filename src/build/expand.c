/* hako build: Docker's shell-word processing (moby/buildkit
 * frontend/dockerfile/shell/lex.go): quotes, the escape character and
 * variable substitution in the instructions that substitute (ADD, COPY, ENV,
 * EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR, ARG, and the flags
 * of ADD/COPY).  RUN, CMD and ENTRYPOINT are left to the shell. */
#include <ctype.h>
#include <string.h>

#include "build/build.h"
#include "util/util.h"

struct lex {
	const char *s;
	size_t pos, len;
	char esc;
	build_lookup_fn lookup;
	void *arg;
	char ***used;
	struct hk_error **err;
};

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_putc(struct buf *b, char c)
{
	if (b->len + 2 > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 32;
		b->p = xrealloc(b->p, b->cap);
	}
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
	while (s && *s)
		buf_putc(b, *s++);
}

static char *buf_take(struct buf *b)
{
	char *p = b->p ? b->p : xstrdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

static int peek(const struct lex *l)
{
	return l->pos < l->len ? (unsigned char)l->s[l->pos] : -1;
}

static const char *look(struct lex *l, const char *name)
{
	if (l->used && !strv_has(*l->used, name))
		strv_push(l->used, name);
	return l->lookup ? l->lookup(l->arg, name) : NULL;
}

static int process_until(struct lex *l, int stop, struct buf *out);

/* After "$": a name, ${...} or a literal '$'. */
static int process_dollar(struct lex *l, struct buf *out)
{
	struct buf name = {0};
	_cleanup_free_ char *n = NULL;
	const char *v;
	int c = peek(l);

	if (c != '{') {
		if (c >= 0 && (isalpha(c) || c == '_')) {
			while ((c = peek(l)) >= 0 && (isalnum(c) || c == '_')) {
				buf_putc(&name, (char)c);
				l->pos++;
			}
		} else if (c >= 0 && isdigit(c)) {
			buf_putc(&name, (char)c);
			l->pos++;
		} else {
			buf_putc(out, '$');
			return 0;
		}
		n = buf_take(&name);
		buf_puts(out, look(l, n));
		return 0;
	}
	l->pos++;
	while ((c = peek(l)) >= 0 && (isalnum(c) || c == '_')) {
		buf_putc(&name, (char)c);
		l->pos++;
	}
	n = buf_take(&name);
	if (!*n)
		return hk_error_set(l->err, 0, "bad substitution: '${' without a variable name");
	if (c == '}') {
		l->pos++;
		buf_puts(out, look(l, n));
		return 0;
	}
	if (c < 0)
		return hk_error_set(l->err, 0, "bad substitution: missing '}' after ${%s", n);
	{
		bool colon = false;
		int mod;
		struct buf word = {0};
		_cleanup_free_ char *w = NULL;

		if (c == ':') {
			colon = true;
			l->pos++;
		}
		mod = peek(l);
		if (mod != '-' && mod != '+' && mod != '?')
			return hk_error_set(l->err, 0,
					    "bad substitution: unsupported modifier '%c' in ${%s}",
					    mod < 0 ? ' ' : mod, n);
		l->pos++;
		if (process_until(l, '}', &word) < 0) {
			free(word.p);
			return -1;
		}
		w = buf_take(&word);
		if (peek(l) != '}')
			return hk_error_set(l->err, 0, "bad substitution: missing '}' after ${%s",
					    n);
		l->pos++;
		v = look(l, n);
		bool set = colon ? (v && *v) : v != NULL;
		switch (mod) {
		case '-':
			buf_puts(out, set ? v : w);
			break;
		case '+':
			if (set)
				buf_puts(out, w);
			break;
		default: /* '?' */
			if (!set && l->lookup)
				return hk_error_set(l->err, 0, "%s: %s", n,
						    *w ? w : "is not allowed to be unset");
			buf_puts(out, v);
			break;
		}
	}
	return 0;
}

static int process_single(struct lex *l, struct buf *out)
{
	int c;

	while ((c = peek(l)) >= 0 && c != '\'') {
		buf_putc(out, (char)c);
		l->pos++;
	}
	if (c < 0)
		return hk_error_set(l->err, 0,
				    "unexpected end of statement while looking for a "
				    "matching single-quote");
	l->pos++;
	return 0;
}

static int process_double(struct lex *l, struct buf *out)
{
	int c;

	while ((c = peek(l)) >= 0 && c != '"') {
		l->pos++;
		if (c == '$') {
			if (process_dollar(l, out) < 0)
				return -1;
			continue;
		}
		if (c == l->esc) {
			int n = peek(l);
			if (n == '"' || n == '$' || n == l->esc) {
				buf_putc(out, (char)n);
				l->pos++;
				continue;
			}
		}
		buf_putc(out, (char)c);
	}
	if (c < 0)
		return hk_error_set(l->err, 0,
				    "unexpected end of statement while looking for a "
				    "matching double-quote");
	l->pos++;
	return 0;
}

/* Process characters until stop (not consumed; -1: the end). */
static int process_until(struct lex *l, int stop, struct buf *out)
{
	int c;

	while ((c = peek(l)) >= 0 && c != stop) {
		l->pos++;
		if (c == l->esc) {
			int n = peek(l);
			if (n < 0) {
				buf_putc(out, (char)c);
				break;
			}
			buf_putc(out, (char)n);
			l->pos++;
		} else if (c == '\'') {
			if (process_single(l, out) < 0)
				return -1;
		} else if (c == '"') {
			if (process_double(l, out) < 0)
				return -1;
		} else if (c == '$') {
			if (process_dollar(l, out) < 0)
				return -1;
		} else {
			buf_putc(out, (char)c);
		}
	}
	return 0;
}

int build_expand_word(const char *word, char escape, build_lookup_fn lookup, void *arg,
		      char ***used, char **out, struct hk_error **err)
{
	struct lex l = {.s = word,
			.len = strlen(word),
			.esc = escape,
			.lookup = lookup,
			.arg = arg,
			.used = used,
			.err = err};
	struct buf b = {0};

	if (process_until(&l, -1, &b) < 0) {
		free(b.p);
		return -1;
	}
	*out = buf_take(&b);
	return 0;
}

char **build_split_raw(const char *text, char escape)
{
	char **words = xzalloc(sizeof(char *));
	struct buf w = {0};
	bool in_word = false;
	char quote = 0;

	for (const char *p = text; *p; p++) {
		char c = *p;
		if (!quote && isspace((unsigned char)c)) {
			if (in_word) {
				_cleanup_free_ char *s = buf_take(&w);
				strv_push(&words, s);
				in_word = false;
			}
			continue;
		}
		in_word = true;
		buf_putc(&w, c);
		if (c == escape && quote != '\'' && p[1]) {
			buf_putc(&w, *++p);
			continue;
		}
		if (!quote && (c == '\'' || c == '"'))
			quote = c;
		else if (quote && c == quote)
			quote = 0;
	}
	if (in_word) {
		_cleanup_free_ char *s = buf_take(&w);
		strv_push(&words, s);
	}
	free(w.p);
	return words;
}

int build_expand_words(const char *text, char escape, build_lookup_fn lookup, void *arg,
		       char ***used, char ***out, struct hk_error **err)
{
	_cleanup_strv_ char **raw = build_split_raw(text, escape);
	_cleanup_strv_ char **words = xzalloc(sizeof(char *));

	for (size_t i = 0; raw[i]; i++) {
		_cleanup_free_ char *w = NULL;
		if (build_expand_word(raw[i], escape, lookup, arg, used, &w, err) < 0)
			return -1;
		strv_push(&words, w);
	}
	*out = steal_ptr(&words);
	return 0;
}

static bool valid_key(const char *k)
{
	return *k != '\0';
}

int build_key_values(const struct build_instr *in, char escape, build_lookup_fn lookup, void *arg,
		     char ***used, char ***out, struct hk_error **err)
{
	_cleanup_strv_ char **raw = build_split_raw(in->args, escape);
	_cleanup_strv_ char **kv = xzalloc(sizeof(char *));
	const char *what = build_kind_name(in->kind);

	if (!raw[0])
		return hk_error_set(err, 0, "%s requires at least one argument", what);
	/* ENV's legacy form: the first word has no '=': "ENV KEY the rest" */
	if (in->kind == BUILD_ENV && !strchr(raw[0], '=')) {
		const char *rest = in->args + strlen(raw[0]);
		_cleanup_free_ char *k = NULL, *v = NULL, *pair = NULL;
		while (isspace((unsigned char)*rest))
			rest++;
		if (!*rest)
			return hk_error_set(err, 0, "ENV %s: missing a value (ENV KEY=VALUE)",
					    raw[0]);
		if (build_expand_word(raw[0], escape, lookup, arg, used, &k, err) < 0 ||
		    build_expand_word(rest, escape, lookup, arg, used, &v, err) < 0)
			return -1;
		pair = xasprintf("%s=%s", k, v);
		strv_push(&kv, pair);
		*out = steal_ptr(&kv);
		return 0;
	}
	for (size_t i = 0; raw[i]; i++) {
		char *eq = strchr(raw[i], '=');
		_cleanup_free_ char *k = NULL, *v = NULL, *pair = NULL;
		if (!eq && in->kind != BUILD_ARG)
			return hk_error_set(err, 0, "%s %s: expected KEY=VALUE", what, raw[i]);
		if (in->kind == BUILD_ARG) {
			/* ARG names are not substituted */
			k = eq ? xstrndup(raw[i], (size_t)(eq - raw[i])) : xstrdup(raw[i]);
		} else {
			_cleanup_free_ char *rk = xstrndup(raw[i], (size_t)(eq - raw[i]));
			if (build_expand_word(rk, escape, lookup, arg, used, &k, err) < 0)
				return -1;
		}
		if (!valid_key(k))
			return hk_error_set(err, 0, "%s %s: empty name", what, raw[i]);
		if (eq && build_expand_word(eq + 1, escape, lookup, arg, used, &v, err) < 0)
			return -1;
		pair = v ? xasprintf("%s=%s", k, v) : xstrdup(k);
		strv_push(&kv, pair);
	}
	*out = steal_ptr(&kv);
	return 0;
}
