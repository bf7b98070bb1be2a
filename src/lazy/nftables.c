/* hako: libnftables, loaded on first use (see lazy.h). */
#include <nftables/libnftables.h>

#include "lazy/lazy.h"

static struct lazy_lib nft = {.soname = "libnftables.so.1"};

LAZY_FN(nft, struct nft_ctx *, nft_ctx_new, (uint32_t flags), (flags))
LAZY_FN(nft, void, nft_ctx_free, (struct nft_ctx * c), (c))
LAZY_FN(nft, int, nft_ctx_buffer_output, (struct nft_ctx * c), (c))
LAZY_FN(nft, int, nft_ctx_buffer_error, (struct nft_ctx * c), (c))
LAZY_FN(nft, const char *, nft_ctx_get_error_buffer, (struct nft_ctx * c), (c))
LAZY_FN(nft, int, nft_run_cmd_from_buffer, (struct nft_ctx * c, const char *buf), (c, buf))
