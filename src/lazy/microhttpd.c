/* hako: libmicrohttpd, loaded on first use (see lazy.h).  Only
 * `hako system service` serves HTTP; linked directly, its GnuTLS would be
 * mapped by every `hako ps`. */
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "lazy/lazy.h"

static struct lazy_lib mhd = {.soname = "libmicrohttpd.so.12"};

/* The variadic entry points go through their va_list or fixed forms: a
 * forwarder cannot pass "..." on. */
struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
				    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	__typeof__(&MHD_start_daemon_va) f =
		(__typeof__(&MHD_start_daemon_va))lazy_sym(&mhd, "MHD_start_daemon_va");
	struct MHD_Daemon *d;
	va_list ap;

	va_start(ap, dh_cls);
	d = f(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

/* Only the actions without arguments (CLOSE) are used. */
enum MHD_Result MHD_upgrade_action(struct MHD_UpgradeResponseHandle *urh,
				   enum MHD_UpgradeAction action, ...)
{
	enum MHD_Result (*f)(struct MHD_UpgradeResponseHandle *, enum MHD_UpgradeAction, ...) =
		lazy_sym(&mhd, "MHD_upgrade_action");
	return f(urh, action);
}

/* Only the info types without arguments are used. */
const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *connection,
							enum MHD_ConnectionInfoType info_type, ...)
{
	const union MHD_ConnectionInfo *(*f)(struct MHD_Connection *, enum MHD_ConnectionInfoType,
					     ...) = lazy_sym(&mhd, "MHD_get_connection_info");
	return f(connection, info_type);
}

LAZY_FN(mhd, void, MHD_stop_daemon, (struct MHD_Daemon * d), (d))
LAZY_FN(mhd, struct MHD_Response *, MHD_create_response_from_buffer,
	(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode), (size, buffer, mode))
LAZY_FN(mhd, struct MHD_Response *, MHD_create_response_from_callback,
	(uint64_t size, size_t block_size, MHD_ContentReaderCallback crc, void *crc_cls,
	 MHD_ContentReaderFreeCallback crfc),
	(size, block_size, crc, crc_cls, crfc))
LAZY_FN(mhd, struct MHD_Response *, MHD_create_response_for_upgrade,
	(MHD_UpgradeHandler upgrade_handler, void *upgrade_handler_cls),
	(upgrade_handler, upgrade_handler_cls))
LAZY_FN(mhd, enum MHD_Result, MHD_add_response_header,
	(struct MHD_Response * response, const char *header, const char *content),
	(response, header, content))
LAZY_FN(mhd, enum MHD_Result, MHD_queue_response,
	(struct MHD_Connection * connection, unsigned int status_code,
	 struct MHD_Response *response),
	(connection, status_code, response))
LAZY_FN(mhd, void, MHD_destroy_response, (struct MHD_Response * response), (response))
LAZY_FN(mhd, const char *, MHD_lookup_connection_value,
	(struct MHD_Connection * connection, enum MHD_ValueKind kind, const char *key),
	(connection, kind, key))
LAZY_FN(mhd, int, MHD_get_connection_values,
	(struct MHD_Connection * connection, enum MHD_ValueKind kind, MHD_KeyValueIterator iterator,
	 void *iterator_cls),
	(connection, kind, iterator, iterator_cls))
