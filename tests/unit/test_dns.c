/* Unit tests of src/dns/: the message parser and encoder (with hostile
 * input), the records file, the scoping and answers of the responder. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "dns/dns.h"
#include "net/net.h"
#include "test.h"
#include "util/util.h"

/* A query for name/type with id 0x1234, RD set; its length. */
static size_t make_query(uint8_t *b, const char *name, uint16_t type)
{
	int l;

	memset(b, 0, DNS_HEADER_LEN);
	b[0] = 0x12, b[1] = 0x34, b[2] = 0x01, b[5] = 1;
	l = dns_name_encode(name, b + DNS_HEADER_LEN, DNS_MAX_NAME);
	if (l < 0)
		abort();
	b[DNS_HEADER_LEN + l] = (uint8_t)(type >> 8);
	b[DNS_HEADER_LEN + l + 1] = (uint8_t)type;
	b[DNS_HEADER_LEN + l + 2] = 0;
	b[DNS_HEADER_LEN + l + 3] = 1;
	return DNS_HEADER_LEN + (size_t)l + 4;
}

static uint16_t u16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return ntohl(a.s_addr);
}

TEST(dns_name_encode_and_read)
{
	uint8_t w[DNS_MAX_NAME], r[DNS_MAX_NAME];
	size_t off = 0;
	char long_label[80], long_name[300];

	REQUIRE(dns_name_encode("srv.app", w, sizeof(w)) == 9);
	CHECK(!memcmp(w, "\3srv\3app\0", 9));
	CHECK(dns_name_encode("srv.app.", r, sizeof(r)) == 9 && !memcmp(r, w, 9));
	CHECK(dns_name_encode(".", r, sizeof(r)) == 1 && r[0] == 0);
	CHECK(dns_name_encode("", r, sizeof(r)) == 1);
	CHECK(dns_name_encode("a..b", r, sizeof(r)) < 0);
	CHECK(dns_name_encode("srv.app", r, 5) < 0);
	memset(long_label, 'x', 64);
	long_label[64] = '\0';
	CHECK(dns_name_encode(long_label, r, sizeof(r)) < 0);
	for (int i = 0; i < 150; i++)
		memcpy(long_name + 2 * i, "a.", 2);
	long_name[299] = '\0';
	CHECK(dns_name_encode(long_name, r, sizeof(r)) < 0);

	REQUIRE(dns_name_read(w, 9, &off, r) == 9);
	CHECK(off == 9 && !memcmp(r, w, 9));
}

TEST(dns_name_read_compression)
{
	/* "app" at 0, then "srv" + pointer to 0 at 5 */
	const uint8_t msg[] = {3, 'a', 'p', 'p', 0, 3, 's', 'r', 'v', 0xc0, 0};
	uint8_t r[DNS_MAX_NAME];
	size_t off = 5;

	REQUIRE(dns_name_read(msg, sizeof(msg), &off, r) == 9);
	CHECK(!memcmp(r, "\3srv\3app\0", 9));
	CHECK(off == sizeof(msg)); /* just past the pointer */
}

TEST(dns_name_read_hostile)
{
	uint8_t r[DNS_MAX_NAME];
	size_t off;
	/* a pointer to itself */
	const uint8_t self[] = {0xc0, 0};
	/* two pointers to each other: the second points forward */
	const uint8_t mutual[] = {0xc0, 2, 0xc0, 0};
	/* a label running past the end */
	const uint8_t trunc[] = {5, 'a', 'b'};
	/* no terminating zero */
	const uint8_t noend[] = {1, 'a'};
	/* reserved label types 0x40 and 0x80 */
	const uint8_t ext1[] = {0x41, 'a', 0};
	const uint8_t ext2[] = {0x81, 'a', 0};
	/* half a pointer */
	const uint8_t half[] = {1, 'a', 0xc0};
	/* a backwards pointer into a loop that lies behind it:
	 * 0: ptr->2 (forward, refused even when reached by a jump) */
	const uint8_t back_loop[] = {0xc0, 2, 1, 'a', 0xc0, 0};
	/* a name over 255 bytes through repeated backward pointers to labels */
	uint8_t big[600];
	size_t n = 0;

	off = 0;
	CHECK(dns_name_read(self, sizeof(self), &off, r) < 0);
	off = 2;
	CHECK(dns_name_read(mutual, sizeof(mutual), &off, r) < 0);
	off = 0;
	CHECK(dns_name_read(trunc, sizeof(trunc), &off, r) < 0);
	off = 0;
	CHECK(dns_name_read(noend, sizeof(noend), &off, r) < 0);
	off = 0;
	CHECK(dns_name_read(ext1, sizeof(ext1), &off, r) < 0);
	off = 0;
	CHECK(dns_name_read(ext2, sizeof(ext2), &off, r) < 0);
	off = 0;
	CHECK(dns_name_read(half, sizeof(half), &off, r) < 0);
	off = 4;
	CHECK(dns_name_read(back_loop, sizeof(back_loop), &off, r) < 0);
	off = 0;
	CHECK(dns_name_read(back_loop, 0, &off, r) < 0);

	/* 60 labels of 5 bytes, each followed by a pointer to the previous
	 * label: every step is backwards, the whole name is too long */
	big[n++] = 4, memcpy(big + n, "abcd", 4), n += 4, big[n++] = 0;
	for (int i = 0; i < 60; i++) {
		size_t prev = i == 0 ? 0 : n - 7;
		big[n++] = 4, memcpy(big + n, "abcd", 4), n += 4;
		big[n++] = (uint8_t)(0xc0 | (prev >> 8));
		big[n++] = (uint8_t)prev;
	}
	off = n - 7;
	CHECK(dns_name_read(big, n, &off, r) < 0);
}

