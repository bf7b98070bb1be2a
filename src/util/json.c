#include "util/json.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "util/util.h"

void hk_json_putp(json_object **o)
{
	if (*o)
		json_object_put(*o);
}

int json_parse(const char *what, const char *text, size_t len, json_object **out,
	       struct hk_error **err)
{
	json_tokener *tok = json_tokener_new();
	json_object *obj;
	enum json_tokener_error jerr;

	if (!tok)
		abort();
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!obj || jerr != json_tokener_success) {
		size_t off = json_tokener_get_parse_end(tok);
		if (obj)
			json_object_put(obj);
		json_tokener_free(tok);
		if (jerr == json_tokener_continue)
			return hk_error_set(err, 0, "%s: unexpected end of JSON", what);
		return hk_error_set(err, 0, "%s: invalid JSON at byte %zu: %s", what, off,
				    json_tokener_error_desc(jerr));
	}
	json_tokener_free(tok);
	*out = obj;
	return 0;
}

int json_parse_file(const char *path, size_t max, json_object **out, struct hk_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (read_file_at(AT_FDCWD, path, max, &text, &len, err) < 0)
		return -1;
	return json_parse(path, text, len, out, err);
}

static int field(json_object *obj, const char *ctx, const char *key, json_type want,
		 const char *wantname, json_object **val, struct hk_error **err)
{
	json_object *v;

	if (!obj || !json_object_is_type(obj, json_type_object))
		return 0;
	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, want) &&
	    !(want == json_type_double && json_object_is_type(v, json_type_int)))
		return hk_error_set(err, 0, "%s%s%s: expected %s", ctx ? ctx : "", ctx ? "." : "",
				    key, wantname);
	*val = v;
	return 1;
}

int json_get_string(json_object *obj, const char *ctx, const char *key, const char **out,
		    struct hk_error **err)
{
	json_object *v;
	int r = field(obj, ctx, key, json_type_string, "a string", &v, err);
	if (r > 0)
		*out = json_object_get_string(v);
	return r;
}

int json_get_int64(json_object *obj, const char *ctx, const char *key, int64_t *out,
		   struct hk_error **err)
{
	json_object *v;
	int r = field(obj, ctx, key, json_type_int, "an integer", &v, err);
	if (r > 0)
		*out = json_object_get_int64(v);
	return r;
}

int json_get_uint64(json_object *obj, const char *ctx, const char *key, uint64_t *out,
		    struct hk_error **err)
{
	json_object *v;
	int r = field(obj, ctx, key, json_type_int, "an integer", &v, err);
	if (r <= 0)
		return r;
	if (json_object_get_int64(v) < 0 && strchr(json_object_get_string(v), '-'))
		return hk_error_set(err, 0, "%s%s%s: must not be negative", ctx ? ctx : "",
				    ctx ? "." : "", key);
	*out = json_object_get_uint64(v);
	return 1;
}

int json_get_bool(json_object *obj, const char *ctx, const char *key, bool *out,
		  struct hk_error **err)
{
	json_object *v;
	int r = field(obj, ctx, key, json_type_boolean, "true or false", &v, err);
	if (r > 0)
		*out = json_object_get_boolean(v);
	return r;
}

int json_get_object(json_object *obj, const char *ctx, const char *key, json_object **out,
		    struct hk_error **err)
{
	return field(obj, ctx, key, json_type_object, "an object", out, err);
}

int json_get_array(json_object *obj, const char *ctx, const char *key, json_object **out,
		   struct hk_error **err)
{
	return field(obj, ctx, key, json_type_array, "an array", out, err);
}

int json_get_strv(json_object *obj, const char *ctx, const char *key, char ***out,
		  struct hk_error **err)
{
	json_object *arr;
	char **v;
	size_t n;
	int r = json_get_array(obj, ctx, key, &arr, err);

	if (r <= 0)
		return r;
	n = json_object_array_length(arr);
	v = xzalloc((n + 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(e, json_type_string)) {
			strv_free(v);
			return hk_error_set(err, 0, "%s%s%s[%zu]: expected a string",
					    ctx ? ctx : "", ctx ? "." : "", key, i);
		}
		v[i] = xstrdup(json_object_get_string(e));
	}
	*out = v;
	return 1;
}

char *json_to_string(json_object *obj, bool pretty)
{
	int flags =
		pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;
	return xstrdup(json_object_to_json_string_ext(obj, flags | JSON_C_TO_STRING_NOSLASHESCAPE));
}

const char *json_str(json_object *obj, const char *key)
{
	json_object *v = NULL;

	if (!obj || !json_object_object_get_ex(obj, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

json_object *json_strv_new(char *const *v)
{
	json_object *a = json_object_new_array();

	for (; v && *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}
