/* hako engine: containers on networks, through src/net/.
 *
 * At create, the network options are checked and recorded in the container's
 * config (HostConfig.NetworkMode/PortBindings/Dns/ExtraHosts and
 * NetworkingConfig.EndpointsConfig, Docker's shapes).  At each start the
 * monitor connects the freshly created container (its init waits on the exec
 * fifo, its network namespace exists) before releasing it, so the process
 * starts with eth0 configured; after it exits, or when it is removed, the
 * endpoint is torn down.  A crashed monitor's endpoint is reclaimed by net
 * itself (its veth is gone with the namespace). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "db/db.h"
#include "engine/internal.h"
#include "engine/spec.h"
#include "net/net.h"
#include "util/json.h"
#include "util/path.h"
#include "util/util.h"

const char *engine_default_network(void)
{
	const char *d = getenv("HAKO_DEFAULT_NETWORK");

	return d && *d ? d : NET_DEFAULT_NAME;
}

bool engine_net_is_bridge(const char *mode)
{
	return mode && strcmp(mode, "none") && strcmp(mode, "host") &&
	       !str_has_prefix(mode, "container:");
}

static int net_ctx_open(struct engine *e, struct net_ctx **out, struct hk_error **err)
{
	sqlite3 *db;

	if (store_db(e, &db, err) < 0)
		return -1;
	return net_open(db, e->root, e->runroot, out, err);
}

static void add_binding(json_object *pb, const struct net_port *p)
{
	_cleanup_free_ char *key = xasprintf("%u/%s", p->container_port, p->proto);
	_cleanup_free_ char *hp = p->host_port_last
					  ? xasprintf("%u-%u", p->host_port, p->host_port_last)
				  : p->host_port ? xasprintf("%u", p->host_port)
						 : xstrdup("");
	json_object *arr = NULL, *b = json_object_new_object();

	if (!json_object_object_get_ex(pb, key, &arr)) {
		arr = json_object_new_array();
		json_object_object_add(pb, key, arr);
	}
	json_object_object_add(b, "HostIp", json_object_new_string(p->host_ip));
	json_object_object_add(b, "HostPort", json_object_new_string(hp));
	json_object_array_add(arr, b);
}

static const char *jget(json_object *o, const char *k)
{
	return json_str(o, k);
}

/* An EndpointsConfig entry: docker's shape. */
static json_object *endpoint_config(char **aliases, const char *ip, const char *ip6,
				    const char *mac)
{
	json_object *ep = json_object_new_object(), *ipam = json_object_new_object();

	json_object_object_add(ep, "Aliases", json_strv_new(aliases));
	json_object_object_add(ipam, "IPv4Address", json_object_new_string(ip ? ip : ""));
	json_object_object_add(ipam, "IPv6Address", json_object_new_string(ip6 ? ip6 : ""));
	json_object_object_add(ep, "IPAMConfig", ipam);
	json_object_object_add(ep, "MacAddress", json_object_new_string(mac ? mac : ""));
	return ep;
}

/* Check that the primary network and the further ones exist, are networks
 * (not none/host/container:), and are each named once; *extra gets the
 * further ones' names as recorded (the default network may not exist yet:
 * it is made on first use). */
static int networks_resolve(struct engine *e, const char *primary, char **more, char ***extra,
			    struct hk_error **err)
{
	_cleanup_strv_ char **names = NULL, **seen = NULL;
	_cleanup_json_ json_object *found = NULL;
	struct net_ctx *ctx = NULL;
	size_t k = 0;
	int r;

	for (char **x = more; x && *x; x++)
		if (!engine_net_is_bridge(*x) || str_eq(*x, "default"))
			return hk_error_set(err, 0, "%s cannot be combined with other networks",
					    *x);
	if (!str_eq(primary, NET_DEFAULT_NAME))
		strv_push(&names, primary);
	for (char **x = more; x && *x; x++)
		if (!str_eq(*x, NET_DEFAULT_NAME))
			strv_push(&names, *x);
	if (names) {
		r = net_ctx_open(e, &ctx, err);
		if (r == 0)
			r = net_inspect(ctx, names, &found, err);
		net_close(ctx);
		if (r < 0)
			return -1;
	}
	/* net_inspect answers in the order asked */
	if (!str_eq(primary, NET_DEFAULT_NAME))
		strv_push(&seen, jget(json_object_array_get_idx(found, k++), "Name"));
	else
		strv_push(&seen, NET_DEFAULT_NAME);
	for (char **x = more; x && *x; x++) {
		const char *name = str_eq(*x, NET_DEFAULT_NAME)
					   ? NET_DEFAULT_NAME
					   : jget(json_object_array_get_idx(found, k++), "Name");
		if (!name || strv_has(seen, name))
			return hk_error_set(err, 0, "network %s given twice", *x);
		strv_push(&seen, name);
		strv_push(extra, name);
	}
	return 0;
}

