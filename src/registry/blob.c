/* hako registry: blobs: HEAD, parallel verified downloads, cross-repository
 * mounts, monolithic and chunked uploads. */
#include <errno.h>
#include <string.h>

#include "registry/registry_int.h"
#include "util/util.h"

#define CHUNK_SIZE_DEFAULT (16ll << 20)

int registry_blob_exists(struct registry *r, const char *repo, const char *digest,
			 struct hk_error **err)
{
	_cleanup_free_ char *url = NULL;
	struct reg_resp resp;
	struct reg_req req = {.method = "HEAD", .body_fd = -1};
	long st;

	if (!reg_repo_valid(repo) || !registry_digest_valid(digest))
		return hk_error_set(err, 0, "invalid repository or digest");
	if (reg_base(r, err) < 0)
		return -1;
	req.url = url = reg_url(r, "/v2/%s/blobs/%s", repo, digest);
	if (reg_request(r, &req, &resp, err) < 0)
		return -1;
	st = resp.status;
	reg_resp_free(&resp);
	if (st == 200)
		return 1;
	if (st == 404)
		return 0;
	return hk_error_set(err, 0, "HEAD blob %s: HTTP %ld", digest, st);
}

int registry_blob_mount(struct registry *r, const char *repo, const char *digest, const char *from,
			struct hk_error **err)
{
	_cleanup_free_ char *url = NULL;
	struct reg_resp resp;
	struct reg_req req = {.method = "POST", .body_fd = -1};
	long st;

	if (!reg_repo_valid(repo) || !reg_repo_valid(from) || !registry_digest_valid(digest))
		return hk_error_set(err, 0, "invalid repository or digest");
	if (reg_base(r, err) < 0)
		return -1;
	req.url = url = reg_url(r, "/v2/%s/blobs/uploads/?mount=%s&from=%s", repo, digest, from);
	if (reg_request(r, &req, &resp, err) < 0)
		return -1;
	st = resp.status;
	reg_resp_free(&resp);
	/* 201: mounted.  202: the registry declined and opened an upload
	 * session instead, which we abandon (it expires) and start our own. */
	return st == 201 ? 1 : 0;
}

static int64_t chunk_size(void)
{
	const char *env = getenv("HAKO_REGISTRY_CHUNK_SIZE");
	long long v;

	if (env && parse_ll(env, 4096, 1ll << 32, &v) == 0)
		return v;
	return CHUNK_SIZE_DEFAULT;
}

static char *with_digest(const char *url, const char *digest)
{
	return xasprintf("%s%sdigest=%s", url, strchr(url, '?') ? "&" : "?", digest);
}

int registry_blob_upload(struct registry *r, const char *repo, const char *digest, int64_t size,
			 int fd, void (*progress)(void *ud, int64_t done), void *ud,
			 struct hk_error **err)
{
	_cleanup_free_ char *url = NULL, *loc = NULL, *final = NULL;
	struct reg_resp resp;
	struct reg_req req = {.method = "POST", .body_fd = -1};
	int64_t chunk = chunk_size(), off = 0;

	if (!reg_repo_valid(repo) || !registry_digest_valid(digest))
		return hk_error_set(err, 0, "invalid repository or digest");
	if (reg_base(r, err) < 0)
		return -1;
	req.url = url = reg_url(r, "/v2/%s/blobs/uploads/", repo);
	if (reg_request(r, &req, &resp, err) < 0)
		return hk_error_wrap(err, "start upload");
	if (resp.status != 202 || !resp.location) {
		_cleanup_free_ char *m = reg_status_msg(&resp);
		reg_resp_free(&resp);
		return hk_error_set(err, 0, "start upload: %s", m);
	}
	loc = reg_resolve(r, resp.location);
	reg_resp_free(&resp);

