/* Unit tests of src/engine/spec_opts.c: the run options beyond the first set
 * in Docker's HostConfig/Config shapes, their refusals, and the resolv.conf
 * rewrite of --dns-search/--dns-option. */
#include <stdlib.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "engine/spec.h"
#include "test.h"
#include "util/json.h"
#include "util/util.h"

static json_object *part(json_object *all, const char *name)
{
	json_object *o = NULL;
	json_object_object_get_ex(all, name, &o);
	return o;
}

static char *field(json_object *o, const char *key)
{
	json_object *v = NULL;
	json_object_object_get_ex(o, key, &v);
	return json_to_string(v, false);
}

TEST(spec_opts_docker_shapes)
{
	struct engine e = {.root = (char *)test_tmpdir(), .runroot = (char *)test_tmpdir()};
	char *img_cmd[] = {"sh", NULL};
	char *img_exp[] = {"53/udp", NULL};
	struct image_config ic = {.cmd = img_cmd, .exposed_ports = img_exp};
	char *ul[] = {"nofile=100:200", "core=-1", "nofile=300", NULL};
	char *sc[] = {"net.ipv4.ip_forward=1", "kernel.shmmax=99", NULL};
	char *exp[] = {"80", "90-91/udp", NULL};
	char *search[] = {"a.example", NULL};
	char *ann[] = {"k=v", NULL};
	struct engine_create_opts o;
	struct hk_error *err = NULL;
	json_object *all = NULL, *hc, *cfg;

	engine_create_opts_init(&o);
	o.image = "busybox";
	o.network = "none";
	o.ulimits = ul;
	o.sysctls = sc;
	o.expose = exp;
	o.dns_search = search;
	o.annotations = ann;
	o.domainname = "example.org";
	o.memory_swappiness = 5;
	o.shm_size = 1 << 20;
	REQUIRE(spec_build_config(&e, &o, &ic, "0123456789abcdef", &all, &err) == 0);
	hc = part(all, "HostConfig");
	cfg = part(all, "Config");
	{
		/* one entry per name, the last wins; -1 is unlimited */
		_cleanup_free_ char *s = field(hc, "Ulimits");
		CHECK_STR(s, "[{\"Name\":\"core\",\"Hard\":-1,\"Soft\":-1},"
			     "{\"Name\":\"nofile\",\"Hard\":300,\"Soft\":300}]");
	}
	{
		_cleanup_free_ char *s = field(hc, "Sysctls");
		CHECK_STR(s, "{\"net.ipv4.ip_forward\":\"1\",\"kernel.shmmax\":\"99\"}");
	}
	{
		_cleanup_free_ char *s = field(cfg, "ExposedPorts");
		CHECK_STR(s, "{\"53/udp\":{},\"80/tcp\":{},\"90/udp\":{},\"91/udp\":{}}");
	}
	{
		_cleanup_free_ char *a = field(hc, "ShmSize"), *b = field(hc, "MemorySwappiness");
		_cleanup_free_ char *c = field(hc, "IpcMode"), *d = field(cfg, "Domainname");
		_cleanup_free_ char *f = field(hc, "Annotations"), *g = field(hc, "DnsSearch");
		CHECK_STR(a, "1048576");
		CHECK_STR(b, "5");
		CHECK_STR(c, "\"private\"");
		CHECK_STR(d, "\"example.org\"");
		CHECK_STR(f, "{\"k\":\"v\"}");
		CHECK_STR(g, "[\"a.example\"]");
	}
	json_object_put(all);

	/* unset: docker's zero values, swappiness null */
	engine_create_opts_init(&o);
	o.image = "busybox";
	o.network = "none";
	REQUIRE(spec_build_config(&e, &o, &ic, "0123456789abcdef", &all, &err) == 0);
	hc = part(all, "HostConfig");
	{
		_cleanup_free_ char *a = field(hc, "MemorySwappiness"), *b = field(hc, "ShmSize");
		_cleanup_free_ char *c = field(hc, "Ulimits"), *d = field(hc, "CpusetCpus");
		CHECK_STR(a, "null");
		CHECK_STR(b, "67108864");
		CHECK_STR(c, "[]");
		CHECK_STR(d, "\"\"");
		CHECK(!json_object_object_get_ex(hc, "Sysctls", NULL));
	}
	json_object_put(all);
}

