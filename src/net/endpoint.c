/* hako net: connecting containers to networks (veth, IPAM, ports). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/net_priv.h"
#include "net/nl.h"
#include "util/json.h"
#include "util/log.h"
#include "util/util.h"
#include "util/trace.h"

void net_endpoint_free(struct net_endpoint *ep)
{
	if (!ep)
		return;
	free(ep->network);
	free(ep->network_id);
	strv_free(ep->aliases);
	free(ep->ifname);
	free(ep->veth);
	free(ep->ip);
	free(ep->gateway);
	free(ep->ip6);
	free(ep->gateway6);
	free(ep->mac);
	free(ep->ports);
	free(ep);
}

void net_endpoint_freep(struct net_endpoint **ep)
{
	net_endpoint_free(*ep);
	*ep = NULL;
}

void net_endpoints_free(struct net_endpoint **eps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		net_endpoint_free(eps[i]);
	free(eps);
}

/* ---- addresses ---- */

/* The lowest free host address of r (or the requested one, checked). */
static int ip_allocate(struct net_ctx *ctx, const struct net_rec *r, const char *requested,
		       uint32_t *out, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	uint32_t size = 1u << (32 - r->prefix);
	_cleanup_free_ unsigned char *used = xzalloc(size / 8 + 1);
	uint32_t want = 0;

#define MARK(i)	  (used[(i) / 8] |= (unsigned char)(1u << ((i) % 8)))
#define MARKED(i) (used[(i) / 8] & (1u << ((i) % 8)))
	MARK(0);
	MARK(size - 1);
	MARK(r->gateway - r->subnet);
	if (r->aux) {
		/* --aux-address: reserved */
		_cleanup_json_ json_object *aux = json_tokener_parse(r->aux);
		json_object_object_foreach(aux, k, v)
		{
			uint32_t ip;
			(void)k;
			if (net_ip_parse(json_object_get_string(v), &ip) == 0 &&
			    (ip & net_mask(r->prefix)) == r->subnet)
				MARK(ip - r->subnet);
		}
	}
	if (db_prepare(ctx->db, "SELECT ip FROM endpoints WHERE network = ?", &s, err) < 0)
		return -1;
	sqlite3_bind_text(s, 1, r->name, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		uint32_t ip;
		if (net_ip_parse((const char *)sqlite3_column_text(s, 0), &ip) == 0 &&
		    (ip & net_mask(r->prefix)) == r->subnet)
			MARK(ip - r->subnet);
	}
	if (requested) {
		if (net_ip_parse(requested, &want) < 0)
			return hk_error_set(err, 0, "invalid address '%s'", requested);
		if ((want & net_mask(r->prefix)) != r->subnet)
			return hk_error_set(err, 0, "address %s is not in the subnet of network %s",
					    requested, r->name);
		if (MARKED(want - r->subnet))
			return hk_error_set(err, 0, "address %s is already in use on network %s",
					    requested, r->name);
		*out = want;
		return 0;
	}
	/* dynamic addresses from --ip-range when given, else the subnet */
	uint32_t lo = 1, hi = size - 1;
	if (r->range_prefix) {
		lo = r->range - r->subnet;
		hi = lo + (1u << (32 - r->range_prefix));
		lo = lo ? lo : 1;
		hi = hi < size - 1 ? hi : size - 1;
	}
	for (uint32_t i = lo; i < hi; i++) {
		if (!MARKED(i)) {
			*out = r->subnet + i;
			return 0;
		}
	}
	return hk_error_set(err, 0, "network %s has no free address left%s", r->name,
			    r->range_prefix ? " in its --ip-range" : "");
#undef MARK
#undef MARKED
}

/* The IPv6 address of a new endpoint of r (requested, or the lowest free);
 * *out NULL when r has no IPv6. */
static int ip6_allocate(struct net_ctx *ctx, const struct net_rec *r, const char *requested,
			char **out, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	_cleanup_free_ uint8_t(*used)[16] = NULL;
	size_t n = 0;
	uint8_t a[16];

	*out = NULL;
	if (!r->v6) {
		if (requested)
			return hk_error_set(err, 0,
					    "--ip6 %s: network %s has no IPv6 (create it with"
					    " --ipv6)",
					    requested, r->name);
		return 0;
	}
	if (db_prepare(ctx->db, "SELECT ip6 FROM endpoints WHERE network = ? AND ip6 IS NOT NULL",
		       &s, err) < 0)
		return -1;
	sqlite3_bind_text(s, 1, r->name, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		used = xrealloc(used, (n + 1) * sizeof(*used));
		if (net_ip6_parse((const char *)sqlite3_column_text(s, 0), used[n]) == 0)
			n++;
	}
	if (net_ip6_alloc(r->subnet6, r->prefix6, r->gateway6, (const uint8_t(*)[16])used, n,
			  requested, a, err) < 0)
		return hk_error_wrap(err, "network %s", r->name);
	*out = net_ip6_str(a);
	return 0;
}

static int mac_parse(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6 ||
	    strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	/* a multicast address cannot be an interface's */
	return (mac[0] & 1) ? -1 : 0;
}

