/* hako image: Dockerfile instructions applied to an image config's "config"
 * object (import --change, commit --change). */
#include <ctype.h>
#include <string.h>

#include "image/image.h"
#include "util/json.h"
#include "util/util.h"

/* Split shell-like words: "a b" 'c d' e\ f. */
static int split_words(const char *s, char ***out, struct hk_error **err)
{
	_cleanup_strv_ char **v = xzalloc(sizeof(char *));

	while (*s) {
		_cleanup_free_ char *w = xzalloc(strlen(s) + 1);
		size_t n = 0;
		char q = 0;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		for (; *s && (q || !isspace((unsigned char)*s)); s++) {
			if (q && *s == q)
				q = 0;
			else if (!q && (*s == '"' || *s == '\''))
				q = *s;
			else if (*s == '\\' && s[1] && q != '\'')
				w[n++] = *++s;
			else
				w[n++] = *s;
		}
		if (q)
			return hk_error_set(err, 0, "unterminated quote");
		strv_push(&v, w);
	}
	*out = steal_ptr(&v);
	return 0;
}

/* CMD/ENTRYPOINT/VOLUME: a JSON array, else the shell form. */
static int exec_form(const char *rest, bool shell, json_object **out, struct hk_error **err)
{
	if (rest[0] == '[') {
		_cleanup_json_ json_object *j = NULL;
		if (json_parse("--change", rest, strlen(rest), &j, err) < 0)
			return -1;
		if (!json_object_is_type(j, json_type_array))
			return hk_error_set(err, 0, "expected a JSON array");
		for (size_t i = 0; i < json_object_array_length(j); i++)
			if (!json_object_is_type(json_object_array_get_idx(j, i), json_type_string))
				return hk_error_set(err, 0, "element %zu is not a string", i);
		*out = json_object_get(j);
		return 0;
	}
	if (shell) {
		char *v[] = {"/bin/sh", "-c", (char *)rest, NULL};
		*out = json_strv_new(v);
		return 0;
	}
	{
		_cleanup_strv_ char **w = NULL;
		if (split_words(rest, &w, err) < 0)
			return -1;
		*out = json_strv_new(w);
	}
	return 0;
}

static json_object *ensure_object(json_object *cfg, const char *key)
{
	json_object *o;

	if (!json_object_object_get_ex(cfg, key, &o) || !json_object_is_type(o, json_type_object)) {
		o = json_object_new_object();
		json_object_object_add(cfg, key, o);
	}
	return o;
}

/* ENV and LABEL: "k=v k2=v2" or the legacy "k v". */
static int pairs(const char *rest, char ***keys, char ***vals, struct hk_error **err)
{
	_cleanup_strv_ char **w = NULL;
	const char *sp = rest + strcspn(rest, " \t");
	const char *eq = strchr(rest, '=');

	*keys = xzalloc(sizeof(char *));
	*vals = xzalloc(sizeof(char *));
	if (!eq || eq > sp) {
		_cleanup_free_ char *k = xstrndup(rest, (size_t)(sp - rest));
		while (isspace((unsigned char)*sp))
			sp++;
		if (!*k || !*sp)
			return hk_error_set(err, 0, "expected KEY=VALUE or KEY VALUE");
		strv_push(keys, k);
		strv_push(vals, sp);
		return 0;
	}
	if (split_words(rest, &w, err) < 0)
		return -1;
	for (char **x = w; *x; x++) {
		char *e = strchr(*x, '=');
		if (!e || e == *x)
			return hk_error_set(err, 0, "'%s': expected KEY=VALUE", *x);
		*e = '\0';
		strv_push(keys, *x);
		strv_push(vals, e + 1);
	}
	return 0;
}

