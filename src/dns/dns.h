/* hako dns: the embedded DNS responder of user-defined networks.
 *
 * This header is the whole public face of src/dns/: the DNS message parser
 * and encoder, the records file that hako writes and `hako-dns` reads, and
 * the answer logic (which names a querier may see, what it gets).  It uses
 * libc only, so the same code is linked into the small static `hako-dns`
 * binary (its main loop: src/dns/main.c) and into the hako library, where
 * the unit tests reach it.  See docs/network.md, "Names and DNS".
 *
 * Every message is hostile: lengths are bounded by the buffer, compression
 * pointers must point strictly backwards (no loops possible), names are at
 * most 255 bytes on the wire, and anything odd is FORMERR or dropped.
 */
#ifndef HAKO_DNS_DNS_H
#define HAKO_DNS_DNS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNS_HEADER_LEN	12
#define DNS_MAX_NAME	255 /* on the wire, length bytes included (RFC 1035 2.3.4) */
#define DNS_UDP_MAX	512 /* a UDP answer without EDNS */
#define DNS_TTL		0   /* container addresses change: never cached */
#define DNS_MAX_ANSWERS 16

/* RR types and classes we deal in. */
enum {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_PTR = 12,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
	DNS_T_OPT = 41,
	DNS_T_ANY = 255,
	DNS_C_IN = 1,
};

/* Response codes (RFC 1035 4.1.1). */
enum {
	DNS_R_NOERROR = 0,
	DNS_R_FORMERR = 1,
	DNS_R_SERVFAIL = 2,
	DNS_R_NXDOMAIN = 3,
	DNS_R_NOTIMP = 4,
	DNS_R_REFUSED = 5,
};

/* Header flag bits (host order of the 16-bit flags word). */
#define DNS_F_QR      0x8000
#define DNS_F_AA      0x0400
#define DNS_F_TC      0x0200
#define DNS_F_RD      0x0100
#define DNS_F_RA      0x0080
#define DNS_OPCODE(f) (((f) >> 11) & 0xf)

/* One question, parsed. */
struct dns_question {
	uint16_t id, flags;
	uint16_t qtype, qclass;
	uint8_t wire[DNS_MAX_NAME]; /* the name, uncompressed wire form */
	size_t wire_len;
	/* Lowercase, dot-separated, no trailing dot ("" for the root).  plain is
	 * false when a label holds a byte that cannot be in a host name (a dot,
	 * space, control byte): such a name is never one of ours. */
	char text[DNS_MAX_NAME + 1];
	bool plain;
	size_t end; /* offset just after the question in the message */
};

/* Read the (possibly compressed) name at *off of msg into wire (at least
 * DNS_MAX_NAME bytes); *off moves past the name as it stands in msg.
 * Returns the wire length, or -1 for a malformed name: truncated, a label
 * length with the reserved bits, a pointer that does not point strictly
 * backwards (the rule that makes loops impossible), or longer than 255. */
int dns_name_read(const uint8_t *msg, size_t len, size_t *off, uint8_t *wire);

/* Wire form of a dotted name ("a.b", "a.b." and "" / "." for the root) into
 * out (cap bytes).  Returns its length, -1 for an empty label, a label over
 * 63 bytes or a name over 255. */
int dns_name_encode(const char *text, uint8_t *out, size_t cap);

/* Parse a message with exactly one question (query or response).  Returns 0,
 * or a DNS_R_* code > 0 to answer with (FORMERR, NOTIMP), or -1 when even
 * the header is unusable (drop it). */
int dns_question_parse(const uint8_t *msg, size_t len, struct dns_question *q);

/* One answer record; the owner is always the question's name. */
struct dns_rr {
	uint16_t type;
	uint16_t rdlen;
	uint32_t ttl;
	uint8_t rdata[DNS_MAX_NAME];
};

/* Build a response to q into out (cap bytes): header (id, opcode and RD of
 * q, QR, RA, AA when aa), the question, and the answers.  Answers that do
 * not fit set TC.  Returns the length, or -1 when cap cannot even hold the
 * header and question. */
int dns_response_build(const struct dns_question *q, int rcode, bool aa, const struct dns_rr *rrs,
		       size_t n, uint8_t *out, size_t cap);

/* ---- the records file ---- */

/* <runroot>/dns/records, written atomically (rename) by hako, under its
 * network lock, whenever an endpoint of a user network comes or goes:
 *
 *   hako-dns 1
 *   net NAME SUBNET/PREFIX GATEWAY INTERNAL(0|1)
 *   ep NETWORK IP CONTAINER-ID NAME|- [ALIAS...]
 *   net6 NAME SUBNET6/PREFIX GATEWAY6       (a network with IPv6, after its net)
 *   ep6 NETWORK IP6 CONTAINER-ID            (the IPv6 address of an ep)
 *   lease BRIDGE MAC IP/PREFIX ROUTER|- DNS|-  (a VM's NIC: answered by DHCP)
 *
 * Unknown line kinds are skipped (a newer hako may add some). */