/* ---- published ports ---- */

/* "N" or "N-M" (1..65535, N <= M) into *lo, *hi. */
static int range_parse(const char *s, uint16_t *lo, uint16_t *hi)
{
	const char *dash = strchr(s, '-');
	_cleanup_free_ char *a = dash ? xstrndup(s, (size_t)(dash - s)) : xstrdup(s);
	long long x, y;

	if (parse_ll(a, 1, 65535, &x) < 0 || parse_ll(dash ? dash + 1 : a, 1, 65535, &y) < 0 ||
	    y < x)
		return -1;
	*lo = (uint16_t)x;
	*hi = (uint16_t)y;
	return 0;
}

int net_ports_parse(const char *spec, struct net_port **ports, size_t *n, struct hk_error **err)
{
	_cleanup_free_ char *s = xstrdup(spec);
	char *proto = strchr(s, '/'), *parts[3] = {0}, *rest = s, *ip6 = NULL;
	uint16_t clo, chi, hlo = 0, hhi = 0;
	struct net_port base = {0};
	int k = 0;

	/* an IPv6 host address in brackets, as docker's -p [::1]:8080:80 */
	if (*s == '[') {
		char *end = strchr(s, ']');
		if (!end || end[1] != ':')
			return hk_error_set(
				err, 0, "invalid port '%s': expected [IPV6]:HOST:CONTAINER", spec);
		*end = '\0';
		ip6 = s + 1;
		rest = end + 2;
		proto = strchr(rest, '/');
	}

	strcpy(base.proto, "tcp");
	if (proto) {
		*proto++ = '\0';
		if (strcmp(proto, "tcp") && strcmp(proto, "udp"))
			return hk_error_set(err, 0,
					    "invalid port '%s': protocol must be tcp or udp", spec);
		strcpy(base.proto, proto);
	}
	if (ip6)
		parts[k++] = ip6;
	for (char *p = rest, *c; k < 3; p = c + 1) {
		parts[k++] = p;
		if (!(c = strchr(p, ':')))
			break;
		*c = '\0';
		if (k == 3)
			return hk_error_set(err, 0, "invalid port '%s': too many ':'", spec);
	}
	if (range_parse(parts[k - 1], &clo, &chi) < 0)
		return hk_error_set(err, 0,
				    "invalid port '%s': container port must be 1..65535"
				    " (or a range N-M)",
				    spec);
	if (k >= 2 && *parts[k - 2] && range_parse(parts[k - 2], &hlo, &hhi) < 0)
		return hk_error_set(
			err, 0, "invalid port '%s': host port must be 1..65535 (or a range N-M)",
			spec);
	if (k == 3 && *parts[0]) {
		uint32_t ip;
		uint8_t a6[16];
		static const uint8_t any6[16], lo6[16] = {[15] = 1};
		if (ip6 && net_ip6_parse(parts[0], a6) == 0) {
			/* the kernel drops packets to or from ::1 on any other
			 * interface, and IPv6 has no route_localnet: a DNAT from
			 * the host's loopback to a container cannot work */
			if (!memcmp(a6, lo6, 16))
				return hk_error_set(err, 0,
						    "invalid port '%s': the IPv6 loopback [::1]"
						    " cannot be published (the kernel routes no"
						    " ::1 traffic off the host's loopback); use"
						    " 127.0.0.1 or another address",
						    spec);
			if (memcmp(a6, any6, 16)) {
				_cleanup_free_ char *c = net_ip6_str(a6);
				snprintf(base.host_ip, sizeof(base.host_ip), "%s", c);
			}
		} else if (ip6 || net_ip_parse(parts[0], &ip) < 0) {
			return hk_error_set(err, 0, "invalid port '%s': bad host address '%s'",
					    spec, parts[0]);
		} else if (ip != 0) {
			snprintf(base.host_ip, sizeof(base.host_ip), "%s", parts[0]);
		}
	}
	/* docker's forms: ranges of equal length map one to one; a host range
	 * for one container port means "the first free port of the range" */
	if (chi > clo && hlo && hhi - hlo != chi - clo)
		return hk_error_set(err, 0,
				    "invalid port '%s': the host and container ranges differ in"
				    " length",
				    spec);
	for (uint32_t c = clo; c <= chi; c++) {
		struct net_port *p;
		*ports = xrealloc(*ports, (*n + 1) * sizeof(**ports));
		p = &(*ports)[(*n)++];
		*p = base;
		p->container_port = (uint16_t)c;
		if (chi > clo) {
			p->host_port = hlo ? (uint16_t)(hlo + (c - clo)) : 0;
		} else {
			p->host_port = hlo;
			p->host_port_last = hhi > hlo ? hhi : 0;
		}
	}
	return 0;
}

int net_port_parse(const char *spec, struct net_port *out, struct hk_error **err)
{
	_cleanup_free_ struct net_port *ports = NULL;
	size_t n = 0;

	if (net_ports_parse(spec, &ports, &n, err) < 0)
		return -1;
	if (n != 1)
		return hk_error_set(err, 0, "invalid port '%s': one port expected, not a range",
				    spec);
	*out = ports[0];
	return 0;
}

