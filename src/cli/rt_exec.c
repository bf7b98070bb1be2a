/* hako-runtime exec */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/rt_common.h"
#include "cli/runtime_cli.h"
#include "util/json.h"
#include "util/util.h"

/* Replace or add NAME=VALUE in the env array. */
static void env_set(json_object *proc, const char *kv)
{
	json_object *env;
	size_t n = strcspn(kv, "=");

	if (!json_object_object_get_ex(proc, "env", &env) ||
	    !json_object_is_type(env, json_type_array)) {
		env = json_object_new_array();
		json_object_object_add(proc, "env", env);
	}
	for (size_t i = 0; i < json_object_array_length(env); i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(env, i));
		if (e && !strncmp(e, kv, n) && e[n] == '=') {
			json_object_array_put_idx(env, i, json_object_new_string(kv));
			return;
		}
	}
	json_object_array_add(env, json_object_new_string(kv));
}

static void add_cap(json_object *proc, const char *cap)
{
	static const char *const sets[] = {"bounding", "effective", "permitted"};
	json_object *caps;
	_cleanup_free_ char *name =
		str_has_prefix(cap, "CAP_") ? xstrdup(cap) : xasprintf("CAP_%s", cap);

	if (!json_object_object_get_ex(proc, "capabilities", &caps)) {
		caps = json_object_new_object();
		json_object_object_add(proc, "capabilities", caps);
	}
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
		json_object *a;
		if (!json_object_object_get_ex(caps, sets[i], &a)) {
			a = json_object_new_array();
			json_object_object_add(caps, sets[i], a);
		}
		json_object_array_add(a, json_object_new_string(name));
	}
}

/* --additional-gids LIST (repeatable, LIST comma-separated, as crun): the
 * gids are added to process.user.additionalGids, as runc does. */