TEST(dns_question_parse_forms)
{
	uint8_t b[512];
	struct dns_question q;
	size_t len = make_query(b, "Srv.APP", DNS_T_A);

	REQUIRE(dns_question_parse(b, len, &q) == 0);
	CHECK(q.id == 0x1234 && q.qtype == DNS_T_A && q.qclass == DNS_C_IN);
	CHECK_STR(q.text, "srv.app");
	CHECK(q.plain && q.end == len);

	/* a label with a dot or a space inside is never one of ours */
	memcpy(b + DNS_HEADER_LEN, "\3s.v\3app\0", 9);
	REQUIRE(dns_question_parse(b, len, &q) == 0);
	CHECK(!q.plain);

	CHECK(dns_question_parse(b, 11, &q) == -1);
	CHECK(dns_question_parse(b, len - 1, &q) == DNS_R_FORMERR);
	b[5] = 0; /* no question */
	CHECK(dns_question_parse(b, len, &q) == DNS_R_FORMERR);
	b[5] = 2; /* two questions */
	CHECK(dns_question_parse(b, len, &q) == DNS_R_FORMERR);
	b[5] = 1;
	b[2] = 0x10; /* opcode 2 (STATUS) */
	CHECK(dns_question_parse(b, len, &q) == DNS_R_NOTIMP);
}

TEST(dns_response_build_truncates)
{
	uint8_t b[512], out[512];
	struct dns_question q;
	struct dns_rr rrs[3] = {0};
	size_t len = make_query(b, "srv", DNS_T_A);
	int l;

	REQUIRE(dns_question_parse(b, len, &q) == 0);
	for (int i = 0; i < 3; i++)
		rrs[i].type = DNS_T_A, rrs[i].rdlen = 4;
	l = dns_response_build(&q, 0, true, rrs, 3, out, sizeof(out));
	REQUIRE(l == (int)len + 3 * 16);
	CHECK(u16(out) == 0x1234 && u16(out + 6) == 3);
	CHECK((u16(out + 2) & (DNS_F_QR | DNS_F_AA | DNS_F_RD | DNS_F_RA)) ==
	      (DNS_F_QR | DNS_F_AA | DNS_F_RD | DNS_F_RA));
	CHECK(!(u16(out + 2) & DNS_F_TC));
	/* room for one answer only */
	l = dns_response_build(&q, 0, true, rrs, 3, out, len + 20);
	REQUIRE(l == (int)len + 16);
	CHECK(u16(out + 6) == 1 && (u16(out + 2) & DNS_F_TC));
	CHECK(dns_response_build(&q, 0, true, rrs, 3, out, len - 1) < 0);
}

static const char RECORDS[] = "hako-dns 1\n"
			      "net app 10.90.1.0/24 10.90.1.1 0\n"
			      "net other 10.90.2.0/24 10.90.2.1 0\n"
			      "net priv 10.90.3.0/24 10.90.3.1 1\n"
			      "future-kind ignored fields\n"
			      "ep app 10.90.1.2 0123456789abcdef0123 Web db Cache.\n"
			      "ep app 10.90.1.3 aaaaaaaaaaaa0000 cli\n"
			      "ep other 10.90.2.2 bbbbbbbbbbbb0000 far\n"
			      "ep app 10.90.1.4 bbbbbbbbbbbb0000 far\n"
			      "ep priv 10.90.3.2 cccccccccccc0000 p1\n"
			      "ep priv 10.90.3.3 dddddddddddd0000 -\n";