int engine_net_config(struct engine *e, const struct engine_create_opts *o, char **exposed,
		      json_object *all, json_object *hc, struct hk_error **err)
{
	const char *mode = o->network ? o->network : engine_default_network();
	_cleanup_strv_ char **extra = NULL;
	json_object *pb = json_object_new_object(), *ec = json_object_new_object();
	json_object *nc = json_object_new_object();

	if (!strcmp(mode, "default"))
		mode = engine_default_network();
	json_object_object_add(hc, "NetworkMode", json_object_new_string(mode));
	json_object_object_add(hc, "PortBindings", pb);
	json_object_object_add(hc, "PublishAllPorts", json_object_new_boolean(o->publish_all));
	json_object_object_add(hc, "Dns", json_strv_new(o->dns));
	json_object_object_add(hc, "ExtraHosts", json_strv_new(o->add_hosts));
	json_object_object_add(all, "NetworkingConfig", nc);
	json_object_object_add(nc, "EndpointsConfig", ec);
	for (char **h = o->add_hosts; h && *h; h++)
		if (!strchr(*h, ':') || **h == ':')
			return hk_error_set(err, 0, "--add-host %s: expected NAME:IP", *h);
	if (!engine_net_is_bridge(mode)) {
		if (o->publish || o->publish_all || o->network_aliases || o->ip || o->ip6 ||
		    o->mac_address)
			return hk_error_set(
				err, 0,
				"-p, -P, --network-alias, --ip, --ip6 and --mac-address need a "
				"bridge network, not --network %s",
				mode);
		if (str_has_prefix(mode, "container:") && !mode[10])
			return hk_error_set(err, 0, "--network container: needs a container name");
		if (o->networks)
			return hk_error_set(err, 0,
					    "--network %s cannot be combined with other networks",
					    mode);
		return 0;
	}
	/* the networks must exist (the default one is made on first use) */
	if (networks_resolve(e, mode, o->networks, &extra, err) < 0)
		return hk_error_wrap(err, "--network");
	for (char **p = o->publish; p && *p; p++) {
		_cleanup_free_ struct net_port *ports = NULL;
		size_t n = 0;
		if (net_ports_parse(*p, &ports, &n, err) < 0)
			return hk_error_wrap(err, "-p");
		for (size_t i = 0; i < n; i++)
			add_binding(pb, &ports[i]);
	}
	for (char **x = o->publish_all ? exposed : NULL; x && *x; x++) {
		_cleanup_free_ struct net_port *ports = NULL;
		size_t n = 0;
		if (net_ports_parse(*x, &ports, &n, NULL) < 0)
			continue; /* junk in the image: Docker skips it too */
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *key =
				xasprintf("%u/%s", ports[i].container_port, ports[i].proto);
			if (!json_object_object_get_ex(pb, key, NULL))
				add_binding(pb, &ports[i]);
		}
	}
	/* made last: the returns above would leak them */
	json_object_object_add(ec, mode,
			       endpoint_config(o->network_aliases, o->ip, o->ip6, o->mac_address));
	for (char **x = extra; x && *x; x++)
		json_object_object_add(ec, *x, endpoint_config(NULL, NULL, NULL, NULL));
	return 0;
}

