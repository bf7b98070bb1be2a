/* hako build: ADD of an http(s) URL.  The body is downloaded into a file of
 * the build's temporary directory (libcurl, loaded on first use), hashed
 * while written; the step's cache key takes the digest, as Docker's builder
 * compares the content rather than trusting the URL. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build_int.h"
#include "image/image.h"
#include "util/util.h"

/* Refused beyond this: a build context file is not a disk image. */
#define FETCH_MAX (8LL << 30)

struct sink {
	int fd;
	int64_t size;
	struct digester *dg;
	bool failed;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;

	if (s->size + (int64_t)len > FETCH_MAX || write_all(s->fd, p, len) != (ssize_t)len) {
		s->failed = true;
		return 0;
	}
	digester_update(s->dg, p, len);
	s->size += (int64_t)len;
	return len;
}

/* The file name an URL gives: its path's last component, else "index.html"
 * (Docker's rule); query and fragment dropped. */
char *fetch_url_name(const char *url)
{
	const char *p = strstr(url, "://");
	const char *slash, *end;
	char *name;

	p = p ? p + 3 : url;
	slash = strchr(p, '/');
	if (!slash)
		return xstrdup("index.html");
	end = slash + strcspn(slash, "?#");
	while (end > slash && end[-1] == '/')
		end--;
	for (p = end; p > slash && p[-1] != '/'; p--)
		;
	if (p == end)
		return xstrdup("index.html");
	name = xstrndup(p, (size_t)(end - p));
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		free(name);
		return xstrdup("index.html");
	}
	return name;
}

int fetch_url(const char *url, int dirfd, const char *name, char digest[72], int64_t *mtime,
	      struct hk_error **err)
{
	static bool inited;
	CURL *h = NULL;
	struct sink s = {.fd = -1};
	char errbuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	curl_off_t ft = -1;
	CURLcode rc;
	int r = -1;

	if (!inited) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		inited = true;
	}
	s.fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s.fd < 0)
		return hk_error_errno(err, "create the download of %s", url);
	s.dg = digester_new();
	h = curl_easy_init();
	if (!h) {
		hk_error_set(err, ENOMEM, "curl_easy_init");
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "hako-build/" HAKO_VERSION);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		if (s.failed)
			hk_error_set(err, EFBIG,
				     "download %s: write failed or larger than %lld bytes", url,
				     (long long)FETCH_MAX);
		else
			hk_error_set(err, 0, "download %s: %s", url,
				     errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_FILETIME_T, &ft);
	*mtime = ft > 0 ? (int64_t)ft : 0;
	digester_final(s.dg, digest);
	r = 0;
out:
	if (h)
		curl_easy_cleanup(h);
	digester_free(s.dg);
	close(s.fd);
	if (r < 0)
		unlinkat(dirfd, name, 0);
	return r;
}
