/* hako net: IPv6 addresses, subnets and address management (IPAM). */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <string.h>

#include "net/net_priv.h"
#include "util/util.h"

int net_ip6_parse(const char *s, uint8_t out[16])
{
	struct in6_addr a;

	if (!s || inet_pton(AF_INET6, s, &a) != 1)
		return -1;
	memcpy(out, a.s6_addr, 16);
	return 0;
}

char *net_ip6_str(const uint8_t a[16])
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, a, buf, sizeof(buf));
	return xstrdup(buf);
}

void net_ip6_mask(uint8_t a[16], int prefix)
{
	for (int i = 0; i < 16; i++) {
		int bits = prefix - i * 8;
		if (bits >= 8)
			continue;
		a[i] &= bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
}

bool net_ip6_same_prefix(const uint8_t a[16], const uint8_t b[16], int prefix)
{
	uint8_t x[16], y[16];

	memcpy(x, a, 16);
	memcpy(y, b, 16);
	net_ip6_mask(x, prefix);
	net_ip6_mask(y, prefix);
	return !memcmp(x, y, 16);
}

int net_cidr6_parse(const char *cidr, uint8_t addr[16], int *prefix, struct hk_error **err)
{
	const char *slash = cidr ? strchr(cidr, '/') : NULL;
	_cleanup_free_ char *ip = NULL;
	long long p;

	if (!slash)
		return hk_error_set(err, 0, "invalid IPv6 subnet '%s': expected ADDRESS/PREFIX",
				    cidr ? cidr : "");
	ip = xstrndup(cidr, (size_t)(slash - cidr));
	if (net_ip6_parse(ip, addr) < 0)
		return hk_error_set(err, 0, "invalid IPv6 subnet '%s': bad address", cidr);
	if (parse_ll(slash + 1, NET_IP6_PREFIX_MIN, NET_IP6_PREFIX_MAX, &p) < 0)
		return hk_error_set(err, 0, "invalid IPv6 subnet '%s': prefix must be %d..%d", cidr,
				    NET_IP6_PREFIX_MIN, NET_IP6_PREFIX_MAX);
	if (addr[0] == 0xff || (addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80))
		return hk_error_set(err, 0,
				    "invalid IPv6 subnet '%s': multicast or link-local addresses",
				    cidr);
	*prefix = (int)p;
	net_ip6_mask(addr, *prefix);
	return 0;
}

/* The low 64 bits: the host part of any subnet of /64 or longer (and a
 * unique number within a shorter one, where hako hands out the low ones). */
static uint64_t low64(const uint8_t a[16])
{
	uint64_t v = 0;

	for (int i = 8; i < 16; i++)
		v = v << 8 | a[i];
	return v;
}

static void set_low64(uint8_t a[16], uint64_t v)
{
	for (int i = 15; i >= 8; i--, v >>= 8)
		a[i] = (uint8_t)v;
}

int net_ip6_alloc(const uint8_t subnet[16], int prefix, const uint8_t gateway[16],
		  const uint8_t (*used)[16], size_t n_used, const char *requested, uint8_t out[16],
		  struct hk_error **err)
{
	uint64_t host_max = prefix >= 64
				    ? (prefix == 64 ? UINT64_MAX : (1ull << (128 - prefix)) - 1)
				    : UINT64_MAX;
	_cleanup_free_ char *sub = net_ip6_str(subnet);
	uint8_t a[16];

	if (requested) {
		if (net_ip6_parse(requested, a) < 0)
			return hk_error_set(err, 0, "invalid IPv6 address '%s'", requested);
		if (!net_ip6_same_prefix(a, subnet, prefix))
			return hk_error_set(err, 0, "IPv6 address %s is not in subnet %s/%d",
					    requested, sub, prefix);
		if (!memcmp(a, subnet, 16))
			return hk_error_set(
				err, 0,
				"IPv6 address %s is the subnet's own (router anycast) address",
				requested);
		if (!memcmp(a, gateway, 16))
			return hk_error_set(err, 0, "IPv6 address %s is the gateway's", requested);
		for (size_t i = 0; i < n_used; i++)
			if (!memcmp(a, used[i], 16))
				return hk_error_set(err, 0, "IPv6 address %s is already in use",
						    requested);
		memcpy(out, a, 16);
		return 0;
	}
	/* the lowest free host number: every candidate below n_used + 3 is
	 * tried, and one of them is free (pigeonhole) */
	for (uint64_t h = 1; h <= host_max && h < n_used + 3; h++) {
		bool taken = false;
		memcpy(a, subnet, 16);
		set_low64(a, low64(subnet) | h);
		taken = !memcmp(a, gateway, 16);
		for (size_t i = 0; i < n_used && !taken; i++)
			taken = !memcmp(a, used[i], 16);
		if (!taken) {
			memcpy(out, a, 16);
			return 0;
		}
	}
	return hk_error_set(err, 0, "IPv6 subnet %s/%d has no free address left", sub, prefix);
}

bool net_ip6_overlaps_host(const uint8_t net[16], int prefix, const char *own)
{
	struct ifaddrs *ifa = NULL;
	bool hit = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (struct ifaddrs *i = ifa; i && !hit; i = i->ifa_next) {
		const uint8_t *a;
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6 || !i->ifa_netmask)
			continue;
		if (!strcmp(i->ifa_name, "lo") || (own && !strcmp(i->ifa_name, own)))
			continue;
		a = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr.s6_addr;
		if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
			continue; /* link-local: every interface has one */
		int p = 0;
		const uint8_t *m = ((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr.s6_addr;
		for (int k = 0; k < 16; k++)
			p += __builtin_popcount(m[k]);
		hit = net_ip6_same_prefix(a, net, p < prefix ? p : prefix);
	}
	freeifaddrs(ifa);
	return hit;
}
