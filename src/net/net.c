/* hako net: networks, IPAM and container endpoints. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "net/net_priv.h"
#include "net/nl.h"
#include "util/json.h"
#include "util/log.h"
#include "util/util.h"

/* The module's tables; a new step is appended, never edited. */
static const struct db_migration net_migrations[] = {
	{"CREATE TABLE networks ("
	 " name TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, subnet TEXT NOT NULL,"
	 " gateway TEXT NOT NULL, bridge TEXT NOT NULL UNIQUE,"
	 " internal INTEGER NOT NULL DEFAULT 0, driver TEXT NOT NULL DEFAULT 'bridge',"
	 " created INTEGER NOT NULL, labels TEXT NOT NULL DEFAULT '{}');"
	 "CREATE TABLE endpoints ("
	 " container_id TEXT NOT NULL, network TEXT NOT NULL REFERENCES networks(name),"
	 " ip TEXT NOT NULL, mac TEXT NOT NULL, aliases TEXT NOT NULL DEFAULT '[]',"
	 " veth TEXT NOT NULL UNIQUE, ifname TEXT NOT NULL, name TEXT,"
	 " PRIMARY KEY (container_id, network), UNIQUE (network, ip));"
	 "CREATE TABLE net_ports ("
	 " container_id TEXT NOT NULL, network TEXT NOT NULL, host_ip TEXT NOT NULL,"
	 " host_port INTEGER NOT NULL, container_port INTEGER NOT NULL, proto TEXT NOT NULL,"
	 " UNIQUE (host_ip, host_port, proto));"
	 "CREATE TABLE net_hosts ("
	 " container_id TEXT PRIMARY KEY, name TEXT, hostname TEXT, hosts_path TEXT,"
	 " extra_hosts TEXT NOT NULL DEFAULT '[]');"},
	/* up: the bridge and its firewall rules exist; they stay until the
	 * network is removed (or pruned, for the default one). */
	{"ALTER TABLE networks ADD COLUMN up INTEGER NOT NULL DEFAULT 0;"},
	/* IPv6 (--ipv6): NULL on networks without it.  UNIQUE (network, ip6)
	 * as for IPv4 (NULLs are distinct in SQLite: v4-only rows pass). */
	{"ALTER TABLE networks ADD COLUMN subnet6 TEXT;"
	 "ALTER TABLE networks ADD COLUMN gateway6 TEXT;"
	 "ALTER TABLE endpoints ADD COLUMN ip6 TEXT;"
	 "CREATE UNIQUE INDEX endpoints_network_ip6 ON endpoints (network, ip6);"},
	/* network create --ip-range, --aux-address, -o ...driver.mtu */
	{"ALTER TABLE networks ADD COLUMN ip_range TEXT;"
	 "ALTER TABLE networks ADD COLUMN aux TEXT NOT NULL DEFAULT '{}';"
	 "ALTER TABLE networks ADD COLUMN mtu INTEGER NOT NULL DEFAULT 0;"},
};

/* ---- small helpers ---- */

uint32_t net_mask(int prefix)
{
	return prefix <= 0 ? 0 : 0xffffffffu << (32 - prefix);
}

char *net_ip_str(uint32_t ip)
{
	struct in_addr a = {.s_addr = htonl(ip)};
	char buf[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, buf, sizeof(buf));
	return xstrdup(buf);
}

