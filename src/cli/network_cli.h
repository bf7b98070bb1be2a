/* hako CLI: what the `network` commands share (private to src/cli/). */
#ifndef HAKO_CLI_NETWORK_CLI_H
#define HAKO_CLI_NETWORK_CLI_H

#include <sqlite3.h>

#include "net/net.h"
#include "util/error.h"

/* The database of --root and the network layer over it; both closed by
 * network_cli_close().  Stale endpoints are reclaimed on the way (repair). */
struct network_cli {
	sqlite3 *db;
	struct net_ctx *net;
};
int network_cli_open(struct network_cli *c, struct hk_error **err);
void network_cli_close(struct network_cli *c);
#define _cleanup_network_cli_ __attribute__((cleanup(network_cli_close)))

#endif
