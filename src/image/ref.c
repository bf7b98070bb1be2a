/* hako: image references, normalized the way Docker's reference grammar
 * (github.com/distribution/reference) does:
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [domain "/"] path-component ["/" path-component]*
 *   domain     := host [":" port]    (recognized by '.', ':' or "localhost")
 *   path-comp  := [a-z0-9]+ (separator [a-z0-9]+)*
 *   separator  := "." | "_" | "__" | "-"+
 *   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 */
#include <ctype.h>
#include <string.h>

#include "image/image.h"
#include "util/util.h"

#define DEFAULT_DOMAIN	"docker.io"
#define LEGACY_DOMAIN	"index.docker.io"
#define OFFICIAL_PREFIX "library/"
#define NAME_MAX_LEN	255

void image_ref_free(struct image_ref *ref)
{
	if (!ref)
		return;
	free(ref->domain);
	free(ref->path);
	free(ref->tag);
	free(ref->digest);
	memset(ref, 0, sizeof(*ref));
}

static bool is_alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: alnum runs joined by ".", "_", "__" or "-"+. */
static const char *check_component(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return "empty path component";
	while (i < n) {
		size_t run = 0;
		while (i < n && is_alnum_lower(s[i]))
			i++, run++;
		if (run == 0) {
			if (s[i] >= 'A' && s[i] <= 'Z')
				return "repository name must be lowercase";
			return "invalid character or separator in the name";
		}
		if (i == n)
			return NULL;
		if (s[i] == '.' && i + 1 < n && is_alnum_lower(s[i + 1]))
			i++;
		else if (s[i] == '_' && i + 1 < n && is_alnum_lower(s[i + 1]))
			i++;
		else if (s[i] == '_' && i + 2 < n && s[i + 1] == '_' && is_alnum_lower(s[i + 2]))
			i += 2;
		else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
			if (i == n)
				return "a name component can not end with a separator";
		} else if (s[i] >= 'A' && s[i] <= 'Z')
			return "repository name must be lowercase";
		else
			return "invalid character or separator in the name";
	}
	return NULL;
}

static const char *check_domain(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t host = colon ? (size_t)(colon - s) : n;

	if (host == 0)
		return "empty registry host";
	for (size_t i = 0; i < host; i++) {
		char c = s[i];
		if (!(isalnum((unsigned char)c) || c == '.' || c == '-' || c == '[' || c == ']'))
			return "invalid character in the registry host";
	}
	if (s[0] == '-' || s[host - 1] == '-' || s[0] == '.')
		return "invalid registry host";
	if (colon) {
		size_t plen = n - host - 1;
		if (plen == 0 || plen > 5)
			return "invalid registry port";
		for (size_t i = host + 1; i < n; i++)
			if (!isdigit((unsigned char)s[i]))
				return "invalid registry port";
	}
	return NULL;
}

static const char *check_tag(const char *t)
{
	size_t n = strlen(t);

	if (n == 0)
		return "empty tag";
	if (n > 128)
		return "tag longer than 128 characters";
	if (!(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return "invalid tag";
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
			return "invalid tag";
	return NULL;
}

static int ref_error(struct hk_error **err, const char *s, const char *why)
{
	return hk_error_set(err, 0, "invalid reference format '%s': %s", s, why);
}

int image_ref_parse(const char *s, struct image_ref *out, struct hk_error **err)
{
	_cleanup_free_ char *work = NULL;
	char *name, *at, *slash, *lastslash, *colon;
	const char *why;
	struct image_ref r = {0};

	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return hk_error_set(err, 0, "invalid reference format: empty reference");
	if (strlen(s) > 1024)
		return ref_error(err, "...", "reference too long");
	work = xstrdup(s);
	name = work;

	at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if (!digest_valid(at + 1)) {
			if (str_has_prefix(at + 1, "sha256:"))
				return ref_error(err, s, "invalid sha256 digest");
			return ref_error(err, s,
					 "invalid digest (only sha256:<64 hex> is supported)");
		}
		r.digest = xstrdup(at + 1);
	}
	/* A tag follows the last ':' after the last '/' (a ':' before it is a
	 * port). */
	lastslash = strrchr(name, '/');
	colon = strrchr(lastslash ? lastslash : name, ':');
	if (colon) {
		*colon = '\0';
		if ((why = check_tag(colon + 1))) {
			image_ref_free(&r);
			return ref_error(err, s, why);
		}
		r.tag = xstrdup(colon + 1);
	}
	if (!*name) {
		image_ref_free(&r);
		return ref_error(err, s, "empty name");
	}
	slash = strchr(name, '/');
	if (slash && (memchr(name, '.', (size_t)(slash - name)) ||
		      memchr(name, ':', (size_t)(slash - name)) ||
		      (slash - name == 9 && !strncmp(name, "localhost", 9)))) {
		if ((why = check_domain(name, (size_t)(slash - name)))) {
			image_ref_free(&r);
			return ref_error(err, s, why);
		}
		r.domain = xstrndup(name, (size_t)(slash - name));
		name = slash + 1;
	} else {
		r.domain = xstrdup(DEFAULT_DOMAIN);
	}
	if (!strcmp(r.domain, LEGACY_DOMAIN)) {
		free(r.domain);
		r.domain = xstrdup(DEFAULT_DOMAIN);
	}
	for (const char *c = name;;) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if ((why = check_component(c, n))) {
			image_ref_free(&r);
			return ref_error(err, s, why);
		}
		if (!e)
			break;
		c = e + 1;
	}
	if (!strcmp(r.domain, DEFAULT_DOMAIN) && !strchr(name, '/'))
		r.path = xasprintf(OFFICIAL_PREFIX "%s", name);
	else
		r.path = xstrdup(name);
	if (strlen(r.domain) + 1 + strlen(r.path) > NAME_MAX_LEN) {
		image_ref_free(&r);
		return ref_error(err, s, "repository name longer than 255 characters");
	}
	if (!r.tag && !r.digest)
		r.tag = xstrdup("latest");
	*out = r;
	return 0;
}

char *image_ref_name(const struct image_ref *ref)
{
	return xasprintf("%s/%s", ref->domain, ref->path);
}

char *image_ref_string(const struct image_ref *ref)
{
	return xasprintf("%s/%s%s%s%s%s", ref->domain, ref->path, ref->tag ? ":" : "",
			 ref->tag ? ref->tag : "", ref->digest ? "@" : "",
			 ref->digest ? ref->digest : "");
}

char *image_ref_familiar(const char *full)
{
	if (str_has_prefix(full, DEFAULT_DOMAIN "/" OFFICIAL_PREFIX)) {
		const char *rest = full + strlen(DEFAULT_DOMAIN "/" OFFICIAL_PREFIX);
		/* docker.io/library/a/b stays long: only one-component names are
		 * official images. */
		const char *slash = strchr(rest, '/');
		if (!slash)
			return xstrdup(rest);
	}
	if (str_has_prefix(full, DEFAULT_DOMAIN "/"))
		return xstrdup(full + strlen(DEFAULT_DOMAIN "/"));
	return xstrdup(full);
}