int net_ip_parse(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

int net_cidr_parse(const char *cidr, uint32_t *addr, int *prefix, struct hk_error **err)
{
	const char *slash = cidr ? strchr(cidr, '/') : NULL;
	_cleanup_free_ char *ip = NULL;
	long long p;
	uint32_t a;

	if (!slash)
		return hk_error_set(err, 0, "invalid subnet '%s': expected ADDRESS/PREFIX",
				    cidr ? cidr : "");
	ip = xstrndup(cidr, (size_t)(slash - cidr));
	if (net_ip_parse(ip, &a) < 0)
		return hk_error_set(err, 0, "invalid subnet '%s': bad address", cidr);
	if (parse_ll(slash + 1, 8, 30, &p) < 0)
		return hk_error_set(err, 0, "invalid subnet '%s': prefix must be 8..30", cidr);
	*prefix = (int)p;
	*addr = a & net_mask(*prefix);
	return 0;
}

void net_random_hex(char *buf, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[64];

	if (n > 2 * sizeof(raw))
		abort();
	if (getrandom(raw, (n + 1) / 2, 0) != (ssize_t)((n + 1) / 2)) {
		/* getrandom cannot fail for small sizes once the pool is ready;
		 * keep going with the clock rather than abort a container. */
		unsigned long long t = now_ns() ^ (unsigned long long)getpid();
		for (size_t i = 0; i < sizeof(raw); i++)
			raw[i] = (unsigned char)(t >> ((i % 8) * 8)) ^ (unsigned char)i;
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = hex[(raw[i / 2] >> ((i % 2) ? 0 : 4)) & 0xf];
	buf[n] = '\0';
}

void net_rec_clear(struct net_rec *r)
{
	free(r->name);
	free(r->id);
	free(r->bridge);
	free(r->labels);
	free(r->aux);
	memset(r, 0, sizeof(*r));
}

/* ---- context and lock ---- */

int net_open(sqlite3 *db, const char *root, const char *runroot, struct net_ctx **out,
	     struct hk_error **err)
{
	struct net_ctx *ctx = xzalloc(sizeof(*ctx));

	ctx->db = db;
	ctx->root = xstrdup(root);
	ctx->runroot = xstrdup(runroot);
	ctx->lock_fd = -1;
	if (db_migrate(db, "net", net_migrations, ARRAY_SIZE(net_migrations), err) < 0) {
		net_close(ctx);
		return hk_error_wrap(err, "network tables");
	}
	*out = ctx;
	return 0;
}

void net_close(struct net_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->lock_fd >= 0)
		close(ctx->lock_fd);
	free(ctx->root);
	free(ctx->runroot);
	free(ctx);
}

void net_closep(struct net_ctx **ctx)
{
	net_close(*ctx);
	*ctx = NULL;
}

int net_lock(struct net_ctx *ctx, struct hk_error **err)
{
	_cleanup_free_ char *path = NULL;

	if (ctx->lock_depth++ > 0)
		return 0;
	if (mkdir_p(ctx->root, 0700, err) < 0) {
		ctx->lock_depth--;
		return -1;
	}
	path = xasprintf("%s/net.lock", ctx->root);
	ctx->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (ctx->lock_fd < 0 || flock(ctx->lock_fd, LOCK_EX) < 0) {
		ctx->lock_depth--;
		return hk_error_errno(err, "lock %s", path);
	}
	return 0;
}

void net_unlock(struct net_ctx *ctx)
{
	if (--ctx->lock_depth > 0)
		return;
	if (ctx->lock_fd >= 0)
		close(ctx->lock_fd); /* releases the flock */
	ctx->lock_fd = -1;
}

/* ---- network records ---- */

static int rec_from_row(sqlite3_stmt *s, struct net_rec *r, struct hk_error **err)
{
	_cleanup_free_ char *subnet = db_column_strdup(s, 2), *gw = db_column_strdup(s, 3);

	r->name = db_column_strdup(s, 0);
	r->id = db_column_strdup(s, 1);
	r->bridge = db_column_strdup(s, 4);
	r->internal = sqlite3_column_int(s, 5) != 0;
	r->created = sqlite3_column_int64(s, 6);
	r->labels = db_column_strdup(s, 7);
	r->up = sqlite3_column_int(s, 8) != 0;
	if (net_cidr_parse(subnet, &r->subnet, &r->prefix, err) < 0 ||
	    net_ip_parse(gw, &r->gateway) < 0)
		return hk_error_set(err, 0, "network %s: corrupt subnet or gateway in the database",
				    r->name);
	r->aux = db_column_strdup(s, 12);
	r->mtu = sqlite3_column_int(s, 13);
	if (sqlite3_column_type(s, 11) != SQLITE_NULL) {
		_cleanup_free_ char *range = db_column_strdup(s, 11);
		if (net_cidr_parse(range, &r->range, &r->range_prefix, err) < 0)
			return hk_error_set(err, 0, "network %s: corrupt IP range in the database",
					    r->name);
	}
	if (sqlite3_column_type(s, 9) != SQLITE_NULL) {
		_cleanup_free_ char *sub6 = db_column_strdup(s, 9), *gw6 = db_column_strdup(s, 10);
		r->v6 = true;
		if (net_cidr6_parse(sub6, r->subnet6, &r->prefix6, err) < 0 ||
		    net_ip6_parse(gw6, r->gateway6) < 0)
			return hk_error_set(err, 0,
					    "network %s: corrupt IPv6 subnet or gateway in the"
					    " database",
					    r->name);
	}
	return 0;
}

#define REC_COLS                                                                                   \
	"name, id, subnet, gateway, bridge, internal, created, labels, up, subnet6, gateway6,"     \
	" ip_range, aux, mtu"

/* Find a network by name, full id or unique id prefix (>= 3 characters).
 * Returns 1 when found, 0 when not. */
int net_rec_find(struct net_ctx *ctx, const char *key, struct net_rec *r, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int rc, found = 0;

	if (db_prepare(ctx->db,
		       "SELECT " REC_COLS " FROM networks WHERE name = ?1 OR id = ?1"
		       " UNION ALL SELECT " REC_COLS " FROM networks WHERE length(?1) >= 3"
		       " AND substr(id, 1, length(?1)) = ?1 AND name != ?1 AND id != ?1",
		       &s, err) < 0)
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (found) {
			/* An exact name or id comes first and wins. */
			break;
		}
		if (rec_from_row(s, r, err) < 0)
			return -1;
		found = 1;
		if (str_eq(r->name, key) || str_eq(r->id, key))
			return 1;
	}
	if (rc == SQLITE_ROW) {
		net_rec_clear(r);
		return hk_error_set(err, 0, "network id prefix '%s' is ambiguous", key);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_error(ctx->db, err, "database: %s", "find network");
	return found;
}

int net_rec_get(struct net_ctx *ctx, const char *key, struct net_rec *r, struct hk_error **err)
{
	int rc = net_rec_find(ctx, key, r, err);

	if (rc == 0)
		return hk_error_set(err, 0, "network %s not found", key);
	return rc < 0 ? -1 : 0;
}

/* The host's own IPv4 networks (addresses on its interfaces), to keep new
 * subnets off them.  Our own bridges are in the database already; `own` (may
 * be NULL) is the bridge the network will use: a default bridge left by an
 * earlier database (or another --root) is adopted, not a conflict. */
static bool overlaps_host(uint32_t net, int prefix, const char *own)
{
	struct ifaddrs *ifa = NULL;
	bool hit = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (struct ifaddrs *i = ifa; i && !hit; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask)
			continue;
		if (!strcmp(i->ifa_name, "lo") || (own && !strcmp(i->ifa_name, own)))
			continue;
		uint32_t a = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		uint32_t m = ntohl(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);
		uint32_t common = m & net_mask(prefix);
		if ((a & common) == (net & common))
			hit = true;
	}
	freeifaddrs(ifa);
	return hit;
}

/* Name of the network in the database whose subnet overlaps, or NULL. */
static char *overlaps_db(struct net_ctx *ctx, uint32_t net, int prefix)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(ctx->db, "SELECT name, subnet FROM networks", -1, &s, NULL))
		return NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *sub = (const char *)sqlite3_column_text(s, 1);
		_cleanup_error_ struct hk_error *e = NULL;
		uint32_t a;
		int p;
		if (net_cidr_parse(sub, &a, &p, &e) < 0)
			continue;
		uint32_t common = net_mask(p < prefix ? p : prefix);
		if ((a & common) == (net & common))
			return db_column_strdup(s, 0);
	}
	return NULL;
}

