/* hako API service: /images, /networks, /volumes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "events/events.h"
#include "image/image.h"
#include "util/json.h"
#include "util/util.h"

/* The name of an image route: parts[1..n-2] ("images/NAME/json") or
 * parts[1..] (DELETE images/NAME), joined with '/'. */
static char *image_name(struct api_req *r, bool last_is_verb)
{
	size_t end = r->n_parts - (last_is_verb ? 1 : 0);
	char *s = xstrdup("");
	for (size_t i = 1; i < end; i++) {
		char *n = xasprintf("%s%s%s", s, i > 1 ? "/" : "", r->parts[i]);
		free(s);
		s = n;
	}
	return s;
}

/* A child's error line without "hako: " and its newline. */
static const char *child_msg(char *errs)
{
	char *m = errs ? errs : "";
	char *last = m;
	/* the last non-empty line says it */
	for (char *p = strtok(m, "\n"); p; p = strtok(NULL, "\n"))
		last = p;
	if (!strncmp(last, "hako: ", 6))
		last += 6;
	return *last ? last : "failed";
}

static json_object *familiar_list(char **refs)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; refs && refs[i]; i++) {
		_cleanup_free_ char *f = image_ref_familiar(refs[i]);
		json_object_array_add(a, json_object_new_string(f ? f : refs[i]));
	}
	return a;
}

static json_object *config_of(const struct image *img)
{
	json_object *o = img->config_json ? json_tokener_parse(img->config_json) : NULL;
	return o ? o : json_object_new_object();
}

enum MHD_Result api_img_list(struct api_req *r)
{
	_cleanup_image_store_ struct image_store *s = NULL;
	struct image **list = NULL;
	struct hk_error *err = NULL;
	size_t n = 0;
	json_object *out;

	if (image_store_open(r->srv->root, &s, &err) < 0 || image_list(s, &list, &n, &err) < 0) {
		enum MHD_Result ret = api_fail(r, err, 500);
		hk_error_free(&err);
		return ret;
	}
	out = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct image *img = list[i];
		json_object *o = json_object_new_object(), *labels = NULL;
		_cleanup_json_ json_object *cfg = config_of(img);
		json_object *c = NULL;
		json_object_object_get_ex(cfg, "config", &c);
		json_object_object_get_ex(c, "Labels", &labels);
		json_object_object_add(o, "Id", json_object_new_string(img->id));
		json_object_object_add(o, "ParentId", json_object_new_string(""));
		json_object_object_add(o, "RepoTags", familiar_list(img->tags));
		json_object_object_add(o, "RepoDigests", familiar_list(img->digests));
		json_object_object_add(o, "Created", json_object_new_int64(img->created));
		json_object_object_add(o, "Size", json_object_new_int64(img->size));
		json_object_object_add(o, "VirtualSize", json_object_new_int64(img->size));
		json_object_object_add(o, "SharedSize", json_object_new_int64(-1));
		json_object_object_add(o, "Labels",
				       labels && json_object_is_type(labels, json_type_object)
					       ? json_object_get(labels)
					       : json_object_new_object());
		json_object_object_add(o, "Containers", json_object_new_int64(-1));
		json_object_array_add(out, o);
	}
	image_list_free(list, n);
	return api_json(r, MHD_HTTP_OK, out);
}

static enum MHD_Result with_image(struct api_req *r, const char *name, struct image_store **s,
				  struct image **img)
{
	struct hk_error *err = NULL;
	if (image_store_open(r->srv->root, s, &err) < 0) {
		enum MHD_Result ret = api_fail(r, err, 500);
		hk_error_free(&err);
		return ret;
	}
	if (image_lookup(*s, name, img, &err) < 0) {
		hk_error_free(&err);
		return api_error(r, 404, "No such image: %s", name);
	}
	return MHD_YES;
}

