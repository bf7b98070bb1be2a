/* hako API service: the HTTP server (libmicrohttpd, one thread per
 * connection so a streaming answer may block), routing, versions, errors. */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/internal.h"
#include "util/json.h"
#include "util/log.h"
#include "util/util.h"

/* ------------------------------------------------------------------ routes */

struct route {
	const char *method;
	const char *pattern; /* segments; "*" one segment, "**" one or more */
	api_handler fn;
};

static const struct route routes[] = {
	{"GET", "_ping", api_ping},
	{"HEAD", "_ping", api_ping},
	{"GET", "version", api_version},
	{"GET", "info", api_info},
	{"GET", "events", api_events},
	{"GET", "system/df", api_system_df},
	{"POST", "auth", api_auth},
	{"GET", "containers/json", api_ctr_list},
	{"POST", "containers/create", api_ctr_create},
	{"GET", "containers/*/json", api_ctr_inspect},
	{"POST", "containers/*/start", api_ctr_start},
	{"POST", "containers/*/stop", api_ctr_stop},
	{"POST", "containers/*/restart", api_ctr_restart},
	{"POST", "containers/*/kill", api_ctr_kill},
	{"POST", "containers/*/wait", api_ctr_wait},
	{"DELETE", "containers/*", api_ctr_remove},
	{"GET", "containers/*/logs", api_ctr_logs},
	{"GET", "containers/*/top", api_ctr_top},
	{"POST", "containers/*/rename", api_ctr_rename},
	{"POST", "containers/*/pause", api_ctr_pause},
	{"POST", "containers/*/unpause", api_ctr_unpause},
	{"POST", "containers/*/attach", api_ctr_attach},
	{"POST", "containers/*/resize", api_ctr_resize},
	{"GET", "containers/*/archive", api_ctr_archive_get},
	{"HEAD", "containers/*/archive", api_ctr_archive_get},
	{"PUT", "containers/*/archive", api_ctr_archive_put},
	{"POST", "containers/*/exec", api_exec_create},
	{"POST", "exec/*/start", api_exec_start},
	{"GET", "exec/*/json", api_exec_inspect},
	{"POST", "exec/*/resize", api_exec_resize},
	{"GET", "images/json", api_img_list},
	{"POST", "images/create", api_img_create},
	{"GET", "images/**/json", api_img_inspect},
	{"GET", "images/**/history", api_img_history},
	{"POST", "images/**/tag", api_img_tag},
	{"DELETE", "images/**", api_img_remove},
	{"GET", "networks", api_net_list},
	{"POST", "networks/create", api_net_create},
	{"GET", "networks/*", api_net_inspect},
	{"DELETE", "networks/*", api_net_remove},
	{"POST", "networks/*/connect", api_net_connect},
	{"POST", "networks/*/disconnect", api_net_disconnect},
	{"GET", "volumes", api_vol_list},
	{"POST", "volumes/create", api_vol_create},
	{"GET", "volumes/*", api_vol_inspect},
	{"DELETE", "volumes/*", api_vol_remove},
};

/* Match parts[from..] against pattern segments pat[pi..]; "**" takes one
 * or more segments (image names have slashes: localhost:5000/a/b). */
static bool match(char **pat, size_t np, size_t pi, char **parts, size_t n, size_t from)
{
	if (pi == np)
		return from == n;
	if (from == n)
		return false;
	if (!strcmp(pat[pi], "**")) {
		for (size_t take = n - from; take >= 1; take--)
			if (match(pat, np, pi + 1, parts, n, from + take))
				return true;
		return false;
	}
	if (strcmp(pat[pi], "*") && strcmp(pat[pi], parts[from]))
		return false;
	return match(pat, np, pi + 1, parts, n, from + 1);
}

static char **split(const char *s, size_t *n)
{
	char **v = NULL;
	const char *p = s;

	*n = 0;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (len) {
			_cleanup_free_ char *seg = strndup(p, len);
			strv_push(&v, seg);
		}
		p += len + (slash ? 1 : 0);
	}
	*n = strv_len(v);
	if (!v)
		v = xzalloc(sizeof(*v));
	return v;
}

/* ------------------------------------------------------------------ versions */

/* "1.41" -> 141; 0 when malformed. */
static int version_num(const char *s)
{
	int a, b;
	char end;
	if (sscanf(s, "%d.%d%c", &a, &b, &end) != 2 || a < 0 || b < 0 || b > 99)
		return 0;
	return a * 100 + b;
}

/* ------------------------------------------------------------------ responses */