/* Name of the network in the database whose IPv6 subnet overlaps, or NULL. */
static char *overlaps_db6(struct net_ctx *ctx, const uint8_t net[16], int prefix)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(ctx->db,
			       "SELECT name, subnet6 FROM networks WHERE subnet6 IS NOT NULL", -1,
			       &s, NULL))
		return NULL;
	while (sqlite3_step(s) == SQLITE_ROW) {
		_cleanup_error_ struct hk_error *e = NULL;
		uint8_t a[16];
		int p;
		if (net_cidr6_parse((const char *)sqlite3_column_text(s, 1), a, &p, &e) < 0)
			continue;
		if (net_ip6_same_prefix(a, net, p < prefix ? p : prefix))
			return db_column_strdup(s, 0);
	}
	return NULL;
}

/* The IPv6 half of a new network: subnet6 (given, or the next free /64 of
 * NET_USER_POOL6) and gateway6, as text. */
static int create_v6(struct net_ctx *ctx, const struct net_create_opts *opts, const char *bridge,
		     char **subnet_out, char **gw_out, struct hk_error **err)
{
	_cleanup_free_ char *other = NULL, *sub = NULL;
	uint8_t net[16], gw[16];
	int prefix = 64;

	if (opts->subnet6) {
		if (net_cidr6_parse(opts->subnet6, net, &prefix, err) < 0)
			return -1;
		if ((other = overlaps_db6(ctx, net, prefix)))
			return hk_error_set(err, 0, "IPv6 subnet %s overlaps network %s",
					    opts->subnet6, other);
		if (net_ip6_overlaps_host(net, prefix, bridge))
			return hk_error_set(
				err, 0,
				"IPv6 subnet %s overlaps an address of this host's interfaces",
				opts->subnet6);
	} else {
		uint8_t pool[16];
		int pool_prefix;
		bool found = false;
		if (net_cidr6_parse(NET_USER_POOL6, pool, &pool_prefix, err) < 0)
			return -1;
		for (unsigned i = 0; i < (1u << (64 - pool_prefix)) && !found; i++) {
			memcpy(net, pool, 16);
			net[6] = (uint8_t)(i >> 8), net[7] = (uint8_t)i;
			free(other);
			other = overlaps_db6(ctx, net, 64);
			found = !other && !net_ip6_overlaps_host(net, 64, NULL);
		}
		if (!found)
			return hk_error_set(err, 0, "no free /64 left in %s; give an IPv6 --subnet",
					    NET_USER_POOL6);
	}
	sub = net_ip6_str(net);
	if (opts->gateway6) {
		if (net_ip6_parse(opts->gateway6, gw) < 0)
			return hk_error_set(err, 0, "invalid IPv6 gateway '%s'", opts->gateway6);
		if (!net_ip6_same_prefix(gw, net, prefix) || !memcmp(gw, net, 16))
			return hk_error_set(err, 0,
					    "IPv6 gateway %s is not a host address of %s/%d",
					    opts->gateway6, sub, prefix);
	} else {
		memcpy(gw, net, 16);
		gw[15] |= 1;
	}
	*subnet_out = xasprintf("%s/%d", sub, prefix);
	*gw_out = net_ip6_str(gw);
	return 0;
}

static bool valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 ||
	    !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
	      (name[0] >= '0' && name[0] <= '9')))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	       n;
}

/* What a network row holds beyond its name, id and IPv4 subnet. */
struct net_row_extra {
	const char *labels, *subnet6, *gateway6, *ip_range, *aux;
	int mtu;
};

