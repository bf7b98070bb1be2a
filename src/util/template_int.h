/* hako: the private parts of src/util/template*.c, Go's text/template over
 * json-c values: the output buffer, UTF-8 helpers, the tree the parser
 * builds and the values and state the evaluator and the functions share.
 * Nothing outside src/util/template*.c includes this; util/template.h is
 * the module's public face. */
#ifndef HAKO_UTIL_TEMPLATE_INT_H
#define HAKO_UTIL_TEMPLATE_INT_H

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

static inline void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static inline void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

static inline void HK_PRINTF(2, 3) buf_addf(struct buf *b, const char *fmt, ...)
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

static inline char *buf_steal(struct buf *b)
{
	char *p = b->p ? b->p : xstrdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

/* UTF-8: encode a rune (invalid ones as U+FFFD). */
static inline void buf_rune(struct buf *b, long r)
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
static inline long utf8_decode(const unsigned char *s, size_t n, size_t *len)
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

static inline size_t utf8_count(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* ------------------------------------------------------------------------ */
/* positions and errors */

static inline void line_col(const char *src, size_t pos, int *line, int *col)
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

/* ------------------------------------------------------------------------ */
/* values */

struct val {
	bool missing; /* Go's invalid value: a field that does not exist */
	json_object *j;
};

#define VAL_MISSING ((struct val){.missing = true})

static inline void val_put(struct val *v)
{
	json_object_put(v->j);
	v->j = NULL;
}

static inline struct val val_ref(json_object *j)
{
	return (struct val){.j = json_object_get(j)};
}

static inline struct val val_copy(const struct val *v)
{
	return (struct val){.missing = v->missing, .j = json_object_get(v->j)};
}

static inline struct val val_str(const char *s, size_t n)
{
	return (struct val){.j = json_object_new_string_len(s, (int)n)};
}

static inline struct val val_int(int64_t i)
{
	return (struct val){.j = json_object_new_int64(i)};
}

static inline struct val val_bool(bool b)
{
	return (struct val){.j = json_object_new_boolean(b)};
}

enum vtype { VT_MISSING, VT_NIL, VT_BOOL, VT_INT, VT_FLOAT, VT_STRING, VT_ARRAY, VT_OBJECT };

static inline enum vtype jtype(json_object *j)
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

static inline enum vtype vtype(const struct val *v)
{
	return v->missing ? VT_MISSING : jtype(v->j);
}

/* The Go type a JSON value decodes to, for messages and %T. */
static inline const char *type_name(enum vtype t)
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
static inline bool truth(const struct val *v)
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

struct kv {
	const char *k;
	json_object *v;
};

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

/* ---- functions ---- */

struct args {
	struct val *v;
	size_t n;
};

typedef int (*func_fn)(struct exec *ex, struct args *a, struct val *out);

struct tmpl_func {
	const char *name;
	int min, max; /* max -1: variadic */
	func_fn fn;
	bool header_id; /* Docker's HeaderFunctions make it the identity */
};

/* The function called name (Go's builtins and Docker's), or NULL. */
const struct tmpl_func *tmpl_func_find(const char *name);

/* Fail the execution with Go's "executing ... at <...>" message. */
int tmpl_ex_fail(struct exec *ex, const char *fmt, ...) HK_PRINTF(2, 3);

/* Go's fmt.Sprint of a JSON value (NULL is <nil>). */
void tmpl_print_json(struct buf *b, json_object *j, int depth);

/* An object's members sorted by key, as Go ranges over and prints maps;
 * caller frees the array (the members are borrowed). */
struct kv *tmpl_sorted_members(json_object *o, size_t *n);

#endif