TEST(dns_records_parse_good_and_bad)
{
	struct dns_records r;
	char e[128];
	static const char *const bad[] = {
		"nothako 1\n",
		"hako-dns 1\nnet app 10.0.0.0 10.0.0.1 0\n",
		"hako-dns 1\nnet app 10.0.0.0/33 10.0.0.1 0\n",
		"hako-dns 1\nnet app 10.0.0.0/24 10.0.0.300 0\n",
		"hako-dns 1\nnet app 10.0.0.0/24 10.0.0.1 0\nnet app 10.0.1.0/24 10.0.1.1 0\n",
		"hako-dns 1\nep app 10.0.0.2 0123456789ab x\n",
		"hako-dns 1\nnet app 10.0.0.0/24 10.0.0.1 0\nep app 10.0.0.2 short x\n",
		"hako-dns 1\nnet app 10.0.0.0/24 10.0.0.1 0\nep app 10.0.0.2 0123456789ab\n",
		"",
	};

	REQUIRE(dns_records_parse(RECORDS, strlen(RECORDS), &r, e, sizeof(e)) == 0);
	CHECK(r.n_nets == 3 && r.n_eps == 6);
	CHECK(r.nets[2].internal && !r.nets[0].internal);
	CHECK(r.eps[0].n_names == 3);
	CHECK_STR(r.eps[0].names[0], "web");
	CHECK_STR(r.eps[0].names[2], "cache");
	CHECK_STR(r.eps[0].id, "0123456789ab");
	CHECK(r.eps[5].n_names == 0);
	dns_records_free(&r);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e[0] = '\0';
		CHECK(dns_records_parse(bad[i], strlen(bad[i]), &r, e, sizeof(e)) < 0);
		CHECK(e[0] != '\0');
		CHECK(r.n_nets == 0 && r.n_eps == 0);
	}
}

/* Ask name/type from src on dst; the verdict, the response in out. */
static enum dns_verdict ask(const struct dns_records *r, const char *src, const char *dst,
			    const char *name, uint16_t type, uint8_t *out, size_t *olen)
{
	uint8_t q[512];
	size_t len = make_query(q, name, type);

	return dns_answer(r, ip(src), ip(dst), q, len, out, 512, olen);
}

#define RCODE(o)   (u16((o) + 2) & 0xf)
#define ANCOUNT(o) u16((o) + 6)

/* The address of the i-th A answer of a response to a question of qlen. */
static uint32_t answer_a(const uint8_t *o, size_t qlen, int i)
{
	const uint8_t *rr = o + qlen + 16 * (size_t)i;

	if (u16(rr + 2) != DNS_T_A || u16(rr + 10) != 4)
		return 0;
	return ((uint32_t)rr[12] << 24) | ((uint32_t)rr[13] << 16) | ((uint32_t)rr[14] << 8) |
	       rr[15];
}

