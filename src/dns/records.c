/* hako dns: the records file, who may see which name, and the answers. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"

#define MAX_FIELDS 64 /* per line: a container with more aliases keeps the first ones */

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static char *dup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		abort(); /* a few hundred bytes: out of memory is not survivable */
	return p;
}

static void *grow(void *p, size_t n, size_t size)
{
	void *q = realloc(p, n * size);

	if (!q)
		abort();
	return q;
}

void dns_records_free(struct dns_records *r)
{
	for (size_t i = 0; i < r->n_nets; i++)
		free(r->nets[i].name);
	for (size_t i = 0; i < r->n_eps; i++) {
		for (size_t k = 0; k < r->eps[i].n_names; k++)
			free(r->eps[i].names[k]);
		free(r->eps[i].names);
	}
	free(r->nets);
	free(r->eps);
	free(r->leases);
	memset(r, 0, sizeof(*r));
}

static int ip4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

static uint32_t mask(int prefix)
{
	return prefix <= 0 ? 0 : 0xffffffffu << (32 - prefix);
}

static int parse_net(struct dns_records *r, char **f, int n)
{
	struct dns_net net = {0};
	char *slash;
	char *end;
	long p;

	if (n != 5 || !(slash = strchr(f[2], '/')))
		return -1;
	*slash = '\0';
	p = strtol(slash + 1, &end, 10);
	if (*end || p < 1 || p > 32 || ip4(f[2], &net.subnet) < 0 || ip4(f[3], &net.gateway) < 0)
		return -1;
	for (size_t i = 0; i < r->n_nets; i++)
		if (!strcmp(r->nets[i].name, f[1]))
			return -1;
	net.prefix = (int)p;
	net.subnet &= mask(net.prefix);
	net.internal = !strcmp(f[4], "1");
	net.name = dup(f[1]);
	lower(net.name);
	r->nets = grow(r->nets, r->n_nets + 1, sizeof(*r->nets));
	r->nets[r->n_nets++] = net;
	return 0;
}

static int ip6(const char *s, uint8_t out[16])
{
	return inet_pton(AF_INET6, s, out) == 1 ? 0 : -1;
}

static bool same_prefix6(const uint8_t a[16], const uint8_t b[16], int prefix)
{
	for (int i = 0; i < 16 && prefix > 0; i++, prefix -= 8) {
		uint8_t m = prefix >= 8 ? 0xff : (uint8_t)(0xff << (8 - prefix));
		if ((a[i] & m) != (b[i] & m))
			return false;
	}
	return true;
}

/* net6 NAME SUBNET6/PREFIX GATEWAY6: the IPv6 side of a net line before. */
static int parse_net6(struct dns_records *r, char **f, int n)
{
	char *slash, *end;
	long p;

	if (n != 4 || !(slash = strchr(f[2], '/')))
		return -1;
	*slash = '\0';
	p = strtol(slash + 1, &end, 10);
	if (*end || p < 1 || p > 128)
		return -1;
	lower(f[1]);
	for (size_t i = 0; i < r->n_nets; i++) {
		struct dns_net *net = &r->nets[i];
		if (strcmp(net->name, f[1]) || net->v6)
			continue;
		if (ip6(f[2], net->subnet6) < 0 || ip6(f[3], net->gateway6) < 0)
			return -1;
		net->prefix6 = (int)p;
		net->v6 = true;
		return 0;
	}
	return -1;
}

/* ep6 NETWORK IP6 CONTAINER-ID: the IPv6 address of an ep line before. */
static int parse_ep6(struct dns_records *r, char **f, int n)
{
	if (n != 4 || strlen(f[3]) < 12)
		return -1;
	lower(f[1]);
	lower(f[3]);
	for (size_t i = 0; i < r->n_eps; i++) {
		struct dns_ep *ep = &r->eps[i];
		if (strcmp(r->nets[ep->net].name, f[1]) || strncmp(ep->id, f[3], 12) || ep->has6)
			continue;
		if (!r->nets[ep->net].v6 || ip6(f[2], ep->ip6) < 0)
			return -1;
		ep->has6 = true;
		return 0;
	}
	return -1;
}

