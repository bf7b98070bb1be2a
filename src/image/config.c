/* hako: the OCI image config (image-spec config.md), read as hostile input. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "image/image.h"
#include "image/image_private.h"
#include "util/json.h"
#include "util/util.h"

void image_config_free(struct image_config *c)
{
	if (!c)
		return;
	strv_free(c->env);
	strv_free(c->cmd);
	strv_free(c->entrypoint);
	free(c->working_dir);
	free(c->user);
	strv_free(c->exposed_ports);
	strv_free(c->volumes);
	strv_free(c->labels);
	free(c->stop_signal);
	free(c->architecture);
	free(c->os);
	free(c);
}

void image_config_freep(struct image_config **c)
{
	image_config_free(*c);
	*c = NULL;
}

/* Docker writes null for an absent list: treat it as absent. */
static int get_strv(json_object *o, const char *ctx, const char *key, char ***out,
		    struct hk_error **err)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	return json_get_strv(o, ctx, key, out, err);
}

static int get_str(json_object *o, const char *ctx, const char *key, char **out,
		   struct hk_error **err)
{
	const char *s = NULL;
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (json_get_string(o, ctx, key, &s, err) < 0)
		return -1;
	if (s && *s)
		*out = xstrdup(s);
	return 0;
}

/* Keys of an object ({"80/tcp": {}}), or "k=v" pairs when values. */
static int get_keys(json_object *o, const char *ctx, const char *key, bool pairs, char ***out,
		    struct hk_error **err)
{
	json_object *v;
	char **r = NULL;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return hk_error_set(err, 0, "%s.%s: expected an object", ctx, key);
	r = xzalloc(sizeof(char *));
	json_object_object_foreach(v, k, val)
	{
		if (pairs) {
			if (!json_object_is_type(val, json_type_string)) {
				strv_free(r);
				return hk_error_set(err, 0, "%s.%s.%s: expected a string", ctx, key,
						    k);
			}
			_cleanup_free_ char *kv =
				xasprintf("%s=%s", k, json_object_get_string(val));
			strv_push(&r, kv);
		} else {
			strv_push(&r, k);
		}
	}
	*out = r;
	return 0;
}

int64_t image_parse_time(const char *s)
{
	struct tm tm = {0};
	const char *p;
	int64_t t;

	if (!s)
		return 0;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return 0;
	t = (int64_t)timegm(&tm);
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if ((*p == '+' || *p == '-') && strlen(p) >= 6) {
		int h = (p[1] - '0') * 10 + (p[2] - '0'), m = (p[4] - '0') * 10 + (p[5] - '0');
		int off = h * 3600 + m * 60;
		t += *p == '+' ? -off : off;
	}
	return t;
}

int image_config_parse(const char *json, size_t len, struct image_config **out,
		       struct hk_error **err)
{
	_cleanup_json_ json_object *root = NULL;
	_cleanup_(image_config_freep) struct image_config *c = xzalloc(sizeof(*c));
	json_object *cfg = NULL;
	const char *created = NULL;

	if (json_parse("image config", json, len, &root, err) < 0)
		return -1;
	if (!json_object_is_type(root, json_type_object))
		return hk_error_set(err, 0, "image config: expected an object");
	if (get_str(root, "config", "architecture", &c->architecture, err) < 0 ||
	    get_str(root, "config", "os", &c->os, err) < 0 ||
	    json_get_string(root, NULL, "created", &created, err) < 0)
		return -1;
	c->created = image_parse_time(created);
	if (json_object_object_get_ex(root, "config", &cfg) && cfg) {
		const char *x = "config.config";
		if (!json_object_is_type(cfg, json_type_object))
			return hk_error_set(err, 0, "image config: config: expected an object");
		if (get_strv(cfg, x, "Env", &c->env, err) < 0 ||
		    get_strv(cfg, x, "Cmd", &c->cmd, err) < 0 ||
		    get_strv(cfg, x, "Entrypoint", &c->entrypoint, err) < 0 ||
		    get_str(cfg, x, "WorkingDir", &c->working_dir, err) < 0 ||
		    get_str(cfg, x, "User", &c->user, err) < 0 ||
		    get_str(cfg, x, "StopSignal", &c->stop_signal, err) < 0 ||
		    get_keys(cfg, x, "ExposedPorts", false, &c->exposed_ports, err) < 0 ||
		    get_keys(cfg, x, "Volumes", false, &c->volumes, err) < 0 ||
		    get_keys(cfg, x, "Labels", true, &c->labels, err) < 0)
			return -1;
	}
	*out = steal_ptr(&c);
	return 0;
}

int image_config(const struct image *img, struct image_config **out, struct hk_error **err)
{
	if (image_config_parse(img->config_json, strlen(img->config_json), out, err) < 0)
		return hk_error_wrap(err, "image %.19s", img->id);
	return 0;
}
