/* hako net: rtnetlink by hand.  Requests are built in a fixed buffer and
 * acknowledged one at a time (NLM_F_ACK), so an error names the request. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/nl.h"
#include "util/util.h"

#define NL_BUFSIZE 4096

struct nl_msg {
	union {
		struct nlmsghdr hdr;
		char buf[NL_BUFSIZE];
	};
};

static void *msg_tail(struct nl_msg *m)
{
	return m->buf + NLMSG_ALIGN(m->hdr.nlmsg_len);
}

static void msg_init(struct nl_msg *m, uint16_t type, uint16_t flags, size_t hdrlen)
{
	memset(m->buf, 0, NLMSG_SPACE(hdrlen));
	m->hdr.nlmsg_len = NLMSG_LENGTH(hdrlen);
	m->hdr.nlmsg_type = type;
	m->hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
}

/* Every attribute we send is tiny; the buffer holds them all with room to
 * spare, so running out is a bug, not an input error. */
static struct rtattr *attr_put(struct nl_msg *m, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = msg_tail(m);
	size_t total = NLMSG_ALIGN(m->hdr.nlmsg_len) + RTA_SPACE(len);

	if (total > NL_BUFSIZE)
		abort();
	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	m->hdr.nlmsg_len = total;
	return a;
}

static void attr_str(struct nl_msg *m, uint16_t type, const char *s)
{
	attr_put(m, type, s, strlen(s) + 1);
}

static void attr_u32(struct nl_msg *m, uint16_t type, uint32_t v)
{
	attr_put(m, type, &v, sizeof(v));
}

static struct rtattr *nest_begin(struct nl_msg *m, uint16_t type)
{
	return attr_put(m, type, NULL, 0);
}

static void nest_end(struct nl_msg *m, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)msg_tail(m) - (char *)nest);
}

int nl_open(struct nl *nl, int netns_fd, struct hk_error **err)
{
	_cleanup_close_ int self = -1;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int fd, saved;

	nl->fd = -1;
	nl->seq = (uint32_t)now_ns();
	if (netns_fd >= 0) {
		self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0)
			return hk_error_errno(err, "open /proc/thread-self/ns/net");
		if (setns(netns_fd, CLONE_NEWNET) < 0)
			return hk_error_errno(err, "enter the container's network namespace");
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	saved = errno;
	/* Back to our own namespace before anything else can go wrong. */
	if (netns_fd >= 0 && setns(self, CLONE_NEWNET) < 0)
		abort();
	if (fd < 0) {
		errno = saved;
		return hk_error_errno(err, "netlink socket");
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return hk_error_errno(err, "bind netlink socket");
	}
	nl->fd = fd;
	return 0;
}

void nl_close(struct nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

/* Send m and wait for its acknowledgement; returns 0 or -errno from the
 * kernel (the caller words the error). */
static int nl_talk(struct nl *nl, struct nl_msg *m)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	char buf[NL_BUFSIZE];
	uint32_t seq = ++nl->seq;

	m->hdr.nlmsg_seq = seq;
	if (sendto(nl->fd, m->buf, m->hdr.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(nl->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EBADMSG;
				return e->error;
			}
		}
	}
}

int nl_link_index(struct nl *nl, const char *name, struct hk_error **err)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct nl_msg m;
	struct ifinfomsg *ifi;
	char buf[NL_BUFSIZE * 2];
	uint32_t seq = ++nl->seq;

	if (strlen(name) >= IFNAMSIZ)
		return hk_error_set(err, 0, "interface name '%s' is too long", name);
	msg_init(&m, RTM_GETLINK, 0, sizeof(*ifi));
	m.hdr.nlmsg_flags = NLM_F_REQUEST;
	m.hdr.nlmsg_seq = seq;
	ifi = NLMSG_DATA(&m.hdr);
	ifi->ifi_family = AF_UNSPEC;
	attr_str(&m, IFLA_IFNAME, name);
	attr_u32(&m, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (sendto(nl->fd, m.buf, m.hdr.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return hk_error_errno(err, "netlink: get link %s", name);
	for (;;) {
		ssize_t n = recv(nl->fd, buf, sizeof(buf), MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return hk_error_errno(err, "netlink: get link %s", name);
		}
		if ((size_t)n > sizeof(buf))
			return hk_error_set(err, EMSGSIZE, "netlink: get link %s", name);
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				if (e->error == -ENODEV)
					return 0;
				return hk_error_set(err, -e->error, "netlink: get link %s", name);
			}
			if (h->nlmsg_type == RTM_NEWLINK) {
				struct ifinfomsg *r = NLMSG_DATA(h);
				return r->ifi_index;
			}
		}
	}
}