	/* Big blobs go in chunks (PATCH with Content-Range), so a registry
	 * behind a proxy with a request size limit takes them too. */
	while (size > chunk && off < size) {
		int64_t n = size - off < chunk ? size - off : chunk;
		char range[64];
		struct reg_req p = {.method = "PATCH",
				    .url = loc,
				    .body_fd = fd,
				    .body_off = off,
				    .body_len = (size_t)n,
				    .content_type = "application/octet-stream",
				    .content_range = range,
				    .upload_progress = progress,
				    .upload_ud = ud};

		snprintf(range, sizeof(range), "%lld-%lld", (long long)off,
			 (long long)(off + n - 1));
		if (reg_request(r, &p, &resp, err) < 0)
			return hk_error_wrap(err, "upload chunk at %lld", (long long)off);
		if (resp.status != 202 || !resp.location) {
			_cleanup_free_ char *m = reg_status_msg(&resp);
			reg_resp_free(&resp);
			return hk_error_set(err, 0, "upload chunk at %lld: %s", (long long)off, m);
		}
		free(loc);
		loc = reg_resolve(r, resp.location);
		reg_resp_free(&resp);
		off += n;
	}

	final = with_digest(loc, digest);
	req = (struct reg_req){.method = "PUT",
			       .url = final,
			       .body_fd = off < size ? fd : -1,
			       .body_off = off,
			       .body_len = (size_t)(size - off),
			       .content_type = "application/octet-stream",
			       .upload_progress = progress,
			       .upload_ud = ud};
	if (reg_request(r, &req, &resp, err) < 0)
		return hk_error_wrap(err, "upload");
	if (resp.status != 201) {
		_cleanup_free_ char *m = reg_status_msg(&resp);
		reg_resp_free(&resp);
		return hk_error_set(err, 0, "upload: %s", m);
	}
	reg_resp_free(&resp);
	return 0;
}

/* ---- downloads ---- */

struct fetch_ctx {
	struct registry *r;
	const char *repo;
	struct registry_fetch *jobs;
	size_t n;
	size_t next;
	pthread_mutex_t lock;
	const struct registry_events *ev;
};

struct sink_state {
	struct registry_fetch *job;
	struct reg_hash hash;
	int64_t limit;
	struct hk_error *err;
	const struct registry_events *ev;
	size_t idx;
	unsigned long long last_ns;
};

static int blob_sink(void *ud, const void *buf, size_t len)
{
	struct sink_state *s = ud;
	unsigned long long now;

	if (s->job->done + (int64_t)len > s->limit) {
		hk_error_set(&s->err, 0, "blob %s: more than the %lld bytes expected",
			     s->job->digest, (long long)s->limit);
		return -1;
	}
	if (s->job->write(s->job->ud, buf, len, &s->err) < 0)
		return -1;
	reg_hash_update(&s->hash, buf, len);
	s->job->done += (int64_t)len;
	now = now_ns();
	if (s->ev && s->ev->blob_update && now - s->last_ns > 100000000ull) {
		s->last_ns = now;
		s->ev->blob_update(s->ev->ud, s->idx, s->job->done);
	}
	return 0;
}

static int fetch_one(struct registry *r, const char *repo, struct registry_fetch *job, size_t idx,
		     const struct registry_events *ev, struct hk_error **err)
{
	_cleanup_free_ char *url = NULL;
	struct sink_state s = {.job = job, .ev = ev, .idx = idx};
	struct reg_resp resp;
	struct reg_req req = {.method = "GET", .body_fd = -1, .sink = blob_sink, .sink_ud = &s};
	char got[72];
	int rc;

	if (!registry_digest_valid(job->digest))
		return hk_error_set(err, 0, "invalid digest '%.80s'", job->digest);
	s.limit = job->size >= 0 ? job->size : job->max;
	reg_hash_init(&s.hash);
	req.url = url = reg_url(r, "/v2/%s/blobs/%s", repo, job->digest);
	rc = reg_request(r, &req, &resp, err);
	if (rc < 0) {
		reg_hash_free(&s.hash);
		if (s.err) {
			hk_error_free(err);
			*err = steal_ptr(&s.err);
		}
		return -1;
	}
	if (resp.status != 200) {
		_cleanup_free_ char *m = reg_status_msg(&resp);
		reg_resp_free(&resp);
		reg_hash_free(&s.hash);
		return hk_error_set(err, 0, "blob %s: %s", job->digest, m);
	}
	reg_resp_free(&resp);
	reg_hash_final(&s.hash, got);
	if (job->size >= 0 && job->done != job->size)
		return hk_error_set(err, 0, "blob %s: got %lld bytes, want %lld", job->digest,
				    (long long)job->done, (long long)job->size);
	if (strcmp(got, job->digest))
		return hk_error_set(err, 0, "blob %s: digest mismatch (got %s)", job->digest, got);
	return 0;
}

