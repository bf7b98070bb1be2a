/* hako registry: authentication.  WWW-Authenticate challenges (RFC 7235),
 * bearer tokens from the realm (the docker token protocol), basic auth, and
 * the credentials file in docker's config.json form. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "registry/registry_int.h"
#include "util/json.h"
#include "util/path.h"
#include "util/util.h"

#define AUTH_FILE_MAX  (1u << 20)
#define TOKEN_RESP_MAX (1u << 20)

void registry_challenge_free(struct registry_challenge *c)
{
	free(c->scheme);
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

static bool is_tchar(char c)
{
	return c && (isalnum((unsigned char)c) || strchr("!#$%&'*+-.^_`|~", c));
}

int registry_challenge_parse(const char *h, struct registry_challenge *out, struct hk_error **err)
{
	const char *p = h, *s;

	memset(out, 0, sizeof(*out));
	while (*p == ' ' || *p == '\t')
		p++;
	for (s = p; is_tchar(*p); p++)
		;
	if (p == s)
		return hk_error_set(err, 0, "WWW-Authenticate: no scheme in '%.100s'", h);
	out->scheme = xstrndup(s, (size_t)(p - s));
	for (;;) {
		_cleanup_free_ char *key = NULL, *val = NULL;
		char **slot = NULL;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		for (s = p; is_tchar(*p); p++)
			;
		if (p == s)
			goto bad;
		key = xstrndup(s, (size_t)(p - s));
		while (*p == ' ')
			p++;
		if (*p != '=') {
			/* a second challenge ("Basic realm=..., Bearer ...") starts:
			 * the first one is all we answer */
			break;
		}
		p++;
		while (*p == ' ')
			p++;
		if (*p == '"') {
			size_t n = 0;
			val = xmalloc(strlen(p) + 1);
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				val[n++] = *p;
			}
			if (*p != '"')
				goto bad;
			p++;
			val[n] = '\0';
		} else {
			for (s = p; is_tchar(*p) || *p == '/' || *p == ':'; p++)
				;
			val = xstrndup(s, (size_t)(p - s));
		}
		if (!strcasecmp(key, "realm"))
			slot = &out->realm;
		else if (!strcasecmp(key, "service"))
			slot = &out->service;
		else if (!strcasecmp(key, "scope"))
			slot = &out->scope;
		else if (!strcasecmp(key, "error"))
			slot = &out->error;
		if (slot) {
			free(*slot);
			*slot = steal_ptr(&val);
		}
	}
	return 0;
bad:
	registry_challenge_free(out);
	return hk_error_set(err, 0, "WWW-Authenticate: malformed parameters in '%.100s'", h);
}

static char *url_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(strlen(s) * 3 + 1), *o = out;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || strchr("-_.~", c)) {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

#define SCOPES_MAX 16

/* Add the challenge's scopes (space-separated) to those asked before, and
 * return a copy of the whole list: a push needs pull,push on its repository
 * and pull on the one it mounts from, and one token for all of them saves
 * a token round trip per request. */
static char **merge_scopes(struct registry *r, const char *scope)
{
	_cleanup_free_ char *copy = xstrdup(scope ? scope : "");
	char *save = NULL, **out;

	pthread_mutex_lock(&r->lock);
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		bool have = false;
		for (char **p = r->scopes; p && *p; p++)
			have |= !strcmp(*p, t);
		if (have)
			continue;
		if (strv_len(r->scopes) >= SCOPES_MAX) {
			strv_free(r->scopes);
			r->scopes = NULL;
		}
		strv_push(&r->scopes, t);
	}
	out = strv_dup(r->scopes);
	pthread_mutex_unlock(&r->lock);
	return out;
}

