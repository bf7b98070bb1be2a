/* hako: Go's text/template over json-c values (see template.h).
 *
 * Three steps as in Go: a lexer turns the text into tokens, a recursive
 * descent parser builds a small tree (with Go's parse-time checks: known
 * functions, declared variables, break only inside range), and an evaluator
 * walks the tree with a variable stack.  Every value the evaluator holds is
 * a counted json-c reference (NULL is JSON null) plus a "missing" flag for
 * Go's invalid reflect.Value, the result of a field that does not exist.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/template.h"
#include "util/util.h"

/* Go allows far more; these keep recursion a few hundred frames deep. */
#define MAX_NEST  100 /* nested blocks and parentheses in the text */
#define MAX_PRINT 200 /* nesting of a value being printed */
#define MAX_TEXT  (1 << 20)

/* ------------------------------------------------------------------------ */
/* growable output buffer */

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

static void HK_PRINTF(2, 3) buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[128];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		buf_add(b, small, (size_t)n);
		return;
	}
	_cleanup_free_ char *big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_add(b, big, (size_t)n);
}

static char *buf_steal(struct buf *b)
{
	char *p = b->p ? b->p : xstrdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

/* UTF-8: encode a rune (invalid ones as U+FFFD). */
static void buf_rune(struct buf *b, long r)
{
	char s[4];

	if (r < 0 || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		r = 0xfffd;
	if (r < 0x80) {
		buf_addc(b, (char)r);
	} else if (r < 0x800) {
		s[0] = (char)(0xc0 | (r >> 6));
		s[1] = (char)(0x80 | (r & 0x3f));
		buf_add(b, s, 2);
	} else if (r < 0x10000) {
		s[0] = (char)(0xe0 | (r >> 12));
		s[1] = (char)(0x80 | ((r >> 6) & 0x3f));
		s[2] = (char)(0x80 | (r & 0x3f));
		buf_add(b, s, 3);
	} else {
		s[0] = (char)(0xf0 | (r >> 18));
		s[1] = (char)(0x80 | ((r >> 12) & 0x3f));
		s[2] = (char)(0x80 | ((r >> 6) & 0x3f));
		s[3] = (char)(0x80 | (r & 0x3f));
		buf_add(b, s, 4);
	}
}

/* Decode one rune at s (n bytes left); *len gets its size; -1 if invalid. */
static long utf8_decode(const unsigned char *s, size_t n, size_t *len)
{
	long r;
	size_t k;

	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, r = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, r = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, r = s[0] & 0x07;
	else
		return -1;
	if (k > n)
		return -1;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		r = (r << 6) | (s[i] & 0x3f);
	}
	if ((k == 3 && r < 0x800) || (k == 4 && (r < 0x10000 || r > 0x10ffff)) ||
	    (r >= 0xd800 && r <= 0xdfff))
		return -1;
	*len = k;
	return r;
}

static size_t utf8_count(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* ------------------------------------------------------------------------ */
/* positions and errors */

static void line_col(const char *src, size_t pos, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < pos && src[i]; i++) {
		if (src[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* ------------------------------------------------------------------------ */
/* lexer */

enum tok_type {
	TK_EOF,
	TK_TEXT,
	TK_LEFT,
	TK_RIGHT,
	TK_SPACE,
	TK_FIELD,  /* .Name: s = "Name" */
	TK_DOT,	   /* . */
	TK_VAR,	   /* $x: s = "$x" */
	TK_IDENT,  /* function name or keyword */
	TK_STRING, /* decoded */
	TK_CHAR,   /* 'x': ival */
	TK_NUMBER, /* text */
	TK_BOOL,
	TK_NIL,
	TK_LPAREN,
	TK_RPAREN,
	TK_PIPE,
	TK_DECLARE,
	TK_ASSIGN,
	TK_COMMA,
};

struct tok {
	enum tok_type t;
	size_t pos, len; /* span in the source */
	char *s;	 /* TEXT, FIELD, VAR, IDENT, STRING, NUMBER (owned) */
	size_t slen;
	long ival;
};

struct lexer {
	const char *src;
	size_t n, pos;
	struct tok *toks;
	size_t ntoks, cap;
	struct hk_error **err;
};

static int lex_fail(struct lexer *l, size_t pos, const char *fmt, ...) HK_PRINTF(3, 4);
static int lex_fail(struct lexer *l, size_t pos, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int line, col;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	line_col(l->src, pos, &line, &col);
	return hk_error_set(l->err, 0, "template: :%d:%d: %s", line, col, msg);
}

static struct tok *emit(struct lexer *l, enum tok_type t, size_t pos, size_t len)
{
	if (l->ntoks == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->toks = xrealloc(l->toks, l->cap * sizeof(*l->toks));
	}
	struct tok *k = &l->toks[l->ntoks++];
	*k = (struct tok){.t = t, .pos = pos, .len = len};
	return k;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alnum(char c)
{
	return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* " -}}" at p: a right delimiter that trims the text after it. */
static bool right_trim_at(const struct lexer *l, size_t p)
{
	return p + 4 <= l->n && is_space(l->src[p]) && !strncmp(l->src + p + 1, "-}}", 3);
}

/* Go's atTerminator: what may follow a field, variable or identifier. */
static bool at_terminator(const struct lexer *l, size_t p)
{
	char c;

	if (p >= l->n)
		return true;
	c = l->src[p];
	return is_space(c) || c == '.' || c == ',' || c == '|' || c == ':' || c == ')' ||
	       c == '(' || !strncmp(l->src + p, "}}", 2);
}

/* Go's %#U of the rune at p, for messages: U+007D '}' */
static void rune_desc(const struct lexer *l, size_t p, char *out, size_t len)
{
	size_t n;
	long r = utf8_decode((const unsigned char *)l->src + p, l->n - p, &n);

	if (r < 0)
		snprintf(out, len, "U+FFFD");
	else if (r >= 0x20 && r != 0x7f)
		snprintf(out, len, "U+%04lX '%.*s'", r, (int)n, l->src + p);
	else
		snprintf(out, len, "U+%04lX", r);
}

static void hex_digit_val(char c, int *v)
{
	if (c >= '0' && c <= '9')
		*v = c - '0';
	else if (c >= 'a' && c <= 'f')
		*v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		*v = c - 'A' + 10;
	else
		*v = -1;
}

/* One escape after a backslash at src[*p] (pointing past '\\'), as Go's
 * strconv.Unquote; quote is the literal's quote character. */
static int lex_escape(struct lexer *l, size_t *p, char quote, struct buf *b)
{
	size_t start = *p - 1;
	char c;
	int digits = 0, base = 16;
	long r = 0;

	if (*p >= l->n)
		return lex_fail(l, start, "unterminated quoted string");
	c = l->src[(*p)++];
	switch (c) {
	case 'a':
		buf_addc(b, '\a');
		return 0;
	case 'b':
		buf_addc(b, '\b');
		return 0;
	case 'f':
		buf_addc(b, '\f');
		return 0;
	case 'n':
		buf_addc(b, '\n');
		return 0;
	case 'r':
		buf_addc(b, '\r');
		return 0;
	case 't':
		buf_addc(b, '\t');
		return 0;
	case 'v':
		buf_addc(b, '\v');
		return 0;
	case '\\':
		buf_addc(b, '\\');
		return 0;
	case '\'':
	case '"':
		if (c != quote)
			return lex_fail(l, start, "invalid syntax: unknown escape \\%c", c);
		buf_addc(b, c);
		return 0;
	case 'x':
		digits = 2;
		break;
	case 'u':
		digits = 4;
		break;
	case 'U':
		digits = 8;
		break;
	default:
		if (c >= '0' && c <= '7') {
			digits = 2;
			base = 8;
			r = c - '0';
			break;
		}
		return lex_fail(l, start, "invalid syntax: unknown escape \\%c", c);
	}
	for (int i = 0; i < digits; i++) {
		int v;
		if (*p >= l->n)
			return lex_fail(l, start, "invalid syntax: short escape");
		hex_digit_val(l->src[*p], &v);
		if (v < 0 || v >= base)
			return lex_fail(l, start, "invalid syntax: bad escape digit");
		r = r * base + v;
		(*p)++;
	}
	if (base == 8 && r > 255)
		return lex_fail(l, start, "invalid syntax: octal escape out of range");
	if (c == 'x' || base == 8)
		buf_addc(b, (char)r);
	else if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		return lex_fail(l, start, "invalid syntax: escape is not a valid rune");
	else
		buf_rune(b, r);
	return 0;
}

static int lex_quote(struct lexer *l)
{
	size_t start = l->pos, p = l->pos + 1;
	struct buf b = {0};

	for (;;) {
		if (p >= l->n || l->src[p] == '\n') {
			free(b.p);
			return lex_fail(l, start, "unterminated quoted string");
		}
		char c = l->src[p++];
		if (c == '"')
			break;
		if (c == '\\') {
			if (lex_escape(l, &p, '"', &b) < 0) {
				free(b.p);
				return -1;
			}
			continue;
		}
		buf_addc(&b, c);
	}
	struct tok *k = emit(l, TK_STRING, start, p - start);
	k->slen = b.len;
	k->s = buf_steal(&b);
	l->pos = p;
	return 0;
}

static int lex_raw(struct lexer *l)
{
	size_t start = l->pos, p = l->pos + 1;
	struct buf b = {0};

	for (;; p++) {
		if (p >= l->n) {
			free(b.p);
			return lex_fail(l, start, "unterminated raw quoted string");
		}
		if (l->src[p] == '`')
			break;
		if (l->src[p] != '\r') /* Go drops carriage returns from raw strings */
			buf_addc(&b, l->src[p]);
	}
	struct tok *k = emit(l, TK_STRING, start, p + 1 - start);
	k->slen = b.len;
	k->s = buf_steal(&b);
	l->pos = p + 1;
	return 0;
}

static int lex_char(struct lexer *l)
{
	size_t start = l->pos, p = l->pos + 1, len;
	struct buf b = {0};
	long r;

	if (p >= l->n || l->src[p] == '\n' || l->src[p] == '\'')
		return lex_fail(l, start, "malformed character constant");
	if (l->src[p] == '\\') {
		p++;
		if (lex_escape(l, &p, '\'', &b) < 0) {
			free(b.p);
			return -1;
		}
		r = utf8_decode((const unsigned char *)b.p, b.len, &len);
		if (b.len == 1)
			r = (unsigned char)b.p[0];
		else if (len != b.len)
			r = -1;
		free(b.p);
	} else {
		r = utf8_decode((const unsigned char *)l->src + p, l->n - p, &len);
		p += len;
	}
	if (r < 0 || p >= l->n || l->src[p] != '\'')
		return lex_fail(l, start, "malformed character constant: %.*s",
				(int)(p - start < 16 ? p - start + 1 : 16), l->src + start);
	emit(l, TK_CHAR, start, p + 1 - start)->ival = r;
	l->pos = p + 1;
	return 0;
}

static int lex_number(struct lexer *l)
{
	size_t start = l->pos, p = l->pos;
	bool hex = false;

	if (l->src[p] == '+' || l->src[p] == '-')
		p++;
	if (p + 1 < l->n && l->src[p] == '0' && (l->src[p + 1] == 'x' || l->src[p + 1] == 'X'))
		hex = true;
	while (p < l->n) {
		char c = l->src[p], prev = p > start ? l->src[p - 1] : 0;
		if (is_alnum(c) || c == '.')
			p++;
		else if ((c == '+' || c == '-') &&
			 (((prev == 'e' || prev == 'E') && !hex) || prev == 'p' || prev == 'P'))
			p++;
		else
			break;
	}
	if (p == start + 1 && (l->src[start] == '+' || l->src[start] == '-'))
		return lex_fail(l, start, "bad number syntax: \"%c\"", l->src[start]);
	struct tok *k = emit(l, TK_NUMBER, start, p - start);
	k->s = xstrndup(l->src + start, p - start);
	k->slen = p - start;
	l->pos = p;
	return 0;
}

static int lex_word(struct lexer *l, enum tok_type t, size_t skip)
{
	size_t start = l->pos, p = l->pos + skip;

	while (p < l->n && is_alnum(l->src[p]))
		p++;
	if (!at_terminator(l, p)) {
		char d[32];
		rune_desc(l, p, d, sizeof(d));
		return lex_fail(l, p, "bad character %s", d);
	}
	if (t == TK_FIELD && p == start + 1)
		t = TK_DOT;
	struct tok *k = emit(l, t, start, p - start);
	if (t == TK_FIELD) {
		k->s = xstrndup(l->src + start + 1, p - start - 1);
		k->slen = p - start - 1;
	} else if (t != TK_DOT) {
		k->s = xstrndup(l->src + start, p - start);
		k->slen = p - start;
	}
	if (t == TK_IDENT && !strcmp(k->s, "true"))
		k->t = TK_BOOL, k->ival = 1;
	else if (t == TK_IDENT && !strcmp(k->s, "false"))
		k->t = TK_BOOL, k->ival = 0;
	else if (t == TK_IDENT && !strcmp(k->s, "nil"))
		k->t = TK_NIL;
	l->pos = p;
	return 0;
}

/* Inside {{ }}: tokens until the right delimiter; *trim says it was -}}. */
static int lex_action(struct lexer *l, bool *trim)
{
	int parens = 0;

	for (;;) {
		size_t p = l->pos;
		char c;

		if (p + 2 <= l->n && !strncmp(l->src + p, "}}", 2)) {
			if (parens > 0)
				return lex_fail(l, p, "unclosed left paren");
			emit(l, TK_RIGHT, p, 2);
			l->pos = p + 2;
			*trim = false;
			return 0;
		}
		if (right_trim_at(l, p)) {
			if (parens > 0)
				return lex_fail(l, p, "unclosed left paren");
			emit(l, TK_RIGHT, p, 4);
			l->pos = p + 4;
			*trim = true;
			return 0;
		}
		if (p >= l->n)
			return lex_fail(l, p, "unclosed action");
		c = l->src[p];
		if (is_space(c)) {
			size_t q = p;
			while (q < l->n && is_space(l->src[q]) && !right_trim_at(l, q))
				q++;
			if (q == p) /* " -}}" right here is handled above */
				q++;
			emit(l, TK_SPACE, p, q - p);
			l->pos = q;
			continue;
		}
		switch (c) {
		case '=':
			emit(l, TK_ASSIGN, p, 1);
			l->pos++;
			continue;
		case ':':
			if (p + 1 >= l->n || l->src[p + 1] != '=')
				return lex_fail(l, p, "expected :=");
			emit(l, TK_DECLARE, p, 2);
			l->pos += 2;
			continue;
		case '|':
			emit(l, TK_PIPE, p, 1);
			l->pos++;
			continue;
		case ',':
			emit(l, TK_COMMA, p, 1);
			l->pos++;
			continue;
		case '(':
			if (++parens > MAX_NEST)
				return lex_fail(l, p, "too many nested parentheses");
			emit(l, TK_LPAREN, p, 1);
			l->pos++;
			continue;
		case ')':
			if (--parens < 0)
				return lex_fail(l, p, "unexpected right paren");
			emit(l, TK_RPAREN, p, 1);
			l->pos++;
			continue;
		case '"':
			if (lex_quote(l) < 0)
				return -1;
			continue;
		case '`':
			if (lex_raw(l) < 0)
				return -1;
			continue;
		case '\'':
			if (lex_char(l) < 0)
				return -1;
			continue;
		case '$':
			if (lex_word(l, TK_VAR, 1) < 0)
				return -1;
			continue;
		case '.':
			if (p + 1 < l->n && isdigit((unsigned char)l->src[p + 1])) {
				if (lex_number(l) < 0)
					return -1;
				continue;
			}
			if (lex_word(l, TK_FIELD, 1) < 0)
				return -1;
			continue;
		default:
			break;
		}
		if (c == '+' || c == '-' || isdigit((unsigned char)c)) {
			if (lex_number(l) < 0)
				return -1;
		} else if (is_alnum(c)) {
			if (lex_word(l, TK_IDENT, 0) < 0)
				return -1;
		} else if (c == '/' && p + 1 < l->n && l->src[p + 1] == '*') {
			return lex_fail(l, p, "comment must be alone in its action");
		} else {
			char d[32];
			rune_desc(l, p, d, sizeof(d));
			return lex_fail(l, p, "unrecognized character in action: %s", d);
		}
	}
}

static int lex(struct lexer *l)
{
	bool trim_next = false;

	while (l->pos < l->n) {
		const char *open = strstr(l->src + l->pos, "{{");
		size_t at = open ? (size_t)(open - l->src) : l->n, end = at, start = l->pos;
		bool trim_left =
			open && at + 3 < l->n && l->src[at + 2] == '-' && is_space(l->src[at + 3]);

		if (trim_next)
			while (start < end && is_space(l->src[start]))
				start++;
		if (trim_left)
			while (end > start && is_space(l->src[end - 1]))
				end--;
		if (end > start)
			emit(l, TK_TEXT, start, end - start);
		if (!open)
			break;
		l->pos = at + (trim_left ? 4 : 2);
		if (l->pos + 1 < l->n && !strncmp(l->src + l->pos, "/*", 2)) {
			const char *close = strstr(l->src + l->pos + 2, "*/");
			if (!close)
				return lex_fail(l, at, "unclosed comment");
			l->pos = (size_t)(close - l->src) + 2;
			if (right_trim_at(l, l->pos)) {
				l->pos += 4;
				trim_next = true;
			} else if (!strncmp(l->src + l->pos, "}}", 2)) {
				l->pos += 2;
				trim_next = false;
			} else {
				return lex_fail(l, l->pos, "comment ends before closing delimiter");
			}
			continue;
		}
		emit(l, TK_LEFT, at, l->pos - at);
		if (lex_action(l, &trim_next) < 0)
			return -1;
	}
	emit(l, TK_EOF, l->n, 0);
	return 0;
}

static void lexer_free(struct lexer *l)
{
	for (size_t i = 0; i < l->ntoks; i++)
		free(l->toks[i].s);
	free(l->toks);
}

/* ------------------------------------------------------------------------ */
/* the tree */

enum expr_kind { E_DOT, E_FIELD, E_VAR, E_FUNC, E_PIPE, E_STRING, E_INT, E_FLOAT, E_BOOL, E_NIL };

struct pipe;

struct expr {
	enum expr_kind kind;
	size_t pos, end;
	char *name;    /* E_VAR: "$x"; E_FUNC: name; E_STRING: bytes */
	size_t len;    /* E_STRING */
	char **fields; /* chain applied to the term's value */
	size_t nfields;
	long long i;
	double f;
	struct pipe *pipe; /* E_PIPE */
};

struct cmd {
	struct expr **args;
	size_t nargs;
	size_t pos, end;
};

struct pipe {
	struct cmd **cmds;
	size_t ncmds;
	char *decl[2];
	size_t ndecl;
	bool assign;
	size_t pos, end;
};

enum node_kind { N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH, N_BREAK, N_CONTINUE };

struct node;

struct list {
	struct node **v;
	size_t n;
};

struct node {
	enum node_kind kind;
	size_t pos, len; /* N_TEXT: the bytes in the source */
	struct pipe *pipe;
	struct list body, other;
};

struct tmpl {
	char *src;
	struct list root;
};

static void pipe_free(struct pipe *p);

static void expr_free(struct expr *e)
{
	if (!e)
		return;
	free(e->name);
	for (size_t i = 0; i < e->nfields; i++)
		free(e->fields[i]);
	free(e->fields);
	pipe_free(e->pipe);
	free(e);
}

static void cmd_free(struct cmd *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nargs; i++)
		expr_free(c->args[i]);
	free(c->args);
	free(c);
}

static void pipe_free(struct pipe *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->ncmds; i++)
		cmd_free(p->cmds[i]);
	free(p->cmds);
	free(p->decl[0]);
	free(p->decl[1]);
	free(p);
}

static void list_free(struct list *l);

static void node_free(struct node *n)
{
	if (!n)
		return;
	pipe_free(n->pipe);
	list_free(&n->body);
	list_free(&n->other);
	free(n);
}

static void list_free(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		node_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void list_add(struct list *l, struct node *n)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = n;
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	list_free(&t->root);
	free(t->src);
	free(t);
}

/* ------------------------------------------------------------------------ */
/* parser */

struct parser {
	struct lexer *lx;
	size_t i; /* next token */
	int depth, ranges;
	char **vars; /* declared variable names, innermost last (borrowed) */
	size_t nvars;
	struct hk_error **err;
};

static const char *const keywords[] = {"if",	"else",	    "end",    "range",	  "with",
				       "break", "continue", "define", "template", "block"};

static bool is_keyword(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(keywords); i++)
		if (!strcmp(s, keywords[i]))
			return true;
	return false;
}

static bool func_known(const char *name);

static int parse_fail(struct parser *p, size_t pos, const char *fmt, ...) HK_PRINTF(3, 4);
static int parse_fail(struct parser *p, size_t pos, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int line, col;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	line_col(p->lx->src, pos, &line, &col);
	return hk_error_set(p->err, 0, "template: :%d:%d: %s", line, col, msg);
}

static struct tok *peek(struct parser *p)
{
	return &p->lx->toks[p->i];
}

static struct tok *next(struct parser *p)
{
	struct tok *k = &p->lx->toks[p->i];
	if (k->t != TK_EOF)
		p->i++;
	return k;
}

static struct tok *peek_nonspace(struct parser *p)
{
	while (peek(p)->t == TK_SPACE)
		p->i++;
	return peek(p);
}

static struct tok *next_nonspace(struct parser *p)
{
	peek_nonspace(p);
	return next(p);
}

/* A token as Go's error messages quote it. */
static void tok_desc(const struct parser *p, const struct tok *k, char *out, size_t len)
{
	switch (k->t) {
	case TK_EOF:
		snprintf(out, len, "EOF");
		break;
	case TK_RIGHT:
		snprintf(out, len, "\"}}\"");
		break;
	case TK_SPACE:
		snprintf(out, len, "space");
		break;
	case TK_TEXT:
		snprintf(out, len, "text");
		break;
	case TK_IDENT:
		if (is_keyword(k->s)) {
			snprintf(out, len, "<%s>", k->s);
			break;
		}
		/* fallthrough */
	default:
		snprintf(out, len, "%.*s", (int)(k->len < 40 ? k->len : 40), p->lx->src + k->pos);
		if (k->len == 1 || k->t == TK_DECLARE)
			snprintf(out, len, "\"%.*s\"", (int)k->len, p->lx->src + k->pos);
		break;
	}
}

static int unexpected(struct parser *p, const struct tok *k, const char *context)
{
	char d[64];

	if (k->t == TK_EOF)
		return parse_fail(p, k->pos, "unexpected EOF in %s", context);
	tok_desc(p, k, d, sizeof(d));
	return parse_fail(p, k->pos, "unexpected %s in %s", d, context);
}

static bool var_declared(const struct parser *p, const char *name)
{
	if (!strcmp(name, "$"))
		return true;
	for (size_t i = p->nvars; i-- > 0;)
		if (!strcmp(p->vars[i], name))
			return true;
	return false;
}

static void var_declare(struct parser *p, char *name)
{
	p->vars = xrealloc(p->vars, (p->nvars + 1) * sizeof(*p->vars));
	p->vars[p->nvars++] = name;
}

static int parse_pipeline(struct parser *p, const char *context, enum tok_type end, bool decl_ok,
			  struct pipe **out);

static struct expr *expr_new(enum expr_kind kind, const struct tok *k)
{
	struct expr *e = xzalloc(sizeof(*e));
	e->kind = kind;
	e->pos = k->pos;
	e->end = k->pos + k->len;
	return e;
}

static int parse_number(struct parser *p, const struct tok *k, struct expr **out)
{
	_cleanup_free_ char *t = xmalloc(k->slen + 1);
	size_t n = 0;
	char *end = NULL;
	const char *digits;
	bool neg;

	for (size_t i = 0; i < k->slen; i++)
		if (k->s[i] != '_')
			t[n++] = k->s[i];
	t[n] = '\0';
	neg = t[0] == '-';
	digits = t + (t[0] == '-' || t[0] == '+');
	if (!*digits || strchr(t, 'i'))
		goto bad;
	if (digits[0] == '0' &&
	    (digits[1] == 'b' || digits[1] == 'B' || digits[1] == 'o' || digits[1] == 'O')) {
		int base = (digits[1] == 'b' || digits[1] == 'B') ? 2 : 8;
		errno = 0;
		unsigned long long v = strtoull(digits + 2, &end, base);
		if (!digits[2] || *end || errno || v > (unsigned long long)INT64_MAX)
			goto bad;
		*out = expr_new(E_INT, k);
		(*out)->i = neg ? -(long long)v : (long long)v;
		return 0;
	}
	bool hex = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
	bool flt = hex ? strpbrk(digits, "pP.") != NULL : strpbrk(digits, ".eE") != NULL;
	if (!flt) {
		errno = 0;
		unsigned long long v =
			strtoull(digits, &end, hex ? 16 : (digits[0] == '0' ? 8 : 10));
		if (!*end && !errno && v <= (unsigned long long)INT64_MAX + neg) {
			*out = expr_new(E_INT, k);
			(*out)->i = neg ? (long long)(0 - v) : (long long)v;
			return 0;
		}
		if (*end || (digits[0] == '0' && !hex && digits[1]))
			goto bad;
	}
	errno = 0;
	double d = strtod(t, &end);
	if (*end || (hex && !strpbrk(digits, "pP")) || isinf(d))
		goto bad;
	*out = expr_new(E_FLOAT, k);
	(*out)->f = d;
	return 0;
bad:
	return parse_fail(p, k->pos, "bad number syntax: \"%.*s\"",
			  (int)(k->slen < 40 ? k->slen : 40), k->s);
}

/* Go's term: a literal, dot, field, variable, function name or (pipeline). */
static int parse_term(struct parser *p, struct expr **out)
{
	struct tok *k = next_nonspace(p);
	struct expr *e = NULL;

	*out = NULL;
	switch (k->t) {
	case TK_IDENT:
		if (is_keyword(k->s))
			return unexpected(p, k, "operand");
		if (!func_known(k->s))
			return parse_fail(p, k->pos, "function \"%s\" not defined", k->s);
		e = expr_new(E_FUNC, k);
		e->name = xstrdup(k->s);
		break;
	case TK_DOT:
		e = expr_new(E_DOT, k);
		break;
	case TK_NIL:
		e = expr_new(E_NIL, k);
		break;
	case TK_VAR:
		if (!var_declared(p, k->s))
			return parse_fail(p, k->pos, "undefined variable \"%s\"", k->s);
		e = expr_new(E_VAR, k);
		e->name = xstrdup(k->s);
		break;
	case TK_FIELD:
		e = expr_new(E_FIELD, k);
		e->fields = xmalloc(sizeof(char *));
		e->fields[e->nfields++] = xstrdup(k->s);
		break;
	case TK_BOOL:
		e = expr_new(E_BOOL, k);
		e->i = k->ival;
		break;
	case TK_CHAR:
		e = expr_new(E_INT, k);
		e->i = k->ival;
		break;
	case TK_NUMBER:
		if (parse_number(p, k, &e) < 0)
			return -1;
		break;
	case TK_STRING:
		e = expr_new(E_STRING, k);
		e->name = xmalloc(k->slen + 1);
		memcpy(e->name, k->s, k->slen + 1);
		e->len = k->slen;
		break;
	case TK_LPAREN:
		if (++p->depth > MAX_NEST)
			return parse_fail(p, k->pos, "too deeply nested");
		e = expr_new(E_PIPE, k);
		if (parse_pipeline(p, "parenthesized pipeline", TK_RPAREN, false, &e->pipe) < 0) {
			expr_free(e);
			return -1;
		}
		p->depth--;
		e->end = p->lx->toks[p->i - 1].pos + 1;
		break;
	default:
		p->i--;
		return 0;
	}
	*out = e;
	return 0;
}

static int parse_operand(struct parser *p, struct expr **out)
{
	struct expr *e = NULL;

	if (parse_term(p, &e) < 0)
		return -1;
	if (!e) {
		*out = NULL;
		return 0;
	}
	while (peek(p)->t == TK_FIELD) {
		struct tok *k = next(p);
		if (e->kind != E_FIELD && e->kind != E_VAR && e->kind != E_PIPE &&
		    e->kind != E_FUNC) {
			int r = parse_fail(p, k->pos, "unexpected . after term \"%.*s\"",
					   (int)(e->end - e->pos), p->lx->src + e->pos);
			expr_free(e);
			return r;
		}
		if (e->kind == E_FUNC) {
			/* Go evaluates `fn.Field` as a chain on fn's result */
			struct expr *wrap = xzalloc(sizeof(*wrap));
			wrap->kind = E_PIPE;
			wrap->pos = e->pos;
			wrap->pipe = xzalloc(sizeof(*wrap->pipe));
			wrap->pipe->cmds = xmalloc(sizeof(struct cmd *));
			struct cmd *c = xzalloc(sizeof(*c));
			c->args = xmalloc(sizeof(struct expr *));
			c->args[c->nargs++] = e;
			c->pos = e->pos;
			c->end = e->end;
			wrap->pipe->cmds[wrap->pipe->ncmds++] = c;
			e = wrap;
		}
		e->fields = xrealloc(e->fields, (e->nfields + 1) * sizeof(char *));
		e->fields[e->nfields++] = xstrdup(k->s);
		e->end = k->pos + k->len;
	}
	*out = e;
	return 0;
}

static int parse_command(struct parser *p, struct cmd **out)
{
	struct cmd *c = xzalloc(sizeof(*c));

	c->pos = peek_nonspace(p)->pos;
	for (;;) {
		struct expr *e = NULL;
		struct tok *k;

		if (parse_operand(p, &e) < 0) {
			cmd_free(c);
			return -1;
		}
		if (e) {
			c->args = xrealloc(c->args, (c->nargs + 1) * sizeof(*c->args));
			c->args[c->nargs++] = e;
			c->end = e->end;
		}
		k = next(p);
		if (k->t == TK_SPACE)
			continue;
		if (k->t == TK_RIGHT || k->t == TK_RPAREN) {
			p->i--;
		} else if (k->t == TK_PIPE) {
			struct tok *after = peek_nonspace(p);
			if (after->t == TK_RIGHT || after->t == TK_RPAREN) {
				cmd_free(c);
				return unexpected(p, after, "command");
			}
		} else {
			cmd_free(c);
			return unexpected(p, k, "operand");
		}
		break;
	}
	if (c->nargs == 0) {
		size_t pos = c->pos;
		cmd_free(c);
		return parse_fail(p, pos, "empty command");
	}
	*out = c;
	return 0;
}

/* Declarations "$x :=", "$x =", "$i, $v :=" in front of a pipeline. */
static int parse_decl(struct parser *p, struct pipe *pp, const char *context, bool decl_ok)
{
	size_t save = p->i;
	struct tok *v = peek_nonspace(p);

	if (v->t != TK_VAR)
		return 0;
	p->i++;
	struct tok *k = peek_nonspace(p);
	if (k->t == TK_DECLARE || k->t == TK_ASSIGN) {
		p->i++;
		pp->assign = k->t == TK_ASSIGN;
		if (pp->assign && !var_declared(p, v->s))
			return parse_fail(p, v->pos, "undefined variable \"%s\"", v->s);
		pp->decl[pp->ndecl++] = xstrdup(v->s);
		return 0;
	}
	if (k->t == TK_COMMA && decl_ok) {
		p->i++;
		struct tok *v2 = peek_nonspace(p);
		if (v2->t == TK_VAR) {
			p->i++;
			k = peek_nonspace(p);
			if (k->t == TK_DECLARE || k->t == TK_ASSIGN) {
				p->i++;
				pp->assign = k->t == TK_ASSIGN;
				pp->decl[pp->ndecl++] = xstrdup(v->s);
				pp->decl[pp->ndecl++] = xstrdup(v2->s);
				if (pp->assign &&
				    (!var_declared(p, v->s) || !var_declared(p, v2->s)))
					return parse_fail(p, v->pos, "undefined variable");
				return 0;
			}
		}
		return parse_fail(p, v->pos, "too many declarations in %s", context);
	}
	p->i = save;
	return 0;
}

static int parse_pipeline(struct parser *p, const char *context, enum tok_type end, bool decl_ok,
			  struct pipe **out)
{
	struct pipe *pp = xzalloc(sizeof(*pp));

	pp->pos = peek_nonspace(p)->pos;
	if (parse_decl(p, pp, context, decl_ok) < 0)
		goto fail;
	for (;;) {
		struct tok *k = peek_nonspace(p);
		if (k->t == end) {
			p->i++;
			break;
		}
		if (k->t == TK_RIGHT || k->t == TK_RPAREN || k->t == TK_EOF) {
			unexpected(p, k, context);
			goto fail;
		}
		struct cmd *c = NULL;
		if (parse_command(p, &c) < 0)
			goto fail;
		pp->cmds = xrealloc(pp->cmds, (pp->ncmds + 1) * sizeof(*pp->cmds));
		pp->cmds[pp->ncmds++] = c;
		pp->end = c->end;
	}
	if (pp->ncmds == 0) {
		parse_fail(p, pp->pos, "missing value for %s", context);
		goto fail;
	}
	for (size_t i = 1; i < pp->ncmds; i++) {
		enum expr_kind k = pp->cmds[i]->args[0]->kind;
		if (k == E_BOOL || k == E_DOT || k == E_NIL || k == E_INT || k == E_FLOAT ||
		    k == E_STRING) {
			parse_fail(p, pp->cmds[i]->pos,
				   "non executable command in pipeline stage %zu", i + 1);
			goto fail;
		}
	}
	/* declared after the pipeline: `$x := $x` uses the outer one */
	if (!pp->assign)
		for (size_t i = 0; i < pp->ndecl; i++)
			var_declare(p, pp->decl[i]);
	*out = pp;
	return 0;
fail:
	pipe_free(pp);
	return -1;
}

enum list_end { END_EOF, END_END, END_ELSE };

static int parse_list(struct parser *p, struct list *l, enum list_end *how);

/* if / range / with after its keyword; the {{end}} is consumed. */
static int parse_control(struct parser *p, enum node_kind kind, size_t pos, struct node **out)
{
	static const char *const names[] = {[N_IF] = "if", [N_RANGE] = "range", [N_WITH] = "with"};
	struct node *n = xzalloc(sizeof(*n));
	size_t mark = p->nvars;
	enum list_end how;
	int r = -1;

	n->kind = kind;
	n->pos = pos;
	if (++p->depth > MAX_NEST) {
		parse_fail(p, pos, "too deeply nested");
		goto out;
	}
	if (parse_pipeline(p, names[kind], TK_RIGHT, kind == N_RANGE, &n->pipe) < 0)
		goto out;
	if (kind == N_RANGE)
		p->ranges++;
	r = parse_list(p, &n->body, &how);
	if (kind == N_RANGE)
		p->ranges--;
	if (r < 0)
		goto out;
	r = -1;
	if (how == END_EOF) {
		parse_fail(p, p->lx->n, "unexpected EOF");
		goto out;
	}
	if (how == END_ELSE) {
		struct tok *k = peek_nonspace(p);
		if (k->t == TK_IDENT && ((kind == N_IF && !strcmp(k->s, "if")) ||
					 (kind == N_WITH && !strcmp(k->s, "with")))) {
			/* {{else if x}} is {{else}}{{if x}}...{{end}}{{end}} with one end */
			struct node *inner = NULL;
			size_t ipos = k->pos;
			p->i++;
			if (parse_control(p, kind, ipos, &inner) < 0)
				goto out;
			list_add(&n->other, inner);
		} else {
			if (k->t != TK_RIGHT) {
				unexpected(p, k, "else");
				goto out;
			}
			p->i++;
			if (parse_list(p, &n->other, &how) < 0)
				goto out;
			if (how != END_END) {
				parse_fail(p, how == END_EOF ? p->lx->n : p->lx->toks[p->i - 1].pos,
					   how == END_EOF ? "unexpected EOF"
							  : "expected end; found {{else}}");
				goto out;
			}
		}
	}
	r = 0;
	p->depth--;
out:
	p->nvars = mark;
	if (r < 0) {
		node_free(n);
		return -1;
	}
	*out = n;
	return 0;
}

/* One {{action}} after its left delimiter. */
static int parse_action(struct parser *p, struct list *l, enum list_end *how, bool *stop)
{
	struct tok *k = peek_nonspace(p);
	struct node *n = NULL;

	*stop = false;
	if (k->t == TK_IDENT && is_keyword(k->s)) {
		const char *w = k->s;
		size_t pos = k->pos;
		p->i++;
		if (!strcmp(w, "end") || !strcmp(w, "else")) {
			if (!strcmp(w, "end")) {
				struct tok *r = next_nonspace(p);
				if (r->t != TK_RIGHT)
					return unexpected(p, r, "end");
			}
			*how = !strcmp(w, "end") ? END_END : END_ELSE;
			*stop = true;
			return 0;
		}
		if (!strcmp(w, "if") || !strcmp(w, "range") || !strcmp(w, "with")) {
			enum node_kind kind = w[0] == 'i' ? N_IF : w[0] == 'r' ? N_RANGE : N_WITH;
			if (parse_control(p, kind, pos, &n) < 0)
				return -1;
			list_add(l, n);
			return 0;
		}
		if (!strcmp(w, "break") || !strcmp(w, "continue")) {
			struct tok *r = next_nonspace(p);
			if (r->t != TK_RIGHT)
				return unexpected(p, r, w);
			if (p->ranges == 0)
				return parse_fail(p, pos, "{{%s}} outside {{range}}", w);
			n = xzalloc(sizeof(*n));
			n->kind = w[0] == 'b' ? N_BREAK : N_CONTINUE;
			n->pos = pos;
			list_add(l, n);
			return 0;
		}
		return parse_fail(p, pos, "{{%s}} is not supported in --format templates", w);
	}
	n = xzalloc(sizeof(*n));
	n->kind = N_ACTION;
	n->pos = k->pos;
	if (parse_pipeline(p, "command", TK_RIGHT, false, &n->pipe) < 0) {
		node_free(n);
		return -1;
	}
	list_add(l, n);
	return 0;
}

static int parse_list(struct parser *p, struct list *l, enum list_end *how)
{
	for (;;) {
		struct tok *k = next(p);
		bool stop;

		switch (k->t) {
		case TK_EOF:
			*how = END_EOF;
			return 0;
		case TK_TEXT: {
			struct node *n = xzalloc(sizeof(*n));
			n->kind = N_TEXT;
			n->pos = k->pos;
			n->len = k->len;
			list_add(l, n);
			break;
		}
		case TK_LEFT:
			if (parse_action(p, l, how, &stop) < 0)
				return -1;
			if (stop)
				return 0;
			break;
		default:
			return unexpected(p, k, "input");
		}
	}
}

int tmpl_parse(const char *text, struct tmpl **out, struct hk_error **err)
{
	size_t n = strlen(text);
	struct lexer lx = {.src = text, .n = n, .err = err};
	struct parser p = {.lx = &lx, .err = err};
	struct tmpl *t;
	enum list_end how;

	if (n > MAX_TEXT)
		return hk_error_set(err, 0, "template: longer than %d bytes", MAX_TEXT);
	if (lex(&lx) < 0) {
		lexer_free(&lx);
		return -1;
	}
	t = xzalloc(sizeof(*t));
	t->src = xstrdup(text);
	if (parse_list(&p, &t->root, &how) < 0 ||
	    (how != END_EOF && parse_fail(&p, lx.toks[p.i ? p.i - 1 : 0].pos, "unexpected {{%s}}",
					  how == END_END ? "end" : "else") < 0)) {
		free(p.vars);
		lexer_free(&lx);
		tmpl_free(t);
		return -1;
	}
	free(p.vars);
	lexer_free(&lx);
	*out = t;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* values */

struct val {
	bool missing; /* Go's invalid value: a field that does not exist */
	json_object *j;
};

#define VAL_MISSING ((struct val){.missing = true})

static void val_put(struct val *v)
{
	json_object_put(v->j);
	v->j = NULL;
}

static struct val val_ref(json_object *j)
{
	return (struct val){.j = json_object_get(j)};
}

static struct val val_copy(const struct val *v)
{
	return (struct val){.missing = v->missing, .j = json_object_get(v->j)};
}

static struct val val_str(const char *s, size_t n)
{
	return (struct val){.j = json_object_new_string_len(s, (int)n)};
}

static struct val val_int(int64_t i)
{
	return (struct val){.j = json_object_new_int64(i)};
}

static struct val val_bool(bool b)
{
	return (struct val){.j = json_object_new_boolean(b)};
}

enum vtype { VT_MISSING, VT_NIL, VT_BOOL, VT_INT, VT_FLOAT, VT_STRING, VT_ARRAY, VT_OBJECT };

static enum vtype jtype(json_object *j)
{
	switch (json_object_get_type(j)) {
	case json_type_null:
		return VT_NIL;
	case json_type_boolean:
		return VT_BOOL;
	case json_type_int:
		return VT_INT;
	case json_type_double:
		return VT_FLOAT;
	case json_type_string:
		return VT_STRING;
	case json_type_array:
		return VT_ARRAY;
	case json_type_object:
		return VT_OBJECT;
	}
	return VT_NIL;
}

static enum vtype vtype(const struct val *v)
{
	return v->missing ? VT_MISSING : jtype(v->j);
}

/* The Go type a JSON value decodes to, for messages and %T. */
static const char *type_name(enum vtype t)
{
	static const char *const names[] = {[VT_MISSING] = "<nil>",
					    [VT_NIL] = "<nil>",
					    [VT_BOOL] = "bool",
					    [VT_INT] = "int",
					    [VT_FLOAT] = "float64",
					    [VT_STRING] = "string",
					    [VT_ARRAY] = "[]interface {}",
					    [VT_OBJECT] = "map[string]interface {}"};
	return names[t];
}

/* Go's truth: false, 0, "", nil, empty arrays and maps are false. */
static bool truth(const struct val *v)
{
	switch (vtype(v)) {
	case VT_MISSING:
	case VT_NIL:
		return false;
	case VT_BOOL:
		return json_object_get_boolean(v->j);
	case VT_INT:
		return json_object_get_int64(v->j) != 0;
	case VT_FLOAT:
		return json_object_get_double(v->j) != 0;
	case VT_STRING:
		return json_object_get_string_len(v->j) > 0;
	case VT_ARRAY:
		return json_object_array_length(v->j) > 0;
	case VT_OBJECT:
		return json_object_object_length(v->j) > 0;
	}
	return false;
}

/* Go's %v of a float64 (strconv's 'g' with the shortest precision): the
 * fewest digits that read back the same, in %e form when the exponent is
 * below -4 or at least 6 ("1e+06", "1.23456789e+08", "123456"). */
static void go_float(double d, char *out, size_t len)
{
	char tmp[40];
	int prec, exp;

	if (isnan(d)) {
		snprintf(out, len, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(out, len, d > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
	exp = atoi(strchr(tmp, 'e') + 1);
	if (exp < -4 || exp >= 6)
		snprintf(out, len, "%s", tmp);
	else
		snprintf(out, len, "%.*f", prec - 1 - exp > 0 ? prec - 1 - exp : 0, d);
}

struct kv {
	const char *k;
	json_object *v;
};

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

/* An object's members in Go's map order: sorted by key. */
static struct kv *sorted_members(json_object *o, size_t *n)
{
	struct kv *v = xmalloc((json_object_object_length(o) + 1) * sizeof(*v));

	*n = 0;
	json_object_object_foreach(o, k, val)
	{
		v[*n].k = k;
		v[*n].v = val;
		(*n)++;
	}
	qsort(v, *n, sizeof(*v), kv_cmp);
	return v;
}

static void print_json(struct buf *b, json_object *j, int depth)
{
	char num[64];

	if (depth > MAX_PRINT) {
		buf_adds(b, "...");
		return;
	}
	switch (jtype(j)) {
	case VT_MISSING:
	case VT_NIL:
		buf_adds(b, "<nil>");
		break;
	case VT_BOOL:
		buf_adds(b, json_object_get_boolean(j) ? "true" : "false");
		break;
	case VT_INT:
		buf_addf(b, "%" PRId64, json_object_get_int64(j));
		break;
	case VT_FLOAT:
		go_float(json_object_get_double(j), num, sizeof(num));
		buf_adds(b, num);
		break;
	case VT_STRING:
		buf_add(b, json_object_get_string(j), (size_t)json_object_get_string_len(j));
		break;
	case VT_ARRAY:
		buf_addc(b, '[');
		for (size_t i = 0; i < json_object_array_length(j); i++) {
			if (i)
				buf_addc(b, ' ');
			print_json(b, json_object_array_get_idx(j, i), depth + 1);
		}
		buf_addc(b, ']');
		break;
	case VT_OBJECT: {
		size_t n;
		_cleanup_free_ struct kv *m = sorted_members(j, &n);
		buf_adds(b, "map[");
		for (size_t i = 0; i < n; i++) {
			if (i)
				buf_addc(b, ' ');
			buf_adds(b, m[i].k);
			buf_addc(b, ':');
			print_json(b, m[i].v, depth + 1);
		}
		buf_addc(b, ']');
		break;
	}
	}
}

char *tmpl_value_string(json_object *v)
{
	struct buf b = {0};

	print_json(&b, v, 0);
	return buf_steal(&b);
}

/* ------------------------------------------------------------------------ */
/* evaluator */

struct var {
	const char *name;
	struct val v;
};

struct exec {
	const char *src;
	struct buf out;
	struct var *vars;
	size_t nvars, cap;
	int brk;	   /* 1 break, 2 continue */
	bool header;	   /* tmpl_exec_header() */
	size_t at, at_end; /* the command being evaluated, for messages */
	struct hk_error **err;
};

static int ex_fail(struct exec *ex, const char *fmt, ...) HK_PRINTF(2, 3);
static int ex_fail(struct exec *ex, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int line, col;
	size_t n = ex->at_end > ex->at ? ex->at_end - ex->at : 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	line_col(ex->src, ex->at, &line, &col);
	return hk_error_set(ex->err, 0, "template: :%d:%d: executing \"\" at <%.*s%s>: %s", line,
			    col, (int)(n > 60 ? 60 : n), ex->src + ex->at, n > 60 ? "..." : "",
			    msg);
}

static void var_push(struct exec *ex, const char *name, struct val v)
{
	if (ex->nvars == ex->cap) {
		ex->cap = ex->cap ? ex->cap * 2 : 16;
		ex->vars = xrealloc(ex->vars, ex->cap * sizeof(*ex->vars));
	}
	ex->vars[ex->nvars++] = (struct var){.name = name, .v = v};
}

static void var_pop(struct exec *ex, size_t mark)
{
	while (ex->nvars > mark)
		val_put(&ex->vars[--ex->nvars].v);
}

static struct var *var_find(struct exec *ex, const char *name)
{
	for (size_t i = ex->nvars; i-- > 0;)
		if (!strcmp(ex->vars[i].name, name))
			return &ex->vars[i];
	return NULL;
}

static int eval_pipe(struct exec *ex, const struct pipe *pp, const struct val *dot,
		     struct val *out);

/* .Name on v */
static int field(struct exec *ex, struct val *v, const char *name)
{
	json_object *r;

	switch (vtype(v)) {
	case VT_MISSING:
		return 0;
	case VT_OBJECT:
		if (!json_object_object_get_ex(v->j, name, &r)) {
			val_put(v);
			*v = VAL_MISSING;
			return 0;
		}
		json_object_get(r);
		val_put(v);
		v->j = r;
		return 0;
	case VT_NIL:
		return ex_fail(ex, "nil pointer evaluating interface {}.%s", name);
	default:
		return ex_fail(ex, "can't evaluate field %s in type %s", name, type_name(vtype(v)));
	}
}

/* Docker's default column title of a field: "RunningFor" -> "RUNNING FOR",
 * "CPUPerc" -> "CPU PERC", "ID" -> "ID". */
static struct val header_title(const char *key)
{
	size_t n = strlen(key);
	_cleanup_free_ char *out = xmalloc(2 * n + 1);
	char *o = out;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)key[i];
		if (i && isupper(c) &&
		    (islower((unsigned char)key[i - 1]) ||
		     (isupper((unsigned char)key[i - 1]) && i + 1 < n &&
		      islower((unsigned char)key[i + 1]))))
			*o++ = ' ';
		*o++ = (char)toupper(c);
	}
	return val_str(out, (size_t)(o - out));
}

static int chain(struct exec *ex, const struct expr *e, struct val *v)
{
	for (size_t i = 0; i < e->nfields; i++) {
		bool was_object = vtype(v) == VT_OBJECT;
		if (field(ex, v, e->fields[i]) < 0) {
			val_put(v);
			return -1;
		}
		if (ex->header && was_object && v->missing)
			*v = header_title(e->fields[i]);
	}
	return 0;
}

static int call(struct exec *ex, const struct cmd *c, const struct val *dot,
		const struct val *final, struct val *out);

static int eval_arg(struct exec *ex, const struct expr *e, const struct val *dot, struct val *out)
{
	switch (e->kind) {
	case E_DOT:
		*out = val_copy(dot);
		return 0;
	case E_FIELD:
		*out = val_copy(dot);
		return chain(ex, e, out);
	case E_VAR: {
		struct var *v = var_find(ex, e->name);
		if (!v) /* the parser checked; a missing $ cannot happen */
			return ex_fail(ex, "undefined variable %s", e->name);
		*out = val_copy(&v->v);
		return chain(ex, e, out);
	}
	case E_PIPE:
		if (eval_pipe(ex, e->pipe, dot, out) < 0)
			return -1;
		return chain(ex, e, out);
	case E_FUNC: {
		/* a function name as an argument is called with no arguments */
		struct expr *self = (struct expr *)e;
		struct cmd c = {.args = &self, .nargs = 1, .pos = e->pos, .end = e->end};
		if (call(ex, &c, dot, NULL, out) < 0)
			return -1;
		return chain(ex, e, out);
	}
	case E_STRING:
		*out = val_str(e->name, e->len);
		return 0;
	case E_INT:
		*out = val_int(e->i);
		return 0;
	case E_FLOAT:
		*out = (struct val){.j = json_object_new_double(e->f)};
		return 0;
	case E_BOOL:
		*out = val_bool(e->i);
		return 0;
	case E_NIL:
		*out = (struct val){0};
		return 0;
	}
	return ex_fail(ex, "bad expression");
}

/* ---- functions ---- */

struct args {
	struct val *v;
	size_t n;
};

typedef int (*func_fn)(struct exec *ex, struct args *a, struct val *out);

static int want_string(struct exec *ex, const char *fn, const struct val *v, const char **s,
		       size_t *len)
{
	if (vtype(v) != VT_STRING) {
		if (vtype(v) == VT_MISSING || vtype(v) == VT_NIL)
			return ex_fail(ex, "error calling %s: invalid value; expected string", fn);
		return ex_fail(ex, "wrong type for value; expected string; got %s",
			       type_name(vtype(v)));
	}
	*s = json_object_get_string(v->j);
	*len = (size_t)json_object_get_string_len(v->j);
	return 0;
}

static int want_int(struct exec *ex, const struct val *v, long long *out)
{
	double d;

	switch (vtype(v)) {
	case VT_INT:
		*out = json_object_get_int64(v->j);
		return 0;
	case VT_FLOAT:
		d = json_object_get_double(v->j);
		if (d == floor(d) && fabs(d) < 9e15) {
			*out = (long long)d;
			return 0;
		}
		return ex_fail(ex, "%s is not an integer", json_object_get_string(v->j));
	default:
		return ex_fail(ex, "wrong type for value; expected int; got %s",
			       type_name(vtype(v)));
	}
}

static int fn_not(struct exec *ex, struct args *a, struct val *out)
{
	*out = val_bool(!truth(&a->v[0]));
	return 0;
}

static int fn_len(struct exec *ex, struct args *a, struct val *out)
{
	switch (vtype(&a->v[0])) {
	case VT_STRING:
		*out = val_int(json_object_get_string_len(a->v[0].j));
		return 0;
	case VT_ARRAY:
		*out = val_int((int64_t)json_object_array_length(a->v[0].j));
		return 0;
	case VT_OBJECT:
		*out = val_int(json_object_object_length(a->v[0].j));
		return 0;
	case VT_MISSING:
	case VT_NIL:
		return ex_fail(ex, "error calling len: len of nil pointer");
	default:
		return ex_fail(ex, "error calling len: len of type %s", type_name(vtype(&a->v[0])));
	}
}

static int fn_index(struct exec *ex, struct args *a, struct val *out)
{
	struct val cur = val_copy(&a->v[0]);

	for (size_t i = 1; i < a->n; i++) {
		const struct val *k = &a->v[i];
		json_object *r;
		long long idx;

		switch (vtype(&cur)) {
		case VT_ARRAY:
			if (want_int(ex, k, &idx) < 0)
				goto fail;
			if (idx < 0 || (size_t)idx >= json_object_array_length(cur.j)) {
				ex_fail(ex, "error calling index: index out of range: %lld", idx);
				goto fail;
			}
			r = json_object_get(json_object_array_get_idx(cur.j, (size_t)idx));
			val_put(&cur);
			cur.j = r;
			break;
		case VT_OBJECT:
			if (vtype(k) != VT_STRING) {
				ex_fail(ex,
					"error calling index: value has type %s; should be string",
					type_name(vtype(k)));
				goto fail;
			}
			if (json_object_object_get_ex(cur.j, json_object_get_string(k->j), &r))
				r = json_object_get(r);
			else /* Docker's maps are map[string]string: the zero value */
				r = json_object_new_string("");
			val_put(&cur);
			cur.j = r;
			break;
		case VT_MISSING:
		case VT_NIL:
			ex_fail(ex, "error calling index: index of untyped nil");
			goto fail;
		default:
			ex_fail(ex, "error calling index: can't index item of type %s",
				type_name(vtype(&cur)));
			goto fail;
		}
	}
	*out = cur;
	return 0;
fail:
	val_put(&cur);
	return -1;
}

static int fn_slice(struct exec *ex, struct args *a, struct val *out)
{
	enum vtype t = vtype(&a->v[0]);
	long long idx[2] = {0, -1}, len;

	if (t == VT_STRING)
		len = json_object_get_string_len(a->v[0].j);
	else if (t == VT_ARRAY)
		len = (long long)json_object_array_length(a->v[0].j);
	else
		return ex_fail(ex, "error calling slice: can't slice item of type %s",
			       type_name(t));
	if (a->n > 3)
		return ex_fail(ex, "error calling slice: too many slice indexes: %zu", a->n - 1);
	idx[1] = len;
	for (size_t i = 1; i < a->n; i++)
		if (want_int(ex, &a->v[i], &idx[i - 1]) < 0)
			return -1;
	if (idx[0] < 0 || idx[1] > len || idx[0] > idx[1])
		return ex_fail(ex, "error calling slice: index out of range: %lld", idx[1]);
	if (t == VT_STRING) {
		*out = val_str(json_object_get_string(a->v[0].j) + idx[0],
			       (size_t)(idx[1] - idx[0]));
		return 0;
	}
	out->missing = false;
	out->j = json_object_new_array();
	for (long long i = idx[0]; i < idx[1]; i++)
		json_object_array_add(
			out->j, json_object_get(json_object_array_get_idx(a->v[0].j, (size_t)i)));
	return 0;
}

static bool is_num(enum vtype t)
{
	return t == VT_INT || t == VT_FLOAT;
}

static double num(const struct val *v)
{
	return vtype(v) == VT_INT ? (double)json_object_get_int64(v->j)
				  : json_object_get_double(v->j);
}

/* Go's eq for one pair: 0/1, or -1 with the error set. */
static int equal(struct exec *ex, const struct val *a, const struct val *b)
{
	enum vtype ta = vtype(a), tb = vtype(b);
	bool na = ta == VT_MISSING || ta == VT_NIL, nb = tb == VT_MISSING || tb == VT_NIL;

	if (ta == VT_ARRAY || ta == VT_OBJECT || tb == VT_ARRAY || tb == VT_OBJECT)
		return ex_fail(ex, "error calling eq: non-comparable type");
	if (na || nb)
		return na && nb;
	if (is_num(ta) && is_num(tb)) {
		if (ta == VT_INT && tb == VT_INT)
			return json_object_get_int64(a->j) == json_object_get_int64(b->j);
		return num(a) == num(b);
	}
	if (ta != tb)
		return ex_fail(ex, "error calling eq: incompatible types for comparison");
	if (ta == VT_BOOL)
		return json_object_get_boolean(a->j) == json_object_get_boolean(b->j);
	return json_object_get_string_len(a->j) == json_object_get_string_len(b->j) &&
	       !memcmp(json_object_get_string(a->j), json_object_get_string(b->j),
		       (size_t)json_object_get_string_len(a->j));
}

static int fn_eq(struct exec *ex, struct args *a, struct val *out)
{
	for (size_t i = 1; i < a->n; i++) {
		int r = equal(ex, &a->v[0], &a->v[i]);
		if (r < 0)
			return -1;
		if (r) {
			*out = val_bool(true);
			return 0;
		}
	}
	*out = val_bool(false);
	return 0;
}

static int fn_ne(struct exec *ex, struct args *a, struct val *out)
{
	int r = equal(ex, &a->v[0], &a->v[1]);

	if (r < 0)
		return -1;
	*out = val_bool(!r);
	return 0;
}

/* <0 error, else -1/0/1 in *cmp */
static int compare(struct exec *ex, const struct val *a, const struct val *b, int *cmp)
{
	enum vtype ta = vtype(a), tb = vtype(b);

	if (is_num(ta) && is_num(tb)) {
		if (ta == VT_INT && tb == VT_INT) {
			int64_t x = json_object_get_int64(a->j), y = json_object_get_int64(b->j);
			*cmp = x < y ? -1 : x > y;
		} else {
			double x = num(a), y = num(b);
			*cmp = x < y ? -1 : x > y;
		}
		return 0;
	}
	if (ta == VT_STRING && tb == VT_STRING) {
		size_t la = (size_t)json_object_get_string_len(a->j);
		size_t lb = (size_t)json_object_get_string_len(b->j);
		int r = memcmp(json_object_get_string(a->j), json_object_get_string(b->j),
			       la < lb ? la : lb);
		*cmp = r ? (r < 0 ? -1 : 1) : (la < lb ? -1 : la > lb);
		return 0;
	}
	if ((is_num(ta) || ta == VT_STRING) && (is_num(tb) || tb == VT_STRING))
		return ex_fail(ex, "incompatible types for comparison");
	return ex_fail(ex, "invalid type for comparison");
}

static int fn_cmp(struct exec *ex, struct args *a, struct val *out, int lo, int hi)
{
	int c;

	if (compare(ex, &a->v[0], &a->v[1], &c) < 0)
		return -1;
	*out = val_bool(c >= lo && c <= hi);
	return 0;
}

static int fn_lt(struct exec *ex, struct args *a, struct val *out)
{
	return fn_cmp(ex, a, out, -1, -1);
}

static int fn_le(struct exec *ex, struct args *a, struct val *out)
{
	return fn_cmp(ex, a, out, -1, 0);
}

static int fn_gt(struct exec *ex, struct args *a, struct val *out)
{
	return fn_cmp(ex, a, out, 1, 1);
}

static int fn_ge(struct exec *ex, struct args *a, struct val *out)
{
	return fn_cmp(ex, a, out, 0, 1);
}

static void print_val(struct buf *b, const struct val *v)
{
	if (v->missing)
		buf_adds(b, "<nil>");
	else
		print_json(b, v->j, 0);
}

/* fmt.Sprint: spaces between operands when neither side is a string. */
static int fn_print(struct exec *ex, struct args *a, struct val *out)
{
	struct buf b = {0};

	for (size_t i = 0; i < a->n; i++) {
		if (i && vtype(&a->v[i]) != VT_STRING && vtype(&a->v[i - 1]) != VT_STRING)
			buf_addc(&b, ' ');
		print_val(&b, &a->v[i]);
	}
	out->missing = false;
	out->j = json_object_new_string_len(b.p ? b.p : "", (int)b.len);
	free(b.p);
	return 0;
}

static int fn_println(struct exec *ex, struct args *a, struct val *out)
{
	struct buf b = {0};

	for (size_t i = 0; i < a->n; i++) {
		if (i)
			buf_addc(&b, ' ');
		print_val(&b, &a->v[i]);
	}
	buf_addc(&b, '\n');
	out->missing = false;
	out->j = json_object_new_string_len(b.p, (int)b.len);
	free(b.p);
	return 0;
}

/* ---- printf ---- */

struct spec {
	bool minus, plus, sharp, zero, space;
	int width, prec; /* -1: none */
	char verb;
};

static void pad(struct buf *b, const struct spec *sp, const char *s, size_t n, bool numeric)
{
	size_t w = utf8_count(s, n);
	size_t fill = sp->width > 0 && (size_t)sp->width > w ? (size_t)sp->width - w : 0;

	if (sp->minus) {
		buf_add(b, s, n);
		for (size_t i = 0; i < fill; i++)
			buf_addc(b, ' ');
		return;
	}
	if (sp->zero && numeric && n && (s[0] == '-' || s[0] == '+')) {
		buf_addc(b, s[0]);
		s++, n--;
	}
	for (size_t i = 0; i < fill; i++)
		buf_addc(b, sp->zero && numeric ? '0' : ' ');
	buf_add(b, s, n);
}

static void quote_string(struct buf *b, const char *s, size_t n)
{
	buf_addc(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len;
		switch (c) {
		case '\a':
			buf_adds(b, "\\a");
			break;
		case '\b':
			buf_adds(b, "\\b");
			break;
		case '\f':
			buf_adds(b, "\\f");
			break;
		case '\n':
			buf_adds(b, "\\n");
			break;
		case '\r':
			buf_adds(b, "\\r");
			break;
		case '\t':
			buf_adds(b, "\\t");
			break;
		case '\v':
			buf_adds(b, "\\v");
			break;
		case '\\':
			buf_adds(b, "\\\\");
			break;
		case '"':
			buf_adds(b, "\\\"");
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				buf_addf(b, "\\x%02x", c);
			} else if (c < 0x80) {
				buf_addc(b, (char)c);
			} else if (utf8_decode((const unsigned char *)s + i, n - i, &len) < 0) {
				buf_addf(b, "\\x%02x", c);
			} else {
				buf_add(b, s + i, len);
				i += len;
				continue;
			}
		}
		i++;
	}
	buf_addc(b, '"');
}

/* printf's numbers go through C's printf with a format built from Go's
 * flags, width and precision (c_spec), never from the template's text. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

/* A C format for one number with sp's flags, width and precision. */
static void c_spec(const struct spec *sp, const char *conv, char *out, size_t len)
{
	char w[16] = "", p[16] = "";

	if (sp->width >= 0)
		snprintf(w, sizeof(w), "%d", sp->width);
	if (sp->prec >= 0)
		snprintf(p, sizeof(p), ".%d", sp->prec);
	snprintf(out, len, "%%%s%s%s%s%s%s%s%s", sp->minus ? "-" : "", sp->plus ? "+" : "",
		 sp->sharp ? "#" : "", sp->zero && !sp->minus ? "0" : "", sp->space ? " " : "", w,
		 p, conv);
}

static void bad_verb(struct buf *b, const struct spec *sp, const struct val *v)
{
	buf_addf(b, "%%!%c(", sp->verb);
	if (vtype(v) == VT_MISSING || vtype(v) == VT_NIL) {
		buf_adds(b, "<nil>)");
		return;
	}
	buf_adds(b, type_name(vtype(v)));
	buf_addc(b, '=');
	print_val(b, v);
	buf_addc(b, ')');
}

static void fmt_binary(struct buf *b, const struct spec *sp, long long x)
{
	char tmp[80];
	size_t n = 0;
	unsigned long long u = x < 0 ? 0 - (unsigned long long)x : (unsigned long long)x;
	char rev[70];
	size_t r = 0;

	do {
		rev[r++] = (char)('0' + (u & 1));
		u >>= 1;
	} while (u);
	if (x < 0)
		tmp[n++] = '-';
	else if (sp->plus)
		tmp[n++] = '+';
	while (r)
		tmp[n++] = rev[--r];
	pad(b, sp, tmp, n, true);
}

static void fmt_one(struct buf *b, const struct spec *sp, const struct val *v, int depth);

static void fmt_int(struct buf *b, const struct spec *sp, long long x)
{
	char cf[48], tmp[128];
	struct buf q = {0};
	int n;

	switch (sp->verb) {
	case 'd':
	case 'v':
		c_spec(sp, "lld", cf, sizeof(cf));
		break;
	case 'x':
	case 'X':
	case 'o':
		if (x < 0) {
			/* Go prints the sign and the magnitude: -ff */
			struct spec s2 = *sp;
			char body[96];
			s2.width = -1;
			s2.minus = s2.zero = false;
			c_spec(&s2,
			       sp->verb == 'x'	 ? "llx"
			       : sp->verb == 'X' ? "llX"
						 : "llo",
			       cf, sizeof(cf));
			body[0] = '-';
			snprintf(body + 1, sizeof(body) - 1, cf, 0 - (unsigned long long)x);
			pad(b, sp, body, strlen(body), true);
			return;
		}
		c_spec(sp,
		       sp->verb == 'x'	 ? "llx"
		       : sp->verb == 'X' ? "llX"
					 : "llo",
		       cf, sizeof(cf));
		break;
	case 'b':
		fmt_binary(b, sp, x);
		return;
	case 'c':
		buf_rune(&q, (long)x);
		pad(b, sp, q.p, q.len, false);
		free(q.p);
		return;
	case 'q':
		buf_addc(&q, '\'');
		if (x == '\'')
			buf_adds(&q, "\\'");
		else if (x >= 0x20 && x < 0x7f)
			buf_addc(&q, (char)x);
		else if (x >= 0 && x < 0x20)
			buf_addf(&q, "\\x%02llx", x);
		else
			buf_rune(&q, (long)x);
		buf_addc(&q, '\'');
		pad(b, sp, q.p, q.len, false);
		free(q.p);
		return;
	case 'e':
	case 'E':
	case 'f':
	case 'F':
	case 'g':
	case 'G': {
		struct val tv = {0};
		buf_addf(b, "%%!%c(int=%lld)", sp->verb, x);
		(void)tv;
		return;
	}
	default: {
		struct val tv = val_int(x);
		bad_verb(b, sp, &tv);
		val_put(&tv);
		return;
	}
	}
	n = snprintf(tmp, sizeof(tmp), cf, x);
	if (n > 0 && (size_t)n < sizeof(tmp))
		buf_add(b, tmp, (size_t)n);
}

static void fmt_float(struct buf *b, const struct spec *sp, double d)
{
	char cf[48], tmp[512];
	int n;

	if (sp->verb == 'v' && sp->prec < 0) {
		go_float(d, tmp, sizeof(tmp));
		pad(b, sp, tmp, strlen(tmp), true);
		return;
	}
	switch (sp->verb) {
	case 'v':
	case 'g':
	case 'G':
		if (sp->prec < 0) {
			go_float(d, tmp, sizeof(tmp));
			if (sp->verb == 'G')
				for (char *p = tmp; *p; p++)
					*p = (char)toupper((unsigned char)*p);
			pad(b, sp, tmp, strlen(tmp), true);
			return;
		}
		c_spec(sp, sp->verb == 'G' ? "G" : "g", cf, sizeof(cf));
		break;
	case 'e':
	case 'E':
	case 'f':
	case 'F': {
		struct spec s2 = *sp;
		char conv[2] = {sp->verb, 0};
		if (s2.prec < 0)
			s2.prec = 6;
		if (s2.prec > 100)
			s2.prec = 100;
		c_spec(&s2, conv, cf, sizeof(cf));
		break;
	}
	default: {
		struct val tv = {.j = json_object_new_double(d)};
		bad_verb(b, sp, &tv);
		val_put(&tv);
		return;
	}
	}
	if (isinf(d) || isnan(d)) {
		go_float(d, tmp, sizeof(tmp));
		pad(b, sp, tmp, strlen(tmp), false);
		return;
	}
	n = snprintf(tmp, sizeof(tmp), cf, d);
	if (n > 0 && (size_t)n < sizeof(tmp))
		buf_add(b, tmp, (size_t)n);
}

static void fmt_string(struct buf *b, const struct spec *sp, const char *s, size_t n)
{
	struct buf q = {0};

	if (sp->prec >= 0 && (sp->verb == 's' || sp->verb == 'v' || sp->verb == 'q')) {
		/* precision counts runes */
		size_t runes = 0, i = 0;
		while (i < n && runes < (size_t)sp->prec) {
			i++;
			while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
				i++;
			runes++;
		}
		n = i;
	}
	switch (sp->verb) {
	case 's':
	case 'v':
		pad(b, sp, s, n, false);
		return;
	case 'q':
		quote_string(&q, s, n);
		break;
	case 'x':
	case 'X':
		for (size_t i = 0; i < n; i++)
			buf_addf(&q, sp->verb == 'x' ? "%02x" : "%02X", (unsigned char)s[i]);
		break;
	default: {
		struct val tv = val_str(s, n);
		bad_verb(b, sp, &tv);
		val_put(&tv);
		return;
	}
	}
	pad(b, sp, q.p ? q.p : "", q.len, false);
	free(q.p);
}

/* Go applies the verb to each element of arrays and maps. */
static void fmt_one(struct buf *b, const struct spec *sp, const struct val *v, int depth)
{
	enum vtype t = vtype(v);

	if (depth > MAX_PRINT) {
		buf_adds(b, "...");
		return;
	}
	if (sp->verb == 'T') {
		pad(b, sp, type_name(t), strlen(type_name(t)), false);
		return;
	}
	switch (t) {
	case VT_MISSING:
	case VT_NIL:
		if (sp->verb == 'v' || sp->verb == 's')
			pad(b, sp, "<nil>", 5, false);
		else
			bad_verb(b, sp, v);
		return;
	case VT_BOOL:
		if (sp->verb == 'v' || sp->verb == 't') {
			const char *s = json_object_get_boolean(v->j) ? "true" : "false";
			pad(b, sp, s, strlen(s), false);
		} else {
			bad_verb(b, sp, v);
		}
		return;
	case VT_INT:
		fmt_int(b, sp, (long long)json_object_get_int64(v->j));
		return;
	case VT_FLOAT:
		fmt_float(b, sp, json_object_get_double(v->j));
		return;
	case VT_STRING:
		fmt_string(b, sp, json_object_get_string(v->j),
			   (size_t)json_object_get_string_len(v->j));
		return;
	case VT_ARRAY: {
		struct spec inner = *sp;
		inner.width = -1;
		buf_addc(b, '[');
		for (size_t i = 0; i < json_object_array_length(v->j); i++) {
			struct val e = {.j = json_object_array_get_idx(v->j, i)};
			if (i)
				buf_addc(b, ' ');
			fmt_one(b, &inner, &e, depth + 1);
		}
		buf_addc(b, ']');
		return;
	}
	case VT_OBJECT: {
		size_t n;
		_cleanup_free_ struct kv *m = sorted_members(v->j, &n);
		struct spec inner = *sp;
		inner.width = -1;
		buf_adds(b, "map[");
		for (size_t i = 0; i < n; i++) {
			struct val e = {.j = m[i].v};
			if (i)
				buf_addc(b, ' ');
			fmt_string(b, &inner, m[i].k, strlen(m[i].k));
			buf_addc(b, ':');
			fmt_one(b, &inner, &e, depth + 1);
		}
		buf_addc(b, ']');
		return;
	}
	}
}

static int fn_printf(struct exec *ex, struct args *a, struct val *out)
{
	const char *f;
	size_t flen, argi = 1;
	struct buf b = {0};

	if (want_string(ex, "printf", &a->v[0], &f, &flen) < 0)
		return -1;
	for (size_t i = 0; i < flen;) {
		struct spec sp = {.width = -1, .prec = -1};
		if (f[i] != '%') {
			size_t j = i;
			while (j < flen && f[j] != '%')
				j++;
			buf_add(&b, f + i, j - i);
			i = j;
			continue;
		}
		i++;
		for (; i < flen; i++) {
			if (f[i] == '-')
				sp.minus = true;
			else if (f[i] == '+')
				sp.plus = true;
			else if (f[i] == '#')
				sp.sharp = true;
			else if (f[i] == '0')
				sp.zero = true;
			else if (f[i] == ' ')
				sp.space = true;
			else
				break;
		}
		while (i < flen && isdigit((unsigned char)f[i])) {
			sp.width = (sp.width < 0 ? 0 : sp.width) * 10 + (f[i++] - '0');
			if (sp.width > 10000)
				sp.width = 10000;
		}
		if (i < flen && f[i] == '.') {
			i++;
			sp.prec = 0;
			while (i < flen && isdigit((unsigned char)f[i])) {
				sp.prec = sp.prec * 10 + (f[i++] - '0');
				if (sp.prec > 10000)
					sp.prec = 10000;
			}
		}
		if (i >= flen) {
			buf_adds(&b, "%!(NOVERB)");
			break;
		}
		sp.verb = f[i++];
		if (sp.verb == '%') {
			buf_addc(&b, '%');
			continue;
		}
		if (!strchr("vTtbcdoOqxXeEfFgGsU", sp.verb)) {
			buf_addf(&b, "%%!%c(", sp.verb);
			if (argi < a->n) {
				buf_adds(&b, type_name(vtype(&a->v[argi])));
				buf_addc(&b, '=');
				print_val(&b, &a->v[argi++]);
			}
			buf_addc(&b, ')');
			continue;
		}
		if (argi >= a->n) {
			buf_addf(&b, "%%!%c(MISSING)", sp.verb);
			continue;
		}
		fmt_one(&b, &sp, &a->v[argi++], 0);
	}
	if (argi < a->n) {
		buf_adds(&b, "%!(EXTRA ");
		for (size_t i = argi; i < a->n; i++) {
			if (i > argi)
				buf_adds(&b, ", ");
			buf_adds(&b, type_name(vtype(&a->v[i])));
			buf_addc(&b, '=');
			print_val(&b, &a->v[i]);
		}
		buf_addc(&b, ')');
	}
	out->missing = false;
	out->j = json_object_new_string_len(b.p ? b.p : "", (int)b.len);
	free(b.p);
	return 0;
}

/* ---- Docker's functions ---- */

static int fn_json(struct exec *ex, struct args *a, struct val *out)
{
	const char *s = a->v[0].j ? json_object_to_json_string_ext(
					    a->v[0].j,
					    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
				  : "null";
	*out = val_str(s, strlen(s));
	return 0;
}

static int fn_join(struct exec *ex, struct args *a, struct val *out)
{
	const char *sep;
	size_t seplen;
	struct buf b = {0};

	if (want_string(ex, "join", &a->v[1], &sep, &seplen) < 0)
		return -1;
	if (vtype(&a->v[0]) != VT_ARRAY)
		return ex_fail(ex,
			       "error calling join: wrong type for value; expected []string; "
			       "got %s",
			       type_name(vtype(&a->v[0])));
	for (size_t i = 0; i < json_object_array_length(a->v[0].j); i++) {
		if (i)
			buf_add(&b, sep, seplen);
		print_json(&b, json_object_array_get_idx(a->v[0].j, i), 0);
	}
	*out = val_str(b.p ? b.p : "", b.len);
	free(b.p);
	return 0;
}

static int fn_split(struct exec *ex, struct args *a, struct val *out)
{
	const char *s, *sep;
	size_t n, seplen;

	if (want_string(ex, "split", &a->v[0], &s, &n) < 0 ||
	    want_string(ex, "split", &a->v[1], &sep, &seplen) < 0)
		return -1;
	out->missing = false;
	out->j = json_object_new_array();
	if (seplen == 0) { /* Go splits into UTF-8 sequences */
		for (size_t i = 0; i < n;) {
			size_t len;
			utf8_decode((const unsigned char *)s + i, n - i, &len);
			json_object_array_add(out->j, json_object_new_string_len(s + i, (int)len));
			i += len;
		}
		return 0;
	}
	for (;;) {
		const char *hit = memmem(s, n, sep, seplen);
		size_t part = hit ? (size_t)(hit - s) : n;
		json_object_array_add(out->j, json_object_new_string_len(s, (int)part));
		if (!hit)
			break;
		s += part + seplen;
		n -= part + seplen;
	}
	return 0;
}

static int map_string(struct exec *ex, struct args *a, struct val *out, const char *fn, int mode)
{
	const char *s;
	size_t n;
	bool prev_letter = false;

	if (want_string(ex, fn, &a->v[0], &s, &n) < 0)
		return -1;
	_cleanup_free_ char *r = xstrndup(s, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)r[i];
		if (mode == 0)
			r[i] = (char)tolower(c);
		else if (mode == 1)
			r[i] = (char)toupper(c);
		else if (!prev_letter)
			r[i] = (char)toupper(c);
		/* strings.Title: letters, digits, '_' and non-ASCII continue a word */
		prev_letter = isalnum(c) || c == '_' || c >= 0x80;
	}
	*out = val_str(r, n);
	return 0;
}

static int fn_lower(struct exec *ex, struct args *a, struct val *out)
{
	return map_string(ex, a, out, "lower", 0);
}

static int fn_upper(struct exec *ex, struct args *a, struct val *out)
{
	return map_string(ex, a, out, "upper", 1);
}

static int fn_title(struct exec *ex, struct args *a, struct val *out)
{
	return map_string(ex, a, out, "title", 2);
}

static int fn_pad(struct exec *ex, struct args *a, struct val *out)
{
	const char *s;
	size_t n;
	long long before, after;
	struct buf b = {0};

	if (want_string(ex, "pad", &a->v[0], &s, &n) < 0 || want_int(ex, &a->v[1], &before) < 0 ||
	    want_int(ex, &a->v[2], &after) < 0)
		return -1;
	if (before < 0 || after < 0 || before > 10000 || after > 10000)
		return ex_fail(ex, "error calling pad: bad padding %lld, %lld", before, after);
	for (long long i = 0; i < before; i++)
		buf_addc(&b, ' ');
	buf_add(&b, s, n);
	for (long long i = 0; i < after; i++)
		buf_addc(&b, ' ');
	*out = val_str(b.p, b.len);
	free(b.p);
	return 0;
}

static int fn_truncate(struct exec *ex, struct args *a, struct val *out)
{
	const char *s;
	size_t n;
	long long len;

	if (want_string(ex, "truncate", &a->v[0], &s, &n) < 0 || want_int(ex, &a->v[1], &len) < 0)
		return -1;
	if (len < 0)
		return ex_fail(ex, "error calling truncate: negative length %lld", len);
	*out = val_str(s, (size_t)len < n ? (size_t)len : n);
	return 0;
}

static int fn_identity(struct exec *ex, struct args *a, struct val *out)
{
	*out = val_copy(&a->v[0]);
	return 0;
}

static const struct func {
	const char *name;
	int min, max; /* max -1: variadic */
	func_fn fn;
	bool header_id; /* Docker's HeaderFunctions make it the identity */
} funcs[] = {
	{"and", 1, -1, NULL, false},
	{"or", 1, -1, NULL, false},
	{"not", 1, 1, fn_not, false},
	{"len", 1, 1, fn_len, false},
	{"index", 1, -1, fn_index, false},
	{"slice", 1, -1, fn_slice, false},
	{"print", 0, -1, fn_print, false},
	{"printf", 1, -1, fn_printf, false},
	{"println", 0, -1, fn_println, false},
	{"eq", 1, -1, fn_eq, false},
	{"ne", 2, 2, fn_ne, false},
	{"lt", 2, 2, fn_lt, false},
	{"le", 2, 2, fn_le, false},
	{"gt", 2, 2, fn_gt, false},
	{"ge", 2, 2, fn_ge, false},
	{"json", 1, 1, fn_json, true},
	{"join", 2, 2, fn_join, true},
	{"split", 2, 2, fn_split, true},
	{"title", 1, 1, fn_title, true},
	{"lower", 1, 1, fn_lower, true},
	{"upper", 1, 1, fn_upper, true},
	{"pad", 3, 3, fn_pad, false},
	{"truncate", 2, 2, fn_truncate, true},
	{"header identity", 1, -1, fn_identity, false}, /* not an identifier: never parsed */
};

static const struct func *func_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(funcs); i++)
		if (!strcmp(funcs[i].name, name))
			return &funcs[i];
	return NULL;
}

static bool func_known(const char *name)
{
	return func_find(name) != NULL;
}

/* and / or: Go evaluates the arguments one by one and stops early. */
static int call_logic(struct exec *ex, const struct cmd *c, bool is_and, const struct val *dot,
		      const struct val *final, struct val *out)
{
	size_t n = c->nargs - 1 + (final != NULL);

	*out = VAL_MISSING;
	for (size_t i = 0; i < n; i++) {
		struct val v;
		if (i < c->nargs - 1) {
			if (eval_arg(ex, c->args[i + 1], dot, &v) < 0) {
				val_put(out);
				return -1;
			}
		} else {
			v = val_copy(final);
		}
		val_put(out);
		*out = v;
		if (truth(&v) != is_and)
			break;
	}
	return 0;
}

static int call(struct exec *ex, const struct cmd *c, const struct val *dot,
		const struct val *final, struct val *out)
{
	const struct expr *fe = c->args[0];
	const struct func *f = func_find(fe->name);
	size_t n = c->nargs - 1 + (final != NULL);
	struct args a = {0};
	int r = -1;

	if (!f) /* the parser checked */
		return ex_fail(ex, "function \"%s\" not defined", fe->name);
	if (n < (size_t)f->min || (f->max >= 0 && n > (size_t)f->max)) {
		if (f->max == f->min)
			return ex_fail(ex, "wrong number of args for %s: want %d got %zu", f->name,
				       f->min, n);
		return ex_fail(ex, "wrong number of args for %s: want at least %d got %zu", f->name,
			       f->min, n);
	}
	if (!f->fn)
		return call_logic(ex, c, !strcmp(f->name, "and"), dot, final, out);
	if (ex->header && f->header_id && n >= 1)
		f = func_find("header identity");
	a.v = xzalloc((n + 1) * sizeof(*a.v));
	for (size_t i = 0; i + 1 < c->nargs; i++) {
		if (eval_arg(ex, c->args[i + 1], dot, &a.v[i]) < 0)
			goto out;
		a.n++;
	}
	if (final)
		a.v[a.n++] = val_copy(final);
	ex->at = c->pos;
	ex->at_end = c->end;
	*out = (struct val){0};
	r = f->fn(ex, &a, out);
out:
	for (size_t i = 0; i < a.n; i++)
		val_put(&a.v[i]);
	free(a.v);
	return r;
}

static int eval_cmd(struct exec *ex, const struct cmd *c, const struct val *dot,
		    const struct val *final, struct val *out)
{
	const struct expr *first = c->args[0];

	ex->at = c->pos;
	ex->at_end = c->end;
	if (first->kind == E_FUNC && first->nfields == 0)
		return call(ex, c, dot, final, out);
	if (first->kind == E_NIL)
		return ex_fail(ex, "nil is not a command");
	if (c->nargs > 1 || final)
		return ex_fail(ex, "can't give argument to non-function %.*s",
			       (int)(first->end - first->pos), ex->src + first->pos);
	return eval_arg(ex, first, dot, out);
}

static int eval_pipe(struct exec *ex, const struct pipe *pp, const struct val *dot, struct val *out)
{
	struct val v = VAL_MISSING;

	for (size_t i = 0; i < pp->ncmds; i++) {
		struct val next;
		if (eval_cmd(ex, pp->cmds[i], dot, i ? &v : NULL, &next) < 0) {
			val_put(&v);
			return -1;
		}
		val_put(&v);
		v = next;
	}
	for (size_t i = 0; i < pp->ndecl; i++) {
		if (pp->assign) {
			struct var *var = var_find(ex, pp->decl[i]);
			if (var) {
				val_put(&var->v);
				var->v = val_copy(&v);
			}
		} else {
			var_push(ex, pp->decl[i], val_copy(&v));
		}
	}
	*out = v;
	return 0;
}

static int exec_list(struct exec *ex, const struct list *l, const struct val *dot);

static int exec_range(struct exec *ex, const struct node *n, const struct val *dot,
		      const struct val *v)
{
	const struct pipe *pp = n->pipe;
	size_t count = 0;
	/* the declared variables are the top one or two of the stack */
	struct var *vk = NULL, *vv = NULL;
	size_t base = ex->nvars - (pp->assign ? 0 : pp->ndecl);

	if (!pp->assign && pp->ndecl == 1) {
		vv = &ex->vars[base];
	} else if (!pp->assign && pp->ndecl == 2) {
		vk = &ex->vars[base];
		vv = &ex->vars[base + 1];
	} else if (pp->assign) {
		if (pp->ndecl == 1)
			vv = var_find(ex, pp->decl[0]);
		if (pp->ndecl == 2) {
			vk = var_find(ex, pp->decl[0]);
			vv = var_find(ex, pp->decl[1]);
		}
	}
	switch (vtype(v)) {
	case VT_ARRAY:
	case VT_OBJECT:
	case VT_INT:
		break;
	case VT_MISSING:
	case VT_NIL:
		return exec_list(ex, &n->other, dot);
	default:
		return ex_fail(ex, "range can't iterate over %s", json_object_get_string(v->j));
	}
	size_t len = vtype(v) == VT_ARRAY	       ? json_object_array_length(v->j)
		     : vtype(v) == VT_OBJECT	       ? (size_t)json_object_object_length(v->j)
		     : json_object_get_int64(v->j) > 0 ? (size_t)json_object_get_int64(v->j)
						       : 0;
	size_t nm = 0;
	_cleanup_free_ struct kv *m = vtype(v) == VT_OBJECT ? sorted_members(v->j, &nm) : NULL;
	if (vtype(v) == VT_INT && vk)
		return ex_fail(ex, "can't use %s to iterate over more than one variable",
			       json_object_get_string(v->j));
	for (size_t i = 0; i < len; i++) {
		struct val elem, key;
		if (vtype(v) == VT_ARRAY) {
			elem = val_ref(json_object_array_get_idx(v->j, i));
			key = val_int((int64_t)i);
		} else if (vtype(v) == VT_OBJECT) {
			elem = val_ref(m[i].v);
			key = val_str(m[i].k, strlen(m[i].k));
		} else {
			elem = val_int((int64_t)i);
			key = val_int((int64_t)i);
		}
		if (vv) {
			val_put(&vv->v);
			vv->v = val_copy(&elem);
		}
		if (vk) {
			val_put(&vk->v);
			vk->v = val_copy(&key);
		}
		val_put(&key);
		size_t mark = ex->nvars;
		int r = exec_list(ex, &n->body, &elem);
		var_pop(ex, mark);
		val_put(&elem);
		count++;
		if (r < 0)
			return -1;
		if (ex->brk == 1) {
			ex->brk = 0;
			break;
		}
		ex->brk = 0;
	}
	if (count == 0)
		return exec_list(ex, &n->other, dot);
	return 0;
}

static int exec_node(struct exec *ex, const struct node *n, const struct val *dot)
{
	size_t mark = ex->nvars;
	struct val v;
	int r = 0;

	switch (n->kind) {
	case N_TEXT:
		buf_add(&ex->out, ex->src + n->pos, n->len);
		return 0;
	case N_BREAK:
		ex->brk = 1;
		return 0;
	case N_CONTINUE:
		ex->brk = 2;
		return 0;
	case N_ACTION:
		if (eval_pipe(ex, n->pipe, dot, &v) < 0)
			return -1;
		if (n->pipe->ndecl == 0) {
			if (v.missing)
				buf_adds(&ex->out, "<no value>");
			else
				print_json(&ex->out, v.j, 0);
		}
		val_put(&v);
		return 0;
	case N_IF:
	case N_WITH:
		if (eval_pipe(ex, n->pipe, dot, &v) < 0)
			return -1;
		if (truth(&v))
			r = exec_list(ex, &n->body, n->kind == N_WITH ? &v : dot);
		else
			r = exec_list(ex, &n->other, dot);
		break;
	case N_RANGE:
		if (eval_pipe(ex, n->pipe, dot, &v) < 0)
			return -1;
		r = exec_range(ex, n, dot, &v);
		break;
	}
	val_put(&v);
	var_pop(ex, mark);
	return r;
}

static int exec_list(struct exec *ex, const struct list *l, const struct val *dot)
{
	for (size_t i = 0; i < l->n && !ex->brk; i++)
		if (exec_node(ex, l->v[i], dot) < 0)
			return -1;
	return 0;
}

static int exec_main(const struct tmpl *t, json_object *data, bool header, char **out,
		     struct hk_error **err)
{
	struct exec ex = {.src = t->src, .err = err, .header = header};
	struct val dot = val_ref(data);
	int r;

	var_push(&ex, "$", val_copy(&dot));
	r = exec_list(&ex, &t->root, &dot);
	var_pop(&ex, 0);
	free(ex.vars);
	val_put(&dot);
	if (r < 0) {
		free(ex.out.p);
		return -1;
	}
	*out = buf_steal(&ex.out);
	return 0;
}

int tmpl_exec(const struct tmpl *t, json_object *data, char **out, struct hk_error **err)
{
	return exec_main(t, data, false, out, err);
}

int tmpl_exec_header(const struct tmpl *t, json_object *data, char **out, struct hk_error **err)
{
	return exec_main(t, data, true, out, err);
}

char *tmpl_render(const char *text, json_object *data, struct hk_error **err)
{
	struct tmpl *t = NULL;
	char *out = NULL;

	if (tmpl_parse(text, &t, err) < 0)
		return NULL;
	if (tmpl_exec(t, data, &out, err) < 0)
		out = NULL;
	tmpl_free(t);
	return out;
}