TEST(spec_opts_refusals)
{
	struct engine e = {.root = (char *)test_tmpdir(), .runroot = (char *)test_tmpdir()};
	char *img_cmd[] = {"sh", NULL};
	struct image_config ic = {.cmd = img_cmd};
	struct engine_create_opts o;
	struct hk_error *err = NULL;
	json_object *all = NULL;
	char *panic[] = {"kernel.panic=1", NULL};
	char *netsc[] = {"net.core.somaxconn=10", NULL};
	char *ipcsc[] = {"kernel.sem=1 2 3 4", NULL};
	char *noeq[] = {"kernel.shmmax", NULL};
	char *ulbad[] = {"nofile=10:5", NULL};
	char *ulname[] = {"files=10", NULL};
	char *exp_bad[] = {"80-70", NULL};
	char *ann_bad[] = {"novalue", NULL};

#define REFUSED(setup)                                                                             \
	do {                                                                                       \
		engine_create_opts_init(&o);                                                       \
		o.image = "busybox";                                                               \
		o.network = "none";                                                                \
		setup;                                                                             \
		CHECK(spec_build_config(&e, &o, &ic, "0123456789abcdef", &all, &err) < 0);         \
		CHECK(err != NULL);                                                                \
		hk_error_free(&err);                                                               \
	} while (0)
	REFUSED(o.sysctls = panic);
	REFUSED((o.network = "host", o.sysctls = netsc));
	REFUSED((o.ipc_mode = "host", o.sysctls = ipcsc));
	REFUSED(o.sysctls = noeq);
	REFUSED(o.ulimits = ulbad);
	REFUSED(o.ulimits = ulname);
	REFUSED(o.expose = exp_bad);
	REFUSED(o.annotations = ann_bad);
	REFUSED((o.nano_cpus = 1000000000, o.cpu_quota = 50000));
	REFUSED(o.cpu_period = 10);
	REFUSED(o.memory_swappiness = 101);
	REFUSED((o.memory = 10 << 20, o.memory_reservation = 20 << 20));
	REFUSED(o.cpuset_cpus = "0-");
	REFUSED(o.cpuset_cpus = "8000");
	REFUSED(o.pid_mode = "sideways");
	REFUSED(o.ipc_mode = "public");
	REFUSED((o.uts_mode = "host", o.hostname = "x"));
	REFUSED(o.cgroupns_mode = "both");
	REFUSED(o.userns_mode = "auto");
	REFUSED(o.cgroup_parent = "../up");
	REFUSED(o.oom_score_adj = 2000);
	REFUSED(o.blkio_weight = 5);
#undef REFUSED
}

TEST(spec_opts_resolv_rewrite)
{
	_cleanup_json_ json_object *hc = json_object_new_object();
	json_object *s = json_object_new_array(), *o = json_object_new_array();
	const char *host = "search host.example\nnameserver 10.0.0.1\noptions ndots:1\n";
	_cleanup_free_ char *none = spec_resolv_apply(host, hc);

	CHECK(none == NULL); /* neither set: the text stays */
	json_object_object_add(hc, "DnsSearch", s);
	json_object_object_add(hc, "DnsOptions", o);
	json_object_array_add(s, json_object_new_string("a.example"));
	json_object_array_add(s, json_object_new_string("b.example"));
	{
		_cleanup_free_ char *t = spec_resolv_apply(host, hc);
		CHECK_STR(t, "search a.example b.example\nnameserver 10.0.0.1\noptions ndots:1\n");
	}
	json_object_array_add(o, json_object_new_string("ndots:3"));
	{
		_cleanup_free_ char *t = spec_resolv_apply(host, hc);
		CHECK_STR(t, "search a.example b.example\nnameserver 10.0.0.1\noptions ndots:3\n");
	}
}
