/* hako command line: option parsing shared by create and run. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/ctr_common.h"
#include "cli/registry_cli.h"
#include "image/image.h"
#include "registry/registry.h"
#include "util/json.h"
#include "util/util.h"

int ctr_engine_open(struct engine *e, struct hk_error **err)
{
	return engine_open(e, hk_globals.root, hk_globals.runroot, err);
}

const char ctr_create_help[] =
	"      --rm                    remove the container when it exits\n"
	"  -d, --detach                run in the background, print the id\n"
	"  -i, --interactive           keep stdin open\n"
	"  -t, --tty                   allocate a pseudo-terminal\n"
	"      --name NAME             the container's name\n"
	"  -e, --env K=V               set an environment variable (K alone: from ours)\n"
	"      --env-file FILE         read K=V lines\n"
	"  -w, --workdir DIR           working directory\n"
	"  -u, --user USER[:GROUP]     user (name or id)\n"
	"      --entrypoint CMD        override the image's entrypoint\n"
	"      --hostname NAME         the container's hostname\n"
	"  -v, --volume SRC:DST[:ro]   bind mount a host path or a named volume\n"
	"      --tmpfs DST[:OPTS]      mount a tmpfs\n"
	"      --read-only             read-only root filesystem\n"
	"      --init                  run hako-init as PID 1 (reaps zombies)\n"
	"  -m, --memory SIZE           memory limit (e.g. 256m)\n"
	"      --memory-swap SIZE      memory + swap limit (-1: unlimited)\n"
	"      --cpus N                CPU limit (e.g. 1.5)\n"
	"  -c, --cpu-shares N          relative CPU weight\n"
	"      --pids-limit N          at most N processes (-1: unlimited)\n"
	"      --cap-add CAP           add a capability (ALL for all)\n"
	"      --cap-drop CAP          drop a capability (ALL for all)\n"
	"      --privileged            every capability, no seccomp, all devices\n"
	"      --security-opt OPT      seccomp=unconfined|FILE, no-new-privileges\n"
	"      --network MODE          bridge (default), none (loopback only), host,\n"
	"                              container:NAME or a network's name; again\n"
	"                              for more networks (eth1, ...: --ip, --ip6,\n"
	"                              --mac-address, --network-alias are the first's)\n"
	"      --network-alias NAME    another name on the network\n"
	"      --ip IP                 a fixed address on the network\n"
	"      --ip6 IP                a fixed IPv6 address (a network made with --ipv6)\n"
	"      --mac-address MAC       the container's MAC address\n"
	"  -p, --publish SPEC          [IP:][HOST:]CONTAINER[/tcp|udp]: publish a port\n"
	"                              (IP may be [IPV6] on a network made with --ipv6;\n"
	"                              without IP: IPv4 and IPv6);\n"
	"                              ports may be ranges: 8000-8002:9000-9002,\n"
	"                              9000-9002 (free host ports), 8000-8010:80 (the\n"
	"                              first free one), 127.0.0.1::80\n"
	"  -P, --publish-all           publish every EXPOSEd port on a random host port\n"
	"      --add-host NAME:IP      add a line to /etc/hosts\n"
	"      --dns IP                a nameserver for /etc/resolv.conf\n"
	"  -l, --label K=V             set a label\n"
	"      --stop-signal SIG       signal for stop (default SIGTERM)\n"
	"      --stop-timeout N        seconds before stop kills (default 10)\n"
	"      --restart POLICY        no, always, unless-stopped, on-failure[:N]\n"
	"      --log-driver DRIVER     json-file (default), k8s-file or none\n"
	"      --log-opt K=V           max-size=SIZE (10m), max-file=N (3)\n"
	"      --detach-keys KEYS      detach sequence (default ctrl-p,ctrl-q)\n"
	"      --pull POLICY           missing (default: pull the image when it is not\n"
	"                              here), always, never\n"
	"      --platform OS/ARCH[/V]  the image's platform (one this host can run)\n"
	"  -q, --quiet                 no pull progress on stderr\n";

enum {
	OPT_RM = 1000,
	OPT_NET_ALIAS,
	OPT_IP,
	OPT_IP6,
	OPT_MAC,
	OPT_ADD_HOST,
	OPT_DNS,
	OPT_NAME,
	OPT_ENV_FILE,
	OPT_ENTRYPOINT,
	OPT_HOSTNAME,
	OPT_TMPFS,
	OPT_READ_ONLY,
	OPT_INIT,
	OPT_MEMORY_SWAP,
	OPT_CPUS,
	OPT_PIDS,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_PRIVILEGED,
	OPT_SECURITY,
	OPT_NETWORK,
	OPT_STOP_SIGNAL,
	OPT_STOP_TIMEOUT,
	OPT_RESTART,
	OPT_LOG_DRIVER,
	OPT_LOG_OPT,
	OPT_DETACH_KEYS,
	OPT_PUBLISH,
	OPT_PULL,
	OPT_PLATFORM,
};

static int read_env_file(const char *path, struct ctr_create_cli *cc, struct hk_error **err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0;

	if (!f)
		return hk_error_errno(err, "--env-file %s", path);
	while ((n = getline(&line, &cap, f)) >= 0) {
		char *s = line;
		lineno++;
		s[strcspn(s, "\r\n")] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			continue;
		if (*s == '=')
			return hk_error_set(err, 0, "--env-file %s:%d: empty variable name", path,
					    lineno);
		strv_push(&cc->env, s);
	}
	return 0;
}

static int parse_size_opt(const char *flag, const char *v, int64_t *out, bool allow_minus1,
			  struct hk_error **err)
{
	if (allow_minus1 && !strcmp(v, "-1")) {
		*out = -1;
		return 0;
	}
	if (engine_parse_size(v, out) < 0)
		return hk_error_set(err, 0,
				    "invalid %s value '%s': expected a size such as 512m or 1g",
				    flag, v);
	return 0;
}

int ctr_parse_create(int argc, char **argv, bool is_run, struct ctr_create_cli *cc,
		     struct hk_error **err)
{
	static const struct option opts[] = {
		{"rm", no_argument, NULL, OPT_RM},
		{"detach", no_argument, NULL, 'd'},
		{"interactive", no_argument, NULL, 'i'},
		{"tty", no_argument, NULL, 't'},
		{"name", required_argument, NULL, OPT_NAME},
		{"env", required_argument, NULL, 'e'},
		{"env-file", required_argument, NULL, OPT_ENV_FILE},
		{"workdir", required_argument, NULL, 'w'},
		{"user", required_argument, NULL, 'u'},
		{"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
		{"hostname", required_argument, NULL, OPT_HOSTNAME},
		{"volume", required_argument, NULL, 'v'},
		{"tmpfs", required_argument, NULL, OPT_TMPFS},
		{"read-only", no_argument, NULL, OPT_READ_ONLY},
		{"init", no_argument, NULL, OPT_INIT},
		{"memory", required_argument, NULL, 'm'},
		{"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
		{"cpus", required_argument, NULL, OPT_CPUS},
		{"cpu-shares", required_argument, NULL, 'c'},
		{"pids-limit", required_argument, NULL, OPT_PIDS},
		{"cap-add", required_argument, NULL, OPT_CAP_ADD},
		{"cap-drop", required_argument, NULL, OPT_CAP_DROP},
		{"privileged", no_argument, NULL, OPT_PRIVILEGED},
		{"security-opt", required_argument, NULL, OPT_SECURITY},
		{"network", required_argument, NULL, OPT_NETWORK},
		{"net", required_argument, NULL, OPT_NETWORK},
		{"label", required_argument, NULL, 'l'},
		{"stop-signal", required_argument, NULL, OPT_STOP_SIGNAL},
		{"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
		{"restart", required_argument, NULL, OPT_RESTART},
		{"log-driver", required_argument, NULL, OPT_LOG_DRIVER},
		{"log-opt", required_argument, NULL, OPT_LOG_OPT},
		{"detach-keys", required_argument, NULL, OPT_DETACH_KEYS},
		{"publish", required_argument, NULL, 'p'},
		{"publish-all", no_argument, NULL, 'P'},
		{"network-alias", required_argument, NULL, OPT_NET_ALIAS},
		{"net-alias", required_argument, NULL, OPT_NET_ALIAS},
		{"ip", required_argument, NULL, OPT_IP},
		{"ip6", required_argument, NULL, OPT_IP6},
		{"mac-address", required_argument, NULL, OPT_MAC},
		{"add-host", required_argument, NULL, OPT_ADD_HOST},
		{"dns", required_argument, NULL, OPT_DNS},
		{"pull", required_argument, NULL, OPT_PULL},
		{"platform", required_argument, NULL, OPT_PLATFORM},
		{"quiet", no_argument, NULL, 'q'},
		{0},
	};
	struct engine_create_opts *o = &cc->o;
	long long n;
	int c;

	memset(cc, 0, sizeof(*cc));
	engine_create_opts_init(o);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+diqte:w:u:v:m:c:l:p:P", opts, NULL)) != -1) {
		switch (c) {
		case OPT_RM:
			o->auto_remove = true;
			break;
		case 'd':
			cc->detach = true;
			break;
		case 'i':
			o->interactive = true;
			break;
		case 't':
			o->tty = true;
			break;
		case OPT_NAME:
			o->name = optarg;
			break;
		case 'e':
			strv_push(&cc->env, optarg);
			break;
		case OPT_ENV_FILE:
			if (read_env_file(optarg, cc, err) < 0)
				return -1;
			break;
		case 'w':
			o->workdir = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case OPT_ENTRYPOINT:
			o->entrypoint_set = true;
			strv_free(cc->entrypoint);
			cc->entrypoint = NULL;
			if (*optarg)
				strv_push(&cc->entrypoint, optarg);
			break;
		case OPT_HOSTNAME:
			o->hostname = optarg;
			break;
		case 'v':
			strv_push(&cc->volumes, optarg);
			break;
		case OPT_TMPFS:
			strv_push(&cc->tmpfs, optarg);
			break;
		case OPT_READ_ONLY:
			o->read_only = true;
			break;
		case OPT_INIT:
			o->init = true;
			break;
		case 'm':
			if (parse_size_opt("--memory", optarg, &o->memory, false, err) < 0)
				return -1;
			if (o->memory < 6 * 1024 * 1024)
				return hk_error_set(
					err, 0, "invalid --memory value '%s': the minimum is 6m",
					optarg);
			break;
		case OPT_MEMORY_SWAP:
			if (parse_size_opt("--memory-swap", optarg, &o->memory_swap, true, err) < 0)
				return -1;
			break;
		case OPT_CPUS: {
			char *end;
			double d = strtod(optarg, &end);
			if (*end || end == optarg || d <= 0 || d > 4096)
				return hk_error_set(
					err, 0,
					"invalid --cpus value '%s': expected a positive "
					"number such as 0.5 or 2",
					optarg);
			o->nano_cpus = (int64_t)(d * 1e9);
			break;
		}
		case 'c':
			if (parse_ll(optarg, 2, 262144, &n) < 0)
				return hk_error_set(err, 0,
						    "invalid --cpu-shares value '%s' (2-262144)",
						    optarg);
			o->cpu_shares = n;
			break;
		case OPT_PIDS:
			if (parse_ll(optarg, -1, 1LL << 40, &n) < 0 || n == 0)
				return hk_error_set(err, 0, "invalid --pids-limit value '%s'",
						    optarg);
			o->pids_limit = n;
			break;
		case OPT_CAP_ADD:
			strv_push(&cc->cap_add, optarg);
			break;
		case OPT_CAP_DROP:
			strv_push(&cc->cap_drop, optarg);
			break;
		case OPT_PRIVILEGED:
			o->privileged = true;
			break;
		case OPT_SECURITY:
			strv_push(&cc->security_opt, optarg);
			break;
		case OPT_NETWORK:
			/* given again: one more network to join (docker >= 25) */
			if (o->network)
				strv_push(&cc->networks, optarg);
			else
				o->network = optarg;
			break;
		case 'l':
			strv_push(&cc->labels, optarg);
			break;
		case OPT_STOP_SIGNAL:
			o->stop_signal = optarg;
			break;
		case OPT_STOP_TIMEOUT:
			if (parse_ll(optarg, -1, 1 << 30, &n) < 0)
				return hk_error_set(err, 0, "invalid --stop-timeout value '%s'",
						    optarg);
			o->stop_timeout = (int)(n < 0 ? 10 : n);
			break;
		case OPT_RESTART:
			o->restart = optarg;
			break;
		case OPT_LOG_DRIVER:
			o->log_driver = optarg;
			break;
		case OPT_LOG_OPT:
			strv_push(&cc->log_opts, optarg);
			break;
		case OPT_DETACH_KEYS:
			cc->detach_keys = optarg;
			break;
		case 'p':
			strv_push(&cc->publish, optarg);
			break;
		case 'P':
			o->publish_all = true;
			break;
		case OPT_NET_ALIAS:
			strv_push(&cc->aliases, optarg);
			break;
		case OPT_IP:
			o->ip = optarg;
			break;
		case OPT_IP6:
			o->ip6 = optarg;
			break;
		case OPT_MAC:
			o->mac_address = optarg;
			break;
		case OPT_ADD_HOST:
			strv_push(&cc->add_hosts, optarg);
			break;
		case OPT_DNS:
			strv_push(&cc->dns, optarg);
			break;
		case OPT_PULL:
			cc->pull = optarg;
			break;
		case OPT_PLATFORM:
			cc->platform = optarg;
			break;
		case 'q':
			cc->quiet = true;
			break;
		case '?':
		default:
			if (optopt && optopt < 256)
				return hk_error_set(err, 0, "%s: unknown flag: -%c", argv[0],
						    optopt);
			return hk_error_set(err, 0, "%s: unknown flag: %s", argv[0],
					    argv[optind - 1]);
		}
	}
	if (!is_run && cc->detach)
		return hk_error_set(err, 0, "create: unknown flag: --detach");
	if (optind >= argc)
		return hk_error_set(err, 0, "%s: requires at least 1 argument: IMAGE [COMMAND...]",
				    argv[0]);
	o->image = argv[optind++];
	for (int i = optind; i < argc; i++)
		strv_push(&cc->cmd, argv[i]);
	o->cmd = cc->cmd;
	o->entrypoint = cc->entrypoint;
	o->env = cc->env;
	o->labels = cc->labels;
	o->volumes = cc->volumes;
	o->tmpfs = cc->tmpfs;
	o->cap_add = cc->cap_add;
	o->cap_drop = cc->cap_drop;
	o->security_opt = cc->security_opt;
	o->log_opts = cc->log_opts;
	o->publish = cc->publish;
	o->network_aliases = cc->aliases;
	o->networks = cc->networks;
	o->add_hosts = cc->add_hosts;
	o->dns = cc->dns;
	o->attach_stdout = is_run && !cc->detach;
	return 0;
}

