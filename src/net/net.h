/* hako net: container networks.  This header is the whole public face of
 * src/net/ for the engine and the `network` commands.
 *
 * A network is a Linux bridge on the host with an IPv4 subnet; a container
 * joins it through a veth pair (host end on the bridge, "ethN" in the
 * container's network namespace).  Addresses are handed out from the SQLite
 * database (IPAM), NAT and published ports are rules in nftables' `table ip
 * hako`, names are resolved through /etc/hosts files kept current for every
 * container of a network.  See docs/network.md.
 *
 * Every operation that changes kernel or database state holds an exclusive
 * lock (<root>/net.lock) for its whole duration, so database rows and kernel
 * objects never disagree in a way another hako process can observe; what a
 * crash leaves behind is reclaimed by net_repair() (called by every command
 * of this module): an endpoint whose host-side veth is gone belonged to a
 * container whose network namespace is gone.
 *
 * A network's bridge and its rules in the nft table are made with its first
 * container and stay while the network exists (as docker0 does): a container
 * joining costs a veth pair and, only when it publishes ports, one small nft
 * transaction adding map elements.  `network rm` removes them; `network
 * prune` also takes down the default network's when no container uses it.
 */
#ifndef HAKO_NET_NET_H
#define HAKO_NET_NET_H

#include <json-c/json.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define NET_DEFAULT_NAME   "bridge"
#define NET_DEFAULT_BRIDGE "hako0"
/* podman uses 10.88.0.0/16 and docker 172.17.0.0/16; stay clear of both.
 * HAKO_NET_DEFAULT_SUBNET in the environment overrides it (first use only). */
#define NET_DEFAULT_SUBNET "10.89.0.0/16"
/* User networks get the next free /24 from here on. */
#define NET_USER_POOL "10.90.0.0/15"
/* IPv6 networks (--ipv6 without an IPv6 --subnet) get the next free /64 of
 * this unique local /48 ("hako" in the global ID: 68 61 6b 6f). */
#define NET_USER_POOL6	   "fd89:6861:6b6f::/48"
#define NET_IP6_PREFIX_MIN 48
#define NET_IP6_PREFIX_MAX 124

struct net_ctx;

/* Open the network layer over an open database (db_open(); the module
 * "net" migrates its tables).  root is the persistent state directory (the lock
 * lives there), runroot the runtime one.  The ctx does not own db. */
int net_open(sqlite3 *db, const char *root, const char *runroot, struct net_ctx **out,
	     struct hk_error **err);
void net_close(struct net_ctx *ctx);
void net_closep(struct net_ctx **ctx);
#define _cleanup_net_ __attribute__((cleanup(net_closep)))

/* ---- networks ---- */

struct net_create_opts {
	const char *subnet;   /* CIDR; NULL: the next free /24 of NET_USER_POOL */
	const char *gateway;  /* NULL: the first address of the subnet */
	bool internal;	      /* no outbound route, no NAT, no forwarding */
	char **labels;	      /* "key=value" strings, may be NULL */
	bool ipv6;	      /* dual-stack: an IPv6 subnet too */
	const char *subnet6;  /* IPv6 CIDR; NULL: the next free /64 of NET_USER_POOL6 */
	const char *gateway6; /* NULL: the first address of subnet6 */
	const char *ip_range; /* IPv4 CIDR inside subnet: where dynamic addresses
			       * come from (fixed ones may be anywhere in it) */
	char **aux_addresses; /* "name=IPv4": reserved, never handed out */
	const char *bridge;   /* the bridge's device name; NULL: hkbr-<id> */
	int mtu;	      /* of the bridge and the veths; 0: the kernel's */
};

/* Create a network record (the bridge comes with the first container, and
 * stays until the network is removed).
 * Fails on a duplicate name or a subnet that overlaps another network or an
 * address of the host.  *id_out (may be NULL) receives the 64-hex id. */
int net_create(struct net_ctx *ctx, const char *name, const struct net_create_opts *opts,
	       char **id_out, struct hk_error **err);

/* Remove a network; refused while containers are connected (unless force,
 * which disconnects them first).  The default network cannot be removed. */
int net_remove(struct net_ctx *ctx, const char *name_or_id, bool force, struct hk_error **err);

