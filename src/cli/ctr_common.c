/* hako command line: option parsing shared by create and run. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
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
	"  -h, --hostname NAME         the container's hostname\n"
	"  -v, --volume SRC:DST[:ro]   bind mount a host path or a named volume\n"
	"      --tmpfs DST[:OPTS]      mount a tmpfs\n"
	"      --mount type=bind|volume|tmpfs,source=S,target=T[,readonly][,...]\n"
	"                              Docker's long form: bind-propagation,\n"
	"                              volume-nocopy, tmpfs-size, tmpfs-mode\n"
	"      --volumes-from CTR[:ro|rw]  the volumes and binds of container CTR\n"
	"      --device HOST[:CTR][:rwm]   a host device node in the container\n"
	"      --device-cgroup-rule 'c 1:3 rwm'  allow device numbers in its cgroup\n"
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
	"  -q, --quiet                 no pull progress on stderr\n"
	"      --cidfile FILE          write the container id there (refused if it exists)\n"
	"      --label-file FILE       read K=V label lines\n"
	"      --annotation K=V        an OCI annotation\n"
	"      --domainname NAME       the container's NIS domain name\n"
	"      --expose PORT[/PROTO]   expose a port or range (for -P)\n"
	"      --dns-search DOMAIN     a search domain for /etc/resolv.conf\n"
	"      --dns-option OPT        an options entry for /etc/resolv.conf\n"
	"  -a, --attach STREAM         attach stdin, stdout or stderr only (again: more)\n"
	"      --sig-proxy[=BOOL]      send the signals we get to the container (default\n"
	"                              true, without -t)\n"
	"Limits:\n"
	"      --ulimit NAME=SOFT[:HARD]  an rlimit (nofile, nproc, core, ...; -1:\n"
	"                              unlimited); a hard limit above ours needs\n"
	"                              CAP_SYS_RESOURCE\n"
	"      --shm-size SIZE         size of /dev/shm (default 64m)\n"
	"      --sysctl K=V            a namespaced sysctl: net.* (own network),\n"
	"                              kernel.shm*/msg*/sem, fs.mqueue.* (own IPC)\n"
	"      --cpuset-cpus LIST      CPUs it may run on (0-2,4)\n"
	"      --cpuset-mems LIST      memory nodes it may use\n"
	"      --cpu-quota US          CFS quota per period (microseconds)\n"
	"      --cpu-period US         CFS period (1000-1000000)\n"
	"      --cpu-rt-runtime US     real-time runtime per period (cgroup v1)\n"
	"      --cpu-rt-period US      real-time period (cgroup v1)\n"
	"      --memory-reservation SIZE  memory soft limit\n"
	"      --memory-swappiness N   0-100\n"
	"      --kernel-memory SIZE    accepted and ignored, as docker\n"
	"      --oom-score-adj N       -1000..1000 (lowering needs CAP_SYS_RESOURCE)\n"
	"      --oom-kill-disable      no OOM kill (pair it with -m)\n"
	"      --blkio-weight N        block I/O weight 10-1000 (CFQ/BFQ hosts)\n"
	"      --blkio-weight-device DEV:N        per device\n"
	"      --device-read-bps DEV:RATE         read rate limit (1mb)\n"
	"      --device-write-bps DEV:RATE        write rate limit\n"
	"      --device-read-iops DEV:N           read operations per second\n"
	"      --device-write-iops DEV:N          write operations per second\n"
	"Namespaces and identity:\n"
	"      --pid MODE              host or container:NAME (default: its own)\n"
	"      --ipc MODE              private (default), shareable, none, host,\n"
	"                              container:NAME (of a shareable one)\n"
	"      --uts MODE              host or container:NAME (default: its own)\n"
	"      --cgroupns MODE         host or private (default: host on cgroup v1)\n"
	"      --userns host           no user namespace (the only mode for now)\n"
	"      --cgroup-parent PATH    its cgroup under PATH instead of hako/\n"
	"      --group-add GROUP       a supplementary group (name or id)\n"
	"Docker's --gpus, --health-*, --link,\n"
	"--runtime, --storage-opt and the Windows-only flags are refused with the reason.\n";

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
	OPT_ULIMIT,
	OPT_SHM_SIZE,
	OPT_SYSCTL,
	OPT_CPUSET_CPUS,
	OPT_CPUSET_MEMS,
	OPT_CPU_QUOTA,
	OPT_CPU_PERIOD,
	OPT_CPU_RT_RUNTIME,
	OPT_CPU_RT_PERIOD,
	OPT_MEMORY_RESERVATION,
	OPT_MEMORY_SWAPPINESS,
	OPT_KERNEL_MEMORY,
	OPT_OOM_SCORE_ADJ,
	OPT_OOM_KILL_DISABLE,
	OPT_BLKIO_WEIGHT,
	OPT_BLKIO_WEIGHT_DEVICE,
	OPT_DEVICE_READ_BPS,
	OPT_DEVICE_WRITE_BPS,
	OPT_DEVICE_READ_IOPS,
	OPT_DEVICE_WRITE_IOPS,
	OPT_PID,
	OPT_IPC,
	OPT_UTS,
	OPT_CGROUPNS,
	OPT_USERNS,
	OPT_CGROUP_PARENT,
	OPT_GROUP_ADD,
	OPT_CIDFILE,
	OPT_LABEL_FILE,
	OPT_ANNOTATION,
	OPT_DOMAINNAME,
	OPT_EXPOSE,
	OPT_DNS_SEARCH,
	OPT_DNS_OPTION,
	OPT_SIG_PROXY,
	OPT_CONTENT_TRUST,
	OPT_MOUNT,
	OPT_DEVICE,
	OPT_DEVICE_CGROUP_RULE,
	OPT_VOLUMES_FROM,
	OPT_UNSUPPORTED, /* + index in unsupported[] */
};

