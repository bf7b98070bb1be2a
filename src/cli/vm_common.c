/* Helpers shared by the vm commands. */
#include <stdio.h>
#include <string.h>

#include "cli/vm_cli.h"
#include "util/util.h"
#include "vm/vm.h"

int vm_cli_run_opt(struct vm_cli_run *r, int opt, const char *arg, struct hk_error **err)
{
	long long v;

	switch (opt) {
	case 'e':
		if (!strchr(arg, '=')) {
			const char *val = getenv(arg);
			if (!val)
				return 0;
			_cleanup_free_ char *kv = xasprintf("%s=%s", arg, val);
			strv_push(&r->env, kv);
			return 0;
		}
		strv_push(&r->env, arg);
		return 0;
	case 'w':
		r->workdir = arg;
		return 0;
	case 'm':
		if (vm_parse_size(arg, &r->memory, err) < 0)
			return hk_error_wrap(err, "--memory");
		if (r->memory < (64ull << 20))
			return hk_error_set(err, 0, "--memory %s: at least 64M is needed", arg);
		return 0;
	case 'c':
		if (parse_ll(arg, 1, 64, &v) < 0)
			return hk_error_set(err, 0, "--cpus %s: expected a number from 1 to 64",
					    arg);
		r->cpus = (int)v;
		return 0;
	case 'k':
		r->kernel = arg;
		return 0;
	case 'R':
		r->rootfs = arg;
		return 0;
	case 'i':
		r->interactive = true;
		return 0;
	case 't':
		r->tty = true;
		return 0;
	case 'r':
		return 0;
	}
	return hk_error_set(err, 0, "unknown option");
}

void vm_cli_run_free(struct vm_cli_run *r)
{
	strv_free(r->env);
	r->env = NULL;
}

static const char *const default_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root",
	NULL,
};

int vm_cli_run(const struct vm_cli_run *r, const char *image, int argc, char **argv,
	       struct hk_error **err)
{
	_cleanup_strv_ char **env = NULL, **args = NULL;
	struct vm_run_opts o = {
		.kernel = r->kernel,
		.memory = r->memory,
		.cpus = r->cpus,
		.tty = r->tty,
		.interactive = r->interactive,
		.cwd = r->workdir,
	};

	if (image)
		return hk_error_set(err, 0, "vm run %s: images are not available yet; use --rootfs",
				    image);
	for (size_t i = 0; default_env[i]; i++)
		strv_push(&env, default_env[i]);
	if (r->tty)
		strv_push(&env, "TERM=xterm");
	for (size_t i = 0; r->env && r->env[i]; i++)
		strv_push(&env, r->env[i]);
	for (int i = 0; i < argc; i++)
		strv_push(&args, argv[i]);
	o.rootfs = r->rootfs;
	o.argv = args;
	o.env = env;
	return vm_run(hk_globals.root, hk_globals.runroot, &o, err);
}
