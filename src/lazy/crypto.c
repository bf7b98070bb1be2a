/* hako: libcrypto (sha256), loaded on first use (see lazy.h). */
#include <openssl/evp.h>

#include "lazy/lazy.h"

static struct lazy_lib crypto = {.soname = "libcrypto.so.3"};

LAZY_FN(crypto, EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())
LAZY_FN(crypto, void, EVP_MD_CTX_free, (EVP_MD_CTX * c), (c))
LAZY_FN(crypto, const EVP_MD *, EVP_sha256, (void), ())
LAZY_FN(crypto, int, EVP_DigestInit_ex, (EVP_MD_CTX * c, const EVP_MD *t, ENGINE *e), (c, t, e))
LAZY_FN(crypto, int, EVP_DigestUpdate, (EVP_MD_CTX * c, const void *d, size_t n), (c, d, n))
LAZY_FN(crypto, int, EVP_DigestFinal_ex, (EVP_MD_CTX * c, unsigned char *md, unsigned int *n),
	(c, md, n))
