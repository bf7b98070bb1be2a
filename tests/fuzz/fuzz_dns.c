/* DNS messages from containers (src/dns/msg.c, records.c): hako-dns parses
 * every query a container sends. */
#include <arpa/inet.h>
#include <string.h>

#include "dns/dns.h"
#include "fuzz.h"

static const char records[] = "hako-dns 1\n"
			      "net app 10.88.0.0/16 10.88.0.1 0 fd00:88::/64 fd00:88::1\n"
			      "net priv 10.90.3.0/24 10.90.3.1 1\n"
			      "ep app 10.88.0.2 0123456789ab web web-alias\n"
			      "ep priv 10.90.3.2 cccccccccccc0000 p1\n";

FUZZ(dns)
{
	static struct dns_records r;
	static bool loaded;
	uint8_t out[DNS_UDP_MAX];
	struct dns_question q;
	size_t olen = 0, off = 0;
	uint8_t wire[DNS_MAX_NAME];
	char e[128];

	if (!loaded) {
		/* a records file the suite's unit tests accept; without it
		 * only the REFUSED path would be fuzzed */
		if (dns_records_parse(records, strlen(records), &r, e, sizeof(e)) < 0)
			r = (struct dns_records){0};
		loaded = true;
	}
	dns_question_parse(data, size, &q);
	dns_name_read(data, size, &off, wire);
	dns_answer(&r, ntohl(inet_addr("10.88.0.2")), ntohl(inet_addr("10.88.0.1")), data, size,
		   out, sizeof(out), &olen);
	dns_answer(&r, ntohl(inet_addr("10.88.0.1")), ntohl(inet_addr("10.88.0.1")), data, size,
		   out, sizeof(out), &olen);
	dns_error_response(data, size, 2, out, sizeof(out));
}