static int fetch_token(struct registry *r, const struct registry_challenge *c, char **token,
		       struct hk_error **err)
{
	_cleanup_free_ char *url = NULL, *svc = NULL, *user = NULL, *pass = NULL;
	_cleanup_strv_ char **scopes = merge_scopes(r, c->scope);
	_cleanup_json_ json_object *doc = NULL;
	struct reg_resp resp;
	struct reg_req req = {
		.method = "GET", .body_fd = -1, .no_auth = true, .max_resp = TOKEN_RESP_MAX};
	const char *tok = NULL;
	int rc;

	if (!c->realm || !*c->realm)
		return hk_error_set(err, 0, "bearer challenge without a realm");
	if (!str_has_prefix(c->realm, "https://") &&
	    !(str_has_prefix(c->realm, "http://") && r->http_allowed))
		return hk_error_set(err, 0, "token realm '%.200s' is not https", c->realm);
	svc = c->service ? url_escape(c->service) : NULL;
	url = xasprintf("%s%s%s%s", c->realm, strchr(c->realm, '?') ? "&" : "?",
			svc ? "service=" : "", svc ? svc : "");
	for (char **p = scopes; p && *p; p++) {
		_cleanup_free_ char *e = url_escape(*p);
		char *u = xasprintf("%s&scope=%s", url, e);
		free(url);
		url = u;
	}
	pthread_mutex_lock(&r->lock);
	user = r->user ? xstrdup(r->user) : NULL;
	pass = r->pass ? xstrdup(r->pass) : NULL;
	pthread_mutex_unlock(&r->lock);
	req.url = url;
	req.basic_user = user;
	req.basic_pass = pass;
	rc = reg_perform(r, &req, NULL, &resp, err);
	if (pass)
		explicit_bzero(pass, strlen(pass));
	if (rc < 0)
		return hk_error_wrap(err, "token");
	if (resp.status != 200) {
		_cleanup_free_ char *m = reg_status_msg(&resp);
		reg_resp_free(&resp);
		return hk_error_set(err, 0, "token from %.200s: %s", c->realm, m);
	}
	rc = json_parse("token response", resp.body ? resp.body : "", resp.len, &doc, err);
	reg_resp_free(&resp);
	if (rc < 0)
		return -1;
	if (json_get_string(doc, "token response", "token", &tok, err) < 0)
		return -1;
	if (!tok && json_get_string(doc, "token response", "access_token", &tok, err) < 0)
		return -1;
	if (!tok || !*tok)
		return hk_error_set(err, 0, "token response from %.200s has no token", c->realm);
	if (strpbrk(tok, "\r\n"))
		return hk_error_set(err, 0, "token response: invalid token");
	*token = xstrdup(tok);
	return 0;
}

