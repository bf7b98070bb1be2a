/* Managed VMs on hako networks: a NIC per network, each a tap device on the
 * network's bridge that hako makes (src/net, net_connect_tap) and hands to
 * QEMU as an fd, with an address from the network's IPAM that hako-dns's
 * DHCP tells the guest, and the VM's name in the network's DNS and hosts
 * files, as a container's.  The endpoint rows carry the VM's id. */
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "net/net.h"
#include "util/json.h"
#include "util/log.h"
#include "util/util.h"
#include "vm/internal.h"
#include "vm/vm.h"

/* The items of a network column: "SPEC[=MAC]", comma-separated. */
static char **nic_items(const char *network)
{
	_cleanup_free_ char *copy = xstrdup(network ? network : "user");
	char **v = NULL, *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (strcmp(t, "none"))
			strv_push(&v, t);
	if (!v)
		v = xzalloc(sizeof(*v));
	return v;
}

char **vm_nics(const char *network)
{
	char **v = nic_items(network);

	for (char **p = v; *p; p++)
		(*p)[strcspn(*p, "=")] = '\0';
	return v;
}

char *vm_network_specs(const char *network)
{
	_cleanup_strv_ char **nics = vm_nics(network);
	char *out = NULL;

	for (char **p = nics; *p; p++) {
		char *t = xasprintf("%s%s%s", out ? out : "", out ? "," : "", *p);
		free(out);
		out = t;
	}
	return out ? out : xstrdup("none");
}

bool vm_mac_valid(const char *mac)
{
	unsigned b[6];
	char end;

	return strlen(mac) == 17 &&
	       sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		      &end) == 6 &&
	       !(b[0] & 1); /* unicast */
}

bool vm_nic_is_net(const char *nic)
{
	return strcmp(nic, "user") && strcmp(nic, "none") && !str_has_prefix(nic, "bridge:");
}

int vm_ports_nic(const char *network)
{
	_cleanup_strv_ char **nics = vm_nics(network);

	for (size_t i = 0; nics[i]; i++)
		if (!str_has_prefix(nics[i], "bridge:"))
			return (int)i;
	return -1;
}

int vm_ports_parse(const char *specs, struct net_port **out, size_t *n, struct hk_error **err)
{
	_cleanup_free_ char *copy = xstrdup(specs ? specs : "");
	char *save = NULL;

	*out = NULL;
	*n = 0;
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		if (net_port_parse(t, &(*out)[*n], err) < 0) {
			free(*out);
			*out = NULL;
			*n = 0;
			return hk_error_wrap(err, "-p %s", t);
		}
		(*n)++;
	}
	return 0;
}

bool vm_has_net_nic(const struct vm_def *d)
{
	_cleanup_strv_ char **nics = vm_nics(d->network);

	for (char **n = nics; *n; n++)
		if (vm_nic_is_net(*n))
			return true;
	return false;
}

static unsigned hexbyte(const char *s)
{
	unsigned v = 0;

	for (int i = 0; i < 2; i++) {
		char c = s[i];
		v = v * 16 + (unsigned)(c >= 'a'   ? c - 'a' + 10
					: c >= 'A' ? c - 'A' + 10
						   : c - '0');
	}
	return v & 0xff;
}

void vm_nic_mac(const struct vm_def *d, size_t i, char out[18])
{
	_cleanup_strv_ char **items = nic_items(d->network);
	/* 64 hex digits: ten NICs of three bytes each; beyond that the last
	 * byte counts up */
	size_t off = (i % 10) * 6;
	unsigned b5 = (hexbyte(d->id + off + 4) + (unsigned)(i / 10)) & 0xff;
	const char *eq = i < strv_len(items) ? strchr(items[i], '=') : NULL;

	/* recorded with the NIC (vm create, attach-interface) */
	if (eq && vm_mac_valid(eq + 1)) {
		snprintf(out, 18, "%s", eq + 1);
		return;
	}
	snprintf(out, 18, "52:54:00:%02x:%02x:%02x", hexbyte(d->id + off), hexbyte(d->id + off + 2),
		 b5);
}

char *vm_network_with_macs(const struct vm_def *d)
{
	_cleanup_strv_ char **nics = vm_nics(d->network);
	char *out = NULL;

	for (size_t i = 0; nics[i]; i++) {
		char mac[18];
		vm_nic_mac(d, i, mac);
		char *t = xasprintf("%s%s%s=%s", out ? out : "", out ? "," : "", nics[i], mac);
		free(out);
		out = t;
	}
	return out ? out : xstrdup("none");
}

static int net_ctx_open(const char *root, const char *runroot, sqlite3 **db, struct net_ctx **ctx,
			struct hk_error **err)
{
	if (db_open(root, db, err) < 0)
		return -1;
	if (net_open(*db, root, runroot, ctx, err) < 0) {
		db_close(*db);
		*db = NULL;
		return -1;
	}
	return 0;
}

