/* hako net: internals shared by the files of src/net/ (not public). */
#ifndef HAKO_NET_NET_PRIV_H
#define HAKO_NET_NET_PRIV_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"
#include "net/net.h"
#include "util/error.h"

struct net_ctx {
	sqlite3 *db;
	char *root;
	char *runroot;
	int lock_fd; /* held (flock LOCK_EX) while >= 0 and locked */
	int lock_depth;
};

/* One row of the networks table, addresses in host byte order. */
struct net_rec {
	char *name;
	char *id;
	char *bridge;
	uint32_t subnet;
	int prefix;
	uint32_t gateway;
	bool internal;
	char *labels; /* JSON object text */
	long long created;
	bool up; /* the bridge and its firewall rules exist */
	/* IPv6 (--ipv6): a second subnet, dual-stack */
	bool v6;
	uint8_t subnet6[16];
	int prefix6;
	uint8_t gateway6[16];
	/* --ip-range (range_prefix 0: the whole subnet), --aux-address */
	uint32_t range;
	int range_prefix;
	char *aux; /* JSON object {name: address} */
	int mtu;   /* 0: the kernel's default */
};
void net_rec_clear(struct net_rec *r);

#define _cleanup_stmt_ _cleanup_sqlite_stmt_

/* Address helpers (host byte order). */
char *net_ip_str(uint32_t ip); /* caller frees */
int net_ip_parse(const char *s, uint32_t *out);
uint32_t net_mask(int prefix);

/* IPv6 helpers (ip6.c). */
int net_ip6_parse(const char *s, uint8_t out[16]);
char *net_ip6_str(const uint8_t a[16]); /* caller frees */
void net_ip6_mask(uint8_t a[16], int prefix);
bool net_ip6_same_prefix(const uint8_t a[16], const uint8_t b[16], int prefix);
/* Does net/prefix overlap a global IPv6 address of the host (lo, link-local
 * and the bridge own excluded)? */
bool net_ip6_overlaps_host(const uint8_t net[16], int prefix, const char *own);

/* The firewall: regenerate `table ip hako` from the database (the networks
 * whose bridge is up, every published port on them) and swap it in. */
int net_fw_sync(struct net_ctx *ctx, struct hk_error **err);

/* The nft commands adding (or deleting) the map elements of a container's
 * published ports on network, from the database rows; "" or NULL when it has
 * none.  Deleting: build the text before the rows go. */
char *net_fw_ports_cmd(struct net_ctx *ctx, const char *cid, const char *network, bool add);
/* Apply such commands in one transaction; on failure rebuild the table. */
int net_fw_ports_apply(struct net_ctx *ctx, const char *cmd, struct hk_error **err);

/* Rewrite hosts files after cid (may be NULL) joined or left network: cid's
 * own, and those of every container on network, except on the default
 * network, where containers do not list each other (as on docker's default
 * bridge), so a container coming or going costs one file, not one per
 * container running.  network NULL: every file. */
int net_hosts_refresh(struct net_ctx *ctx, const char *network, const char *cid,
		      struct hk_error **err);

struct nl;

int net_count_rows(struct net_ctx *ctx, const char *sql, const char *arg, struct hk_error **err);

/* The module lock (<root>/net.lock), re-entrant within a process. */
int net_lock(struct net_ctx *ctx, struct hk_error **err);
void net_unlock(struct net_ctx *ctx);

/* A network by name, id or unique id prefix: 1 found, 0 not, < 0 error. */
int net_rec_find(struct net_ctx *ctx, const char *key, struct net_rec *r, struct hk_error **err);
/* The same, with "not found" an error. */
int net_rec_get(struct net_ctx *ctx, const char *key, struct net_rec *r, struct hk_error **err);
int net_ensure_default_locked(struct net_ctx *ctx, struct hk_error **err);

/* The bridge of r with its firewall rules: made (address, up, sysctls,
 * `up` in the database, the table rebuilt) when missing, and
 * *brought_up set then.  Returns the bridge's ifindex. */
int net_network_up(struct net_ctx *ctx, struct nl *nl, const struct net_rec *r, bool *brought_up,
		   struct hk_error **err);
/* Delete the bridge of r and mark it down; the firewall is the caller's. */
int net_network_down(struct net_ctx *ctx, struct nl *nl, const struct net_rec *r,
		     struct hk_error **err);
/* Remove an endpoint's veth (when given), rows and published ports' map
 * elements.  Lock held; hosts files are the caller's. */
int net_endpoint_remove_locked(struct net_ctx *ctx, struct nl *nl, const char *cid,
			       const char *network, const char *veth, struct hk_error **err);
/* Reclaim endpoints whose veth is gone, mark down networks whose bridge is
 * gone (*changed, may be NULL, set then: the table needs a rebuild). */
int net_repair_locked(struct net_ctx *ctx, struct nl *nl, bool *changed, struct hk_error **err);

/* Bring the DNS responder in line with the database: rewrite its records
 * file, start it when a user network has containers and it does not run
 * (first use or crash repair), stop it when none is left.  Never fails: a
 * problem is a warning (names still resolve through /etc/hosts). */
void net_dns_update(struct net_ctx *ctx);
/* The same for a container joining network r: a failed bind of r's gateway
 * (port 53, UDP or TCP) is an error naming the address and the cause, so
 * the connect is undone; anything else stays a warning. */
int net_dns_require(struct net_ctx *ctx, const struct net_rec *r, struct hk_error **err);

/* Random lowercase hex, n characters, into buf (n + 1 bytes). */
void net_random_hex(char *buf, size_t n);

#endif