enum MHD_Result api_queue(struct api_req *r, unsigned status, struct MHD_Response *resp)
{
	enum MHD_Result ret;

	MHD_add_response_header(resp, "Api-Version", API_VERSION);
	MHD_add_response_header(resp, "Docker-Experimental", "false");
	MHD_add_response_header(resp, "Ostype", "linux");
	MHD_add_response_header(resp, "Server", "Docker/" HAKO_VERSION " (linux) hako");
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result api_text(struct api_req *r, unsigned status, const char *type, const char *text,
			 size_t len)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (type)
		MHD_add_response_header(resp, "Content-Type", type);
	return api_queue(r, status, resp);
}

enum MHD_Result api_json(struct api_req *r, unsigned status, json_object *o)
{
	_cleanup_free_ char *s = json_to_string(o, false);
	_cleanup_free_ char *line = xasprintf("%s\n", s);
	json_object_put(o);
	return api_text(r, status, "application/json", line, strlen(line));
}

enum MHD_Result api_error(struct api_req *r, unsigned status, const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	json_object_object_add(o, "message", json_object_new_string(msg ? msg : "error"));
	return api_json(r, status, o);
}

unsigned api_status_of(const char *msg, unsigned fallback)
{
	static const char *const not_found[] = {"no such", "not found", "unable to find", NULL};
	static const char *const conflict[] = {
		"already",	 "in use",   "is running",    "is not running", "is paused",
		"is not paused", "conflict", "being removed", "must be forced", NULL,
	};
	static const char *const bad[] = {"invalid", "bad ", "expected", "unknown", NULL};
	_cleanup_free_ char *low = xstrdup(msg ? msg : "");

	for (char *p = low; *p; p++)
		*p = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
	for (size_t i = 0; not_found[i]; i++)
		if (strstr(low, not_found[i]))
			return MHD_HTTP_NOT_FOUND;
	for (size_t i = 0; conflict[i]; i++)
		if (strstr(low, conflict[i]))
			return MHD_HTTP_CONFLICT;
	for (size_t i = 0; bad[i]; i++)
		if (strstr(low, bad[i]))
			return MHD_HTTP_BAD_REQUEST;
	return fallback ? fallback : MHD_HTTP_INTERNAL_SERVER_ERROR;
}

enum MHD_Result api_fail(struct api_req *r, struct hk_error *err, unsigned fallback)
{
	const char *msg = err ? hk_error_msg(err) : "internal error";
	return api_error(r, api_status_of(msg, fallback), "%s", msg);
}

enum MHD_Result api_empty(struct api_req *r, unsigned status)
{
	return api_text(r, status, NULL, "", 0);
}

/* ------------------------------------------------------------------ request data */

const char *api_query(struct api_req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

bool api_query_bool(struct api_req *r, const char *key, bool def)
{
	const char *v = api_query(r, key);
	if (!v)
		return def;
	if (!*v)
		return true; /* "?all" as dockerd's boolValue */
	return strcmp(v, "0") && strcasecmp(v, "false") && strcasecmp(v, "no");
}

json_object *api_body_json(struct api_req *r, enum MHD_Result *sent)
{
	json_object *o;
	struct hk_error *err = NULL;

	if (!r->body || !r->len)
		return json_object_new_object();
	if (json_parse("request body", r->body, r->len, &o, &err) < 0) {
		*sent = api_error(r, MHD_HTTP_BAD_REQUEST, "%s", hk_error_msg(err));
		hk_error_free(&err);
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		*sent = api_error(r, MHD_HTTP_BAD_REQUEST, "request body: expected a JSON object");
		return NULL;
	}
	return o;
}

json_object *api_filters(struct api_req *r, bool *bad)
{
	const char *s = api_query(r, "filters");
	json_object *o;

	*bad = false;
	if (!s || !*s)
		return NULL;
	o = json_tokener_parse(s);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		*bad = true;
		return NULL;
	}
	return o;
}

bool api_filter_has(json_object *filters, const char *key)
{
	return filters && json_object_object_get_ex(filters, key, NULL);
}

bool api_filter_match(json_object *filters, const char *key, bool (*f)(const char *v, void *d),
		      void *d)
{
	json_object *v;

	if (!filters || !json_object_object_get_ex(filters, key, &v))
		return true;
	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (f(json_object_get_string(json_object_array_get_idx(v, i)), d))
				return true;
		return json_object_array_length(v) == 0;
	}
	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, b)
		{
			(void)b;
			if (f(k, d))
				return true;
		}
		return false;
	}
	return true;
}

