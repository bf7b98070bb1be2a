/* Unit tests of src/net/: parsers, the files written into containers, IPAM
 * on a real database, and rtnetlink inside a private network namespace. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "net/net.h"
#include "net/nl.h"
#include "test.h"
#include "util/json.h"
#include "util/util.h"

/* The MTU of a link of this namespace (SIOCGIFMTU), -1 on error. */
static int link_mtu(const char *name)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	r = fd >= 0 && ioctl(fd, SIOCGIFMTU, &ifr) == 0 ? ifr.ifr_mtu : -1;
	if (fd >= 0)
		close(fd);
	return r;
}

TEST(net_port_parse_forms)
{
	_cleanup_error_ struct hk_error *err = NULL;
	struct net_port p;

	REQUIRE(net_port_parse("80", &p, &err) == 0);
	CHECK(p.container_port == 80 && p.host_port == 0 && !*p.host_ip);
	CHECK_STR(p.proto, "tcp");
	REQUIRE(net_port_parse("8080:80/udp", &p, &err) == 0);
	CHECK(p.container_port == 80 && p.host_port == 8080);
	CHECK_STR(p.proto, "udp");
	REQUIRE(net_port_parse("127.0.0.1:8080:80", &p, &err) == 0);
	CHECK_STR(p.host_ip, "127.0.0.1");
	CHECK(p.host_port == 8080);
	REQUIRE(net_port_parse("127.0.0.1::53/udp", &p, &err) == 0);
	CHECK(p.host_port == 0 && p.container_port == 53);
	REQUIRE(net_port_parse("0.0.0.0:1:2", &p, &err) == 0);
	CHECK(!*p.host_ip);

	CHECK(net_port_parse("0", &p, &err) < 0);
	CHECK(net_port_parse("70000", &p, &err) < 0);
	CHECK(net_port_parse("a:b", &p, &err) < 0);
	CHECK(net_port_parse("1.2.3:80:80", &p, &err) < 0);
	CHECK(net_port_parse("1:2:3:4", &p, &err) < 0);
	CHECK(net_port_parse("80/icmp", &p, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "protocol must be tcp or udp") != NULL);
}

TEST(net_ports_parse_ranges)
{
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_free_ struct net_port *p = NULL;
	size_t n = 0;
	struct net_port one;

	REQUIRE(net_ports_parse("8000-8002:9000-9002", &p, &n, &err) == 0);
	REQUIRE(n == 3);
	CHECK(p[0].host_port == 8000 && p[0].container_port == 9000);
	CHECK(p[2].host_port == 8002 && p[2].container_port == 9002 && !p[2].host_port_last);
	REQUIRE(net_ports_parse("127.0.0.1:8000-8001:8000-8001/udp", &p, &n, &err) == 0);
	REQUIRE(n == 5); /* appended */
	CHECK_STR(p[4].proto, "udp");
	CHECK_STR(p[4].host_ip, "127.0.0.1");
	CHECK(p[4].host_port == 8001 && p[4].container_port == 8001);
	REQUIRE(net_ports_parse("9000-9001", &p, &n, &err) == 0);
	CHECK(n == 7 && p[6].host_port == 0 && p[6].container_port == 9001);
	/* a host range for one port: the first free one, chosen at connect */
	REQUIRE(net_port_parse("8000-8010:80", &one, &err) == 0);
	CHECK(one.host_port == 8000 && one.host_port_last == 8010 && one.container_port == 80);
	REQUIRE(net_port_parse("127.0.0.1::80", &one, &err) == 0);
	CHECK(one.host_port == 0 && !one.host_port_last);

	CHECK(net_ports_parse("8000-8002:9000-9001", &p, &n, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "ranges differ in length") != NULL);
	CHECK(net_ports_parse("9002-9000", &p, &n, &err) < 0);
	CHECK(net_ports_parse("9000-", &p, &n, &err) < 0);
	CHECK(net_ports_parse("1-70000", &p, &n, &err) < 0);
	CHECK(net_port_parse("9000-9001", &one, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "one port expected") != NULL);
	CHECK(n == 7); /* nothing appended by the failures */
}

TEST(net_cidr_parse_clears_host_bits)
{
	_cleanup_error_ struct hk_error *err = NULL;
	uint32_t a;
	int p;

	REQUIRE(net_cidr_parse("10.1.2.3/16", &a, &p, &err) == 0);
	CHECK(a == 0x0a010000 && p == 16);
	CHECK(net_cidr_parse("10.1.2.3", &a, &p, &err) < 0);
	CHECK(net_cidr_parse("10.1.2.3/31", &a, &p, &err) < 0);
	CHECK(net_cidr_parse("10.1.2.3/4", &a, &p, &err) < 0);
	CHECK(net_cidr_parse("300.1.2.3/24", &a, &p, &err) < 0);
	CHECK(net_cidr_parse("10.1.2.3/24x", &a, &p, &err) < 0);
}