int nl_bridge_add(struct nl *nl, const char *name, int mtu, struct hk_error **err)
{
	struct nl_msg m;
	struct ifinfomsg *ifi;
	struct rtattr *info;
	int r;

	msg_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));
	ifi = NLMSG_DATA(&m.hdr);
	ifi->ifi_family = AF_UNSPEC;
	attr_str(&m, IFLA_IFNAME, name);
	if (mtu > 0)
		attr_u32(&m, IFLA_MTU, (uint32_t)mtu);
	info = nest_begin(&m, IFLA_LINKINFO);
	attr_str(&m, IFLA_INFO_KIND, "bridge");
	nest_end(&m, info);
	r = nl_talk(nl, &m);
	if (r < 0)
		return hk_error_set(err, -r, "netlink: create bridge %s", name);
	return 0;
}

int nl_veth_add(struct nl *nl, const char *host, const char *peer, int peer_netns_fd,
		const uint8_t *peer_mac, int master, int mtu, struct hk_error **err)
{
	struct nl_msg m;
	struct ifinfomsg *ifi, *pifi;
	struct rtattr *info, *data, *pinfo;
	int r;

	msg_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));
	ifi = NLMSG_DATA(&m.hdr);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	attr_str(&m, IFLA_IFNAME, host);
	if (mtu > 0)
		attr_u32(&m, IFLA_MTU, (uint32_t)mtu);
	if (master > 0)
		attr_u32(&m, IFLA_MASTER, (uint32_t)master);
	info = nest_begin(&m, IFLA_LINKINFO);
	attr_str(&m, IFLA_INFO_KIND, "veth");
	data = nest_begin(&m, IFLA_INFO_DATA);
	/* VETH_INFO_PEER carries a whole ifinfomsg, then the peer's attributes;
	 * IFLA_NET_NS_FD there creates the peer directly in the container. */
	pinfo = nest_begin(&m, VETH_INFO_PEER);
	pifi = msg_tail(&m);
	memset(pifi, 0, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	m.hdr.nlmsg_len += NLMSG_ALIGN(sizeof(*pifi));
	attr_str(&m, IFLA_IFNAME, peer);
	if (peer_netns_fd >= 0)
		attr_u32(&m, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
	if (peer_mac)
		attr_put(&m, IFLA_ADDRESS, peer_mac, 6);
	if (mtu > 0)
		attr_u32(&m, IFLA_MTU, (uint32_t)mtu);
	nest_end(&m, pinfo);
	nest_end(&m, data);
	nest_end(&m, info);
	r = nl_talk(nl, &m);
	if (r < 0)
		return hk_error_set(err, -r, "netlink: create veth pair %s/%s", host, peer);
	return 0;
}

int nl_link_del(struct nl *nl, const char *name, bool missing_ok, struct hk_error **err)
{
	struct nl_msg m;
	struct ifinfomsg *ifi;
	int r;

	msg_init(&m, RTM_DELLINK, 0, sizeof(*ifi));
	ifi = NLMSG_DATA(&m.hdr);
	ifi->ifi_family = AF_UNSPEC;
	attr_str(&m, IFLA_IFNAME, name);
	r = nl_talk(nl, &m);
	if (r == -ENODEV && missing_ok)
		return 0;
	if (r < 0)
		return hk_error_set(err, -r, "netlink: delete link %s", name);
	return 0;
}

static void build_link_set(struct nl_msg *m, int ifindex, const struct nl_link_change *c)
{
	struct ifinfomsg *ifi;

	msg_init(m, RTM_NEWLINK, 0, sizeof(*ifi));
	ifi = NLMSG_DATA(&m->hdr);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (c->up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	if (c->new_name)
		attr_str(m, IFLA_IFNAME, c->new_name);
	if (c->mac)
		attr_put(m, IFLA_ADDRESS, c->mac, 6);
	if (c->master > 0)
		attr_u32(m, IFLA_MASTER, (uint32_t)c->master);
	if (c->netns_fd >= 0)
		attr_u32(m, IFLA_NET_NS_FD, (uint32_t)c->netns_fd);
}

int nl_link_set(struct nl *nl, int ifindex, const struct nl_link_change *c, struct hk_error **err)
{
	struct nl_msg m;
	int r;

	build_link_set(&m, ifindex, c);
	r = nl_talk(nl, &m);
	if (r < 0)
		return hk_error_set(err, -r, "netlink: change link %d", ifindex);
	return 0;
}

static void build_addr_add(struct nl_msg *m, int ifindex, struct in_addr addr, int prefix)
{
	struct ifaddrmsg *ifa;

	msg_init(m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, sizeof(*ifa));
	ifa = NLMSG_DATA(&m->hdr);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = (unsigned)ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	attr_put(m, IFA_LOCAL, &addr, sizeof(addr));
	attr_put(m, IFA_ADDRESS, &addr, sizeof(addr));
	if (prefix < 31) {
		struct in_addr bc = addr;
		bc.s_addr |= htonl(prefix ? (0xffffffffu >> prefix) : 0xffffffffu);
		attr_put(m, IFA_BROADCAST, &bc, sizeof(bc));
	}
}

/* An IPv6 address without duplicate address detection (IFA_F_NODAD): hako
 * hands out each address once, and DAD would keep it "tentative" (unusable
 * as a source) for a second or more after the link comes up. */
static void build_addr6_add(struct nl_msg *m, int ifindex, const struct in6_addr *addr, int prefix)
{
	struct ifaddrmsg *ifa;

	msg_init(m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, sizeof(*ifa));
	ifa = NLMSG_DATA(&m->hdr);
	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = (unsigned)ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_flags = IFA_F_NODAD;
	attr_put(m, IFA_LOCAL, addr, sizeof(*addr));
	attr_put(m, IFA_ADDRESS, addr, sizeof(*addr));
	attr_u32(m, IFA_FLAGS, IFA_F_NODAD);
}

int nl_addr6_add(struct nl *nl, int ifindex, const struct in6_addr *addr, int prefix,
		 struct hk_error **err)
{
	struct nl_msg m;
	int r;

	build_addr6_add(&m, ifindex, addr, prefix);
	r = nl_talk(nl, &m);
	if (r < 0 && r != -EEXIST)
		return hk_error_set(err, -r, "netlink: add IPv6 address to link %d", ifindex);
	return 0;
}

int nl_addr_add(struct nl *nl, int ifindex, struct in_addr addr, int prefix, struct hk_error **err)
{
	struct nl_msg m;
	int r;

	build_addr_add(&m, ifindex, addr, prefix);
	r = nl_talk(nl, &m);
	if (r < 0 && r != -EEXIST)
		return hk_error_set(err, -r, "netlink: add address to link %d", ifindex);
	return 0;
}

static void build_route_add(struct nl_msg *m, struct in_addr dst, int prefix, struct in_addr gw,
			    int ifindex)
{
	struct rtmsg *rt;

	msg_init(m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof(*rt));
	rt = NLMSG_DATA(&m->hdr);
	rt->rtm_family = AF_INET;
	rt->rtm_dst_len = (unsigned char)prefix;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = gw.s_addr ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rt->rtm_type = RTN_UNICAST;
	if (prefix)
		attr_put(m, RTA_DST, &dst, sizeof(dst));
	if (gw.s_addr)
		attr_put(m, RTA_GATEWAY, &gw, sizeof(gw));
	attr_u32(m, RTA_OIF, (uint32_t)ifindex);
}

int nl_route_add(struct nl *nl, struct in_addr dst, int prefix, struct in_addr gw, int ifindex,
		 struct hk_error **err)
{
	struct nl_msg m;
	int r;

	build_route_add(&m, dst, prefix, gw, ifindex);
	r = nl_talk(nl, &m);
	if (r < 0 && r != -EEXIST)
		return hk_error_set(err, -r, "netlink: add route via link %d", ifindex);
	return 0;
}

/* ---- batches: several requests in one sendmsg, one ACK each ---- */

#define BATCH_MAX 8

struct batch {
	char buf[NL_BUFSIZE * 2];
	size_t len;
	unsigned n;
	uint32_t seq0;
	const char *what[BATCH_MAX];
	bool eexist_ok[BATCH_MAX];
};

static void batch_add(struct nl *nl, struct batch *b, struct nl_msg *m, const char *what,
		      bool eexist_ok)
{
	if (b->n == BATCH_MAX || b->len + NLMSG_ALIGN(m->hdr.nlmsg_len) > sizeof(b->buf))
		abort(); /* the callers' batches are fixed and small */
	if (b->n == 0)
		b->seq0 = nl->seq + 1;
	m->hdr.nlmsg_seq = ++nl->seq;
	memcpy(b->buf + b->len, m->buf, m->hdr.nlmsg_len);
	b->len += NLMSG_ALIGN(m->hdr.nlmsg_len);
	b->what[b->n] = what;
	b->eexist_ok[b->n] = eexist_ok;
	b->n++;
}

/* Send the batch and read every acknowledgement; the kernel processes the
 * requests in order and keeps going after a failed one, so the first error
 * is the one reported. */
static int batch_run(struct nl *nl, struct batch *b, struct hk_error **err)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	char buf[NL_BUFSIZE];
	unsigned acked = 0;
	int first = 0;
	const char *first_what = NULL;

	if (sendto(nl->fd, b->buf, b->len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return hk_error_errno(err, "netlink: send %u requests", b->n);
	while (acked < b->n) {
		ssize_t n = recv(nl->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return hk_error_errno(err, "netlink: receive");
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			uint32_t i = h->nlmsg_seq - b->seq0;
			struct nlmsgerr *e = NLMSG_DATA(h);
			if (i >= b->n || h->nlmsg_type != NLMSG_ERROR)
				continue;
			acked++;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return hk_error_set(err, EBADMSG, "netlink: %s", b->what[i]);
			if (e->error && !(e->error == -EEXIST && b->eexist_ok[i]) && !first) {
				first = e->error;
				first_what = b->what[i];
			}
		}
	}
	if (first)
		return hk_error_set(err, -first, "netlink: %s", first_what);
	return 0;
}

/* The IPv6 default route via gw6 (a global address of the bridge: on-link
 * through the prefix route the address brought). */
static void build_route6_default(struct nl_msg *m, const struct in6_addr *gw, int ifindex)
{
	struct rtmsg *rt;

	msg_init(m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof(*rt));
	rt = NLMSG_DATA(&m->hdr);
	rt->rtm_family = AF_INET6;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	attr_put(m, RTA_GATEWAY, gw, sizeof(*gw));
	attr_u32(m, RTA_OIF, (uint32_t)ifindex);
}

int nl_iface_setup(struct nl *nl, int ifindex, struct in_addr addr, int prefix, struct in_addr gw,
		   struct hk_error **err)
{
	return nl_iface_setup6(nl, ifindex, addr, prefix, gw, NULL, err);
}

int nl_iface_setup6(struct nl *nl, int ifindex, struct in_addr addr, int prefix, struct in_addr gw,
		    const struct nl_ip6 *v6, struct hk_error **err)
{
	struct nl_link_change up = {.up = true, .netns_fd = -1};
	struct in_addr any = {0};
	struct batch b;
	struct nl_msg m;

	b.len = 0;
	b.n = 0;
	/* the loopback device of every namespace has ifindex 1 (LOOPBACK_IFINDEX) */
	build_link_set(&m, 1, &up);
	batch_add(nl, &b, &m, "bring lo up", false);
	build_addr_add(&m, ifindex, addr, prefix);
	batch_add(nl, &b, &m, "add the address", true);
	if (v6) {
		build_addr6_add(&m, ifindex, &v6->addr, v6->prefix);
		batch_add(nl, &b, &m, "add the IPv6 address", true);
	}
	build_link_set(&m, ifindex, &up);
	batch_add(nl, &b, &m, "bring the link up", false);
	if (gw.s_addr) {
		build_route_add(&m, any, 0, gw, ifindex);
		batch_add(nl, &b, &m, "add the default route", true);
	}
	if (v6 && v6->has_gw) {
		build_route6_default(&m, &v6->gw, ifindex);
		batch_add(nl, &b, &m, "add the IPv6 default route", true);
	}
	return batch_run(nl, &b, err);
}