static int insert_network(struct net_ctx *ctx, const char *name, const char *id, const char *subnet,
			  const char *gateway, const char *bridge, bool internal,
			  const struct net_row_extra *x, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	const char *labels = x->labels, *subnet6 = x->subnet6, *gateway6 = x->gateway6;

	if (db_prepare(ctx->db,
		       "INSERT INTO networks (name, id, subnet, gateway, bridge, internal, driver,"
		       " created, labels, subnet6, gateway6, ip_range, aux, mtu)"
		       " VALUES (?, ?, ?, ?, ?, ?, 'bridge', ?, ?, ?, ?, ?, ?, ?)",
		       &s, err) < 0)
		return -1;
	sqlite3_bind_text(s, 11, x->ip_range, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 12, x->aux ? x->aux : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 13, x->mtu);
	sqlite3_bind_text(s, 9, subnet6, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, gateway6, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, subnet, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, gateway, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, bridge, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, internal);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(s, 8, labels, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(ctx->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
			return hk_error_set(err, 0, "network %s already exists", name);
		if (sqlite3_extended_errcode(ctx->db) == SQLITE_CONSTRAINT_UNIQUE)
			return hk_error_set(err, 0, "bridge %s is another network's", bridge);
		return db_error(ctx->db, err, "database: %s", "insert network");
	}
	return 0;
}

static int labels_json(char **labels, char **out, struct hk_error **err)
{
	_cleanup_json_ json_object *o = json_object_new_object();

	for (char **l = labels; l && *l; l++) {
		const char *eq = strchr(*l, '=');
		_cleanup_free_ char *k = eq ? xstrndup(*l, (size_t)(eq - *l)) : xstrdup(*l);
		if (!*k)
			return hk_error_set(err, 0, "invalid label '%s': empty key", *l);
		json_object_object_add(o, k, json_object_new_string(eq ? eq + 1 : ""));
	}
	*out = json_to_string(o, false);
	return 0;
}

/* -o com.docker.network.bridge.name: a device name of our own choosing,
 * not one the host has already (it would be taken over, then deleted). */
static int create_bridge_name(const char *want, char **bridge, struct hk_error **err)
{
	size_t len = strlen(want);

	if (len == 0 || len >= IFNAMSIZ ||
	    strspn(want, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != len)
		return hk_error_set(
			err, 0,
			"invalid bridge name '%s': at most %d letters, digits, '_', '.',"
			" '-'",
			want, IFNAMSIZ - 1);
	if (if_nametoindex(want) != 0)
		return hk_error_set(err, EEXIST, "bridge name %s: this host has such a device",
				    want);
	free(*bridge);
	*bridge = xstrdup(want);
	return 0;
}

/* --ip-range: inside the subnet, as docker (which also wants --subnet). */
static int create_ip_range(const char *text, const char *given_subnet, uint32_t net, int prefix,
			   char **out, struct hk_error **err)
{
	uint32_t r;
	int rp;

	if (!given_subnet)
		return hk_error_set(err, 0, "--ip-range needs --subnet");
	if (net_cidr_parse(text, &r, &rp, err) < 0)
		return hk_error_wrap(err, "--ip-range");
	if (rp < prefix || (r & net_mask(prefix)) != net)
		return hk_error_set(err, 0, "--ip-range %s is not inside the subnet %s", text,
				    given_subnet);
	_cleanup_free_ char *a = net_ip_str(r);
	*out = xasprintf("%s/%d", a, rp);
	return 0;
}

/* --aux-address NAME=IP: addresses of the subnet never handed out. */
static int create_aux(char **aux, uint32_t net, int prefix, uint32_t gw, char **out,
		      struct hk_error **err)
{
	_cleanup_json_ json_object *o = json_object_new_object();

	for (char **a = aux; a && *a; a++) {
		const char *eq = strchr(*a, '=');
		_cleanup_free_ char *key = eq ? xstrndup(*a, (size_t)(eq - *a)) : NULL;
		uint32_t ip;
		if (!eq || eq == *a || net_ip_parse(eq + 1, &ip) < 0)
			return hk_error_set(err, 0,
					    "invalid --aux-address '%s': expected NAME=IPv4", *a);
		if ((ip & net_mask(prefix)) != net || ip == gw)
			return hk_error_set(err, 0,
					    "--aux-address %s is not a free host address of the"
					    " subnet",
					    *a);
		if (json_object_object_get_ex(o, key, NULL))
			return hk_error_set(err, 0, "--aux-address %s given twice", key);
		json_object_object_add(o, key, json_object_new_string(eq + 1));
	}
	*out = json_to_string(o, false);
	return 0;
}

static int create_locked(struct net_ctx *ctx, const char *name, const struct net_create_opts *opts,
			 const char *bridge_name, char **id_out, struct hk_error **err)
{
	_cleanup_free_ char *labels = NULL, *subnet = NULL, *gw = NULL, *bridge = NULL,
			    *other = NULL, *subnet6 = NULL, *gw6 = NULL, *range = NULL, *aux = NULL;
	char id[65];
	uint32_t net = 0, gwip;
	int prefix = 24;
	struct net_rec existing = {0};
	int rc;

	if (!valid_name(name))
		return hk_error_set(err, 0,
				    "invalid network name '%s': use letters, digits, '_', '.', '-'"
				    " (at most 64, starting with a letter or digit)",
				    name);
	rc = net_rec_find(ctx, name, &existing, err);
	net_rec_clear(&existing);
	if (rc < 0)
		return -1;
	if (rc > 0)
		return hk_error_set(err, 0, "network %s already exists", name);
	if (labels_json(opts->labels, &labels, err) < 0)
		return -1;
	if (opts->subnet) {
		if (net_cidr_parse(opts->subnet, &net, &prefix, err) < 0)
			return -1;
		if ((other = overlaps_db(ctx, net, prefix)))
			return hk_error_set(err, 0, "subnet %s overlaps network %s", opts->subnet,
					    other);
		if (overlaps_host(net, prefix, bridge_name))
			return hk_error_set(
				err, 0, "subnet %s overlaps an address of this host's interfaces",
				opts->subnet);
	} else {
		uint32_t pool;
		int pool_prefix;
		bool found = false;
		if (net_cidr_parse(NET_USER_POOL, &pool, &pool_prefix, err) < 0)
			return -1;
		for (uint32_t i = 0; i < (1u << (24 - pool_prefix)) && !found; i++) {
			net = pool + (i << 8);
			free(other);
			other = overlaps_db(ctx, net, 24);
			found = !other && !overlaps_host(net, 24, NULL);
		}
		if (!found)
			return hk_error_set(err, 0, "no free /24 left in %s; give --subnet",
					    NET_USER_POOL);
	}
	if (opts->gateway) {
		if (net_ip_parse(opts->gateway, &gwip) < 0)
			return hk_error_set(err, 0, "invalid gateway '%s'", opts->gateway);
		if ((gwip & net_mask(prefix)) != net || gwip == net ||
		    gwip == (net | ~net_mask(prefix)))
			return hk_error_set(err, 0, "gateway %s is not a host address of %s/%d",
					    opts->gateway, (subnet = net_ip_str(net)), prefix);
	} else {
		gwip = net + 1;
	}
	free(subnet);
	subnet = net_ip_str(net);
	{
		char *s = xasprintf("%s/%d", subnet, prefix);
		free(subnet);
		subnet = s;
	}
	gw = net_ip_str(gwip);
	net_random_hex(id, 64);
	bridge = bridge_name ? xstrdup(bridge_name) : xasprintf("hkbr-%.10s", id);
	if (opts->bridge && create_bridge_name(opts->bridge, &bridge, err) < 0)
		return -1;
	if ((opts->subnet6 || opts->gateway6) && !opts->ipv6)
		return hk_error_set(err, 0, "an IPv6 --subnet or --gateway needs --ipv6");
	if (opts->ipv6 && create_v6(ctx, opts, bridge, &subnet6, &gw6, err) < 0)
		return -1;
	if (opts->ip_range &&
	    create_ip_range(opts->ip_range, opts->subnet, net, prefix, &range, err) < 0)
		return -1;
	if (create_aux(opts->aux_addresses, net, prefix, gwip, &aux, err) < 0)
		return -1;
	if (opts->mtu && (opts->mtu < 68 || opts->mtu > 65535))
		return hk_error_set(err, 0, "invalid MTU %d: expected 68 to 65535", opts->mtu);
	struct net_row_extra x = {labels, subnet6, gw6, range, aux, opts->mtu};
	if (insert_network(ctx, name, id, subnet, gw, bridge, opts->internal, &x, err) < 0)
		return -1;
	if (id_out)
		*id_out = xstrdup(id);
	return 0;
}

int net_create(struct net_ctx *ctx, const char *name, const struct net_create_opts *opts,
	       char **id_out, struct hk_error **err)
{
	int rc;

	if (str_eq(name, NET_DEFAULT_NAME) || str_eq(name, "none") || str_eq(name, "host"))
		return hk_error_set(err, 0, "network name '%s' is reserved", name);
	if (net_lock(ctx, err) < 0)
		return -1;
	rc = create_locked(ctx, name, opts, NULL, id_out, err);
	net_unlock(ctx);
	return rc;
}

int net_ensure_default_locked(struct net_ctx *ctx, struct hk_error **err)
{
	struct net_rec r = {0};
	struct net_create_opts o = {.subnet = getenv("HAKO_NET_DEFAULT_SUBNET")};
	int rc = net_rec_find(ctx, NET_DEFAULT_NAME, &r, err);

	net_rec_clear(&r);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (!o.subnet || !*o.subnet)
		o.subnet = NET_DEFAULT_SUBNET;
	if (create_locked(ctx, NET_DEFAULT_NAME, &o, NET_DEFAULT_BRIDGE, NULL, err) < 0)
		return hk_error_wrap(err, "create the default network");
	return 0;
}

int net_ensure_default(struct net_ctx *ctx, struct hk_error **err)
{
	int rc;

	if (net_lock(ctx, err) < 0)
		return -1;
	rc = net_ensure_default_locked(ctx, err);
	net_unlock(ctx);
	return rc;
}

/* ---- kernel objects ---- */

static int write_sysctl(const char *path, const char *value, struct hk_error **err)
{
	char cur[8] = "";
	_cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return hk_error_errno(err, "open %s", path);
	if (read(fd, cur, sizeof(cur) - 1) > 0 && cur[0] == value[0])
		return 0;
	if (pwrite(fd, value, strlen(value), 0) < 0)
		return hk_error_errno(err, "write %s", path);
	return 0;
}

static int set_up(struct net_ctx *ctx, const char *name, bool up, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;

	if (db_prepare(ctx->db, "UPDATE networks SET up = ?2 WHERE name = ?1", &s, err) < 0)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, up);
	if (sqlite3_step(s) != SQLITE_DONE)
		return db_error(ctx->db, err, "database: %s", "mark network up or down");
	return 0;
}

/* The IPv6 side of r's bridge: IPv6 on (a host may default it off), the
 * gateway address without duplicate address detection (usable at once: no
 * second of "tentative"), and forwarding when the network has a way out.
 * Forwarding on makes the host ignore router advertisements on its other
 * interfaces unless accept_ra=2 there (docker's -ipv6 does the same). */
static int bridge_v6(struct nl *nl, int idx, const struct net_rec *r, struct hk_error **err)
{
	_cleanup_free_ char *dis = xasprintf("/proc/sys/net/ipv6/conf/%s/disable_ipv6", r->bridge);
	struct in6_addr gw;

	memcpy(gw.s6_addr, r->gateway6, 16);
	if (write_sysctl(dis, "0", err) < 0)
		return hk_error_wrap(err, "IPv6 (is it disabled on this host?)");
	if (nl_addr6_add(nl, idx, &gw, r->prefix6, err) < 0)
		return -1;
	if (!r->internal && write_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1", err) < 0)
		return -1;
	return 0;
}

/* The bridge of r: gateway address, up, and the sysctls NAT needs. */
static int bridge_make(struct nl *nl, const struct net_rec *r, struct hk_error **err)
{
	_cleanup_free_ char *rl = NULL;
	struct in_addr gw = {.s_addr = htonl(r->gateway)};
	/* A fixed MAC (02:42 and the gateway's address, as the containers'
	 * scheme): a bridge without one takes its lowest port's, so it changed
	 * whenever a container came or went, and peers' ARP caches pointed at
	 * the old one (the gateway, its DNS responder, unreachable for ~30 s). */
	uint8_t mac[6] = {0x02,
			  0x42,
			  (uint8_t)(r->gateway >> 24),
			  (uint8_t)(r->gateway >> 16),
			  (uint8_t)(r->gateway >> 8),
			  (uint8_t)r->gateway};
	struct nl_link_change up = {.up = true, .netns_fd = -1, .mac = mac};
	int idx;

	if (nl_bridge_add(nl, r->bridge, r->mtu, err) < 0)
		return -1;
	idx = nl_link_index(nl, r->bridge, err);
	if (idx <= 0)
		return idx < 0 ? -1 : hk_error_set(err, ENODEV, "bridge %s vanished", r->bridge);
	if (nl_addr_add(nl, idx, gw, r->prefix, err) < 0 || nl_link_set(nl, idx, &up, err) < 0)
		goto fail;
	/* route_localnet lets DNAT'ed packets from 127.0.0.1 (a port published
	 * on the host's loopback) be routed out of the bridge; the firewall
	 * drops packets *to* 127/8 arriving on it (CVE-2020-8558). */
	rl = xasprintf("/proc/sys/net/ipv4/conf/%s/route_localnet", r->bridge);
	if (write_sysctl(rl, "1", err) < 0)
		goto fail;
	if (!r->internal && write_sysctl("/proc/sys/net/ipv4/ip_forward", "1", err) < 0)
		goto fail;
	if (r->v6 && bridge_v6(nl, idx, r, err) < 0)
		goto fail;
	return idx;
fail:
	nl_link_del(nl, r->bridge, true, NULL);
	return hk_error_wrap(err, "bridge %s", r->bridge);
}

int net_network_up(struct net_ctx *ctx, struct nl *nl, const struct net_rec *r, bool *brought_up,
		   struct hk_error **err)
{
	int idx = nl_link_index(nl, r->bridge, err);

	*brought_up = false;
	if (idx < 0)
		return -1;
	if (idx > 0 && r->up)
		return idx; /* the common case: one RTM_GETLINK */
	if (idx == 0 && (idx = bridge_make(nl, r, err)) < 0)
		return -1;
	*brought_up = true;
	if (set_up(ctx, r->name, true, err) < 0 || net_fw_sync(ctx, err) < 0) {
		_cleanup_error_ struct hk_error *e2 = NULL;
		set_up(ctx, r->name, false, &e2);
		nl_link_del(nl, r->bridge, true, NULL);
		return hk_error_wrap(err, "network %s", r->name);
	}
	return idx;
}

int net_network_down(struct net_ctx *ctx, struct nl *nl, const struct net_rec *r,
		     struct hk_error **err)
{
	if (nl_link_del(nl, r->bridge, true, err) < 0)
		return -1;
	return set_up(ctx, r->name, false, err);
}

int net_count_rows(struct net_ctx *ctx, const char *sql, const char *arg, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;

	if (db_prepare(ctx->db, sql, &s, err) < 0)
		return -1;
	sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW)
		return db_error(ctx->db, err, "database: %s", "count");
	return sqlite3_column_int(s, 0);
}

/* Remove one endpoint: its veth (the pair goes with it), rows, and the map
 * elements of its published ports.  Hosts files are the caller's. */
int net_endpoint_remove_locked(struct net_ctx *ctx, struct nl *nl, const char *cid,
			       const char *network, const char *veth, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *d1 = NULL, *d2 = NULL, *d3 = NULL;
	_cleanup_free_ char *fw = NULL;

	if (veth && nl_link_del(nl, veth, true, err) < 0)
		return -1;
	fw = net_fw_ports_cmd(ctx, cid, network, false);
	if (db_prepare(ctx->db, "DELETE FROM endpoints WHERE container_id = ?1 AND network = ?2",
		       &d1, err) < 0 ||
	    db_prepare(ctx->db, "DELETE FROM net_ports WHERE container_id = ?1 AND network = ?2",
		       &d2, err) < 0)
		return -1;
	/* A container on no network has no peers to track. */
	if (db_prepare(ctx->db,
		       "DELETE FROM net_hosts WHERE container_id = ?1 AND NOT EXISTS"
		       " (SELECT 1 FROM endpoints WHERE container_id = ?1)",
		       &d3, err) < 0)
		return -1;
	sqlite3_bind_text(d1, 1, cid, -1, SQLITE_STATIC);
	sqlite3_bind_text(d1, 2, network, -1, SQLITE_STATIC);
	sqlite3_bind_text(d2, 1, cid, -1, SQLITE_STATIC);
	sqlite3_bind_text(d2, 2, network, -1, SQLITE_STATIC);
	sqlite3_bind_text(d3, 1, cid, -1, SQLITE_STATIC);
	/* one write transaction, not three */
	if (db_begin_immediate(ctx->db, err) < 0)
		return -1;
	if (sqlite3_step(d1) != SQLITE_DONE || sqlite3_step(d2) != SQLITE_DONE ||
	    sqlite3_step(d3) != SQLITE_DONE) {
		db_error(ctx->db, err, "database: %s", "delete endpoint");
		db_rollback(ctx->db);
		return -1;
	}
	if (db_commit(ctx->db, err) < 0)
		return -1;
	return net_fw_ports_apply(ctx, fw, err);
}

int net_repair_locked(struct net_ctx *ctx, struct nl *nl, bool *changed, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL, *nets = NULL;
	char **stale = NULL, **gone = NULL;
	int rc;

	if (db_prepare(ctx->db, "SELECT container_id, network, veth FROM endpoints", &s, err) < 0)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *veth = (const char *)sqlite3_column_text(s, 2);
		int idx = nl_link_index(nl, veth, err);
		if (idx < 0)
			goto fail;
		if (idx == 0) {
			/* The kernel destroys a veth pair with the namespace of
			 * either end: this container's namespace is gone. */
			strv_push(&stale, (const char *)sqlite3_column_text(s, 0));
			strv_push(&stale, (const char *)sqlite3_column_text(s, 1));
		}
	}
	db_stmt_finalizep(&s);
	for (size_t i = 0; stale && stale[i]; i += 2) {
		log_debug("net: reclaiming endpoint of %s on %s", stale[i], stale[i + 1]);
		if (net_endpoint_remove_locked(ctx, nl, stale[i], stale[i + 1], NULL, err) < 0)
			goto fail;
	}
	/* Networks marked up whose bridge is gone (a reboot: the database
	 * outlives the kernel's objects, or someone deleted it). */
	if (db_prepare(ctx->db, "SELECT name, bridge FROM networks WHERE up", &nets, err) < 0)
		goto fail;
	while (sqlite3_step(nets) == SQLITE_ROW) {
		int idx = nl_link_index(nl, (const char *)sqlite3_column_text(nets, 1), err);
		if (idx < 0)
			goto fail;
		if (idx == 0)
			strv_push(&gone, (const char *)sqlite3_column_text(nets, 0));
	}
	db_stmt_finalizep(&nets);
	for (char **g = gone; g && *g; g++) {
		if (set_up(ctx, *g, false, err) < 0)
			goto fail;
		if (changed)
			*changed = true;
	}
	/* a write only when there is something to delete */
	rc = net_count_rows(ctx,
			    "SELECT count(*) FROM net_hosts WHERE container_id NOT IN"
			    " (SELECT container_id FROM endpoints) AND ?1 IS NULL",
			    NULL, err);
	if (rc < 0 || (rc > 0 && db_exec(ctx->db,
					 "DELETE FROM net_hosts WHERE container_id NOT IN"
					 " (SELECT container_id FROM endpoints)",
					 err) < 0))
		goto fail;
	strv_free(stale);
	strv_free(gone);
	return 0;
fail:
	strv_free(stale);
	strv_free(gone);
	return -1;
}