#define DNS_RECORDS_MAGIC "hako-dns 1"

struct dns_net {
	char *name;
	uint32_t subnet, gateway; /* host byte order */
	int prefix;
	bool internal;
	bool v6; /* dual-stack: the fields below are set */
	uint8_t subnet6[16], gateway6[16];
	int prefix6;
};

struct dns_ep {
	size_t net; /* index into nets */
	uint32_t ip;
	char id[13];  /* the short id, lowercase */
	char **names; /* name then aliases, lowercase; n_names of them */
	size_t n_names;
	bool has6; /* an IPv6 address too (AAAA) */
	uint8_t ip6[16];
};

/* A VM's NIC on a bridge: the address DHCP hands to its MAC. */
struct dns_lease {
	char bridge[16];
	uint8_t mac[6];
	uint32_t ip, router, dns; /* host order; 0: none */
	int prefix;
};

struct dns_records {
	struct dns_net *nets;
	size_t n_nets;
	struct dns_ep *eps;
	size_t n_eps;
	struct dns_lease *leases;
	size_t n_leases;
};

/* Parse a records file.  Returns 0, or -1 with a message naming the line in
 * errbuf.  out is left empty on failure. */
int dns_records_parse(const char *text, size_t len, struct dns_records *out, char *errbuf,
		      size_t errsz);
void dns_records_free(struct dns_records *r);

/* ---- answering ---- */

enum dns_verdict {
	DNS_DROP,     /* no answer at all (not even a header) */
	DNS_ANSWERED, /* *outlen bytes of response in out */
	DNS_FORWARD,  /* not ours: send the query to the upstream resolvers */
};

/* Answer the query msg that arrived from src (a container, host order) on
 * the local address dst (a gateway).  A querier sees the names of every user
 * network it is connected to, never of another one: its networks are found
 * from its address; a querier that is no container (the host itself, on the
 * gateway) sees the network of dst; anyone else is REFUSED.  Names: the
 * container's name, its aliases on that network, its short id, and
 * NAME.NETWORK; case-insensitive, with or without a trailing dot.  A for the
 * addresses, an empty NOERROR for AAAA and other types of a known name, ANY
 * gives the A and AAAA records, AAAA for the IPv6 addresses (networks made
 * with --ipv6), PTR (in-addr.arpa and ip6.arpa) for the addresses of the
 * querier's networks.
 * Other names are forwarded, except for a querier on internal networks only
 * (no way out: SERVFAIL). */
enum dns_verdict dns_answer(const struct dns_records *r, uint32_t src, uint32_t dst,
			    const uint8_t *msg, size_t len, uint8_t *out, size_t cap,
			    size_t *outlen);

/* A querier over IPv6 (src6, a container's or a gateway's address) asking
 * on the IPv6 gateway dst6, as the IPv4 pair dns_answer() takes: the
 * container's IPv4 address on that network, the network's IPv4 gateway (a
 * network has both).  Scoping then works as for IPv4.  Returns false when
 * dst6 is no gateway of the records (*src, *dst are then 0). */
bool dns_map6(const struct dns_records *r, const uint8_t src6[16], const uint8_t dst6[16],
	      uint32_t *src, uint32_t *dst);

/* The SERVFAIL (or other rcode) response to a query, for when forwarding
 * fails.  Returns the length or -1 (unparsable query: drop). */
int dns_error_response(const uint8_t *msg, size_t len, int rcode, uint8_t *out, size_t cap);

/* ---- DHCP (VMs on hako networks) ---- */

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_LEASE_S	 3600
#define DHCP_MSG_MAX	 576

/* Answer the DHCP message msg that arrived on bridge: DISCOVER gets an
 * OFFER and REQUEST an ACK of the address recorded for the client's MAC
 * (a REQUEST for another address gets a NAK); a MAC without a lease on that
 * bridge, and every other message, gets nothing (returns 0).  server is the
 * address we answer as (the network's gateway).  Returns the reply's length
 * in out (cap >= DHCP_MSG_MAX), 0 for no reply. */
size_t dhcp_answer(const struct dns_records *r, const char *bridge, const uint8_t *msg, size_t len,
		   uint8_t *out, size_t cap);

/* ---- upstream resolvers ---- */

#define DNS_MAX_UPSTREAMS 4

struct dns_upstream {
	struct sockaddr_storage sa;
	socklen_t len;
};

/* Upstreams from a list "IP[:PORT],[IPv6]:PORT,..." (HAKO_DNS_UPSTREAM) when
 * list is non-NULL, else from the "nameserver" lines of resolv.conf text.
 * Loopback servers are kept: hako-dns runs in the host's namespace, where
 * they answer.  Returns how many (at most max). */
size_t dns_upstreams_parse(const char *list, const char *resolv_conf, struct dns_upstream *out,
			   size_t max);

#endif