struct engine *api_engine(struct api_req *r)
{
	struct hk_error *err = NULL;

	if (r->e_open)
		return &r->e;
	if (engine_open(&r->e, r->srv->root, r->srv->runroot, &err) < 0) {
		log_msg(HK_LOG_ERROR, "api: %s", hk_error_msg(err));
		hk_error_free(&err);
		return NULL;
	}
	r->e_open = true;
	return &r->e;
}

/* ------------------------------------------------------------------ dispatch */

static volatile sig_atomic_t stopping;
static int active;	  /* requests being served (atomic) */
static int64_t last_seen; /* monotonic seconds of the last request (atomic) */

static int64_t mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static enum MHD_Result dispatch(struct api_req *r, const char *url)
{
	const char *p = url;
	bool path_known = false;

	while (*p == '/')
		p++;
	/* /v1.41/containers/json: the client's version, checked as dockerd */
	if (p[0] == 'v' && p[1] >= '0' && p[1] <= '9') {
		const char *slash = strchr(p, '/');
		_cleanup_free_ char *ver =
			slash ? strndup(p + 1, (size_t)(slash - p - 1)) : xstrdup(p + 1);
		int v = version_num(ver);
		if (!v)
			return api_error(r, MHD_HTTP_BAD_REQUEST, "invalid API version %s", ver);
		if (v > version_num(API_VERSION))
			return api_error(r, MHD_HTTP_BAD_REQUEST,
					 "client version %s is too new. Maximum supported API "
					 "version is %s",
					 ver, API_VERSION);
		if (v < version_num(API_MIN_VERSION))
			return api_error(r, MHD_HTTP_BAD_REQUEST,
					 "client version %s is too old. Minimum supported API "
					 "version is %s, please upgrade your client to a newer "
					 "version",
					 ver, API_MIN_VERSION);
		p = slash ? slash + 1 : "";
	}
	r->path = xstrdup(p);
	r->parts = split(p, &r->n_parts);
	if (r->too_big)
		return api_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "request body larger than %u bytes",
				 API_MAX_BODY);
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
		size_t np;
		_cleanup_strv_ char **pat = split(routes[i].pattern, &np);
		if (!match(pat, np, 0, r->parts, r->n_parts, 0))
			continue;
		path_known = true;
		if (strcmp(routes[i].method, r->method))
			continue;
		return routes[i].fn(r);
	}
	if (path_known)
		return api_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method %s not allowed for /%s",
				 r->method, r->path);
	return api_error(r, MHD_HTTP_NOT_FOUND, "page not found");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct api_req *r = *con_cls;

	if (!r) {
		r = xzalloc(sizeof(*r));
		r->srv = cls;
		r->conn = conn;
		r->method = method;
		*con_cls = r;
		__atomic_add_fetch(&active, 1, __ATOMIC_SEQ_CST);
		return MHD_YES;
	}
	if (*upload_size) {
		/* keep reading a body that is too big (and drop it), so the
		 * answer is a 413, not a reset connection */
		if (!r->too_big && r->len + *upload_size <= API_MAX_BODY) {
			r->body = xrealloc(r->body, r->len + *upload_size + 1);
			memcpy(r->body + r->len, upload, *upload_size);
			r->len += *upload_size;
			r->body[r->len] = 0;
		} else {
			r->too_big = true;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	__atomic_store_n(&last_seen, mono_s(), __ATOMIC_RELAXED);
	log_msg(HK_LOG_DEBUG, "api: %s %s %.*s", method, url, (int)(r->len > 2048 ? 2048 : r->len),
		r->body ? r->body : "");
	return dispatch(r, url);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct api_req *r = *con_cls;

	if (!r)
		return;
	if (r->e_open)
		engine_close(&r->e);
	free(r->path);
	strv_free(r->parts);
	free(r->body);
	free(r);
	*con_cls = NULL;
	__atomic_store_n(&last_seen, mono_s(), __ATOMIC_RELAXED);
	__atomic_sub_fetch(&active, 1, __ATOMIC_SEQ_CST);
}

static void on_signal(int sig)
{
	stopping = 1;
}

/* ------------------------------------------------------------------ listening */

static int listen_unix(const char *path, struct hk_error **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct group *g;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return hk_error_set(err, ENAMETOOLONG, "socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hk_error_errno(err, "socket");
	/* a socket file left by a service that died: replaced; a live one: refused */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		return hk_error_set(err, EADDRINUSE, "%s: another service is listening there",
				    path);
	}
	unlink(path);
	{
		_cleanup_free_ char *dir = xstrdup(path);
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = 0;
			mkdir_p(dir, 0755, NULL);
		}
	}
	/* created 0660 from the start: no window where anyone may connect */
	mode_t old = umask(0117);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0) {
		hk_error_errno(err, "bind %s", path);
		close(fd);
		return -1;
	}
	/* root and the hako group (when there is one), as dockerd's docker group */
	g = getgrnam("hako");
	if (chown(path, 0, g ? g->gr_gid : 0) < 0 && geteuid() == 0)
		log_msg(HK_LOG_WARN, "chown %s: %s", path, strerror(errno));
	chmod(path, 0660);
	if (listen(fd, 128) < 0) {
		hk_error_errno(err, "listen %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

static bool loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!strcmp(host, "localhost"))
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

static int listen_tcp(const struct api_opts *o, const char *hostport, struct hk_error **err)
{
	_cleanup_free_ char *host = NULL;
	const char *colon = strrchr(hostport, ':');
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	long port;
	char *end;
	int fd, one = 1;

	if (!colon)
		return hk_error_set(err, EINVAL, "--listen tcp://%s: expected HOST:PORT", hostport);
	host = strndup(hostport, (size_t)(colon - hostport));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = 0;
	}
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return hk_error_set(err, EINVAL, "--listen tcp://%s: bad port", hostport);
	if (!loopback(host)) {
		if (!o->tlscert || !o->tlskey || !o->tlscacert)
			return hk_error_set(err, EPERM,
					    "--listen tcp://%s: refusing a non-loopback address "
					    "without TLS: anyone who reaches it would control "
					    "every container and the host's root (pass --tlscert, "
					    "--tlskey and --tlscacert)",
					    hostport);
		return hk_error_set(err, ENOTSUP,
				    "--listen tcp://%s: TLS with client certificates is not "
				    "implemented yet; listen on loopback or a unix socket",
				    hostport);
	}
	if (!strcmp(host, "localhost")) {
		free(host);
		host = xstrdup("127.0.0.1");
	}
	if (strchr(host, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, host, &s6->sin6_addr);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, host, &s4->sin_addr);
		sl = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hk_error_errno(err, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 128) < 0) {
		hk_error_errno(err, "listen on %s", hostport);
		close(fd);
		return -1;
	}
	return fd;
}

