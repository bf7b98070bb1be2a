/* hako: the evaluator of Go templates (see template.h): walks the tree
 * with dot, a variable stack and Go's rules for fields, pipelines, if,
 * range and with. */
#include "util/template_int.h"

int tmpl_ex_fail(struct exec *ex, const char *fmt, ...)
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
		return tmpl_ex_fail(ex, "nil pointer evaluating interface {}.%s", name);
	default:
		return tmpl_ex_fail(ex, "can't evaluate field %s in type %s", name,
				    type_name(vtype(v)));
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
			return tmpl_ex_fail(ex, "undefined variable %s", e->name);
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
	return tmpl_ex_fail(ex, "bad expression");
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
	const struct tmpl_func *f = tmpl_func_find(fe->name);
	size_t n = c->nargs - 1 + (final != NULL);
	struct args a = {0};
	int r = -1;

	if (!f) /* the parser checked */
		return tmpl_ex_fail(ex, "function \"%s\" not defined", fe->name);
	if (n < (size_t)f->min || (f->max >= 0 && n > (size_t)f->max)) {
		if (f->max == f->min)
			return tmpl_ex_fail(ex, "wrong number of args for %s: want %d got %zu",
					    f->name, f->min, n);
		return tmpl_ex_fail(ex, "wrong number of args for %s: want at least %d got %zu",
				    f->name, f->min, n);
	}
	if (!f->fn)
		return call_logic(ex, c, !strcmp(f->name, "and"), dot, final, out);
	if (ex->header && f->header_id && n >= 1)
		f = tmpl_func_find("header identity");
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

/* Docker's list rows have a method `.Label "key"` (ps, images, volume ls,
 * network ls): the value of one label, "" when it is not set.  Our rows are
 * JSON, so X.Label KEY reads X.Labels, an object or Docker's "k=v,k2=v2". */
static bool is_label_method(const struct expr *first, size_t nargs)
{
	return (first->kind == E_FIELD || first->kind == E_VAR || first->kind == E_PIPE) &&
	       first->nfields > 0 && nargs == 1 &&
	       !strcmp(first->fields[first->nfields - 1], "Label");
}

static int label_method(struct exec *ex, const struct cmd *c, const struct val *dot,
			const struct val *final, struct val *out)
{
	struct expr recv_expr = *c->args[0]; /* the chain without .Label */
	struct val recv = {0}, key = {0};
	json_object *labels = NULL, *v;
	const char *k, *s;
	int r = -1;

	recv_expr.nfields--;
	if (eval_arg(ex, &recv_expr, dot, &recv) < 0)
		goto out;
	if (c->nargs > 1 ? eval_arg(ex, c->args[1], dot, &key) < 0 : (key = val_copy(final), 0))
		goto out;
	ex->at = c->pos;
	ex->at_end = c->end;
	if (vtype(&key) != VT_STRING) {
		tmpl_ex_fail(ex, "wrong type for value; expected string; got %s",
			     type_name(vtype(&key)));
		goto out;
	}
	k = json_object_get_string(key.j);
	*out = val_str("", 0);
	r = 0;
	if (vtype(&recv) != VT_OBJECT || !json_object_object_get_ex(recv.j, "Labels", &labels))
		goto out;
	if (json_object_is_type(labels, json_type_object)) {
		if (json_object_object_get_ex(labels, k, &v)) {
			val_put(out);
			*out = val_ref(v);
		}
		goto out;
	}
	if (!json_object_is_type(labels, json_type_string))
		goto out;
	size_t kl = strlen(k);
	for (s = json_object_get_string(labels); *s;) {
		size_t n = strcspn(s, ",");
		if (n > kl && !strncmp(s, k, kl) && s[kl] == '=') {
			val_put(out);
			*out = val_str(s + kl + 1, n - kl - 1);
			break;
		}
		s += n + (s[n] == ',');
	}
out:
	val_put(&recv);
	val_put(&key);
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
		return tmpl_ex_fail(ex, "nil is not a command");
	if (is_label_method(first, c->nargs - 1 + (final != NULL)))
		return label_method(ex, c, dot, final, out);
	if (c->nargs > 1 || final)
		return tmpl_ex_fail(ex, "can't give argument to non-function %.*s",
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
	/* The declared variables, as indexes: the body may push variables and
	 * so move ex->vars.  SIZE_MAX: none. */
	size_t ik = SIZE_MAX, iv = SIZE_MAX;
	size_t base = ex->nvars - (pp->assign ? 0 : pp->ndecl);

	if (!pp->assign && pp->ndecl == 1) {
		iv = base;
	} else if (!pp->assign && pp->ndecl == 2) {
		ik = base;
		iv = base + 1;
	} else if (pp->assign && pp->ndecl >= 1) {
		struct var *a = var_find(ex, pp->decl[0]);
		struct var *b = pp->ndecl == 2 ? var_find(ex, pp->decl[1]) : NULL;
		if (pp->ndecl == 1 && a)
			iv = (size_t)(a - ex->vars);
		if (pp->ndecl == 2) {
			ik = a ? (size_t)(a - ex->vars) : SIZE_MAX;
			iv = b ? (size_t)(b - ex->vars) : SIZE_MAX;
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
		return tmpl_ex_fail(ex, "range can't iterate over %s",
				    json_object_get_string(v->j));
	}
	size_t len = vtype(v) == VT_ARRAY	       ? json_object_array_length(v->j)
		     : vtype(v) == VT_OBJECT	       ? (size_t)json_object_object_length(v->j)
		     : json_object_get_int64(v->j) > 0 ? (size_t)json_object_get_int64(v->j)
						       : 0;
	size_t nm = 0;
	_cleanup_free_ struct kv *m = vtype(v) == VT_OBJECT ? tmpl_sorted_members(v->j, &nm) : NULL;
	if (vtype(v) == VT_INT && ik != SIZE_MAX)
		return tmpl_ex_fail(ex, "can't use %s to iterate over more than one variable",
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
		if (iv != SIZE_MAX) {
			val_put(&ex->vars[iv].v);
			ex->vars[iv].v = val_copy(&elem);
		}
		if (ik != SIZE_MAX) {
			val_put(&ex->vars[ik].v);
			ex->vars[ik].v = val_copy(&key);
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
				tmpl_print_json(&ex->out, v.j, 0);
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
