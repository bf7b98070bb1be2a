/* hako net: connecting containers to networks (veth, IPAM, ports). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/net_priv.h"
#include "net/nl.h"
#include "util/json.h"
#include "util/log.h"
#include "util/util.h"

void net_endpoint_free(struct net_endpoint *ep)
{
	if (!ep)
		return;
	free(ep->network);
	free(ep->ifname);
	free(ep->veth);
	free(ep->ip);
	free(ep->gateway);
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
	if (net_prepare(ctx, "SELECT ip FROM endpoints WHERE network = ?", &s, err) < 0)
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
	for (uint32_t i = 1; i < size - 1; i++) {
		if (!MARKED(i)) {
			*out = r->subnet + i;
			return 0;
		}
	}
	return hk_error_set(err, 0, "network %s has no free address left", r->name);
#undef MARK
#undef MARKED
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

int net_port_parse(const char *spec, struct net_port *out, struct hk_error **err)
{
	_cleanup_free_ char *s = xstrdup(spec);
	char *proto = strchr(s, '/'), *parts[3] = {0};
	int n = 0;
	long long v;

	memset(out, 0, sizeof(*out));
	strcpy(out->proto, "tcp");
	if (proto) {
		*proto++ = '\0';
		if (strcmp(proto, "tcp") && strcmp(proto, "udp"))
			return hk_error_set(err, 0,
					    "invalid port '%s': protocol must be tcp or udp", spec);
		strcpy(out->proto, proto);
	}
	for (char *p = s, *c; n < 3; p = c + 1) {
		parts[n++] = p;
		if (!(c = strchr(p, ':')))
			break;
		*c = '\0';
		if (n == 3)
			return hk_error_set(err, 0, "invalid port '%s': too many ':'", spec);
	}
	if (parse_ll(parts[n - 1], 1, 65535, &v) < 0)
		return hk_error_set(err, 0, "invalid port '%s': container port must be 1..65535",
				    spec);
	out->container_port = (uint16_t)v;
	if (n >= 2 && *parts[n - 2]) {
		if (parse_ll(parts[n - 2], 1, 65535, &v) < 0)
			return hk_error_set(err, 0, "invalid port '%s': host port must be 1..65535",
					    spec);
		out->host_port = (uint16_t)v;
	}
	if (n == 3 && *parts[0]) {
		uint32_t ip;
		if (net_ip_parse(parts[0], &ip) < 0)
			return hk_error_set(err, 0, "invalid port '%s': bad host address '%s'",
					    spec, parts[0]);
		if (ip != 0)
			snprintf(out->host_ip, sizeof(out->host_ip), "%s", parts[0]);
	}
	return 0;
}

/* Is the host port free?  Bind it once (in the namespace of the caller):
 * a listener already there would otherwise silently lose its traffic to the
 * DNAT rule.  Port 0 picks a free port. */
static int port_probe(struct net_port *p, struct hk_error **err)
{
	bool tcp = !strcmp(p->proto, "tcp");
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(p->host_port)};
	socklen_t len = sizeof(sa);
	_cleanup_close_ int fd =
		socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	int one = 1;
	const char *where = *p->host_ip ? p->host_ip : "0.0.0.0";

	if (fd < 0)
		return hk_error_errno(err, "socket");
	if (*p->host_ip)
		inet_pton(AF_INET, p->host_ip, &sa.sin_addr);
	/* TIME_WAIT leftovers of a previous container are not "in use". */
	if (tcp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EADDRINUSE)
			return hk_error_set(
				err, 0, "host port %s:%u/%s is already in use by another program",
				where, p->host_port, p->proto);
		if (errno == EADDRNOTAVAIL)
			return hk_error_set(
				err, 0,
				"host address %s (port %u/%s) is not an address of this host",
				where, p->host_port, p->proto);
		return hk_error_errno(err, "bind host port %s:%u/%s", where, p->host_port,
				      p->proto);
	}
	if (!p->host_port) {
		if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
			return hk_error_errno(err, "getsockname");
		p->host_port = ntohs(sa.sin_port);
	}
	return 0;
}

