/* hako registry: private parts shared by the files of src/registry/. */
#ifndef HAKO_REGISTRY_INT_H
#define HAKO_REGISTRY_INT_H

#include <curl/curl.h>
#include <openssl/evp.h>
#include <pthread.h>

#include "registry/registry.h"

struct registry {
	char *host;
	char *base; /* "https://host" or "http://host", set by the first request */
	bool tls_verify;
	bool http_allowed; /* loopback, or tls_verify off */
	char *user, *pass; /* credentials, may be NULL */
	pthread_mutex_t lock;
	char *token;   /* current bearer token */
	char **scopes; /* every scope asked for so far: one token covers them all */
	char *scheme;  /* last challenge's scheme: "bearer", "basic" or NULL */
	struct registry_challenge chal;
};

/* One HTTP exchange.  The request body comes from a buffer or an fd; the
 * response body goes to a bounded buffer, or to sink (blob downloads). */
struct reg_req {
	const char *method; /* GET HEAD PUT POST PATCH */
	char *url;	    /* absolute */
	const char *accept;
	const char *content_type;
	const char *content_range;
	const char *body; /* upload from memory ... */
	size_t body_len;
	int body_fd; /* ... or from an fd at body_off, body_len bytes; -1 none */
	int64_t body_off;
	size_t max_resp; /* bound of a buffered response body */
	/* download sink: called with the bytes of a 2xx response */
	int (*sink)(void *ud, const void *buf, size_t len);
	void *sink_ud;
	void (*upload_progress)(void *ud, int64_t done);
	void *upload_ud;
	bool no_auth; /* token endpoint requests carry their own basic auth */
	const char *basic_user, *basic_pass;
};

struct reg_resp {
	long status;
	char *body;
	size_t len;
	bool truncated;
	char *content_type;
	char *docker_digest;
	char *location;
	char *www_auth;
	char *range;
	char *link; /* the first Link header (tags/list pages) */
};

void reg_resp_free(struct reg_resp *r);

/* Perform req (with authentication and one retry after a 401). */
int reg_request(struct registry *r, struct reg_req *req, struct reg_resp *resp,
		struct hk_error **err);

/* One raw attempt with the given Authorization header value (may be NULL). */
int reg_perform(struct registry *r, struct reg_req *req, const char *authz, struct reg_resp *resp,
		struct hk_error **err);

/* The base URL, resolving https/http on the first call. */
int reg_base(struct registry *r, struct hk_error **err);

/* Answer a 401 challenge: get a token or select basic auth. */
int reg_authenticate(struct registry *r, const char *www_auth, struct hk_error **err);

/* The Authorization header value for the current state, or NULL. Caller frees. */
char *reg_authz(struct registry *r);

/* A message for an error status: "HTTP 404 manifest unknown" from the
 * registry's JSON errors when present. Caller frees. */
char *reg_status_msg(const struct reg_resp *resp);

/* Resolve a Location header against the base URL. Caller frees. */
char *reg_resolve(struct registry *r, const char *location);

/* A streaming sha256. */
struct reg_hash {
	EVP_MD_CTX *ctx;
};
void reg_hash_init(struct reg_hash *h);
void reg_hash_update(struct reg_hash *h, const void *buf, size_t len);
/* "sha256:<hex>" into out (72 bytes); frees the context. */
void reg_hash_final(struct reg_hash *h, char out[72]);
void reg_hash_free(struct reg_hash *h);

/* base + the printf-formatted path. Caller frees. */
char *reg_url(struct registry *r, const char *fmt, ...) HK_PRINTF(2, 3);
/* A tag the distribution spec allows: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}. */
bool reg_tag_valid(const char *tag);

/* A repository name the distribution spec allows. */
bool reg_repo_valid(const char *repo);

struct image_store;
/* Open the registry serving domain with o's TLS and auth settings. */
int reg_open_for(const char *domain, const struct registry_xfer_opts *o, const char *root,
		 struct registry **out, struct hk_error **err);

/* Where blobs were seen (pulled from or pushed to): host + repository per
 * digest, kept in the state database so that a push can mount a blob from
 * another repository of the same registry.  Best effort: failures are
 * logged, never fatal. */
void reg_blobinfo_record(struct image_store *store, const char *host, const char *repo,
			 const struct registry_manifest *m);
void reg_blobinfo_add(struct image_store *store, const char *host, const char *repo,
		      const char *digest);
/* A repository of host (other than repo) that has digest, or NULL. Caller frees. */
char *reg_blobinfo_find(struct image_store *store, const char *host, const char *repo,
			const char *digest);

char *reg_base64(const char *in, size_t len);
/* Decode base64; NULL when invalid.  *outlen excludes the added NUL. */
char *reg_unbase64(const char *in, size_t *outlen);

#endif