static int parse_ep(struct dns_records *r, char **f, int n)
{
	struct dns_ep ep = {0};
	size_t net;

	if (n < 5 || strlen(f[3]) < 12)
		return -1;
	for (net = 0; net < r->n_nets; net++)
		if (!strcmp(r->nets[net].name, f[1]))
			break;
	if (net == r->n_nets || ip4(f[2], &ep.ip) < 0)
		return -1;
	ep.net = net;
	memcpy(ep.id, f[3], 12);
	lower(ep.id);
	ep.names = grow(NULL, (size_t)n, sizeof(char *));
	for (int i = 4; i < n; i++) {
		if (i == 4 && !strcmp(f[i], "-"))
			continue;
		ep.names[ep.n_names] = dup(f[i]);
		/* a trailing dot in an alias means the same name */
		size_t l = strlen(ep.names[ep.n_names]);
		if (l > 1 && ep.names[ep.n_names][l - 1] == '.')
			ep.names[ep.n_names][l - 1] = '\0';
		lower(ep.names[ep.n_names++]);
	}
	r->eps = grow(r->eps, r->n_eps + 1, sizeof(*r->eps));
	r->eps[r->n_eps++] = ep;
	return 0;
}

/* lease BRIDGE MAC IP/PREFIX ROUTER|- DNS|- */
static int parse_lease(struct dns_records *r, char **f, int n)
{
	struct dns_lease l = {0};
	unsigned m[6];
	char *slash;
	char end;

	if (n < 6 || strlen(f[1]) >= sizeof(l.bridge) || !(slash = strchr(f[3], '/')))
		return -1;
	if (sscanf(f[2], "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
		   &end) != 6)
		return -1;
	*slash = '\0';
	l.prefix = atoi(slash + 1);
	if (ip4(f[3], &l.ip) < 0 || l.prefix < 1 || l.prefix > 30 ||
	    (strcmp(f[4], "-") && ip4(f[4], &l.router) < 0) ||
	    (strcmp(f[5], "-") && ip4(f[5], &l.dns) < 0))
		return -1;
	strcpy(l.bridge, f[1]);
	for (int i = 0; i < 6; i++)
		l.mac[i] = (uint8_t)m[i];
	r->leases = grow(r->leases, r->n_leases + 1, sizeof(*r->leases));
	r->leases[r->n_leases++] = l;
	return 0;
}

int dns_records_parse(const char *text, size_t len, struct dns_records *out, char *errbuf,
		      size_t errsz)
{
	struct dns_records r = {0};
	char *copy = malloc(len + 1), *save = NULL;
	int lineno = 0;

	if (!copy)
		abort();
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *f[MAX_FIELDS], *s2 = NULL;
		int n = 0, rc = 0;
		lineno++;
		if (lineno == 1) {
			if (strcmp(l, DNS_RECORDS_MAGIC)) {
				snprintf(errbuf, errsz, "line 1: not a hako-dns records file");
				goto fail;
			}
			continue;
		}
		for (char *t = strtok_r(l, " \t", &s2); t && n < MAX_FIELDS;
		     t = strtok_r(NULL, " \t", &s2))
			f[n++] = t;
		if (n == 0 || f[0][0] == '#')
			continue;
		if (!strcmp(f[0], "net"))
			rc = parse_net(&r, f, n);
		else if (!strcmp(f[0], "ep"))
			rc = parse_ep(&r, f, n);
		else if (!strcmp(f[0], "net6"))
			rc = parse_net6(&r, f, n);
		else if (!strcmp(f[0], "ep6"))
			rc = parse_ep6(&r, f, n);
		else if (!strcmp(f[0], "lease"))
			rc = parse_lease(&r, f, n);
		if (rc < 0) {
			snprintf(errbuf, errsz, "line %d: malformed '%s' record", lineno, f[0]);
			goto fail;
		}
	}
	if (lineno == 0) {
		snprintf(errbuf, errsz, "empty records file");
		goto fail;
	}
	free(copy);
	*out = r;
	return 0;
fail:
	free(copy);
	dns_records_free(&r);
	return -1;
}

/* ---- scope ---- */

