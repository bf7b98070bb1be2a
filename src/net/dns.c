/* hako net: keeping the DNS responder (hako-dns, src/dns/) fed and alive.
 *
 * One hako-dns per runroot serves every user network (see docs/network.md
 * for why one and not one per network).  Under the network lock, after any
 * change of endpoints, net_dns_update() rewrites <runroot>/dns/records
 * (atomically: the responder reloads it through inotify) and then makes the
 * process match: started when some user network has a container and none
 * runs (first use, or it died: crash repair), stopped when none is left.
 * Who runs is asked of the kernel: hako-dns holds a POSIX write lock on
 * <runroot>/dns/lock for its whole life, and F_GETLK names the holder. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/net_priv.h"
#include "util/json.h"
#include "util/log.h"
#include "util/path.h"
#include "util/util.h"

#define DNS_START_WAIT_MS  5000
#define DNS_STOP_WAIT_MS   3000
#define DNS_STATUS_WAIT_MS 2000

/* A token safe for a records line (fields are split on blanks). */
static bool token_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 253)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s == 0x7f)
			return false;
	return true;
}

/* The records file text; *any is set when some network is listed. */
static int records_text(struct net_ctx *ctx, char **out, bool *any, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *n = NULL, *e = NULL, *l = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f;

	/* The default network has no DNS, as docker's: its containers keep
	 * the host's resolvers. */
	if (db_prepare(ctx->db,
		       "SELECT name, subnet, gateway, internal, subnet6, gateway6 FROM networks"
		       " WHERE name != '" NET_DEFAULT_NAME
		       "' AND name IN (SELECT network FROM endpoints) ORDER BY rowid",
		       &n, err) < 0 ||
	    db_prepare(ctx->db,
		       "SELECT network, ip, container_id, name, aliases, ip6 FROM endpoints WHERE"
		       " network != '" NET_DEFAULT_NAME "' ORDER BY rowid",
		       &e, err) < 0)
		return -1;
	f = open_memstream(&buf, &len);
	if (!f)
		return hk_error_errno(err, "open_memstream");
	fprintf(f, "hako-dns 1\n");
	*any = false;
	while (sqlite3_step(n) == SQLITE_ROW) {
		fprintf(f, "net %s %s %s %d\n", sqlite3_column_text(n, 0),
			sqlite3_column_text(n, 1), sqlite3_column_text(n, 2),
			sqlite3_column_int(n, 3) != 0);
		if (sqlite3_column_type(n, 4) != SQLITE_NULL)
			fprintf(f, "net6 %s %s %s\n", sqlite3_column_text(n, 0),
				sqlite3_column_text(n, 4), sqlite3_column_text(n, 5));
		*any = true;
	}
	/* VMs' NICs (taps, hkt...) on any network, the default one too: DHCP
	 * hands them their address */
	if (db_prepare(ctx->db,
		       "SELECT n.bridge, e.mac, e.ip, n.subnet, n.gateway, n.internal, n.name"
		       " FROM endpoints e JOIN networks n ON n.name = e.network"
		       " WHERE e.veth LIKE 'hkt%' ORDER BY e.rowid",
		       &l, err) < 0)
		goto fail;
	while (sqlite3_step(l) == SQLITE_ROW) {
		const char *sub = (const char *)sqlite3_column_text(l, 3);
		const char *gw = (const char *)sqlite3_column_text(l, 4);
		const char *slash = sub ? strchr(sub, '/') : NULL;
		bool internal = sqlite3_column_int(l, 5) != 0;
		bool dflt = str_eq((const char *)sqlite3_column_text(l, 6), NET_DEFAULT_NAME);
		if (!slash)
			continue;
		/* the default network has no DNS responder: its VMs get none */
		fprintf(f, "lease %s %s %s%s %s %s\n", sqlite3_column_text(l, 0),
			sqlite3_column_text(l, 1), sqlite3_column_text(l, 2), slash,
			internal ? "-" : gw, dflt ? "-" : gw);
		*any = true;
	}
	while (sqlite3_step(e) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(e, 3);
		const char *aliases = (const char *)sqlite3_column_text(e, 4);
		_cleanup_json_ json_object *a = aliases ? json_tokener_parse(aliases) : NULL;
		fprintf(f, "ep %s %s %s %s", sqlite3_column_text(e, 0), sqlite3_column_text(e, 1),
			sqlite3_column_text(e, 2), token_ok(name) ? name : "-");
		for (size_t i = 0; a && json_object_is_type(a, json_type_array) &&
				   i < json_object_array_length(a);
		     i++) {
			const char *s = json_object_get_string(json_object_array_get_idx(a, i));
			if (token_ok(s))
				fprintf(f, " %s", s);
		}
		fputc('\n', f);
		if (sqlite3_column_type(e, 5) != SQLITE_NULL)
			fprintf(f, "ep6 %s %s %s\n", sqlite3_column_text(e, 0),
				sqlite3_column_text(e, 5), sqlite3_column_text(e, 2));
	}
	if (fclose(f) != 0)
		return hk_error_errno(err, "records text");
	*out = steal_ptr(&buf);
	return 0;
fail:
	fclose(f);
	return -1;
}