int net_repair(struct net_ctx *ctx, struct hk_error **err)
{
	struct nl nl = {.fd = -1};
	int rc = -1;

	if (net_lock(ctx, err) < 0)
		return -1;
	if (nl_open(&nl, -1, err) < 0)
		goto out;
	if (net_repair_locked(ctx, &nl, NULL, err) < 0 || net_fw_sync(ctx, err) < 0)
		goto out;
	net_dns_update(ctx);
	rc = 0;
out:
	nl_close(&nl);
	net_unlock(ctx);
	return rc < 0 ? hk_error_wrap(err, "network repair") : 0;
}

/* ---- inspect, remove, prune ---- */

static json_object *endpoints_json(struct net_ctx *ctx, const char *network)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	json_object *o = json_object_new_object();

	if (sqlite3_prepare_v2(
		    ctx->db,
		    "SELECT e.container_id, e.name, e.veth, e.mac, e.ip, e.aliases, e.ip6,"
		    " substr(n.subnet6, instr(n.subnet6, '/')) FROM endpoints e"
		    " JOIN networks n ON n.name = e.network"
		    " WHERE e.network = ? ORDER BY e.rowid",
		    -1, &s, NULL) != SQLITE_OK)
		return o;
	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_object *e = json_object_new_object();
		const char *name = (const char *)sqlite3_column_text(s, 1);
		const char *aliases = (const char *)sqlite3_column_text(s, 5);
		json_object *a = aliases ? json_tokener_parse(aliases) : NULL;
		json_object_object_add(e, "Name", json_object_new_string(name ? name : ""));
		json_object_object_add(
			e, "EndpointID",
			json_object_new_string((const char *)sqlite3_column_text(s, 2)));
		json_object_object_add(
			e, "MacAddress",
			json_object_new_string((const char *)sqlite3_column_text(s, 3)));
		json_object_object_add(
			e, "IPv4Address",
			json_object_new_string((const char *)sqlite3_column_text(s, 4)));
		json_object_object_add(e, "Aliases", a ? a : json_object_new_array());
		{
			/* docker's shape: ADDRESS/PREFIX, "" without IPv6 */
			const char *ip6 = (const char *)sqlite3_column_text(s, 6);
			const char *pl = (const char *)sqlite3_column_text(s, 7);
			_cleanup_free_ char *v = ip6 ? xasprintf("%s%s", ip6, pl ? pl : "") : NULL;
			json_object_object_add(e, "IPv6Address",
					       json_object_new_string(v ? v : ""));
		}
		json_object_object_add(o, (const char *)sqlite3_column_text(s, 0), e);
	}
	return o;
}

