/* hako build: the Dockerfile parser (the dockerfile:1 frontend's language,
 * docs.docker.com/reference/dockerfile/).
 *
 * Text -> physical lines -> parser directives at the top -> logical lines
 * (continuations joined, comments and blank lines inside them dropped) ->
 * heredoc bodies -> one build_instr each, checked for its syntax.  Errors
 * name file:line:column of the instruction (or of the argument at fault),
 * before anything runs.
 */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <string.h>
#include <strings.h>

#include "build/build.h"
#include "util/util.h"

#define MAX_DOCKERFILE (8 << 20)

static const char *const kind_names[] = {
	[BUILD_FROM] = "FROM",
	[BUILD_RUN] = "RUN",
	[BUILD_CMD] = "CMD",
	[BUILD_LABEL] = "LABEL",
	[BUILD_MAINTAINER] = "MAINTAINER",
	[BUILD_EXPOSE] = "EXPOSE",
	[BUILD_ENV] = "ENV",
	[BUILD_ADD] = "ADD",
	[BUILD_COPY] = "COPY",
	[BUILD_ENTRYPOINT] = "ENTRYPOINT",
	[BUILD_VOLUME] = "VOLUME",
	[BUILD_USER] = "USER",
	[BUILD_WORKDIR] = "WORKDIR",
	[BUILD_ARG] = "ARG",
	[BUILD_ONBUILD] = "ONBUILD",
	[BUILD_STOPSIGNAL] = "STOPSIGNAL",
	[BUILD_HEALTHCHECK] = "HEALTHCHECK",
	[BUILD_SHELL] = "SHELL",
};

/* The flags each instruction takes (NULL: none). */
static const char *const flags_from[] = {"platform", NULL};
static const char *const flags_run[] = {"mount", "network", "security", NULL};
static const char *const flags_copy[] = {"from",    "chown",   "chmod", "link",
					 "parents", "exclude", NULL};
static const char *const flags_add[] = {"chown",	"chmod",   "link", "checksum",
					"keep-git-dir", "exclude", NULL};
static const char *const flags_hc[] = {"interval",	 "timeout", "start-period",
				       "start-interval", "retries", NULL};

const char *build_kind_name(enum build_kind k)
{
	return (size_t)k < ARRAY_SIZE(kind_names) ? kind_names[k] : "?";
}

static const char *const *kind_flags(enum build_kind k)
{
	switch (k) {
	case BUILD_FROM:
		return flags_from;
	case BUILD_RUN:
		return flags_run;
	case BUILD_COPY:
		return flags_copy;
	case BUILD_ADD:
		return flags_add;
	case BUILD_HEALTHCHECK:
		return flags_hc;
	default:
		return NULL;
	}
}

static int kind_lookup(const char *word, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(kind_names); i++)
		if (strlen(kind_names[i]) == len && !strncasecmp(word, kind_names[i], len))
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------ freeing */

static void instr_clear(struct build_instr *in)
{
	free(in->text);
	strv_free(in->flags);
	free(in->args);
	strv_free(in->argv);
	for (size_t i = 0; i < in->n_heredocs; i++) {
		free(in->heredocs[i].name);
		free(in->heredocs[i].content);
	}
	free(in->heredocs);
	if (in->sub) {
		instr_clear(in->sub);
		free(in->sub);
	}
	memset(in, 0, sizeof(*in));
}

void build_file_free(struct build_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_meta_args; i++)
		instr_clear(&f->meta_args[i]);
	free(f->meta_args);
	for (size_t s = 0; s < f->n_stages; s++) {
		struct build_stage *st = &f->stages[s];
		for (size_t i = 0; i < st->n_instrs; i++)
			instr_clear(&st->instrs[i]);
		free(st->instrs);
		free(st->name);
		free(st->base);
		free(st->platform);
	}
	free(f->stages);
	free(f->path);
	free(f->syntax);
	free(f);
}

void build_file_freep(struct build_file **f)
{
	build_file_free(*f);
	*f = NULL;
}