int image_config_apply_change(json_object *cfg, const char *change, struct hk_error **err)
{
	_cleanup_free_ char *instr = NULL;
	const char *rest = change;
	json_object *v = NULL;

	while (isspace((unsigned char)*rest))
		rest++;
	instr = xstrndup(rest, strcspn(rest, " \t"));
	rest += strlen(instr);
	while (isspace((unsigned char)*rest))
		rest++;
	for (char *p = instr; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (!*rest)
		return hk_error_set(err, 0, "%s needs an argument", instr);
	if (!strcmp(instr, "CMD") || !strcmp(instr, "ENTRYPOINT")) {
		if (exec_form(rest, true, &v, err) < 0)
			return -1;
		json_object_object_add(cfg, !strcmp(instr, "CMD") ? "Cmd" : "Entrypoint", v);
	} else if (!strcmp(instr, "WORKDIR") || !strcmp(instr, "USER") ||
		   !strcmp(instr, "STOPSIGNAL")) {
		const char *key = instr[0] == 'W'   ? "WorkingDir"
				  : instr[0] == 'U' ? "User"
						    : "StopSignal";
		if (instr[0] == 'W' && rest[0] != '/')
			return hk_error_set(err, 0, "WORKDIR must be an absolute path");
		json_object_object_add(cfg, key, json_object_new_string(rest));
	} else if (!strcmp(instr, "ENV") || !strcmp(instr, "LABEL")) {
		_cleanup_strv_ char **keys = NULL, **vals = NULL;
		if (pairs(rest, &keys, &vals, err) < 0)
			return -1;
		if (instr[0] == 'L') {
			json_object *l = ensure_object(cfg, "Labels");
			for (size_t i = 0; keys[i]; i++)
				json_object_object_add(l, keys[i], json_object_new_string(vals[i]));
		} else {
			json_object *env;
			if (!json_object_object_get_ex(cfg, "Env", &env) ||
			    !json_object_is_type(env, json_type_array)) {
				env = json_object_new_array();
				json_object_object_add(cfg, "Env", env);
			}
			for (size_t i = 0; keys[i]; i++) {
				_cleanup_free_ char *kv = xasprintf("%s=%s", keys[i], vals[i]);
				size_t klen = strlen(keys[i]), n = json_object_array_length(env);
				bool replaced = false;
				for (size_t j = 0; j < n && !replaced; j++) {
					const char *e = json_object_get_string(
						json_object_array_get_idx(env, j));
					if (e && !strncmp(e, keys[i], klen) && e[klen] == '=') {
						json_object_array_put_idx(
							env, j, json_object_new_string(kv));
						replaced = true;
					}
				}
				if (!replaced)
					json_object_array_add(env, json_object_new_string(kv));
			}
		}
	} else if (!strcmp(instr, "EXPOSE")) {
		_cleanup_strv_ char **w = NULL;
		json_object *ports = ensure_object(cfg, "ExposedPorts");
		if (split_words(rest, &w, err) < 0)
			return -1;
		for (char **p = w; *p; p++) {
			long long port;
			_cleanup_free_ char *num = xstrndup(*p, strcspn(*p, "/"));
			const char *proto = strchr(*p, '/') ? strchr(*p, '/') + 1 : "tcp";
			if (parse_ll(num, 1, 65535, &port) < 0 ||
			    (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp")))
				return hk_error_set(err, 0, "EXPOSE: invalid port '%s'", *p);
			_cleanup_free_ char *key = xasprintf("%lld/%s", port, proto);
			json_object_object_add(ports, key, json_object_new_object());
		}
	} else if (!strcmp(instr, "VOLUME")) {
		json_object *vols = ensure_object(cfg, "Volumes");
		_cleanup_json_ json_object *arr = NULL;
		if (exec_form(rest, false, &arr, err) < 0)
			return -1;
		for (size_t i = 0; i < json_object_array_length(arr); i++)
			json_object_object_add(
				vols, json_object_get_string(json_object_array_get_idx(arr, i)),
				json_object_new_object());
	} else {
		return hk_error_set(err, 0,
				    "'%s' can not be applied (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, "
				    "STOPSIGNAL, USER, VOLUME, WORKDIR)",
				    instr);
	}
	return 0;
}