/* Docker's run flags hako does not have (yet), each refused with the reason
 * rather than "unknown flag" or, worse, silently ignored. */
static const struct {
	const char *name;
	int has_arg;
	const char *why;
} unsupported[] = {
	{"gpus", required_argument,
	 "GPUs need a device plugin (nvidia-container-toolkit), which hako does not use"},
	{"health-cmd", required_argument, "health checks are not supported yet"},
	{"health-interval", required_argument, "health checks are not supported yet"},
	{"health-retries", required_argument, "health checks are not supported yet"},
	{"health-timeout", required_argument, "health checks are not supported yet"},
	{"health-start-period", required_argument, "health checks are not supported yet"},
	{"health-start-interval", required_argument, "health checks are not supported yet"},
	{"no-healthcheck", no_argument, "health checks are not supported yet"},
	{"link", required_argument,
	 "legacy links are not supported: use a user network (network create), where "
	 "containers find each other by name"},
	{"link-local-ip", required_argument, "link-local addresses are not supported"},
	{"volume-driver", required_argument, "only the local volume driver exists"},
	{"storage-opt", required_argument,
	 "per-container storage options (size) need a storage driver with quotas; overlayfs "
	 "here has none"},
	{"runtime", required_argument, "only hako's own runtime is supported"},
	{"isolation", required_argument, "isolation technologies are a Windows feature"},
	{"cpu-count", required_argument, "a Windows-only option"},
	{"cpu-percent", required_argument, "a Windows-only option"},
	{"io-maxbandwidth", required_argument, "a Windows-only option"},
	{"io-maxiops", required_argument, "a Windows-only option"},
	{"use-api-socket", no_argument, "hako has no API socket to mount into a container"},
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

/* A boolean flag: alone (true) or =true/false. */
static int parse_bool_opt(const char *flag, const char *v, bool *out, struct hk_error **err)
{
	if (!v || !strcmp(v, "true") || !strcmp(v, "1")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "false") || !strcmp(v, "0")) {
		*out = false;
		return 0;
	}
	return hk_error_set(err, 0, "invalid argument \"%s\" for \"%s\" flag: want true or false",
			    v, flag);
}