/* Is the host port free?  Bind it once (in the namespace of the caller):
 * a listener already there would otherwise silently lose its traffic to the
 * DNAT rule.  Port 0 picks a free port. */
static int port_probe_one(struct net_port *p, struct hk_error **err)
{
	bool tcp = !strcmp(p->proto, "tcp"), v6 = strchr(p->host_ip, ':') != NULL;
	struct sockaddr_in sa4 = {.sin_family = AF_INET, .sin_port = htons(p->host_port)};
	struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6, .sin6_port = htons(p->host_port)};
	struct sockaddr *sa = v6 ? (struct sockaddr *)&sa6 : (struct sockaddr *)&sa4;
	socklen_t len = v6 ? sizeof(sa6) : sizeof(sa4);
	_cleanup_close_ int fd =
		socket(v6 ? AF_INET6 : AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	int one = 1;
	const char *where = *p->host_ip ? p->host_ip : "0.0.0.0";

	if (fd < 0)
		return hk_error_errno(err, "socket");
	if (v6)
		inet_pton(AF_INET6, p->host_ip, &sa6.sin6_addr);
	else if (*p->host_ip)
		inet_pton(AF_INET, p->host_ip, &sa4.sin_addr);
	/* TIME_WAIT leftovers of a previous container are not "in use". */
	if (tcp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, sa, len) < 0) {
		if (errno == EADDRINUSE)
			return hk_error_set(
				err, EADDRINUSE,
				"host port %s:%u/%s is already in use by another program", where,
				p->host_port, p->proto);
		if (errno == EADDRNOTAVAIL)
			return hk_error_set(
				err, 0,
				"host address %s (port %u/%s) is not an address of this host",
				where, p->host_port, p->proto);
		return hk_error_errno(err, "bind host port %s:%u/%s", where, p->host_port,
				      p->proto);
	}
	if (!p->host_port) {
		if (getsockname(fd, sa, &len) < 0)
			return hk_error_errno(err, "getsockname");
		p->host_port = ntohs(v6 ? sa6.sin6_port : sa4.sin_port);
	}
	return 0;
}

/* Is the host port free?  Bind it once (in the namespace of the caller):
 * a listener already there would otherwise silently lose its traffic to the
 * DNAT rule.  Port 0 picks a free port; a range (host_port_last) its first
 * free one (taken tells which are published already). */
static int port_probe(struct net_port *p, bool (*taken)(void *, const struct net_port *), void *arg,
		      struct hk_error **err)
{
	uint16_t first = p->host_port, last = p->host_port_last;

	if (!last)
		return port_probe_one(p, err);
	for (uint32_t port = first; port <= last; port++) {
		_cleanup_error_ struct hk_error *e = NULL;
		p->host_port = (uint16_t)port;
		p->host_port_last = 0;
		if (!taken(arg, p) && port_probe_one(p, &e) == 0)
			return 0;
		if (e && e->errnum != EADDRINUSE) {
			*err = steal_ptr(&e);
			return -1;
		}
	}
	p->host_port = first;
	p->host_port_last = last;
	return hk_error_set(err, 0, "no free host port in %u-%u/%s", first, last, p->proto);
}

struct ports_taken {
	struct net_ctx *ctx;
	sqlite3_stmt *s;
	const struct net_port *ports; /* the ones before, of this container */
	size_t n;
};

/* The container id that publishes p's host port already, or NULL. */
static const char *published_by(struct ports_taken *t, const struct net_port *p)
{
	for (size_t j = 0; j < t->n; j++)
		if (t->ports[j].host_port == p->host_port && !strcmp(t->ports[j].proto, p->proto))
			return "";
	sqlite3_reset(t->s);
	sqlite3_bind_int(t->s, 1, p->host_port);
	sqlite3_bind_text(t->s, 2, p->proto, -1, SQLITE_STATIC);
	sqlite3_bind_text(t->s, 3, p->host_ip, -1, SQLITE_STATIC);
	if (sqlite3_step(t->s) == SQLITE_ROW)
		return (const char *)sqlite3_column_text(t->s, 0);
	return NULL;
}

static bool port_taken(void *arg, const struct net_port *p)
{
	return published_by(arg, p) != NULL;
}