enum MHD_Result api_img_inspect(struct api_req *r)
{
	_cleanup_free_ char *name = image_name(r, true);
	_cleanup_image_store_ struct image_store *s = NULL;
	_cleanup_image_ struct image *img = NULL;
	enum MHD_Result ret = with_image(r, name, &s, &img);
	_cleanup_json_ json_object *cfg = NULL;
	json_object *o, *v, *rootfs, *layers;
	_cleanup_free_ char *created = NULL;

	if (!img)
		return ret;
	cfg = config_of(img);
	o = json_object_new_object();
	json_object_object_add(o, "Id", json_object_new_string(img->id));
	json_object_object_add(o, "RepoTags", familiar_list(img->tags));
	json_object_object_add(o, "RepoDigests", familiar_list(img->digests));
	json_object_object_add(o, "Parent", json_object_new_string(""));
	json_object_object_add(o, "Comment", json_object_new_string(""));
	created = engine_format_time(img->created * 1000000000LL);
	json_object_object_add(o, "Created", json_object_new_string(created));
	json_object_object_add(o, "Config",
			       json_object_object_get_ex(cfg, "config", &v)
				       ? json_object_get(v)
				       : json_object_new_object());
	json_object_object_add(o, "Architecture",
			       json_object_object_get_ex(cfg, "architecture", &v)
				       ? json_object_get(v)
				       : json_object_new_string("amd64"));
	json_object_object_add(o, "Os",
			       json_object_object_get_ex(cfg, "os", &v)
				       ? json_object_get(v)
				       : json_object_new_string("linux"));
	json_object_object_add(o, "Author",
			       json_object_object_get_ex(cfg, "author", &v)
				       ? json_object_get(v)
				       : json_object_new_string(""));
	json_object_object_add(o, "Size", json_object_new_int64(img->size));
	json_object_object_add(o, "VirtualSize", json_object_new_int64(img->size));
	rootfs = json_object_new_object();
	layers = json_object_new_array();
	for (size_t i = 0; i < img->n_layers; i++)
		json_object_array_add(layers, json_object_new_string(img->layers[i].diff_id));
	json_object_object_add(rootfs, "Type", json_object_new_string("layers"));
	json_object_object_add(rootfs, "Layers", layers);
	json_object_object_add(o, "RootFS", rootfs);
	{
		json_object *gd = json_object_new_object();
		json_object_object_add(gd, "Name", json_object_new_string("overlay2"));
		json_object_object_add(gd, "Data", NULL);
		json_object_object_add(o, "GraphDriver", gd);
	}
	json_object_object_add(o, "Metadata", json_object_new_object());
	return api_json(r, MHD_HTTP_OK, o);
}

enum MHD_Result api_img_history(struct api_req *r)
{
	_cleanup_free_ char *name = image_name(r, true);
	_cleanup_image_store_ struct image_store *s = NULL;
	_cleanup_image_ struct image *img = NULL;
	enum MHD_Result ret = with_image(r, name, &s, &img);
	_cleanup_json_ json_object *cfg = NULL;
	json_object *hist = NULL, *out;
	size_t layer = img ? img->n_layers : 0;