static json_object *rec_json(struct net_ctx *ctx, const struct net_rec *r)
{
	json_object *o = json_object_new_object();
	_cleanup_free_ char *sub = net_ip_str(r->subnet), *gw = net_ip_str(r->gateway);
	_cleanup_free_ char *cidr = xasprintf("%s/%d", sub, r->prefix);
	json_object *labels = r->labels ? json_tokener_parse(r->labels) : NULL;

	json_object_object_add(o, "Name", json_object_new_string(r->name));
	json_object_object_add(o, "Id", json_object_new_string(r->id));
	json_object_object_add(o, "Driver", json_object_new_string("bridge"));
	json_object_object_add(o, "Subnet", json_object_new_string(cidr));
	json_object_object_add(o, "Gateway", json_object_new_string(gw));
	json_object_object_add(o, "Bridge", json_object_new_string(r->bridge));
	json_object_object_add(o, "Internal", json_object_new_boolean(r->internal));
	json_object_object_add(o, "EnableIPv6", json_object_new_boolean(r->v6));
	{
		/* docker's IPAM block: one config per address family */
		json_object *ipam = json_object_new_object(), *cfgs = json_object_new_array();
		json_object *c4 = json_object_new_object();
		json_object_object_add(ipam, "Driver", json_object_new_string("default"));
		json_object_object_add(c4, "Subnet", json_object_new_string(cidr));
		json_object_object_add(c4, "Gateway", json_object_new_string(gw));
		if (r->range_prefix) {
			_cleanup_free_ char *ra = net_ip_str(r->range);
			_cleanup_free_ char *rc = xasprintf("%s/%d", ra, r->range_prefix);
			json_object_object_add(c4, "IPRange", json_object_new_string(rc));
		}
		if (r->aux && strcmp(r->aux, "{}"))
			json_object_object_add(c4, "AuxiliaryAddresses",
					       json_tokener_parse(r->aux));
		json_object_array_add(cfgs, c4);
		if (r->v6) {
			_cleanup_free_ char *s6 = net_ip6_str(r->subnet6),
					    *g6 = net_ip6_str(r->gateway6);
			_cleanup_free_ char *c = xasprintf("%s/%d", s6, r->prefix6);
			json_object *c6 = json_object_new_object();
			json_object_object_add(c6, "Subnet", json_object_new_string(c));
			json_object_object_add(c6, "Gateway", json_object_new_string(g6));
			json_object_array_add(cfgs, c6);
		}
		json_object_object_add(ipam, "Config", cfgs);
		json_object_object_add(o, "IPAM", ipam);
	}
	{
		/* docker's driver options, as `network create -o` takes them */
		json_object *opts = json_object_new_object();
		json_object_object_add(opts, "com.docker.network.bridge.name",
				       json_object_new_string(r->bridge));
		if (r->mtu) {
			_cleanup_free_ char *m = xasprintf("%d", r->mtu);
			json_object_object_add(opts, "com.docker.network.driver.mtu",
					       json_object_new_string(m));
		}
		json_object_object_add(o, "Options", opts);
	}
	json_object_object_add(o, "Created", json_object_new_int64(r->created));
	json_object_object_add(o, "Labels", labels ? labels : json_object_new_object());
	json_object_object_add(o, "Containers", endpoints_json(ctx, r->name));
	return o;
}

