/* hako net: NAT, published ports and forwarding in nftables' `table ip hako`.
 *
 * Two speeds of change:
 *   - a network whose bridge comes up or goes away (rare) regenerates the
 *     whole table from the database and swaps it in one nft transaction
 *     ("add table; delete table; table {...}"), so it is exactly what the
 *     database says and a crash between two changes is healed by the next one;
 *   - a container's published ports (every run with -p) are elements of four
 *     maps (tcp/udp, on every address or on one), added or deleted in one
 *     small transaction that touches nothing else.  A container without
 *     ports costs no nft transaction at all.
 * The per-network rules (masquerade, forwarding, the 127/8 guard) stay while
 * the network's bridge exists; see docs/network.md for the trade-off.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>

#include "net/net_priv.h"
#include "util/log.h"
#include "util/util.h"

struct buf {
	char *p;
	size_t len, cap;
};

static void HK_PRINTF(2, 3) bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap * 2 + (size_t)n + 256;
		b->p = xrealloc(b->p, b->cap);
	}
}

/* The forward chain's rules of bridge br, the same for IPv4 and IPv6: an
 * internal network talks only to itself; another goes out, and comes back
 * in for replies and published ports. */
static void forward_rules(struct buf *fwd, const char *br, bool internal)
{
	if (internal) {
		bprintf(fwd, "\t\tiifname \"%s\" oifname != \"%s\" drop\n", br, br);
		bprintf(fwd, "\t\toifname \"%s\" iifname != \"%s\" drop\n", br, br);
		return;
	}
	bprintf(fwd, "\t\toifname \"%s\" ct state established,related accept\n", br);
	bprintf(fwd, "\t\toifname \"%s\" ct status dnat accept\n", br);
	bprintf(fwd, "\t\tiifname \"%s\" accept\n", br);
}

/* The map of a published port: pub_{tcp,udp} keyed by the port alone (every
 * address of the host), pub_ip_{tcp,udp} keyed by address . port. */
static void port_elem(struct buf *b, const char *verb, const char *family, const char *hip,
		      int hport, const char *proto, const char *cip, int cport)
{
	bool one = hip && *hip;

	bprintf(b, "%s element %s hako pub_%s%s { ", verb, family, one ? "ip_" : "", proto);
	if (one)
		bprintf(b, "%s . ", hip);
	bprintf(b, "%d", hport);
	if (cip)
		bprintf(b, " : %s . %d", cip, cport);
	bprintf(b, " }\n");
}

#define PORTS_SQL                                                                                  \
	"SELECT p.host_ip, p.host_port, p.container_port, p.proto, e.ip, e.ip6 FROM net_ports p"   \
	" JOIN endpoints e ON e.container_id = p.container_id AND e.network = p.network"           \
	" JOIN networks nw ON nw.name = p.network WHERE nw.up"

/* The map elements of one row of PORTS_SQL: in `ip hako` for an IPv4 or
 * no host address, in `ip6 hako` for an IPv6 or no host address when the
 * container has an IPv6 address (a network made with --ipv6). */
static void port_row_elems(struct buf *b4, struct buf *b6, sqlite3_stmt *p, const char *verb,
			   bool add)
{
	const char *hip = (const char *)sqlite3_column_text(p, 0);
	const char *ip6 = (const char *)sqlite3_column_text(p, 5);
	bool hip6 = hip && strchr(hip, ':');

	if (!hip6)
		port_elem(b4, verb, "ip", hip, sqlite3_column_int(p, 1),
			  (const char *)sqlite3_column_text(p, 3),
			  add ? (const char *)sqlite3_column_text(p, 4) : NULL,
			  sqlite3_column_int(p, 2));
	if (ip6 && (hip6 || !hip || !*hip))
		port_elem(b6, verb, "ip6", hip, sqlite3_column_int(p, 1),
			  (const char *)sqlite3_column_text(p, 3), add ? ip6 : NULL,
			  sqlite3_column_int(p, 2));
}

/* The `ip6 hako` table: the IPv6 side of the networks made with --ipv6,
 * the same chains as `ip hako` (no loopback rules: the kernel routes no ::1
 * traffic off the host's loopback, so no [::1] port is ever published). */
