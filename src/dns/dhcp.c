/* hako dns: the DHCP answers for VMs on hako networks (RFC 2131/2132).
 *
 * hako hands out a VM's address from the network's IPAM, as a container's,
 * and records it with the NIC's MAC in the records file ("lease" lines);
 * this only tells the guest what it already has.  No pool, no lease
 * database, no state: an unknown MAC gets no answer, a REQUEST for another
 * address a NAK (the client starts over and is offered the right one). */
#include <arpa/inet.h>
#include <string.h>

#include "dns/dns.h"

#define BOOTP_REQUEST 1
#define BOOTP_REPLY   2
#define OFF_FLAGS     10
#define OFF_CIADDR    12
#define OFF_YIADDR    16
#define OFF_SIADDR    20
#define OFF_CHADDR    28
#define OFF_MAGIC     236
#define OFF_OPTIONS   240

enum {
	DHCPDISCOVER = 1,
	DHCPOFFER = 2,
	DHCPREQUEST = 3,
	DHCPACK = 5,
	DHCPNAK = 6,
};

enum {
	OPT_PAD = 0,
	OPT_MASK = 1,
	OPT_ROUTER = 3,
	OPT_DNS = 6,
	OPT_REQUESTED_IP = 50,
	OPT_LEASE_TIME = 51,
	OPT_MSG_TYPE = 53,
	OPT_SERVER_ID = 54,
	OPT_END = 255,
};

static const uint8_t magic[4] = {99, 130, 83, 99};

/* The value of option code in the options of msg (bounded), or NULL. */
static const uint8_t *option(const uint8_t *msg, size_t len, uint8_t code, uint8_t *olen)
{
	size_t i = OFF_OPTIONS;

	while (i < len) {
		uint8_t c = msg[i];
		if (c == OPT_END)
			break;
		if (c == OPT_PAD) {
			i++;
			continue;
		}
		if (i + 1 >= len || i + 2 + msg[i + 1] > len)
			break;
		if (c == code) {
			*olen = msg[i + 1];
			return msg + i + 2;
		}
		i += 2u + msg[i + 1];
	}
	return NULL;
}

static size_t put_opt(uint8_t *out, size_t at, uint8_t code, const void *v, uint8_t n)
{
	out[at] = code;
	out[at + 1] = n;
	memcpy(out + at + 2, v, n);
	return at + 2u + n;
}

static size_t put_ip(uint8_t *out, size_t at, uint8_t code, uint32_t ip)
{
	uint32_t be = htonl(ip);

	return put_opt(out, at, code, &be, 4);
}

size_t dhcp_answer(const struct dns_records *r, const char *bridge, const uint8_t *msg, size_t len,
		   uint8_t *out, size_t cap)
{
	const struct dns_lease *l = NULL;
	const uint8_t *v;
	uint8_t type, vl = 0, reply;
	uint32_t server, want = 0, be;
	size_t at;

	if (len < OFF_OPTIONS + 3 || cap < DHCP_MSG_MAX || msg[0] != BOOTP_REQUEST || msg[1] != 1 ||
	    msg[2] != 6 || memcmp(msg + OFF_MAGIC, magic, 4))
		return 0;
	v = option(msg, len, OPT_MSG_TYPE, &vl);
	if (!v || vl != 1)
		return 0;
	type = v[0];
	if (type != DHCPDISCOVER && type != DHCPREQUEST)
		return 0;
	for (size_t i = 0; i < r->n_leases; i++)
		if (!strcmp(r->leases[i].bridge, bridge) &&
		    !memcmp(r->leases[i].mac, msg + OFF_CHADDR, 6)) {
			l = &r->leases[i];
			break;
		}
	if (!l)
		return 0;
	/* the network's gateway: the router, or the network's first address */
	server = l->router ? l->router : (l->ip & ~((1u << (32 - l->prefix)) - 1)) + 1;
	reply = DHCPOFFER;
	if (type == DHCPREQUEST) {
		/* a REQUEST to another server (option 54) is not ours to answer */
		v = option(msg, len, OPT_SERVER_ID, &vl);
		if (v && vl == 4) {
			memcpy(&be, v, 4);
			if (ntohl(be) != server)
				return 0;
		}
		v = option(msg, len, OPT_REQUESTED_IP, &vl);
		if (v && vl == 4) {
			memcpy(&be, v, 4);
			want = ntohl(be);
		} else {
			memcpy(&be, msg + OFF_CIADDR, 4);
			want = ntohl(be);
		}
		reply = want == l->ip ? DHCPACK : DHCPNAK;
	}
	memset(out, 0, DHCP_MSG_MAX);
	out[0] = BOOTP_REPLY;
	out[1] = 1;
	out[2] = 6;
	memcpy(out + 4, msg + 4, 4);			/* xid */
	memcpy(out + OFF_FLAGS, msg + OFF_FLAGS, 2);	/* the broadcast flag */
	memcpy(out + OFF_CHADDR, msg + OFF_CHADDR, 16); /* chaddr */
	if (reply != DHCPNAK) {
		be = htonl(l->ip);
		memcpy(out + OFF_YIADDR, &be, 4);
		be = htonl(server);
		memcpy(out + OFF_SIADDR, &be, 4);
	}
	memcpy(out + OFF_MAGIC, magic, 4);
	at = put_opt(out, OFF_OPTIONS, OPT_MSG_TYPE, &reply, 1);
	at = put_ip(out, at, OPT_SERVER_ID, server);
	if (reply != DHCPNAK) {
		uint32_t lease = htonl(DHCP_LEASE_S);
		at = put_opt(out, at, OPT_LEASE_TIME, &lease, 4);
		at = put_ip(out, at, OPT_MASK, ~((1u << (32 - l->prefix)) - 1));
		if (l->router)
			at = put_ip(out, at, OPT_ROUTER, l->router);
		if (l->dns)
			at = put_ip(out, at, OPT_DNS, l->dns);
	}
	out[at++] = OPT_END;
	/* BOOTP's minimum message: 300 bytes (some clients insist) */
	return at < 300 ? 300 : at;
}