TEST(net_resolv_given_servers_and_options)
{
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_free_ char *out = NULL;
	char *dns[] = {"192.0.2.53", "192.0.2.54", NULL};
	char *search[] = {"example.com", "corp", NULL};
	char *opts[] = {"ndots:2", NULL};

	REQUIRE(net_resolv_content(dns, search, opts, &out, &err) == 0);
	CHECK_STR(out, "search example.com corp\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n"
		       "options ndots:2\n");
}

static struct net_ctx *open_ctx(sqlite3 **db)
{
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_free_ char *run = xasprintf("%s/run", test_tmpdir());
	struct net_ctx *ctx = NULL;

	if (db_open(test_tmpdir(), db, &err) < 0 ||
	    net_open(*db, test_tmpdir(), run, &ctx, &err) < 0) {
		fprintf(stderr, "  %s\n", hk_error_msg(err));
		return NULL;
	}
	return ctx;
}

TEST(net_create_allocates_pool_subnets_and_refuses_overlaps)
{
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_db_ sqlite3 *db = NULL;
	_cleanup_net_ struct net_ctx *ctx = open_ctx(&db);
	_cleanup_json_ json_object *all = NULL;
	struct net_create_opts o = {0}, fixed = {.subnet = "10.90.1.0/24"};
	char *labels[] = {"a=b", "=bad", NULL};

	REQUIRE(ctx);
	REQUIRE(net_create(ctx, "one", &o, NULL, &err) == 0);
	REQUIRE(net_create(ctx, "fixed", &fixed, NULL, &err) == 0);
	REQUIRE(net_create(ctx, "two", &o, NULL, &err) == 0);
	CHECK(net_create(ctx, "two", &o, NULL, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "already exists") != NULL);
	fixed.subnet = "10.90.0.128/25";
	CHECK(net_create(ctx, "over", &fixed, NULL, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "overlaps network one") != NULL);
	o.labels = labels;
	CHECK(net_create(ctx, "lab", &o, NULL, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "empty key") != NULL);

	REQUIRE(net_inspect(ctx, NULL, &all, &err) == 0);
	REQUIRE(json_object_array_length(all) == 3);
	CHECK_STR(json_object_get_string(
			  json_object_object_get(json_object_array_get_idx(all, 0), "Subnet")),
		  "10.90.0.0/24");
	/* "fixed" took 10.90.1.0/24, so "two" skipped it */
	CHECK_STR(json_object_get_string(
			  json_object_object_get(json_object_array_get_idx(all, 2), "Subnet")),
		  "10.90.2.0/24");
}

TEST(net_hosts_without_networks)
{
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_db_ sqlite3 *db = NULL;
	_cleanup_net_ struct net_ctx *ctx = open_ctx(&db);
	_cleanup_free_ char *out = NULL;
	char *extra[] = {"gw:192.0.2.1", NULL}, *bad[] = {"nocolon", NULL};

	REQUIRE(ctx);
	REQUIRE(net_hosts_content(ctx, "abc", "box", extra, &out, &err) == 0);
	CHECK_STR(out, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
		       "192.0.2.1\tgw\n");
	CHECK(net_hosts_content(NULL, "abc", "box", bad, &out, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "invalid --add-host 'nocolon'") != NULL);
}

/* rtnetlink end to end in a private namespace of this forked test: a bridge,
 * a veth pair whose peer is born in a second namespace, addresses, routes. */