	if (!img)
		return ret;
	cfg = config_of(img);
	out = json_object_new_array();
	json_object_object_get_ex(cfg, "history", &hist);
	/* newest first, as dockerd; the image id on the top entry */
	for (size_t k = hist ? json_object_array_length(hist) : 0; k > 0; k--) {
		json_object *h = json_object_array_get_idx(hist, k - 1), *v, *o;
		bool empty = json_object_object_get_ex(h, "empty_layer", &v) &&
			     json_object_get_boolean(v);
		const char *when = json_object_object_get_ex(h, "created", &v)
					   ? json_object_get_string(v)
					   : NULL;
		o = json_object_new_object();
		json_object_object_add(o, "Id",
				       json_object_new_string(k == json_object_array_length(hist)
								      ? img->id
								      : "<missing>"));
		int64_t t = 0;
		if (when && events_parse_time(when, 0, &t) < 0)
			t = 0;
		json_object_object_add(o, "Created", json_object_new_int64(t / 1000000000LL));
		json_object_object_add(
			o, "CreatedBy",
			json_object_new_string(json_object_object_get_ex(h, "created_by", &v)
						       ? json_object_get_string(v)
						       : ""));
		json_object_object_add(o, "Tags",
				       k == json_object_array_length(hist)
					       ? familiar_list(img->tags)
					       : json_object_new_array());
		int64_t size = 0;
		if (!empty && layer > 0)
			size = img->layers[--layer].size;
		json_object_object_add(o, "Size", json_object_new_int64(size));
		json_object_object_add(
			o, "Comment",
			json_object_new_string(json_object_object_get_ex(h, "comment", &v)
						       ? json_object_get_string(v)
						       : ""));
		json_object_array_add(out, o);
	}
	return api_json(r, MHD_HTTP_OK, out);
}

enum MHD_Result api_img_tag(struct api_req *r)
{
	_cleanup_free_ char *name = image_name(r, true);
	_cleanup_free_ char *target = NULL, *errs = NULL;
	const char *repo = api_query(r, "repo"), *tag = api_query(r, "tag");
	char *args[4];

	if (!repo || !*repo)
		return api_error(r, 400, "repository name is required");
	target = tag && *tag ? xasprintf("%s:%s", repo, tag) : xstrdup(repo);
	args[0] = "tag", args[1] = name, args[2] = target, args[3] = NULL;
	if (api_run(r->srv, args, NULL, &errs) != 0) {
		const char *m = child_msg(errs);
		return api_error(r, api_status_of(m, 500) == 404 ? 404 : api_status_of(m, 400),
				 "%s", m);
	}
	return api_empty(r, MHD_HTTP_CREATED);
}

enum MHD_Result api_img_remove(struct api_req *r)
{
	_cleanup_free_ char *name = image_name(r, false);
	_cleanup_free_ char *out = NULL, *errs = NULL;
	char *args[4];
	size_t n = 0;
	json_object *list;

	args[n++] = "rmi";
	if (api_query_bool(r, "force", false))
		args[n++] = "-f";
	args[n++] = name;
	args[n] = NULL;
	if (api_run(r->srv, args, &out, &errs) != 0) {
		const char *m = child_msg(errs);
		if (api_status_of(m, 500) == 404)
			return api_error(r, 404, "No such image: %s", name);
		return api_error(r, api_status_of(m, 500), "%s", m);
	}
	/* "Untagged: x" / "Deleted: sha256:..." lines -> dockerd's list */
	list = json_object_new_array();
	for (char *save = NULL, *l = strtok_r(out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		const char *colon = strstr(l, ": ");
		if (!colon)
			continue;
		_cleanup_free_ char *k = strndup(l, (size_t)(colon - l));
		json_object *o = json_object_new_object();
		json_object_object_add(o, k, json_object_new_string(colon + 2));
		json_object_array_add(list, o);
	}
	return api_json(r, MHD_HTTP_OK, list);
}

/* POST /images/create?fromImage=NAME&tag=TAG: a pull, reported as dockerd's
 * JSON progress messages (the status lines, or an error message). */
enum MHD_Result api_img_create(struct api_req *r)
{
	const char *from = api_query(r, "fromImage"), *tag = api_query(r, "tag");
	const char *src = api_query(r, "fromSrc");
	_cleanup_free_ char *ref = NULL, *out = NULL, *errs = NULL, *body = NULL;
	_cleanup_json_ json_object *st1 = json_object_new_object();
	_cleanup_json_ json_object *st2 = json_object_new_object();
	_cleanup_free_ char *l1 = NULL, *l2 = NULL;
	char *args[3];

