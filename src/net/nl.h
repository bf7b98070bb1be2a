/* hako net: a small rtnetlink client (private to src/net/).
 *
 * Just what container networking needs: links (bridge, veth), addresses,
 * routes, in the caller's network namespace or in another one.  A netlink
 * socket belongs to the namespace it was created in, so nl_open() with a
 * namespace fd briefly enters that namespace to create the socket and comes
 * back: every later request through it acts inside the container.
 */
#ifndef HAKO_NET_NL_H
#define HAKO_NET_NL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

struct nl {
	int fd;
	uint32_t seq;
};

/* Open a NETLINK_ROUTE socket in the namespace of netns_fd (-1: the current). */
int nl_open(struct nl *nl, int netns_fd, struct hk_error **err);
void nl_close(struct nl *nl);

/* ifindex of name, 0 when there is none; < 0 on other errors. */
int nl_link_index(struct nl *nl, const char *name, struct hk_error **err);

/* ip link add NAME type bridge [mtu MTU] (down; no address; mtu 0: the
 * kernel's default). */
int nl_bridge_add(struct nl *nl, const char *name, int mtu, struct hk_error **err);

/* ip link add HOST type veth peer name PEER netns PEER_NS [address MAC]
 * [mtu MTU, both ends; 0: the kernel's]; HOST is enslaved to master
 * (ifindex, 0: none) and brought up. */
int nl_veth_add(struct nl *nl, const char *host, const char *peer, int peer_netns_fd,
		const uint8_t *peer_mac, int master, int mtu, struct hk_error **err);

/* ip link del NAME; a missing link is not an error when missing_ok. */
int nl_link_del(struct nl *nl, const char *name, bool missing_ok, struct hk_error **err);

/* Change a link: each of new_name, mac, master (> 0), netns_fd (>= 0) is
 * applied when given; up brings it up. */
struct nl_link_change {
	const char *new_name;
	const uint8_t *mac;
	int master;
	int netns_fd;
	bool up;
};
int nl_link_set(struct nl *nl, int ifindex, const struct nl_link_change *c, struct hk_error **err);

/* ip addr add ADDR/PREFIX dev IFINDEX (an existing address is fine). */
int nl_addr_add(struct nl *nl, int ifindex, struct in_addr addr, int prefix, struct hk_error **err);

/* ip route add DST/PREFIX [via GW] dev IFINDEX; gw.s_addr 0: on-link. */
int nl_route_add(struct nl *nl, struct in_addr dst, int prefix, struct in_addr gw, int ifindex,
		 struct hk_error **err);

/* In one batch of requests (one sendmsg): loopback up, ADDR/PREFIX on
 * IFINDEX, IFINDEX up, and a default route via GW when gw.s_addr != 0 (an
 * existing address or default route is fine). */
int nl_iface_setup(struct nl *nl, int ifindex, struct in_addr addr, int prefix, struct in_addr gw,
		   struct hk_error **err);

/* ip -6 addr add ADDR/PREFIX dev IFINDEX nodad (an existing one is fine). */
int nl_addr6_add(struct nl *nl, int ifindex, const struct in6_addr *addr, int prefix,
		 struct hk_error **err);

/* The same batch with an IPv6 address (no DAD: usable at once) and, when
 * has_gw, an IPv6 default route via gw; v6 NULL: IPv4 only. */
struct nl_ip6 {
	struct in6_addr addr;
	int prefix;
	struct in6_addr gw;
	bool has_gw;
};
int nl_iface_setup6(struct nl *nl, int ifindex, struct in_addr addr, int prefix, struct in_addr gw,
		    const struct nl_ip6 *v6, struct hk_error **err);

#endif