int net_inspect(struct net_ctx *ctx, char *const *names, json_object **out, struct hk_error **err)
{
	_cleanup_json_ json_object *arr = json_object_new_array();
	int rc = -1;

	if (net_lock(ctx, err) < 0)
		return -1;
	if (!names) {
		_cleanup_stmt_ sqlite3_stmt *s = NULL;
		if (db_prepare(ctx->db, "SELECT " REC_COLS " FROM networks ORDER BY rowid", &s,
			       err) < 0)
			goto out;
		while (sqlite3_step(s) == SQLITE_ROW) {
			struct net_rec r = {0};
			if (rec_from_row(s, &r, err) < 0) {
				net_rec_clear(&r);
				goto out;
			}
			json_object_array_add(arr, rec_json(ctx, &r));
			net_rec_clear(&r);
		}
	} else {
		for (char *const *n = names; *n; n++) {
			struct net_rec r = {0};
			if (str_eq(*n, NET_DEFAULT_NAME) && net_ensure_default_locked(ctx, err) < 0)
				goto out;
			if (net_rec_get(ctx, *n, &r, err) < 0)
				goto out;
			json_object_array_add(arr, rec_json(ctx, &r));
			net_rec_clear(&r);
		}
	}
	*out = steal_ptr(&arr);
	rc = 0;
out:
	net_unlock(ctx);
	return rc;
}