/* Remove every network without containers but the default, whose bridge and
 * rules are taken down when no container uses it (its record stays); the
 * names removed are appended to *removed (may be NULL). */
int net_prune(struct net_ctx *ctx, char ***removed, struct hk_error **err);

/* Networks as a JSON array of objects, in creation order:
 * {Name, Id, Driver, Subnet, Gateway, Bridge, Internal, Created, Labels{},
 *  Containers{ID: {Name, EndpointID(veth), MacAddress, IPv4Address, Aliases[]}}}.
 * names NULL: all networks; otherwise exactly those (a missing one is an
 * error naming it).  The default network is listed once it exists; it is made
 * on first use (net_ensure_default). */
int net_inspect(struct net_ctx *ctx, char *const *names, json_object **out, struct hk_error **err);

/* Make sure the default network exists in the database. */
int net_ensure_default(struct net_ctx *ctx, struct hk_error **err);

/* ---- published ports ---- */

struct net_port {
	char host_ip[46];	 /* IPv4 or IPv6 address, "" for every address of the host */
	uint16_t host_port;	 /* 0: pick a free one */
	uint16_t host_port_last; /* > host_port: the first free one of the range */
	uint16_t container_port; /* required */
	char proto[4];		 /* "tcp" or "udp" */
};

/* Parse one -p value: CONTAINER[/PROTO], HOST:CONTAINER[/PROTO],
 * IP:HOST:CONTAINER[/PROTO] or IP::CONTAINER[/PROTO], where the ports may be
 * ranges N-M as docker's: equal ranges map one to one (8000-8002:9000-9002),
 * a container range alone gets free host ports, and a host range for one
 * container port takes the first free port of it.  The ports are appended to
 * *ports (*n of them, realloc'ed). */
int net_ports_parse(const char *spec, struct net_port **ports, size_t *n, struct hk_error **err);
/* The same for exactly one port (a range is an error). */
int net_port_parse(const char *spec, struct net_port *out, struct hk_error **err);

/* ---- containers ---- */

struct net_connect_opts {
	const char *name;	      /* the container's name: resolvable by the peers */
	const char *hostname;	      /* NULL: the name */
	const char *ip;		      /* a requested address, NULL: the next free one */
	const char *ip6;	      /* the same for IPv6 (a network made with --ipv6) */
	const char *mac;	      /* "02:..:..", NULL: derived from the address */
	char **aliases;		      /* more names on this network, may be NULL */
	const struct net_port *ports; /* published through this network */
	size_t n_ports;
	/* ports on an --internal network (no way in from outside): dropped
	 * when set, an error otherwise */
	bool ports_if_routed;
	/* The container's /etc/hosts on the host side (bind-mounted into the
	 * container).  When set, net keeps it current as peers come and go;
	 * it is rewritten in place, never replaced, so the bind mount sees it. */
	const char *hosts_path;
	char **extra_hosts; /* --add-host "name:ip" entries for that file */
};

struct net_endpoint {
	char *network;
	char *network_id; /* filled by net_container_endpoints() */
	char **aliases;	  /* the same; may be NULL */
	char *ifname;	  /* inside the container: eth0, eth1... */
	char *veth;	  /* host end */
	char *ip;
	int prefix;
	char *gateway; /* NULL on internal networks */
	char *ip6;     /* NULL on networks without IPv6 */
	int prefix6;
	char *gateway6; /* NULL without IPv6 or on internal networks */
	char *mac;
	struct net_port *ports; /* with host ports filled in */
	size_t n_ports;
};
void net_endpoint_free(struct net_endpoint *ep);
void net_endpoint_freep(struct net_endpoint **ep);
#define _cleanup_endpoint_ __attribute__((cleanup(net_endpoint_freep)))

/* Connect a container to a network: an address, a veth pair with its
 * container end in the namespace at netns_path (/proc/PID/ns/net or a
 * bind-mounted namespace file), loopback up, a default route through the
 * gateway (first non-internal network only), NAT and published ports.  The
 * default network is created on first use.  On failure nothing is left
 * behind.  *out (may be NULL) describes the endpoint. */
