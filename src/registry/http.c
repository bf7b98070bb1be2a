/* hako registry: one HTTP exchange over libcurl, the choice of https or http,
 * and the retry after an authentication challenge. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "registry/registry_int.h"
#include "util/json.h"
#include "util/util.h"

#define ERR_BODY_MAX (64u << 10)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	/* curl_global_init() is not thread-safe; the first registry_open()
	 * runs it before any download thread exists. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void reg_resp_free(struct reg_resp *r)
{
	free(r->body);
	free(r->content_type);
	free(r->docker_digest);
	free(r->location);
	free(r->www_auth);
	free(r->range);
	free(r->link);
	memset(r, 0, sizeof(*r));
}

struct xfer {
	struct reg_req *req;
	struct reg_resp *resp;
	CURL *curl;
	int64_t sent;
	bool sink_failed;
	size_t max;
};

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n, klen;
	const char *colon;
	char **slot = NULL;
	const char *v;
	size_t vlen;

	if (len >= 5 && !strncmp(buf, "HTTP/", 5)) {
		/* A new response (after a redirect or a 100 Continue): forget the
		 * headers of the one before. */
		free(x->resp->content_type);
		free(x->resp->docker_digest);
		free(x->resp->location);
		free(x->resp->www_auth);
		free(x->resp->range);
		free(x->resp->link);
		x->resp->content_type = x->resp->docker_digest = x->resp->location = NULL;
		x->resp->www_auth = x->resp->range = x->resp->link = NULL;
		return len;
	}
	colon = memchr(buf, ':', len);
	if (!colon)
		return len;
	klen = (size_t)(colon - buf);
#define IS(name) (klen == strlen(name) && !strncasecmp(buf, name, klen))
	if (IS("content-type"))
		slot = &x->resp->content_type;
	else if (IS("docker-content-digest"))
		slot = &x->resp->docker_digest;
	else if (IS("location"))
		slot = &x->resp->location;
	else if (IS("www-authenticate"))
		slot = &x->resp->www_auth;
	else if (IS("range"))
		slot = &x->resp->range;
	else if (IS("link"))
		slot = &x->resp->link;
#undef IS
	if (!slot || *slot)
		return len; /* first WWW-Authenticate wins */
	v = colon + 1;
	vlen = len - klen - 1;
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen && isspace((unsigned char)v[vlen - 1]))
		vlen--;
	if (vlen > 8192)
		return 0; /* a header that long is an attack, not a registry */
	*slot = xstrndup(v, vlen);
	return len;
}

static size_t on_write(char *buf, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;
	long code = 0;

	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
	if (x->req->sink && code >= 200 && code < 300) {
		if (x->req->sink(x->req->sink_ud, buf, len) < 0) {
			x->sink_failed = true;
			return 0;
		}
		return len;
	}
	if (x->resp->len + len > x->max) {
		x->resp->truncated = true;
		return 0;
	}
	x->resp->body = xrealloc(x->resp->body, x->resp->len + len + 1);
	memcpy(x->resp->body + x->resp->len, buf, len);
	x->resp->len += len;
	x->resp->body[x->resp->len] = '\0';
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t want = size * n;
	int64_t left = (int64_t)x->req->body_len - x->sent;

	if (left <= 0)
		return 0;
	if ((int64_t)want > left)
		want = (size_t)left;
	if (x->req->body_fd >= 0) {
		ssize_t got = pread(x->req->body_fd, buf, want, x->req->body_off + x->sent);
		if (got <= 0)
			return CURL_READFUNC_ABORT;
		want = (size_t)got;
	} else {
		memcpy(buf, x->req->body + x->sent, want);
	}
	x->sent += (int64_t)want;
	if (x->req->upload_progress)
		x->req->upload_progress(x->req->upload_ud, x->req->body_off + x->sent);
	return want;
}

static int on_seek(void *ud, curl_off_t off, int origin)
{
	struct xfer *x = ud;

	/* curl rewinds the body to resend it after a redirect or an auth retry */
	if (origin != SEEK_SET || off < 0 || off > (curl_off_t)x->req->body_len)
		return CURL_SEEKFUNC_CANTSEEK;
	x->sent = off;
	return CURL_SEEKFUNC_OK;
}

/* libcurl (7.88 of Debian 12) makes its sockets without SOCK_CLOEXEC: a process we
 * fork meanwhile (a hook, a container's init) would inherit them. */
static curl_socket_t open_socket(void *data, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)data;
	(void)purpose;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