static int gen_rules6(struct net_ctx *ctx, struct buf *b, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *n = NULL;
	struct buf post = {0}, fwd = {0};
	int count = 0;

	if (db_prepare(ctx->db,
		       "SELECT bridge, subnet6, internal FROM networks WHERE up AND subnet6 IS NOT"
		       " NULL ORDER BY rowid",
		       &n, err) < 0)
		return -1;
	bprintf(&post, "%s", "");
	bprintf(&fwd, "%s", "");
	while (sqlite3_step(n) == SQLITE_ROW) {
		const char *br = (const char *)sqlite3_column_text(n, 0);
		const char *sub = (const char *)sqlite3_column_text(n, 1);
		count++;
		bprintf(&post, "\t\toifname \"%s\" ip6 saddr %s ct status dnat masquerade\n", br,
			sub);
		forward_rules(&fwd, br, sqlite3_column_int(n, 2));
		if (!sqlite3_column_int(n, 2))
			bprintf(&post, "\t\tip6 saddr %s oifname != \"%s\" masquerade\n", sub, br);
	}
	if (count)
		bprintf(b,
			"table ip6 hako {\n"
			"\tmap pub_tcp { type inet_service : ipv6_addr . inet_service; }\n"
			"\tmap pub_udp { type inet_service : ipv6_addr . inet_service; }\n"
			"\tmap pub_ip_tcp {\n"
			"\t\ttype ipv6_addr . inet_service : ipv6_addr . inet_service;\n\t}\n"
			"\tmap pub_ip_udp {\n"
			"\t\ttype ipv6_addr . inet_service : ipv6_addr . inet_service;\n\t}\n"
			"\tchain prerouting {\n"
			"\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
			"\t\tfib daddr type local jump published\n\t}\n"
			"\tchain output {\n"
			"\t\ttype nat hook output priority -100; policy accept;\n"
			"\t\tfib daddr type local jump published\n\t}\n"
			"\tchain published {\n"
			"\t\tdnat ip6 to ip6 daddr . tcp dport map @pub_ip_tcp\n"
			"\t\tdnat ip6 to ip6 daddr . udp dport map @pub_ip_udp\n"
			"\t\tdnat ip6 to tcp dport map @pub_tcp\n"
			"\t\tdnat ip6 to udp dport map @pub_udp\n\t}\n"
			"\tchain postrouting {\n"
			"\t\ttype nat hook postrouting priority srcnat; policy accept;\n%s\t}\n"
			"\tchain forward {\n"
			"\t\ttype filter hook forward priority filter; policy accept;\n%s\t}\n"
			"}\n",
			post.p, fwd.p);
	free(post.p);
	free(fwd.p);
	return 0;
}

/* The whole table: the rules of every network whose bridge is up, the
 * elements of every published port on them.  Empty when none is up. */
static int gen_rules(struct net_ctx *ctx, struct buf *b, struct buf *elems, struct buf *elems6,
		     struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *n = NULL, *p = NULL;
	struct buf post = {0}, fwd = {0}, raw = {0};
	int count = 0;

	if (db_prepare(ctx->db,
		       "SELECT bridge, subnet, internal FROM networks WHERE up ORDER BY rowid", &n,
		       err) < 0 ||
	    db_prepare(ctx->db, PORTS_SQL " ORDER BY p.rowid", &p, err) < 0)
		return -1;
	bprintf(&post, "%s", "");
	bprintf(&fwd, "%s", "");
	bprintf(&raw, "%s", "");
	while (sqlite3_step(n) == SQLITE_ROW) {
		const char *br = (const char *)sqlite3_column_text(n, 0);
		const char *sub = (const char *)sqlite3_column_text(n, 1);
		count++;
		/* CVE-2020-8558: with route_localnet on, a neighbour on the
		 * bridge could reach the host's 127.0.0.1 services. */
		bprintf(&raw, "\t\tiifname \"%s\" ip daddr 127.0.0.0/8 drop\n", br);
		/* A port published on the host's loopback: the source 127.0.0.1
		 * cannot leave through the bridge as it is.  Hairpin: a container
		 * reaching a published port of a peer on the same bridge must
		 * see the reply come back through us. */
		bprintf(&post,
			"\t\toifname \"%s\" ip saddr 127.0.0.0/8 ct status dnat masquerade\n", br);
		bprintf(&post, "\t\toifname \"%s\" ip saddr %s ct status dnat masquerade\n", br,
			sub);
		forward_rules(&fwd, br, sqlite3_column_int(n, 2));
		if (!sqlite3_column_int(n, 2))
			bprintf(&post, "\t\tip saddr %s oifname != \"%s\" masquerade\n", sub, br);
	}
	while (sqlite3_step(p) == SQLITE_ROW)
		port_row_elems(elems, elems6, p, "add", true);
	if (count)
		bprintf(b,
			"table ip hako {\n"
			"\tmap pub_tcp { type inet_service : ipv4_addr . inet_service; }\n"
			"\tmap pub_udp { type inet_service : ipv4_addr . inet_service; }\n"
			"\tmap pub_ip_tcp {\n"
			"\t\ttype ipv4_addr . inet_service : ipv4_addr . inet_service;\n\t}\n"
			"\tmap pub_ip_udp {\n"
			"\t\ttype ipv4_addr . inet_service : ipv4_addr . inet_service;\n\t}\n"
			"\tchain raw_prerouting {\n"
			"\t\ttype filter hook prerouting priority raw; policy accept;\n%s\t}\n"
			"\tchain prerouting {\n"
			"\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
			"\t\tfib daddr type local jump published\n\t}\n"
			"\tchain output {\n"
			"\t\ttype nat hook output priority -100; policy accept;\n"
			"\t\tfib daddr type local jump published\n\t}\n"
			"\tchain published {\n"
			"\t\tdnat ip to ip daddr . tcp dport map @pub_ip_tcp\n"
			"\t\tdnat ip to ip daddr . udp dport map @pub_ip_udp\n"
			"\t\tdnat ip to tcp dport map @pub_tcp\n"
			"\t\tdnat ip to udp dport map @pub_udp\n\t}\n"
			"\tchain postrouting {\n"
			"\t\ttype nat hook postrouting priority srcnat; policy accept;\n%s\t}\n"
			"\tchain forward {\n"
			"\t\ttype filter hook forward priority filter; policy accept;\n%s\t}\n"
			"}\n",
			raw.p, post.p, fwd.p);
	free(post.p);
	free(fwd.p);
	free(raw.p);
	return 0;
}