TEST(dns_answer_names_and_scope)
{
	struct dns_records r;
	uint8_t o[512];
	size_t ol = 0, ql;
	char e[128];
	uint8_t tmp[512];

	REQUIRE(dns_records_parse(RECORDS, strlen(RECORDS), &r, e, sizeof(e)) == 0);
	/* by name, alias, case, trailing dot, short id, NAME.NETWORK */
	static const char *const names[] = {"web",     "DB",	  "cache.",	     "0123456789AB",
					    "web.app", "db.APP.", "0123456789ab.app"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ql = make_query(tmp, names[i], DNS_T_A);
		REQUIRE(ask(&r, "10.90.1.3", "10.90.1.1", names[i], DNS_T_A, o, &ol) ==
			DNS_ANSWERED);
		CHECK(RCODE(o) == DNS_R_NOERROR && ANCOUNT(o) == 1);
		CHECK(answer_a(o, ql, 0) == ip("10.90.1.2"));
		CHECK(u16(o + 2) & DNS_F_AA);
	}
	/* the full id is not a name; a longer prefix neither */
	CHECK(ask(&r, "10.90.1.3", "10.90.1.1", "0123456789abcdef0123", DNS_T_A, o, &ol) ==
	      DNS_FORWARD);
	/* AAAA of a known name: NOERROR, empty; ANY: the A */
	REQUIRE(ask(&r, "10.90.1.3", "10.90.1.1", "web", DNS_T_AAAA, o, &ol) == DNS_ANSWERED);
	CHECK(RCODE(o) == DNS_R_NOERROR && ANCOUNT(o) == 0);
	REQUIRE(ask(&r, "10.90.1.3", "10.90.1.1", "web", DNS_T_ANY, o, &ol) == DNS_ANSWERED);
	CHECK(ANCOUNT(o) == 1);
	REQUIRE(ask(&r, "10.90.1.3", "10.90.1.1", "web", DNS_T_MX, o, &ol) == DNS_ANSWERED);
	CHECK(RCODE(o) == DNS_R_NOERROR && ANCOUNT(o) == 0);

	/* "far" is on app and other: from app it is its app address; from
	 * far's own point of view both networks are visible */
	ql = make_query(tmp, "far", DNS_T_A);
	REQUIRE(ask(&r, "10.90.1.3", "10.90.1.1", "far", DNS_T_A, o, &ol) == DNS_ANSWERED);
	CHECK(ANCOUNT(o) == 1 && answer_a(o, ql, 0) == ip("10.90.1.4"));
	REQUIRE(ask(&r, "10.90.2.2", "10.90.2.1", "far", DNS_T_A, o, &ol) == DNS_ANSWERED);
	CHECK(ANCOUNT(o) == 2 && answer_a(o, ql, 0) == ip("10.90.2.2"));
	REQUIRE(ask(&r, "10.90.2.2", "10.90.2.1", "web", DNS_T_A, o, &ol) == DNS_ANSWERED);

	/* scope: a container only on "priv" never sees app's names; as the
	 * network is internal the name is not forwarded either */
	REQUIRE(ask(&r, "10.90.3.2", "10.90.3.1", "web", DNS_T_A, o, &ol) == DNS_ANSWERED);
	CHECK(RCODE(o) == DNS_R_SERVFAIL && ANCOUNT(o) == 0);
	REQUIRE(ask(&r, "10.90.3.2", "10.90.3.1", "p1", DNS_T_A, o, &ol) == DNS_ANSWERED);
	CHECK(RCODE(o) == DNS_R_NOERROR && ANCOUNT(o) == 1);
	/* even asking app's gateway */
	CHECK(ask(&r, "10.90.3.2", "10.90.1.1", "web", DNS_T_A, o, &ol) == DNS_ANSWERED &&
	      ANCOUNT(o) == 0);
	/* unknown names from a non-internal network: forwarded */
	CHECK(ask(&r, "10.90.1.3", "10.90.1.1", "example.org", DNS_T_A, o, &ol) == DNS_FORWARD);
	/* strangers are refused, the host on a gateway sees that network */
	REQUIRE(ask(&r, "192.0.2.9", "10.90.1.1", "web", DNS_T_A, o, &ol) == DNS_ANSWERED);
	CHECK(RCODE(o) == DNS_R_REFUSED);
	REQUIRE(ask(&r, "10.90.1.1", "10.90.1.1", "web", DNS_T_A, o, &ol) == DNS_ANSWERED);
	CHECK(RCODE(o) == DNS_R_NOERROR && ANCOUNT(o) == 1);
	REQUIRE(ask(&r, "10.90.2.1", "10.90.2.1", "web", DNS_T_A, o, &ol) == DNS_FORWARD);
	dns_records_free(&r);
}

TEST(dns_answer_ptr)
{
	struct dns_records r;
	uint8_t o[512], want[64];
	size_t ol = 0, ql;
	char e[128];
	uint8_t tmp[512];
	int wl;

	REQUIRE(dns_records_parse(RECORDS, strlen(RECORDS), &r, e, sizeof(e)) == 0);
	ql = make_query(tmp, "2.1.90.10.in-addr.arpa", DNS_T_PTR);
	REQUIRE(ask(&r, "10.90.1.3", "10.90.1.1", "2.1.90.10.in-addr.arpa", DNS_T_PTR, o, &ol) ==
		DNS_ANSWERED);
	REQUIRE(RCODE(o) == DNS_R_NOERROR && ANCOUNT(o) == 1);
	wl = dns_name_encode("web.app", want, sizeof(want));
	CHECK(u16(o + ql + 10) == wl && !memcmp(o + ql + 12, want, (size_t)wl));
	/* a free address of our subnet: NXDOMAIN, never asked outside */
	REQUIRE(ask(&r, "10.90.1.3", "10.90.1.1", "99.1.90.10.in-addr.arpa", DNS_T_PTR, o, &ol) ==
		DNS_ANSWERED);
	CHECK(RCODE(o) == DNS_R_NXDOMAIN);
	/* another network's address: not ours to answer */
	CHECK(ask(&r, "10.90.1.3", "10.90.1.1", "2.3.90.10.in-addr.arpa", DNS_T_PTR, o, &ol) ==
	      DNS_FORWARD);
	CHECK(ask(&r, "10.90.1.3", "10.90.1.1", "1.0.0.127.in-addr.arpa", DNS_T_PTR, o, &ol) ==
	      DNS_FORWARD);
	CHECK(ask(&r, "10.90.1.3", "10.90.1.1", "300.1.90.10.in-addr.arpa", DNS_T_PTR, o, &ol) ==
	      DNS_FORWARD);
	dns_records_free(&r);
}