/* The pid holding <dir>/lock: > 0, 0 when free, -1 held by a pid we cannot
 * see (another pid namespace). */
static pid_t holder(const char *dir)
{
	_cleanup_free_ char *path = path_join(dir, "lock");
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

	/* Read-only is enough for F_GETLK (and wakes no inotify watcher).
	 * Closing fd later would drop *our* POSIX locks on the file; we hold
	 * none, so the probe changes nothing. */
	if (fd < 0 || fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
		return 0;
	return fl.l_pid > 0 ? fl.l_pid : -1;
}

/* hako-dns next to hako (the build tree), or installed in libexec. */
static char *dns_binary(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *fixed[] = {"/usr/local/libexec/hako/hako-dns", "/usr/libexec/hako/hako-dns"};

	if (n > 0) {
		self[n] = '\0';
		char *d = dirname(self);
		char *p = xasprintf("%s/hako-dns", d);
		if (access(p, X_OK) == 0)
			return p;
		free(p);
		p = xasprintf("%s/../libexec/hako/hako-dns", d);
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		if (access(fixed[i], X_OK) == 0)
			return xstrdup(fixed[i]);
	return NULL;
}

/* Start hako-dns on dir, detached (its own session, reparented to init),
 * and wait for its first word: "ok", "warn MSG" (running, some address not
 * bound yet), "running" (another won the race) or "error MSG". */
static int spawn(const char *dir, bool quiet, struct hk_error **err)
{
	_cleanup_free_ char *bin = dns_binary(), *logp = path_join(dir, "log");
	char *argv[] = {bin, (char *)dir, "3", NULL};
	char msg[512] = "";
	size_t got = 0;
	int p[2];
	pid_t pid;

	if (!bin)
		return hk_error_set(err, ENOENT,
				    "hako-dns not found next to hako nor in libexec/hako (make)");
	if (pipe2(p, O_CLOEXEC) < 0)
		return hk_error_errno(err, "pipe");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return hk_error_errno(err, "fork");
	}
	if (pid == 0) {
		/* only async-signal-safe calls from here: the caller may have
		 * threads (the API server) */
		sigset_t none;
		struct sigaction dfl = {.sa_handler = SIG_DFL};
		int null, logfd;
		setsid();
		if ((pid = fork()) != 0)
			_exit(pid < 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (int s = 1; s < 32; s++)
			if (s != SIGKILL && s != SIGSTOP)
				sigaction(s, &dfl, NULL);
		null = open("/dev/null", O_RDWR);
		logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(logfd >= 0 ? logfd : null, 2) < 0 || dup2(p[1], 3) < 0)
			_exit(127);
		close_range(4, ~0u, 0);
		execv(bin, argv);
		_exit(127);
	}
	close(p[1]);
	waitpid(pid, NULL, 0);
	for (;;) {
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};
		ssize_t n;
		if (poll(&pfd, 1, DNS_START_WAIT_MS) <= 0)
			break;
		n = read(p[0], msg + got, sizeof(msg) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(msg) - 1)
			break;
	}
	close(p[0]);
	msg[got] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	if (str_has_prefix(msg, "ok") || str_has_prefix(msg, "running"))
		return 0;
	if (str_has_prefix(msg, "warn ")) {
		if (!quiet)
			log_warn("dns: %s", msg + 5);
		return 0;
	}
	return hk_error_set(err, 0, "start %s: %s (see %s)", bin,
			    str_has_prefix(msg, "error ") ? msg + 6 : "no answer", logp);
}

