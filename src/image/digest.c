/* hako: sha256 digests (OpenSSL EVP). */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "image/image.h"
#include "util/util.h"

struct digester {
	EVP_MD_CTX *ctx;
};

bool digest_valid(const char *d)
{
	if (!d || strncmp(d, DIGEST_PREFIX, DIGEST_HEX_START) != 0)
		return false;
	d += DIGEST_HEX_START;
	for (int i = 0; i < 64; i++)
		if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f')))
			return false;
	return d[64] == '\0';
}

struct digester *digester_new(void)
{
	struct digester *d = xzalloc(sizeof(*d));

	d->ctx = EVP_MD_CTX_new();
	if (!d->ctx || EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1)
		abort(); /* out of memory inside OpenSSL */
	return d;
}

void digester_update(struct digester *d, const void *buf, size_t len)
{
	if (len)
		EVP_DigestUpdate(d->ctx, buf, len);
}

void digester_final(struct digester *d, char out[DIGEST_BUF])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(d->ctx, md, &n);
	memcpy(out, DIGEST_PREFIX, DIGEST_HEX_START);
	for (unsigned int i = 0; i < n && i < 32; i++)
		snprintf(out + DIGEST_HEX_START + 2 * i, 3, "%02x", md[i]);
	out[DIGEST_LEN] = '\0';
}

void digester_free(struct digester *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

void digester_freep(struct digester **d)
{
	digester_free(*d);
	*d = NULL;
}

void digest_buffer(const void *buf, size_t len, char out[DIGEST_BUF])
{
	_cleanup_digester_ struct digester *d = digester_new();

	digester_update(d, buf, len);
	digester_final(d, out);
}

void digest_chain_id(const char *parent_chain, const char *diff_id, char out[DIGEST_BUF])
{
	_cleanup_free_ char *s = NULL;

	if (!parent_chain) {
		snprintf(out, DIGEST_BUF, "%s", diff_id);
		return;
	}
	s = xasprintf("%s %s", parent_chain, diff_id);
	digest_buffer(s, strlen(s), out);
}

const char *digest_short(const char *digest, char buf[32])
{
	const char *hex = digest && str_has_prefix(digest, DIGEST_PREFIX) ? digest + 7 : digest;

	snprintf(buf, 32, "sha256:%.12s", hex ? hex : "?");
	return buf;
}