static int add_gids(json_object *proc, char **lists, struct hk_error **err)
{
	json_object *user, *gids;

	if (!lists)
		return 0;
	if (!json_object_object_get_ex(proc, "user", &user) ||
	    !json_object_is_type(user, json_type_object)) {
		user = json_object_new_object();
		json_object_object_add(user, "uid", json_object_new_int64(0));
		json_object_object_add(user, "gid", json_object_new_int64(0));
		json_object_object_add(proc, "user", user);
	}
	if (!json_object_object_get_ex(user, "additionalGids", &gids) ||
	    !json_object_is_type(gids, json_type_array)) {
		gids = json_object_new_array();
		json_object_object_add(user, "additionalGids", gids);
	}
	for (char **l = lists; *l; l++) {
		_cleanup_free_ char *copy = xstrdup(*l);
		char *save = NULL;
		if (!*copy)
			return hk_error_set(err, 0, "exec: --additional-gids: empty list");
		for (char *g = strtok_r(copy, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
			long long gid;
			/* (gid_t)-1 means "unchanged" to the kernel: not a group */
			if (parse_ll(g, 0, UINT32_MAX - 1, &gid) < 0)
				return hk_error_set(
					err, 0,
					"exec: --additional-gids %s: '%s' is not a group id", *l,
					g);
			json_object_array_add(gids, json_object_new_int64(gid));
		}
	}
	return 0;
}

static int rt_exec_run(int argc, char **argv, struct hk_error **err)
{
	static const struct option opts[] = {
		{"process", required_argument, NULL, 'p'},
		{"tty", no_argument, NULL, 't'},
		{"env", required_argument, NULL, 'e'},
		{"cwd", required_argument, NULL, 'w'},
		{"user", required_argument, NULL, 'u'},
		{"detach", no_argument, NULL, 'd'},
		{"pid-file", required_argument, NULL, 'P'},
		{"console-socket", required_argument, NULL, 'c'},
		{"cap", required_argument, NULL, 'C'},
		{"preserve-fds", required_argument, NULL, 'F'},
		{"no-new-privs", no_argument, NULL, 'n'},
		{"apparmor", required_argument, NULL, 'A'},
		{"process-label", required_argument, NULL, 'L'},
		{"additional-gids", required_argument, NULL, 'g'},
		{0},
	};
	_cleanup_json_ json_object *proc = NULL;
	_cleanup_strv_ char **envs = NULL, **caps = NULL, **gids = NULL;
	const char *process_file = NULL, *cwd = NULL, *user = NULL, *id;
	struct runtime_opts o;
	bool tty = false, detach = false, nnp = false;
	long long n;
	int c, r;

	rt_cli_opts(&o);
	while ((c = getopt_long(argc, argv, "+p:te:w:u:dg:", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			process_file = optarg;
			break;
		case 't':
			tty = true;
			break;
		case 'e':
			if (!strchr(optarg, '='))
				return hk_error_set(err, 0, "exec: --env %s: expected NAME=VALUE",
						    optarg);
			strv_push(&envs, optarg);
			break;
		case 'w':
			cwd = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'd':
			detach = true;
			break;
		case 'P':
			o.pid_file = optarg;
			break;
		case 'c':
			o.console_socket = optarg;
			break;
		case 'C':
			strv_push(&caps, optarg);
			break;
		case 'F':
			if (parse_ll(optarg, 0, 1 << 20, &n) < 0)
				return hk_error_set(err, 0, "exec: --preserve-fds: bad number");
			o.preserve_fds = (int)n;
			break;
		case 'n':
			nnp = true;
			break;
		case 'g':
			strv_push(&gids, optarg);
			break;
		case 'A':
		case 'L':
			break;
		default:
			return hk_error_set(err, 0, "exec: bad option (see --help)");
		}
	}
	if (optind >= argc)
		return hk_error_set(err, 0, "exec: missing container id");
	id = argv[optind++];
	if (process_file) {
		if (json_parse_file(process_file, 1 << 20, &proc, err) < 0)
			return hk_error_wrap(err, "exec: --process");
	} else {
		if (optind >= argc)
			return hk_error_set(err, 0, "exec: no command given (args or --process)");
		if (runtime_exec_template(runtime_globals.root, id, &proc, err) < 0)
			return -1;
		json_object_object_add(proc, "args", json_strv_new(argv + optind));
		json_object_object_add(proc, "cwd", json_object_new_string("/"));
	}
	if (tty)
		json_object_object_add(proc, "terminal", json_object_new_boolean(1));
	if (cwd)
		json_object_object_add(proc, "cwd", json_object_new_string(cwd));
	for (char **e = envs; e && *e; e++)
		env_set(proc, *e);
	for (char **cp = caps; cp && *cp; cp++)
		add_cap(proc, *cp);
	if (nnp)
		json_object_object_add(proc, "noNewPrivileges", json_object_new_boolean(1));
	if (user) {
		long long uid, gid = 0;
		_cleanup_free_ char *u = xstrdup(user);
		char *colon = strchr(u, ':');
		json_object *uo;
		if (colon)
			*colon = '\0';
		if (parse_ll(u, 0, UINT32_MAX, &uid) < 0 ||
		    (colon && parse_ll(colon + 1, 0, UINT32_MAX, &gid) < 0))
			return hk_error_set(err, 0, "exec: --user %s: expected UID[:GID]", user);
		/* the process's additionalGids stay, as with runc */
		if (!json_object_object_get_ex(proc, "user", &uo) ||
		    !json_object_is_type(uo, json_type_object)) {
			uo = json_object_new_object();
			json_object_object_add(proc, "user", uo);
		}
		json_object_object_add(uo, "uid", json_object_new_int64(uid));
		json_object_object_add(uo, "gid", json_object_new_int64(gid));
	}
	if (add_gids(proc, gids, err) < 0)
		return -1;
	r = runtime_exec(runtime_globals.root, id, proc, &o, detach, NULL, err);
	if (r < 0 && runtime_exec_error_status(*err)) {
		hk_error_print(*err, "hako-runtime");
		return runtime_exec_error_status(*err);
	}
	return r;
}

static const struct hk_command rt_exec = {
	.name = "exec",
	.usage = "exec [OPTIONS] ID [COMMAND [ARG...]]",
	.summary = "Run a process in a running container",
	.help = "  -p, --process FILE        an OCI process object instead of COMMAND\n"
		"  -t, --tty                 allocate a terminal\n"
		"  -e, --env NAME=VALUE      set an environment variable\n"
		"  -w, --cwd DIR             working directory\n"
		"  -u, --user UID[:GID]      run as this user\n"
		"  -d, --detach              do not wait for the process\n"
		"      --pid-file FILE       write the process's pid\n"
		"      --console-socket PATH send the terminal's master there\n"
		"      --cap CAP             add a capability\n"
		"      --preserve-fds N      pass fds 3..3+N-1 to the process\n"
		"      --no-new-privs        set no_new_privs\n"
		"  -g, --additional-gids G,...  add supplementary groups (repeatable)\n",
	.run = rt_exec_run,
};
HK_COMMAND(runtime, rt_exec);
