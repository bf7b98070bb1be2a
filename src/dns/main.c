/* hako-dns: the DNS responder of hako's user networks (one per runroot).
 *
 *   hako-dns DIR [READY-FD]
 *
 * DIR is <runroot>/dns: `records` (written by hako, see dns.h), `lock` (held
 * with a POSIX record lock for the whole life of the process: hako probes it
 * with F_GETLK, which names the holder's pid, so nobody guesses pids), and
 * `log`.  hako starts it when the first container joins a user network and
 * stops it (SIGTERM) when the last one leaves; it never exits on its own but
 * when DIR or its records file disappears.
 *
 * It listens on the gateway address of every network in the records file,
 * UDP and TCP port 53, in the host's network namespace (bridges live there).
 * The sockets use IP_FREEBIND: a gateway whose bridge is not up yet can still
 * be bound.  Names of containers are answered from the records (dns.h,
 * dns_answer); other names go to the upstream resolvers (HAKO_DNS_UPSTREAM,
 * else the host's /etc/resolv.conf, loopback servers included: this process
 * is on the host side) from a fresh socket with a random id, one upstream
 * after the other, SERVFAIL when all fail.  UDP work is one poll loop; each
 * TCP connection gets a short-lived child (rare: truncated answers, zone
 * tooling), so a slow client never stalls the loop.
 *
 * It also answers DHCP for VMs on hako networks ("lease" records, dhcp.c):
 * a socket on *:67 bound to each bridge that has VM NICs, replies
 * broadcast on that bridge.
 *
 * Standalone on purpose: libc only, static, a few hundred KB of memory. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dns/dns.h"

#define MAX_LISTENERS	 256
#define MAX_PENDING	 256
#define MAX_TCP_CHILDREN 16
#define UPSTREAM_WAIT_MS 1500 /* per upstream; a client retries after ~5 s */
#define TCP_IDLE_MS	 10000
#define RECHECK_MS	 2000 /* stat the records file, retry failed binds */
#define MSG_MAX		 65535
#define MAX_DHCP	 64 /* bridges with VMs */

/* DHCP on a bridge with VM NICs: one socket on *:67 bound to the device. */
struct dhcp_sock {
	char bridge[16];
	int fd;
	bool wanted;
};

struct listener {
	uint32_t addr; /* host order; the IPv4 gateway of the network for an IPv6 one */
	bool v6;       /* listening on addr6, a network's IPv6 gateway */
	uint8_t addr6[16];
	int udp, tcp;
	int udp_err, tcp_err; /* errno of the last failed bind, 0 when bound */
	bool wanted;
};

struct pending {
	int fd; /* connected to the upstream; -1: free slot */
	int udp;
	struct sockaddr_storage client;
	socklen_t client_len;
	uint16_t client_id, up_id;
	size_t upstream;
	long long deadline;
	uint8_t *query;
	size_t len;
};

static struct {
	int dirfd;
	struct dns_records rec;
	struct stat rec_st;
	struct listener ls[MAX_LISTENERS];
	size_t n_ls;
	struct pending pend[MAX_PENDING];
	struct dhcp_sock dhcp[MAX_DHCP];
	size_t n_dhcp;
	struct dns_upstream ups[DNS_MAX_UPSTREAMS];
	size_t n_ups;
	struct timespec resolv_mtime;
	long long resolv_checked;
	const char *env_upstream;
	int tcp_children;
	bool bind_failed;
} S;

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	char buf[512];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;
	int n;

	gmtime_r(&t, &tm);
	n = (int)strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", buf);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint16_t random16(void)
{
	uint16_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint16_t)(now_ms() * 2654435761u >> 7);
	return v;
}

/* ---- records and listeners ---- */

static int read_records(struct dns_records *out, struct stat *st)
{
	char err[160];
	char *buf = NULL;
	size_t cap = 0, len = 0;
	ssize_t n;
	int fd = openat(S.dirfd, "records", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0 || st->st_size > (16 << 20)) {
		close(fd);
		return -1;
	}
	do {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (!nb)
				abort();
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n > 0)
			len += (size_t)n;
	} while (n > 0 || (n < 0 && errno == EINTR));
	close(fd);
	if (dns_records_parse(buf ? buf : "", len, out, err, sizeof(err)) < 0) {
		logmsg("records: %s (keeping the previous ones)", err);
		free(buf);
		return -2;
	}
	free(buf);
	return 0;
}

