/* hako dns: the DNS message format (RFC 1035 4), read defensively. */
#include <string.h>

#include "dns/dns.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

int dns_name_read(const uint8_t *msg, size_t len, size_t *off, uint8_t *wire)
{
	size_t pos = *off, wlen = 0;
	/* The lowest offset reached so far: a pointer must go below it, so
	 * every jump strictly decreases it and the walk ends. */
	size_t floor = pos;
	bool jumped = false;

	for (;;) {
		if (pos >= len)
			return -1;
		uint8_t l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return -1;
			size_t target = ((size_t)(l & 0x3f) << 8) | msg[pos + 1];
			if (target >= floor)
				return -1;
			if (!jumped)
				*off = pos + 2;
			jumped = true;
			floor = target;
			pos = target;
			continue;
		}
		if (l & 0xc0)
			return -1; /* 0x40 / 0x80: extended label types, obsolete */
		if (wlen + 1 + l > DNS_MAX_NAME)
			return -1;
		if (l == 0) {
			wire[wlen++] = 0;
			if (!jumped)
				*off = pos + 1;
			return (int)wlen;
		}
		if (pos + 1 + l > len)
			return -1;
		memcpy(wire + wlen, msg + pos, (size_t)l + 1);
		wlen += (size_t)l + 1;
		pos += (size_t)l + 1;
	}
}

int dns_name_encode(const char *text, uint8_t *out, size_t cap)
{
	size_t n = 0;
	const char *p = text;

	if (!strcmp(text, ".") || !*text) {
		if (cap < 1)
			return -1;
		out[0] = 0;
		return 1;
	}
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > 63 || n + 1 + l + 1 > DNS_MAX_NAME || n + 1 + l + 1 > cap)
			return -1;
		out[n++] = (uint8_t)l;
		memcpy(out + n, p, l);
		n += l;
		p += l;
		if (*p == '.')
			p++;
	}
	out[n++] = 0;
	return (int)n;
}

/* The lowercase dotted text of a wire name; false when some label holds a
 * byte no host name has. */
static bool name_text(const uint8_t *wire, char *text)
{
	size_t i = 0, t = 0;
	bool plain = true;

	while (wire[i]) {
		uint8_t l = wire[i++];
		if (t)
			text[t++] = '.';
		for (uint8_t k = 0; k < l; k++, i++) {
			char c = (char)wire[i];
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			      c == '_'))
				plain = false;
			text[t++] = c;
		}
	}
	text[t] = '\0';
	return plain;
}

int dns_question_parse(const uint8_t *msg, size_t len, struct dns_question *q)
{
	size_t off = DNS_HEADER_LEN;
	int wl;

	memset(q, 0, sizeof(*q));
	if (len < DNS_HEADER_LEN)
		return -1;
	q->id = get16(msg);
	q->flags = get16(msg + 2);
	if (DNS_OPCODE(q->flags) != 0)
		return DNS_R_NOTIMP;
	if (get16(msg + 4) != 1)
		return DNS_R_FORMERR; /* no resolver sends more than one (RFC 9619) */
	wl = dns_name_read(msg, len, &off, q->wire);
	if (wl < 0 || off + 4 > len)
		return DNS_R_FORMERR;
	q->wire_len = (size_t)wl;
	q->plain = name_text(q->wire, q->text);
	q->qtype = get16(msg + off);
	q->qclass = get16(msg + off + 2);
	q->end = off + 4;
	return 0;
}

int dns_response_build(const struct dns_question *q, int rcode, bool aa, const struct dns_rr *rrs,
		       size_t n, uint8_t *out, size_t cap)
{
	size_t off = DNS_HEADER_LEN;
	uint16_t flags = (uint16_t)(DNS_F_QR | DNS_F_RA | (q->flags & (DNS_F_RD | 0x7800)));
	uint16_t an = 0;

	if (cap < DNS_HEADER_LEN + q->wire_len + 4)
		return -1;
	memset(out, 0, DNS_HEADER_LEN);
	memcpy(out + off, q->wire, q->wire_len);
	off += q->wire_len;
	put16(out + off, q->qtype);
	put16(out + off + 2, q->qclass);
	off += 4;
	for (size_t i = 0; i < n; i++) {
		/* owner: a pointer to the question's name at offset 12 */
		if (off + 12 + rrs[i].rdlen > cap) {
			flags |= DNS_F_TC;
			break;
		}
		put16(out + off, 0xc000 | DNS_HEADER_LEN);
		put16(out + off + 2, rrs[i].type);
		put16(out + off + 4, DNS_C_IN);
		put32(out + off + 6, rrs[i].ttl);
		put16(out + off + 10, rrs[i].rdlen);
		memcpy(out + off + 12, rrs[i].rdata, rrs[i].rdlen);
		off += 12 + (size_t)rrs[i].rdlen;
		an++;
	}
	if (aa)
		flags |= DNS_F_AA;
	flags |= (uint16_t)(rcode & 0xf);
	put16(out, q->id);
	put16(out + 2, flags);
	put16(out + 4, 1);
	put16(out + 6, an);
	return (int)off;
}

int dns_error_response(const uint8_t *msg, size_t len, int rcode, uint8_t *out, size_t cap)
{
	struct dns_question q;
	int r = dns_question_parse(msg, len, &q);

	if (r < 0)
		return -1;
	if (r > 0) {
		/* no usable question: a bare header with the id */
		if (cap < DNS_HEADER_LEN)
			return -1;
		memset(out, 0, DNS_HEADER_LEN);
		put16(out, q.id);
		put16(out + 2, (uint16_t)(DNS_F_QR | DNS_F_RA | (q.flags & (DNS_F_RD | 0x7800)) |
					  (r & 0xf)));
		return DNS_HEADER_LEN;
	}
	return dns_response_build(&q, rcode, false, NULL, 0, out, cap);
}