TEST(dns_answer_malformed)
{
	struct dns_records r;
	uint8_t q[512], o[512];
	size_t ol = 0, len;
	char e[128];

	REQUIRE(dns_records_parse(RECORDS, strlen(RECORDS), &r, e, sizeof(e)) == 0);
	len = make_query(q, "web", DNS_T_A);
	/* a response sent to us: silence (no reflection loops) */
	q[2] |= 0x80;
	CHECK(dns_answer(&r, ip("10.90.1.3"), ip("10.90.1.1"), q, len, o, 512, &ol) == DNS_DROP);
	q[2] &= 0x7f;
	/* too short for a header: silence */
	CHECK(dns_answer(&r, ip("10.90.1.3"), ip("10.90.1.1"), q, 5, o, 512, &ol) == DNS_DROP);
	/* a truncated question: FORMERR with the id */
	REQUIRE(dns_answer(&r, ip("10.90.1.3"), ip("10.90.1.1"), q, len - 3, o, 512, &ol) ==
		DNS_ANSWERED);
	CHECK(ol == DNS_HEADER_LEN && u16(o) == 0x1234 && RCODE(o) == DNS_R_FORMERR);
	/* a compression loop in the question */
	q[12] = 0xc0, q[13] = 12;
	REQUIRE(dns_answer(&r, ip("10.90.1.3"), ip("10.90.1.1"), q, len, o, 512, &ol) ==
		DNS_ANSWERED);
	CHECK(RCODE(o) == DNS_R_FORMERR);
	dns_records_free(&r);
}

TEST(dns_answer_random_input)
{
	/* random and mutated messages: no crash, no read out of bounds (ASan),
	 * and every answer fits the buffer */
	struct dns_records r;
	uint8_t q[600], o[512];
	char e[128];
	unsigned s = 12345;

	REQUIRE(dns_records_parse(RECORDS, strlen(RECORDS), &r, e, sizeof(e)) == 0);
	for (int i = 0; i < 20000; i++) {
		size_t len, ol = 0;
		s = s * 1103515245u + 12345u;
		if (i % 2) {
			len = make_query(q, "db.app", DNS_T_A);
			for (int k = 0; k < 4; k++) {
				s = s * 1103515245u + 12345u;
				q[(s >> 8) % len] = (uint8_t)(s >> 20);
			}
			len -= (s >> 3) % 4;
		} else {
			len = (s >> 8) % sizeof(q);
			for (size_t k = 0; k < len; k++) {
				s = s * 1103515245u + 12345u;
				q[k] = (uint8_t)(s >> 16);
			}
		}
		if (dns_answer(&r, ip("10.90.1.3"), ip("10.90.1.1"), q, len, o, sizeof(o), &ol) ==
		    DNS_ANSWERED)
			CHECK(ol >= DNS_HEADER_LEN && ol <= sizeof(o));
	}
	dns_records_free(&r);
}

TEST(dns_upstreams_parse_forms)
{
	struct dns_upstream u[DNS_MAX_UPSTREAMS];
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&u[0].sa;
	const struct sockaddr_in6 *s6;

	REQUIRE(dns_upstreams_parse("127.0.0.1:5354, bogus,[::1]:53,10.0.0.1", NULL, u, 4) == 3);
	CHECK(s4->sin_family == AF_INET && ntohs(s4->sin_port) == 5354);
	CHECK(ntohl(s4->sin_addr.s_addr) == 0x7f000001);
	s6 = (const struct sockaddr_in6 *)&u[1].sa;
	CHECK(s6->sin6_family == AF_INET6 && ntohs(s6->sin6_port) == 53);
	s4 = (const struct sockaddr_in *)&u[2].sa;
	CHECK(ntohs(s4->sin_port) == 53);
	CHECK(dns_upstreams_parse("1.2.3.4:0,1.2.3.4:70000,1.2.3.4:x", NULL, u, 4) == 0);

	/* resolv.conf: loopback servers kept (we are on the host side) */
	REQUIRE(dns_upstreams_parse(NULL,
				    "# c\nsearch example.org\nnameserver 127.0.0.53\n"
				    "nameserver fe80::1%eth0\noptions edns0\nnameserver 9.9.9.9\n"
				    "nameserver 1.1.1.1\nnameserver 8.8.8.8\n",
				    u, 4) == 4);
	s4 = (const struct sockaddr_in *)&u[0].sa;
	CHECK(ntohl(s4->sin_addr.s_addr) == 0x7f000035);
	CHECK(u[1].sa.ss_family == AF_INET6);
	CHECK(dns_upstreams_parse(NULL, "", u, 4) == 0);
}