	if (src && *src)
		return api_error(r, 501, "import (fromSrc) is not supported by hako's API yet");
	if (!from || !*from)
		return api_error(r, 400, "fromImage is required");
	/* tag may be a digest (sha256:...) */
	ref = tag && *tag ? xasprintf("%s%s%s", from, !strncmp(tag, "sha256:", 7) ? "@" : ":", tag)
			  : xstrdup(from);
	args[0] = "pull", args[1] = ref, args[2] = NULL;
	{
		_cleanup_free_ char *s = xasprintf("Pulling from %s", from);
		json_object_object_add(st1, "status", json_object_new_string(s));
		json_object_object_add(st1, "id",
				       json_object_new_string(tag && *tag ? tag : "latest"));
	}
	l1 = json_to_string(st1, false);
	if (api_run(r->srv, args, &out, &errs) != 0) {
		const char *m = child_msg(errs);
		/* dockerd answers 404 before the stream when the image is unknown */
		if (api_status_of(m, 500) == 404 && !strstr(m, "connect"))
			return api_error(r, 404,
					 "pull access denied for %s, repository does not "
					 "exist or may require 'docker login': %s",
					 from, m);
		json_object *d = json_object_new_object();
		json_object_object_add(d, "message", json_object_new_string(m));
		json_object_object_add(st2, "errorDetail", d);
		json_object_object_add(st2, "error", json_object_new_string(m));
	} else {
		_cleanup_free_ char *s = xasprintf("Status: Image is up to date for %s", ref);
		char *nl = strchr(out, '\n');
		if (nl)
			*nl = 0;
		json_object_object_add(st2, "status", json_object_new_string(s));
		l2 = json_to_string(st2, false);
		/* hako pull prints the image id */
		body = xasprintf("%s\n{\"status\":\"Image id: sha256:%s\"}\n%s\n", l1, out, l2);
		return api_text(r, MHD_HTTP_OK, "application/json", body, strlen(body));
	}
	l2 = json_to_string(st2, false);
	body = xasprintf("%s\n%s\n", l1, l2);
	return api_text(r, MHD_HTTP_OK, "application/json", body, strlen(body));
}

/* ------------------------------------------------------------------ networks */

/* hako's network inspect object with dockerd's field types. */
static json_object *docker_network(json_object *n)
{
	json_object *v;
	json_object *o = json_object_get(n);
	if (json_object_object_get_ex(o, "Created", &v) && json_object_is_type(v, json_type_int)) {
		_cleanup_free_ char *t =
			engine_format_time(json_object_get_int64(v) * 1000000000LL);
		json_object_object_add(o, "Created", json_object_new_string(t));
	}
	json_object_object_add(o, "Scope", json_object_new_string("local"));
	if (!json_object_object_get_ex(o, "Attachable", NULL))
		json_object_object_add(o, "Attachable", json_object_new_boolean(false));
	json_object_object_add(o, "Ingress", json_object_new_boolean(false));
	return o;
}

static enum MHD_Result net_inspect(struct api_req *r, char **names, bool one)
{
	_cleanup_strv_ char **args = NULL;
	_cleanup_free_ char *out = NULL, *errs = NULL;
	_cleanup_json_ json_object *arr = NULL;
	json_object *res;

	strv_push(&args, "network");
	strv_push(&args, "inspect");
	for (size_t i = 0; names && names[i]; i++)
		strv_push(&args, names[i]);
	if (!names || !names[0])
		return api_json(r, MHD_HTTP_OK, json_object_new_array());
	if (api_run(r->srv, args, &out, &errs) != 0) {
		const char *m = child_msg(errs);
		if (api_status_of(m, 500) == 404)
			return api_error(r, 404, "network %s not found", names[0]);
		return api_error(r, api_status_of(m, 500), "%s", m);
	}
	arr = json_tokener_parse(out);
	if (!arr || !json_object_is_type(arr, json_type_array))
		return api_error(r, 500, "network inspect: unexpected output");
	if (one) {
		if (!json_object_array_length(arr))
			return api_error(r, 404, "network %s not found", names[0]);
		return api_json(r, MHD_HTTP_OK, docker_network(json_object_array_get_idx(arr, 0)));
	}
	res = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		json_object_array_add(res, docker_network(json_object_array_get_idx(arr, i)));
	return api_json(r, MHD_HTTP_OK, res);
}

enum MHD_Result api_net_list(struct api_req *r)
{
	static char *const args[] = {"network", "ls", "-q", "--no-trunc", NULL};
	_cleanup_free_ char *out = NULL, *errs = NULL;
	_cleanup_strv_ char **names = NULL;