int reg_authenticate(struct registry *r, const char *www_auth, struct hk_error **err)
{
	struct registry_challenge c;
	char *token = NULL;
	bool have_creds;

	if (registry_challenge_parse(www_auth, &c, err) < 0)
		return -1;
	pthread_mutex_lock(&r->lock);
	have_creds = r->user != NULL;
	pthread_mutex_unlock(&r->lock);
	if (!strcasecmp(c.scheme, "basic")) {
		registry_challenge_free(&c);
		if (!have_creds)
			return hk_error_set(err, 0,
					    "HTTP 401 unauthorized (no credentials for %s; "
					    "use hako login)",
					    r->host);
		pthread_mutex_lock(&r->lock);
		free(r->scheme);
		r->scheme = xstrdup("basic");
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	if (strcasecmp(c.scheme, "bearer")) {
		int rc =
			hk_error_set(err, 0, "unsupported authentication scheme '%.40s'", c.scheme);
		registry_challenge_free(&c);
		return rc;
	}
	if (fetch_token(r, &c, &token, err) < 0) {
		registry_challenge_free(&c);
		return -1;
	}
	pthread_mutex_lock(&r->lock);
	free(r->scheme);
	r->scheme = xstrdup("bearer");
	free(r->token);
	r->token = token;
	registry_challenge_free(&r->chal);
	r->chal = c;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/* ---- the credentials file ---- */

char *registry_auth_file(const char *root)
{
	const char *env = getenv("REGISTRY_AUTH_FILE");

	if (env && *env)
		return xstrdup(env);
	return path_join(root, "auth.json");
}

static int load_auths(const char *file, json_object **doc, struct hk_error **err)
{
	json_object *auths;

	if (access(file, F_OK) < 0 && errno == ENOENT) {
		*doc = json_object_new_object();
		return 0;
	}
	if (json_parse_file(file, AUTH_FILE_MAX, doc, err) < 0)
		return -1;
	if (!json_object_is_type(*doc, json_type_object)) {
		json_object_put(*doc);
		*doc = NULL;
		return hk_error_set(err, 0, "%s: not a JSON object", file);
	}
	if (json_get_object(*doc, file, "auths", &auths, err) < 0) {
		json_object_put(*doc);
		*doc = NULL;
		return -1;
	}
	return 0;
}

int registry_auth_get(const char *file, const char *host, char **user, char **pass,
		      struct hk_error **err)
{
	_cleanup_json_ json_object *doc = NULL;
	_cleanup_free_ char *ctx = NULL, *dec = NULL;
	json_object *auths = NULL, *entry = NULL;
	const char *b = NULL;
	char *colon;

	if (load_auths(file, &doc, err) < 0)
		return -1;
	if (json_get_object(doc, file, "auths", &auths, err) < 0 || !auths)
		return 0;
	ctx = xasprintf("%s: auths", file);
	if (json_get_object(auths, ctx, host, &entry, err) < 0)
		return -1;
	if (!entry)
		return 0;
	free(ctx);
	ctx = xasprintf("%s: auths.%s", file, host);
	if (json_get_string(entry, ctx, "auth", &b, err) < 0)
		return -1;
	if (!b)
		return 0;
	dec = reg_unbase64(b, NULL);
	if (!dec || !(colon = strchr(dec, ':')))
		return hk_error_set(err, 0, "%s: auth is not base64 of user:password", ctx);
	*user = xstrndup(dec, (size_t)(colon - dec));
	*pass = xstrdup(colon + 1);
	explicit_bzero(dec, strlen(dec));
	return 1;
}

static int save_auths(const char *file, json_object *doc, struct hk_error **err)
{
	_cleanup_free_ char *text = json_to_string(doc, true);
	_cleanup_free_ char *dir = xstrdup(file);
	char *slash = strrchr(dir, '/');

	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir_p(dir, 0700, err) < 0)
			return -1;
	}
	return write_file_atomic(file, text, strlen(text), 0600, err);
}

int registry_auth_set(const char *file, const char *host, const char *user, const char *pass,
		      struct hk_error **err)
{
	_cleanup_json_ json_object *doc = NULL;
	_cleanup_free_ char *up = NULL, *b = NULL;
	json_object *auths = NULL, *entry;

	if (strchr(user, ':'))
		return hk_error_set(err, 0, "user name must not contain ':'");
	if (load_auths(file, &doc, err) < 0)
		return -1;
	json_object_object_get_ex(doc, "auths", &auths);
	if (!auths || !json_object_is_type(auths, json_type_object)) {
		auths = json_object_new_object();
		json_object_object_add(doc, "auths", auths);
	}
	up = xasprintf("%s:%s", user, pass);
	b = reg_base64(up, strlen(up));
	explicit_bzero(up, strlen(up));
	entry = json_object_new_object();
	json_object_object_add(entry, "auth", json_object_new_string(b));
	json_object_object_add(auths, host, entry);
	return save_auths(file, doc, err);
}

int registry_auth_remove(const char *file, const char *host, struct hk_error **err)
{
	_cleanup_json_ json_object *doc = NULL;
	json_object *auths = NULL;

	if (access(file, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (load_auths(file, &doc, err) < 0)
		return -1;
	if (!json_object_object_get_ex(doc, "auths", &auths) ||
	    !json_object_object_get_ex(auths, host, NULL))
		return 0;
	json_object_object_del(auths, host);
	if (save_auths(file, doc, err) < 0)
		return -1;
	return 1;
}