TEST(dns_resolv_content_of_user_networks)
{
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_db_ sqlite3 *db = NULL;
	_cleanup_free_ char *run = xasprintf("%s/run", test_tmpdir());
	_cleanup_free_ char *out = NULL;
	struct net_ctx *ctx = NULL;
	struct net_create_opts o = {.subnet = "10.91.7.0/24", .gateway = "10.91.7.254"};

	REQUIRE(db_open(test_tmpdir(), &db, &err) == 0);
	REQUIRE(net_open(db, test_tmpdir(), run, &ctx, &err) == 0);
	REQUIRE(net_create(ctx, "appnet", &o, NULL, &err) == 0);
	REQUIRE(net_dns_resolv_content(ctx, "appnet", &out, &err) == 0);
	REQUIRE(out);
	CHECK(strstr(out, "nameserver 10.91.7.254\n") != NULL);
	CHECK(strstr(out, "ndots:") != NULL);
	/* the host's servers are not there: the responder forwards to them */
	{
		int n = 0;
		for (const char *p = out; (p = strstr(p, "nameserver")); p++)
			n++;
		CHECK(n == 1);
	}
	free(out);
	out = NULL;
	/* the default network and unknown ones: none (the host's resolvers) */
	REQUIRE(net_dns_resolv_content(ctx, "bridge", &out, &err) == 0);
	CHECK(out == NULL);
	REQUIRE(net_dns_resolv_content(ctx, "nosuch", &out, &err) == 0);
	CHECK(out == NULL);
	net_close(ctx);
}

static const char RECORDS6[] = "hako-dns 1\n"
			       "net six 10.90.6.0/24 10.90.6.1 0\n"
			       "net6 six fd00:6::/64 fd00:6::1\n"
			       "net four 10.90.4.0/24 10.90.4.1 0\n"
			       "ep six 10.90.6.2 0123456789abcdef web\n"
			       "ep6 six fd00:6::2 0123456789abcdef\n"
			       "ep six 10.90.6.3 aaaaaaaaaaaa0000 cli\n"
			       "ep6 six fd00:6::3 aaaaaaaaaaaa0000\n"
			       "ep four 10.90.4.2 bbbbbbbbbbbb0000 old\n";