	if (api_run(r->srv, args, &out, &errs) != 0)
		return api_error(r, 500, "%s", child_msg(errs));
	for (char *save = NULL, *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		strv_push(&names, l);
	return net_inspect(r, names, false);
}

enum MHD_Result api_net_inspect(struct api_req *r)
{
	char *names[] = {r->parts[1], NULL};
	return net_inspect(r, names, true);
}

enum MHD_Result api_net_create(struct api_req *r)
{
	enum MHD_Result sent = MHD_NO;
	_cleanup_json_ json_object *body = api_body_json(r, &sent);
	_cleanup_strv_ char **args = NULL;
	_cleanup_free_ char *out = NULL, *errs = NULL;
	json_object *v, *o;

	if (!body)
		return sent;
	if (!json_object_object_get_ex(body, "Name", &v) || !json_object_get_string_len(v))
		return api_error(r, 400, "network name is required");
	strv_push(&args, "network");
	strv_push(&args, "create");
	if (json_object_object_get_ex(body, "Driver", &v) && json_object_get_string_len(v))
		strv_push(&args, "--driver"), strv_push(&args, json_object_get_string(v));
	if (json_object_object_get_ex(body, "Internal", &v) && json_object_get_boolean(v))
		strv_push(&args, "--internal");
	if (json_object_object_get_ex(body, "EnableIPv6", &v) && json_object_get_boolean(v))
		strv_push(&args, "--ipv6");
	if (json_object_object_get_ex(body, "Labels", &v) &&
	    json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, lv)
		{
			_cleanup_free_ char *kv = xasprintf("%s=%s", k, json_object_get_string(lv));
			strv_push(&args, "--label"), strv_push(&args, kv);
		}
	}
	{
		json_object *ipam, *cfg;
		if (json_object_object_get_ex(body, "IPAM", &ipam) &&
		    json_object_object_get_ex(ipam, "Config", &cfg) &&
		    json_object_is_type(cfg, json_type_array))
			for (size_t i = 0; i < json_object_array_length(cfg); i++) {
				json_object *c = json_object_array_get_idx(cfg, i), *x;
				if (json_object_object_get_ex(c, "Subnet", &x) &&
				    json_object_get_string_len(x))
					strv_push(&args, "--subnet"),
						strv_push(&args, json_object_get_string(x));
				if (json_object_object_get_ex(c, "Gateway", &x) &&
				    json_object_get_string_len(x))
					strv_push(&args, "--gateway"),
						strv_push(&args, json_object_get_string(x));
			}
	}
	json_object_object_get_ex(body, "Name", &v);
	strv_push(&args, json_object_get_string(v));
	if (api_run(r->srv, args, &out, &errs) != 0) {
		const char *m = child_msg(errs);
		return api_error(r, api_status_of(m, 500) == 500 ? 400 : api_status_of(m, 500),
				 "%s", m);
	}
	out[strcspn(out, "\n")] = 0;
	o = json_object_new_object();
	json_object_object_add(o, "Id", json_object_new_string(out));
	json_object_object_add(o, "Warning", json_object_new_string(""));
	return api_json(r, MHD_HTTP_CREATED, o);
}

static enum MHD_Result net_child(struct api_req *r, char **args, unsigned ok)
{
	_cleanup_free_ char *errs = NULL;
	if (api_run(r->srv, args, NULL, &errs) != 0) {
		const char *m = child_msg(errs);
		return api_error(r, api_status_of(m, 500), "%s", m);
	}
	return api_empty(r, ok);
}

enum MHD_Result api_net_remove(struct api_req *r)
{
	char *args[] = {"network", "rm", r->parts[1], NULL};
	return net_child(r, args, MHD_HTTP_NO_CONTENT);
}

static enum MHD_Result connect_common(struct api_req *r, bool connect)
{
	enum MHD_Result sent = MHD_NO;
	_cleanup_json_ json_object *body = api_body_json(r, &sent);
	_cleanup_strv_ char **args = NULL;
	json_object *v, *ec, *ipam;