static char **jstrv(json_object *o, const char *k)
{
	json_object *a;
	char **v = NULL;

	if (!json_object_object_get_ex(o, k, &a) || !json_object_is_type(a, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		strv_push(&v, json_object_get_string(json_object_array_get_idx(a, i)));
	return v;
}

/* On a user network, the container asks the network's DNS responder
 * (unless --dns named servers): /etc/resolv.conf is rewritten in place (it
 * is bind-mounted) before the process starts. */
static int resolv_update(struct net_ctx *ctx, const struct engine_container *c, const char *dir,
			 const char *mode, struct hk_error **err)
{
	json_object *hc = NULL, *dns = NULL;
	_cleanup_free_ char *text = NULL, *path = path_join(dir, "resolv.conf");

	json_object_object_get_ex(c->config, "HostConfig", &hc);
	if (json_object_object_get_ex(hc, "Dns", &dns) && json_object_array_length(dns) > 0)
		return 0;
	if (net_dns_resolv_content(ctx, mode, &text, err) < 0)
		return -1;
	if (text) {
		/* --dns-search, --dns-option */
		char *with = spec_resolv_apply(text, hc);
		if (with) {
			free(text);
			text = with;
		}
	}
	/* bind-mounted: the same inode, rewritten in place */
	return text ? file_rewrite_in_place(path, text, strlen(text), err) : 0;
}

/* The container's HostConfig.PortBindings as ports to publish. */
static int bindings_ports(json_object *hc, struct net_port **ports, size_t *n,
			  struct hk_error **err)
{
	json_object *pb = NULL;

	if (!json_object_object_get_ex(hc, "PortBindings", &pb) || !pb)
		return 0;
	json_object_object_foreach(pb, key, arr)
	{
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *b = json_object_array_get_idx(arr, i);
			const char *hip = jget(b, "HostIp"), *hp = jget(b, "HostPort");
			bool v6 = hip && strchr(hip, ':');
			_cleanup_free_ char *spec =
				xasprintf("%s%s%s:%s:%s", v6 ? "[" : "", hip ? hip : "",
					  v6 ? "]" : "", hp ? hp : "", key);
			if (net_ports_parse(spec, ports, n, err) < 0)
				return hk_error_wrap(err, "PortBindings");
		}
	}
	return 0;
}

/* Join one network with ep, an EndpointsConfig entry (at start, or from
 * `network connect`); ports (may be NULL) are published through it, only
 * when it routes outside with ports_if_routed. */
static int connect_one(struct net_ctx *ctx, const struct engine_container *c, const char *nspath,
		       const char *hosts, const char *network, json_object *ep,
		       const struct net_port *ports, size_t n_ports, bool ports_if_routed,
		       struct hk_error **err)
{
	json_object *cfg = NULL, *hc = NULL, *ipam = NULL;
	_cleanup_strv_ char **aliases = jstrv(ep, "Aliases"), **extra = NULL;
	struct net_connect_opts o = {0};
	const char *ip, *ip6, *mac;

	json_object_object_get_ex(c->config, "Config", &cfg);
	json_object_object_get_ex(c->config, "HostConfig", &hc);
	json_object_object_get_ex(ep, "IPAMConfig", &ipam);
	ip = jget(ipam, "IPv4Address");
	ip6 = jget(ipam, "IPv6Address");
	mac = jget(ep, "MacAddress");
	extra = jstrv(hc, "ExtraHosts");
	o.name = c->name;
	o.hostname = jget(cfg, "Hostname");
	o.ip = ip && *ip ? ip : NULL;
	o.ip6 = ip6 && *ip6 ? ip6 : NULL;
	o.mac = mac && *mac ? mac : NULL;
	o.aliases = aliases;
	o.ports = ports;
	o.n_ports = n_ports;
	o.ports_if_routed = ports_if_routed;
	o.hosts_path = hosts;
	o.extra_hosts = extra;
	return net_connect(ctx, c->id, network, nspath, &o, NULL, err);
}

int engine_net_connect(struct engine *e, const struct engine_container *c, pid_t pid,
		       struct hk_error **err)
{
	json_object *hc = NULL, *nc = NULL, *ec = NULL;
	_cleanup_free_ char *nspath = xasprintf("/proc/%d/ns/net", (int)pid);
	_cleanup_free_ char *dir = engine_ctr_dir(e, c->id);
	_cleanup_free_ char *hosts = path_join(dir, "hosts");
	_cleanup_free_ struct net_port *ports = NULL;
	const char *mode, *dns_net = NULL;
	struct net_ctx *ctx = NULL;
	size_t n_ports = 0;
	bool first = true;
	int r = 0;

	json_object_object_get_ex(c->config, "HostConfig", &hc);
	json_object_object_get_ex(c->config, "NetworkingConfig", &nc);
	json_object_object_get_ex(nc, "EndpointsConfig", &ec);
	mode = jget(hc, "NetworkMode");
	if (!engine_net_is_bridge(mode))
		return 0;
	if (bindings_ports(hc, &ports, &n_ports, err) < 0)
		return -1;
	if (net_ctx_open(e, &ctx, err) < 0)
		return -1;
	/* Every network of EndpointsConfig, in the order joined: --network
	 * (again for more), then `network connect`s; eth0, eth1, ...  The
	 * published ports go through the first. */
	json_object_object_foreach(ec, network, ep)
	{
		if (!engine_net_is_bridge(network))
			continue;
		r = connect_one(ctx, c, nspath, hosts, network, ep, first ? ports : NULL,
				first ? n_ports : 0, false, err);
		if (r < 0)
			break;
		first = false;
		if (!dns_net && !str_eq(network, NET_DEFAULT_NAME))
			dns_net = network;
	}
	/* the embedded DNS server of the first user network answers (it knows
	 * the names of every network the container is on, scoped by source) */
	if (r == 0)
		r = resolv_update(ctx, c, dir, dns_net ? dns_net : mode, err);
	net_close(ctx);
	return r;
}

static void settings_endpoint(json_object *nets, const char *name, const struct net_endpoint *ep)
{
	json_object *n = json_object_new_object();
	json_object *aliases = json_object_new_array();

	for (char **a = ep ? ep->aliases : NULL; a && *a; a++)
		json_object_array_add(aliases, json_object_new_string(*a));
	json_object_object_add(n, "IPAMConfig", NULL);
	json_object_object_add(n, "Links", NULL);
	json_object_object_add(n, "Aliases", aliases);
	json_object_object_add(n, "MacAddress",
			       json_object_new_string(ep && ep->mac ? ep->mac : ""));
	json_object_object_add(n, "NetworkID",
			       json_object_new_string(ep && ep->network_id ? ep->network_id : ""));
	/* the host end of the veth pair, as `network inspect` shows it */
	json_object_object_add(n, "EndpointID",
			       json_object_new_string(ep && ep->veth ? ep->veth : ""));
	json_object_object_add(n, "Gateway",
			       json_object_new_string(ep && ep->gateway ? ep->gateway : ""));
	json_object_object_add(n, "IPAddress", json_object_new_string(ep && ep->ip ? ep->ip : ""));
	json_object_object_add(n, "IPPrefixLen", json_object_new_int(ep ? ep->prefix : 0));
	json_object_object_add(n, "IPv6Gateway",
			       json_object_new_string(ep && ep->gateway6 ? ep->gateway6 : ""));
	json_object_object_add(n, "GlobalIPv6Address",
			       json_object_new_string(ep && ep->ip6 ? ep->ip6 : ""));
	json_object_object_add(n, "GlobalIPv6PrefixLen",
			       json_object_new_int(ep && ep->ip6 ? ep->prefix6 : 0));
	json_object_object_add(nets, name, n);
}

static void settings_port(json_object *ports, const struct net_port *p)
{
	_cleanup_free_ char *key = xasprintf("%u/%s", p->container_port, p->proto);
	_cleanup_free_ char *hp = xasprintf("%u", p->host_port);
	json_object *arr = NULL, *b = json_object_new_object();

	if (!json_object_object_get_ex(ports, key, &arr) || !arr) {
		arr = json_object_new_array();
		json_object_object_add(ports, key, arr);
	}
	json_object_object_add(b, "HostIp",
			       json_object_new_string(*p->host_ip ? p->host_ip : "0.0.0.0"));
	json_object_object_add(b, "HostPort", json_object_new_string(hp));
	json_object_array_add(arr, b);
}

void engine_net_settings(struct engine *e, const struct engine_container *c, json_object *ns)
{
	_cleanup_error_ struct hk_error *err = NULL;
	json_object *nets = json_object_new_object(), *ports = json_object_new_object();
	json_object *hc = NULL, *cfg = NULL, *v = NULL;
	struct net_endpoint **eps = NULL, *legacy = NULL;
	struct net_ctx *ctx = NULL;
	bool running = c->state == ENGINE_RUNNING || c->state == ENGINE_PAUSED;
	const char *mode;
	size_t n = 0;

	json_object_object_get_ex(c->config, "HostConfig", &hc);
	json_object_object_get_ex(c->config, "Config", &cfg);
	mode = jget(hc, "NetworkMode");
	if (engine_net_is_bridge(mode) && net_ctx_open(e, &ctx, &err) == 0)
		net_container_endpoints(ctx, c->id, &eps, &n, &err);
	net_close(ctx);
	for (size_t i = 0; i < n; i++) {
		settings_endpoint(nets, eps[i]->network, eps[i]);
		for (size_t j = 0; j < eps[i]->n_ports; j++)
			settings_port(ports, &eps[i]->ports[j]);
		if (!legacy || str_eq(eps[i]->network, NET_DEFAULT_NAME))
			legacy = eps[i];
	}
	/* not connected (stopped, created): the network it joins, empty */
	if (!n && mode && strcmp(mode, "host") && !str_has_prefix(mode, "container:"))
		settings_endpoint(nets, mode, NULL);
	/* exposed or bound ports without a mapping now: null, as docker */
	if (json_object_object_get_ex(cfg, "ExposedPorts", &v) && v) {
		json_object_object_foreach(v, key, val)
		{
			(void)val;
			if (!json_object_object_get_ex(ports, key, NULL))
				json_object_object_add(ports, key, NULL);
		}
	}
	if (json_object_object_get_ex(hc, "PortBindings", &v) && v) {
		json_object_object_foreach(v, key, val)
		{
			(void)val;
			if (!json_object_object_get_ex(ports, key, NULL))
				json_object_object_add(ports, key, NULL);
		}
	}
	json_object_object_add(ns, "Bridge", json_object_new_string(""));
	json_object_object_add(ns, "SandboxID", json_object_new_string(running ? c->id : ""));
	{
		_cleanup_free_ char *key = running && mode && strcmp(mode, "host")
						   ? xasprintf("/proc/%d/ns/net", (int)c->pid)
						   : xstrdup("");
		json_object_object_add(ns, "SandboxKey", json_object_new_string(key));
	}
	json_object_object_add(ns, "Ports", ports);
	/* docker's deprecated top-level copy of the default network's fields */
	json_object_object_add(ns, "EndpointID",
			       json_object_new_string(legacy ? legacy->veth : ""));
	json_object_object_add(
		ns, "Gateway",
		json_object_new_string(legacy && legacy->gateway ? legacy->gateway : ""));
	json_object_object_add(ns, "IPAddress", json_object_new_string(legacy ? legacy->ip : ""));
	json_object_object_add(ns, "IPPrefixLen", json_object_new_int(legacy ? legacy->prefix : 0));
	json_object_object_add(ns, "MacAddress", json_object_new_string(legacy ? legacy->mac : ""));
	json_object_object_add(ns, "GlobalIPv6Address",
			       json_object_new_string(legacy && legacy->ip6 ? legacy->ip6 : ""));
	json_object_object_add(ns, "GlobalIPv6PrefixLen",
			       json_object_new_int(legacy && legacy->ip6 ? legacy->prefix6 : 0));
	json_object_object_add(
		ns, "IPv6Gateway",
		json_object_new_string(legacy && legacy->gateway6 ? legacy->gateway6 : ""));
	json_object_object_add(ns, "Networks", nets);
	net_endpoints_free(eps, n);
}

/* Whether a running container joined the network namespace of container
 * id (--network container:NAME): the namespace then outlives id's
 * processes.  In doubt, yes. */
static bool netns_joined(struct engine *e, const char *id)
{
	_cleanup_sqlite_stmt_ sqlite3_stmt *s = NULL;
	sqlite3 *db;

	if (store_db(e, &db, NULL) < 0 ||
	    sqlite3_prepare_v2(db,
			       "SELECT substr(json_extract(config, '$.HostConfig.NetworkMode'), 11)"
			       " FROM containers WHERE state IN ('running', 'paused')"
			       " AND json_extract(config, '$.HostConfig.NetworkMode')"
			       " LIKE 'container:%'",
			       -1, &s, NULL) != SQLITE_OK)
		return true;
	while (sqlite3_step(s) == SQLITE_ROW) {
		_cleanup_container_ struct engine_container *other = NULL;
		const char *ref = (const char *)sqlite3_column_text(s, 0);

		if (ref && engine_lookup(e, ref, &other, NULL) == 0 && str_eq(other->id, id))
			return true;
	}
	return false;
}

void engine_net_teardown(struct engine *e, const char *id, bool exited)
{
	_cleanup_error_ struct hk_error *err = NULL;
	enum net_teardown_mode mode = NET_TEARDOWN_DELETE;
	struct net_ctx *ctx = NULL;

	if (exited)
		mode = netns_joined(e, id) ? NET_TEARDOWN_DETACHED : NET_TEARDOWN_WITH_NAMESPACE;
	if (net_ctx_open(e, &ctx, &err) == 0)
		net_teardown_container(ctx, id, mode, &err);
	net_close(ctx);
}

char *engine_net_namespace_path(struct engine *e, const char *mode, struct hk_error **err)
{
	_cleanup_container_ struct engine_container *other = NULL;

	if (!mode || !str_has_prefix(mode, "container:"))
		return NULL;
	if (engine_lookup(e, mode + 10, &other, err) < 0) {
		hk_error_wrap(err, "--network %s", mode);
		return NULL;
	}
	if (other->state != ENGINE_RUNNING && other->state != ENGINE_PAUSED) {
		hk_error_set(err, 0, "--network %s: container %s is not running", mode,
			     other->name);
		return NULL;
	}
	return xasprintf("/proc/%d/ns/net", (int)other->pid);
}

int engine_net_refresh_joined(struct engine *e, const struct engine_container *c,
			      struct hk_error **err)
{
	_cleanup_free_ char *dir = engine_ctr_dir(e, c->id);
	_cleanup_free_ char *path = path_join(dir, "config.json");
	_cleanup_free_ char *nspath = NULL, *text = NULL;
	_cleanup_json_ json_object *spec = NULL;
	json_object *hc = NULL, *lnx = NULL, *nss = NULL;
	const char *mode;

	json_object_object_get_ex(c->config, "HostConfig", &hc);
	mode = jget(hc, "NetworkMode");
	if (!mode || !str_has_prefix(mode, "container:"))
		return 0;
	/* the namespace of the other container as it runs now: after it was
	 * restarted, the one recorded at create time is gone (or, worse, its
	 * pid belongs to another process) */
	nspath = engine_net_namespace_path(e, mode, err);
	if (!nspath)
		return hk_error_wrap(err, "join the network of another container (start it first)");
	if (json_parse_file(path, 64 << 20, &spec, err) < 0)
		return -1;
	json_object_object_get_ex(spec, "linux", &lnx);
	json_object_object_get_ex(lnx, "namespaces", &nss);
	for (size_t i = 0; nss && i < json_object_array_length(nss); i++) {
		json_object *ns = json_object_array_get_idx(nss, i);
		if (!str_eq(jget(ns, "type"), "network"))
			continue;
		if (str_eq(jget(ns, "path"), nspath))
			return 0;
		json_object_object_add(ns, "path", json_object_new_string(nspath));
	}
	text = json_to_string(spec, true);
	return write_file_replace(path, text, strlen(text), 0600, err);
}

/* Record in the container's config that it is on network (ep: its
 * EndpointsConfig entry, taken) or no longer (ep NULL): what a start joins.
 * One transaction over a fresh copy, so two connects never lose one. */
static int endpoints_record(struct engine *e, const char *id, const char *network, json_object *ep,
			    struct hk_error **err)
{
	_cleanup_container_ struct engine_container *fresh = NULL;
	_cleanup_free_ char *text = NULL;
	json_object *nc = NULL, *ec = NULL;
	sqlite3 *db;

	if (store_db(e, &db, err) < 0 || db_begin_immediate(db, err) < 0) {
		json_object_put(ep);
		return -1;
	}
	if (store_load_id(e, id, &fresh, err) < 0)
		goto fail;
	if (!json_object_object_get_ex(fresh->config, "NetworkingConfig", &nc)) {
		nc = json_object_new_object();
		json_object_object_add(fresh->config, "NetworkingConfig", nc);
	}
	if (!json_object_object_get_ex(nc, "EndpointsConfig", &ec)) {
		ec = json_object_new_object();
		json_object_object_add(nc, "EndpointsConfig", ec);
	}
	if (ep)
		json_object_object_add(ec, network, steal_ptr(&ep));
	else
		json_object_object_del(ec, network);
	text = json_to_string(fresh->config, false);
	if (store_update(e, id, "config = ?", "s", err, text) < 0)
		goto fail;
	return db_commit(db, err);
fail:
	json_object_put(ep);
	db_rollback(db);
	return -1;
}

/* The name a network goes by (the user may give an id or its prefix). */
static char *network_name(struct net_ctx *ctx, const char *ref, struct hk_error **err)
{
	_cleanup_json_ json_object *found = NULL;
	char *names[] = {(char *)ref, NULL};

	if (str_eq(ref, NET_DEFAULT_NAME))
		return xstrdup(ref);
	if (net_inspect(ctx, names, &found, err) < 0)
		return NULL;
	return xstrdup(jget(json_object_array_get_idx(found, 0), "Name"));
}

/* Docker's network events: the network as actor, the container and the
 * network's name and type as attributes. */
static void net_event(struct engine *e, const char *action, const char *network, const char *ctr)
{
	_cleanup_json_ json_object *a = json_object_new_object();
	json_object_object_add(a, "container", json_object_new_string(ctr));
	json_object_object_add(a, "name", json_object_new_string(network));
	json_object_object_add(a, "type", json_object_new_string("bridge"));
	engine_event_record(e, "network", action, network, a);
}

int engine_network_connect(struct engine *e, const char *ref, const char *network, const char *ip,
			   const char *ip6, char **aliases, struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_free_ char *dir = NULL, *hosts = NULL, *nspath = NULL, *name = NULL;
	_cleanup_free_ struct net_port *ports = NULL;
	_cleanup_net_ struct net_ctx *ctx = NULL;
	_cleanup_json_ json_object *ep = endpoint_config(aliases, ip, ip6, NULL);
	struct net_endpoint **eps = NULL;
	json_object *hc = NULL, *nc = NULL, *ec = NULL;
	size_t n_eps = 0, n_ports = 0, published = 0;

	if (engine_lookup(e, ref, &c, err) < 0)
		return -1;
	json_object_object_get_ex(c->config, "HostConfig", &hc);
	if (!engine_net_is_bridge(jget(hc, "NetworkMode")))
		return hk_error_set(err, 0,
				    "container %s shares a network namespace (--network %s); it"
				    " cannot join networks of its own",
				    c->name, jget(hc, "NetworkMode"));
	if (net_ctx_open(e, &ctx, err) < 0 || !(name = network_name(ctx, network, err)))
		return -1;
	json_object_object_get_ex(c->config, "NetworkingConfig", &nc);
	json_object_object_get_ex(nc, "EndpointsConfig", &ec);
	if (json_object_object_get_ex(ec, name, NULL))
		return hk_error_set(err, 0, "container %s is already connected to network %s",
				    c->name, name);
	/* A container that does not run joins at its next start (as docker). */
	if (c->state == ENGINE_RUNNING || c->state == ENGINE_PAUSED) {
		dir = engine_ctr_dir(e, c->id);
		hosts = path_join(dir, "hosts");
		nspath = xasprintf("/proc/%d/ns/net", (int)c->pid);
		/* Its published ports (-p) follow it: when no endpoint carries
		 * them (disconnected from the network that did), this one does,
		 * as docker moves them to the endpoint that gives the container
		 * its way out. */
		if (net_container_endpoints(ctx, c->id, &eps, &n_eps, err) < 0)
			return -1;
		for (size_t i = 0; i < n_eps; i++)
			published += eps[i]->n_ports;
		net_endpoints_free(eps, n_eps);
		if (!published && bindings_ports(hc, &ports, &n_ports, err) < 0)
			return -1;
		if (connect_one(ctx, c, nspath, hosts, name, ep, ports, n_ports, true, err) < 0)
			return -1;
	}
	if (endpoints_record(e, c->id, name, json_object_get(ep), err) < 0) {
		_cleanup_error_ struct hk_error *e2 = NULL;
		if (nspath)
			net_disconnect(ctx, c->id, name, &e2);
		return -1;
	}
	net_event(e, "connect", name, c->id);
	return 0;
}

int engine_network_disconnect(struct engine *e, const char *ref, const char *network,
			      struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	_cleanup_net_ struct net_ctx *ctx = NULL;
	_cleanup_free_ char *name = NULL;
	json_object *nc = NULL, *ec = NULL;
	bool recorded;

	if (engine_lookup(e, ref, &c, err) < 0)
		return -1;
	if (net_ctx_open(e, &ctx, err) < 0 || !(name = network_name(ctx, network, err)))
		return -1;
	json_object_object_get_ex(c->config, "NetworkingConfig", &nc);
	json_object_object_get_ex(nc, "EndpointsConfig", &ec);
	recorded = json_object_object_get_ex(ec, name, NULL);
	if (c->state == ENGINE_RUNNING || c->state == ENGINE_PAUSED) {
		if (net_disconnect(ctx, c->id, name, err) < 0 && !recorded)
			return -1;
		hk_error_free(err);
	} else if (!recorded) {
		return hk_error_set(err, 0, "container %s is not connected to network %s", c->name,
				    name);
	}
	/* it does not join it again at its next start */
	if (recorded && endpoints_record(e, c->id, name, NULL, err) < 0)
		return -1;
	net_event(e, "disconnect", name, c->id);
	return 0;
}

int engine_network_prune(struct engine *e, char ***removed, struct hk_error **err)
{
	struct net_ctx *ctx = NULL;
	int r;

	if (net_ctx_open(e, &ctx, err) < 0)
		return -1;
	r = net_prune(ctx, removed, err);
	net_close(ctx);
	return r;
}

int engine_ports(struct engine *e, const char *ref, char ***lines, struct hk_error **err)
{
	_cleanup_container_ struct engine_container *c = NULL;
	struct net_endpoint **eps = NULL;
	struct net_ctx *ctx = NULL;
	size_t n = 0;

	if (engine_lookup(e, ref, &c, err) < 0)
		return -1;
	if (net_ctx_open(e, &ctx, err) < 0)
		return -1;
	if (net_container_endpoints(ctx, c->id, &eps, &n, err) < 0) {
		net_close(ctx);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < eps[i]->n_ports; j++) {
			const struct net_port *p = &eps[i]->ports[j];
			bool v6 = strchr(p->host_ip, ':') != NULL;
			_cleanup_free_ char *l = xasprintf(
				"%u/%s -> %s%s%s:%u", p->container_port, p->proto, v6 ? "[" : "",
				*p->host_ip ? p->host_ip : "0.0.0.0", v6 ? "]" : "", p->host_port);
			strv_push(lines, l);
		}
	net_endpoints_free(eps, n);
	net_close(ctx);
	return 0;
}

/* One entry of the PORTS column; host_port 0: exposed, not published. */
struct port_item {
	unsigned cport, hport;
	char proto[4];
	char hip[48];
};

static int port_item_cmp(const void *a, const void *b)
{
	const struct port_item *x = a, *y = b;
	int c;

	if (x->cport != y->cport)
		return x->cport < y->cport ? -1 : 1;
	if ((c = strcmp(x->proto, y->proto)) != 0)
		return c;
	if ((c = strcmp(x->hip, y->hip)) != 0)
		return c;
	return x->hport < y->hport ? -1 : x->hport > y->hport;
}

/* x and the run ending at last (n ports long) make one range, as docker
 * prints "0.0.0.0:8000-8002->9000-9002/tcp" */
static bool port_item_follows(const struct port_item *last, const struct port_item *x)
{
	return x->cport == last->cport + 1 && str_eq(x->proto, last->proto) &&
	       str_eq(x->hip, last->hip) && (x->hport == 0) == (last->hport == 0) &&
	       (x->hport == 0 || x->hport == last->hport + 1);
}

char *engine_ports_summary(struct engine *e, const struct engine_container *c)
{
	_cleanup_free_ struct port_item *items = NULL;
	struct net_endpoint **eps = NULL;
	struct net_ctx *ctx = NULL;
	json_object *cfg = NULL, *exposed = NULL;
	size_t n = 0, n_items = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	/* as docker: a container that does not run shows no ports */
	if (c->state != ENGINE_RUNNING && c->state != ENGINE_PAUSED)
		return xstrdup("");
	if (net_ctx_open(e, &ctx, NULL) == 0 &&
	    net_container_endpoints(ctx, c->id, &eps, &n, NULL) == 0) {
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < eps[i]->n_ports; j++) {
				const struct net_port *p = &eps[i]->ports[j];
				struct port_item it = {.cport = p->container_port,
						       .hport = p->host_port};
				snprintf(it.proto, sizeof(it.proto), "%s", p->proto);
				snprintf(it.hip, sizeof(it.hip), "%s",
					 *p->host_ip ? p->host_ip : "0.0.0.0");
				items = xrealloc(items, (n_items + 1) * sizeof(*items));
				items[n_items++] = it;
			}
		net_endpoints_free(eps, n);
	}
	net_close(ctx);
	/* exposed ports without a mapping show bare */
	json_object_object_get_ex(c->config, "Config", &cfg);
	if (json_object_object_get_ex(cfg, "ExposedPorts", &exposed) &&
	    json_object_is_type(exposed, json_type_object)) {
		json_object_object_foreach(exposed, key, v)
		{
			struct port_item it = {0};
			bool shown = false;
			char proto[4] = "tcp";
			(void)v;
			if (sscanf(key, "%u/%3s", &it.cport, proto) < 1 || it.cport > 65535)
				continue;
			snprintf(it.proto, sizeof(it.proto), "%.3s", proto); /* tcp, udp */
			for (size_t i = 0; i < n_items && !shown; i++)
				shown = items[i].cport == it.cport &&
					str_eq(items[i].proto, it.proto);
			if (!shown) {
				items = xrealloc(items, (n_items + 1) * sizeof(*items));
				items[n_items++] = it;
			}
		}
	}
	if (n_items == 0)
		return xstrdup("");
	qsort(items, n_items, sizeof(*items), port_item_cmp);
	f = open_memstream(&buf, &len);
	for (size_t i = 0; i < n_items;) {
		const struct port_item *a = &items[i];
		size_t k = i + 1;
		bool v6 = strchr(a->hip, ':') != NULL;
		while (k < n_items && port_item_follows(&items[k - 1], &items[k]))
			k++;
		const struct port_item *z = &items[k - 1];
		if (i)
			fputs(", ", f);
		if (a->hport) {
			fprintf(f, "%s%s%s:%u", v6 ? "[" : "", a->hip, v6 ? "]" : "", a->hport);
			if (z != a)
				fprintf(f, "-%u", z->hport);
			fputs("->", f);
		}
		fprintf(f, "%u", a->cport);
		if (z != a)
			fprintf(f, "-%u", z->cport);
		fprintf(f, "/%s", a->proto);
		i = k;
	}
	fclose(f);
	return buf;
}