int api_serve(const struct api_opts *o, struct hk_error **err)
{
	struct api_server srv = {0};
	struct MHD_Daemon *d;
	struct sigaction sa = {.sa_handler = on_signal};
	const char *listen = o->listen ? o->listen : "unix:///run/hako/docker.sock";
	_cleanup_free_ char *sock_path = NULL;
	char exe[4096];
	ssize_t n;
	int fd;

	if (!strncmp(listen, "unix://", 7)) {
		sock_path = xstrdup(listen + 7);
		fd = listen_unix(sock_path, err);
	} else if (!strncmp(listen, "tcp://", 6)) {
		fd = listen_tcp(o, listen + 6, err);
	} else {
		return hk_error_set(err, EINVAL,
				    "--listen %s: expected unix://PATH or tcp://HOST:PORT", listen);
	}
	if (fd < 0)
		return -1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		close(fd);
		return hk_error_errno(err, "readlink /proc/self/exe");
	}
	exe[n] = 0;
	srv.exe = exe;
	srv.root = (char *)o->root;
	srv.runroot = (char *)o->runroot;
	/* a client that goes away mid-answer must not end the service */
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
				     MHD_ALLOW_UPGRADE | MHD_USE_ITC,
			     0, NULL, NULL, on_request, &srv, MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     /* a client that sends nothing for a minute is dropped
			      * (slowloris) */
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),
			     MHD_OPTION_END);
	if (!d) {
		close(fd);
		if (sock_path)
			unlink(sock_path);
		return hk_error_set(err, 0, "cannot start the HTTP server on %s", listen);
	}
	fprintf(stderr, "hako: API listening on %s\n", listen);
	__atomic_store_n(&last_seen, mono_s(), __ATOMIC_RELAXED);
	while (!stopping) {
		usleep(200 * 1000);
		if (o->timeout > 0 && __atomic_load_n(&active, __ATOMIC_SEQ_CST) == 0 &&
		    mono_s() - __atomic_load_n(&last_seen, __ATOMIC_RELAXED) >= o->timeout)
			break;
	}
	MHD_stop_daemon(d); /* closes fd too */
	if (sock_path)
		unlink(sock_path);
	return 0;
}