	if (!body)
		return sent;
	if (!json_object_object_get_ex(body, "Container", &v) || !json_object_get_string_len(v))
		return api_error(r, 400, "Container is required");
	strv_push(&args, "network");
	strv_push(&args, connect ? "connect" : "disconnect");
	/* EndpointConfig: the aliases and fixed addresses (compose names each
	 * service this way) */
	if (connect && json_object_object_get_ex(body, "EndpointConfig", &ec)) {
		json_object *al;
		if (json_object_object_get_ex(ec, "Aliases", &al) &&
		    json_object_is_type(al, json_type_array))
			for (size_t i = 0; i < json_object_array_length(al); i++)
				strv_push(&args, "--alias"),
					strv_push(&args, json_object_get_string(
								 json_object_array_get_idx(al, i)));
		if (json_object_object_get_ex(ec, "IPAMConfig", &ipam)) {
			json_object *ip;
			if (json_object_object_get_ex(ipam, "IPv4Address", &ip) &&
			    json_object_get_string_len(ip))
				strv_push(&args, "--ip"),
					strv_push(&args, json_object_get_string(ip));
			if (json_object_object_get_ex(ipam, "IPv6Address", &ip) &&
			    json_object_get_string_len(ip))
				strv_push(&args, "--ip6"),
					strv_push(&args, json_object_get_string(ip));
		}
	}
	strv_push(&args, r->parts[1]);
	strv_push(&args, json_object_get_string(v));
	return net_child(r, args, MHD_HTTP_OK);
}

enum MHD_Result api_net_connect(struct api_req *r)
{
	return connect_common(r, true);
}

enum MHD_Result api_net_disconnect(struct api_req *r)
{
	return connect_common(r, false);
}

/* ------------------------------------------------------------------ volumes */

static json_object *volume_json(const struct engine_volume *v)
{
	json_object *o = json_object_new_object(), *labels = NULL;
	_cleanup_free_ char *t = engine_format_time(v->created);

	if (v->labels)
		labels = json_tokener_parse(v->labels);
	json_object_object_add(o, "Name", json_object_new_string(v->name));
	json_object_object_add(o, "Driver",
			       json_object_new_string(v->driver ? v->driver : "local"));
	json_object_object_add(o, "Mountpoint",
			       json_object_new_string(v->mountpoint ? v->mountpoint : ""));
	json_object_object_add(o, "CreatedAt", json_object_new_string(t));
	json_object_object_add(o, "Labels", labels ? labels : json_object_new_object());
	json_object_object_add(o, "Scope", json_object_new_string("local"));
	json_object_object_add(o, "Options", json_object_new_object());
	return o;
}

enum MHD_Result api_vol_list(struct api_req *r)
{
	struct engine *e = api_engine(r);
	struct engine_volume **list = NULL;
	struct hk_error *err = NULL;
	size_t n = 0;
	json_object *o, *arr;

	if (!e)
		return api_error(r, 500, "cannot open the engine");
	if (engine_volume_list(e, NULL, &list, &n, &err) < 0) {
		enum MHD_Result ret = api_fail(r, err, 500);
		hk_error_free(&err);
		return ret;
	}
	arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, volume_json(list[i]));
	engine_volume_list_free(list, n);
	o = json_object_new_object();
	json_object_object_add(o, "Volumes", arr);
	json_object_object_add(o, "Warnings", json_object_new_array());
	return api_json(r, MHD_HTTP_OK, o);
}