TEST(dns_records_and_answers_ipv6)
{
	struct dns_records r;
	uint8_t o[512], tmp[512], src6[16], dst6[16], want[64];
	static const char *const bad[] = {
		"hako-dns 1\nnet6 six fd00:6::/64 fd00:6::1\n", /* before its net */
		"hako-dns 1\nnet six 10.0.0.0/24 10.0.0.1 0\nnet6 six fd00::/129 fd00::1\n",
		"hako-dns 1\nnet six 10.0.0.0/24 10.0.0.1 0\nnet6 six fd00::/64 10.0.0.1\n",
		"hako-dns 1\nnet a 10.0.0.0/24 10.0.0.1 0\nep a 10.0.0.2 0123456789ab x\n"
		"ep6 a fd00::2 0123456789ab\n", /* network a has no IPv6 */
	};
	uint32_t src, dst;
	size_t ol = 0, ql;
	char e[128];
	int wl;

	REQUIRE(dns_records_parse(RECORDS6, strlen(RECORDS6), &r, e, sizeof(e)) == 0);
	CHECK(r.nets[0].v6 && r.nets[0].prefix6 == 64 && !r.nets[1].v6);
	CHECK(r.eps[0].has6 && r.eps[1].has6 && !r.eps[2].has6);
	/* AAAA of a dual-stack container, none for an IPv4-only one */
	ql = make_query(tmp, "web", DNS_T_AAAA);
	REQUIRE(ask(&r, "10.90.6.3", "10.90.6.1", "web", DNS_T_AAAA, o, &ol) == DNS_ANSWERED);
	REQUIRE(RCODE(o) == DNS_R_NOERROR && ANCOUNT(o) == 1);
	inet_pton(AF_INET6, "fd00:6::2", want);
	CHECK(u16(o + ql + 2) == DNS_T_AAAA && u16(o + ql + 10) == 16 &&
	      !memcmp(o + ql + 12, want, 16));
	REQUIRE(ask(&r, "10.90.6.3", "10.90.6.1", "web", DNS_T_ANY, o, &ol) == DNS_ANSWERED);
	CHECK(ANCOUNT(o) == 2);
	REQUIRE(ask(&r, "10.90.4.2", "10.90.4.1", "old", DNS_T_AAAA, o, &ol) == DNS_ANSWERED);
	CHECK(RCODE(o) == DNS_R_NOERROR && ANCOUNT(o) == 0);
	/* a querier over IPv6 maps to its IPv4 self; strangers map to 0 */
	inet_pton(AF_INET6, "fd00:6::3", src6);
	inet_pton(AF_INET6, "fd00:6::1", dst6);
	CHECK(dns_map6(&r, src6, dst6, &src, &dst) && src == ip("10.90.6.3") &&
	      dst == ip("10.90.6.1"));
	CHECK(dns_map6(&r, dst6, dst6, &src, &dst) && src == ip("10.90.6.1"));
	inet_pton(AF_INET6, "fd00:7::3", src6);
	CHECK(dns_map6(&r, src6, dst6, &src, &dst) && src == 0);
	CHECK(!dns_map6(&r, src6, src6, &src, &dst));
	/* PTR in ip6.arpa: the name, NXDOMAIN for a free address, another
	 * subnet forwarded */
	static const char ptr[] =
		"2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.0.0.0.0.0.d.f.ip6.arpa";
	ql = make_query(tmp, ptr, DNS_T_PTR);
	REQUIRE(ask(&r, "10.90.6.3", "10.90.6.1", ptr, DNS_T_PTR, o, &ol) == DNS_ANSWERED);
	REQUIRE(RCODE(o) == DNS_R_NOERROR && ANCOUNT(o) == 1);
	wl = dns_name_encode("web.six", want, sizeof(want));
	CHECK(u16(o + ql + 10) == wl && !memcmp(o + ql + 12, want, (size_t)wl));
	REQUIRE(ask(&r, "10.90.6.3", "10.90.6.1",
		    "9.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.0.0.0.0.0.d.f.ip6.arpa",
		    DNS_T_PTR, o, &ol) == DNS_ANSWERED);
	CHECK(RCODE(o) == DNS_R_NXDOMAIN);
	CHECK(ask(&r, "10.90.6.3", "10.90.6.1",
		  "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.7.0.0.0.0.0.d.f.ip6.arpa",
		  DNS_T_PTR, o, &ol) == DNS_FORWARD);
	CHECK(ask(&r, "10.90.6.3", "10.90.6.1", "2.0.ip6.arpa", DNS_T_PTR, o, &ol) == DNS_FORWARD);
	dns_records_free(&r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(dns_records_parse(bad[i], strlen(bad[i]), &r, e, sizeof(e)) < 0);
}

/* A DHCP client message: op, htype, hlen, xid, chaddr, magic, options. */
static size_t dhcp_msg(uint8_t *m, const uint8_t mac[6], uint8_t type, const uint8_t *req_ip,
		       const uint8_t *server)
{
	size_t at = 240;

	memset(m, 0, 548);
	m[0] = 1, m[1] = 1, m[2] = 6;
	m[4] = 0xde, m[5] = 0xad, m[6] = 0xbe, m[7] = 0xef;
	memcpy(m + 28, mac, 6);
	m[236] = 99, m[237] = 130, m[238] = 83, m[239] = 99;
	m[at++] = 53, m[at++] = 1, m[at++] = type;
	if (req_ip) {
		m[at++] = 50, m[at++] = 4;
		memcpy(m + at, req_ip, 4);
		at += 4;
	}
	if (server) {
		m[at++] = 54, m[at++] = 4;
		memcpy(m + at, server, 4);
		at += 4;
	}
	m[at++] = 255;
	return at;
}

/* The value of option code in a reply, or NULL. */
static const uint8_t *dhcp_opt(const uint8_t *m, size_t len, uint8_t code)
{
	for (size_t i = 240; i + 1 < len && m[i] != 255; i += 2u + m[i + 1])
		if (m[i] == code)
			return m + i + 2;
	return NULL;
}

TEST(dhcp_answer_leases)
{
	static const char text[] = "hako-dns 1\n"
				   "lease hkbr-a 52:54:00:aa:bb:cc 10.5.0.7/24 10.5.0.1 10.5.0.1\n"
				   "lease hkbr-b 52:54:00:aa:bb:dd 10.6.0.9/16 - -\n";
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
	static const uint8_t other[6] = {0x52, 0x54, 0x00, 0x11, 0x22, 0x33};
	static const uint8_t ip[4] = {10, 5, 0, 7}, wrong[4] = {10, 5, 0, 8};
	static const uint8_t gw[4] = {10, 5, 0, 1}, gw2[4] = {10, 9, 9, 9};
	static const char *const bad[] = {
		"hako-dns 1\nlease br 52:54:00:aa:bb 10.5.0.7/24 - -\n",
		"hako-dns 1\nlease br 52:54:00:aa:bb:cc 10.5.0.7 - -\n",
		"hako-dns 1\nlease br 52:54:00:aa:bb:cc 10.5.0.7/24 x -\n",
		"hako-dns 1\nlease a-bridge-name-too-long 52:54:00:aa:bb:cc 10.5.0.7/24 - -\n",
	};
	struct dns_records r;
	uint8_t q[548], out[DHCP_MSG_MAX];
	char e[128];
	size_t n, len;
	const uint8_t *o;

	REQUIRE(dns_records_parse(text, strlen(text), &r, e, sizeof(e)) == 0);
	REQUIRE(r.n_leases == 2);
	CHECK(r.leases[1].router == 0 && r.leases[1].prefix == 16);
	/* DISCOVER -> OFFER of the recorded address, mask, router, DNS */
	n = dhcp_msg(q, mac, 1, NULL, NULL);
	len = dhcp_answer(&r, "hkbr-a", q, n, out, sizeof(out));
	REQUIRE(len >= 300);
	CHECK(out[0] == 2 && !memcmp(out + 4, q + 4, 4) && !memcmp(out + 28, mac, 6));
	CHECK(!memcmp(out + 16, ip, 4));
	o = dhcp_opt(out, len, 53);
	CHECK(o && o[0] == 2);
	o = dhcp_opt(out, len, 1);
	CHECK(o && o[0] == 255 && o[1] == 255 && o[2] == 255 && o[3] == 0);
	o = dhcp_opt(out, len, 3);
	CHECK(o && !memcmp(o, gw, 4));
	o = dhcp_opt(out, len, 6);
	CHECK(o && !memcmp(o, gw, 4));
	o = dhcp_opt(out, len, 54);
	CHECK(o && !memcmp(o, gw, 4));
	/* REQUEST of it -> ACK; of another address -> NAK; to another server: nothing */
	n = dhcp_msg(q, mac, 3, ip, gw);
	len = dhcp_answer(&r, "hkbr-a", q, n, out, sizeof(out));
	o = len ? dhcp_opt(out, len, 53) : NULL;
	CHECK(o && o[0] == 5);
	n = dhcp_msg(q, mac, 3, wrong, NULL);
	len = dhcp_answer(&r, "hkbr-a", q, n, out, sizeof(out));
	o = len ? dhcp_opt(out, len, 53) : NULL;
	CHECK(o && o[0] == 6);
	CHECK(!memcmp(out + 16, "\0\0\0\0", 4));
	n = dhcp_msg(q, mac, 3, ip, gw2);
	CHECK(dhcp_answer(&r, "hkbr-a", q, n, out, sizeof(out)) == 0);
	/* an unknown MAC, a known MAC on another bridge: nothing */
	n = dhcp_msg(q, other, 1, NULL, NULL);
	CHECK(dhcp_answer(&r, "hkbr-a", q, n, out, sizeof(out)) == 0);
	n = dhcp_msg(q, mac, 1, NULL, NULL);
	CHECK(dhcp_answer(&r, "hkbr-b", q, n, out, sizeof(out)) == 0);
	/* no router, no DNS: neither option */
	static const uint8_t mac2[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xdd};
	n = dhcp_msg(q, mac2, 1, NULL, NULL);
	len = dhcp_answer(&r, "hkbr-b", q, n, out, sizeof(out));
	REQUIRE(len > 0);
	CHECK(!dhcp_opt(out, len, 3) && !dhcp_opt(out, len, 6));
	/* truncated and hostile messages: nothing, and no read out of bounds */
	n = dhcp_msg(q, mac, 1, NULL, NULL);
	for (size_t cut = 0; cut < n; cut++)
		(void)dhcp_answer(&r, "hkbr-a", q, cut, out, sizeof(out));
	q[241] = 200; /* an option length past the end */
	CHECK(dhcp_answer(&r, "hkbr-a", q, n, out, sizeof(out)) == 0);
	dns_records_free(&r);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(dns_records_parse(bad[i], strlen(bad[i]), &r, e, sizeof(e)) < 0);
}