int net_connect(struct net_ctx *ctx, const char *container_id, const char *network,
		const char *netns_path, const struct net_connect_opts *opts,
		struct net_endpoint **out, struct hk_error **err);

/* Connect a VM's NIC: the same address, rows, names and ports as a
 * container's, but the host side is a tap device on the bridge (named
 * hkt<hex>, up), whose fd goes to *tapfd for QEMU (-netdev tap,fd=N).  The
 * tap is not persistent: it goes with the last fd to it, and the endpoint
 * with it at the next repair.  opts->mac is the NIC's MAC, which hako-dns's
 * DHCP answers with the address (see the "lease" records). */
int net_connect_tap(struct net_ctx *ctx, const char *vm_id, const char *network,
		    const struct net_connect_opts *opts, int *tapfd, struct net_endpoint **out,
		    struct hk_error **err);

/* Disconnect a container from one network (veth, address, ports, rules). */
int net_disconnect(struct net_ctx *ctx, const char *container_id, const char *network,
		   struct hk_error **err);

/* How the veths of a container that leaves every network go. */
enum net_teardown_mode {
	/* deleted now (the container's network namespace lives on) */
	NET_TEARDOWN_DELETE,
	/* the container's processes are gone and nothing else holds its
	 * network namespace: the kernel is destroying it, and the pairs with
	 * it.  A DELLINK now would wait on RTNL through that cleanup's RCU
	 * grace periods (~20 ms), so the rows go and the links are left to it */
	NET_TEARDOWN_WITH_NAMESPACE,
	/* the processes are gone but another container shares the namespace:
	 * deleted from a detached process, so nobody waits for the kernel */
	NET_TEARDOWN_DETACHED,
};

/* Disconnect a container from all its networks and forget it. */
int net_teardown_container(struct net_ctx *ctx, const char *container_id,
			   enum net_teardown_mode mode, struct hk_error **err);

/* The container's endpoints (for inspect, `hako port`), *n of them. */
int net_container_endpoints(struct net_ctx *ctx, const char *container_id,
			    struct net_endpoint ***out, size_t *n, struct hk_error **err);
void net_endpoints_free(struct net_endpoint **eps, size_t n);

/* Reclaim what crashed or vanished containers left (rows whose veth is gone,
 * their addresses and ports), and re-apply the firewall rules. */
int net_repair(struct net_ctx *ctx, struct hk_error **err);

/* ---- files the engine writes into a container ---- */

/* /etc/hosts of a container: localhost, its own addresses with hostname and
 * name, every peer (name and aliases) on each of its networks, extra_hosts.
 * Works for a container without networks (only the first lines). */
int net_hosts_content(struct net_ctx *ctx, const char *container_id, const char *hostname,
		      char **extra_hosts, char **out, struct hk_error **err);

/* /etc/resolv.conf: dns servers given (--dns) or the host's, without
 * loopback servers (they cannot be reached from the container). */
int net_resolv_content(char **dns, char **dns_search, char **dns_options, char **out,
		       struct hk_error **err);

/* /etc/resolv.conf of a container whose network mode is network: the
 * network's DNS responder (its gateway), the host's search domains and
 * options, "options ndots:0".  *out is NULL for the default network (its
 * containers keep the host's resolvers) or an unknown one. */
int net_dns_resolv_content(struct net_ctx *ctx, const char *network, char **out,
			   struct hk_error **err);

/* ---- helpers shared with the tests ---- */

/* Parse "a.b.c.d/n" into network address (host bits cleared) and prefix. */
int net_cidr_parse(const char *cidr, uint32_t *addr, int *prefix, struct hk_error **err);

/* The same for IPv6: prefix NET_IP6_PREFIX_MIN..MAX, no multicast or
 * link-local subnet. */
int net_cidr6_parse(const char *cidr, uint8_t addr[16], int *prefix, struct hk_error **err);

/* IPv6 IPAM: requested (checked: in the subnet, neither the subnet's own
 * address nor the gateway nor one of used) or the lowest free host address
 * of subnet/prefix. */
int net_ip6_alloc(const uint8_t subnet[16], int prefix, const uint8_t gateway[16],
		  const uint8_t (*used)[16], size_t n_used, const char *requested, uint8_t out[16],
		  struct hk_error **err);

#endif
