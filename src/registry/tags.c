/* hako registry: the tags of a repository (GET /v2/<name>/tags/list). */
#include <string.h>

#include "image/image.h"
#include "registry/registry_int.h"
#include "util/json.h"
#include "util/util.h"

bool reg_tag_valid(const char *t)
{
	size_t n = strlen(t);

	if (!n || n > 128 || t[0] == '.' || t[0] == '-')
		return false;
	for (const char *p = t; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("._-", *p)))
			return false;
	return true;
}

/* The URL of the next page from a Link header (`<URL>; rel="next"`), or NULL.
 * It must stay on this registry's /v2/ API: a hostile header must not send
 * our credentials elsewhere. */
static char *next_page(struct registry *r, const char *link, struct hk_error **err)
{
	const char *lt = strchr(link, '<'), *gt;
	_cleanup_free_ char *loc = NULL, *url = NULL, *api = NULL;

	if (!lt || !(gt = strchr(lt, '>')) || !strstr(gt, "rel=\"next\""))
		return NULL;
	loc = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	url = reg_resolve(r, loc);
	api = xasprintf("%s/v2/", r->base);
	if (!str_has_prefix(url, api)) {
		hk_error_set(err, 0, "tags list: next page %.200s is not on %s", url, r->base);
		return NULL;
	}
	return steal_ptr(&url);
}

/* One page: its tags are appended to *tags (*n of them so far). */
static int tags_page(struct registry *r, const char *url, char ***tags, size_t *n, char **next,
		     struct hk_error **err)
{
	_cleanup_json_ json_object *o = NULL;
	struct reg_req req = {.method = "GET",
			      .url = (char *)url,
			      .body_fd = -1,
			      .accept = "application/json",
			      .max_resp = 4u << 20};
	struct reg_resp resp;
	json_object *arr;
	int rc = -1;

	*next = NULL;
	if (reg_request(r, &req, &resp, err) < 0)
		return -1;
	if (resp.status != 200) {
		_cleanup_free_ char *m = reg_status_msg(&resp);
		hk_error_set(err, 0, "tags list: %s", m);
		goto out;
	}
	if (resp.truncated || !resp.body || !(o = json_tokener_parse(resp.body)) ||
	    !json_object_is_type(o, json_type_object)) {
		hk_error_set(err, 0, "tags list: not a JSON object");
		goto out;
	}
	/* "tags": null is what a registry says of a repository without tags */
	if (json_object_object_get_ex(o, "tags", &arr) && arr) {
		if (!json_object_is_type(arr, json_type_array)) {
			hk_error_set(err, 0, "tags list: \"tags\" is not an array");
			goto out;
		}
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			const char *t = json_object_get_string(json_object_array_get_idx(arr, i));
			if (!json_object_is_type(json_object_array_get_idx(arr, i),
						 json_type_string) ||
			    !reg_tag_valid(t)) {
				hk_error_set(err, 0, "tags list: tags[%zu]: invalid tag '%.100s'",
					     i, t ? t : "");
				goto out;
			}
			if (++*n > REGISTRY_MAX_TAGS) {
				hk_error_set(err, 0, "tags list: more than %d tags",
					     REGISTRY_MAX_TAGS);
				goto out;
			}
			strv_push(tags, t);
		}
	}
	if (resp.link) {
		*next = next_page(r, resp.link, err);
		if (!*next && *err)
			goto out;
	}
	rc = 0;
out:
	reg_resp_free(&resp);
	return rc;
}

/* A reference names a repository only: no ":tag" or "@digest" after its
 * last '/' (the first component may be host:port). */
static bool names_repository_only(const char *ref)
{
	const char *last = strrchr(ref, '/');

	last = last ? last + 1 : ref;
	return !strchr(last, ':') && !strchr(last, '@');
}

int registry_list_tags(struct image_store *store, const char *refstr,
		       const struct registry_xfer_opts *o, char ***tags, struct hk_error **err)
{
	_cleanup_strv_ char **out = NULL;
	_cleanup_free_ char *url = NULL;
	struct image_ref ref = {0};
	struct registry *r = NULL;
	size_t n = 0;
	int rc = -1;

	if (!names_repository_only(refstr))
		return hk_error_set(err, 0, "%s: a tag or digest can't be used with --all-tags",
				    refstr);
	if (image_ref_parse(refstr, &ref, err) < 0)
		return -1;
	if (!reg_repo_valid(ref.path)) {
		hk_error_set(err, 0, "invalid repository name '%.100s'", ref.path);
		goto out;
	}
	if (reg_open_for(ref.domain, o, store->root, &r, err) < 0 || reg_base(r, err) < 0)
		goto out;
	url = reg_url(r, "/v2/%s/tags/list", ref.path);
	/* a registry that links a page to itself must not loop us forever */
	for (int page = 0; url; page++) {
		char *next = NULL;
		if (page >= 1000) {
			hk_error_set(err, 0, "tags list: more than 1000 pages");
			goto out;
		}
		if (tags_page(r, url, &out, &n, &next, err) < 0)
			goto out;
		free(url);
		url = next;
	}
	if (!out)
		out = xzalloc(sizeof(char *));
	*tags = steal_ptr(&out);
	rc = 0;
out:
	if (rc < 0)
		hk_error_wrap(err, "list tags of %s", refstr);
	image_ref_free(&ref);
	registry_close(r);
	return rc;
}