/* Stop the responder: the records file goes (hako-dns leaves when it sees
 * that), SIGTERM to the lock's holder, and wait until the lock is free, so a
 * start right after cannot meet the old one. */
static int stop(const char *dir, struct hk_error **err)
{
	_cleanup_free_ char *rec = path_join(dir, "records");
	pid_t pid = holder(dir);

	unlink(rec);
	if (pid > 0)
		kill(pid, SIGTERM);
	for (int waited = 0; (pid = holder(dir)) != 0; waited += 5) {
		if (waited >= DNS_STOP_WAIT_MS) {
			if (pid > 0 && waited == DNS_STOP_WAIT_MS) {
				kill(pid, SIGKILL);
				continue;
			}
			if (waited > DNS_STOP_WAIT_MS + 1000)
				return hk_error_set(err, ETIMEDOUT,
						    "hako-dns (pid %d) does not stop", (int)pid);
		}
		usleep(5000);
	}
	return 0;
}

/* Does the records text have a "net NAME " line? */
static bool has_net(const char *text, const char *name)
{
	_cleanup_free_ char *line = xasprintf("\nnet %s ", name);

	return text && strstr(text, line) != NULL;
}

/* hako-dns's status file (see src/dns/main.c) once it describes the records
 * file as it is now: NULL when the responder does not say so within
 * DNS_STATUS_WAIT_MS (it reloads through inotify, well under a
 * millisecond on an idle machine). */
static char *status_for_records(const char *dir)
{
	_cleanup_free_ char *rec = path_join(dir, "records"), *st = path_join(dir, "status");
	struct stat s;
	char want[128];

	if (stat(rec, &s) < 0)
		return NULL;
	snprintf(want, sizeof(want), "records %llu %lld %ld %lld\n", (unsigned long long)s.st_ino,
		 (long long)s.st_mtim.tv_sec, s.st_mtim.tv_nsec, (long long)s.st_size);
	for (int waited = 0; waited <= DNS_STATUS_WAIT_MS * 10; waited++) {
		char *text = NULL;
		size_t len = 0;
		if (read_file_at(AT_FDCWD, st, 1 << 16, &text, &len, NULL) == 0 &&
		    str_has_prefix(text, want))
			return text;
		free(text);
		if (waited % 100 == 99 && holder(dir) <= 0)
			return NULL;
		usleep(100);
	}
	return NULL;
}

/* The "fail GW PROTO MESSAGE" line of status for gateway gw: an error,
 * -2 (other failures of dns_sync() are -1). */
static int bind_failure(const char *status, const char *gw, struct hk_error **err)
{
	_cleanup_free_ char *key = xasprintf("\nfail %s ", gw);
	const char *l = status ? strstr(status, key) : NULL;
	_cleanup_free_ char *proto = NULL, *msg = NULL;

	if (!l)
		return 0;
	l += strlen(key);
	proto = xstrndup(l, strcspn(l, " \n"));
	l += strlen(proto);
	l += *l == ' ';
	msg = xstrndup(l, strcspn(l, "\n"));
	hk_error_set(err, 0, "DNS server cannot bind %s%s%s:53/%s: %s", strchr(gw, ':') ? "[" : "",
		     gw, strchr(gw, ':') ? "]" : "", proto, msg);
	return -2;
}

/* Records, process; when need (a network that a container is joining) is
 * given, a failed bind of its gateway is an error (the caller undoes the
 * connect), other problems stay warnings of the caller. */