int reg_perform(struct registry *r, struct reg_req *req, const char *authz, struct reg_resp *resp,
		struct hk_error **err)
{
	struct xfer x = {.req = req, .resp = resp};
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	_cleanup_free_ char *h_accept = NULL, *h_ct = NULL, *h_cr = NULL, *h_auth = NULL;
	bool has_body = req->body || req->body_fd >= 0;
	CURLcode cc;
	int rc = 0;

	memset(resp, 0, sizeof(*resp));
	x.max = req->max_resp ? req->max_resp : ERR_BODY_MAX;
	x.curl = curl_easy_init();
	if (!x.curl)
		return hk_error_set(err, ENOMEM, "curl_easy_init");

	curl_easy_setopt(x.curl, CURLOPT_URL, req->url);
	curl_easy_setopt(x.curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x.curl, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(x.curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(x.curl, CURLOPT_USERAGENT, "hako/" HAKO_VERSION);
	curl_easy_setopt(x.curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x.curl, CURLOPT_REDIR_PROTOCOLS_STR,
			 r->http_allowed ? "http,https" : "https");
	curl_easy_setopt(x.curl, CURLOPT_CONNECTTIMEOUT, 30L);
	/* a stalled server: less than 1 byte/s for 60 s ends the transfer */
	curl_easy_setopt(x.curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(x.curl, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(x.curl, CURLOPT_SSL_VERIFYPEER, r->tls_verify ? 1L : 0L);
	curl_easy_setopt(x.curl, CURLOPT_SSL_VERIFYHOST, r->tls_verify ? 2L : 0L);
	if (req->sink && getenv("HAKO_TEST_RATE_LIMIT")) {
		/* tests slow downloads down to kill a pull in the middle */
		long long bps;
		if (parse_ll(getenv("HAKO_TEST_RATE_LIMIT"), 1024, 1ll << 40, &bps) == 0)
			curl_easy_setopt(x.curl, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)bps);
	}
	curl_easy_setopt(x.curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x.curl, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(x.curl, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(x.curl, CURLOPT_WRITEDATA, &x);

	if (!strcmp(req->method, "HEAD")) {
		curl_easy_setopt(x.curl, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(req->method, "GET")) {
		/* blobs are often redirected to a storage host; libcurl drops
		 * our Authorization header when the host changes */
		curl_easy_setopt(x.curl, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(x.curl, CURLOPT_MAXREDIRS, 5L);
	} else {
		curl_easy_setopt(x.curl, CURLOPT_CUSTOMREQUEST, req->method);
		curl_easy_setopt(x.curl, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(x.curl, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(x.curl, CURLOPT_READDATA, &x);
		curl_easy_setopt(x.curl, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(x.curl, CURLOPT_SEEKDATA, &x);
		curl_easy_setopt(x.curl, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)(has_body ? req->body_len : 0));
		hdrs = curl_slist_append(hdrs, "Expect:");
	}
	if (req->accept)
		hdrs = curl_slist_append(hdrs, h_accept = xasprintf("Accept: %s", req->accept));
	if (req->content_type)
		hdrs = curl_slist_append(hdrs,
					 h_ct = xasprintf("Content-Type: %s", req->content_type));
	if (req->content_range)
		hdrs = curl_slist_append(hdrs,
					 h_cr = xasprintf("Content-Range: %s", req->content_range));
	if (authz)
		hdrs = curl_slist_append(hdrs, h_auth = xasprintf("Authorization: %s", authz));
	if (req->basic_user) {
		curl_easy_setopt(x.curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(x.curl, CURLOPT_USERNAME, req->basic_user);
		curl_easy_setopt(x.curl, CURLOPT_PASSWORD, req->basic_pass ? req->basic_pass : "");
	}
	curl_easy_setopt(x.curl, CURLOPT_HTTPHEADER, hdrs);

	cc = curl_easy_perform(x.curl);
	curl_easy_getinfo(x.curl, CURLINFO_RESPONSE_CODE, &resp->status);
	if (cc != CURLE_OK) {
		if (x.sink_failed)
			rc = hk_error_set(err, EIO, "download aborted");
		else if (resp->truncated)
			rc = hk_error_set(err, EMSGSIZE, "%s %s: response larger than %zu bytes",
					  req->method, req->url, x.max);
		else
			rc = hk_error_set(err, 0, "%s %s: %s", req->method, req->url,
					  errbuf[0] ? errbuf : curl_easy_strerror(cc));
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(x.curl);
	if (rc < 0)
		reg_resp_free(resp);
	return rc;
}

static bool host_is_loopback(const char *host)
{
	static const char *const loop[] = {"localhost", "127.", "[::1]"};

	for (size_t i = 0; i < ARRAY_SIZE(loop); i++)
		if (str_has_prefix(host, loop[i]))
			return true;
	return false;
}

static bool host_listed_insecure(const char *host)
{
	const char *env = getenv("HAKO_INSECURE_REGISTRIES");
	_cleanup_free_ char *copy = NULL;
	char *save = NULL;

	if (!env)
		return false;
	copy = xstrdup(env);
	for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
		if (!strcmp(t, host))
			return true;
	return false;
}

int registry_open(const char *host, const struct registry_opts *opts, struct registry **out,
		  struct hk_error **err)
{
	struct registry *r;

	if (!host || !*host || strpbrk(host, "/ \t\r\n?#@"))
		return hk_error_set(err, 0, "invalid registry host '%s'", host ? host : "");
	pthread_once(&curl_once, curl_init_once);
	r = xzalloc(sizeof(*r));
	r->host = xstrdup(host);
	r->tls_verify = opts->tls_verify != 0;
	/* podman's rule: loopback registries may speak plain http; others only
	 * when TLS verification is off or they are listed as insecure */
	r->http_allowed =
		host_is_loopback(host) || opts->tls_verify == 0 || host_listed_insecure(host);
	if (host_listed_insecure(host))
		r->tls_verify = false;
	pthread_mutex_init(&r->lock, NULL);
	if (opts->user) {
		r->user = xstrdup(opts->user);
		r->pass = xstrdup(opts->pass ? opts->pass : "");
	} else if (opts->auth_file) {
		if (registry_auth_get(opts->auth_file, host, &r->user, &r->pass, err) < 0) {
			registry_close(r);
			return -1;
		}
	}
	*out = r;
	return 0;
}

void registry_close(struct registry *r)
{
	if (!r)
		return;
	free(r->host);
	free(r->base);
	free(r->user);
	if (r->pass) {
		explicit_bzero(r->pass, strlen(r->pass));
		free(r->pass);
	}
	free(r->token);
	free(r->scheme);
	strv_free(r->scopes);
	registry_challenge_free(&r->chal);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

const char *registry_host(const struct registry *r)
{
	return r->host;
}

int reg_base(struct registry *r, struct hk_error **err)
{
	_cleanup_error_ struct hk_error *https_err = NULL;
	struct reg_resp resp;
	struct reg_req req = {.method = "GET", .body_fd = -1};
	char *url;
	int rc;

	pthread_mutex_lock(&r->lock);
	rc = r->base != NULL;
	pthread_mutex_unlock(&r->lock);
	if (rc)
		return 0;

	req.url = url = xasprintf("https://%s/v2/", r->host);
	rc = reg_perform(r, &req, NULL, &resp, &https_err);
	free(url);
	if (rc == 0) {
		reg_resp_free(&resp);
		pthread_mutex_lock(&r->lock);
		if (!r->base)
			r->base = xasprintf("https://%s", r->host);
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	if (!r->http_allowed) {
		const char *m = hk_error_msg(https_err);
		if (strstr(m, "SSL") || strstr(m, "TLS") || strstr(m, "wrong version"))
			return hk_error_set(err, 0,
					    "%s (plain http is used only for loopback "
					    "registries or with --tls-verify=false)",
					    m);
		return hk_error_set(err, 0, "%s", m);
	}
	req.url = url = xasprintf("http://%s/v2/", r->host);
	rc = reg_perform(r, &req, NULL, &resp, err);
	free(url);
	if (rc < 0)
		return -1;
	reg_resp_free(&resp);
	pthread_mutex_lock(&r->lock);
	if (!r->base)
		r->base = xasprintf("http://%s", r->host);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

char *reg_authz(struct registry *r)
{
	char *v = NULL;

	pthread_mutex_lock(&r->lock);
	if (r->scheme && !strcmp(r->scheme, "bearer") && r->token) {
		v = xasprintf("Bearer %s", r->token);
	} else if (r->scheme && !strcmp(r->scheme, "basic") && r->user) {
		_cleanup_free_ char *up = xasprintf("%s:%s", r->user, r->pass ? r->pass : "");
		_cleanup_free_ char *b = reg_base64(up, strlen(up));
		v = xasprintf("Basic %s", b);
		explicit_bzero(up, strlen(up));
	}
	pthread_mutex_unlock(&r->lock);
	return v;
}

int reg_request(struct registry *r, struct reg_req *req, struct reg_resp *resp,
		struct hk_error **err)
{
	_cleanup_free_ char *authz = NULL;
	_cleanup_free_ char *chal = NULL;

	if (reg_base(r, err) < 0)
		return -1;
	authz = reg_authz(r);
	if (reg_perform(r, req, authz, resp, err) < 0)
		return -1;
	if (resp->status != 401 || req->no_auth || !resp->www_auth)
		return 0;
	chal = steal_ptr(&resp->www_auth);
	reg_resp_free(resp);
	if (reg_authenticate(r, chal, err) < 0)
		return -1;
	free(authz);
	authz = reg_authz(r);
	return reg_perform(r, req, authz, resp, err);
}

char *reg_status_msg(const struct reg_resp *resp)
{
	_cleanup_json_ json_object *doc = NULL;
	_cleanup_error_ struct hk_error *e = NULL;
	json_object *errs, *first, *m;
	const char *msg = NULL;

	if (resp->body && resp->len &&
	    json_parse("response", resp->body, resp->len, &doc, &e) == 0 &&
	    json_object_object_get_ex(doc, "errors", &errs) &&
	    json_object_is_type(errs, json_type_array) && json_object_array_length(errs) > 0) {
		first = json_object_array_get_idx(errs, 0);
		if (json_object_object_get_ex(first, "message", &m) &&
		    json_object_is_type(m, json_type_string))
			msg = json_object_get_string(m);
	}
	if (resp->status == 401)
		return xstrdup("HTTP 401 unauthorized");
	if (resp->status == 403)
		return xstrdup("HTTP 403 forbidden");
	if (msg && resp->status == 404)
		return xstrndup(msg, 200);
	if (msg)
		return xasprintf("HTTP %ld %.200s", resp->status, msg);
	return xasprintf("HTTP %ld", resp->status);
}

char *reg_resolve(struct registry *r, const char *location)
{
	char *v;

	if (str_has_prefix(location, "http://") || str_has_prefix(location, "https://"))
		return xstrdup(location);
	pthread_mutex_lock(&r->lock);
	if (location[0] == '/')
		v = xasprintf("%s%s", r->base, location);
	else
		v = xasprintf("%s/%s", r->base, location);
	pthread_mutex_unlock(&r->lock);
	return v;
}

void reg_hash_init(struct reg_hash *h)
{
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		abort();
}

void reg_hash_update(struct reg_hash *h, const void *buf, size_t len)
{
	EVP_DigestUpdate(h->ctx, buf, len);
}

void reg_hash_final(struct reg_hash *h, char out[72])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_DigestFinal_ex(h->ctx, md, &n);
	strcpy(out, "sha256:");
	for (unsigned i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
	reg_hash_free(h);
}

void reg_hash_free(struct reg_hash *h)
{
	if (h->ctx)
		EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

char *registry_digest_of(const void *buf, size_t len)
{
	struct reg_hash h;
	char out[72];

	reg_hash_init(&h);
	reg_hash_update(&h, buf, len);
	reg_hash_final(&h, out);
	return xstrdup(out);
}

bool registry_digest_valid(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) || strlen(d) != 71)
		return false;
	for (int i = 7; i < 71; i++)
		if (!isdigit((unsigned char)d[i]) && !(d[i] >= 'a' && d[i] <= 'f'))
			return false;
	return true;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *reg_base64(const char *in, size_t len)
{
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;
	const unsigned char *p = (const unsigned char *)in;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		*o++ = b64[p[i] >> 2];
		*o++ = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		*o++ = b64[p[i + 2] & 63];
	}
	if (i < len) {
		*o++ = b64[p[i] >> 2];
		if (i + 1 < len) {
			*o++ = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			*o++ = b64[(p[i + 1] & 15) << 2];
		} else {
			*o++ = b64[(p[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

char *reg_unbase64(const char *in, size_t *outlen)
{
	size_t len = strlen(in), n = 0;
	char *out = xmalloc(len / 4 * 3 + 4);
	unsigned acc = 0;
	int bits = 0;

	for (size_t i = 0; i < len; i++) {
		const char *pos;
		if (in[i] == '=')
			break;
		pos = strchr(b64, in[i]);
		if (!pos || !in[i]) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)(pos - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	if (outlen)
		*outlen = n;
	return out;
}