static int ports_check(struct net_ctx *ctx, struct net_port *ports, size_t n, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	struct ports_taken t = {ctx, NULL, ports, 0};

	if (db_prepare(ctx->db,
		       "SELECT container_id FROM net_ports WHERE host_port = ?1 AND proto = ?2"
		       " AND (host_ip = ?3 OR host_ip = '' OR ?3 = '')",
		       &s, err) < 0)
		return -1;
	t.s = s;
	for (size_t i = 0; i < n; i++) {
		struct net_port *p = &ports[i];
		const char *by;
		t.n = i;
		if (p->host_port && !p->host_port_last && (by = published_by(&t, p))) {
			if (!*by)
				return hk_error_set(err, 0, "host port %u/%s is published twice",
						    p->host_port, p->proto);
			return hk_error_set(
				err, 0, "host port %u/%s is already published by container %.12s",
				p->host_port, p->proto, by);
		}
		if (port_probe(p, port_taken, &t, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- connect ---- */

static char *pick_ifname(struct net_ctx *ctx, const char *cid)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	unsigned long long used = 0;

	if (sqlite3_prepare_v2(ctx->db, "SELECT ifname FROM endpoints WHERE container_id = ?", -1,
			       &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, cid, -1, SQLITE_STATIC);
		while (sqlite3_step(s) == SQLITE_ROW) {
			unsigned n;
			const char *t = (const char *)sqlite3_column_text(s, 0);
			if (t && sscanf(t, "eth%u", &n) == 1 && n < 64)
				used |= 1ull << n;
		}
	}
	for (unsigned i = 0; i < 64; i++)
		if (!(used & (1ull << i)))
			return xasprintf("eth%u", i);
	return xstrdup("eth64");
}

static char *strv_json(char **v)
{
	_cleanup_json_ json_object *a = json_object_new_array();

	for (char **p = v; p && *p; p++)
		json_object_array_add(a, json_object_new_string(*p));
	return json_to_string(a, false);
}

struct ep_row {
	const char *cid, *network, *ip, *mac, *aliases, *veth, *ifname, *name, *ip6;
};

static int record_endpoint(struct net_ctx *ctx, const struct ep_row *e,
			   const struct net_connect_opts *o, const struct net_port *ports,
			   size_t n_ports, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL, *p = NULL, *h = NULL;
	_cleanup_free_ char *extra = o->extra_hosts ? strv_json(o->extra_hosts) : NULL;

	if (db_prepare(ctx->db,
		       "INSERT INTO endpoints (container_id, network, ip, mac, aliases, veth,"
		       " ifname, name, ip6) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		       &s, err) < 0)
		return -1;
	sqlite3_bind_text(s, 9, e->ip6, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 1, e->cid, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, e->network, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, e->ip, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, e->mac, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, e->aliases, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, e->veth, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, e->ifname, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, e->name, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(ctx->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
			return hk_error_set(err, 0,
					    "container %.12s is already connected to "
					    "network %s",
					    e->cid, e->network);
		return db_error(ctx->db, err, "database: %s", "insert endpoint");
	}
	if (db_prepare(ctx->db,
		       "INSERT INTO net_ports (container_id, network, host_ip, host_port,"
		       " container_port, proto) VALUES (?, ?, ?, ?, ?, ?)",
		       &p, err) < 0)
		return -1;
	for (size_t i = 0; i < n_ports; i++) {
		sqlite3_reset(p);
		sqlite3_bind_text(p, 1, e->cid, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 2, e->network, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 3, ports[i].host_ip, -1, SQLITE_STATIC);
		sqlite3_bind_int(p, 4, ports[i].host_port);
		sqlite3_bind_int(p, 5, ports[i].container_port);
		sqlite3_bind_text(p, 6, ports[i].proto, -1, SQLITE_STATIC);
		if (sqlite3_step(p) != SQLITE_DONE)
			return hk_error_set(err, 0, "host port %u/%s is already published",
					    ports[i].host_port, ports[i].proto);
	}
	if (db_prepare(ctx->db,
		       "INSERT INTO net_hosts (container_id, name, hostname, hosts_path,"
		       " extra_hosts) VALUES (?1, ?2, ?3, ?4, coalesce(?5, '[]'))"
		       " ON CONFLICT (container_id) DO UPDATE SET"
		       " name = coalesce(?2, name), hostname = coalesce(?3, hostname),"
		       " hosts_path = coalesce(?4, hosts_path),"
		       " extra_hosts = coalesce(?5, extra_hosts)",
		       &h, err) < 0)
		return -1;
	sqlite3_bind_text(h, 1, e->cid, -1, SQLITE_STATIC);
	sqlite3_bind_text(h, 2, o->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(h, 3, o->hostname, -1, SQLITE_STATIC);
	sqlite3_bind_text(h, 4, o->hosts_path, -1, SQLITE_STATIC);
	sqlite3_bind_text(h, 5, extra, -1, SQLITE_STATIC);
	if (sqlite3_step(h) != SQLITE_DONE)
		return db_error(ctx->db, err, "database: %s", "record hosts");
	return 0;
}

/* Inside the container, in one netlink batch: loopback up, the address,
 * the link up, the default route (the first network with a way out gives
 * it; later ones find it there, EEXIST, ignored; internal networks never). */
static int configure_inside(int nsfd, const char *ifname, uint32_t ip, const char *ip6,
			    const struct net_rec *r, struct hk_error **err)
{
	struct nl_ip6 v6 = {.prefix = r->prefix6, .has_gw = !r->internal};
	struct nl nl = {.fd = -1};
	struct in_addr a = {.s_addr = htonl(ip)};
	struct in_addr gw = {.s_addr = r->internal ? 0 : htonl(r->gateway)};
	int idx, rc = -1;

	if (nl_open(&nl, nsfd, err) < 0)
		return -1;
	if ((idx = nl_link_index(&nl, ifname, err)) <= 0) {
		if (idx == 0)
			hk_error_set(err, ENODEV, "%s did not appear in the container", ifname);
		goto out;
	}
	if (ip6) {
		inet_pton(AF_INET6, ip6, &v6.addr);
		memcpy(v6.gw.s6_addr, r->gateway6, 16);
	}
	rc = nl_iface_setup6(&nl, idx, a, r->prefix, gw, ip6 ? &v6 : NULL, err);
out:
	nl_close(&nl);
	return rc;
}

static int same_netns(int nsfd)
{
	struct stat a, b;

	if (fstat(nsfd, &a) < 0 || stat("/proc/self/ns/net", &b) < 0)
		return -1;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int fill_endpoint(struct net_endpoint **out, const struct net_rec *r, const char *ifname,
			 const char *veth, const char *ip, const char *ip6, const char *mac,
			 const struct net_port *ports, size_t n_ports)
{
	struct net_endpoint *ep = xzalloc(sizeof(*ep));

	ep->network = xstrdup(r->name);
	ep->ifname = xstrdup(ifname);
	ep->veth = xstrdup(veth);
	ep->ip = xstrdup(ip);
	ep->prefix = r->prefix;
	ep->gateway = r->internal ? NULL : net_ip_str(r->gateway);
	ep->mac = xstrdup(mac);
	if (ip6) {
		ep->ip6 = xstrdup(ip6);
		ep->prefix6 = r->prefix6;
		ep->gateway6 = r->internal ? NULL : net_ip6_str(r->gateway6);
	}
	if (n_ports) {
		ep->ports = xmalloc(n_ports * sizeof(*ports));
		memcpy(ep->ports, ports, n_ports * sizeof(*ports));
	}
	ep->n_ports = n_ports;
	*out = ep;
	return 0;
}

/* A tap device named name on bridge br (up), for a VM: not persistent, so
 * it lives exactly as long as an fd to it (QEMU's, once handed over) and
 * repair finds its endpoint gone with it, as a container's veth. */
static int tap_make(struct nl *nl, const char *name, int br, int *out, struct hk_error **err)
{
	struct ifreq ifr = {0};
	_cleanup_close_ int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	int idx;

	if (fd < 0)
		return hk_error_errno(err, "open /dev/net/tun");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return hk_error_errno(err, "tap %s", name);
	if ((idx = nl_link_index(nl, name, err)) <= 0)
		return idx == 0 ? hk_error_set(err, ENODEV, "tap %s vanished", name) : -1;
	if (nl_link_set(nl, idx, &(struct nl_link_change){.master = br, .netns_fd = -1, .up = true},
			err) < 0)
		return -1;
	*out = steal_fd(&fd);
	return 0;
}

static int connect_locked(struct net_ctx *ctx, struct nl *nl, const char *cid, const char *network,
			  int nsfd, const struct net_connect_opts *o, int *tapfd,
			  struct net_endpoint **out, struct hk_error **err)
{
	struct net_rec r = {0};
	_cleanup_free_ struct net_port *ports = NULL;
	_cleanup_free_ char *ifname = NULL, *ipstr = NULL, *macstr = NULL, *aliases = NULL;
	_cleanup_free_ char *fw = NULL, *ip6str = NULL;
	char veth[16] = "hkv";
	uint8_t mac[6];
	uint32_t ip = 0;
	int br, rc = -1;
	bool brought_up = false;

	if (str_eq(network, NET_DEFAULT_NAME) && net_ensure_default_locked(ctx, err) < 0)
		return -1;
	if (net_rec_get(ctx, network, &r, err) < 0)
		return -1;
	if (o->mac && mac_parse(o->mac, mac) < 0) {
		hk_error_set(err, 0, "invalid MAC address '%s'", o->mac);
		goto out;
	}
	if (o->n_ports && r.internal && !o->ports_if_routed) {
		hk_error_set(err, 0, "network %s is internal: no port can be published on it",
			     r.name);
		goto out;
	}
	for (size_t i = 0; i < o->n_ports && !r.v6 && !r.internal; i++)
		if (strchr(o->ports[i].host_ip, ':')) {
			hk_error_set(err, 0,
				     "port %u/%s on host address %s: network %s has no IPv6 (create"
				     " it with --ipv6)",
				     o->ports[i].container_port, o->ports[i].proto,
				     o->ports[i].host_ip, r.name);
			goto out;
		}
	if (o->n_ports && !r.internal) {
		ports = xmalloc(o->n_ports * sizeof(*ports));
		memcpy(ports, o->ports, o->n_ports * sizeof(*ports));
		if (ports_check(ctx, ports, o->n_ports, err) < 0)
			goto out;
	}

	/* The address and the rows in one transaction: UNIQUE (network, ip)
	 * and the lock make sure no address is handed out twice. */
	if (db_begin_immediate(ctx->db, err) < 0)
		goto out;
	if (ip_allocate(ctx, &r, o->ip, &ip, err) < 0 ||
	    ip6_allocate(ctx, &r, o->ip6, &ip6str, err) < 0)
		goto rollback;
	ipstr = net_ip_str(ip);
	if (!o->mac) {
		/* locally administered, derived from the address as docker does */
		mac[0] = 0x02, mac[1] = 0x42, mac[2] = (uint8_t)(ip >> 24);
		mac[3] = (uint8_t)(ip >> 16), mac[4] = (uint8_t)(ip >> 8), mac[5] = (uint8_t)ip;
	}
	macstr = xasprintf("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
			   mac[5]);
	ifname = pick_ifname(ctx, cid);
	if (tapfd)
		veth[2] = 't'; /* hkt...: a VM's tap (DHCP answers its MAC) */
	net_random_hex(veth + 3, 12);
	aliases = strv_json(o->aliases);
	struct ep_row e = {cid, r.name, ipstr, macstr, aliases, veth, ifname, o->name, ip6str};
	if (record_endpoint(ctx, &e, o, ports, ports ? o->n_ports : 0, err) < 0)
		goto rollback;
	if (db_commit(ctx->db, err) < 0)
		goto out;
	hk_trace("connect rows committed");

	/* The bridge and the network's rules stay once made: the usual case
	 * costs one RTM_GETLINK here.  A network brought up now gets its
	 * whole table, this container's ports included (the rows are in). */
	if ((br = net_network_up(ctx, nl, &r, &brought_up, err)) < 0)
		goto undo;
	if (tapfd) {
		if (tap_make(nl, veth, br, tapfd, err) < 0)
			goto undo;
	} else {
		/* The peer is created directly in the container's namespace
		 * with its final name and MAC: no window where it sits on the
		 * host. */
		if (nl_veth_add(nl, veth, ifname, nsfd, mac, br, r.mtu, err) < 0)
			goto undo;
		hk_trace("connect veth made");
		if (configure_inside(nsfd, ifname, ip, ip6str, &r, err) < 0)
			goto undo;
	}
	hk_trace("connect inside configured");
	if (!brought_up && ports) {
		fw = net_fw_ports_cmd(ctx, cid, r.name, true);
		if (net_fw_ports_apply(ctx, fw, err) < 0)
			goto undo;
	}
	if (net_hosts_refresh(ctx, r.name, cid, err) < 0)
		goto undo;
	hk_trace("connect hosts refreshed");
	/* the default network is not in the DNS responder's records: a
	 * container on it costs the responder nothing (a VM's lease is) */
	if (!str_eq(r.name, NET_DEFAULT_NAME) && net_dns_require(ctx, &r, err) < 0)
		goto undo;
	if (tapfd && str_eq(r.name, NET_DEFAULT_NAME))
		net_dns_update(ctx);
	if (out)
		fill_endpoint(out, &r, ifname, veth, ipstr, ip6str, macstr, ports,
			      ports ? o->n_ports : 0);
	rc = 0;
	goto out;

rollback:
	db_rollback(ctx->db);
	goto out;
undo : {
	_cleanup_error_ struct hk_error *e2 = NULL;
	if (tapfd && *tapfd >= 0) {
		close(*tapfd); /* the tap goes with it */
		*tapfd = -1;
	}
	if (net_endpoint_remove_locked(ctx, nl, cid, r.name, veth, &e2) < 0)
		log_warn("net: undo endpoint of %.12s: %s", cid, hk_error_msg(e2));
	hk_error_free(&e2);
	/* a network brought up for this container alone goes down again */
	if (brought_up &&
	    net_count_rows(ctx, "SELECT count(*) FROM endpoints WHERE network = ?", r.name, &e2) ==
		    0 &&
	    net_network_down(ctx, nl, &r, &e2) == 0)
		net_fw_sync(ctx, &e2);
	hk_error_free(&e2);
	net_hosts_refresh(ctx, r.name, cid, &e2);
	if (!str_eq(r.name, NET_DEFAULT_NAME) || tapfd)
		net_dns_update(ctx); /* the records without this endpoint */
}
out:
	net_rec_clear(&r);
	return rc;
}

int net_connect(struct net_ctx *ctx, const char *container_id, const char *network,
		const char *netns_path, const struct net_connect_opts *opts,
		struct net_endpoint **out, struct hk_error **err)
{
	static const struct net_connect_opts none = {0};
	struct nl nl = {.fd = -1};
	_cleanup_close_ int nsfd = -1;
	bool changed = false;
	int rc = -1;

	if (!opts)
		opts = &none;
	if (!container_id || !*container_id)
		return hk_error_set(err, 0, "connect: no container id");
	nsfd = open(netns_path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return hk_error_errno(err, "connect to %s: open network namespace %s", network,
				      netns_path);
	if (same_netns(nsfd) != 0)
		return hk_error_set(err, 0, "connect to %s: %s is the host's own network namespace",
				    network, netns_path);
	hk_trace("net_connect begin");
	if (net_lock(ctx, err) < 0)
		return -1;
	if (nl_open(&nl, -1, err) < 0 || net_repair_locked(ctx, &nl, &changed, err) < 0)
		goto out;
	hk_trace("net_connect repaired");
	if (changed && net_fw_sync(ctx, err) < 0)
		goto out;
	rc = connect_locked(ctx, &nl, container_id, network, nsfd, opts, NULL, out, err);
out:
	nl_close(&nl);
	net_unlock(ctx);
	hk_trace("net_connect end");
	return rc < 0 ? hk_error_wrap(err, "connect to network %s", network) : 0;
}

int net_connect_tap(struct net_ctx *ctx, const char *vm_id, const char *network,
		    const struct net_connect_opts *opts, int *tapfd, struct net_endpoint **out,
		    struct hk_error **err)
{
	static const struct net_connect_opts none = {0};
	struct nl nl = {.fd = -1};
	bool changed = false;
	int rc = -1;

	*tapfd = -1;
	if (!opts)
		opts = &none;
	if (!vm_id || !*vm_id)
		return hk_error_set(err, 0, "connect: no VM id");
	if (net_lock(ctx, err) < 0)
		return -1;
	if (nl_open(&nl, -1, err) < 0 || net_repair_locked(ctx, &nl, &changed, err) < 0)
		goto out;
	if (changed && net_fw_sync(ctx, err) < 0)
		goto out;
	rc = connect_locked(ctx, &nl, vm_id, network, -1, opts, tapfd, out, err);
out:
	nl_close(&nl);
	net_unlock(ctx);
	return rc < 0 ? hk_error_wrap(err, "connect to network %s", network) : 0;
}

/* ---- disconnect ---- */

static int hosts_refresh_networks_of(struct net_ctx *ctx, const char *cid, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	_cleanup_strv_ char **nets = NULL;

	if (db_prepare(ctx->db, "SELECT network FROM endpoints WHERE container_id = ?", &s, err) <
	    0)
		return -1;
	sqlite3_bind_text(s, 1, cid, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW)
		strv_push(&nets, (const char *)sqlite3_column_text(s, 0));
	for (char **n = nets; n && *n; n++)
		if (net_hosts_refresh(ctx, *n, cid, err) < 0)
			return -1;
	return 0;
}

static int disconnect_locked(struct net_ctx *ctx, struct nl *nl, const char *cid,
			     const char *network, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	_cleanup_free_ char *veth = NULL, *name = NULL;

	if (db_prepare(ctx->db,
		       "SELECT e.veth, e.network FROM endpoints e JOIN networks n"
		       " ON n.name = e.network WHERE e.container_id = ?1"
		       " AND (n.name = ?2 OR n.id = ?2)",
		       &s, err) < 0)
		return -1;
	sqlite3_bind_text(s, 1, cid, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, network, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW)
		return hk_error_set(err, 0, "container %.12s is not connected to network %s", cid,
				    network);
	veth = db_column_strdup(s, 0);
	name = db_column_strdup(s, 1);
	if (net_endpoint_remove_locked(ctx, nl, cid, name, veth, err) < 0)
		return -1;
	/* the peers left on it, and the container itself with the peers of
	 * its other networks */
	if (net_hosts_refresh(ctx, name, cid, err) < 0)
		return -1;
	return hosts_refresh_networks_of(ctx, cid, err);
}

int net_disconnect(struct net_ctx *ctx, const char *container_id, const char *network,
		   struct hk_error **err)
{
	struct nl nl = {.fd = -1};
	int rc = -1;

	if (net_lock(ctx, err) < 0)
		return -1;
	if (nl_open(&nl, -1, err) < 0)
		goto out;
	if (disconnect_locked(ctx, &nl, container_id, network, err) < 0)
		goto out;
	net_dns_update(ctx);
	rc = 0;
out:
	nl_close(&nl);
	net_unlock(ctx);
	return rc;
}

/* Delete host-side veths (rows[1], rows[3], ...) from a detached process
 * (NET_TEARDOWN_DETACHED): the rows are gone already. */
static void veths_delete_detached(char **rows)
{
	pid_t pid = fork();

	if (pid < 0)
		log_warn("net: fork to delete veths: %s", strerror(errno));
	if (pid != 0)
		return; /* not waited for: whoever reaps our children reaps it */
	/* Nothing of the caller's stays open: its locks (flock) and pipes
	 * would be held for as long as the kernel makes us wait. */
	struct nl nl = {.fd = -1};
	setsid();
	close_range(0, ~0U, 0);
	if (nl_open(&nl, -1, NULL) == 0)
		for (size_t i = 0; rows[i] && rows[i + 1]; i += 2)
			nl_link_del(&nl, rows[i + 1], true, NULL);
	_exit(0);
}

int net_teardown_container(struct net_ctx *ctx, const char *container_id,
			   enum net_teardown_mode mode, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL, *d = NULL;
	struct nl nl = {.fd = -1};
	char **rows = NULL;
	int rc = -1;

	hk_trace("teardown begin");
	if (net_lock(ctx, err) < 0)
		return -1;
	if (db_prepare(ctx->db, "SELECT network, veth FROM endpoints WHERE container_id = ?", &s,
		       err) < 0)
		goto out;
	sqlite3_bind_text(s, 1, container_id, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		strv_push(&rows, (const char *)sqlite3_column_text(s, 0));
		strv_push(&rows, (const char *)sqlite3_column_text(s, 1));
	}
	/* netlink only for links deleted here (a container without endpoints,
	 * or one whose pairs go with its namespace, needs none) */
	if (rows && mode == NET_TEARDOWN_DELETE && nl_open(&nl, -1, err) < 0)
		goto out;
	for (size_t i = 0; rows && rows[i]; i += 2)
		if (net_endpoint_remove_locked(ctx, &nl, container_id, rows[i],
					       mode == NET_TEARDOWN_DELETE ? rows[i + 1] : NULL,
					       err) < 0 ||
		    net_hosts_refresh(ctx, rows[i], container_id, err) < 0)
			goto out;
	if (db_prepare(ctx->db, "DELETE FROM net_hosts WHERE container_id = ?", &d, err) < 0)
		goto out;
	sqlite3_bind_text(d, 1, container_id, -1, SQLITE_STATIC);
	if (sqlite3_step(d) != SQLITE_DONE) {
		db_error(ctx->db, err, "database: %s", "delete hosts record");
		goto out;
	}
	/* the default network is not in the DNS responder's records, but
	 * for a VM's lease */
	for (size_t i = 0; rows && rows[i]; i += 2)
		if (!str_eq(rows[i], NET_DEFAULT_NAME) || str_has_prefix(rows[i + 1], "hkt")) {
			net_dns_update(ctx);
			break;
		}
	rc = 0;
out:
	nl_close(&nl);
	net_unlock(ctx);
	hk_trace("teardown end");
	if (mode == NET_TEARDOWN_DETACHED && rows)
		veths_delete_detached(rows);
	strv_free(rows);
	return rc < 0 ? hk_error_wrap(err, "network teardown of %.12s", container_id) : 0;
}

/* ---- listing ---- */

int net_container_endpoints(struct net_ctx *ctx, const char *container_id,
			    struct net_endpoint ***out, size_t *n, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL, *p = NULL;
	struct net_endpoint **eps = NULL;
	size_t count = 0;

	if (db_prepare(ctx->db,
		       "SELECT e.network, e.ifname, e.veth, e.ip, e.mac, n.subnet, n.gateway,"
		       " n.internal, n.id, e.aliases, e.ip6, n.subnet6, n.gateway6"
		       " FROM endpoints e JOIN networks n"
		       " ON n.name = e.network"
		       " WHERE e.container_id = ? ORDER BY e.ifname",
		       &s, err) < 0 ||
	    db_prepare(ctx->db,
		       "SELECT host_ip, host_port, container_port, proto FROM net_ports"
		       " WHERE container_id = ? AND network = ? ORDER BY rowid",
		       &p, err) < 0)
		return -1;
	sqlite3_bind_text(s, 1, container_id, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct net_endpoint *ep = xzalloc(sizeof(*ep));
		const char *sub = (const char *)sqlite3_column_text(s, 5);
		const char *slash = sub ? strchr(sub, '/') : NULL;
		ep->network = db_column_strdup(s, 0);
		ep->ifname = db_column_strdup(s, 1);
		ep->veth = db_column_strdup(s, 2);
		ep->ip = db_column_strdup(s, 3);
		ep->mac = db_column_strdup(s, 4);
		ep->prefix = slash ? atoi(slash + 1) : 32;
		ep->gateway = sqlite3_column_int(s, 7) ? NULL : db_column_strdup(s, 6);
		ep->network_id = db_column_strdup(s, 8);
		if (sqlite3_column_type(s, 10) != SQLITE_NULL) {
			const char *sub6 = (const char *)sqlite3_column_text(s, 11);
			const char *sl6 = sub6 ? strchr(sub6, '/') : NULL;
			ep->ip6 = db_column_strdup(s, 10);
			ep->prefix6 = sl6 ? atoi(sl6 + 1) : 128;
			ep->gateway6 = sqlite3_column_int(s, 7) ? NULL : db_column_strdup(s, 12);
		}
		{
			const char *t = (const char *)sqlite3_column_text(s, 9);
			_cleanup_json_ json_object *a = t ? json_tokener_parse(t) : NULL;
			for (size_t i = 0; a && json_object_is_type(a, json_type_array) &&
					   i < json_object_array_length(a);
			     i++)
				strv_push(&ep->aliases,
					  json_object_get_string(json_object_array_get_idx(a, i)));
		}
		sqlite3_reset(p);
		sqlite3_bind_text(p, 1, container_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 2, ep->network, -1, SQLITE_STATIC);
		while (sqlite3_step(p) == SQLITE_ROW) {
			struct net_port *np;
			ep->ports = xrealloc(ep->ports, (ep->n_ports + 1) * sizeof(*ep->ports));
			np = &ep->ports[ep->n_ports++];
			memset(np, 0, sizeof(*np));
			snprintf(np->host_ip, sizeof(np->host_ip), "%s",
				 (const char *)sqlite3_column_text(p, 0));
			np->host_port = (uint16_t)sqlite3_column_int(p, 1);
			np->container_port = (uint16_t)sqlite3_column_int(p, 2);
			snprintf(np->proto, sizeof(np->proto), "%s",
				 (const char *)sqlite3_column_text(p, 3));
		}
		eps = xrealloc(eps, (count + 1) * sizeof(*eps));
		eps[count++] = ep;
	}
	*out = eps;
	*n = count;
	return 0;
}