static void *fetch_worker(void *arg)
{
	struct fetch_ctx *c = arg;

	for (;;) {
		size_t i;
		struct registry_fetch *job;

		pthread_mutex_lock(&c->lock);
		i = c->next < c->n ? c->next++ : c->n;
		pthread_mutex_unlock(&c->lock);
		if (i >= c->n)
			return NULL;
		job = &c->jobs[i];
		job->rc = fetch_one(c->r, c->repo, job, job->ev_idx, c->ev, &job->err);
		if (c->ev && c->ev->blob_done)
			c->ev->blob_done(c->ev->ud, job->ev_idx,
					 job->rc < 0 ? REGISTRY_BLOB_FAILED : REGISTRY_BLOB_DONE);
		if (job->rc < 0) {
			/* the first failure stops the other workers taking more */
			pthread_mutex_lock(&c->lock);
			c->next = c->n;
			pthread_mutex_unlock(&c->lock);
		}
	}
}

int registry_fetch_blobs(struct registry *r, const char *repo, struct registry_fetch *jobs,
			 size_t n, int parallel, const struct registry_events *ev,
			 struct hk_error **err)
{
	struct fetch_ctx c = {.r = r, .repo = repo, .jobs = jobs, .n = n, .ev = ev};
	pthread_t tids[8];
	int nt = 0;

	if (!reg_repo_valid(repo))
		return hk_error_set(err, 0, "invalid repository name '%.100s'", repo);
	/* resolve the scheme and authenticate once, before the threads race */
	if (reg_base(r, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		jobs[i].rc = 1; /* not started */
		jobs[i].done = 0;
		jobs[i].err = NULL;
	}
	if (parallel < 1)
		parallel = 1;
	if (parallel > (int)ARRAY_SIZE(tids))
		parallel = ARRAY_SIZE(tids);
	if ((size_t)parallel > n)
		parallel = (int)n;
	pthread_mutex_init(&c.lock, NULL);
	for (int i = 1; i < parallel; i++) {
		if (pthread_create(&tids[nt], NULL, fetch_worker, &c) != 0)
			break;
		nt++;
	}
	fetch_worker(&c);
	for (int i = 0; i < nt; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&c.lock);
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].rc < 0) {
			hk_error_free(err);
			*err = steal_ptr(&jobs[i].err);
			for (size_t k = i + 1; k < n; k++)
				hk_error_free(&jobs[k].err);
			return -1;
		}
		if (jobs[i].rc == 1)
			return hk_error_set(err, 0, "blob %s: not downloaded", jobs[i].digest);
	}
	return 0;
}

int registry_ping(struct registry *r, struct hk_error **err)
{
	_cleanup_free_ char *url = NULL;
	struct reg_resp resp;
	struct reg_req req = {.method = "GET", .body_fd = -1};
	long st;

	if (reg_base(r, err) < 0)
		return -1;
	req.url = url = reg_url(r, "/v2/");
	if (reg_request(r, &req, &resp, err) < 0)
		return -1;
	st = resp.status;
	if (st != 200) {
		_cleanup_free_ char *m = reg_status_msg(&resp);
		reg_resp_free(&resp);
		return hk_error_set(err, 0, "%s", m);
	}
	reg_resp_free(&resp);
	return 0;
}
