/* hako CLI: opening the database and the network layer for `network ...`. */
#include <errno.h>

#include "cli/command.h"
#include "cli/network_cli.h"
#include "db/db.h"
#include "util/util.h"

int network_cli_open(struct network_cli *c, struct hk_error **err)
{
	c->db = NULL;
	c->net = NULL;
	if (db_open(hk_globals.root, &c->db, err) < 0)
		return -1;
	return net_open(c->db, hk_globals.root, hk_globals.runroot, &c->net, err);
}

void network_cli_close(struct network_cli *c)
{
	net_close(c->net);
	c->net = NULL;
	db_closep(&c->db);
}