bool dns_map6(const struct dns_records *r, const uint8_t src6[16], const uint8_t dst6[16],
	      uint32_t *src, uint32_t *dst)
{
	*src = *dst = 0;
	for (size_t i = 0; i < r->n_nets && !*dst; i++)
		if (r->nets[i].v6 && !memcmp(r->nets[i].gateway6, dst6, 16))
			*dst = r->nets[i].gateway;
	for (size_t i = 0; i < r->n_eps && !*src; i++)
		if (r->eps[i].has6 && !memcmp(r->eps[i].ip6, src6, 16))
			*src = r->eps[i].ip;
	/* the host itself, from a gateway address */
	for (size_t i = 0; i < r->n_nets && !*src; i++)
		if (r->nets[i].v6 && !memcmp(r->nets[i].gateway6, src6, 16))
			*src = r->nets[i].gateway;
	return *dst != 0;
}

/* The networks the querier may see, as flags per network (n_nets of them).
 * Returns how many. */
static size_t scope(const struct dns_records *r, uint32_t src, uint32_t dst, bool *in)
{
	size_t n = 0;
	const char *who = NULL;

	memset(in, 0, r->n_nets * sizeof(*in));
	/* subnets never overlap, so the address names one container */
	for (size_t i = 0; i < r->n_eps && !who; i++)
		if (r->eps[i].ip == src)
			who = r->eps[i].id;
	if (who) {
		for (size_t i = 0; i < r->n_eps; i++)
			if (!strcmp(r->eps[i].id, who) && !in[r->eps[i].net]) {
				in[r->eps[i].net] = true;
				n++;
			}
		return n;
	}
	/* the host itself, asking on a gateway (src is then a local address,
	 * usually that gateway) */
	for (size_t i = 0; i < r->n_nets; i++)
		if (r->nets[i].gateway == dst && r->nets[i].gateway == src) {
			in[i] = true;
			n++;
		}
	return n;
}

/* Does name (lowercase, no trailing dot) designate ep? */
static bool ep_matches(const struct dns_records *r, const struct dns_ep *ep, const char *name)
{
	const char *net = r->nets[ep->net].name;
	size_t nl = strlen(name), netl = strlen(net);

	if (!strcmp(name, ep->id))
		return true;
	for (size_t k = 0; k < ep->n_names; k++)
		if (!strcmp(name, ep->names[k]))
			return true;
	/* NAME.NETWORK */
	if (nl > netl + 1 && name[nl - netl - 1] == '.' && !strcmp(name + nl - netl, net)) {
		size_t bl = nl - netl - 1;
		if (bl == 12 && !strncmp(name, ep->id, 12))
			return true;
		for (size_t k = 0; k < ep->n_names; k++)
			if (strlen(ep->names[k]) == bl && !strncmp(name, ep->names[k], bl))
				return true;
	}
	return false;
}

/* "d.c.b.a.in-addr.arpa" into a (host order); -1 when it is not one. */
static int ptr_addr(const char *name, uint32_t *a)
{
	unsigned b[4];
	char tail[16];
	int used = 0;

	if (sscanf(name, "%3u.%3u.%3u.%3u.%15s%n", &b[0], &b[1], &b[2], &b[3], tail, &used) != 5 ||
	    strcmp(tail, "in-addr.arpa") || (size_t)used != strlen(name))
		return -1;
	for (int i = 0; i < 4; i++)
		if (b[i] > 255)
			return -1;
	*a = (b[3] << 24) | (b[2] << 16) | (b[1] << 8) | b[0];
	return 0;
}