void ctr_create_cli_free(struct ctr_create_cli *cc)
{
	strv_free(cc->env);
	strv_free(cc->labels);
	strv_free(cc->volumes);
	strv_free(cc->tmpfs);
	strv_free(cc->cap_add);
	strv_free(cc->cap_drop);
	strv_free(cc->security_opt);
	strv_free(cc->log_opts);
	strv_free(cc->entrypoint);
	strv_free(cc->cmd);
	strv_free(cc->owned);
	strv_free(cc->publish);
	strv_free(cc->aliases);
	strv_free(cc->networks);
	strv_free(cc->add_hosts);
	strv_free(cc->dns);
}

/* qemu-user's name for an OCI architecture (the binfmt_misc handler's). */
static const char *qemu_arch(const char *arch)
{
	static const char *const map[][2] = {
		{"amd64", "x86_64"},	{"arm64", "aarch64"},	{"arm", "arm"},
		{"386", "i386"},	{"ppc64le", "ppc64le"}, {"s390x", "s390x"},
		{"riscv64", "riscv64"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(map[i][0], arch))
			return map[i][1];
	return NULL;
}

/* --platform OS/ARCH[/VARIANT] (or ARCH, or OS): split into plat (owned
 * copy) and refused unless this host can run it: its own platform, or an
 * architecture a registered and enabled binfmt_misc handler (qemu-user)
 * runs.  Nothing else is honest: the kernel would refuse the binaries. */
static int platform_parse(const char *spec, char **plat, const char **os, const char **arch,
			  const char **variant, struct hk_error **err)
{
	const char *hos, *harch, *hvar, *q;
	char *a, *v;

	registry_host_platform(&hos, &harch, &hvar);
	*plat = xstrdup(spec);
	a = strchr(*plat, '/');
	if (a) {
		*a++ = '\0';
		v = strchr(a, '/');
		if (v)
			*v++ = '\0';
		*os = *plat, *arch = a, *variant = v;
	} else if (!strcmp(*plat, hos)) {
		*os = hos, *arch = harch, *variant = hvar;
	} else {
		*os = hos, *arch = *plat, *variant = NULL;
	}
	if (!**os || !**arch)
		return hk_error_set(err, 0, "--platform %s: want OS/ARCH[/VARIANT]", spec);
	if (strcmp(*os, hos))
		return hk_error_set(err, 0,
				    "--platform %s: this host runs %s containers only, not %s",
				    spec, hos, *os);
	if (!strcmp(*arch, harch))
		return 0;
	q = qemu_arch(*arch);
	if (q) {
		_cleanup_free_ char *path = xasprintf("/proc/sys/fs/binfmt_misc/qemu-%s", q);
		_cleanup_free_ char *text = NULL;
		size_t len = 0;
		if (read_file_at(AT_FDCWD, path, 4096, &text, &len, NULL) == 0 &&
		    str_has_prefix(text, "enabled"))
			return 0;
	}
	return hk_error_set(err, 0,
			    "--platform %s: this host (%s/%s) cannot run %s programs: no "
			    "binfmt_misc handler%s%s%s is registered for them",
			    spec, hos, harch, *arch, q ? " (qemu-" : "", q ? q : "", q ? ")" : "");
}

/* Is the stored image img of the platform asked for? */
static bool image_is_platform(const struct image *img, const char *os, const char *arch)
{
	_cleanup_image_config_ struct image_config *ic = NULL;

	if (image_config(img, &ic, NULL) < 0)
		return false;
	return (!ic->os || !strcmp(ic->os, os)) &&
	       (!ic->architecture || !strcmp(ic->architecture, arch));
}

int ctr_ensure_image(struct ctr_create_cli *cc, struct hk_error **err)
{
	_cleanup_image_store_ struct image_store *store = NULL;
	_cleanup_image_ struct image *img = NULL;
	_cleanup_free_ char *plat = NULL, *shown = NULL;
	struct regcli_xfer x = REGCLI_XFER_INIT;
	const char *pull = cc->pull ? cc->pull : "missing", *image = cc->o.image;
	const char *os = NULL, *arch = NULL, *variant = NULL;
	struct image_ref ref;
	char id[72];
	bool have;
	int r;

	if (strcmp(pull, "missing") && strcmp(pull, "always") && strcmp(pull, "never"))
		return hk_error_set(err, 0,
				    "invalid pull option: '%s': must be one of \"always\", "
				    "\"missing\" or \"never\"",
				    pull);
	if (cc->platform && platform_parse(cc->platform, &plat, &os, &arch, &variant, err) < 0)
		return -1;
	if (image_store_open(hk_globals.root, &store, err) < 0)
		return -1;
	r = image_lookup(store, image, &img, err);
	if (r < 0 && (!*err || (*err)->errnum != ENOENT))
		return -1;
	hk_error_free(err);
	have = r == 0 && (!plat || image_is_platform(img, os, arch));
	if (have && strcmp(pull, "always"))
		return 0;
	/* Docker's short form of the reference for its messages */
	if (image_ref_parse(image, &ref, NULL) == 0) {
		_cleanup_free_ char *full = image_ref_string(&ref);
		shown = image_ref_familiar(full);
		image_ref_free(&ref);
	} else {
		shown = xstrdup(image);
	}
	if (!strcmp(pull, "never"))
		return hk_error_set(err, ENOENT, "No such image: %s", shown);
	if (!have && !cc->quiet)
		fprintf(stderr, "Unable to find image '%s' locally\n", shown);
	x.quiet = cc->quiet;
	x.o.os = os, x.o.arch = arch, x.o.variant = variant;
	regcli_xfer_start(&x);
	r = registry_pull(store, image, &x.o, id, err);
	regcli_xfer_done(&x);
	if (r < 0)
		return -1;
	if (!cc->quiet)
		fprintf(stderr, "Status: Downloaded newer image for %s\n", shown);
	return 0;
}

int ctr_start_failed(int status, struct hk_error **err)
{
	hk_error_print(*err, "hako");
	return status ? status : 125;
}

int ctr_attach_and_wait(struct engine *e, const char *id, int fd, bool tty, bool stdin_on,
			const char *detach_keys, struct hk_error **err)
{
	int code = 0, r;

	r = engine_attach_stream(fd, tty, stdin_on, detach_keys, &code, err);
	close(fd);
	if (r == 1) {
		if (tty)
			fprintf(stderr, "\r\n");
		return 0;
	}
	if (r < 0) {
		/* the monitor died mid-way: the record (after repair) says more */
		struct engine_container *c = NULL;
		hk_error_free(err);
		engine_repair(e, NULL);
		if (engine_lookup(e, id, &c, NULL) == 0) {
			code = c->exit_code;
			engine_container_free(c);
		} else {
			code = 125;
		}
	}
	return code;
}

int ctr_for_each(int n, char **names, ctr_each_fn fn, void *arg, struct hk_error **err)
{
	struct engine e;
	int rc = 0;

	if (ctr_engine_open(&e, err) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		int r = fn(&e, names[i], arg, err);
		if (r < 0) {
			hk_error_print(*err, "hako");
			hk_error_free(err);
			rc = 1;
			continue;
		}
		if (r != CTR_EACH_PRINTED)
			printf("%s\n", names[i]);
		/* each result as it comes: wait and stop can take long */
		fflush(stdout);
	}
	engine_close(&e);
	return rc;
}

bool ctr_confirm(const char *what)
{
	char answer[16] = "";

	fprintf(stderr, "WARNING! %sAre you sure you want to continue? [y/N] ", what);
	return fgets(answer, sizeof(answer), stdin) && (answer[0] == 'y' || answer[0] == 'Y');
}

int ctr_prune_stopped(struct engine *e, bool report_errors, struct hk_error **err)
{
	struct engine_container **list = NULL;
	size_t n = 0;

	if (engine_list(e, &list, &n, err) < 0)
		return -1;
	printf("Deleted Containers:\n");
	for (size_t i = 0; i < n; i++) {
		if (list[i]->state != ENGINE_EXITED && list[i]->state != ENGINE_CREATED &&
		    list[i]->state != ENGINE_DEAD)
			continue;
		if (engine_remove(e, list[i]->id, false, false, err) == 0)
			printf("%s\n", list[i]->id);
		else if (report_errors)
			hk_error_print(*err, "hako");
		hk_error_free(err);
	}
	engine_list_free(list, n);
	return 0;
}