TEST(net_netlink_bridge_and_veth_in_private_namespaces)
{
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_close_ int other = -1;
	struct nl nl = {.fd = -1}, in = {.fd = -1};
	struct nl_link_change up = {.up = true, .netns_fd = -1};
	struct in_addr gw = {.s_addr = htonl(0x0a630001)}, a = {.s_addr = htonl(0x0a630002)};
	struct in_addr any = {0};
	uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x42};
	int br, self;

	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "  skip: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return;
	}
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	REQUIRE(self >= 0);
	/* a second namespace stands in for the container */
	REQUIRE(unshare(CLONE_NEWNET) == 0);
	other = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	REQUIRE(other >= 0);
	REQUIRE(setns(self, CLONE_NEWNET) == 0);
	close(self);

	REQUIRE(nl_open(&nl, -1, &err) == 0);
	CHECK(nl_link_index(&nl, "hk-br", &err) == 0);
	REQUIRE(nl_bridge_add(&nl, "hk-br", 1400, &err) == 0);
	CHECK(nl_bridge_add(&nl, "hk-br", 0, &err) < 0); /* exclusive */
	CHECK(link_mtu("hk-br") == 1400);
	br = nl_link_index(&nl, "hk-br", &err);
	REQUIRE(br > 0);
	REQUIRE(nl_addr_add(&nl, br, gw, 24, &err) == 0);
	REQUIRE(nl_link_set(&nl, br, &up, &err) == 0);
	REQUIRE(nl_veth_add(&nl, "hk-v0", "eth0", other, mac, br, 1400, &err) == 0);
	CHECK(link_mtu("hk-v0") == 1400);
	CHECK(nl_link_index(&nl, "hk-v0", &err) > 0);
	CHECK(nl_link_index(&nl, "eth0", &err) == 0); /* born in the other namespace */

	REQUIRE(nl_open(&in, other, &err) == 0);
	int e0 = nl_link_index(&in, "eth0", &err);
	REQUIRE(e0 > 0);
	REQUIRE(nl_addr_add(&in, e0, a, 24, &err) == 0);
	REQUIRE(nl_link_set(&in, e0, &up, &err) == 0);
	REQUIRE(nl_route_add(&in, any, 0, gw, e0, &err) == 0);
	CHECK(nl_route_add(&in, any, 0, gw, e0, &err) == 0); /* EEXIST is fine */

	/* rename, set the MAC and move a link to the other namespace */
	REQUIRE(nl_veth_add(&nl, "hk-v1", "hk-p1", -1, NULL, 0, 0, &err) == 0);
	CHECK(link_mtu("hk-p1") == 1500); /* the kernel's default */
	int p1 = nl_link_index(&nl, "hk-p1", &err);
	REQUIRE(p1 > 0);
	struct nl_link_change rn = {.new_name = "hk-p2", .mac = mac, .netns_fd = -1};
	REQUIRE(nl_link_set(&nl, p1, &rn, &err) == 0);
	CHECK(nl_link_index(&nl, "hk-p2", &err) == p1);
	struct nl_link_change mv = {.netns_fd = other};
	REQUIRE(nl_link_set(&nl, p1, &mv, &err) == 0);
	CHECK(nl_link_index(&nl, "hk-p2", &err) == 0);
	CHECK(nl_link_index(&in, "hk-p2", &err) > 0);
	CHECK(nl_link_set(&nl, 99999, &rn, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "netlink: change link 99999") != NULL);

	/* deleting the host end takes the peer with it */
	REQUIRE(nl_link_del(&nl, "hk-v0", false, &err) == 0);
	CHECK(nl_link_index(&in, "eth0", &err) == 0);
	CHECK(nl_link_del(&nl, "hk-v0", true, &err) == 0);
	CHECK(nl_link_del(&nl, "hk-v0", false, &err) < 0);
	CHECK(nl_link_index(&nl, "this-name-is-much-too-long", &err) < 0);

	/* the batched set-up of a container's interface, twice (idempotent),
	 * and a failing batch names its request */
	REQUIRE(nl_veth_add(&nl, "hk-v3", "eth1", other, NULL, br, 0, &err) == 0);
	int e1 = nl_link_index(&in, "eth1", &err);
	REQUIRE(e1 > 0);
	REQUIRE(nl_iface_setup(&in, e1, a, 24, gw, &err) == 0);
	CHECK(nl_iface_setup(&in, e1, a, 24, gw, &err) == 0);
	CHECK(nl_iface_setup(&in, 99999, a, 24, gw, &err) < 0);
	CHECK(err && strstr(hk_error_msg(err), "netlink: add the address") != NULL);
	hk_error_free(&err);
	nl_close(&in);
	nl_close(&nl);
}