static int dns_sync(struct net_ctx *ctx, const struct net_rec *need, struct hk_error **err)
{
	_cleanup_free_ char *dir = path_join(ctx->runroot, "dns"), *text = NULL, *old = NULL;
	_cleanup_free_ char *rec = path_join(dir, "records"), *status = NULL, *gw = NULL;
	size_t len = 0;
	bool any = false, fresh = false;
	pid_t pid;

	if (records_text(ctx, &text, &any, err) < 0)
		return -1;
	pid = holder(dir);
	if (!any)
		return pid ? stop(dir, err) : 0;
	if (mkdir_p(dir, 0700, err) < 0)
		return -1;
	if (read_file_at(AT_FDCWD, rec, 16 << 20, &old, &len, NULL) < 0 || strcmp(old, text)) {
		/* the runroot: no fsync, it is gone at boot anyway */
		if (write_file_replace(rec, text, strlen(text), 0644, err) < 0)
			return -1;
		/* a network new to the responder: it binds its gateway now */
		fresh = need && !has_net(old, need->name);
	}
	if (pid == 0) {
		log_debug("dns: starting the responder on %s", dir);
		if (spawn(dir, need != NULL, err) < 0)
			return -1;
		fresh = need != NULL; /* its status was written before "ok" */
	}
	if (!need)
		return 0;
	gw = net_ip_str(need->gateway);
	if (fresh) {
		status = status_for_records(dir);
		if (!status)
			log_warn("dns: the responder did not report its sockets for network %s",
				 need->name);
	} else {
		_cleanup_free_ char *st = path_join(dir, "status");
		read_file_at(AT_FDCWD, st, 1 << 16, &status, &len, NULL);
	}
	if (need->v6) {
		_cleanup_free_ char *gw6 = net_ip6_str(need->gateway6);
		if (bind_failure(status, gw6, err) < 0)
			return -2;
	}
	return bind_failure(status, gw, err);
}

void net_dns_update(struct net_ctx *ctx)
{
	_cleanup_error_ struct hk_error *err = NULL;

	if (net_lock(ctx, &err) == 0) {
		dns_sync(ctx, NULL, &err);
		net_unlock(ctx);
	}
	if (err)
		log_warn("dns: %s", hk_error_msg(err));
}

int net_dns_require(struct net_ctx *ctx, const struct net_rec *r, struct hk_error **err)
{
	_cleanup_error_ struct hk_error *e = NULL;
	int rc;

	if (net_lock(ctx, err) < 0)
		return -1;
	rc = dns_sync(ctx, r, &e);
	net_unlock(ctx);
	if (rc == 0)
		return 0;
	if (rc == -2) {
		*err = steal_ptr(&e);
		return -1;
	}
	log_warn("dns: %s", hk_error_msg(e));
	return 0;
}

int net_dns_resolv_content(struct net_ctx *ctx, const char *network, char **out,
			   struct hk_error **err)
{
	_cleanup_free_ char *host = NULL, *buf = NULL, *gw = NULL;
	struct net_rec r = {0};
	size_t len = 0;
	bool ndots = false;
	FILE *f;
	int rc;

	*out = NULL;
	if (str_eq(network, NET_DEFAULT_NAME))
		return 0;
	rc = net_rec_find(ctx, network, &r, err);
	if (rc <= 0)
		return rc;
	gw = net_ip_str(r.gateway);
	net_rec_clear(&r);
	f = open_memstream(&buf, &len);
	if (!f)
		return hk_error_errno(err, "open_memstream");
	read_file_at(AT_FDCWD, "/etc/resolv.conf", 1 << 16, &host, &len, NULL);
	/* docker's shape for its embedded server: the host's search domains,
	 * our server, the host's options and ndots:0 (a short name is tried as
	 * is first: it is most likely a container) */
	for (char *l = host, *next; l && *l; l = next) {
		char word[16] = "";
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		else
			next = l + strlen(l);
		if (sscanf(l, "%15s", word) != 1)
			continue;
		if (!strcmp(word, "search") || !strcmp(word, "domain"))
			fprintf(f, "%s\n", l);
		else if (!strcmp(word, "options")) {
			fprintf(f, "%s\n", l);
			ndots |= strstr(l, "ndots:") != NULL;
		}
	}
	fprintf(f, "nameserver %s\n", gw);
	if (!ndots)
		fprintf(f, "options ndots:0\n");
	if (fclose(f) != 0)
		return hk_error_errno(err, "resolv.conf content");
	*out = steal_ptr(&buf);
	return 0;
}