const char *build_flag(const struct build_instr *in, const char *name)
{
	size_t n = strlen(name);

	for (char **f = in->flags; f && *f; f++) {
		if (!strncmp(*f, name, n) && ((*f)[n] == '=' || !(*f)[n]))
			return (*f)[n] == '=' ? *f + n + 1 : *f + n;
	}
	return NULL;
}

/* ------------------------------------------------------------ lines */

struct line {
	const char *s;
	size_t len; /* without the newline (and a \r before it) */
};

struct parser {
	const char *path;
	char escape;
	struct line *lines;
	size_t n_lines, i; /* i: the next line to read */
	struct hk_error **err;
};

static int perr(struct parser *p, int line, int col, const char *fmt, ...) HK_PRINTF(4, 5);
static int perr(struct parser *p, int line, int col, const char *fmt, ...)
{
	va_list ap;
	_cleanup_free_ char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	return hk_error_set(p->err, 0, "%s:%d:%d: %s", p->path, line, col,
			    msg ? msg : "out of memory");
}

static void split_lines(const char *text, size_t len, struct line **out, size_t *n)
{
	size_t cap = 16, count = 0;
	struct line *L = xmalloc(cap * sizeof(*L));
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n')
			continue;
		if (i == len && start == len)
			break;
		if (count == cap) {
			cap *= 2;
			L = xrealloc(L, cap * sizeof(*L));
		}
		size_t l = i - start;
		if (l && text[start + l - 1] == '\r')
			l--;
		L[count].s = text + start;
		L[count].len = l;
		count++;
		start = i + 1;
	}
	*out = L;
	*n = count;
}

static bool blank(const struct line *l)
{
	for (size_t i = 0; i < l->len; i++)
		if (!isspace((unsigned char)l->s[i]))
			return false;
	return true;
}

static bool comment(const struct line *l)
{
	size_t i = 0;

	while (i < l->len && isspace((unsigned char)l->s[i]))
		i++;
	return i < l->len && l->s[i] == '#';
}