TEST(net_cidr6_parse_and_ipam)
{
	_cleanup_error_ struct hk_error *err = NULL;
	uint8_t net[16], gw[16], a[16], used[3][16], want[16];
	int p;

	REQUIRE(net_cidr6_parse("fd00:1:2:3:4::9/64", net, &p, &err) == 0);
	inet_pton(AF_INET6, "fd00:1:2:3::", want);
	CHECK(p == 64 && !memcmp(net, want, 16));
	CHECK(net_cidr6_parse("fd00::/130", net, &p, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "prefix must be 48..124") != NULL);
	CHECK(net_cidr6_parse("fd00::/8", net, &p, &err) < 0);
	CHECK(net_cidr6_parse("fd00::", net, &p, &err) < 0);
	CHECK(net_cidr6_parse("10.0.0.0/64", net, &p, &err) < 0);
	CHECK(net_cidr6_parse("fe80::/64", net, &p, &err) < 0);
	CHECK(net_cidr6_parse("ff02::/64", net, &p, &err) < 0);

	/* the lowest free host number, skipping the gateway and used ones */
	REQUIRE(net_cidr6_parse("fd00:9::/64", net, &p, &err) == 0);
	inet_pton(AF_INET6, "fd00:9::1", gw);
	REQUIRE(net_ip6_alloc(net, p, gw, NULL, 0, NULL, a, &err) == 0);
	inet_pton(AF_INET6, "fd00:9::2", want);
	CHECK(!memcmp(a, want, 16));
	inet_pton(AF_INET6, "fd00:9::2", used[0]);
	inet_pton(AF_INET6, "fd00:9::3", used[1]);
	inet_pton(AF_INET6, "fd00:9::5", used[2]);
	REQUIRE(net_ip6_alloc(net, p, gw, (const uint8_t(*)[16])used, 3, NULL, a, &err) == 0);
	inet_pton(AF_INET6, "fd00:9::4", want);
	CHECK(!memcmp(a, want, 16));
	/* requested: checked */
	REQUIRE(net_ip6_alloc(net, p, gw, (const uint8_t(*)[16])used, 3, "fd00:9::abcd", a, &err) ==
		0);
	CHECK(net_ip6_alloc(net, p, gw, (const uint8_t(*)[16])used, 3, "fd00:9::3", a, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "already in use") != NULL);
	CHECK(net_ip6_alloc(net, p, gw, NULL, 0, "fd00:8::3", a, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "not in subnet fd00:9::/64") != NULL);
	CHECK(net_ip6_alloc(net, p, gw, NULL, 0, "fd00:9::1", a, &err) < 0);
	CHECK(net_ip6_alloc(net, p, gw, NULL, 0, "fd00:9::", a, &err) < 0);
	CHECK(net_ip6_alloc(net, p, gw, NULL, 0, "nonsense", a, &err) < 0);
	/* a /124 has fifteen host numbers: the gateway and fourteen more */
	REQUIRE(net_cidr6_parse("fd00:9::/124", net, &p, &err) == 0);
	uint8_t many[14][16];
	for (int i = 0; i < 14; i++) {
		memcpy(many[i], net, 16);
		many[i][15] = (uint8_t)(i + 2);
	}
	CHECK(net_ip6_alloc(net, p, gw, (const uint8_t(*)[16])many, 14, NULL, a, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "no free address") != NULL);
	REQUIRE(net_ip6_alloc(net, p, gw, (const uint8_t(*)[16])many, 13, NULL, a, &err) == 0);
	CHECK(a[15] == 15);
}

TEST(net_create_ipv6_networks)
{
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_db_ sqlite3 *db = NULL;
	_cleanup_net_ struct net_ctx *ctx = open_ctx(&db);
	struct net_create_opts o = {.ipv6 = true, .subnet = "10.91.1.0/24"};
	struct net_create_opts fixed = {.ipv6 = true,
					.subnet = "10.91.2.0/24",
					.subnet6 = "fd00:55::/64",
					.gateway6 = "fd00:55::fe"};
	struct net_create_opts over = {
		.ipv6 = true, .subnet = "10.91.3.0/24", .subnet6 = "fd00:55::/56"};
	struct net_create_opts no6 = {.subnet = "10.91.4.0/24", .subnet6 = "fd00:56::/64"};
	_cleanup_json_ json_object *arr = NULL;

	REQUIRE(ctx);
	REQUIRE(net_create(ctx, "auto6", &o, NULL, &err) == 0);
	REQUIRE(net_create(ctx, "fixed6", &fixed, NULL, &err) == 0);
	CHECK(net_create(ctx, "over6", &over, NULL, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "overlaps network fixed6") != NULL);
	CHECK(net_create(ctx, "no6", &no6, NULL, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "needs --ipv6") != NULL);
	REQUIRE(net_inspect(ctx, NULL, &arr, &err) == 0);
	{
		json_object *n0 = json_object_array_get_idx(arr, 0), *ipam, *cfg, *c6, *v;
		REQUIRE(json_object_object_get_ex(n0, "IPAM", &ipam));
		REQUIRE(json_object_object_get_ex(ipam, "Config", &cfg));
		REQUIRE(json_object_array_length(cfg) == 2);
		c6 = json_object_array_get_idx(cfg, 1);
		REQUIRE(json_object_object_get_ex(c6, "Subnet", &v));
		CHECK_STR(json_object_get_string(v), "fd89:6861:6b6f::/64");
		json_object *n1 = json_object_array_get_idx(arr, 1);
		json_object_object_get_ex(n1, "IPAM", &ipam);
		json_object_object_get_ex(ipam, "Config", &cfg);
		c6 = json_object_array_get_idx(cfg, 1);
		REQUIRE(json_object_object_get_ex(c6, "Gateway", &v));
		CHECK_STR(json_object_get_string(v), "fd00:55::fe");
		REQUIRE(json_object_object_get_ex(n1, "EnableIPv6", &v));
		CHECK(json_object_get_boolean(v));
	}
}