/* "x.x.(32 nibbles).ip6.arpa" into a; -1 when it is not one. */
static int ptr6_addr(const char *name, uint8_t a[16])
{
	if (strlen(name) != 64 + 8 || strcmp(name + 64, "ip6.arpa"))
		return -1;
	memset(a, 0, 16);
	for (int i = 0; i < 32; i++) {
		char c = name[2 * i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (v < 0 || name[2 * i + 1] != '.')
			return -1;
		/* the first nibble of the name is the last of the address */
		a[15 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
	}
	return 0;
}

static void rr_aaaa(struct dns_rr *rr, const uint8_t ip[16])
{
	rr->type = DNS_T_AAAA;
	rr->ttl = DNS_TTL;
	rr->rdlen = 16;
	memcpy(rr->rdata, ip, 16);
}

static void rr_a(struct dns_rr *rr, uint32_t ip)
{
	rr->type = DNS_T_A;
	rr->ttl = DNS_TTL;
	rr->rdlen = 4;
	rr->rdata[0] = (uint8_t)(ip >> 24);
	rr->rdata[1] = (uint8_t)(ip >> 16);
	rr->rdata[2] = (uint8_t)(ip >> 8);
	rr->rdata[3] = (uint8_t)ip;
}

static enum dns_verdict reply(const struct dns_question *q, int rcode, bool aa,
			      const struct dns_rr *rrs, size_t n, uint8_t *out, size_t cap,
			      size_t *outlen)
{
	int l = dns_response_build(q, rcode, aa, rrs, n, out, cap);

	if (l < 0)
		return DNS_DROP;
	*outlen = (size_t)l;
	return DNS_ANSWERED;
}

/* PTR of a (IPv4 in a4 when a6 is NULL, else IPv6 a6). */
static enum dns_verdict answer_ptr(const struct dns_records *r, const bool *in,
				   const struct dns_question *q, uint32_t a, const uint8_t *a6,
				   uint8_t *out, size_t cap, size_t *outlen)
{
	struct dns_rr rr = {.type = DNS_T_PTR, .ttl = DNS_TTL};
	bool ours = false;

	for (size_t i = 0; i < r->n_nets; i++) {
		const struct dns_net *nt = &r->nets[i];
		if (in[i] && (a6 ? nt->v6 && same_prefix6(a6, nt->subnet6, nt->prefix6)
				 : (a & mask(nt->prefix)) == nt->subnet))
			ours = true;
	}
	if (!ours)
		return DNS_FORWARD;
	for (size_t i = 0; i < r->n_eps; i++) {
		const struct dns_ep *ep = &r->eps[i];
		char name[DNS_MAX_NAME + 1];
		int l;
		if (!in[ep->net] || (a6 ? !ep->has6 || memcmp(ep->ip6, a6, 16) : ep->ip != a))
			continue;
		/* NAME.NETWORK., as docker answers */
		snprintf(name, sizeof(name), "%s.%s", ep->n_names ? ep->names[0] : ep->id,
			 r->nets[ep->net].name);
		l = dns_name_encode(name, rr.rdata, sizeof(rr.rdata));
		if (l < 0)
			continue;
		rr.rdlen = (uint16_t)l;
		if (q->qtype != DNS_T_PTR && q->qtype != DNS_T_ANY)
			return reply(q, DNS_R_NOERROR, true, NULL, 0, out, cap, outlen);
		return reply(q, DNS_R_NOERROR, true, &rr, 1, out, cap, outlen);
	}
	/* an address of our subnets nobody holds: never ask the world */
	return reply(q, DNS_R_NXDOMAIN, true, NULL, 0, out, cap, outlen);
}

enum dns_verdict dns_answer(const struct dns_records *r, uint32_t src, uint32_t dst,
			    const uint8_t *msg, size_t len, uint8_t *out, size_t cap,
			    size_t *outlen)
{
	struct dns_question q;
	struct dns_rr rrs[DNS_MAX_ANSWERS];
	bool in_stack[64], *in = in_stack;
	size_t n = 0, n_scope;
	bool known = false, internal_only = true;
	uint32_t a;
	uint8_t a6[16];
	enum dns_verdict v;
	int pr;

	if (len >= 4 && (msg[2] & 0x80))
		return DNS_DROP; /* a response sent to us: never answer those */
	pr = dns_question_parse(msg, len, &q);
	if (pr < 0)
		return DNS_DROP;
	if (pr > 0) {
		int l = dns_error_response(msg, len, pr, out, cap);
		if (l < 0)
			return DNS_DROP;
		*outlen = (size_t)l;
		return DNS_ANSWERED;
	}
	if (r->n_nets > 64)
		in = calloc(r->n_nets, sizeof(*in));
	if (!in)
		abort();
	n_scope = scope(r, src, dst, in);
	if (n_scope == 0) {
		v = reply(&q, DNS_R_REFUSED, false, NULL, 0, out, cap, outlen);
		goto out;
	}
	for (size_t i = 0; i < r->n_nets; i++)
		if (in[i] && !r->nets[i].internal)
			internal_only = false;
	if (q.qclass != DNS_C_IN && q.qclass != DNS_T_ANY) {
		v = DNS_FORWARD;
		goto fwd;
	}
	if (q.plain) {
		if (ptr_addr(q.text, &a) == 0) {
			v = answer_ptr(r, in, &q, a, NULL, out, cap, outlen);
			goto fwd;
		}
		if (ptr6_addr(q.text, a6) == 0) {
			v = answer_ptr(r, in, &q, 0, a6, out, cap, outlen);
			goto fwd;
		}
		/* the network of the gateway asked first: its address is the
		 * one the querier reaches directly */
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < r->n_eps; i++) {
				const struct dns_ep *ep = &r->eps[i];
				bool local = r->nets[ep->net].gateway == dst;
				if (!in[ep->net] || local != (pass == 0) ||
				    !ep_matches(r, ep, q.text))
					continue;
				known = true;
				if (n < DNS_MAX_ANSWERS &&
				    (q.qtype == DNS_T_A || q.qtype == DNS_T_ANY))
					rr_a(&rrs[n++], ep->ip);
				if (n < DNS_MAX_ANSWERS && ep->has6 &&
				    (q.qtype == DNS_T_AAAA || q.qtype == DNS_T_ANY))
					rr_aaaa(&rrs[n++], ep->ip6);
			}
	}
	if (!known) {
		v = DNS_FORWARD;
		goto fwd;
	}
	/* other types (and AAAA of an IPv4-only container): the name exists,
	 * with no such data */
	v = reply(&q, DNS_R_NOERROR, true, rrs, n, out, cap, outlen);
	goto out;
fwd:
	if (v == DNS_FORWARD && internal_only)
		v = reply(&q, DNS_R_SERVFAIL, false, NULL, 0, out, cap, outlen);
out:
	if (in != in_stack)
		free(in);
	return v;
}

/* ---- upstreams ---- */

static bool upstream_add(const char *s, struct dns_upstream *u)
{
	char host[64];
	const char *port = NULL;
	long p = 53;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&u->sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&u->sa;

	memset(u, 0, sizeof(*u));
	if (*s == '[') {
		const char *e = strchr(s, ']');
		if (!e || (size_t)(e - s - 1) >= sizeof(host))
			return false;
		memcpy(host, s + 1, (size_t)(e - s - 1));
		host[e - s - 1] = '\0';
		if (e[1] == ':')
			port = e + 2;
		else if (e[1])
			return false;
	} else {
		const char *c = strchr(s, ':');
		if (c && strchr(c + 1, ':'))
			c = NULL; /* a bare IPv6 address */
		size_t hl = c ? (size_t)(c - s) : strlen(s);
		if (hl >= sizeof(host))
			return false;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (c)
			port = c + 1;
	}
	if (port) {
		char *end;
		p = strtol(port, &end, 10);
		if (*end || p < 1 || p > 65535)
			return false;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		u->len = sizeof(*s4);
		return true;
	}
	/* a zone ("fe80::1%eth0") is dropped: link-local upstreams are rare */
	char *pct = strchr(host, '%');
	if (pct)
		*pct = '\0';
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		u->len = sizeof(*s6);
		return true;
	}
	return false;
}

size_t dns_upstreams_parse(const char *list, const char *resolv_conf, struct dns_upstream *out,
			   size_t max)
{
	size_t n = 0;
	char buf[128];

	if (list) {
		for (const char *p = list; *p && n < max;) {
			size_t l = strcspn(p, ", ");
			if (l && l < sizeof(buf)) {
				memcpy(buf, p, l);
				buf[l] = '\0';
				if (upstream_add(buf, &out[n]))
					n++;
			}
			p += l;
			p += strspn(p, ", ");
		}
		return n;
	}
	for (const char *l = resolv_conf; l && *l && n < max;) {
		const char *e = strchr(l, '\n');
		size_t ll = e ? (size_t)(e - l) : strlen(l);
		char word[16], val[64];
		if (ll < sizeof(buf)) {
			memcpy(buf, l, ll);
			buf[ll] = '\0';
			if (sscanf(buf, "%15s %63s", word, val) == 2 &&
			    !strcmp(word, "nameserver") && upstream_add(val, &out[n]))
				n++;
		}
		l += ll;
		if (*l)
			l++;
	}
	return n;
}