/* "# name=value" at the top of the file; returns false for anything else. */
static bool directive(const struct line *l, char **name, char **value)
{
	size_t i = 0, ns, ne, vs, ve;

	if (!l->len || l->s[0] != '#')
		return false;
	i = 1;
	while (i < l->len && isspace((unsigned char)l->s[i]))
		i++;
	ns = i;
	while (i < l->len && (isalnum((unsigned char)l->s[i]) || l->s[i] == '_'))
		i++;
	ne = i;
	if (ne == ns)
		return false;
	while (i < l->len && isspace((unsigned char)l->s[i]))
		i++;
	if (i >= l->len || l->s[i] != '=')
		return false;
	i++;
	while (i < l->len && isspace((unsigned char)l->s[i]))
		i++;
	vs = i;
	ve = l->len;
	while (ve > vs && isspace((unsigned char)l->s[ve - 1]))
		ve--;
	*name = xstrndup(l->s + ns, ne - ns);
	for (char *c = *name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	*value = xstrndup(l->s + vs, ve - vs);
	return true;
}

static int parse_directives(struct parser *p, struct build_file *f)
{
	bool seen_escape = false, seen_syntax = false;

	while (p->i < p->n_lines) {
		_cleanup_free_ char *name = NULL, *value = NULL;
		int ln = (int)p->i + 1;
		if (!directive(&p->lines[p->i], &name, &value))
			return 0;
		if (!strcmp(name, "escape")) {
			if (seen_escape)
				return perr(p, ln, 1,
					    "only one escape parser directive can be used");
			if (strcmp(value, "\\") && strcmp(value, "`"))
				return perr(p, ln, 1, "invalid escape token '%s': expected \\ or `",
					    value);
			f->escape = value[0];
			seen_escape = true;
		} else if (!strcmp(name, "syntax")) {
			if (seen_syntax)
				return perr(p, ln, 1,
					    "only one syntax parser directive can be used");
			f->syntax = steal_ptr(&value);
			seen_syntax = true;
		} else if (strcmp(name, "check")) {
			/* an unknown directive is a comment, and so is all that follows */
			return 0;
		}
		p->i++;
	}
	return 0;
}

/* Does the (right-trimmed) line end with the escape character? Then *len is
 * the length without it. */
static bool continues(const char *s, size_t *len, char escape)
{
	size_t l = *len;

	while (l && isspace((unsigned char)s[l - 1]))
		l--;
	if (!l || s[l - 1] != escape)
		return false;
	*len = l - 1;
	return true;
}

/* ------------------------------------------------------------ heredocs */

/* Find "<<[-]WORD" / "<<-'WORD'" / "<<\"WORD\"" markers outside quotes. */
static int find_heredocs(struct parser *p, struct build_instr *in)
{
	const char *s = in->args;
	char quote = 0;

	for (size_t i = 0; s[i]; i++) {
		char c = s[i];
		if (c == p->escape && quote != '\'' && s[i + 1]) {
			i++;
			continue;
		}
		if (quote) {
			if (c == quote)
				quote = 0;
			continue;
		}
		if (c == '\'' || c == '"') {
			quote = c;
			continue;
		}
		if (c != '<' || s[i + 1] != '<' || s[i + 2] == '<')
			continue;
		size_t j = i + 2;
		bool chomp = false, expand = true;
		char q = 0;
		if (s[j] == '-') {
			chomp = true;
			j++;
		}
		if (s[j] == '\'' || s[j] == '"') {
			q = s[j++];
			expand = false;
		}
		size_t ns = j;
		while (s[j] &&
		       (isalnum((unsigned char)s[j]) || s[j] == '_' || s[j] == '-' || s[j] == '.'))
			j++;
		if (j == ns)
			continue;
		if (q && s[j] != q)
			continue;
		struct build_heredoc h = {.name = xstrndup(s + ns, j - ns), .expand = expand};
		if (q)
			j++;
		i = j - 1;
		/* the body: the next physical lines up to the terminator */
		struct buf {
			char *p;
			size_t len;
		} b = {xstrdup(""), 0};
		bool done = false;
		while (p->i < p->n_lines) {
			const struct line *l = &p->lines[p->i++];
			const char *ls = l->s;
			size_t ll = l->len;
			if (chomp)
				while (ll && *ls == '\t') {
					ls++;
					ll--;
				}
			if (ll == strlen(h.name) && !memcmp(ls, h.name, ll)) {
				done = true;
				break;
			}
			b.p = xrealloc(b.p, b.len + ll + 2);
			memcpy(b.p + b.len, ls, ll);
			b.len += ll;
			b.p[b.len++] = '\n';
			b.p[b.len] = '\0';
		}
		h.content = b.p;
		in->heredocs = xrealloc(in->heredocs, (in->n_heredocs + 1) * sizeof(h));
		in->heredocs[in->n_heredocs++] = h;
		in->end_line = (int)p->i;
		if (!done)
			return perr(p, in->line, (int)ns + 1,
				    "unterminated heredoc <<%s: no line '%s' before the end",
				    in->heredocs[in->n_heredocs - 1].name,
				    in->heredocs[in->n_heredocs - 1].name);
	}
	return 0;
}

/* ------------------------------------------------------------ instructions */

static bool json_strv(const char *s, char ***out)
{
	json_tokener *tok;
	json_object *o;
	size_t n = strlen(s);
	bool ok = false;

	if (*s != '[')
		return false;
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, s, (int)n);
	if (o && json_tokener_get_error(tok) == json_tokener_success &&
	    json_object_is_type(o, json_type_array)) {
		size_t end = json_tokener_get_parse_end(tok);
		while (end < n && isspace((unsigned char)s[end]))
			end++;
		ok = end == n;
		char **v = xzalloc(sizeof(char *));
		for (size_t i = 0; ok && i < json_object_array_length(o); i++) {
			json_object *e = json_object_array_get_idx(o, i);
			if (!json_object_is_type(e, json_type_string))
				ok = false;
			else
				strv_push(&v, json_object_get_string(e));
		}
		if (ok)
			*out = v;
		else
			strv_free(v);
	}
	json_object_put(o);
	json_tokener_free(tok);
	return ok;
}

