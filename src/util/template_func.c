/* hako: the functions of Go templates (Go's builtins, printf, Docker's
 * json/join/split/...) and Go's way of printing values. */
#include "util/template_int.h"

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

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

/* An object's members in Go's map order: sorted by key. */
struct kv *tmpl_sorted_members(json_object *o, size_t *n)
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

void tmpl_print_json(struct buf *b, json_object *j, int depth)
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
			tmpl_print_json(b, json_object_array_get_idx(j, i), depth + 1);
		}
		buf_addc(b, ']');
		break;
	case VT_OBJECT: {
		size_t n;
		_cleanup_free_ struct kv *m = tmpl_sorted_members(j, &n);
		buf_adds(b, "map[");
		for (size_t i = 0; i < n; i++) {
			if (i)
				buf_addc(b, ' ');
			buf_adds(b, m[i].k);
			buf_addc(b, ':');
			tmpl_print_json(b, m[i].v, depth + 1);
		}
		buf_addc(b, ']');
		break;
	}
	}
}

char *tmpl_value_string(json_object *v)
{
	struct buf b = {0};

	tmpl_print_json(&b, v, 0);
	return buf_steal(&b);
}

static int want_string(struct exec *ex, const char *fn, const struct val *v, const char **s,
		       size_t *len)
{
	if (vtype(v) != VT_STRING) {
		if (vtype(v) == VT_MISSING || vtype(v) == VT_NIL)
			return tmpl_ex_fail(ex, "error calling %s: invalid value; expected string",
					    fn);
		return tmpl_ex_fail(ex, "wrong type for value; expected string; got %s",
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
		return tmpl_ex_fail(ex, "%s is not an integer", json_object_get_string(v->j));
	default:
		return tmpl_ex_fail(ex, "wrong type for value; expected int; got %s",
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
		return tmpl_ex_fail(ex, "error calling len: len of nil pointer");
	default:
		return tmpl_ex_fail(ex, "error calling len: len of type %s",
				    type_name(vtype(&a->v[0])));
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
				tmpl_ex_fail(ex, "error calling index: index out of range: %lld",
					     idx);
				goto fail;
			}
			r = json_object_get(json_object_array_get_idx(cur.j, (size_t)idx));
			val_put(&cur);
			cur.j = r;
			break;
		case VT_OBJECT:
			if (vtype(k) != VT_STRING) {
				tmpl_ex_fail(
					ex,
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
			tmpl_ex_fail(ex, "error calling index: index of untyped nil");
			goto fail;
		default:
			tmpl_ex_fail(ex, "error calling index: can't index item of type %s",
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
		return tmpl_ex_fail(ex, "error calling slice: can't slice item of type %s",
				    type_name(t));
	if (a->n > 3)
		return tmpl_ex_fail(ex, "error calling slice: too many slice indexes: %zu",
				    a->n - 1);
	idx[1] = len;
	for (size_t i = 1; i < a->n; i++)
		if (want_int(ex, &a->v[i], &idx[i - 1]) < 0)
			return -1;
	if (idx[0] < 0 || idx[1] > len || idx[0] > idx[1])
		return tmpl_ex_fail(ex, "error calling slice: index out of range: %lld", idx[1]);
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
		return tmpl_ex_fail(ex, "error calling eq: non-comparable type");
	if (na || nb)
		return na && nb;
	if (is_num(ta) && is_num(tb)) {
		if (ta == VT_INT && tb == VT_INT)
			return json_object_get_int64(a->j) == json_object_get_int64(b->j);
		return num(a) == num(b);
	}
	if (ta != tb)
		return tmpl_ex_fail(ex, "error calling eq: incompatible types for comparison");
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
		return tmpl_ex_fail(ex, "incompatible types for comparison");
	return tmpl_ex_fail(ex, "invalid type for comparison");
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
		tmpl_print_json(b, v->j, 0);
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
	char cf[48];
	struct buf q = {0};

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
	buf_addf(b, cf, x);
}

static void fmt_float(struct buf *b, const struct spec *sp, double d)
{
	char cf[48], tmp[512];

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
	buf_addf(b, cf, d);
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
		_cleanup_free_ struct kv *m = tmpl_sorted_members(v->j, &n);
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
		if (argi >= a->n) {
			buf_addf(&b, "%%!%c(MISSING)", sp.verb);
			continue;
		}
		if (!strchr("vTtbcdoOqxXeEfFgGsU", sp.verb)) {
			bad_verb(&b, &sp, &a->v[argi++]);
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
		return tmpl_ex_fail(ex,
				    "error calling join: wrong type for value; expected []string; "
				    "got %s",
				    type_name(vtype(&a->v[0])));
	for (size_t i = 0; i < json_object_array_length(a->v[0].j); i++) {
		if (i)
			buf_add(&b, sep, seplen);
		tmpl_print_json(&b, json_object_array_get_idx(a->v[0].j, i), 0);
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
		return tmpl_ex_fail(ex, "error calling pad: bad padding %lld, %lld", before, after);
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
		return tmpl_ex_fail(ex, "error calling truncate: negative length %lld", len);
	*out = val_str(s, (size_t)len < n ? (size_t)len : n);
	return 0;
}

static int fn_identity(struct exec *ex, struct args *a, struct val *out)
{
	*out = val_copy(&a->v[0]);
	return 0;
}

static const struct tmpl_func funcs[] = {
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

const struct tmpl_func *tmpl_func_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(funcs); i++)
		if (!strcmp(funcs[i].name, name))
			return &funcs[i];
	return NULL;
}