static int ports_check(struct net_ctx *ctx, struct net_port *ports, size_t n, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;

	if (net_prepare(ctx,
			"SELECT container_id FROM net_ports WHERE host_port = ?1 AND proto = ?2"
			" AND (host_ip = ?3 OR host_ip = '' OR ?3 = '')",
			&s, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct net_port *p = &ports[i];
		for (size_t j = 0; j < i && p->host_port; j++) {
			if (ports[j].host_port == p->host_port && !strcmp(ports[j].proto, p->proto))
				return hk_error_set(err, 0, "host port %u/%s is published twice",
						    p->host_port, p->proto);
		}
		if (p->host_port) {
			sqlite3_reset(s);
			sqlite3_bind_int(s, 1, p->host_port);
			sqlite3_bind_text(s, 2, p->proto, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 3, p->host_ip, -1, SQLITE_STATIC);
			if (sqlite3_step(s) == SQLITE_ROW)
				return hk_error_set(
					err, 0,
					"host port %u/%s is already published by container %.12s",
					p->host_port, p->proto,
					(const char *)sqlite3_column_text(s, 0));
		}
		if (port_probe(p, err) < 0)
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
	const char *cid, *network, *ip, *mac, *aliases, *veth, *ifname, *name;
};

static int record_endpoint(struct net_ctx *ctx, const struct ep_row *e,
			   const struct net_connect_opts *o, const struct net_port *ports,
			   size_t n_ports, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL, *p = NULL, *h = NULL;
	_cleanup_free_ char *extra = o->extra_hosts ? strv_json(o->extra_hosts) : NULL;

	if (net_prepare(ctx,
			"INSERT INTO endpoints (container_id, network, ip, mac, aliases, veth,"
			" ifname, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			&s, err) < 0)
		return -1;
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
		return net_db_error(ctx, "insert endpoint", err);
	}
	if (net_prepare(ctx,
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
	if (net_prepare(ctx,
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
		return net_db_error(ctx, "record hosts", err);
	return 0;
}

/* Inside the container: address, link up, loopback up, default route. */
static int configure_inside(int nsfd, const char *ifname, uint32_t ip, const struct net_rec *r,
			    struct hk_error **err)
{
	struct nl nl = {.fd = -1};
	struct nl_link_change up = {.up = true, .netns_fd = -1};
	struct in_addr a = {.s_addr = htonl(ip)}, gw = {.s_addr = htonl(r->gateway)};
	struct in_addr any = {0};
	int idx, lo, rc = -1;

	if (nl_open(&nl, nsfd, err) < 0)
		return -1;
	if ((idx = nl_link_index(&nl, ifname, err)) <= 0) {
		if (idx == 0)
			hk_error_set(err, ENODEV, "%s did not appear in the container", ifname);
		goto out;
	}
	if ((lo = nl_link_index(&nl, "lo", err)) < 0)
		goto out;
	if (lo > 0 && nl_link_set(&nl, lo, &up, err) < 0)
		goto out;
	if (nl_addr_add(&nl, idx, a, r->prefix, err) < 0 || nl_link_set(&nl, idx, &up, err) < 0)
		goto out;
	/* The first network with a way out gives the default route; later
	 * ones find it there (EEXIST, ignored).  Internal networks never do. */
	if (!r->internal && nl_route_add(&nl, any, 0, gw, idx, err) < 0)
		goto out;
	rc = 0;
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
			 const char *veth, const char *ip, const char *mac,
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
	if (n_ports) {
		ep->ports = xmalloc(n_ports * sizeof(*ports));
		memcpy(ep->ports, ports, n_ports * sizeof(*ports));
	}
	ep->n_ports = n_ports;
	*out = ep;
	return 0;
}

static int connect_locked(struct net_ctx *ctx, struct nl *nl, const char *cid, const char *network,
			  int nsfd, const struct net_connect_opts *o, struct net_endpoint **out,
			  struct hk_error **err)
{
	struct net_rec r = {0};
	_cleanup_free_ struct net_port *ports = NULL;
	_cleanup_free_ char *ifname = NULL, *ipstr = NULL, *macstr = NULL, *aliases = NULL;
	char veth[16] = "hkv";
	uint8_t mac[6];
	uint32_t ip = 0;
	int br, rc = -1;
	bool committed = false;

	if (str_eq(network, NET_DEFAULT_NAME) && net_ensure_default_locked(ctx, err) < 0)
		return -1;
	if (net_rec_get(ctx, network, &r, err) < 0)
		return -1;
	if (o->mac && mac_parse(o->mac, mac) < 0) {
		hk_error_set(err, 0, "invalid MAC address '%s'", o->mac);
		goto out;
	}
	if (o->n_ports) {
		ports = xmalloc(o->n_ports * sizeof(*ports));
		memcpy(ports, o->ports, o->n_ports * sizeof(*ports));
		if (ports_check(ctx, ports, o->n_ports, err) < 0)
			goto out;
	}
	if ((br = net_bridge_ensure(nl, &r, err)) < 0)
		goto out;

	/* The address and the rows in one transaction: UNIQUE (network, ip)
	 * and the lock make sure no address is handed out twice. */
	if (db_begin_immediate(ctx->db, err) < 0)
		goto out_bridge;
	if (ip_allocate(ctx, &r, o->ip, &ip, err) < 0)
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
	net_random_hex(veth + 3, 12);
	aliases = strv_json(o->aliases);
	struct ep_row e = {cid, r.name, ipstr, macstr, aliases, veth, ifname, o->name};
	if (record_endpoint(ctx, &e, o, ports, o->n_ports, err) < 0)
		goto rollback;
	if (db_commit(ctx->db, err) < 0)
		goto out_bridge;
	committed = true;

	/* The peer is created directly in the container's namespace with its
	 * final name and MAC: no window where it sits on the host. */
	if (nl_veth_add(nl, veth, ifname, nsfd, mac, br, err) < 0)
		goto undo;
	if (configure_inside(nsfd, ifname, ip, &r, err) < 0)
		goto undo;
	if (net_fw_sync(ctx, false, err) < 0)
		goto undo;
	if (net_hosts_refresh(ctx, r.name, err) < 0)
		goto undo;
	net_dns_update(ctx);
	if (out)
		fill_endpoint(out, &r, ifname, veth, ipstr, macstr, ports, o->n_ports);
	rc = 0;
	goto out;

rollback:
	db_rollback(ctx->db);
out_bridge:
	/* a bridge made for this container alone goes again */
	if (!committed) {
		_cleanup_error_ struct hk_error *e2 = NULL;
		if (net_count_rows(ctx, "SELECT count(*) FROM endpoints WHERE network = ?", r.name,
				   &e2) == 0)
			nl_link_del(nl, r.bridge, true, NULL);
	}
	goto out;
undo : {
	_cleanup_error_ struct hk_error *e2 = NULL;
	if (net_endpoint_remove_locked(ctx, nl, cid, r.name, veth, &e2) < 0)
		log_warn("net: undo endpoint of %.12s: %s", cid, hk_error_msg(e2));
	hk_error_free(&e2);
	net_fw_sync(ctx, false, &e2);
	hk_error_free(&e2);
	net_hosts_refresh(ctx, r.name, &e2);
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
	if (net_lock(ctx, err) < 0)
		return -1;
	if (nl_open(&nl, -1, err) < 0 || net_repair_locked(ctx, &nl, err) < 0)
		goto out;
	rc = connect_locked(ctx, &nl, container_id, network, nsfd, opts, out, err);
out:
	nl_close(&nl);
	net_unlock(ctx);
	return rc < 0 ? hk_error_wrap(err, "connect to network %s", network) : 0;
}

/* ---- disconnect ---- */

static int disconnect_locked(struct net_ctx *ctx, struct nl *nl, const char *cid,
			     const char *network, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	_cleanup_free_ char *veth = NULL, *name = NULL;

	if (net_prepare(ctx,
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
	veth = net_col_str(s, 0);
	name = net_col_str(s, 1);
	return net_endpoint_remove_locked(ctx, nl, cid, name, veth, err);
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
	if (net_fw_sync(ctx, false, err) < 0 || net_hosts_refresh(ctx, NULL, err) < 0)
		goto out;
	net_dns_update(ctx);
	rc = 0;
out:
	nl_close(&nl);
	net_unlock(ctx);
	return rc;
}

int net_teardown_container(struct net_ctx *ctx, const char *container_id, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL, *d = NULL;
	struct nl nl = {.fd = -1};
	char **rows = NULL;
	int rc = -1;

	if (net_lock(ctx, err) < 0)
		return -1;
	if (nl_open(&nl, -1, err) < 0)
		goto out;
	if (net_prepare(ctx, "SELECT network, veth FROM endpoints WHERE container_id = ?", &s,
			err) < 0)
		goto out;
	sqlite3_bind_text(s, 1, container_id, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		strv_push(&rows, (const char *)sqlite3_column_text(s, 0));
		strv_push(&rows, (const char *)sqlite3_column_text(s, 1));
	}
	for (size_t i = 0; rows && rows[i]; i += 2)
		if (net_endpoint_remove_locked(ctx, &nl, container_id, rows[i], rows[i + 1], err) <
		    0)
			goto out;
	if (net_prepare(ctx, "DELETE FROM net_hosts WHERE container_id = ?", &d, err) < 0)
		goto out;
	sqlite3_bind_text(d, 1, container_id, -1, SQLITE_STATIC);
	if (sqlite3_step(d) != SQLITE_DONE) {
		net_db_error(ctx, "delete hosts record", err);
		goto out;
	}
	if (rows && (net_fw_sync(ctx, false, err) < 0 || net_hosts_refresh(ctx, NULL, err) < 0))
		goto out;
	if (rows)
		net_dns_update(ctx);
	rc = 0;
out:
	strv_free(rows);
	nl_close(&nl);
	net_unlock(ctx);
	return rc < 0 ? hk_error_wrap(err, "network teardown of %.12s", container_id) : 0;
}

/* ---- listing ---- */

int net_container_endpoints(struct net_ctx *ctx, const char *container_id,
			    struct net_endpoint ***out, size_t *n, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL, *p = NULL;
	struct net_endpoint **eps = NULL;
	size_t count = 0;

	if (net_prepare(ctx,
			"SELECT e.network, e.ifname, e.veth, e.ip, e.mac, n.subnet, n.gateway,"
			" n.internal FROM endpoints e JOIN networks n ON n.name = e.network"
			" WHERE e.container_id = ? ORDER BY e.ifname",
			&s, err) < 0 ||
	    net_prepare(ctx,
			"SELECT host_ip, host_port, container_port, proto FROM net_ports"
			" WHERE container_id = ? AND network = ? ORDER BY rowid",
			&p, err) < 0)
		return -1;
	sqlite3_bind_text(s, 1, container_id, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct net_endpoint *ep = xzalloc(sizeof(*ep));
		const char *sub = (const char *)sqlite3_column_text(s, 5);
		const char *slash = sub ? strchr(sub, '/') : NULL;
		ep->network = net_col_str(s, 0);
		ep->ifname = net_col_str(s, 1);
		ep->veth = net_col_str(s, 2);
		ep->ip = net_col_str(s, 3);
		ep->mac = net_col_str(s, 4);
		ep->prefix = slash ? atoi(slash + 1) : 32;
		ep->gateway = sqlite3_column_int(s, 7) ? NULL : net_col_str(s, 6);
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
