/* hako: Go's text/template over json-c values (see template.h).
 *
 * Three steps as in Go: a lexer turns the text into tokens, a recursive
 * descent parser builds a small tree (with Go's parse-time checks: known
 * functions, declared variables, break only inside range), and an evaluator
 * walks the tree with a variable stack.  Every value the evaluator holds is
 * a counted json-c reference (NULL is JSON null) plus a "missing" flag for
 * Go's invalid reflect.Value, the result of a field that does not exist.
 */

#include "util/template_int.h"

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
		if (!(tmpl_func_find(k->s) != NULL))
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