/* --label-file: K=V lines (# comments and blank lines skipped). */
static int read_kv_file(const char *flag, const char *path, char ***out, struct hk_error **err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return hk_error_errno(err, "%s %s", flag, path);
	while (getline(&line, &cap, f) >= 0) {
		char *s = line;
		s[strcspn(s, "\r\n")] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			continue;
		strv_push(out, s);
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
	static const struct option base_opts[] = {
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
		{"mount", required_argument, NULL, OPT_MOUNT},
		{"device", required_argument, NULL, OPT_DEVICE},
		{"device-cgroup-rule", required_argument, NULL, OPT_DEVICE_CGROUP_RULE},
		{"volumes-from", required_argument, NULL, OPT_VOLUMES_FROM},
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
		{"ulimit", required_argument, NULL, OPT_ULIMIT},
		{"shm-size", required_argument, NULL, OPT_SHM_SIZE},
		{"sysctl", required_argument, NULL, OPT_SYSCTL},
		{"cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS},
		{"cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS},
		{"cpu-quota", required_argument, NULL, OPT_CPU_QUOTA},
		{"cpu-period", required_argument, NULL, OPT_CPU_PERIOD},
		{"cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME},
		{"cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD},
		{"memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION},
		{"memory-swappiness", required_argument, NULL, OPT_MEMORY_SWAPPINESS},
		{"kernel-memory", required_argument, NULL, OPT_KERNEL_MEMORY},
		{"oom-score-adj", required_argument, NULL, OPT_OOM_SCORE_ADJ},
		{"oom-kill-disable", optional_argument, NULL, OPT_OOM_KILL_DISABLE},
		{"blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT},
		{"blkio-weight-device", required_argument, NULL, OPT_BLKIO_WEIGHT_DEVICE},
		{"device-read-bps", required_argument, NULL, OPT_DEVICE_READ_BPS},
		{"device-write-bps", required_argument, NULL, OPT_DEVICE_WRITE_BPS},
		{"device-read-iops", required_argument, NULL, OPT_DEVICE_READ_IOPS},
		{"device-write-iops", required_argument, NULL, OPT_DEVICE_WRITE_IOPS},
		{"pid", required_argument, NULL, OPT_PID},
		{"ipc", required_argument, NULL, OPT_IPC},
		{"uts", required_argument, NULL, OPT_UTS},
		{"cgroupns", required_argument, NULL, OPT_CGROUPNS},
		{"userns", required_argument, NULL, OPT_USERNS},
		{"cgroup-parent", required_argument, NULL, OPT_CGROUP_PARENT},
		{"group-add", required_argument, NULL, OPT_GROUP_ADD},
		{"cidfile", required_argument, NULL, OPT_CIDFILE},
		{"label-file", required_argument, NULL, OPT_LABEL_FILE},
		{"annotation", required_argument, NULL, OPT_ANNOTATION},
		{"domainname", required_argument, NULL, OPT_DOMAINNAME},
		{"expose", required_argument, NULL, OPT_EXPOSE},
		{"dns-search", required_argument, NULL, OPT_DNS_SEARCH},
		{"dns-option", required_argument, NULL, OPT_DNS_OPTION},
		{"dns-opt", required_argument, NULL, OPT_DNS_OPTION},
		{"attach", required_argument, NULL, 'a'},
		{"sig-proxy", optional_argument, NULL, OPT_SIG_PROXY},
		{"disable-content-trust", optional_argument, NULL, OPT_CONTENT_TRUST},
		{0},
	};
	struct option opts[ARRAY_SIZE(base_opts) + ARRAY_SIZE(unsupported)];
	bool b;
	struct engine_create_opts *o = &cc->o;
	long long n;
	int c;

	memset(cc, 0, sizeof(*cc));
	engine_create_opts_init(o);
	cc->sig_proxy = true;
	/* the table: ours, then the refused ones, then the terminator */
	memcpy(opts, base_opts, sizeof(base_opts) - sizeof(base_opts[0]));
	for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++)
		opts[ARRAY_SIZE(base_opts) - 1 + i] =
			(struct option){unsupported[i].name, unsupported[i].has_arg, NULL,
					OPT_UNSUPPORTED + (int)i};
	memset(&opts[ARRAY_SIZE(opts) - 1], 0, sizeof(opts[0]));
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+diqte:w:u:v:m:c:l:p:Pa:h:", opts, NULL)) != -1) {
		if (c >= OPT_UNSUPPORTED && c < OPT_UNSUPPORTED + (int)ARRAY_SIZE(unsupported))
			return hk_error_set(err, 0, "%s: --%s: %s", argv[0],
					    unsupported[c - OPT_UNSUPPORTED].name,
					    unsupported[c - OPT_UNSUPPORTED].why);
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
		case 'h':
			o->hostname = optarg;
			break;
		case 'v':
			strv_push(&cc->volumes, optarg);
			break;
		case OPT_MOUNT:
			strv_push(&cc->mounts, optarg);
			break;
		case OPT_DEVICE:
			strv_push(&cc->devices, optarg);
			break;
		case OPT_DEVICE_CGROUP_RULE:
			strv_push(&cc->device_cgroup_rules, optarg);
			break;
		case OPT_VOLUMES_FROM:
			strv_push(&cc->volumes_from, optarg);
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
		case OPT_ULIMIT:
			strv_push(&cc->ulimits, optarg);
			break;
		case OPT_SHM_SIZE:
			if (parse_size_opt("--shm-size", optarg, &o->shm_size, false, err) < 0)
				return -1;
			if (o->shm_size <= 0)
				return hk_error_set(err, 0, "invalid --shm-size value '%s'",
						    optarg);
			break;
		case OPT_SYSCTL:
			strv_push(&cc->sysctls, optarg);
			break;
		case OPT_CPUSET_CPUS:
			o->cpuset_cpus = optarg;
			break;
		case OPT_CPUSET_MEMS:
			o->cpuset_mems = optarg;
			break;
		case OPT_CPU_QUOTA:
			if (parse_ll(optarg, -1, 1LL << 40, &n) < 0)
				return hk_error_set(err, 0, "invalid --cpu-quota value '%s'",
						    optarg);
			o->cpu_quota = n;
			break;
		case OPT_CPU_PERIOD:
			if (parse_ll(optarg, 0, 1LL << 40, &n) < 0)
				return hk_error_set(err, 0, "invalid --cpu-period value '%s'",
						    optarg);
			o->cpu_period = n;
			break;
		case OPT_CPU_RT_RUNTIME:
			if (parse_ll(optarg, 0, 1LL << 40, &n) < 0)
				return hk_error_set(err, 0, "invalid --cpu-rt-runtime value '%s'",
						    optarg);
			o->cpu_rt_runtime = n;
			break;
		case OPT_CPU_RT_PERIOD:
			if (parse_ll(optarg, 0, 1LL << 40, &n) < 0)
				return hk_error_set(err, 0, "invalid --cpu-rt-period value '%s'",
						    optarg);
			o->cpu_rt_period = n;
			break;
		case OPT_MEMORY_RESERVATION:
			if (parse_size_opt("--memory-reservation", optarg, &o->memory_reservation,
					   false, err) < 0)
				return -1;
			break;
		case OPT_MEMORY_SWAPPINESS:
			if (parse_ll(optarg, -1, 100, &n) < 0)
				return hk_error_set(err, 0,
						    "invalid --memory-swappiness value '%s': valid "
						    "memory swappiness range is 0-100",
						    optarg);
			o->memory_swappiness = n;
			break;
		case OPT_KERNEL_MEMORY:
			if (parse_size_opt("--kernel-memory", optarg, &o->kernel_memory, false,
					   err) < 0)
				return -1;
			break;
		case OPT_OOM_SCORE_ADJ:
			if (parse_ll(optarg, -1000, 1000, &n) < 0)
				return hk_error_set(
					err, 0,
					"invalid --oom-score-adj value '%s': the range is "
					"[-1000, 1000]",
					optarg);
			o->oom_score_adj = (int)n;
			break;
		case OPT_OOM_KILL_DISABLE:
			if (parse_bool_opt("--oom-kill-disable", optarg, &b, err) < 0)
				return -1;
			o->oom_kill_disable = b;
			break;
		case OPT_BLKIO_WEIGHT:
			if (parse_ll(optarg, 0, 1000, &n) < 0 || (n && n < 10))
				return hk_error_set(
					err, 0,
					"invalid --blkio-weight value '%s': the range is "
					"from 10 to 1000",
					optarg);
			o->blkio_weight = (int)n;
			break;
		case OPT_BLKIO_WEIGHT_DEVICE:
			strv_push(&cc->blkio_weight_device, optarg);
			break;
		case OPT_DEVICE_READ_BPS:
			strv_push(&cc->device_read_bps, optarg);
			break;
		case OPT_DEVICE_WRITE_BPS:
			strv_push(&cc->device_write_bps, optarg);
			break;
		case OPT_DEVICE_READ_IOPS:
			strv_push(&cc->device_read_iops, optarg);
			break;
		case OPT_DEVICE_WRITE_IOPS:
			strv_push(&cc->device_write_iops, optarg);
			break;
		case OPT_PID:
			o->pid_mode = optarg;
			break;
		case OPT_IPC:
			o->ipc_mode = optarg;
			break;
		case OPT_UTS:
			o->uts_mode = optarg;
			break;
		case OPT_CGROUPNS:
			o->cgroupns_mode = optarg;
			break;
		case OPT_USERNS:
			o->userns_mode = optarg;
			break;
		case OPT_CGROUP_PARENT:
			o->cgroup_parent = optarg;
			break;
		case OPT_GROUP_ADD:
			strv_push(&cc->group_add, optarg);
			break;
		case OPT_CIDFILE:
			cc->cidfile = optarg;
			break;
		case OPT_LABEL_FILE:
			if (read_kv_file("--label-file", optarg, &cc->labels, err) < 0)
				return -1;
			break;
		case OPT_ANNOTATION:
			strv_push(&cc->annotations, optarg);
			break;
		case OPT_DOMAINNAME:
			o->domainname = optarg;
			break;
		case OPT_EXPOSE:
			strv_push(&cc->expose, optarg);
			break;
		case OPT_DNS_SEARCH:
			strv_push(&cc->dns_search, optarg);
			break;
		case OPT_DNS_OPTION:
			strv_push(&cc->dns_options, optarg);
			break;
		case 'a':
			if (!strcasecmp(optarg, "stdin"))
				o->attach |= ENGINE_ATTACH_STDIN;
			else if (!strcasecmp(optarg, "stdout"))
				o->attach |= ENGINE_ATTACH_STDOUT;
			else if (!strcasecmp(optarg, "stderr"))
				o->attach |= ENGINE_ATTACH_STDERR;
			else
				return hk_error_set(
					err, 0,
					"invalid argument \"%s\" for \"-a, --attach\" "
					"flag: valid streams are STDIN, STDOUT and STDERR",
					optarg);
			break;
		case OPT_SIG_PROXY:
			if (parse_bool_opt("--sig-proxy", optarg, &cc->sig_proxy, err) < 0)
				return -1;
			break;
		case OPT_CONTENT_TRUST:
			/* hako never checks content trust: disabling it changes nothing */
			if (parse_bool_opt("--disable-content-trust", optarg, &b, err) < 0)
				return -1;
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
	if (cc->detach && o->attach)
		return hk_error_set(err, 0, "Conflicting options: -a and -d");
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
	o->mounts = cc->mounts;
	o->devices = cc->devices;
	o->device_cgroup_rules = cc->device_cgroup_rules;
	o->volumes_from = cc->volumes_from;
	o->cap_add = cc->cap_add;
	o->cap_drop = cc->cap_drop;
	o->security_opt = cc->security_opt;
	o->log_opts = cc->log_opts;
	o->publish = cc->publish;
	o->network_aliases = cc->aliases;
	o->networks = cc->networks;
	o->add_hosts = cc->add_hosts;
	o->dns = cc->dns;
	o->ulimits = cc->ulimits;
	o->sysctls = cc->sysctls;
	o->blkio_weight_device = cc->blkio_weight_device;
	o->device_read_bps = cc->device_read_bps;
	o->device_write_bps = cc->device_write_bps;
	o->device_read_iops = cc->device_read_iops;
	o->device_write_iops = cc->device_write_iops;
	o->group_add = cc->group_add;
	o->annotations = cc->annotations;
	o->expose = cc->expose;
	o->dns_search = cc->dns_search;
	o->dns_options = cc->dns_options;
	o->attach_stdout = is_run && !cc->detach;
	return 0;
}

void ctr_create_cli_free(struct ctr_create_cli *cc)
{
	strv_free(cc->env);
	strv_free(cc->labels);
	strv_free(cc->volumes);
	strv_free(cc->tmpfs);
	strv_free(cc->mounts);
	strv_free(cc->devices);
	strv_free(cc->device_cgroup_rules);
	strv_free(cc->volumes_from);
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
	strv_free(cc->ulimits);
	strv_free(cc->sysctls);
	strv_free(cc->blkio_weight_device);
	strv_free(cc->device_read_bps);
	strv_free(cc->device_write_bps);
	strv_free(cc->device_read_iops);
	strv_free(cc->device_write_iops);
	strv_free(cc->group_add);
	strv_free(cc->annotations);
	strv_free(cc->expose);
	strv_free(cc->dns_search);
	strv_free(cc->dns_options);
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

	image_host_platform(&hos, &harch, &hvar);
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

/* Docker's short form of the reference, for its messages. */
static char *ref_shown(const char *image)
{
	struct image_ref ref;
	char *shown;

	if (image_ref_parse(image, &ref, NULL) < 0)
		return xstrdup(image);
	_cleanup_free_ char *full = image_ref_string(&ref);
	shown = image_ref_familiar(full);
	image_ref_free(&ref);
	return shown;
}

/* Pull cc's image (had: whether a local copy exists, for the message). */
static int pull_image(struct ctr_create_cli *cc, struct image_store *store, bool had,
		      struct hk_error **err)
{
	_cleanup_image_store_ struct image_store *own = NULL;
	_cleanup_free_ char *plat = NULL, *shown = ref_shown(cc->o.image);
	struct regcli_xfer x = REGCLI_XFER_INIT;
	char id[72];
	int r;

	if (cc->platform &&
	    platform_parse(cc->platform, &plat, &x.o.os, &x.o.arch, &x.o.variant, err) < 0)
		return -1;
	if (!store) {
		if (image_store_open(hk_globals.root, &own, err) < 0)
			return -1;
		store = own;
	}
	if (!had && !cc->quiet)
		fprintf(stderr, "Unable to find image '%s' locally\n", shown);
	x.quiet = cc->quiet;
	regcli_xfer_start(&x);
	r = registry_pull(store, cc->o.image, &x.o, id, err);
	regcli_xfer_done(&x);
	if (r < 0)
		return -1;
	if (!cc->quiet)
		fprintf(stderr, "Status: Downloaded newer image for %s\n", shown);
	return 0;
}

int ctr_check_image(struct ctr_create_cli *cc, struct hk_error **err)
{
	_cleanup_image_store_ struct image_store *store = NULL;
	_cleanup_image_ struct image *img = NULL;
	_cleanup_free_ char *plat = NULL;
	const char *pull = cc->pull ? cc->pull : "missing";
	const char *os = NULL, *arch = NULL, *variant = NULL;
	bool have;
	int r;

	if (strcmp(pull, "missing") && strcmp(pull, "always") && strcmp(pull, "never"))
		return hk_error_set(err, 0,
				    "invalid pull option: '%s': must be one of \"always\", "
				    "\"missing\" or \"never\"",
				    pull);
	if (cc->platform && platform_parse(cc->platform, &plat, &os, &arch, &variant, err) < 0)
		return -1;
	/* the common case (missing, no platform) costs nothing here:
	 * ctr_create() pulls when engine_create() finds no image */
	if (!strcmp(pull, "missing") && !plat)
		return 0;
	if (!strcmp(pull, "never") && !plat)
		return 0;
	if (image_store_open(hk_globals.root, &store, err) < 0)
		return -1;
	r = image_lookup(store, cc->o.image, &img, err);
	if (r < 0 && (!*err || (*err)->errnum != ENOENT))
		return -1;
	hk_error_free(err);
	have = r == 0 && (!plat || image_is_platform(img, os, arch));
	if (have && strcmp(pull, "always"))
		return 0;
	if (!strcmp(pull, "never")) {
		_cleanup_free_ char *shown = ref_shown(cc->o.image);
		return hk_error_set(err, 0, "No such image: %s", shown);
	}
	return pull_image(cc, store, have, err);
}

int ctr_create(struct engine *e, struct ctr_create_cli *cc, char **id, struct hk_error **err)
{
	const char *pull = cc->pull ? cc->pull : "missing";

	if (engine_create(e, &cc->o, id, err) == 0)
		return 0;
	if (!engine_error_no_image(*err))
		return -1;
	hk_error_free(err);
	if (!strcmp(pull, "never")) {
		_cleanup_free_ char *shown = ref_shown(cc->o.image);
		return hk_error_set(err, 0, "No such image: %s", shown);
	}
	/* nothing was made: pull, then create again */
	if (pull_image(cc, NULL, false, err) < 0)
		return -1;
	return engine_create(e, &cc->o, id, err);
}

int ctr_cidfile_check(const char *path, struct hk_error **err)
{
	if (path && access(path, F_OK) == 0)
		return hk_error_set(err, EEXIST,
				    "Container ID file found, make sure the other container isn't "
				    "running or delete %s",
				    path);
	return 0;
}

int ctr_cidfile_write(const char *path, const char *id, struct hk_error **err)
{
	_cleanup_close_ int fd = -1;

	if (!path)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return hk_error_errno(err, "--cidfile %s", path);
	if (write_all(fd, id, strlen(id)) < 0)
		return hk_error_errno(err, "--cidfile %s", path);
	return 0;
}

/* ---- --sig-proxy: what the CLI receives goes to the container ---- */

struct sig_proxy {
	char *id;
	sigset_t set;
};

static void *sig_proxy_main(void *arg)
{
	struct sig_proxy *p = arg;

	for (;;) {
		struct engine e;
		int sig = 0;
		if (sigwait(&p->set, &sig) != 0)
			continue;
		if (ctr_engine_open(&e, NULL) < 0)
			continue;
		/* a container that is gone already: nothing to say */
		engine_kill(&e, p->id, sig, NULL);
		engine_close(&e);
	}
	return NULL;
}

void ctr_sig_proxy_start(const char *id)
{
	static struct sig_proxy p;
	pthread_t t;

	p.id = xstrdup(id);
	sigfillset(&p.set);
	/* docker's exceptions: what only concerns this process */
	sigdelset(&p.set, SIGCHLD);
	sigdelset(&p.set, SIGPIPE);
	sigdelset(&p.set, SIGURG);
	sigdelset(&p.set, SIGWINCH);
	sigdelset(&p.set, SIGKILL);
	sigdelset(&p.set, SIGSTOP);
	sigdelset(&p.set, SIGSEGV);
	sigdelset(&p.set, SIGBUS);
	sigdelset(&p.set, SIGFPE);
	sigdelset(&p.set, SIGILL);
	sigdelset(&p.set, SIGABRT);
	sigdelset(&p.set, SIGTRAP);
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
		sigdelset(&p.set, s); /* glibc's own (and the sanitizers') */
	/* blocked here (and in every thread made later), waited for there */
	pthread_sigmask(SIG_BLOCK, &p.set, NULL);
	if (pthread_create(&t, NULL, sig_proxy_main, &p) == 0)
		pthread_detach(t);
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