int vm_net_check(const char *root, const char *network, struct hk_error **err)
{
	_cleanup_strv_ char **nics = vm_nics(network), **items = nic_items(network);
	_cleanup_db_ sqlite3 *db = NULL;
	_cleanup_net_ struct net_ctx *ctx = NULL;
	bool none = false, more = false;

	for (const char *p = network; p && *p;) {
		size_t l = strcspn(p, ",");
		if (l == 4 && !strncmp(p, "none", 4))
			none = true;
		else
			more = true;
		if (l == 0)
			return hk_error_set(err, 0, "--network: an empty name");
		p += l + (p[l] == ',');
	}
	if (none && more)
		return hk_error_set(err, 0, "--network none cannot be combined with another");
	for (char **i = items; *i; i++) {
		const char *eq = strchr(*i, '=');
		if (eq && !vm_mac_valid(eq + 1))
			return hk_error_set(err, 0, "--network %s: %s is no unicast MAC address",
					    *i, eq + 1);
	}
	if (strv_len(nics) > VM_SPAWN_KEEP_MAX)
		return hk_error_set(err, 0, "--network: at most %d NICs", VM_SPAWN_KEEP_MAX);
	for (char **n = nics; *n; n++) {
		if (str_has_prefix(*n, "bridge:") && !(*n)[7])
			return hk_error_set(err, 0, "--network %s: expected bridge:NAME", *n);
		if (!vm_nic_is_net(*n) || str_eq(*n, NET_DEFAULT_NAME))
			continue;
		if (!ctx && net_ctx_open(root, "/nonexistent", &db, &ctx, err) < 0)
			return -1;
		char *names[] = {*n, NULL};
		_cleanup_json_ json_object *j = NULL;
		if (net_inspect(ctx, names, &j, err) < 0)
			return hk_error_wrap(err,
					     "--network %s: expected user, none, bridge:NAME"
					     " or a hako network",
					     *n);
	}
	return 0;
}

void vm_net_release(const char *root, const char *runroot, const char *id)
{
	_cleanup_db_ sqlite3 *db = NULL;
	_cleanup_net_ struct net_ctx *ctx = NULL;
	_cleanup_error_ struct hk_error *e = NULL;

	if (net_ctx_open(root, runroot, &db, &ctx, &e) < 0 ||
	    net_teardown_container(ctx, id, NET_TEARDOWN_DELETE, &e) < 0)
		log_warn("vm: release the network addresses of %.12s: %s", id, hk_error_msg(e));
}

int vm_net_attach(const char *root, const char *runroot, const struct vm_def *d, int **fds,
		  size_t *n, struct hk_error **err)
{
	_cleanup_strv_ char **nics = vm_nics(d->network);
	_cleanup_db_ sqlite3 *db = NULL;
	_cleanup_net_ struct net_ctx *ctx = NULL;
	size_t count = strv_len(nics), nports = 0;
	int *v = xmalloc((count ? count : 1) * sizeof(int));
	int carrier = vm_ports_nic(d->network);
	_cleanup_free_ struct net_port *ports = NULL;

	for (size_t i = 0; i < count; i++)
		v[i] = -1;
	if (carrier >= 0 && vm_nic_is_net(nics[carrier]) &&
	    vm_ports_parse(d->ports, &ports, &nports, err) < 0) {
		free(v);
		*fds = NULL;
		*n = 0;
		return -1;
	}
	*fds = v;
	*n = count;
	for (size_t i = 0; i < count; i++) {
		char mac[18];
		if (!vm_nic_is_net(nics[i]))
			continue;
		if (!ctx && net_ctx_open(root, runroot, &db, &ctx, err) < 0)
			goto fail;
		vm_nic_mac(d, i, mac);
		struct net_connect_opts o = {.name = d->name, .mac = mac};
		if ((int)i == carrier) {
			/* published as a container's: nft map elements */
			o.ports = ports;
			o.n_ports = nports;
		}
		if (net_connect_tap(ctx, d->id, nics[i], &o, &v[i], NULL, err) < 0)
			goto fail;
	}
	return 0;
fail:
	for (size_t i = 0; i < count; i++)
		if (v[i] >= 0)
			close(v[i]);
	free(v);
	*fds = NULL;
	*n = 0;
	if (ctx) {
		_cleanup_error_ struct hk_error *e = NULL;
		if (net_teardown_container(ctx, d->id, NET_TEARDOWN_DELETE, &e) < 0)
			log_warn("vm: undo the networks of %s: %s", d->name, hk_error_msg(e));
	}
	return -1;
}

int vm_nics_info(const char *root, const char *runroot, const struct vm_def *d, struct vm_nic **out,
		 size_t *n, struct hk_error **err)
{
	_cleanup_strv_ char **nics = vm_nics(d->network);
	_cleanup_db_ sqlite3 *db = NULL;
	_cleanup_net_ struct net_ctx *ctx = NULL;
	struct net_endpoint **eps = NULL;
	size_t count = strv_len(nics), neps = 0;
	struct vm_nic *v = xzalloc((count ? count : 1) * sizeof(*v));

	if (vm_has_net_nic(d)) {
		if (net_ctx_open(root, runroot, &db, &ctx, err) < 0 ||
		    net_container_endpoints(ctx, d->id, &eps, &neps, err) < 0) {
			free(v);
			return -1;
		}
	}
	for (size_t i = 0; i < count; i++) {
		v[i].network = xstrdup(nics[i]);
		vm_nic_mac(d, i, v[i].mac);
		for (size_t k = 0; k < neps; k++)
			if (str_eq(eps[k]->network, nics[i]) && str_eq(eps[k]->mac, v[i].mac)) {
				v[i].ip = xstrdup(eps[k]->ip);
				v[i].prefix = eps[k]->prefix;
			}
	}
	net_endpoints_free(eps, neps);
	*out = v;
	*n = count;
	return 0;
}

void vm_nics_info_free(struct vm_nic *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].network);
		free(v[i].ip);
	}
	free(v);
}