static int nft_apply(const char *text, struct hk_error **err)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	int rc;

	if (!nft)
		return hk_error_set(err, ENOMEM, "nftables: cannot make a context");
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	rc = nft_run_cmd_from_buffer(nft, text);
	if (rc != 0) {
		const char *e = nft_ctx_get_error_buffer(nft);
		_cleanup_free_ char *msg = xstrdup(e && *e ? e : "failed");
		size_t l = strlen(msg);
		while (l && msg[l - 1] == '\n')
			msg[--l] = '\0';
		nft_ctx_free(nft);
		return hk_error_set(err, 0, "nftables: %s", msg);
	}
	nft_ctx_free(nft);
	return 0;
}

int net_fw_sync(struct net_ctx *ctx, struct hk_error **err)
{
	struct buf rules = {0}, elems = {0}, cmd = {0}, rules6 = {0}, elems6 = {0};
	int rc = -1;

	if (gen_rules(ctx, &rules, &elems, &elems6, err) < 0 || gen_rules6(ctx, &rules6, err) < 0)
		goto out;
	/* "add" makes the delete safe when the table is missing; the commands
	 * are one netlink batch, so the swap is atomic (both tables). */
	bprintf(&cmd, "add table ip hako\ndelete table ip hako\n");
	bprintf(&cmd, "add table ip6 hako\ndelete table ip6 hako\n");
	if (rules.p)
		bprintf(&cmd, "%s%s", rules.p, elems.p ? elems.p : "");
	if (rules6.p)
		bprintf(&cmd, "%s%s", rules6.p, elems6.p ? elems6.p : "");
	if (nft_apply(cmd.p, err) < 0) {
		hk_error_wrap(err, "firewall rules");
		goto out;
	}
	rc = 0;
out:
	free(rules.p);
	free(elems.p);
	free(rules6.p);
	free(elems6.p);
	free(cmd.p);
	return rc;
}

char *net_fw_ports_cmd(struct net_ctx *ctx, const char *cid, const char *network, bool add)
{
	_cleanup_stmt_ sqlite3_stmt *p = NULL;
	struct buf b = {0}, b6 = {0};

	if (sqlite3_prepare_v2(ctx->db, PORTS_SQL " AND p.container_id = ?1 AND p.network = ?2", -1,
			       &p, NULL) != SQLITE_OK)
		return xstrdup("");
	sqlite3_bind_text(p, 1, cid, -1, SQLITE_STATIC);
	sqlite3_bind_text(p, 2, network, -1, SQLITE_STATIC);
	while (sqlite3_step(p) == SQLITE_ROW)
		port_row_elems(&b, &b6, p, add ? "add" : "delete", add);
	if (b6.p) {
		bprintf(&b, "%s", b6.p);
		free(b6.p);
	}
	return b.p;
}

int net_fw_ports_apply(struct net_ctx *ctx, const char *cmd, struct hk_error **err)
{
	_cleanup_error_ struct hk_error *e = NULL;

	if (!cmd || !*cmd)
		return 0;
	if (nft_apply(cmd, &e) == 0)
		return 0;
	/* The table was flushed by someone, an element is stale after a
	 * crash...: the whole table from the database puts it right. */
	log_debug("net: incremental firewall change failed (%s); rebuilding the table",
		  hk_error_msg(e));
	return net_fw_sync(ctx, err);
}