static enum MHD_Result vol_one(struct api_req *r, const char *name, unsigned status)
{
	struct engine *e = api_engine(r);
	struct engine_volume **list = NULL;
	struct hk_error *err = NULL;
	size_t n = 0;
	json_object *o;

	if (!e)
		return api_error(r, 500, "cannot open the engine");
	if (engine_volume_list(e, name, &list, &n, &err) < 0 || n == 0) {
		hk_error_free(&err);
		engine_volume_list_free(list, n);
		return api_error(r, 404, "get %s: no such volume", name);
	}
	o = volume_json(list[0]);
	engine_volume_list_free(list, n);
	return api_json(r, status, o);
}

enum MHD_Result api_vol_inspect(struct api_req *r)
{
	return vol_one(r, r->parts[1], MHD_HTTP_OK);
}

enum MHD_Result api_vol_create(struct api_req *r)
{
	struct engine *e = api_engine(r);
	enum MHD_Result sent = MHD_NO;
	_cleanup_json_ json_object *body = api_body_json(r, &sent);
	_cleanup_strv_ char **labels = NULL;
	_cleanup_free_ char *name = NULL;
	struct hk_error *err = NULL;
	const char *want = NULL;
	json_object *v;

	if (!e)
		return api_error(r, 500, "cannot open the engine");
	if (!body)
		return sent;
	if (json_object_object_get_ex(body, "Driver", &v) && json_object_get_string_len(v) &&
	    strcmp(json_object_get_string(v), "local"))
		return api_error(r, 400, "volume driver %s is not supported by hako (only local)",
				 json_object_get_string(v));
	if (json_object_object_get_ex(body, "DriverOpts", &v) &&
	    json_object_is_type(v, json_type_object) && json_object_object_length(v))
		return api_error(r, 400, "DriverOpts are not supported by hako");
	if (json_object_object_get_ex(body, "Name", &v) && json_object_get_string_len(v))
		want = json_object_get_string(v);
	if (json_object_object_get_ex(body, "Labels", &v) &&
	    json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, lv)
		{
			_cleanup_free_ char *kv = xasprintf("%s=%s", k, json_object_get_string(lv));
			strv_push(&labels, kv);
		}
	}
	/* dockerd: creating a volume that exists returns it */
	if (want) {
		struct engine_volume **list = NULL;
		size_t n = 0;
		if (engine_volume_list(e, want, &list, &n, NULL) == 0 && n) {
			engine_volume_list_free(list, n);
			return vol_one(r, want, MHD_HTTP_CREATED);
		}
	}
	if (engine_volume_create(e, want, labels, &name, &err) < 0) {
		enum MHD_Result ret = api_error(r,
						api_status_of(hk_error_msg(err), 500) == 500
							? 400
							: api_status_of(hk_error_msg(err), 500),
						"%s", hk_error_msg(err));
		hk_error_free(&err);
		return ret;
	}
	return vol_one(r, name, MHD_HTTP_CREATED);
}

enum MHD_Result api_vol_remove(struct api_req *r)
{
	struct engine *e = api_engine(r);
	struct hk_error *err = NULL;

	if (!e)
		return api_error(r, 500, "cannot open the engine");
	if (engine_volume_remove(e, r->parts[1], api_query_bool(r, "force", false), &err) < 0) {
		const char *m = hk_error_msg(err);
		enum MHD_Result ret =
			strstr(m, "no such")
				? api_error(r, 404, "get %s: no such volume", r->parts[1])
				: api_error(r, api_status_of(m, 500), "%s", m);
		hk_error_free(&err);
		return ret;
	}
	return api_empty(r, MHD_HTTP_NO_CONTENT);
}