static int open_sock(const struct listener *l, int type)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
	struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6, .sin6_port = htons(53)};
	int one = 1;
	int fd = socket(l->v6 ? AF_INET6 : AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(l->addr);
	memcpy(sa6.sin6_addr.s6_addr, l->addr6, 16);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* bind before the bridge has its address (or while it is re-made);
	 * the IPv4 option covers IPv6 sockets too (inet_sk freebind) */
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (l->v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if ((l->v6 ? bind(fd, (struct sockaddr *)&sa6, sizeof(sa6))
		   : bind(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void listener_close(struct listener *l)
{
	if (l->udp >= 0)
		close(l->udp);
	if (l->tcp >= 0)
		close(l->tcp);
	l->udp = l->tcp = -1;
}

/* The listener's address as text ("10.90.0.1", "fd89::1"). */
static void listener_str(const struct listener *l, char *a, size_t len)
{
	struct in_addr ia = {.s_addr = htonl(l->addr)};

	if (l->v6)
		inet_ntop(AF_INET6, l->addr6, a, (socklen_t)len);
	else
		inet_ntop(AF_INET, &ia, a, (socklen_t)len);
}

/* Bind what a listener misses; true when both sockets are there. */
static bool listener_open(struct listener *l, char *why, size_t whysz)
{
	char a[INET6_ADDRSTRLEN];

	if (l->udp < 0)
		l->udp = open_sock(l, SOCK_DGRAM);
	l->udp_err = l->udp < 0 ? errno : 0;
	if (l->udp >= 0 && l->tcp < 0)
		l->tcp = open_sock(l, SOCK_STREAM);
	l->tcp_err = l->udp >= 0 && l->tcp < 0 ? errno : 0;
	if (l->udp >= 0 && l->tcp >= 0)
		return true;
	listener_str(l, a, sizeof(a));
	snprintf(why, whysz, "bind %s%s%s:53/%s: %s", l->v6 ? "[" : "", a, l->v6 ? "]" : "",
		 l->udp < 0 ? "udp" : "tcp", strerror(l->udp_err ? l->udp_err : l->tcp_err));
	return false;
}

/* <DIR>/status, replaced atomically after every look at the listeners:
 *
 *   records INO MTIME-SEC MTIME-NSEC SIZE   (the records file it reflects)
 *   fail ADDRESS udp|tcp MESSAGE            (a gateway not bound, and why)
 *
 * hako, having written a records file with a new network, waits for the
 * status of that very file and makes a failed bind of the network's
 * gateway an error of the container start that needs it. */
static void write_status(void)
{
	char buf[8192];
	size_t len = 0;
	int fd;

	len += (size_t)snprintf(buf, sizeof(buf), "records %llu %lld %ld %lld\n",
				(unsigned long long)S.rec_st.st_ino,
				(long long)S.rec_st.st_mtim.tv_sec, S.rec_st.st_mtim.tv_nsec,
				(long long)S.rec_st.st_size);
	for (size_t i = 0; i < S.n_ls && len < sizeof(buf) - 200; i++) {
		const struct listener *l = &S.ls[i];
		char a[INET6_ADDRSTRLEN];
		if (!l->udp_err && !l->tcp_err)
			continue;
		listener_str(l, a, sizeof(a));
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "fail %s %s %s\n", a,
					l->udp_err ? "udp" : "tcp",
					strerror(l->udp_err ? l->udp_err : l->tcp_err));
	}
	fd = openat(S.dirfd, "status.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, buf, len) != (ssize_t)len ||
	    renameat(S.dirfd, "status.tmp", S.dirfd, "status") < 0)
		unlinkat(S.dirfd, "status.tmp", 0);
	close(fd);
}

static int dhcp_open(const char *bridge)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(DHCP_SERVER_PORT)};
	int one = 1;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	/* one socket per bridge on the same port: the device binding keeps
	 * them apart (and off the host's other interfaces) */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, bridge, (socklen_t)strlen(bridge) + 1) <
		    0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* A DHCP socket on exactly the bridges that have leases; a bridge not
 * there yet is retried with the failed binds. */
static void sync_dhcp(void)
{
	size_t k = 0;

	for (size_t i = 0; i < S.n_dhcp; i++)
		S.dhcp[i].wanted = false;
	for (size_t n = 0; n < S.rec.n_leases; n++) {
		const char *br = S.rec.leases[n].bridge;
		size_t i;
		for (i = 0; i < S.n_dhcp; i++)
			if (!strcmp(S.dhcp[i].bridge, br))
				break;
		if (i == S.n_dhcp) {
			if (S.n_dhcp == MAX_DHCP)
				continue;
			S.dhcp[S.n_dhcp] = (struct dhcp_sock){.fd = -1};
			snprintf(S.dhcp[S.n_dhcp++].bridge, sizeof(S.dhcp[0].bridge), "%s", br);
		}
		S.dhcp[i].wanted = true;
	}
	for (size_t i = 0; i < S.n_dhcp; i++) {
		if (!S.dhcp[i].wanted) {
			if (S.dhcp[i].fd >= 0)
				close(S.dhcp[i].fd);
			continue;
		}
		if (S.dhcp[i].fd < 0) {
			S.dhcp[i].fd = dhcp_open(S.dhcp[i].bridge);
			if (S.dhcp[i].fd < 0) {
				if (!S.bind_failed)
					logmsg("dhcp on %s: %s (retrying)", S.dhcp[i].bridge,
					       strerror(errno));
				S.bind_failed = true;
			}
		}
		S.dhcp[k++] = S.dhcp[i];
	}
	S.n_dhcp = k;
}

static void on_dhcp(struct dhcp_sock *d)
{
	uint8_t in[1500], out[DHCP_MSG_MAX];
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(DHCP_CLIENT_PORT),
				 .sin_addr.s_addr = htonl(INADDR_BROADCAST)};
	ssize_t n;

	while ((n = recv(d->fd, in, sizeof(in), 0)) > 0) {
		size_t len = dhcp_answer(&S.rec, d->bridge, in, (size_t)n, out, sizeof(out));
		/* broadcast: the client has no address yet (and its ARP
		 * would not answer for one it was only offered) */
		if (len && sendto(d->fd, out, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			logmsg("dhcp on %s: send: %s", d->bridge, strerror(errno));
	}
}

/* Listen on exactly the gateways of the records.  why gets the first
 * failure (empty when none). */
static void sync_listeners(char *why, size_t whysz)
{
	size_t k = 0;

	*why = '\0';
	S.bind_failed = false;
	for (size_t i = 0; i < S.n_ls; i++)
		S.ls[i].wanted = false;
	for (size_t n = 0; n < 2 * S.rec.n_nets; n++) {
		const struct dns_net *net = &S.rec.nets[n / 2];
		bool v6 = n % 2;
		size_t i;
		if (v6 && !net->v6)
			continue;
		for (i = 0; i < S.n_ls; i++)
			if (S.ls[i].v6 == v6 && (v6 ? !memcmp(S.ls[i].addr6, net->gateway6, 16)
						    : S.ls[i].addr == net->gateway))
				break;
		if (i == S.n_ls) {
			if (S.n_ls == MAX_LISTENERS)
				continue;
			S.ls[S.n_ls++] = (struct listener){.udp = -1, .tcp = -1, .v6 = v6};
			if (v6)
				memcpy(S.ls[i].addr6, net->gateway6, 16);
		}
		/* an IPv6 listener answers as the network's IPv4 gateway */
		S.ls[i].addr = net->gateway;
		S.ls[i].wanted = true;
	}
	for (size_t i = 0; i < S.n_ls; i++) {
		char w[200];
		if (!S.ls[i].wanted) {
			listener_close(&S.ls[i]);
			continue;
		}
		if (!listener_open(&S.ls[i], w, sizeof(w))) {
			if (!*why)
				snprintf(why, whysz, "%s", w);
			if (!S.bind_failed)
				logmsg("%s (retrying)", w);
			S.bind_failed = true;
		}
		S.ls[k++] = S.ls[i];
	}
	S.n_ls = k;
	sync_dhcp();
	write_status();
}

/* Reload the records when the file changed.  Returns -1 when it is gone
 * (hako removed it, or the runroot went away): time to leave. */
static int reload(bool force, char *why, size_t whysz)
{
	struct dns_records fresh;
	struct stat st;
	int r;

	*why = '\0';
	if (!force && fstatat(S.dirfd, "records", &st, 0) == 0 && st.st_ino == S.rec_st.st_ino &&
	    st.st_mtim.tv_sec == S.rec_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == S.rec_st.st_mtim.tv_nsec && st.st_size == S.rec_st.st_size) {
		if (S.bind_failed)
			sync_listeners(why, whysz);
		return 0;
	}
	r = read_records(&fresh, &st);
	if (r == -1)
		return errno == ENOENT ? -1 : 0;
	S.rec_st = st;
	if (r == 0) {
		dns_records_free(&S.rec);
		S.rec = fresh;
	}
	sync_listeners(why, whysz);
	return 0;
}

/* ---- upstreams ---- */

static bool is_self(const struct dns_upstream *u)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&u->sa;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&u->sa;

	if (u->sa.ss_family == AF_INET6) {
		if (ntohs(s6->sin6_port) != 53)
			return false;
		for (size_t i = 0; i < S.n_ls; i++)
			if (S.ls[i].v6 && !memcmp(S.ls[i].addr6, s6->sin6_addr.s6_addr, 16))
				return true;
		return false;
	}
	if (u->sa.ss_family != AF_INET || ntohs(s4->sin_port) != 53)
		return false;
	for (size_t i = 0; i < S.n_ls; i++)
		if (!S.ls[i].v6 && S.ls[i].addr == ntohl(s4->sin_addr.s_addr))
			return true;
	return false;
}

static void load_upstreams(void)
{
	struct dns_upstream all[DNS_MAX_UPSTREAMS];
	struct stat st;
	char buf[8192];
	size_t n;
	long long t = now_ms();

	if (S.env_upstream) {
		if (S.resolv_checked)
			return;
		n = dns_upstreams_parse(S.env_upstream, NULL, all, DNS_MAX_UPSTREAMS);
	} else {
		if (S.resolv_checked && t - S.resolv_checked < 1000)
			return;
		if (stat("/etc/resolv.conf", &st) == 0 && S.resolv_checked &&
		    st.st_mtim.tv_sec == S.resolv_mtime.tv_sec &&
		    st.st_mtim.tv_nsec == S.resolv_mtime.tv_nsec) {
			S.resolv_checked = t;
			return;
		}
		int fd = open("/etc/resolv.conf", O_RDONLY | O_CLOEXEC);
		ssize_t l = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		buf[l > 0 ? l : 0] = '\0';
		S.resolv_mtime = st.st_mtim;
		n = dns_upstreams_parse(NULL, buf, all, DNS_MAX_UPSTREAMS);
	}
	S.resolv_checked = t ? t : 1;
	S.n_ups = 0;
	for (size_t i = 0; i < n; i++)
		if (!is_self(&all[i])) /* a resolv.conf naming our own gateway: a loop */
			S.ups[S.n_ups++] = all[i];
}

/* A fresh socket connected to upstream u (so only it can answer), the query
 * sent with id.  -1 on failure. */
static int upstream_send(const struct dns_upstream *u, int type, const uint8_t *q, size_t len,
			 uint16_t id)
{
	uint8_t *m = malloc(len + 2);
	int fd = socket(u->sa.ss_family,
			type | SOCK_CLOEXEC | (type == SOCK_DGRAM ? SOCK_NONBLOCK : 0), 0);
	size_t off = type == SOCK_STREAM ? 2 : 0;
	ssize_t w;

	if (!m)
		abort();
	if (fd < 0) {
		free(m);
		return -1;
	}
	m[0] = (uint8_t)(len >> 8);
	m[1] = (uint8_t)len;
	memcpy(m + 2, q, len);
	m[2] = (uint8_t)(id >> 8);
	m[3] = (uint8_t)id;
	if (type == SOCK_STREAM) {
		struct timeval tv = {.tv_sec = UPSTREAM_WAIT_MS / 1000,
				     .tv_usec = (UPSTREAM_WAIT_MS % 1000) * 1000};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (connect(fd, (const struct sockaddr *)&u->sa, u->len) < 0 && errno != EINPROGRESS)
		goto fail;
	w = send(fd, m + 2 - off, len + off, MSG_NOSIGNAL);
	if (w != (ssize_t)(len + off))
		goto fail;
	free(m);
	return fd;
fail:
	free(m);
	close(fd);
	return -1;
}

/* Is resp the answer to query (same id, a response, the same question)? */
static bool answer_matches(const uint8_t *query, size_t qlen, const uint8_t *resp, size_t rlen,
			   uint16_t id)
{
	struct dns_question a, b;

	if (rlen < DNS_HEADER_LEN || ((resp[0] << 8) | resp[1]) != id || !(resp[2] & 0x80))
		return false;
	/* A truncated answer (TC) may come without its question (RFC 2181
	 * 9 lets a server cut anywhere): the id on a socket connected to that
	 * upstream is all there is to check, and the client must get it to
	 * retry over TCP. */
	if ((resp[2] & (DNS_F_TC >> 8)) && resp[4] == 0 && resp[5] == 0)
		return true;
	if (dns_question_parse(query, qlen, &a) != 0 || dns_question_parse(resp, rlen, &b) != 0)
		return false;
	return a.wire_len == b.wire_len && !memcmp(a.wire, b.wire, a.wire_len) &&
	       a.qtype == b.qtype && a.qclass == b.qclass;
}

/* ---- UDP ---- */

static void send_error(int udp, const struct sockaddr_storage *to, socklen_t tolen,
		       const uint8_t *q, size_t len)
{
	uint8_t out[DNS_UDP_MAX];
	int l = dns_error_response(q, len, DNS_R_SERVFAIL, out, sizeof(out));

	if (l > 0)
		sendto(udp, out, (size_t)l, MSG_NOSIGNAL, (const struct sockaddr *)to, tolen);
}

static void pending_free(struct pending *p)
{
	if (p->fd >= 0)
		close(p->fd);
	free(p->query);
	memset(p, 0, sizeof(*p));
	p->fd = -1;
}

/* Send p's query to its current upstream or the next ones; SERVFAIL and
 * free the slot when none is left. */
static void pending_try(struct pending *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	for (; p->upstream < S.n_ups; p->upstream++) {
		p->up_id = random16();
		p->fd = upstream_send(&S.ups[p->upstream], SOCK_DGRAM, p->query, p->len, p->up_id);
		if (p->fd >= 0) {
			p->deadline = now_ms() + UPSTREAM_WAIT_MS;
			return;
		}
	}
	send_error(p->udp, &p->client, p->client_len, p->query, p->len);
	pending_free(p);
}

static void forward_udp(int udp, const struct sockaddr_storage *from, socklen_t fromlen,
			const uint8_t *q, size_t len)
{
	struct pending *p = NULL;

	load_upstreams();
	for (size_t i = 0; i < MAX_PENDING && !p; i++)
		if (S.pend[i].fd < 0 && !S.pend[i].query)
			p = &S.pend[i];
	if (!p) {
		send_error(udp, from, fromlen, q, len); /* overloaded */
		return;
	}
	p->udp = udp;
	p->client = *from;
	p->client_len = fromlen;
	p->client_id = (uint16_t)((q[0] << 8) | q[1]);
	p->upstream = 0;
	p->query = malloc(len);
	if (!p->query)
		abort();
	memcpy(p->query, q, len);
	p->len = len;
	pending_try(p);
}

/* The querier as dns_answer() sees it: its IPv4 address, or for a client
 * over IPv6 the IPv4 address of the same container (dns_map6).  False for
 * a source that cannot be one (port 0, wrong family). */
static bool client_addr(const struct listener *l, const struct sockaddr_storage *from, socklen_t fl,
			uint32_t *src)
{
	const struct sockaddr_in *f4 = (const struct sockaddr_in *)from;
	const struct sockaddr_in6 *f6 = (const struct sockaddr_in6 *)from;
	uint32_t dst;

	if (l->v6) {
		if (fl != sizeof(*f6) || f6->sin6_family != AF_INET6 || f6->sin6_port == 0)
			return false;
		dns_map6(&S.rec, f6->sin6_addr.s6_addr, l->addr6, src, &dst);
		return true; /* an unknown querier maps to 0: REFUSED */
	}
	if (fl != sizeof(*f4) || f4->sin_family != AF_INET || f4->sin_port == 0)
		return false;
	*src = ntohl(f4->sin_addr.s_addr);
	return true;
}

static void on_udp(struct listener *l)
{
	uint8_t in[4096], out[4096];
	struct sockaddr_storage from;

	for (int burst = 0; burst < 64; burst++) {
		socklen_t fl = sizeof(from);
		size_t olen = 0;
		uint32_t src;
		ssize_t n = recvfrom(l->udp, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		if (!client_addr(l, &from, fl, &src))
			continue;
		switch (dns_answer(&S.rec, src, l->addr, in, (size_t)n, out, DNS_UDP_MAX, &olen)) {
		case DNS_ANSWERED:
			sendto(l->udp, out, olen, MSG_NOSIGNAL, (struct sockaddr *)&from, fl);
			break;
		case DNS_FORWARD:
			forward_udp(l->udp, &from, fl, in, (size_t)n);
			break;
		case DNS_DROP:
			break;
		}
	}
}

static void on_upstream(struct pending *p)
{
	/* the largest datagram: an EDNS answer bigger than a page must not be
	 * cut (a cut message with TC clear is worse than none) */
	static uint8_t buf[MSG_MAX];
	ssize_t n = recv(p->fd, buf, sizeof(buf), 0);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		p->upstream++; /* ECONNREFUSED (ICMP): the next one at once */
		pending_try(p);
		return;
	}
	if (!answer_matches(p->query, p->len, buf, (size_t)n, p->up_id))
		return; /* not the answer: keep waiting until the deadline */
	buf[0] = (uint8_t)(p->client_id >> 8);
	buf[1] = (uint8_t)p->client_id;
	sendto(p->udp, buf, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&p->client, p->client_len);
	pending_free(p);
}

/* ---- TCP (a child per connection) ---- */

static int read_full(int fd, uint8_t *buf, size_t len, int timeout_ms)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;
		int r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			errno = r == 0 ? ETIMEDOUT : errno;
			return -1;
		}
		n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			errno = n == 0 ? ECONNRESET : errno;
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

static int write_msg(int fd, const uint8_t *m, size_t len)
{
	uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};

	if (send(fd, hdr, 2, MSG_NOSIGNAL | MSG_MORE) != 2)
		return -1;
	return send(fd, m, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* The answer of upstream u over UDP into out (MSG_MAX bytes): for a TCP
 * client whose upstream takes no TCP (a resolver that refuses it, a
 * firewall); a truncated answer is passed on as it is.  Its length or -1. */
static ssize_t ask_udp(const struct dns_upstream *u, const uint8_t *q, size_t len, uint8_t *out)
{
	uint16_t id = random16();
	long long deadline = now_ms() + UPSTREAM_WAIT_MS;
	int fd = upstream_send(u, SOCK_DGRAM, q, len, id);

	if (fd < 0)
		return -1;
	for (long long left; (left = deadline - now_ms()) > 0;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;
		if (poll(&pfd, 1, (int)left) <= 0)
			break;
		n = recv(fd, out, MSG_MAX, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			break; /* ECONNREFUSED: nobody there either */
		if (answer_matches(q, len, out, (size_t)n, id)) {
			close(fd);
			return n;
		}
	}
	close(fd);
	return -1;
}

/* The upstreams' answer into out; its length or -1.  Each upstream is
 * asked over TCP first; when it refuses the connection (or drops it before
 * any answer), over UDP. */
static ssize_t forward_tcp(const uint8_t *q, size_t len, uint8_t *out)
{
	load_upstreams();
	for (size_t i = 0; i < S.n_ups; i++) {
		uint16_t id = random16();
		uint8_t hdr[2];
		size_t rl;
		ssize_t n;
		int fd = upstream_send(&S.ups[i], SOCK_STREAM, q, len, id);
		if (fd >= 0) {
			int got = read_full(fd, hdr, 2, UPSTREAM_WAIT_MS);
			int e = errno;
			if (got == 0 && (rl = (size_t)((hdr[0] << 8) | hdr[1])) >= DNS_HEADER_LEN &&
			    read_full(fd, out, rl, UPSTREAM_WAIT_MS) == 0 &&
			    answer_matches(q, len, out, rl, id)) {
				close(fd);
				out[0] = q[0];
				out[1] = q[1];
				return (ssize_t)rl;
			}
			close(fd);
			/* connected, and then silence: no second wait */
			if (got == 0 || e == EAGAIN || e == ETIMEDOUT)
				continue;
		}
		n = ask_udp(&S.ups[i], q, len, out);
		if (n >= 0) {
			out[0] = q[0];
			out[1] = q[1];
			return n;
		}
	}
	return -1;
}

static void serve_tcp(int fd, uint32_t src, uint32_t dst)
{
	uint8_t *in = malloc(MSG_MAX), *out = malloc(MSG_MAX);

	if (!in || !out)
		_exit(1);
	for (;;) {
		uint8_t hdr[2];
		size_t len, olen = 0;
		ssize_t fl;
		if (read_full(fd, hdr, 2, TCP_IDLE_MS) < 0)
			break;
		len = (size_t)((hdr[0] << 8) | hdr[1]);
		if (len < DNS_HEADER_LEN || read_full(fd, in, len, TCP_IDLE_MS) < 0)
			break;
		switch (dns_answer(&S.rec, src, dst, in, len, out, MSG_MAX, &olen)) {
		case DNS_ANSWERED:
			break;
		case DNS_FORWARD:
			fl = forward_tcp(in, len, out);
			if (fl < 0) {
				int l = dns_error_response(in, len, DNS_R_SERVFAIL, out, MSG_MAX);
				if (l < 0)
					goto out;
				fl = l;
			}
			olen = (size_t)fl;
			break;
		case DNS_DROP:
			goto out;
		}
		if (write_msg(fd, out, olen) < 0)
			break;
	}
out:
	free(in);
	free(out);
}

static void on_tcp(struct listener *l)
{
	for (int burst = 0; burst < 16; burst++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		int c = accept4(l->tcp, (struct sockaddr *)&from, &fl, SOCK_CLOEXEC);
		uint32_t src = 0;
		pid_t pid;
		if (c < 0)
			return;
		if (S.tcp_children >= MAX_TCP_CHILDREN || !client_addr(l, &from, fl, &src)) {
			close(c);
			continue;
		}
		pid = fork();
		if (pid == 0) {
			sigset_t none;
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			signal(SIGTERM, SIG_DFL);
			/* nothing of the parent's but the connection (our
			 * POSIX lock is not inherited, closing is harmless) */
			if (dup2(c, 3) < 0)
				_exit(1);
			close_range(4, ~0u, 0);
			serve_tcp(3, src, l->addr);
			_exit(0);
		}
		if (pid > 0)
			S.tcp_children++;
		close(c);
	}
}

/* ---- main loop ---- */

static int lock_dir(int dirfd)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int fd = openat(dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		close(fd);
		return -2;
	}
	return fd;
}

static void ready(int *fd, const char *msg)
{
	if (*fd < 0)
		return;
	if (write(*fd, msg, strlen(msg)) < 0) {
		/* the starter is gone: nobody to tell */
	}
	close(*fd);
	*fd = -1;
}

int main(int argc, char **argv)
{
	struct pollfd pfd[2 + 2 * MAX_LISTENERS + MAX_PENDING + MAX_DHCP];
	struct pending *pmap[MAX_PENDING];
	sigset_t mask;
	char why[256];
	int ready_fd = argc > 2 ? atoi(argv[2]) : -1;
	int lock_fd, sfd, ifd;
	long long next_check;

	if (argc < 2) {
		fprintf(stderr, "usage: hako-dns DIR [READY-FD]\n");
		return 2;
	}
	if (ready_fd <= 2)
		ready_fd = -1;
	signal(SIGPIPE, SIG_IGN);
	S.env_upstream = getenv("HAKO_DNS_UPSTREAM");
	if (S.env_upstream && !*S.env_upstream)
		S.env_upstream = NULL;
	for (size_t i = 0; i < MAX_PENDING; i++)
		S.pend[i].fd = -1;
	S.dirfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (S.dirfd < 0) {
		snprintf(why, sizeof(why), "error open %s: %s\n", argv[1], strerror(errno));
		ready(&ready_fd, why);
		return 1;
	}
	lock_fd = lock_dir(S.dirfd);
	if (lock_fd == -2) {
		ready(&ready_fd, "running\n"); /* another one holds the lock */
		return 0;
	}
	if (lock_fd < 0) {
		snprintf(why, sizeof(why), "error lock %s/lock: %s\n", argv[1], strerror(errno));
		ready(&ready_fd, why);
		return 1;
	}
	{
		/* the pid for people; hako asks the kernel (F_GETLK) */
		char pid[24];
		int l = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
		if (ftruncate(lock_fd, 0) < 0 || pwrite(lock_fd, pid, (size_t)l, 0) < 0) {
			/* cosmetic only */
		}
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ifd >= 0 && inotify_add_watch(ifd, argv[1],
					  IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE |
						  IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
		close(ifd);
		ifd = -1;
	}
	if (sfd < 0 || reload(true, why, sizeof(why)) < 0) {
		ready(&ready_fd, "error no records file\n");
		return 1;
	}
	{
		char msg[300];
		snprintf(msg, sizeof(msg), *why ? "warn %s\n" : "ok\n", why);
		ready(&ready_fd, msg);
	}
	logmsg("started, pid %d, %zu network(s)", (int)getpid(), S.rec.n_nets);
	next_check = now_ms() + RECHECK_MS;

	for (;;) {
		nfds_t n = 0;
		size_t np = 0;
		long long t = now_ms(), wait = next_check - t;
		int r;

		pfd[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = ifd, .events = POLLIN};
		for (size_t i = 0; i < S.n_ls; i++) {
			pfd[n++] = (struct pollfd){.fd = S.ls[i].udp, .events = POLLIN};
			pfd[n++] = (struct pollfd){.fd = S.ls[i].tcp, .events = POLLIN};
		}
		for (size_t i = 0; i < MAX_PENDING; i++) {
			if (S.pend[i].fd < 0)
				continue;
			if (S.pend[i].deadline - t < wait)
				wait = S.pend[i].deadline - t;
			pmap[np++] = &S.pend[i];
			pfd[n++] = (struct pollfd){.fd = S.pend[i].fd, .events = POLLIN};
		}
		size_t dh = n;
		for (size_t i = 0; i < S.n_dhcp; i++)
			pfd[n++] = (struct pollfd){.fd = S.dhcp[i].fd, .events = POLLIN};
		r = poll(pfd, n, wait < 0 ? 0 : (int)wait);
		if (r < 0 && errno != EINTR) {
			logmsg("poll: %s", strerror(errno));
			return 1;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD) {
					while (waitpid(-1, NULL, WNOHANG) > 0)
						S.tcp_children--;
					continue;
				}
				if (si.ssi_signo == SIGHUP)
					continue;
				logmsg("stopping (signal %u)", si.ssi_signo);
				return 0;
			}
		}
		if (ifd >= 0 && (pfd[1].revents & POLLIN)) {
			char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
			bool gone = false, changed = false;
			ssize_t l;
			while ((l = read(ifd, ev, sizeof(ev))) > 0) {
				for (char *p = ev; p < ev + l;) {
					struct inotify_event *e = (struct inotify_event *)p;
					if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
						gone = true;
					else if (e->len && !strcmp(e->name, "records"))
						changed = true;
					p += sizeof(*e) + e->len;
				}
			}
			if (gone) {
				logmsg("stopping: %s is gone", argv[1]);
				return 0;
			}
			if (changed && reload(false, why, sizeof(why)) < 0) {
				logmsg("stopping: the records file is gone");
				return 0;
			}
			continue; /* the listener array may have moved */
		}
		for (size_t i = 0; i < S.n_ls; i++) {
			if (pfd[2 + 2 * i].revents & POLLIN)
				on_udp(&S.ls[i]);
			if (pfd[3 + 2 * i].revents & POLLIN)
				on_tcp(&S.ls[i]);
		}
		for (size_t i = 0; i < S.n_dhcp; i++)
			if (pfd[dh + i].fd == S.dhcp[i].fd && S.dhcp[i].fd >= 0 &&
			    (pfd[dh + i].revents & POLLIN))
				on_dhcp(&S.dhcp[i]);
		t = now_ms();
		for (size_t i = 0; i < np; i++) {
			struct pending *p = pmap[i];
			if (p->fd < 0 || pfd[2 + 2 * S.n_ls + i].fd != p->fd)
				continue;
			if (pfd[2 + 2 * S.n_ls + i].revents & (POLLIN | POLLERR))
				on_upstream(p);
			else if (p->deadline <= t) {
				p->upstream++;
				pending_try(p);
			}
		}
		if (t >= next_check) {
			next_check = t + RECHECK_MS;
			if (reload(false, why, sizeof(why)) < 0) {
				logmsg("stopping: the records file is gone");
				return 0;
			}
		}
	}
}
