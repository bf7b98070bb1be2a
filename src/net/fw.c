/* hako net: NAT, published ports and forwarding in nftables' `table ip hako`.
 *
 * The whole table is generated from the database and replaced in one nft
 * transaction ("add table; delete table; table {...}"), so it is always
 * exactly what the database says, never patched rule by rule, and a crash
 * between two changes is healed by the next sync.  It exists only while a
 * container is connected somewhere.  The last text applied is kept under
 * <runroot>/net/ so that a change that does not alter the rules (a second
 * container on a network, without ports) costs no nft transaction.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>

#include "net/net_priv.h"
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

/* Networks with at least one container, and their published ports. */
static int gen_rules(struct net_ctx *ctx, struct buf *b, struct hk_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *n = NULL, *p = NULL;
	struct buf post = {0}, fwd = {0}, pub = {0}, raw = {0};
	int count = 0;

	if (net_prepare(ctx,
			"SELECT bridge, subnet, internal FROM networks WHERE name IN"
			" (SELECT network FROM endpoints) ORDER BY rowid",
			&n, err) < 0 ||
	    net_prepare(ctx,
			"SELECT p.host_ip, p.host_port, p.container_port, p.proto, e.ip, nw.bridge,"
			" nw.subnet FROM net_ports p JOIN endpoints e ON e.container_id ="
			" p.container_id AND e.network = p.network JOIN networks nw ON nw.name ="
			" p.network ORDER BY p.rowid",
			&p, err) < 0)
		return -1;
	bprintf(&post, "%s", "");
	bprintf(&fwd, "%s", "");
	bprintf(&pub, "%s", "");
	bprintf(&raw, "%s", "");
	while (sqlite3_step(n) == SQLITE_ROW) {
		const char *br = (const char *)sqlite3_column_text(n, 0);
		const char *sub = (const char *)sqlite3_column_text(n, 1);
		count++;
		/* CVE-2020-8558: with route_localnet on, a neighbour on the
		 * bridge could reach the host's 127.0.0.1 services. */
		bprintf(&raw, "\t\tiifname \"%s\" ip daddr 127.0.0.0/8 drop\n", br);
		if (sqlite3_column_int(n, 2)) {
			bprintf(&fwd, "\t\tiifname \"%s\" oifname != \"%s\" drop\n", br, br);
			bprintf(&fwd, "\t\toifname \"%s\" iifname != \"%s\" drop\n", br, br);
			continue;
		}
		bprintf(&post, "\t\tip saddr %s oifname != \"%s\" masquerade\n", sub, br);
		bprintf(&fwd, "\t\toifname \"%s\" ct state established,related accept\n", br);
		bprintf(&fwd, "\t\tiifname \"%s\" accept\n", br);
	}
	while (sqlite3_step(p) == SQLITE_ROW) {
		const char *hip = (const char *)sqlite3_column_text(p, 0);
		int hport = sqlite3_column_int(p, 1), cport = sqlite3_column_int(p, 2);
		const char *proto = (const char *)sqlite3_column_text(p, 3);
		const char *cip = (const char *)sqlite3_column_text(p, 4);
		const char *br = (const char *)sqlite3_column_text(p, 5);
		const char *sub = (const char *)sqlite3_column_text(p, 6);
		if (hip && *hip)
			bprintf(&pub, "\t\tip daddr %s %s dport %d dnat to %s:%d\n", hip, proto,
				hport, cip, cport);
		else
			bprintf(&pub, "\t\t%s dport %d dnat to %s:%d\n", proto, hport, cip, cport);
		/* Published on the host's loopback: the source 127.0.0.1 cannot
		 * leave through the bridge as it is. */
		bprintf(&post,
			"\t\toifname \"%s\" ip saddr 127.0.0.0/8 ip daddr %s %s dport %d"
			" masquerade\n",
			br, cip, proto, cport);
		/* Hairpin: a container reaching a published port of a peer on
		 * the same bridge must see the reply come back through us. */
		bprintf(&post,
			"\t\toifname \"%s\" ip saddr %s ip daddr %s %s dport %d ct status dnat"
			" masquerade\n",
			br, sub, cip, proto, cport);
		bprintf(&fwd, "\t\toifname \"%s\" ip daddr %s %s dport %d accept\n", br, cip, proto,
			cport);
	}
	if (count)
		bprintf(b,
			"table ip hako {\n"
			"\tchain raw_prerouting {\n"
			"\t\ttype filter hook prerouting priority raw; policy accept;\n%s\t}\n"
			"\tchain prerouting {\n"
			"\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
			"\t\tfib daddr type local jump published\n\t}\n"
			"\tchain output {\n"
			"\t\ttype nat hook output priority -100; policy accept;\n"
			"\t\tfib daddr type local jump published\n\t}\n"
			"\tchain published {\n%s\t}\n"
			"\tchain postrouting {\n"
			"\t\ttype nat hook postrouting priority srcnat; policy accept;\n%s\t}\n"
			"\tchain forward {\n"
			"\t\ttype filter hook forward priority filter; policy accept;\n%s\t}\n"
			"}\n",
			raw.p, pub.p, post.p, fwd.p);
	free(post.p);
	free(fwd.p);
	free(pub.p);
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

int net_fw_sync(struct net_ctx *ctx, bool force, struct hk_error **err)
{
	struct buf rules = {0}, cmd = {0};
	_cleanup_free_ char *dir = xasprintf("%s/net", ctx->runroot);
	_cleanup_free_ char *path = xasprintf("%s/nft.applied", dir);
	_cleanup_free_ char *last = NULL;
	size_t last_len = 0;
	int rc = -1;

	if (gen_rules(ctx, &rules, err) < 0)
		goto out;
	if (!rules.p)
		bprintf(&rules, "%s", "");
	if (!force && read_file_at(AT_FDCWD, path, 1 << 20, &last, &last_len, NULL) == 0 &&
	    !strcmp(last, rules.p)) {
		rc = 0;
		goto out;
	}
	/* "add" makes the delete safe when the table is missing; the three
	 * commands are one netlink batch, so the swap is atomic. */
	bprintf(&cmd, "add table ip hako\ndelete table ip hako\n%s", rules.p);
	if (nft_apply(cmd.p, err) < 0) {
		hk_error_wrap(err, "firewall rules");
		goto out;
	}
	if (mkdir_p(dir, 0700, err) < 0 ||
	    write_file_at(AT_FDCWD, path, rules.p, rules.len, 0600, err) < 0)
		goto out;
	rc = 0;
out:
	free(rules.p);
	free(cmd.p);
	return rc;
}