/* A database made by a hako before IPv6 (module "net" at schema version 2)
 * gains the IPv6 columns on open; its rows stay as they were. */
TEST(net_schema_migrates_a_database_without_ipv6)
{
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_db_ sqlite3 *db = NULL;
	_cleanup_free_ char *run = xasprintf("%s/run", test_tmpdir());
	_cleanup_json_ json_object *all = NULL;
	struct net_ctx *ctx = NULL;
	struct net_create_opts o = {.ipv6 = true, .subnet = "10.92.2.0/24"};
	json_object *v;

	REQUIRE(db_open(test_tmpdir(), &db, &err) == 0);
	REQUIRE(sqlite3_exec(
			db,
			"CREATE TABLE networks ("
			" name TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, subnet TEXT NOT NULL,"
			" gateway TEXT NOT NULL, bridge TEXT NOT NULL UNIQUE,"
			" internal INTEGER NOT NULL DEFAULT 0, driver TEXT NOT NULL DEFAULT "
			"'bridge',"
			" created INTEGER NOT NULL, labels TEXT NOT NULL DEFAULT '{}');"
			"CREATE TABLE endpoints ("
			" container_id TEXT NOT NULL, network TEXT NOT NULL REFERENCES "
			"networks(name),"
			" ip TEXT NOT NULL, mac TEXT NOT NULL, aliases TEXT NOT NULL DEFAULT '[]',"
			" veth TEXT NOT NULL UNIQUE, ifname TEXT NOT NULL, name TEXT,"
			" PRIMARY KEY (container_id, network), UNIQUE (network, ip));"
			"CREATE TABLE net_ports ("
			" container_id TEXT NOT NULL, network TEXT NOT NULL, host_ip TEXT NOT NULL,"
			" host_port INTEGER NOT NULL, container_port INTEGER NOT NULL,"
			" proto TEXT NOT NULL, UNIQUE (host_ip, host_port, proto));"
			"CREATE TABLE net_hosts ("
			" container_id TEXT PRIMARY KEY, name TEXT, hostname TEXT, hosts_path TEXT,"
			" extra_hosts TEXT NOT NULL DEFAULT '[]');"
			"ALTER TABLE networks ADD COLUMN up INTEGER NOT NULL DEFAULT 0;"
			"INSERT INTO schema_versions(module, version) VALUES('net', 2);"
			"INSERT INTO networks (name, id, subnet, gateway, bridge, created) VALUES"
			" ('old', 'abcdef0123456789', '10.92.1.0/24', '10.92.1.1', 'hkbr-old', 1);"
			"INSERT INTO endpoints (container_id, network, ip, mac, veth, ifname) "
			"VALUES"
			" ('c1', 'old', '10.92.1.2', '02:42:0a:5c:01:02', 'hkvold', 'eth0');",
			NULL, NULL, NULL) == SQLITE_OK);
	REQUIRE(net_open(db, test_tmpdir(), run, &ctx, &err) == 0);
	REQUIRE(net_create(ctx, "new6", &o, NULL, &err) == 0);
	REQUIRE(net_inspect(ctx, NULL, &all, &err) == 0);
	REQUIRE(json_object_array_length(all) == 2);
	REQUIRE(json_object_object_get_ex(json_object_array_get_idx(all, 0), "EnableIPv6", &v));
	CHECK(!json_object_get_boolean(v));
	/* the old endpoint is there, without an IPv6 address */
	REQUIRE(json_object_object_get_ex(json_object_array_get_idx(all, 0), "Containers", &v));
	REQUIRE(json_object_object_get_ex(v, "c1", &v));
	REQUIRE(json_object_object_get_ex(v, "IPv6Address", &v));
	CHECK_STR(json_object_get_string(v), "");
	REQUIRE(json_object_object_get_ex(json_object_array_get_idx(all, 1), "EnableIPv6", &v));
	CHECK(json_object_get_boolean(v));
	net_close(ctx);
}