static bool valid_stage_name(const char *s)
{
	if (!isalpha((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return false;
	return true;
}

/* Go's time.ParseDuration subset: a sequence of <number><unit> (ns us ms s m h). */
int build_parse_duration(const char *s, int64_t *ns)
{
	int64_t total = 0;

	if (!*s)
		return -1;
	if (!strcmp(s, "0")) {
		*ns = 0;
		return 0;
	}
	while (*s) {
		char *end;
		errno = 0;
		double v = strtod(s, &end);
		int64_t unit;
		if (end == s || errno || v < 0)
			return -1;
		s = end;
		if (!strncmp(s, "ns", 2))
			unit = 1, s += 2;
		else if (!strncmp(s, "us", 2) || !strncmp(s, "µs", 3))
			unit = 1000, s += (*s == 'u' ? 2 : 3);
		else if (!strncmp(s, "ms", 2))
			unit = 1000000, s += 2;
		else if (*s == 's')
			unit = 1000000000LL, s++;
		else if (*s == 'm')
			unit = 60 * 1000000000LL, s++;
		else if (*s == 'h')
			unit = 3600 * 1000000000LL, s++;
		else
			return -1;
		if (v > 1e6)
			return -1;
		total += (int64_t)(v * (double)unit);
	}
	*ns = total;
	return 0;
}

static const char *check_expand(struct parser *p, struct build_instr *in, const char *text,
				struct hk_error **e2)
{
	_cleanup_free_ char *out = NULL;

	if (build_expand_word(text, p->escape, NULL, NULL, NULL, &out, e2) < 0)
		return hk_error_msg(*e2);
	return NULL;
}

static int check_instr(struct parser *p, struct build_instr *in, bool nested);

/* Split off the keyword and the --flags, detect JSON, then check the
 * instruction's own syntax. */
static int parse_instr(struct parser *p, const char *text, int line, int col, int end_line,
		       struct build_instr *in, bool nested)
{
	const char *s = text, *kw;
	size_t kl = 0;
	int k;

	while (*s && isspace((unsigned char)*s)) {
		s++;
		col++;
	}
	while (s[kl] && !isspace((unsigned char)s[kl]))
		kl++;
	kw = s;
	k = kind_lookup(s, kl);
	if (k < 0)
		return perr(p, line, col, "unknown instruction: %.*s", (int)(kl > 64 ? 64 : kl), s);
	in->kind = (enum build_kind)k;
	in->line = line;
	in->col = col;
	in->end_line = end_line;
	in->text = xstrdup(s);
	s += kl;
	while (*s && isspace((unsigned char)*s))
		s++;
	in->flags = xzalloc(sizeof(char *));
	/* flags: leading "--name[=value]" words */
	while (s[0] == '-' && s[1] == '-') {
		const char *const *allowed = kind_flags(in->kind);
		size_t wl = 0, nl;
		bool ok = false;
		while (s[wl] && !isspace((unsigned char)s[wl]))
			wl++;
		_cleanup_free_ char *word = xstrndup(s + 2, wl - 2);
		nl = strcspn(word, "=");
		for (size_t i = 0; allowed && allowed[i]; i++)
			if (strlen(allowed[i]) == nl && !strncmp(word, allowed[i], nl))
				ok = true;
		if (!ok)
			return perr(p, line, col + (int)(s - kw), "%s: unknown flag: --%.*s",
				    kind_names[k], (int)nl, word);
		strv_push(&in->flags, word);
		s += wl;
		while (*s && isspace((unsigned char)*s))
			s++;
	}
	in->args = xstrdup(s);
	for (size_t l = strlen(in->args); l && isspace((unsigned char)in->args[l - 1]); l--)
		in->args[l - 1] = '\0';
	switch (in->kind) {
	case BUILD_RUN:
	case BUILD_CMD:
	case BUILD_ENTRYPOINT:
	case BUILD_SHELL:
	case BUILD_COPY:
	case BUILD_ADD:
	case BUILD_VOLUME:
		in->json = json_strv(in->args, &in->argv);
		break;
	default:
		break;
	}
	if (!nested && (in->kind == BUILD_RUN || in->kind == BUILD_COPY || in->kind == BUILD_ADD) &&
	    !in->json && find_heredocs(p, in) < 0)
		return -1;
	return check_instr(p, in, nested);
}

static int check_instr(struct parser *p, struct build_instr *in, bool nested)
{
	const char *name = kind_names[in->kind];
	_cleanup_strv_ char **raw = build_split_raw(in->args, p->escape);
	_cleanup_error_ struct hk_error *e2 = NULL;
	size_t n = strv_len(raw);
	const char *m;

	switch (in->kind) {
	case BUILD_FROM: {
		const char *plat = build_flag(in, "platform");
		if (n != 1 && !(n == 3 && !strcasecmp(raw[1], "as")))
			return perr(p, in->line, in->col,
				    "FROM requires either one or three arguments (FROM IMAGE [AS "
				    "NAME])");
		if ((m = check_expand(p, in, raw[0], &e2)))
			return perr(p, in->line, in->col, "FROM: %s", m);
		if (plat && (m = check_expand(p, in, plat, &e2)))
			return perr(p, in->line, in->col, "FROM --platform: %s", m);
		if (n == 3 && !valid_stage_name(raw[2]))
			return perr(p, in->line, in->col,
				    "invalid stage name '%s': letters, digits, '_', '-', '.', "
				    "starting with a letter",
				    raw[2]);
		return 0;
	}
	case BUILD_RUN:
		if (!n && !in->n_heredocs && !(in->json && in->argv[0]))
			return perr(p, in->line, in->col, "RUN requires at least one argument");
		for (char **f = in->flags; *f; f++) {
			if (str_has_prefix(*f, "network=")) {
				const char *v = *f + 8;
				if (strcmp(v, "default") && strcmp(v, "none") && strcmp(v, "host"))
					return perr(p, in->line, in->col,
						    "RUN --network=%s: expected default, none or "
						    "host",
						    v);
			} else if (str_has_prefix(*f, "mount=")) {
				const char *v = *f + 6;
				if (!strstr(v, "target=") && !strstr(v, "dst=") &&
				    !strstr(v, "destination=") && !strstr(v, "type=secret") &&
				    !strstr(v, "type=ssh"))
					return perr(p, in->line, in->col,
						    "RUN --mount=%s: a target= is required", v);
			}
		}
		return 0;
	case BUILD_CMD:
	case BUILD_ENTRYPOINT:
		if (!n && !in->json)
			return perr(p, in->line, in->col, "%s requires at least one argument",
				    name);
		return 0;
	case BUILD_SHELL:
		if (!in->json || !in->argv[0])
			return perr(p, in->line, in->col,
				    "SHELL requires the arguments to be in JSON form "
				    "(SHELL [\"executable\", \"parameters\"])");
		return 0;
	case BUILD_LABEL:
	case BUILD_ENV:
	case BUILD_ARG: {
		_cleanup_strv_ char **kv = NULL;
		if (build_key_values(in, p->escape, NULL, NULL, NULL, &kv, &e2) < 0)
			return perr(p, in->line, in->col, "%s", hk_error_msg(e2));
		return 0;
	}
	case BUILD_MAINTAINER:
	case BUILD_EXPOSE:
		if (!n)
			return perr(p, in->line, in->col, "%s requires at least one argument",
				    name);
		for (size_t i = 0; i < n; i++)
			if ((m = check_expand(p, in, raw[i], &e2)))
				return perr(p, in->line, in->col, "%s: %s", name, m);
		return 0;
	case BUILD_VOLUME:
		if (!n && !(in->json && in->argv[0]))
			return perr(p, in->line, in->col, "VOLUME requires at least one argument");
		return 0;
	case BUILD_USER:
	case BUILD_WORKDIR:
	case BUILD_STOPSIGNAL:
		if (n != 1 && !(in->kind == BUILD_WORKDIR && n > 1))
			return perr(p, in->line, in->col, "%s requires exactly one argument", name);
		if ((m = check_expand(p, in, in->args, &e2)))
			return perr(p, in->line, in->col, "%s: %s", name, m);
		return 0;
	case BUILD_COPY:
	case BUILD_ADD: {
		size_t srcs = in->json ? strv_len(in->argv) : n;
		if (srcs + in->n_heredocs < 2 && !(in->n_heredocs && srcs >= 1))
			return perr(
				p, in->line, in->col,
				"%s requires at least two arguments, but only %zu were provided "
				"(a source and a destination)",
				name, srcs);
		for (size_t i = 0; !in->json && i < n; i++)
			if ((m = check_expand(p, in, raw[i], &e2)))
				return perr(p, in->line, in->col, "%s: %s", name, m);
		if (in->kind == BUILD_ADD && build_flag(in, "checksum") &&
		    !str_has_prefix(build_flag(in, "checksum"), "sha256:"))
			return perr(p, in->line, in->col, "ADD --checksum: expected sha256:<hex>");
		return 0;
	}
	case BUILD_ONBUILD: {
		if (nested)
			return perr(p, in->line, in->col, "ONBUILD ONBUILD is not allowed");
		if (!n)
			return perr(p, in->line, in->col, "ONBUILD requires at least one argument");
		in->sub = xzalloc(sizeof(*in->sub));
		if (parse_instr(p, in->args, in->line, in->col + 8, in->end_line, in->sub, true) <
		    0)
			return -1;
		if (in->sub->kind == BUILD_FROM || in->sub->kind == BUILD_MAINTAINER)
			return perr(p, in->line, in->col, "%s isn't allowed as an ONBUILD trigger",
				    kind_names[in->sub->kind]);
		return 0;
	}
	case BUILD_HEALTHCHECK: {
		if (!n)
			return perr(p, in->line, in->col, "HEALTHCHECK requires an argument");
		if (!strcasecmp(raw[0], "none")) {
			if (n != 1 || in->flags[0])
				return perr(p, in->line, in->col,
					    "HEALTHCHECK NONE takes no other arguments");
			return 0;
		}
		if (strcasecmp(raw[0], "cmd"))
			return perr(p, in->line, in->col,
				    "HEALTHCHECK: unknown type '%s' (CMD or NONE)", raw[0]);
		if (n < 2)
			return perr(p, in->line, in->col, "HEALTHCHECK CMD requires a command");
		for (char **f = in->flags; *f; f++) {
			const char *v = strchr(*f, '=');
			int64_t d;
			long long r;
			if (!v)
				return perr(p, in->line, in->col,
					    "HEALTHCHECK --%s: missing a value", *f);
			v++;
			if (str_has_prefix(*f, "retries=")) {
				if (parse_ll(v, 0, 1000000, &r) < 0)
					return perr(p, in->line, in->col,
						    "HEALTHCHECK --retries=%s: not a number", v);
			} else if (build_parse_duration(v, &d) < 0) {
				return perr(p, in->line, in->col,
					    "HEALTHCHECK --%.*s: bad duration '%s'",
					    (int)(v - *f - 1), *f, v);
			} else if (d != 0 && d < 1000000) {
				return perr(p, in->line, in->col,
					    "HEALTHCHECK --%.*s: %s is shorter than 1ms",
					    (int)(v - *f - 1), *f, v);
			}
		}
		return 0;
	}
	default:
		return 0;
	}
}

/* Read the next logical line; 0 at the end, 1 with one. */
static int next_logical(struct parser *p, char **out, int *line, int *col, int *end_line)
{
	char *acc = NULL;
	size_t acc_len = 0;

	while (p->i < p->n_lines) {
		const struct line *l = &p->lines[p->i++];
		size_t len = l->len;
		bool more;

		if (blank(l) || comment(l))
			continue; /* also inside a continuation (Docker drops them) */
		if (!acc) {
			*line = (int)p->i;
			*col = 1;
		}
		more = continues(l->s, &len, p->escape);
		acc = xrealloc(acc, acc_len + len + 1);
		memcpy(acc + acc_len, l->s, len);
		acc_len += len;
		acc[acc_len] = '\0';
		*end_line = (int)p->i;
		if (!more) {
			*out = acc;
			return 1;
		}
	}
	if (acc) {
		/* a continuation at the end of the file ends the instruction */
		*out = acc;
		return 1;
	}
	return 0;
}

static struct build_instr *push_instr(struct build_instr **v, size_t *n)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	return &(*v)[(*n)++];
}

int build_parse(const char *path, const char *text, size_t len, struct build_file **out,
		struct hk_error **err)
{
	struct build_file *f = xzalloc(sizeof(*f));
	struct parser p = {.path = path, .err = err};
	int r = -1;

	f->path = xstrdup(path);
	f->escape = '\\';
	if (len > MAX_DOCKERFILE) {
		hk_error_set(err, EFBIG, "%s: larger than %d MiB", path, MAX_DOCKERFILE >> 20);
		goto out;
	}
	if (memchr(text, '\0', len)) {
		hk_error_set(err, 0, "%s: holds a NUL byte (not a text file)", path);
		goto out;
	}
	/* a UTF-8 byte order mark at the start is ignored, as Docker does */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
		text += 3;
		len -= 3;
	}
	split_lines(text, len, &p.lines, &p.n_lines);
	if (parse_directives(&p, f) < 0)
		goto out;
	p.escape = f->escape;
	for (;;) {
		_cleanup_free_ char *logical = NULL;
		struct build_instr in = {0};
		int line = 0, col = 1, end = 0, k;

		k = next_logical(&p, &logical, &line, &col, &end);
		if (k == 0)
			break;
		if (parse_instr(&p, logical, line, col, end, &in, false) < 0) {
			instr_clear(&in);
			goto out;
		}
		if (in.kind == BUILD_FROM) {
			_cleanup_strv_ char **raw = build_split_raw(in.args, p.escape);
			struct build_stage *st;
			f->stages = xrealloc(f->stages, (f->n_stages + 1) * sizeof(*f->stages));
			st = &f->stages[f->n_stages];
			memset(st, 0, sizeof(*st));
			st->index = f->n_stages++;
			st->base = xstrdup(raw[0]);
			if (raw[1]) {
				st->name = xstrdup(raw[2]);
				for (char *c = st->name; *c; c++)
					*c = (char)tolower((unsigned char)*c);
				for (size_t i = 0; i + 1 < f->n_stages; i++)
					if (str_eq(f->stages[i].name, st->name)) {
						perr(&p, in.line, in.col,
						     "duplicate stage name '%s' (also at line %d)",
						     st->name, f->stages[i].instrs[0].line);
						instr_clear(&in);
						goto out;
					}
			}
			if (build_flag(&in, "platform"))
				st->platform = xstrdup(build_flag(&in, "platform"));
			*push_instr(&st->instrs, &st->n_instrs) = in;
		} else if (!f->n_stages) {
			if (in.kind != BUILD_ARG) {
				perr(&p, in.line, in.col,
				     "%s before the first FROM: only ARG may come before FROM",
				     kind_names[in.kind]);
				instr_clear(&in);
				goto out;
			}
			*push_instr(&f->meta_args, &f->n_meta_args) = in;
		} else {
			struct build_stage *st = &f->stages[f->n_stages - 1];
			*push_instr(&st->instrs, &st->n_instrs) = in;
		}
	}
	if (!f->n_stages) {
		hk_error_set(err, 0, "%s: no FROM instruction (the file has no build stage)", path);
		goto out;
	}
	*out = steal_ptr(&f);
	r = 0;
out:
	free(p.lines);
	build_file_free(f);
	return r;
}