static int remove_locked(struct net_ctx *ctx, struct nl *nl, const struct net_rec *r, bool force,
			 struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL, *d = NULL;
	int n;

	n = net_count_rows(ctx, "SELECT count(*) FROM endpoints WHERE network = ?", r->name, err);
	if (n < 0)
		return -1;
	if (n > 0 && !force)
		return hk_error_set(
			err, 0, "network %s has %d connected container%s; disconnect them first",
			r->name, n, n == 1 ? "" : "s");
	if (n > 0) {
		if (db_prepare(ctx->db,
			       "SELECT container_id, veth FROM endpoints WHERE network = ?", &s,
			       err) < 0)
			return -1;
		sqlite3_bind_text(s, 1, r->name, -1, SQLITE_STATIC);
		while (sqlite3_step(s) == SQLITE_ROW) {
			_cleanup_free_ char *cid = db_column_strdup(s, 0),
					    *veth = db_column_strdup(s, 1);
			if (net_endpoint_remove_locked(ctx, nl, cid, r->name, veth, err) < 0)
				return -1;
		}
	}
	if (net_network_down(ctx, nl, r, err) < 0)
		return -1;
	if (db_prepare(ctx->db, "DELETE FROM networks WHERE name = ?", &d, err) < 0)
		return -1;
	sqlite3_bind_text(d, 1, r->name, -1, SQLITE_STATIC);
	if (sqlite3_step(d) != SQLITE_DONE)
		return db_error(ctx->db, err, "database: %s", "delete network");
	return 0;
}

int net_remove(struct net_ctx *ctx, const char *name_or_id, bool force, struct hk_error **err)
{
	struct net_rec r = {0};
	struct nl nl = {.fd = -1};
	int rc = -1;

	if (net_lock(ctx, err) < 0)
		return -1;
	if (nl_open(&nl, -1, err) < 0 || net_repair_locked(ctx, &nl, NULL, err) < 0)
		goto out;
	if (net_rec_get(ctx, name_or_id, &r, err) < 0)
		goto out;
	if (str_eq(r.name, NET_DEFAULT_NAME)) {
		hk_error_set(err, 0, "the default network %s cannot be removed", r.name);
		goto out;
	}
	if (remove_locked(ctx, &nl, &r, force, err) < 0)
		goto out;
	if (net_fw_sync(ctx, err) < 0 || net_hosts_refresh(ctx, NULL, NULL, err) < 0)
		goto out;
	net_dns_update(ctx);
	rc = 0;
out:
	net_rec_clear(&r);
	nl_close(&nl);
	net_unlock(ctx);
	return rc;
}

int net_prune(struct net_ctx *ctx, char ***removed, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	struct nl nl = {.fd = -1};
	struct net_rec def = {0};
	char **names = NULL;
	bool changed = false;
	int rc = -1;

	if (net_lock(ctx, err) < 0)
		return -1;
	if (nl_open(&nl, -1, err) < 0 || net_repair_locked(ctx, &nl, &changed, err) < 0)
		goto out;
	if (db_prepare(ctx->db,
		       "SELECT name FROM networks WHERE name != '" NET_DEFAULT_NAME
		       "' AND name NOT IN"
		       " (SELECT network FROM endpoints) ORDER BY rowid",
		       &s, err) < 0)
		goto out;
	while (sqlite3_step(s) == SQLITE_ROW)
		strv_push(&names, (const char *)sqlite3_column_text(s, 0));
	db_stmt_finalizep(&s);
	for (char **n = names; n && *n; n++) {
		struct net_rec r = {0};
		int r1 = net_rec_get(ctx, *n, &r, err);
		if (r1 == 0)
			r1 = remove_locked(ctx, &nl, &r, false, err);
		net_rec_clear(&r);
		if (r1 < 0)
			goto out;
		changed = true;
		if (removed)
			strv_push(removed, *n);
	}
	/* The default network cannot be removed, but its bridge and rules go
	 * when no container uses it (they come back with the next one). */
	if (net_rec_find(ctx, NET_DEFAULT_NAME, &def, err) < 0)
		goto out;
	if (def.name && def.up) {
		int n = net_count_rows(ctx, "SELECT count(*) FROM endpoints WHERE network = ?",
				       def.name, err);
		if (n < 0 || (n == 0 && net_network_down(ctx, &nl, &def, err) < 0))
			goto out;
		changed = changed || n == 0;
	}
	/* nothing changed, no nft transaction (prune of a host without hako
	 * networks touches no firewall) */
	if (changed && net_fw_sync(ctx, err) < 0)
		goto out;
	net_dns_update(ctx);
	rc = 0;
out:
	net_rec_clear(&def);
	strv_free(names);
	nl_close(&nl);
	net_unlock(ctx);
	return rc;
}
